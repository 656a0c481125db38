"""What the portal browser tests stand on: a real `tapster serve`, its API, and headless Chromium.

Run with Debian's /usr/bin/python3 (python3-selenium is installed for it, not for pyenv's python3).
"""

import datetime
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

ADMIN_TOKEN = "portal-test-admin-token-0123456789"
WAIT = 10  # seconds any one expected thing may take to appear


class Server:
    """`tapster serve` on a free loopback port (it prints the URL), with a temporary data directory."""

    def __init__(self, binary, listen="127.0.0.1:0", extra_args=()):
        self.data_dir = tempfile.mkdtemp(prefix="tapster-portal-")
        self.lines = []
        self.process = subprocess.Popen(
            [binary, "serve", "--listen", listen, "--data-dir", self.data_dir, "--log-level", "warning", *extra_args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=dict(os.environ, TAPSTER_ADMIN_TOKEN=ADMIN_TOKEN))
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self._wait_for(r"Tapster is listening on (http://\S+)", 60)
        self.one_time_password = self._wait_for(r"password:\s+(\S+)", 10)
        self._wait_healthy(30)

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def _wait_for(self, pattern, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for line in list(self.lines):
                match = re.search(pattern, line)
                if match:
                    return match.group(1)
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("tapster serve did not print %r; it printed:\n%s" % (pattern, "\n".join(self.lines)))

    def _wait_healthy(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("GET /healthz did not answer within %ss" % seconds)

    def report(self, tap_id, agent, packets, octets, drops, state="applied"):
        """Stands in for a host's agent reporting a tap's counters (until the agent channel lands):
        writes the per-agent status row the store keeps, in the store's JSON."""
        now = datetime.datetime.now(datetime.timezone.utc)
        body = {"agent": agent, "state": state, "packets": packets, "bytes": octets, "drops": drops,
                "updated_at": now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)}
        with sqlite3.connect(os.path.join(self.data_dir, "tapster.sqlite"), timeout=10) as db:
            db.execute("INSERT INTO tap_agent_status (tap_id, agent, updated_at_ms, body) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (tap_id, agent) DO UPDATE SET updated_at_ms = excluded.updated_at_ms, body = excluded.body",
                       (tap_id, agent, int(now.timestamp() * 1000), json.dumps(body)))

    def flow(self, tenant, workload, client, server, protocol=6, packets=(10, 8), octets=(1000, 2000), end="fin", host="host-a",
             tap_id="portal-flows-tap", seconds_ago=5):
        """Stands in for a host's agent reporting a `flows` tap's record of one flow from `client` to `server`
        (`(address, port)` each) seen on `workload`, of `tenant`: writes the row the store keeps, in the store's JSON."""
        now = datetime.datetime.now(datetime.timezone.utc)
        first = now - datetime.timedelta(seconds=seconds_ago)

        def stamp(moment):
            return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)

        flags = 0x02 | 0x10 | (0x04 if end == "reset" else 0x01)  # SYN, ACK, and FIN or RST
        body = {"tap_id": tap_id, "host": host, "workload": workload, "interface": "eth0", "ip_protocol": protocol,
                "client": {"address": client[0], "port": client[1]}, "server": {"address": server[0], "port": server[1]},
                "to_server": {"packets": packets[0], "bytes": octets[0]}, "to_client": {"packets": packets[1], "bytes": octets[1]},
                "tcp_flags_to_server": flags, "tcp_flags_to_client": flags, "first_seen": stamp(first), "last_seen": stamp(now),
                "end": end, "http": []}
        key = "|".join([tap_id, host, workload, "eth0", str(protocol), "%s:%d" % client, "%s:%d" % server,
                        str(int(first.timestamp() * 1000))])
        with sqlite3.connect(os.path.join(self.data_dir, "tapster.sqlite"), timeout=10) as db:
            db.execute("INSERT INTO flows (id, tap_id, host, workload, tenant, first_seen_ms, last_seen_ms, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (key, tap_id, host, host + "/" + workload, tenant, int(first.timestamp() * 1000), int(now.timestamp() * 1000),
                        json.dumps(body)))

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)


class API:
    """The native API, for setting up what a test does not exercise through the browser."""

    def __init__(self, url, token=ADMIN_TOKEN):
        self.url = url
        self.token = token

    def call(self, method, path, body=None, expect=(200, 201, 204)):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + "/api/v1" + path, data=data, method=method)
        request.add_header("Authorization", "Bearer " + self.token)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        if status not in expect:
            raise AssertionError("%s %s answered %s: %s" % (method, path, status, text))
        return json.loads(text) if text else None


def free_port():
    """A loopback port free a moment ago (for a server that must know its own URL before it starts)."""
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def raw_get(url, cookie=None, headers=None):
    """GET without following redirects: (status, headers, body)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url)
    if cookie:
        request.add_header("Cookie", cookie)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def browser(javascript=True, width=1280, height=900):
    """Headless Debian Chromium through Debian's chromedriver."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--no-sandbox", "--headless=new", "--disable-gpu", "--window-size=%d,%d" % (width, height),
                     "--disable-dev-shm-usage", "--lang=en-US"):
        options.add_argument(argument)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    if width < 500:  # narrower than Chromium's smallest window: emulate a phone's screen instead
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})
    return driver


