#!/usr/bin/python3
"""Browser tests of the portal's four-eyes approval: a real `tapster serve`, driven with headless Chromium.

The scenario: owner olive may tap filter `web` into the full-payload target `tool` only with an admin's approval.
Her requests wait `pending`; she sees them so on her page; admin ada finds them in the console's approval queue
(/admin/approvals, linked from the navigation), rejects one with a reason and approves the other; olive then sees
one rejected with the reason and one active. An auditor sees the queue without buttons. Screenshots of failed tests
land in test-artifacts/portal/<test>.png.

    /usr/bin/python3 Tests/portal/test_portal_approvals.py [--binary PATH]

Prints `N passed, N failed` and exits non-zero on any failure.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import API, Server, World, scenario_main  # noqa: E402

ARTIFACTS = os.path.join("test-artifacts", "portal")
OWNER = ("olive", "olive-password-42")
ADMIN = ("ada", "ada-password-42")
AUDITOR = ("audrey", "audrey-password-42")


class ApprovalWorld(World):
    """The server with olive's grant that requires approval, two requests of hers, and the browsers."""

    def setup(self):
        self.api.call("POST", "/tenants", {"name": "shop"})
        self.api.call("POST", "/users", {"name": OWNER[0], "role": "owner", "tenants": ["shop"], "password": OWNER[1]})
        self.api.call("POST", "/users", {"name": ADMIN[0], "role": "admin", "password": ADMIN[1]})
        self.api.call("POST", "/users", {"name": AUDITOR[0], "role": "auditor", "password": AUDITOR[1]})
        self.api.call("POST", "/targets", {"name": "tool", "kind": "erspan", "destination": "192.0.2.9", "session_id": 9})
        self.api.call("POST", "/filters", {"name": "web", "tenant": "shop", "selector": "app=web"})
        self.api.call("POST", "/grants", {"user": OWNER[0], "filter": "web", "target": "tool", "max_duration": "1h",
                                          "approval": "required"})
        token = self.api.call("POST", "/users/olive/tokens", {"name": "portal-test"})["token"]
        olive = API(self.server.url, token=token)
        self.first = olive.call("POST", "/taps", {"filter": "web", "target": "tool", "duration": "15m", "description": "first"})["id"]
        self.second = olive.call("POST", "/taps", {"filter": "web", "target": "tool", "duration": "15m", "description": "second"})["id"]

    def signed_in(self, who):
        page = self.page()
        page.login(*who)
        return page


def test_the_owner_sees_her_requests_waiting_for_approval(w):
    page = w.signed_in(OWNER).open("/taps")
    for tap in (w.first, w.second):
        row = page.find("tr[data-tap='%s']" % tap)
        assert "pending" in row.text and "waiting for an admin's approval" in row.text, row.text
    assert not page.all("nav a[href='/admin/approvals']"), "owners have no approval queue"


def test_an_auditor_sees_the_queue_without_buttons(w):
    page = w.signed_in(AUDITOR).open("/admin/approvals")
    assert page.find("tr[data-tap='%s']" % w.first)
    assert not page.all("form[action$='/approve']") and not page.all("form[action$='/reject']")


def test_an_admin_rejects_one_with_a_reason_and_approves_the_other(w):
    page = w.signed_in(ADMIN)
    page.click("nav a[href='/admin/approvals']")
    assert page.path == "/admin/approvals", page.path
    assert [row.get_attribute("data-tap") for row in page.all("tr[data-tap]")] == [w.first, w.second]

    page.find("#reason-%s" % w.first).send_keys("not during the freeze")
    page.click("tr[data-tap='%s'] button[name='reject']" % w.first)
    assert "rejected" in page.text(), page.text()
    page.click("tr[data-tap='%s'] button[name='approve']" % w.second)
    assert "approved" in page.text(), page.text()
    assert not page.all("tr[data-tap]"), "the queue is empty"


def test_the_owner_sees_the_decisions(w):
    page = w.signed_in(OWNER).open("/taps/%s" % w.first)
    assert "rejected" in page.text() and "not during the freeze" in page.text(), page.text()
    page.open("/taps/%s" % w.second)
    assert "active" in page.text() and "approved by ada" in page.text(), page.text()


if __name__ == "__main__":
    sys.exit(scenario_main(__doc__, lambda binary: ApprovalWorld(Server(binary)), globals(), ARTIFACTS, fresh_browsers=True))
