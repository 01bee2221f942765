"""A fresh installation becomes a working account: subscription set-up and changes (R1, R24, R25, R30)
and the contract renewal, where the renewal date moves on a year and the tier is reset (R24)."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from billing.models import BillingPeriod, Subscription, TierUpgrade
from billing.policy import BillingCycle, HubTier, next_contract_renewal
from billing.selectors import marketing_count
from billing.services import SubscriptionInvalid, subscription_change, subscription_create
from contacts.models import Contact
from integrations.scopes import CONTACTS_READ, CONTACTS_WRITE, MARKETING_WRITE
from integrations.services import integration_create
from marketing_status.actors import Actor, ActorKind, MarketingStatusPermissionDenied
from marketing_status.creation import contacts_create
from marketing_status.policy import CreationTool
from marketing_status.renewal import renewals_run
from marketing_status.services import account_setup, contacts_set_non_marketing
from tests.factories import contacts_make

pytestmark = pytest.mark.django_db

SYSTEM = Actor(ActorKind.SYSTEM, "tests")


def _subscription_row() -> tuple:
    subscription = Subscription.objects.get()
    return (
        subscription.hub_tier,
        subscription.billing_cycle,
        subscription.contract_start,
        subscription.renewal_date,
        subscription.contact_tier_limit,
        subscription.contract_tier_limit,
        subscription.tier_block_size,
    )


# --- The contract renewal date (pure policy) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("renewal", "after", "expected"),
    [
        (dt.date(2027, 1, 15), dt.date(2026, 3, 10), dt.date(2027, 1, 15)),  # still ahead: unchanged
        (dt.date(2027, 1, 15), dt.date(2027, 1, 15), dt.date(2028, 1, 15)),  # reached: a year on
        (dt.date(2026, 12, 7), dt.date(2026, 12, 7), dt.date(2027, 12, 7)),  # "today": first renewal a year on
        (dt.date(2020, 6, 1), dt.date(2026, 7, 1), dt.date(2027, 6, 1)),  # long past: the next anniversary
        (dt.date(2028, 2, 29), dt.date(2028, 2, 29), dt.date(2029, 2, 28)),  # no 29 February: its last day
    ],
)
def test_r24_next_contract_renewal_is_the_next_anniversary(renewal, after, expected):
    assert next_contract_renewal(renewal_date=renewal, after=after) == expected


# --- Set-up ----------------------------------------------------------------------------------------------


def test_r25_setup_defaults_the_limits_and_keeps_them_as_the_contracts():
    subscription = account_setup(
        actor=SYSTEM,
        hub_tier=HubTier.PROFESSIONAL,
        billing_cycle=BillingCycle.ANNUAL,
        contract_start=dt.date(2026, 12, 7),
        renewal_date=dt.date(2026, 12, 7),
    )

    assert _subscription_row() == (
        "professional",
        "annual",
        dt.date(2026, 12, 7),
        dt.date(2027, 12, 7),
        2000,
        2000,
        5000,
    )
    assert subscription.marketing_contacts_enabled is False
    assert not BillingPeriod.objects.exists()


def test_r1_setup_with_enabling_sets_every_existing_contact_non_marketing():
    contacts_create(data=[{"email": f"c{i}@example.com"} for i in range(3)], tool=CreationTool.MANUAL, actor=SYSTEM)

    subscription = account_setup(
        actor=SYSTEM,
        hub_tier=HubTier.STARTER,
        billing_cycle=BillingCycle.MONTHLY,
        contract_start=dt.date(2026, 1, 15),
        renewal_date=dt.date(2027, 1, 15),
        enable_marketing_contacts=True,
    )

    assert subscription.marketing_contacts_enabled
    assert list(Contact.objects.values_list("marketable_status", "marketable_reason_type").distinct()) == [
        (False, "INITIAL_STATE")
    ]
    assert BillingPeriod.objects.filter(closed_at__isnull=True).count() == 1


def test_r30_setup_without_marketing_access_is_refused_and_creates_nothing(sales_user):
    with pytest.raises(MarketingStatusPermissionDenied, match="Marketing contact access"):
        account_setup(
            actor=Actor.for_user(sales_user),
            hub_tier=HubTier.STARTER,
            billing_cycle=BillingCycle.MONTHLY,
            contract_start=dt.date(2026, 1, 15),
            renewal_date=dt.date(2027, 1, 15),
            enable_marketing_contacts=True,
        )

    assert not Subscription.objects.exists()


def test_r25_invalid_limits_are_refused_and_create_nothing():
    with pytest.raises(SubscriptionInvalid) as refusal:
        subscription_create(
            hub_tier=HubTier.STARTER,
            billing_cycle=BillingCycle.MONTHLY,
            contract_start=dt.date(2026, 1, 15),
            renewal_date=dt.date(2027, 1, 15),
            tier_block_size=-5,
        )

    assert refusal.value.errors == {"tier_block_size": "The block size must be at least 1."}
    assert not Subscription.objects.exists()


# --- Changes ---------------------------------------------------------------------------------------------


def test_r24_a_higher_tier_applies_at_once_and_is_recorded_like_an_upgrade(frozen_subscription, marketer):
    changed = subscription_change(actor=Actor.for_user(marketer), contact_tier_limit=3000)

    assert changed == ["contract_tier_limit"]
    assert _subscription_row()[4:6] == (3000, 3000)
    upgrade = TierUpgrade.objects.get()
    assert (upgrade.old_limit, upgrade.new_limit, upgrade.cause_type, upgrade.cause_id) == (
        1000,
        3000,
        "TIER_CHANGE",
        str(marketer.pk),
    )


def test_r24_a_lower_tier_waits_for_the_contract_renewal(frozen_subscription, marketer):
    subscription_change(actor=Actor.for_user(marketer), contact_tier_limit=3000)

    subscription_change(actor=Actor.for_user(marketer), contact_tier_limit=500)

    assert _subscription_row()[4:6] == (3000, 500)
    assert TierUpgrade.objects.count() == 1


def test_r25_a_new_hub_tier_brings_its_configured_sizes(frozen_subscription, marketer):
    changed = subscription_change(actor=Actor.for_user(marketer), hub_tier=HubTier.ENTERPRISE)

    assert changed == ["hub_tier", "contract_tier_limit", "tier_block_size"]
    assert _subscription_row()[0] == "enterprise"
    assert _subscription_row()[4:] == (10000, 10000, 10000)


def test_subscription_change_to_the_same_values_changes_nothing(frozen_subscription, marketer, db_state):
    before = db_state()

    assert subscription_change(actor=Actor.for_user(marketer), hub_tier=HubTier.STARTER, contact_tier_limit=1000) == []
    assert db_state() == before


def test_r30_subscription_change_without_marketing_access_changes_nothing(frozen_subscription, sales_user, db_state):
    before, row = db_state(), _subscription_row()

    with pytest.raises(MarketingStatusPermissionDenied):
        subscription_change(actor=Actor.for_user(sales_user), hub_tier=HubTier.ENTERPRISE)

    assert (db_state(), _subscription_row()) == (before, row)


# --- The contract renewal (R24) ------------------------------------------------------------------------


@pytest.fixture
def annual_subscription(frozen_clock):
    """Annual billing, limit 2 in blocks of 2, renewing on 1 April 2026; enabled on 10 March 2026."""
    return account_setup(
        actor=SYSTEM,
        hub_tier=HubTier.STARTER,
        billing_cycle=BillingCycle.ANNUAL,
        contract_start=dt.date(2025, 4, 1),
        renewal_date=dt.date(2026, 4, 1),
        contact_tier_limit=2,
        tier_block_size=2,
        enable_marketing_contacts=True,
    )


def test_r24_at_the_contract_renewal_the_tier_resets_and_the_renewal_date_moves_on_a_year(
    annual_subscription, frozen_clock, marketer_actor
):
    contacts = contacts_make(count=5, actor=marketer_actor, marketing=True)
    assert _subscription_row()[4] == 6  # upgraded by two blocks
    contacts_set_non_marketing(contacts=[c.pk for c in contacts[:2]], actor=marketer_actor)
    frozen_clock.move_to(timezone.make_aware(dt.datetime(2026, 4, 1, 0, 5)))

    renewals_run()

    assert marketing_count() == 3
    assert _subscription_row()[3:6] == (dt.date(2027, 4, 1), 4, 2)  # 3 contacts need two blocks of 2
    reset = TierUpgrade.objects.get(cause_type="CONTRACT_RENEWAL")
    assert (reset.old_limit, reset.new_limit, reset.marketing_count) == (6, 4, 3)
    following = BillingPeriod.objects.get(closed_at__isnull=True)
    assert following.update_date == dt.date(2026, 5, 1)  # R20: first of the month; the renewal is a year away


def test_r24_the_tier_is_not_reduced_at_an_update_date_that_is_not_the_contract_renewal(
    frozen_subscription, frozen_clock, marketer_actor
):
    contacts = contacts_make(count=1200, actor=marketer_actor, marketing=True)
    contacts_set_non_marketing(contacts=[c.pk for c in contacts[:900]], actor=marketer_actor)
    frozen_clock.move_to(timezone.make_aware(dt.datetime(2026, 3, 15, 0, 5)))

    renewals_run()

    assert marketing_count() == 300
    assert _subscription_row()[3:6] == (dt.date(2027, 1, 15), 2000, 1000)
    assert not TierUpgrade.objects.filter(cause_type="CONTRACT_RENEWAL").exists()


def test_r24_contract_renewal_with_nothing_to_reset_records_no_change(annual_subscription, frozen_clock):
    frozen_clock.move_to(timezone.make_aware(dt.datetime(2026, 4, 1, 0, 5)))

    renewals_run()
    renewals_run()

    assert _subscription_row()[3:5] == (dt.date(2027, 4, 1), 2)
    assert not TierUpgrade.objects.exists()


# --- setup_account -------------------------------------------------------------------------------------


def _setup(*args: str) -> str:
    out = StringIO()
    call_command("setup_account", *args, stdout=out)
    return out.getvalue()


ARGS = ("--hub-tier", "professional", "--billing", "annual", "--contract-start", "2026-12-07")


def test_r1_fresh_database_setup_account_then_the_api_sets_a_contact_as_marketing():
    """The operator's path without the demo: migrate (the test database), setup_account, a token, the API."""
    output = _setup(*ARGS, "--enable-marketing-contacts")
    _, token = integration_create(
        name="CRM sync",
        scopes=(CONTACTS_READ, CONTACTS_WRITE, MARKETING_WRITE),
        marketing_on_create=False,
        actor=SYSTEM,
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    created = client.post("/crm/v3/objects/contacts", {"properties": {"email": "ada@example.com"}}, format="json")
    status_before = Contact.objects.values_list("marketable_status", flat=True).get(email="ada@example.com")
    switched = client.post(
        "/marketing/v3/marketing-contacts/batch/set-marketing",
        {"inputs": [{"id": "ada@example.com"}], "idProperty": "email"},
        format="json",
    )

    assert "marketing contacts enabled" in output
    assert created.status_code == 201, created.content
    assert status_before is False  # R8: an integration creates non-marketing contacts by default
    assert switched.status_code == 200, switched.content
    contact = Contact.objects.get(email="ada@example.com")
    assert (contact.marketable_status, contact.marketable_reason_type) == (True, "INTEGRATOR_SET")


def test_setup_account_again_with_the_same_values_changes_nothing(db_state):
    _setup(*ARGS, "--enable-marketing-contacts")
    before, row = db_state(), _subscription_row()

    output = _setup(*ARGS, "--enable-marketing-contacts")
    _setup("--hub-tier", "professional", "--billing", "annual")

    assert "nothing changed" in output
    assert (db_state(), _subscription_row()) == (before, row)


def test_setup_account_with_different_values_is_refused_and_changes_nothing(db_state):
    _setup(*ARGS)
    before, row = db_state(), _subscription_row()

    with pytest.raises(CommandError, match=r"hub tier is professional, not starter.*--change"):
        _setup("--hub-tier", "starter", "--billing", "annual", "--tier-limit", "4000")

    assert (db_state(), _subscription_row()) == (before, row)


def test_setup_account_change_applies_the_new_values():
    _setup(*ARGS)

    output = _setup("--hub-tier", "enterprise", "--billing", "annual", "--change")

    assert "Subscription changed: hub_tier, contract_tier_limit, tier_block_size." in output
    assert _subscription_row()[0::4] == ("enterprise", 10000)
    assert TierUpgrade.objects.get().cause_type == "TIER_CHANGE"


def test_setup_account_enables_marketing_contacts_later_on_the_same_subscription():
    _setup(*ARGS)
    assert not Subscription.objects.get().marketing_contacts_enabled

    _setup(*ARGS, "--enable-marketing-contacts")

    assert Subscription.objects.get().marketing_contacts_enabled


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--hub-tier", "starter", "--billing", "annual", "--contract-start", "7/12/2026"), "not a date"),
        (("--hub-tier", "starter", "--billing", "annual", "--billing-contact", "nobody"), "No user named nobody"),
        (("--hub-tier", "starter", "--billing", "annual", "--tier-limit", "0"), "at least 1"),
    ],
)
def test_setup_account_bad_input_is_refused_and_creates_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        _setup(*args)

    assert not Subscription.objects.exists()
