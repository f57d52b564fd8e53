"""Browser tests: Playwright driving Debian's Chromium against the live test server.

They skip, saying why, where no Chromium is installed; CI sets REQUIRE_BROWSER=1 so they fail there
instead of skipping.
"""

import io
import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

# Playwright's sync API runs an event loop in the test's thread; the test itself still reads the
# database synchronously to check what the browser did.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PASSWORDS = {"admin": "admin", "accountant": "accountant", "reviewer": "reviewer"}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but no Chromium at {CHROMIUM}: apt-get install chromium")
        pytest.skip("no Chromium installed (apt-get install chromium); CI runs these with REQUIRE_BROWSER=1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def demo_data(live_server):
    call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture
def page(browser, live_server, demo_data):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    # The Content-Security-Policy forbids inline scripts: any page that still needs one shows up here.
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(f"{page.url}: {m.text}"))
    yield page
    context.close()
    assert violations == [], violations


def login(page, username):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORDS[username])
    page.click("input[type=submit]")
    page.wait_for_selector("#content")


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
