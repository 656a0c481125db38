#!/usr/bin/python3
"""Browser tests of the portal's single sign-on: a real `tapster serve` trusting a real OpenID Provider
(oidc-provider-mock, started by scripts/oidc-provider-for-tests.sh), driven with headless Chromium.

Chromium signs in through the provider's own form: a member of `team-shop` lands on the owner page with
exactly shop's grants, a member of `net-admins` reaches the admin console, someone in no mapped group is
refused with a page saying why, and signing out ends the session at Tapster and goes on to the provider's
end-session endpoint. Screenshots: test-artifacts/portal/sso-*.png (kept), and <test>.png on failure.

    /usr/bin/python3 Tests/portal/test_portal_sso.py [--binary PATH]

Prints `N passed, N failed` and exits non-zero on any failure.
"""

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import API, Page, Server, browser, free_port, raw_get, scenario_main  # noqa: E402

ARTIFACTS = os.path.join("test-artifacts", "portal")
REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def provider_issuer():
    """The run's test provider (`make test` exports it), started when missing."""
    issuer = os.environ.get("TAPSTER_TEST_OIDC_ISSUER")
    if issuer:
        return issuer
    script = os.path.join(REPOSITORY, "scripts", "oidc-provider-for-tests.sh")
    return subprocess.run([script, "start"], check=True, capture_output=True, text=True).stdout.strip()


