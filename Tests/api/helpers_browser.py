"""A real browser for the admin page tests: Debian's chromium, headless, driven by selenium through Debian's
chromedriver (both installed by `make deps`). Nothing is downloaded: the paths are given, and the features
of Chromium that call Google's servers are off, so the browser talks only to the test's server."""
import os
import shutil

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Figures measured by the browser tests, printed at the end of the run (conftest.pytest_terminal_summary).
FIGURES = []

QUIET_CHROMIUM = [
    "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
    "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-domain-reliability", "--no-pings",
    "--disable-client-side-phishing-detection", "--disable-default-apps", "--lang=en-US",
    "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication",
]


class Browser:
    """One Chromium with the page's helpers. `shots` is the folder for screenshots (the test's tmp dir)."""

    def __init__(self, base_url, shots, log_path, width=1440, height=900):
        assert os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER), \
            "chromium and chromium-driver are not installed (make deps installs them)"
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in QUIET_CHROMIUM:
            options.add_argument(argument)
        options.add_argument(f"--window-size={width},{height}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER, log_output=str(log_path)), options=options)
        self.base_url = base_url
        self.shots = shots
        self.viewport(width, height)

    def quit(self):
        self.driver.quit()

    # --- navigation and waiting -------------------------------------------------------------------------

    def viewport(self, width, height=900):
        """Exactly this many CSS pixels of page, as a phone (narrow) or a desktop (wide) would have."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})

    def open(self, route=""):
        """A fresh load of the page at `#/route` (about:blank first: a change of the fragment alone is no load)."""
        self.driver.get("about:blank")
        self.driver.get(self.base_url + "/app" + (f"#/{route}" if route else ""))

    def go(self, route):
        """Moves inside the loaded page, as its links do."""
        self.driver.execute_script("location.hash = arguments[0]", "#/" + route)

    def wait(self, condition, what, timeout=30):
        try:
            # The page replaces its content as it navigates: an element read the moment it goes is read again.
            return WebDriverWait(self.driver, timeout, poll_frequency=0.05, ignored_exceptions=(
                StaleElementReferenceException, NoSuchElementException)).until(lambda _: condition(), message=what)
        except TimeoutException as error:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; page: {self.main_text()[:800]}") from error

    def wait_heading(self, text):
        self.wait(lambda: self.heading() == text, f"the heading {text!r}")

    def wait_text(self, css, predicate, what):
        def found():
            elements = self.driver.find_elements(By.CSS_SELECTOR, css)
            return elements and predicate(elements[0].text) and elements[0].text
        return self.wait(found, what)

    # --- reading the page -------------------------------------------------------------------------------

    def heading(self):
        elements = self.driver.find_elements(By.CSS_SELECTOR, "main h1")
        return elements[0].text if elements else None

    def main_text(self):
        elements = self.driver.find_elements(By.CSS_SELECTOR, "main")
        return elements[0].text if elements else ""

    def summary(self):
        return self.driver.find_element(By.CSS_SELECTOR, "main .summary").text

    def flash(self):
        elements = self.driver.find_elements(By.CSS_SELECTOR, "main .flash")
        return elements[0].text if elements else None

    def rows(self, css="main .results tbody tr"):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def column(self, index, css="main .results tbody tr"):
        """The text of one cell per row; cells read by textContent, so the narrow layout's labels do not count."""
        return [row.find_elements(By.CSS_SELECTOR, "td")[index].get_property("textContent") for row in self.rows(css)]

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def field(self, name, within="main"):
        return self.driver.find_element(By.CSS_SELECTOR, f'{within} [name="{name}"]')

    def field_error(self, name, within="main"):
        element = self.driver.find_element(By.CSS_SELECTOR, f'{within} [data-field="{name}"] .field-error')
        return element.text

    def form_error(self, within="main"):
        return self.driver.find_element(By.CSS_SELECTOR, f"{within} [data-form-error]").text

    # --- acting -----------------------------------------------------------------------------------------

    def fill(self, name, value, within="main"):
        element = self.field(name, within)
        element.clear()
        if value:
            element.send_keys(value)
        return element

    def set_value(self, name, value, within="main"):
        """For date inputs, whose typing order depends on the locale: set the value the picker would set."""
        self.driver.execute_script("arguments[0].value = arguments[1]", self.field(name, within), value)

    def choose(self, name, value, within="main"):
        Select(self.field(name, within)).select_by_value(value)

    def submit(self, within):
        self.find(f'{within} button[type="submit"]').click()

    def keys(self, *keys):
        """Typed into whatever has focus, as a keyboard would."""
        self.driver.switch_to.active_element.send_keys(*keys)

    def tab_until(self, predicate, what, limit=60):
        """Presses Tab until the focused element satisfies `predicate`, at most `limit` times."""
        for _ in range(limit):
            self.keys(Keys.TAB)
            if predicate(self.driver.switch_to.active_element):
                return self.driver.switch_to.active_element
        raise AssertionError(f"{what}: not reached with {limit} presses of Tab")

    def screenshot(self, name):
        path = self.shots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def console_errors(self):
        """Script errors and policy violations since the last call; failed requests (401s, 404s) are the
        network's log, and expected in these tests."""
        return [entry for entry in self.driver.get_log("browser")
                if entry["level"] == "SEVERE" and entry.get("source") != "network"]

    def fetch_status(self, path):
        """The status the page's origin gets for GET `path` with its cookies (none once signed out)."""
        return self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0], {credentials: 'same-origin'}).then(r => done(r.status), e => done(String(e)));", path)


def copy_screenshots(shots, names):
    """ADMIN_PAGE_SCREENSHOTS=<dir> also copies the named screenshots there (how docs/ gets the README's)."""
    target = os.environ.get("ADMIN_PAGE_SCREENSHOTS")
    if not target:
        return
    os.makedirs(target, exist_ok=True)
    for name in names:
        if (shots / f"{name}.png").exists():
            shutil.copy(shots / f"{name}.png", os.path.join(target, f"admin-{name}.png"))
