"""In a real browser: create a marketing contact by hand (R3), see its record and history, then set it
as non-marketing (R11) and see it pending until the next update date; make a list from the index selection."""

import pytest
from django.contrib.auth.models import Permission
from django.utils.formats import date_format

from billing.selectors import next_update_date
from contacts.models import Contact, ContactList
from marketing_status.actors import Actor
from tests.factories import UserFactory, contacts_make

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def marketer_with_access(db):
    user = UserFactory(first_name="Mara", last_name="Keting")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["marketing_contact_access", "add_contact", "change_contact"])
    )
    return user


def property_value(page, name: str) -> str:
    return " ".join(page.locator(f'[data-property="{name}"]').inner_text().split())


def test_create_marketing_contact_then_set_it_non_marketing(
    page, sign_in, screenshot, subscription, marketer_with_access
):
    update_day = date_format(next_update_date(subscription=subscription))
    sign_in(marketer_with_access)

    page.goto("/contacts/new/")
    page.fill("input[name=email]", "  Grace.Hopper@Example.com ")
    page.fill("input[name=first_name]", "Grace")
    page.fill("input[name=last_name]", "Hopper")
    page.fill("input[name=company]", "Navy")
    page.select_option("select[name=lifecycle_stage]", "lead")
    assert page.is_checked("input[name=marketing][value=false]")  # R3: non-marketing by default
    page.check("input[name=marketing][value=true]")
    page.click("button:has-text('Create contact')")

    contact = Contact.objects.get(email="grace.hopper@example.com")
    page.wait_for_url(f"**/contacts/{contact.pk}/")
    assert page.locator("h1").inner_text() == "Grace Hopper"
    assert property_value(page, "hs_marketable_status") == "Marketing contact"
    assert property_value(page, "hs_marketable_reason_type") == "Set by a user"
    history = page.locator("#history tbody tr")
    assert history.count() == 1
    assert "(none) → Marketing" in history.first.inner_text()
    assert "Mara Keting" in history.first.inner_text()

    page.click("#set-non-marketing")
    dialog = page.locator("dialog#confirm-non-marketing")
    assert dialog.is_visible()
    assert dialog.locator("#confirm-update-date").inner_text() == update_day
    page.click("#confirm-non-marketing-submit")

    page.wait_for_selector(".msg.success")
    assert f"until the next update date, {update_day}" in page.locator(".msg.success").inner_text()
    assert property_value(page, "hs_marketable_status") == "Marketing contact"
    assert property_value(page, "hs_marketable_until_renewal") == f"Yes — becomes non-marketing on {update_day}"
    assert page.locator("dt", has_text="Marketing contact until next update").count() == 1
    assert history.count() == 2
    assert "Marketing → Marketing until next update" in history.first.inner_text()
    assert page.locator("#set-marketing").is_enabled()  # R12: it can still be set back
    contact.refresh_from_db()
    assert (contact.marketable_status, contact.marketable_until_renewal) == (True, True)
    screenshot("contact-record")


def test_a_list_is_made_from_the_index_selection(page, sign_in, subscription, marketer_with_access):
    contacts = contacts_make(count=3, actor=Actor.for_user(marketer_with_access))
    sign_in(marketer_with_access)
    page.goto("/contacts/")
    page.check(f"input[name=ids][value='{contacts[0].pk}']")
    page.check(f"input[name=ids][value='{contacts[2].pk}']")
    page.click("#add-to-list summary")
    page.fill("input[name=new_list_name]", "Picked by hand")
    page.click("button:has-text('Add selected to list')")

    created = ContactList.objects.get(name="Picked by hand")
    page.wait_for_url(f"**/contacts/lists/{created.pk}/")
    assert "Added 2 contacts to Picked by hand." in page.locator(".msg.success").inner_text()
    assert page.locator("#list-size").inner_text() == "2 contacts"
    assert sorted(created.contacts.values_list("pk", flat=True)) == [contacts[0].pk, contacts[2].pk]
