"""Every screen works under the Content-Security-Policy: the `page` fixture fails a test on any violation.

The demo data (`seed_demo`) gives each kind of screen something to show; a crawl from the contacts
index follows every same-origin link, and the admin, the API docs and the pages no link leads to
(the hosted form, the booking page, the sign-in pause) are opened by hand.
"""

from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from conversations.models import Chatflow
from engagements.models import MeetingLink
from leadforms.models import Form
from tests.browser.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

MAX_PAGES = 150
NOT_FOLLOWED = ("/logout/", "/admin/", "/static/", "/media/", "/api/")


@pytest.fixture
def demo(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", contacts=50, stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def admin(demo):
    return UserFactory(username="csp-admin", is_staff=True, is_superuser=True)


def visit(page, path: str):
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: {response and response.status}"
    page.wait_for_load_state("load")
    if response.headers.get("content-type", "").startswith("text/html"):
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
    return response


def same_origin_links(page, base: str) -> set[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(link => link.getAttribute('href'))")
    paths = set()
    for href in hrefs:
        url = urlsplit(urljoin(page.url, href))
        if f"{url.scheme}://{url.netloc}" == base and not url.path.startswith(NOT_FOLLOWED):
            paths.add(url.path + (f"?{url.query}" if url.query else ""))
    return paths


def test_every_linked_screen_loads_without_a_violation(page, sign_in, live_server, admin):
    sign_in(admin)
    seen, queue = set(), deque(["/contacts/"])
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen or path.endswith((".csv", ".xlsx")):
            continue
        seen.add(path)
        visit(page, path)
        queue.extend(same_origin_links(page, live_server.url) - seen)
    sections = {path.split("/")[1] for path in seen}
    assert {"contacts", "marketing", "conversations", "sales", "automation", "settings", "account"} <= sections


def test_dialogs_and_menus_of_the_record_and_the_index_work(page, sign_in, admin):
    sign_in(admin)
    visit(page, "/contacts/")
    page.locator("details.menu summary").first.click()
    page.locator("table a[href^='/contacts/']").first.click()
    page.wait_for_load_state("load")
    dialog_button = page.locator("[data-dialog]").first
    if dialog_button.count():
        dialog_button.click()
        expect(page.locator("dialog[open]")).to_be_visible()


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/contacts/contact/", "/admin/auth/user/", "/admin/axes/accessattempt/"]
)
def test_admin_pages(page, sign_in, admin, path):
    sign_in(admin)
    visit(page, path)
    expect(page.locator("#site-name")).to_be_visible()


def test_admin_change_page(page, sign_in, admin):
    sign_in(admin)
    visit(page, f"/admin/auth/user/{admin.pk}/change/")
    expect(page.locator("#user_form")).to_be_visible()


def test_swagger_ui_renders_the_schema(page, sign_in, admin):
    sign_in(admin)
    visit(page, "/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("CRM API")
    expect(page.locator(".opblock").first).to_be_visible()


def test_redoc_renders_the_schema(page, sign_in, admin, csp_expected):
    csp_expected.append("https://cdn.redoc.ly/")  # ReDoc's footer logo: nothing is loaded from another origin
    sign_in(admin)
    visit(page, "/api/redoc/")
    expect(page.locator("h1").first).to_contain_text("CRM API")


def test_public_pages(page, demo):
    form = Form.objects.order_by("pk").first()
    visit(page, f"/forms/{form.guid}/")
    expect(page.locator(f'form[data-form-id="{form.guid}"]')).to_be_visible()  # the embed script ran
    visit(page, f"/meetings/{MeetingLink.objects.order_by('pk').first().slug}")
    assert Chatflow.objects.exists()


def test_the_sign_in_pause_page(page, admin):
    visit(page, "/login/")
    for attempt in range(10):
        page.fill("input[name=username]", admin.get_username())
        page.fill("input[name=password]", f"not {PASSWORD} {attempt}")
        page.click("button[type=submit]")
        page.wait_for_load_state("load")
    expect(page.locator("h1")).to_have_text("Too many sign-in attempts")
    page.get_by_role("link", name="Back to sign in").click()
    expect(page.locator("h1")).to_have_text("Sign in")
