"""Browser tests: headless Chromium (Debian's `chromium` package) driven by Playwright against the real
pages served by pytest-django's live server.

Without a browser they are skipped with instructions. Screenshots for the README are written when
`CRM_SCREENSHOTS_DIR` is set (`make screenshots`).
"""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the tests
# themselves are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CRM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery staple"


def pytest_collection_modifyitems(config, items):
    if CHROMIUM:
        return
    skip = pytest.mark.skip(reason="no Chromium found: install it with `apt-get install chromium chromium-driver`")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


# Every page of the context reports what its Content-Security-Policy blocked, as a console error.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile || document.location.href}:${event.lineNumber}`);
});
"""


@pytest.fixture
def csp_expected() -> list[str]:
    """Texts of CSP violations a test expects (and wants): a test appends to it; the rest fail the test."""
    return []


@pytest.fixture
def page(browser, live_server, csp_expected):
    """A page in a fresh context; the test fails if any page of that context broke its CSP."""
    context = browser.new_context(viewport={"width": 1366, "height": 860}, base_url=live_server.url)
    context.set_default_timeout(20_000)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    violations = []
    context.on(
        "console",
        lambda message: (
            message.type == "error"
            and ("CSP violation" in message.text or "Content Security Policy" in message.text)
            and violations.append(f"{message.page.url if message.page else ''}: {message.text}")
        ),
    )
    page = context.new_page()
    yield page
    context.close()
    unexpected = [text for text in violations if not any(expected in text for expected in csp_expected)]
    assert unexpected == [], "\n".join(unexpected)


@pytest.fixture
def sign_in(page):
    """Sign a user in through the real login page (users from tests.factories have `PASSWORD`)."""

    def _sign_in(user):
        page.goto("/login/")
        page.fill("input[name=username]", user.get_username())
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    return _sign_in


@pytest.fixture
def screenshot(page):
    """Save a screenshot named `name`.png when CRM_SCREENSHOTS_DIR is set; otherwise do nothing."""
    directory = os.environ.get("CRM_SCREENSHOTS_DIR")

    def _shot(name: str, target=None):
        if directory:
            Path(directory).mkdir(parents=True, exist_ok=True)
            (target or page).screenshot(path=str(Path(directory) / f"{name}.png"))

    return _shot
