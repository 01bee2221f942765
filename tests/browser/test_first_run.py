"""The first-run page of an installation without the demo (R1, R25): the first admin signs in, sets up the
subscription, enables marketing contacts as a step of its own, and lands on a working Usage & limits."""

import pytest

from billing.models import Subscription
from contacts.models import Contact
from marketing_status.actors import Actor, ActorKind
from marketing_status.creation import contacts_create
from marketing_status.policy import CreationTool
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_r1_r25_first_admin_sets_up_the_account_in_the_browser(page, sign_in, screenshot):
    admin = UserFactory(is_staff=True, is_superuser=True)
    contacts_create(
        data=[{"email": f"early{i}@example.com"} for i in range(2)],
        tool=CreationTool.MANUAL,
        actor=Actor(ActorKind.SYSTEM, "tests"),
    )

    sign_in(admin)

    page.wait_for_url("**/account/subscription/")
    assert page.get_by_role("heading", name="Set up your account").is_visible()
    assert page.locator("#time-zone").inner_text() == "UTC"
    page.select_option("select[name=hub_tier]", "starter")
    page.select_option("select[name=billing_cycle]", "annual")
    page.fill("input[name=contact_tier_limit]", "1500")
    page.get_by_label(admin.email).check()
    screenshot("first-run")
    page.get_by_role("button", name="Set up subscription").click()

    page.wait_for_url("**/account/subscription/")
    assert "The subscription is set up." in page.locator(".messages").inner_text()
    assert page.locator("#tier-limit").inner_text() == "1,500"
    assert page.locator("#existing-count").inner_text() == "2"
    assert Contact.objects.filter(marketable_status__isnull=True).count() == 2
    screenshot("first-run-enable")
    page.get_by_role("button", name="Enable marketing contacts").click()

    page.wait_for_url("**/account/usage/")
    assert "2 existing contacts are now non-marketing contacts" in page.locator(".messages").inner_text()
    assert page.locator("#kpi-tier-limit .value").inner_text() == "1,500"
    assert page.locator("#kpi-marketing .value").inner_text() == "0"
    subscription = Subscription.objects.get()
    assert (subscription.hub_tier, subscription.billing_cycle, subscription.marketing_contacts_enabled) == (
        "starter",
        "annual",
        True,
    )
    assert list(subscription.billing_contacts.all()) == [admin]
    assert set(Contact.objects.values_list("marketable_status", flat=True)) == {False}
