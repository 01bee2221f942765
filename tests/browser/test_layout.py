"""The screens fit their width: at 1280 px (a laptop) and 390 px (a phone) nothing overflows its container,
measured in the page (`layout_offenders`), and at 390 px the navigation collapses behind a Menu button that
opens full-width lists. Screenshots of both widths go to docs/screenshots/ (`make screenshots`)."""

import itertools

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from contacts.models import ContactList
from contacts.services import contact_list_add
from leadforms.builder import FieldSpec, form_create
from marketing_status.actors import Actor
from marketing_status.creation import contacts_create
from marketing_status.policy import CreationTool
from tests.factories import UserFactory, contacts_make
from workflows.definitions import ActionSpec, workflow_create

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": 1280, "phone": 390}
HEIGHT = {"desktop": 800, "phone": 844}
LEAD_FILTER = {"type": "property", "propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}
LONG_EMAIL = "maximiliana.featherstonehaugh-wolfeschlegelsteinhausen@international-logistics.example.com"


@pytest.fixture
def admin(db):
    return UserFactory(is_staff=True, is_superuser=True, first_name="Ada", last_name="Admin")


@pytest.fixture
def account(subscription, admin):
    """An account with what the pages list: contacts (one with a very long email, unengaged ones for the
    wizard, one in a list), a form, a workflow that sets marketing status, and a group of two users."""
    actor = Actor.for_user(admin)
    long_one = contacts_create(
        data=[
            {
                "email": LONG_EMAIL,
                "first_name": "Maximiliana",
                "last_name": "Featherstonehaugh-Wolfeschlegelsteinhausen",
                "company": "International Logistics and Freight Forwarding Cooperative",
                "lifecycle_stage": "marketingqualifiedlead",
            }
        ],
        tool=CreationTool.MANUAL,
        actor=actor,
        marketing=True,
    )[0]
    contacts_make(count=3, actor=actor, marketing=True, email_hard_bounced=True, first_name="Bounced")
    customers = contacts_make(count=4, actor=actor, marketing=True, lifecycle_stage="customer", first_name="Customer")
    contacts_make(count=3, actor=actor, lifecycle_stage="lead", first_name="Lead")
    trade_show = ContactList.objects.create(name="Old trade show")
    contact_list_add(contact_list=trade_show, contacts=[customers[0].pk], actor=actor)
    form = form_create(
        name="Webinar sign-up for the international logistics summit",
        fields=[FieldSpec("email", "Work email", True), FieldSpec("firstname", "First name"), FieldSpec("company")],
        actor=actor,
    )
    workflow = workflow_create(
        name="Nurture leads from the international logistics summit",
        triggers=[{"filters": [LEAD_FILTER]}],
        actions=[ActionSpec("SET_MARKETING_STATUS", {"marketing": True})],
        actor=actor,
    )
    group = Group.objects.create(name="Marketing team of the international logistics summit")
    admin.groups.add(group)
    UserFactory(username="maximiliana", email=LONG_EMAIL, first_name="Maximiliana").groups.add(group)
    return {"contact": long_one, "form": form, "workflow": workflow, "group": group}


PAGES = {
    "index": lambda data: "/contacts/",
    "record": lambda data: f"/contacts/{data['contact'].pk}/",
    "usage": lambda data: "/account/usage/",
    "wizard": lambda data: "/account/usage/manage/?step=review&unengaged=1",
    "forms": lambda data: "/marketing/forms/",
    "form-editor": lambda data: f"/marketing/forms/{data['form'].guid}/edit/",
    "workflows": lambda data: "/automation/workflows/",
    "workflow-editor": lambda data: f"/automation/workflows/{data['workflow'].pk}/",
    "users": lambda data: "/settings/users/",
    "invite-user": lambda data: "/settings/users/invite/",
    "new-group": lambda data: "/settings/users/groups/new/",
    "edit-group": lambda data: f"/settings/users/groups/{data['group'].pk}/",
    # The other pages of the navigation, so that every page is measured.
    "lists": lambda data: "/contacts/lists/",
    "recycle-bin": lambda data: "/contacts/recycle-bin/",
    "imports": lambda data: "/contacts-imports/",
    "jobs": lambda data: "/jobs/",
    "chatflows": lambda data: "/conversations/",
    "meetings": lambda data: "/sales/",
    "bookings": lambda data: "/sales/meetings/bookings/",
    "new-import": lambda data: "/contacts-imports/new/",
    "tickets": lambda data: "/sales/tickets/",
    "integrations": lambda data: "/settings/integrations/",
    "lead-capture": lambda data: "/settings/lead-capture/",
    "subscription": lambda data: "/account/subscription/",
    "workflow-history": lambda data: f"/automation/workflows/{data['workflow'].pk}/history/",
    "new-contact": lambda data: "/contacts/new/",
}

SCREENSHOTS = {"index", "record", "usage", "workflows", "users"}  # the README's; the others are measured only


def _open(page, width: str, path: str):
    page.set_viewport_size({"width": WIDTHS[width], "height": HEIGHT[width]})
    page.goto(path)
    expect(page.locator("main h1").first).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_nothing_overflows_its_container(page, sign_in, layout_offenders, screenshot, admin, account, name, width):
    sign_in(admin)
    _open(page, width, PAGES[name](account))

    offenders = layout_offenders()
    assert offenders == [], "\n".join(offenders)
    if name in SCREENSHOTS:
        screenshot(f"layout-{name}-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_r1_first_run_page_fits(page, sign_in, layout_offenders, screenshot, admin, width):
    """Account & Billing > Subscription of an installation without a subscription: the first-run form."""
    sign_in(admin)
    _open(page, width, "/account/subscription/")

    expect(page.get_by_role("heading", name="Set up your account")).to_be_visible()
    offenders = layout_offenders()
    assert offenders == [], "\n".join(offenders)
    screenshot(f"layout-first-run-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_open_menus_fit_too(page, sign_in, layout_offenders, admin, account, width):
    """Every section's menu, opened, stays inside the viewport (on a phone inside the opened navigation), its
    entries one under the other."""
    sign_in(admin)
    _open(page, width, "/contacts/")
    if width == "phone":
        page.get_by_role("button", name="Menu").click()
    for section in page.locator(".topnav details.menu").all():
        section.locator("summary").click()
        expect(section.locator("a").first).to_be_visible()
        offenders = layout_offenders()
        assert offenders == [], section.locator("summary").inner_text() + ":\n" + "\n".join(offenders)
        boxes = [link.bounding_box() for link in section.locator("a").all()]
        assert all(below["y"] >= above["y"] + above["height"] - 1 for above, below in itertools.pairwise(boxes))
        section.locator("summary").click()


def test_desktop_shows_the_navigation_without_a_menu_button(page, sign_in, admin, account):
    sign_in(admin)
    _open(page, "desktop", "/contacts/")

    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.locator(".topnav nav")).to_be_visible()
    expect(page.locator(".topnav nav > a", has_text="Contacts")).to_be_visible()


def test_phone_navigation_collapses_behind_menu_then_leads_to_a_page(page, sign_in, screenshot, admin, account):
    sign_in(admin)
    _open(page, "phone", "/contacts/")
    menu = page.get_by_role("button", name="Menu")
    navigation = page.locator(".topnav nav")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(navigation).to_be_hidden()

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(navigation).to_be_visible()
    automation = navigation.locator("details.menu", has_text="Automation")
    automation.locator("summary").click()
    entry = automation.get_by_role("link", name="Workflows")
    expect(entry).to_be_visible()
    viewport = page.viewport_size["width"]
    entry_box = entry.bounding_box()
    assert entry_box["width"] >= viewport - 40  # a full-width list, not a floating dropdown
    screenshot("layout-menu-phone")

    entry.click()
    page.wait_for_url("**/automation/workflows/")
    expect(page.locator("main h1")).to_have_text("Workflows")
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")
    expect(page.locator(".topnav nav")).to_be_hidden()


def test_phone_menu_closes_again_and_signs_out_from_it(page, sign_in, admin, account):
    sign_in(admin)
    _open(page, "phone", "/account/usage/")
    menu = page.get_by_role("button", name="Menu")

    menu.click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(page.locator(".topnav nav")).to_be_hidden()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()


def test_record_wraps_a_long_email_inside_its_card(page, sign_in, admin, account):
    sign_in(admin)
    _open(page, "phone", PAGES["record"](account))

    card = page.locator("#properties").bounding_box()
    email = page.locator("#properties dd", has_text="@international-logistics").bounding_box()
    assert email["x"] + email["width"] <= card["x"] + card["width"]
    assert email["height"] > 30  # wrapped over more than one line


def test_index_name_column_stays_in_view_while_the_table_scrolls(page, sign_in, admin, account):
    sign_in(admin)
    _open(page, "phone", "/contacts/")
    wrapper = page.locator("#contacts").locator("xpath=..")
    name_cell = page.locator("#contacts tbody tr td.name").first
    before = name_cell.bounding_box()["x"]

    wrapper.evaluate("(element) => { element.scrollLeft = element.scrollWidth; }")
    assert wrapper.evaluate("(element) => element.scrollLeft") > 0  # the table is wider than a phone
    assert abs(name_cell.bounding_box()["x"] - before) < 1


def test_the_measure_names_what_overflows_and_spares_what_scrolls_by_design(page, sign_in, layout_offenders, admin):
    sign_in(admin)
    _open(page, "phone", "/account/subscription/")
    page.evaluate("""() => {
      const wide = document.createElement("div");
      wide.id = "too-wide";
      wide.style.width = "600px";
      wide.style.height = "10px";
      document.querySelector("main").append(wide);
      const wrapper = document.createElement("div");
      wrapper.className = "table-wrap";
      const scrolled = document.createElement("div");
      scrolled.id = "scrolls-by-design";
      scrolled.style.width = "900px";
      scrolled.style.height = "10px";
      wrapper.append(scrolled);
      document.querySelector("main").append(wrapper);
    }""")

    offenders = layout_offenders()
    assert offenders[0] == "the page scrolls sideways: 612px wide in 390px"
    assert offenders[1].startswith('div#too-wide passes main.page "Subscription Set up your account')
    assert offenders[1].endswith(" by 222px")
    assert len(offenders) == 2  # not the wider box inside the table wrapper, which scrolls by design


@pytest.mark.parametrize("name", ["index", "users"])
def test_the_columns_kept_in_view_leave_room_for_the_others_on_a_phone(page, sign_in, admin, account, name):
    """Long names wrap in the sticky column, so that it never covers the columns scrolled under it."""
    sign_in(admin)
    _open(page, "phone", PAGES[name](account))
    widest = page.evaluate("""() => Math.max(...[...document.querySelectorAll(".table-wrap td")]
      .filter((cell) => getComputedStyle(cell).position === "sticky")
      .map((cell) => cell.getBoundingClientRect().right - cell.closest(".table-wrap").getBoundingClientRect().left))""")

    assert 0 < widest <= 0.6 * 366  # the wrapper is 366 px wide inside the page's padding
