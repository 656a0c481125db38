"""Screenshots of every portal page at laptop and phone widths, for people to look at.

Run by test_portal.py after the tests when PORTAL_TOUR=1; the pictures go to test-artifacts/portal/tour/.
"""

import os

OWNER = ("bob", "bob-password-42")


def capture(page, name, folder):
    """A full-page screenshot at each width (Chromium's device emulation, so phones get a phone viewport)."""
    for label, width, mobile in (("laptop", 1280, False), ("phone", 390, True)):
        metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": mobile}
        page.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        metrics["height"] = min(page.driver.execute_script("return document.documentElement.scrollHeight"), 8000)
        page.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        page.driver.save_screenshot(os.path.join(folder, "%s-%s.png" % (name, label)))
    page.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def tour(world, admin_password, folder):
    os.makedirs(folder, exist_ok=True)
    world.server.report(world.bob_tap, "host-a", 1843211, 912345678, 0)
    world.server.report(world.bob_tap, "host-b", 52114, 8123456, 17)
    anonymous = world.page()
    anonymous.open("/login")
    capture(anonymous, "login", folder)
    owner = world.page()
    owner.login(*OWNER)
    for name, path in (("owner-taps", "/taps"), ("owner-tap", "/taps/" + world.bob_tap), ("password", "/account/password"),
                       ("forbidden", "/admin/targets"), ("not-found", "/taps/00000000-0000-0000-0000-000000000000")):
        owner.open(path)
        capture(owner, name, folder)
    admin = world.page()
    admin.login("admin", admin_password)
    for name in ("taps", "targets", "filters", "grants", "tenants", "users", "inventory", "audit"):
        admin.open("/admin/" + name)
        capture(admin, "admin-" + name, folder)
    admin.open("/admin/filters/shop-web")
    capture(admin, "admin-filter", folder)
    admin.open("/admin/targets")
    admin.fill("name", "Bad Name")
    admin.submit("Create target")
    capture(admin, "admin-target-error", folder)
