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


# Every visible element that passes the right edge of the box it should fit in: its parent's, or the
# viewport's for positioned ones. A container that scrolls horizontally by design (a table wrapper with
# overflow-x: auto) may hold wider content; content that a container clips on purpose is not measured.
# Returns one line per offender, naming it, its container and by how many pixels it passes.
LAYOUT_OFFENDERS = """
() => {
  const TOLERANCE = 1;
  const viewport = document.documentElement.clientWidth;
  const name = (element) => {
    if (!element || element === document.documentElement) return "the viewport";
    const id = element.id ? `#${element.id}` : "";
    const classes = [...element.classList].map((c) => `.${c}`).join("");
    const text = (element.innerText || element.value || "").trim().split(/\\s+/).join(" ").slice(0, 40);
    return `${element.tagName.toLowerCase()}${id}${classes}${text ? ` "${text}"` : ""}`;
  };
  const hasBox = (element) => !["inline", "contents"].includes(getComputedStyle(element).display);
  const container = (element) => {
    let parent = element.parentElement;
    while (parent && parent !== document.body && !hasBox(parent)) parent = parent.parentElement;
    return parent;
  };
  const scrollsOrClips = (element) => getComputedStyle(element).overflowX !== "visible";
  const insideScrollerOrClip = (element) => {
    for (let parent = element.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
      if (scrollsOrClips(parent)) return true;
    }
    return false;
  };
  const offenders = [];
  if (document.documentElement.scrollWidth > window.innerWidth) {
    const wide = document.documentElement.scrollWidth;
    offenders.push(`the page scrolls sideways: ${wide}px wide in ${window.innerWidth}px`);
  }
  for (const element of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(element);
    if (!element.checkVisibility({ visibilityProperty: true })) continue;  // also inside a closed <details>
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= 0) continue;
    if (element.closest(".visually-hidden, .default-submit")) continue;
    const positioned = ["absolute", "fixed"].includes(style.position) || element.tagName === "DIALOG";
    let against = positioned ? null : container(element);
    if (against && scrollsOrClips(against)) continue;  // scrolls by design, or clips on purpose
    if (positioned && insideScrollerOrClip(element)) continue;
    const right = against && against !== document.body ? against.getBoundingClientRect().right : viewport;
    if (box.right > right + TOLERANCE) {
      offenders.push(`${name(element)} passes ${name(against === document.body ? null : against)} by ` +
        `${Math.round(box.right - right)}px`);
    } else if (!element.firstElementChild && hasBox(element) && !scrollsOrClips(element) &&
               !["INPUT", "SELECT", "TEXTAREA", "IMG", "svg"].includes(element.tagName) &&
               element.scrollWidth > element.clientWidth + TOLERANCE && element.clientWidth > 0) {
      offenders.push(`the text of ${name(element)} passes it by ${element.scrollWidth - element.clientWidth}px`);
    }
  }
  return offenders;
}
"""


@pytest.fixture
def layout_offenders(page):
    """A function returning what overflows its container on the page now (see `LAYOUT_OFFENDERS`): [] when
    nothing does."""
    return lambda: page.evaluate(LAYOUT_OFFENDERS)
