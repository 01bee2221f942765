"""Usage & limits (R23, B3) and the Manage marketing contacts wizard (R17) in a real browser."""

import pytest

from contacts.models import Contact, ContactList
from contacts.services import contact_list_add
from tests.factories import contacts_make

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def contacts(subscription, marketer_actor):
    """3 unengaged marketing contacts, 2 engaged customers (one of them in the list "Old trade show")."""
    unengaged = [
        *contacts_make(count=2, actor=marketer_actor, marketing=True, email_hard_bounced=True),
        *contacts_make(count=1, actor=marketer_actor, marketing=True, email_subscription="unsubscribed"),
    ]
    customers = contacts_make(count=2, actor=marketer_actor, marketing=True, lifecycle_stage="customer")
    trade_show = ContactList.objects.create(name="Old trade show")
    contact_list_add(contact_list=trade_show, contacts=[customers[0].pk], actor=marketer_actor)
    return {"unengaged": unengaged, "listed": customers[:1], "kept": customers[1:]}


def _kpi(page, kpi_id: str) -> str:
    return page.locator(f"#{kpi_id} .value").inner_text()


def test_r17_r23_wizard_end_to_end_then_usage_shows_the_pending_contacts(page, sign_in, screenshot, marketer, contacts):
    sign_in(marketer)
    page.goto("/account/usage/")
    assert (_kpi(page, "kpi-marketing"), _kpi(page, "kpi-pending")) == ("5", "0")
    assert page.locator("#period-chart g.bar-group").count() == 1
    update_date = _kpi(page, "kpi-update-date")

    page.get_by_role("link", name="Manage marketing contacts").click()
    page.get_by_role("link", name="Start").click()
    assert page.locator("#unengaged-count").inner_text() == "3"
    assert page.locator("#unengaged-choice").is_checked()
    assert page.locator("#unengaged-sample tbody tr").count() == 3
    page.get_by_role("button", name="Next").click()

    page.locator("select[name=list]").select_option(label="Old trade show")
    page.get_by_role("button", name="Next").click()

    assert page.locator("#changing-count").inner_text() == "4"
    assert page.locator("#forecast-marketing td").all_inner_texts() == ["5", "1"]
    assert page.locator("#forecast-non-marketing td").all_inner_texts() == ["0", "4"]
    page.get_by_role("button", name="Update contacts").click()

    page.wait_for_url("**/account/usage/manage/?step=done")
    assert "4 contacts set as non-marketing." in page.locator(".messages").inner_text()
    assert page.locator("#pending-count").inner_text() == "4"
    chosen = {contact.pk for contact in contacts["unengaged"] + contacts["listed"]}
    assert set(Contact.objects.filter(marketable_until_renewal=True).values_list("pk", flat=True)) == chosen
    assert Contact.objects.filter(marketable_status=True).count() == 5  # R11: still billed until the update date

    page.get_by_role("link", name="Back to Usage & limits").click()
    assert (_kpi(page, "kpi-marketing"), _kpi(page, "kpi-pending")) == ("5", "4")
    assert _kpi(page, "kpi-update-date") == update_date
    assert page.locator("#additions-table tbody tr").count() == 1  # today's 5 additions, one source
    screenshot("usage-and-limits")


def test_r30_wizard_update_button_is_disabled_without_permission(page, sign_in, sales_user, contacts):
    sign_in(sales_user)
    page.goto("/account/usage/manage/?step=review&unengaged=1")
    assert page.locator("#changing-count").inner_text() == "3"
    assert page.get_by_role("button", name="Update contacts").is_disabled()
    assert page.locator("#no-permission").is_visible()
    page.goto("/account/usage/")
    assert page.locator("#tier-guard-toggle").is_disabled()
