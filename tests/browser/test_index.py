"""The contacts index in a real browser: filter, select the page, select all matching, save and reopen a view."""

import re

import pytest
from playwright.sync_api import expect

from marketing_status.creation import contacts_create
from marketing_status.policy import CreationTool
from marketing_status.services import contacts_set_non_marketing

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = [
    ("Olivia", "Bennett", "customer"),
    ("Liam", "Carter", "lead"),
    ("Emma", "Diaz", "marketingqualifiedlead"),
    ("Noah", "Evans", "subscriber"),
    ("Ava", "Foster", "opportunity"),
    ("Elijah", "Garcia", "lead"),
    ("Sophia", "Hughes", "salesqualifiedlead"),
    ("Lucas", "Ito", "customer"),
    ("Mia", "Jensen", "lead"),
    ("Mason", "Kowalski", "subscriber"),
]


def people(count: int, *, offset: int = 0) -> list[dict]:
    rows = []
    for number in range(offset, offset + count):
        first, last, stage = PEOPLE[number % len(PEOPLE)]
        email = f"{first}.{last}{number}@example.com".lower()
        rows.append({"first_name": first, "last_name": last, "email": email, "lifecycle_stage": stage})
    return rows


@pytest.fixture
def contacts(subscription, marketer_actor):
    """30 marketing contacts (4 of them pending a switch) and 12 non-marketing ones, from two tools, mixed."""
    marketing = []
    for batch in range(6):
        marketing += contacts_create(
            data=people(5, offset=7 * batch), tool=CreationTool.IMPORT, actor=marketer_actor, marketing=True
        )
        contacts_create(data=people(2, offset=7 * batch + 5), tool=CreationTool.MANUAL, actor=marketer_actor)
    contacts_set_non_marketing(contacts=[contact.pk for contact in marketing[::8]], actor=marketer_actor)


def rows(page):
    return page.locator("#contacts tbody tr")


def test_filter_select_the_page_then_all_matching(page, sign_in, marketer, contacts, screenshot):
    sign_in(marketer)
    page.goto("/contacts/")
    expect(page.locator("#total")).to_have_text("42 contacts")
    expect(rows(page)).to_have_count(42)
    screenshot("contacts-index")

    page.locator("#filter-panel > summary").click()
    page.select_option("#id_status", "marketing")
    page.select_option("select[name=per_page]", "25")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"status=marketing"))
    assert page.url.endswith("/contacts/?status=marketing&per_page=25")  # empty filters left out of the URL
    expect(page.locator("#total")).to_have_text("30 contacts")
    expect(rows(page)).to_have_count(25)
    expect(rows(page).locator("td.status .badge.marketing")).to_have_count(25)

    page.evaluate(
        "document.getElementById('selection').addEventListener('selectionchange',"
        " (event) => { window.lastSelection = event.detail; })"
    )
    page.locator("#select-page").check()
    expect(page.locator('input[name="ids"]:checked')).to_have_count(25)
    expect(page.locator("#selected-count")).to_have_text("25 selected")
    expect(page.locator("#selection")).to_have_attribute("data-selected-count", "25")
    offer = page.get_by_role("button", name="Select all 30 contacts matching this view")
    expect(offer).to_be_visible()

    offer.click()
    expect(page.locator('#selection input[name="select_all"]')).to_have_value("1")
    expect(page.locator('#selection input[name="query"]')).to_have_value("status=marketing")
    expect(page.locator("#selection")).to_have_attribute("data-selected-count", "30")
    expect(page.locator("#selected-count")).to_have_text("30 selected")
    expect(page.get_by_text("All 30 contacts matching this view are selected.")).to_be_visible()
    assert page.evaluate("window.lastSelection") == {
        "count": 30,
        "allMatching": True,
        "ids": page.locator('input[name="ids"]').evaluate_all("boxes => boxes.map(box => box.value)"),
    }

    rows(page).first.locator('input[name="ids"]').uncheck()  # a row left out: back to picked rows
    expect(page.locator('#selection input[name="select_all"]')).to_have_value("0")
    expect(page.locator('#selection input[name="query"]')).to_have_value("")
    expect(page.locator("#selected-count")).to_have_text("24 selected")
    expect(page.locator("#select-all-banner")).to_be_hidden()


def test_save_a_view_and_reopen_it(page, sign_in, marketer, contacts):
    sign_in(marketer)
    page.goto("/contacts/?pending=true&sort=name")
    expect(rows(page)).to_have_count(4)

    page.locator("#save-view > summary").click()
    page.fill("#save-view input[name=name]", "Pending switches")
    page.locator("#save-view").get_by_role("button", name="Save").click()
    expect(page.locator(".msg.success")).to_have_text("Saved the view “Pending switches”.")
    tab = page.get_by_role("link", name="Pending switches")
    expect(tab).to_have_class("active")

    page.get_by_role("link", name="All contacts").click()
    expect(rows(page)).to_have_count(42)
    expect(tab).not_to_have_class("active")

    tab.click()
    page.wait_for_url(re.compile(r"pending=true"))
    expect(rows(page)).to_have_count(4)
    expect(tab).to_have_class("active")
    names = rows(page).locator("td.name").all_inner_texts()
    assert names == sorted(names, key=str.lower)
    expect(rows(page).locator("td.pending .badge.pending")).to_have_count(4)
