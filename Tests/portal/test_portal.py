#!/usr/bin/python3
"""Browser tests of the Tapster portal: a real `tapster serve`, driven with headless Chromium.

The scenario: the first admin signs in with the one-time password printed by `tapster serve`
and must change it; creates a target, a filter (previewing its matches) and a grant; the owner
signs in, sees exactly the granted choices, enables a tap, sees it active with a countdown,
stops it and re-activates it; cannot reach an admin page nor another tenant's tap; the admin
finds all of it in the audit log. Each test checks one behaviour; they run in order and share
the server. On failure a screenshot goes to test-artifacts/portal/<test>.png.

    /usr/bin/python3 Tests/portal/test_portal.py [--binary PATH]

Prints `N passed, N failed` and exits non-zero on any failure.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import API, Server, World, raw_get, scenario_main  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

ARTIFACTS = os.path.join("test-artifacts", "portal")
ADMIN_PASSWORD = "admin-password-42"
OWNER_PASSWORD = "olive-password-42"


class PortalWorld(World):
    """What the tests share: the server, its API, the browsers, and what earlier tests created."""

    tap_id = second_id = third_id = None

    def setup(self):
        """Through the API: what the portal tests do not create themselves."""
        self.admin = self.page()
        self.owner = self.page()
        for tenant in ("shop", "bank"):
            self.api.call("POST", "/tenants", {"name": tenant, "description": "tenant " + tenant})
        self.api.call("POST", "/users", {"name": "olive", "role": "owner", "tenants": ["shop"], "password": OWNER_PASSWORD})
        self.api.call("POST", "/users", {"name": "bob", "role": "owner", "tenants": ["bank"], "password": "bob-password-42"})
        for name, host, labels in (("web-1", "host-a", {"app": "web"}), ("web-2", "host-b", {"app": "web"}),
                                   ("db-1", "host-a", {"app": "db"})):
            self.api.call("POST", "/workloads", {"name": name, "kind": "container", "host": host, "tenant": "shop", "labels": labels})
        # Objects olive must not be offered: a target and a filter granted only to bob, and bob's tap.
        self.api.call("POST", "/targets", {"name": "bank-recorder", "kind": "erspan", "destination": "192.0.2.50", "session_id": 9})
        self.api.call("POST", "/filters", {"name": "bank-db", "selector": "app=db"})
        self.api.call("POST", "/grants", {"user": "bob", "filter": "bank-db", "target": "bank-recorder", "max_duration": "2h"})
        bob = API(self.server.url, self.api.call("POST", "/login", {"name": "bob", "password": "bob-password-42"})["token"])
        self.bob_tap = bob.call("POST", "/taps", {"filter": "bank-db", "target": "bank-recorder", "duration": "30m"})["id"]


# ---- The first admin ----------------------------------------------------------------------------

def test_printed_url_leads_to_login(w):
    page = w.admin.open("/")
    assert page.path.startswith("/login"), page.path
    assert page.find("label[for=field-name]").text.startswith("User name")
    assert page.find("label[for=field-password]").text.startswith("Password")


def test_one_time_password_forces_a_password_change(w):
    page = w.admin
    page.login("admin", w.server.one_time_password)
    assert page.path == "/account/password", page.path
    assert "one-time password" in page.text("main")
    page.open("/admin/targets")
    assert page.path == "/account/password", "an admin page was reachable before the password change: " + page.path
    page.fill("current_password", w.server.one_time_password)
    page.fill("password", ADMIN_PASSWORD)
    page.fill("password_confirmation", ADMIN_PASSWORD)
    page.submit("Change password")
    assert page.path == "/admin/taps", page.path
    assert "password has been changed" in page.text(".notice")


def test_session_cookie_is_httponly_strict_and_forms_carry_csrf(w):
    cookie = w.admin.driver.get_cookie("tapster_session")
    assert cookie and cookie["httpOnly"] and cookie.get("sameSite") == "Strict", cookie
    assert not cookie.get("secure"), "plain HTTP: the cookie cannot be Secure"
    _, headers, _ = raw_get(w.server.url + "/login", headers={"X-Forwarded-Proto": "https"})
    assert "; Secure" in headers["Set-Cookie"], headers["Set-Cookie"]  # behind a TLS-terminating proxy
    page = w.admin.open("/admin/targets")
    forms = page.all("form[method=post]")
    assert forms, "no forms"
    for form in forms:
        token = form.find_elements(By.CSS_SELECTOR, "input[name=csrf]")
        assert token and len(token[0].get_attribute("value")) == 64, form.get_attribute("action")


def test_post_with_wrong_csrf_token_is_refused(w):
    page = w.admin.open("/admin/tenants")
    w.admin.driver.execute_script("document.querySelectorAll('input[name=csrf]').forEach(function (i) { i.value = 'forged'; })")
    page.fill("name", "forged")
    page.submit("Create tenant")
    assert "error 403" in page.text("main").lower(), page.text("main")
    assert "forged" not in [t["name"] for t in w.api.call("GET", "/tenants")["items"]]


# ---- The admin sets up --------------------------------------------------------------------------

def test_target_form_error_names_the_field_and_keeps_the_input(w):
    page = w.admin.open("/admin/targets")
    page.fill("name", "lab-wireshark")
    page.fill("kind", "erspan")
    page.fill("session_id", "7")
    page.submit("Create target")
    error = page.find("#field-destination-error")
    assert "destination" in error.text, error.text
    assert "field-destination-error" in page.find("#field-destination").get_attribute("aria-describedby")
    assert page.find("#field-name").get_attribute("value") == "lab-wireshark"
    assert page.find("#field-session-id").get_attribute("value") == "7"
    assert page.find(".alert[role=alert]").text


def test_admin_creates_a_target(w):
    page = w.admin  # the form still holds what was typed; add the missing field
    page.fill("destination", "192.0.2.10")
    page.fill("payload", "headers:128")
    page.submit("Create target")
    assert page.path == "/admin/targets", page.path
    assert "Target lab-wireshark created" in page.text(".notice")
    assert "lab-wireshark" in page.text("table")
    assert w.api.call("GET", "/targets/lab-wireshark")["session_id"] == 7


def test_admin_previews_a_filter_before_creating_it(w):
    page = w.admin.open("/admin/filters")
    page.fill("name", "shop-web")
    page.fill("selector", "app=web")
    page.fill("bpf", "tcp port 443")
    page.submit("Preview matches")
    summary = page.text("#preview")
    assert "Matches 2 workloads on 2 hosts" in summary, summary
    assert "web-1" in summary and "web-2" in summary and "db-1" not in summary
    assert page.find("#field-selector").get_attribute("value") == "app=web"


def test_admin_creates_a_filter(w):
    page = w.admin
    page.submit("Create filter")
    assert "Filter shop-web created; it matches 2 workloads on 2 hosts" in page.text(".notice")
    page.open("/admin/filters/shop-web")
    assert "web-1" in page.text("main") and "host-b" in page.text("main")


def test_filter_preview_follows_what_the_admin_types(w):
    page = w.admin.open("/admin/filters")
    page.fill("selector", "app=db")
    page.wait_text("#preview", "Matches 1 workload on 1 host")
    assert "db-1" in page.text("#preview")
    page.fill("selector", "app in (web,db)")
    page.wait_text("#preview", "Matches 3 workloads on 2 hosts")
    page.fill("bpf", "tcp port")
    assert "syntax error" in page.wait_text("#preview", "bpf:")


def test_admin_creates_an_owner_in_two_tenants(w):
    page = w.admin.open("/admin/users")
    page.fill("name", "carol")
    page.fill("role", "owner")
    page.fill("tenants", "shop, bank")
    page.fill("password", "carol-password-42")
    page.submit("Create user")
    assert "User carol created" in page.text(".notice")
    assert w.api.call("GET", "/users/carol")["tenants"] == ["bank", "shop"]


def test_admin_creates_a_grant(w):
    page = w.admin.open("/admin/grants")
    page.fill("user", "olive")
    page.fill("filter", "shop-web")
    page.fill("target", "lab-wireshark")
    page.fill("max_duration", "1h")
    page.submit("Create grant")
    assert "created" in page.text(".notice")
    assert "owner olive" in page.text("table")


# ---- The owner's self-service -------------------------------------------------------------------

def test_owner_sees_exactly_the_granted_choices(w):
    page = w.owner
    page.login("olive", OWNER_PASSWORD)
    assert page.path == "/taps", page.path
    assert page.options("filter") == ["shop-web"], page.options("filter")
    assert page.options("target") == ["lab-wireshark"], page.options("target")
    assert page.options("duration") == ["1m", "5m", "10m", "30m", "1h"], page.options("duration")


def test_owner_enables_a_tap_and_sees_it_active_with_a_countdown(w):
    page = w.owner
    page.fill("filter", "shop-web")
    page.fill("target", "lab-wireshark")
    page.fill("duration", "5m")
    page.submit("Enable tap")
    assert page.path.startswith("/taps/"), page.path
    w.tap_id = page.path.split("/")[2]
    assert page.text("[data-field=state]") == "active"
    assert "no agent has reported yet" in page.text("[data-field=agent-rows]")
    first = page.text("[data-field=time-left]")
    second = page.wait_text_change("[data-field=time-left]", first)
    assert second.startswith("4m"), (first, second)


def test_counters_per_host_refresh_without_reloading(w):
    page = w.owner  # still on the new tap's page
    w.owner.driver.execute_script("window.notReloaded = true")
    w.server.report(w.tap_id, "host-a", 1234, 2048, 0)
    page.wait_text("[data-field=agent-rows]", "host-a", seconds=5)
    w.server.report(w.tap_id, "host-a", 1234567, 5 * 1024 * 1024, 12)
    w.server.report(w.tap_id, "host-b", 42, 4200, 0)
    text = page.wait_text("[data-field=agent-rows]", "host-b", seconds=5)
    assert "1,234,567" in text and "5.0 MiB" in text and "12" in text, text
    assert w.owner.driver.execute_script("return window.notReloaded === true"), "the page reloaded"
    page.open("/taps")
    assert "1,234,567 packets" in page.text('[data-tap="%s"] [data-field=agents]' % w.tap_id)


def test_my_taps_refresh_without_reloading(w):
    page = w.owner.open("/taps")
    row = '[data-tap="%s"]' % w.tap_id
    assert page.find(row + " [data-field=state]").text == "active"
    w.owner.driver.execute_script("window.notReloaded = true")
    tap = w.api.call("GET", "/taps/" + w.tap_id)
    assert tap["state"] == "active"
    # The per-host status comes through the JSON endpoint the page polls.
    status, _, body = raw_get(w.server.url + "/live/taps?ids=" + w.tap_id, cookie=page.session_cookie())
    assert status == 200 and '"packets":1234567' in body and '"remaining_seconds"' in body, body
    # A change made elsewhere (here: the admin's API) reaches the open page by itself.
    w.api.call("POST", "/taps/%s/stop" % w.tap_id)
    page.wait_text(row + " [data-field=state]", "stopped", seconds=5)
    assert w.owner.driver.execute_script("return window.notReloaded === true"), "the page reloaded"
    assert page.find(row + " form[action$=reactivate]").is_displayed()


def test_owner_stops_a_tap(w):
    page = w.owner
    page.submit("Re-activate")  # the row's button, after the admin's stop above
    assert page.text("[data-field=state]") == "active"
    w.second_id = page.path.split("/")[2]
    page.submit("Stop")
    assert "stopped" in page.text(".notice")
    assert page.text("[data-field=state]") == "stopped"
    assert "by user (olive)" in page.text("[data-field=state-detail]")


def test_owner_reactivates_an_ended_tap(w):
    page = w.owner
    page.fill("duration", "10m")
    page.submit("Re-activate")
    assert "re-activated" in page.text(".notice")
    assert page.text("[data-field=state]") == "active"
    assert page.text("[data-field=time-left]").startswith("9m") or page.text("[data-field=time-left]").startswith("10m")
    w.third_id = page.path.split("/")[2]
    assert page.find("a[href='/taps/%s']" % w.second_id)


def test_owner_cannot_reach_an_admin_page(w):
    page = w.owner.open("/admin/targets")
    assert "error 403" in page.text("main").lower() and page.text("h1") == "Not allowed", page.text("main")
    status, _, _ = raw_get(w.server.url + "/admin/targets", cookie=page.session_cookie())
    assert status == 403, status


def test_owner_cannot_reach_another_tenants_tap(w):
    page = w.owner.open("/taps/" + w.bob_tap)
    assert "error 404" in page.text("main").lower() and page.text("h1") == "Not found", page.text("main")
    assert "bank" not in page.text("main")
    status, _, _ = raw_get(w.server.url + "/taps/" + w.bob_tap, cookie=page.session_cookie())
    assert status == 404, status


def test_login_never_returns_off_site(w):
    page = w.page()
    page.driver.delete_all_cookies()
    # A tab is dropped by browsers: "/<tab>/evil.example" would become "//evil.example", another site.
    page.open("/login?next=%2F%09%2Fevil.example")
    page.fill("name", "olive")
    page.fill("password", OWNER_PASSWORD)
    page.submit("Sign in")
    assert page.driver.current_url.startswith(w.server.url + "/"), page.driver.current_url
    assert page.path == "/taps", page.path


def test_password_change_offers_to_sign_out_everywhere_else(w):
    page = w.page()
    page.login("olive", OWNER_PASSWORD)
    page.open("/account/password")
    box = page.find("#field-revoke-other-sessions")
    assert box.get_attribute("type") == "checkbox" and not box.is_selected()
    assert page.find("label[for=field-revoke-other-sessions]").text.startswith("Sign out everywhere else")


def test_forms_work_without_javascript(w):
    page = w.page(javascript=False)
    page.login("olive", OWNER_PASSWORD)
    page.fill("filter", "shop-web")
    page.fill("target", "lab-wireshark")
    page.fill("duration", "1m")
    page.submit("Enable tap")
    assert page.text("[data-field=state]") == "active"
    page.submit("Stop")
    assert page.text("[data-field=state]") == "stopped"


def test_pages_fit_a_phone_screen(w):
    page = w.page(width=390, height=844)
    pages = {"olive": (OWNER_PASSWORD, ("/taps", "/taps/" + w.tap_id, "/account/password")),
             "admin": (ADMIN_PASSWORD, ("/admin/taps", "/admin/targets", "/admin/filters", "/admin/filters/shop-web", "/admin/grants",
                                        "/admin/tenants", "/admin/users", "/admin/inventory", "/admin/audit"))}
    for user, (password, paths) in pages.items():
        page.login(user, password)
        for path in paths:
            page.open(path)
            width, overflow = page.driver.execute_script(
                "return [window.innerWidth, document.documentElement.scrollWidth - window.innerWidth]")
            assert width == 390, width
            assert overflow <= 1, "%s is %spx wider than a phone" % (path, overflow)


def test_everything_is_served_by_tapster_itself(w):
    page = w.owner.open("/taps")
    sources = [e.get_attribute("src") or e.get_attribute("href") for e in page.all("script[src], link[href], img[src]")]
    assert sources and all(s.startswith(w.server.url + "/") for s in sources), sources
    status, headers, _ = raw_get(w.server.url + "/static/portal.css")
    assert status == 200 and "max-age" in headers["Cache-Control"], headers


# ---- The admin's oversight ----------------------------------------------------------------------

def test_admin_force_stops_a_tap(w):
    page = w.admin.open("/admin/taps")
    row = '[data-tap="%s"]' % w.third_id
    assert "olive" in page.text(row)
    page.click(row + " form[action$=stop] button")
    assert page.path == "/admin/taps", page.path
    assert "stopped" in page.text(".notice")
    assert page.text(row + " [data-field=state-detail]") == "by admin (admin)"
    assert w.api.call("GET", "/taps/" + w.third_id)["stopped_by"] == "admin"


def test_failed_logins_are_rate_limited_and_audited(w):
    page = w.page()
    for _ in range(5):
        page.login("olive", "not-the-password")
        assert "wrong user name or password" in page.text(".alert")
    page.login("olive", OWNER_PASSWORD)
    assert "too many failed logins" in page.text(".alert"), page.text("main")
    assert page.find("#field-name").get_attribute("value") == "olive"
    failures = w.api.call("GET", "/audit?action=user.login_failed&actor=olive")["items"]
    assert len(failures) >= 5, failures


def test_admin_sees_it_all_in_the_audit_log(w):
    page = w.admin.open("/admin/audit?actor=olive")
    text = page.text("table.audit")
    for action in ("tap.created", "tap.stopped", "tap.reactivated", "user.login"):
        assert action in text, action
    page.open("/admin/audit")
    page.fill("tap", w.tap_id)
    page.submit("Search")
    assert "tap=" + w.tap_id in page.driver.current_url
    text = page.text("table.audit")
    assert "tap.created" in text and "tap.stopped" in text and "admin" in text
    assert "Intact" in page.text(".chain")
    page.open("/admin/audit?action=target.&since=1h")
    assert "lab-wireshark" in page.text("table.audit")
    csv_link = page.find("a[download]").get_attribute("href")
    status, headers, body = raw_get(csv_link, cookie=page.session_cookie())
    assert status == 200 and headers["Content-Type"].startswith("text/csv"), headers
    assert body.startswith("sequence,time,actor,action") and "target.created" in body and "tap.created" not in body


def test_sign_out_ends_the_session(w):
    page = w.owner.open("/taps")
    cookie = page.session_cookie()
    page.submit("Sign out")
    assert page.path == "/login", page.path
    assert "signed out" in page.text(".notice")
    status, headers, _ = raw_get(w.server.url + "/taps", cookie=cookie)
    assert status == 303 and headers["Location"].startswith("/login"), (status, headers)


def tour_first(world):
    if os.environ.get("PORTAL_TOUR"):
        from tour import tour
        tour(world, ADMIN_PASSWORD, os.path.join(ARTIFACTS, "tour"))


if __name__ == "__main__":
    sys.exit(scenario_main(__doc__, lambda binary: PortalWorld(Server(binary)), globals(), ARTIFACTS, before_close=tour_first))
