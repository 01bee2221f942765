"""Account & Billing > Subscription: the first-run page of an installation without a subscription,
enabling marketing contacts as its own step (R1), and later tier changes (R24, R25, R30)."""

import pytest
from django.contrib.auth.models import Permission
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from billing.models import Subscription, TierUpgrade
from contacts.models import Contact
from marketing_status.actors import Actor, ActorKind
from marketing_status.creation import contacts_create
from marketing_status.policy import CreationTool
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/account/subscription/"
ENABLE = "/account/subscription/enable/"
SETUP = {
    "hub_tier": "professional",
    "billing_cycle": "annual",
    "contract_start": "2026-12-07",
    "renewal_date": "2027-12-07",
    "contact_tier_limit": "",
    "tier_block_size": "",
}


@pytest.fixture
def admin_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


def test_the_first_admin_is_sent_to_the_first_run_page_after_signing_in(client, admin_user):
    admin_user.set_password("pw-for-this-test")
    admin_user.save()

    response = client.post("/login/", {"username": admin_user.username, "password": "pw-for-this-test"})

    assertRedirects(response, "/", fetch_redirect_response=False)
    assertRedirects(client.get("/"), PAGE)
    page = client.get(PAGE)
    assertContains(page, "Set up your account")
    assertContains(page, 'id="time-zone">UTC<')


def test_once_set_up_the_front_door_is_the_contacts_index(client, admin_user, subscription):
    client.force_login(admin_user)

    assertRedirects(client.get("/"), "/contacts/")


def test_a_user_without_access_is_not_sent_to_set_up_and_sees_whom_to_ask(client, sales_user):
    client.force_login(sales_user)

    assertRedirects(client.get("/"), "/contacts/")
    page = client.get(PAGE)
    assertContains(page, "Ask an admin for Marketing contact access to set up the subscription.")
    assertNotContains(page, 'id="subscription-form"')


def test_r25_setting_up_the_subscription_with_the_tier_defaults(client, admin_user):
    client.force_login(admin_user)

    assertRedirects(client.post(PAGE, {**SETUP, "billing_contacts": [admin_user.pk]}), PAGE)

    subscription = Subscription.objects.get()
    assert (subscription.hub_tier, subscription.billing_cycle, subscription.contact_tier_limit) == (
        "professional",
        "annual",
        2000,
    )
    assert (subscription.tier_block_size, subscription.marketing_contacts_enabled) == (5000, False)
    assert list(subscription.billing_contacts.all()) == [admin_user]
    page = client.get(PAGE)
    assertContains(page, "Enable marketing contacts")


def test_r1_enabling_is_an_explicit_step_that_says_what_it_does(client, admin_user):
    contacts_create(data=[{"email": "old@example.com"}], tool=CreationTool.MANUAL, actor=Actor(ActorKind.SYSTEM, "t"))
    client.force_login(admin_user)
    client.post(PAGE, SETUP)

    page = client.get(PAGE)
    assertContains(
        page, 'every existing contact (<strong id="existing-count">1</strong>) becomes a non-marketing contact'
    )
    assert Contact.objects.get().marketable_status is None

    assertRedirects(client.post(ENABLE), "/account/usage/")

    assert Subscription.objects.get().marketing_contacts_enabled
    assert Contact.objects.get().marketable_status is False


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**SETUP, "hub_tier": "platinum"}, "hub_tier"),
        ({**SETUP, "contract_start": "7 December"}, "contract_start"),
        ({**SETUP, "contact_tier_limit": "-3"}, "contact_tier_limit"),
        ({**SETUP, "renewal_date": "2029-01-01"}, "renewal_date"),
    ],
)
def test_bad_input_shows_the_field_error_and_creates_nothing(client, admin_user, data, field):
    client.force_login(admin_user)

    page = client.post(PAGE, data)

    assert page.status_code == 400
    assertContains(page, f'data-error-for="{field}"', status_code=400)
    assert not Subscription.objects.exists()


def test_r30_posts_without_marketing_access_are_refused_and_change_nothing(client, frozen_subscription, db_state):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_subscription"))
    client.force_login(user)
    before = db_state()

    refused_change = client.post(PAGE, {**SETUP, "contact_tier_limit": "9000"})
    refused_enable = client.post(ENABLE)

    assertContains(refused_change, "Marketing contact access", status_code=403)
    assert refused_enable.status_code == 403
    assert db_state() == before


def test_r30_enabling_without_access_on_a_new_subscription_changes_nothing(client, sales_user, db_state):
    Subscription.objects.create(
        hub_tier="starter",
        billing_cycle="monthly",
        contract_start="2026-01-15",
        renewal_date="2027-01-15",
        contact_tier_limit=1000,
        contract_tier_limit=1000,
        tier_block_size=1000,
    )
    client.force_login(sales_user)
    before = db_state()

    assert client.post(ENABLE).status_code == 403
    assert db_state() == before


def test_r24_changing_the_tier_later_is_recorded_like_an_upgrade(client, admin_user, frozen_subscription):
    client.force_login(admin_user)

    data = {**SETUP, "hub_tier": "starter", "contact_tier_limit": "3000", "tier_block_size": "1000"}
    assertRedirects(client.post(PAGE, data), PAGE)

    assert Subscription.objects.get().contact_tier_limit == 3000
    upgrade = TierUpgrade.objects.get()
    assert (upgrade.old_limit, upgrade.new_limit, upgrade.cause_type) == (1000, 3000, "TIER_CHANGE")
    assertContains(client.get("/account/usage/"), "3,000")