class Page:
    """A browser on the portal, with the few moves the tests make."""

    def __init__(self, driver, base):
        self.driver = driver
        self.base = base

    def open(self, path):
        self.driver.get(self.base + path)
        return self

    @property
    def path(self):
        return "/" + self.driver.current_url.split("/", 3)[3] if self.driver.current_url.count("/") >= 3 else "/"

    def find(self, css):
        return WebDriverWait(self.driver, WAIT).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))

    def all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css="body"):
        return self.find(css).text

    def fill(self, field, value):
        element = self.find('[name="%s"]' % field)
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)

    def submit(self, label):
        """Clicks the submit button with this text and waits for the next page."""
        self._click_and_wait(self.find_button(label))

    def click(self, css):
        """Clicks the element and waits for the next page."""
        self._click_and_wait(self.find(css))

    def _click_and_wait(self, element):
        old = self.driver.find_element(By.TAG_NAME, "html")
        element.click()

        def replaced(_):
            try:
                old.is_enabled()
                return False
            except WebDriverException:  # stale, or already detached while Chromium swaps documents
                return True

        WebDriverWait(self.driver, WAIT).until(replaced)

    def find_button(self, label):
        for button in self.all("button"):
            if button.is_displayed() and button.text.strip().startswith(label):
                return button
        raise AssertionError("no visible button %r on %s" % (label, self.path))

    def options(self, field):
        return [option.get_attribute("value") for option in Select(self.find('[name="%s"]' % field)).options
                if option.get_attribute("value")]

    def wait_text(self, css, expected, seconds=WAIT):
        """Waits until the element's text contains `expected`; returns that text. An element the page
        replaced between its lookup and the read of its text (a live view re-rendering) is looked up again."""
        def text_with_expected(_):
            text = self.driver.find_element(By.CSS_SELECTOR, css).text or ""
            return text if expected in text else False
        return WebDriverWait(self.driver, seconds, ignored_exceptions=(StaleElementReferenceException,)).until(text_with_expected)

    def wait_text_change(self, css, previous, seconds=WAIT):
        """Waits until the element's text is no longer `previous` (a live view re-rendered it); returns the new text."""
        def changed(_):
            text = self.driver.find_element(By.CSS_SELECTOR, css).text or ""
            return text if text != previous else False
        return WebDriverWait(self.driver, seconds, ignored_exceptions=(StaleElementReferenceException,)).until(changed)

    def login(self, name, password):
        self.driver.delete_all_cookies()
        self.open("/login")
        self.fill("name", name)
        self.fill("password", password)
        self.submit("Sign in")

    def session_cookie(self):
        cookie = self.driver.get_cookie("tapster_session")
        return "tapster_session=" + cookie["value"] if cookie else None


class World:
    """What a scenario's world stands on: its server, the API as the admin, and the browsers its tests opened
    (quit when it closes). A scenario's subclass creates what its tests share in `setup`."""

    def __init__(self, server):
        self.server = server
        self.api = API(server.url)
        self.drivers = []
        try:
            self.setup()
        except Exception:
            self.close()
            raise

    def setup(self):
        pass

    def page(self, **options):
        driver = browser(**options)
        self.drivers.append(driver)
        return Page(driver, self.server.url)

    def close(self):
        for driver in self.drivers:
            try:
                driver.quit()
            except Exception:  # noqa: BLE001 - closing whatever is left
                pass
        self.server.stop()


def scenario_main(doc, make_world, namespace, artifacts, **options):
    """A scenario script's `main`: reads `--binary`, runs the `test_*` functions of `namespace` in order on
    `make_world(binary)` (``run_scenario``, with `options`) and returns the exit status."""
    import argparse
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--binary", default=os.environ.get("TAPSTER_BIN", "/var/cache/tapster/build/debug/tapster"))
    arguments = parser.parse_args()
    tests = [value for name, value in list(namespace.items()) if name.startswith("test_")]
    return run_scenario(lambda: make_world(arguments.binary), tests, artifacts, **options)


def run_scenario(make_world, tests, artifacts, fresh_browsers=False, before_close=None):
    """Runs `tests` in order on one world (a failed test is reported and the others still run), with screenshots
    of every browser of a failed test in `artifacts`; prints `N passed, N failed` and returns the exit status.
    `fresh_browsers` quits a test's browsers after it; `before_close(world)` runs before the world closes."""
    import traceback
    os.makedirs(artifacts, exist_ok=True)
    passed = failed = 0
    world = None
    try:
        world = make_world()
        for test in tests:
            started = time.monotonic()
            try:
                test(world)
                passed += 1
                print("PASS %s (%.1fs)" % (test.__name__, time.monotonic() - started), flush=True)
            except Exception:  # noqa: BLE001 - a failed test is reported, and the others still run
                failed += 1
                print("FAIL %s\n%s" % (test.__name__, traceback.format_exc()), flush=True)
                for index, driver in enumerate(world.drivers):
                    suffix = "" if index == 0 else "-%d" % index
                    try:
                        driver.save_screenshot(os.path.join(artifacts, "%s%s.png" % (test.__name__, suffix)))
                    except Exception:  # noqa: BLE001
                        pass
            finally:
                if fresh_browsers:
                    for driver in world.drivers:
                        driver.quit()
                    world.drivers.clear()
    except Exception:  # noqa: BLE001 - the server, a provider or a browser did not start
        failed += 1
        print("FAIL setup\n%s" % traceback.format_exc(), flush=True)
    finally:
        if world is not None:
            if before_close:
                before_close(world)
            if failed:
                print("--- tapster serve output ---\n" + "\n".join(world.server.lines[-40:]))
            world.close()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0

