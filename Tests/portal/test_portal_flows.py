#!/usr/bin/python3
"""Browser tests of the portal's flow map (/flows/map): a real `tapster serve`, driven with headless Chromium.

The scenario: flow records of two tenants are in the store (written as the agents' reports would leave them);
the owner of one opens the map and sees their edges as an SVG with a table of the same edges, never the other
tenant's workload names (a flow into it shows its address); a workload named like markup is text; the search
form narrows the map; with JavaScript the open map takes in new flows without reloading, without JavaScript it
is complete and static; it fits a phone. A screenshot of the map is kept as test-artifacts/portal/flow-map.png,
and on failure one per browser as test-artifacts/portal/<test>.png.

    /usr/bin/python3 Tests/portal/test_portal_flows.py [--binary PATH]

Prints `N passed, N failed` and exits non-zero on any failure.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Server, World, raw_get, scenario_main  # noqa: E402

ARTIFACTS = os.path.join("test-artifacts", "portal")
OWNER = ("olive", "olive-password-42")
OTHER = ("bob", "bob-password-42")
HOSTILE = "<script>pwned=1</script>"


class FlowWorld(World):
    """The server with shop's and bank's workloads and flows, and the browsers."""

    def owner(self, **options):
        page = self.page(**options)
        page.login(*OWNER)
        return page

    def setup(self):
        for tenant in ("shop", "bank"):
            self.api.call("POST", "/tenants", {"name": tenant})
        for (name, password), tenant in ((OWNER, "shop"), (OTHER, "bank")):
            self.api.call("POST", "/users", {"name": name, "role": "owner", "tenants": [tenant], "password": password})
        for name, host, tenant, labels, ip in (("web-1", "host-a", "shop", {"app": "web"}, "10.0.0.1"),
                                               ("db-1", "host-a", "shop", {"app": "db"}, "10.0.0.3"),
                                               ("api-1", "host-b", "shop", {"app": "api"}, "10.0.0.4"),
                                               (HOSTILE, "host-b", "shop", {}, "10.0.0.66"),
                                               ("ledger-1", "host-c", "bank", {"app": "ledger"}, "10.9.0.1"),
                                               ("vault-1", "host-c", "bank", {"app": "vault"}, "10.9.0.2")):
            self.api.call("POST", "/workloads", {"name": name, "kind": "container", "host": host, "tenant": tenant, "labels": labels,
                                                 "interfaces": [{"name": "eth0", "ips": [ip]}]})
        web = ("10.0.0.1", 41000)
        # shop: web -> db twice (one reset), web -> the bank's ledger, the markup-named workload -> web
        self.server.flow("shop", "web-1", web, ("10.0.0.3", 5432), octets=(4000, 8000))
        self.server.flow("shop", "web-1", ("10.0.0.1", 41001), ("10.0.0.3", 5432), end="reset", octets=(100, 0), packets=(2, 1))
        self.server.flow("shop", "web-1", ("10.0.0.1", 41002), ("10.9.0.1", 443))
        self.server.flow("shop", "web-1", ("10.0.0.66", 50000), ("10.0.0.1", 8080))
        # bank: ledger -> vault, which no shop owner may see
        self.server.flow("bank", "ledger-1", ("10.9.0.1", 42000), ("10.9.0.2", 8200), host="host-c")


def edges(page):
    """The SVG's edges as `from -> to proto/port`, sorted."""
    return sorted("%s -> %s %s/%s" % tuple(g.get_attribute(a) for a in ("data-from", "data-to", "data-protocol", "data-port"))
                  for g in page.all("#flow-map svg g.edge"))


def table_edges(page):
    return sorted(" ".join(cell.text for cell in row.find_elements("css selector", "th, td")[:3]) for row in page.all("#flow-map tr[data-edge]"))


def test_the_map_is_in_every_roles_navigation(w):
    page = w.owner()
    link = page.find("nav a[href='/flows/map']")
    assert link.text == "Flow map", link.text
    page.click("nav a[href='/flows/map']")
    assert page.path == "/flows/map", page.path
    assert page.find("nav a[href='/flows/map']").get_attribute("aria-current") == "page"