def set_claims(issuer, sub, claims):
    request = urllib.request.Request(issuer + "/users/" + sub, data=json.dumps(claims).encode(), method="PUT",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204, response.status


class World:
    """The provider, a server trusting it as `corp` (its own URL known before it starts), and browsers."""

    def __init__(self, binary):
        self.issuer = provider_issuer()
        self.config = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
        self.config.write("""oidc_providers:
  - name: corp
    issuer: %s
    client_id: tapster-portal
    client_secret: portal-secret
    scopes: [openid, profile, email]
role_mappings:
  - {claim: groups, value: net-admins, role: admin}
  - {claim: groups, value: team-shop, role: owner, tenant: shop}
""" % self.issuer)
        self.config.close()
        port = free_port()
        self.server = Server(binary, listen="127.0.0.1:%d" % port,
                             extra_args=("--identity-config", self.config.name, "--external-url", "http://127.0.0.1:%d" % port))
        self.api = API(self.server.url)
        self.drivers = []
        self.run = uuid.uuid4().hex[:6]
        try:
            self.setup()
        except Exception:
            self.close()
            raise

    def page(self):
        driver = browser()
        self.drivers.append(driver)
        return Page(driver, self.server.url)

    def person(self, name, groups):
        """A person at the provider: their subject, with a user name and groups."""
        sub = "%s-%s" % (name, self.run)
        set_claims(self.issuer, sub, {"preferred_username": sub, "email": sub + "@example.com", "groups": groups})
        return sub

    def setup(self):
        for tenant in ("shop", "bank"):
            self.api.call("POST", "/tenants", {"name": tenant})
        self.api.call("POST", "/users", {"name": "bob", "role": "owner", "tenants": ["bank"], "password": "bob-password-42"})
        self.api.call("POST", "/workloads", {"name": "web-1", "kind": "container", "host": "host-a", "tenant": "shop", "labels": {"app": "web"}})
        self.api.call("POST", "/targets", {"name": "lab-wireshark", "kind": "erspan", "destination": "192.0.2.10", "session_id": 1})
        self.api.call("POST", "/targets", {"name": "bank-recorder", "kind": "erspan", "destination": "192.0.2.50", "session_id": 9})
        self.api.call("POST", "/filters", {"name": "shop-web", "selector": "app=web"})
        self.api.call("POST", "/filters", {"name": "bank-db", "selector": "app=db"})
        self.api.call("POST", "/grants", {"user": "bob", "filter": "bank-db", "target": "bank-recorder", "max_duration": "2h"})
        self.owner = self.person("olive", ["team-shop", "unrelated"])
        self.admin = self.person("nadia", ["net-admins"])
        self.stranger = self.person("mallory", ["marketing"])

    def close(self):
        for driver in self.drivers:
            try:
                driver.quit()
            except Exception:  # noqa: BLE001
                pass
        self.server.stop()
        os.unlink(self.config.name)


def sign_in(page, sub):
    """Through the portal's button and the provider's own form, as a person would."""
    page.driver.delete_all_cookies()
    page.open("/login")
    page.click("a.sso-provider")
    assert page.driver.current_url.startswith(page.world_issuer), page.driver.current_url
    page.fill("sub", sub)
    page.submit("Authorize")


def provider_page(world):
    page = world.page()
    page.world_issuer = world.issuer
    return page


# ---- Tests ----------------------------------------------------------------------------------------

def test_login_page_offers_the_provider(w):
    page = provider_page(w).open("/login")
    link = page.find("a.sso-provider")
    assert link.text == "Sign in with corp", link.text
    assert link.get_attribute("href").endswith("/login/oidc/corp"), link.get_attribute("href")


def test_a_team_shop_member_lands_on_the_owner_page_with_exactly_shops_grants(w):
    page = provider_page(w)
    sign_in(page, w.owner)
    assert page.path == "/taps", page.path
    user = w.api.call("GET", "/users/" + w.owner)
    assert user["role"] == "owner" and user["tenants"] == ["shop"], user
    # Grants are a person's: the admin grants the newly signed-in owner, whose page then offers exactly that.
    w.api.call("POST", "/grants", {"user": w.owner, "filter": "shop-web", "target": "lab-wireshark", "max_duration": "1h"})
    page.open("/taps")
    assert page.options("filter") == ["shop-web"], page.options("filter")
    assert page.options("target") == ["lab-wireshark"], page.options("target")
    page.driver.save_screenshot(os.path.join(ARTIFACTS, "sso-owner-page.png"))


def test_the_session_cookie_is_tapsters_own_and_the_sign_in_cookie_is_gone(w):
    page = provider_page(w)
    sign_in(page, w.owner)
    session = page.driver.get_cookie("tapster_session")
    assert session and session["httpOnly"] and session.get("sameSite") == "Strict", session
    assert page.driver.get_cookie("tapster_sso") is None


def test_a_net_admins_member_reaches_the_admin_console(w):
    page = provider_page(w)
    sign_in(page, w.admin)
    assert page.path == "/admin/taps", page.path
    page.open("/admin/targets")
    assert "lab-wireshark" in page.text("main")


def test_someone_in_no_mapped_group_is_refused_with_a_page_saying_why(w):
    page = provider_page(w)
    sign_in(page, w.stranger)
    text = page.text("main")
    assert "error 403" in text.lower(), text
    assert "no role mapping gives them access" in text and "groups=marketing" in text, text
    assert page.driver.get_cookie("tapster_session") is None
    page.driver.save_screenshot(os.path.join(ARTIFACTS, "sso-refused.png"))
    events = w.api.call("GET", "/audit?limit=100")["items"]
    assert any(e["action"] == "user.sign_in_refused" and e["actor"] == w.stranger for e in events)


def test_a_callback_without_the_browsers_sign_in_cookie_is_refused(w):
    status, _, body = raw_get(w.server.url + "/login/oidc/corp/callback?code=stolen&state=guessed")
    assert status == 403 and "not started in this browser" in body, (status, body[:300])


def test_sign_out_ends_the_session_and_goes_on_to_the_providers_end_session(w):
    page = provider_page(w)
    sign_in(page, w.owner)
    cookie = page.session_cookie()
    page.find_button("Sign out").click()
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(page.driver, 10).until(lambda d: d.current_url.startswith(w.issuer))
    assert page.driver.current_url.startswith(w.issuer + "/oauth2/end_session"), page.driver.current_url
    status, headers, _ = raw_get(w.server.url + "/taps", cookie=cookie)
    assert status == 303 and headers["Location"].startswith("/login"), (status, headers.get("Location"))


if __name__ == "__main__":
    sys.exit(scenario_main(__doc__, World, globals(), ARTIFACTS, fresh_browsers=True))