def test_an_owner_sees_their_edges_and_the_other_tenant_only_as_an_address(w):
    page = w.owner().open("/flows/map")
    assert edges(page) == ["%s -> app=web tcp/8080" % HOSTILE, "app=web -> 10.9.0.1 tcp/443", "app=web -> app=db tcp/5432"], edges(page)
    nodes = sorted((g.get_attribute("data-id"), g.get_attribute("data-kind")) for g in page.all("#flow-map svg g.node"))
    assert nodes == [("10.9.0.1", "address"), (HOSTILE, "workload"), ("app=db", "group"), ("app=web", "group")], nodes
    text = page.text("main")
    for secret in ("ledger", "vault", "10.9.0.2", "bank"):
        assert secret not in text and secret not in page.driver.page_source, secret
    label = page.text("#flow-map svg g.edge[data-to='app=db'] text")
    assert label == "tcp/5432 · 2 conn · 11.8 KiB · 1 reset", label
    assert "reset" in page.find("#flow-map svg g.edge[data-to='app=db']").get_attribute("class")
    assert "4 nodes, 3 edges, grouped by app." in text, text
    # The same edges as a table, for screen readers and copying.
    assert table_edges(page) == ["%s app=web tcp/8080" % HOSTILE, "app=web 10.9.0.1 tcp/443", "app=web app=db tcp/5432"], table_edges(page)
    page.driver.save_screenshot(os.path.join(ARTIFACTS, "flow-map.png"))


def test_a_workload_named_like_markup_is_only_text(w):
    page = w.owner().open("/flows/map")
    assert page.driver.execute_script("return typeof window.pwned") == "undefined"
    assert not page.all("#flow-map script")
    shown = page.text("#flow-map svg g.node.workload text.node-id")
    assert shown == HOSTILE, shown
    assert page.text("#flow-map tr[data-edge] th") == HOSTILE


def test_the_map_fits_the_page_and_needs_nothing_from_elsewhere(w):
    page = w.owner().open("/flows/map")
    svg = page.find("#flow-map svg")
    view_box = page.driver.execute_script("return arguments[0].getAttribute('viewBox')", svg)
    assert view_box.startswith("0 0 ") and svg.get_attribute("width") == "100%", view_box
    main_width = page.find("main").size["width"]
    assert svg.size["width"] <= main_width, (svg.size, main_width)
    sources = [e.get_attribute("src") or e.get_attribute("href") for e in page.all("script[src], link[href], img[src]")]
    assert all(s.startswith(w.server.url + "/") for s in sources), sources
    status, headers, _ = raw_get(w.server.url + "/flows/map", cookie=page.session_cookie())
    assert status == 200 and "default-src 'self'" in headers["Content-Security-Policy"], headers
    phone = w.page(width=390, height=844)
    phone.login(*OWNER)
    phone.open("/flows/map")
    overflow = phone.driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, "the map page is %spx wider than a phone" % overflow


def test_the_search_narrows_the_map(w):
    page = w.owner().open("/flows/map")
    assert page.find("#field-since").get_attribute("value") == "1h"
    assert page.find("#field-group-by").get_attribute("value") == "app"
    page.fill("selector", "app=web")
    page.fill("peer", "app=db")
    page.submit("Show map")
    assert "selector=app%3Dweb" in page.driver.current_url, page.driver.current_url
    assert edges(page) == ["app=web -> app=db tcp/5432"], edges(page)
    page.open("/flows/map?since=yesterday")
    assert "since" in page.text("#field-since-error"), page.text("main")


def test_without_javascript_the_map_is_complete(w):
    page = w.owner(javascript=False).open("/flows/map")
    assert len(edges(page)) == 3, edges(page)
    assert len(page.all("#flow-map tr[data-edge]")) == 3


def test_the_open_map_takes_in_new_flows_without_reloading(w):
    page = w.owner().open("/flows/map")
    page.driver.execute_script("window.notReloaded = true")
    assert "app=web -> app=api tcp/8080" not in edges(page)
    w.server.flow("shop", "web-1", ("10.0.0.1", 41003), ("10.0.0.4", 8080), seconds_ago=1)
    page.wait_text("#flow-map", "app=api", seconds=15)
    assert "app=web -> app=api tcp/8080" in edges(page), edges(page)
    assert page.driver.execute_script("return window.notReloaded === true"), "the page reloaded"
    assert int(page.find("#flow-map").get_attribute("data-refreshes")) >= 1


def test_the_other_tenants_owner_sees_only_their_own(w):
    page = w.page()
    page.login(*OTHER)
    page.open("/flows/map")
    assert edges(page) == ["app=ledger -> app=vault tcp/8200"], edges(page)
    assert "web" not in page.text("#flow-map") and HOSTILE not in page.driver.page_source


if __name__ == "__main__":
    sys.exit(scenario_main(__doc__, lambda binary: FlowWorld(Server(binary)), globals(), ARTIFACTS, fresh_browsers=True))
