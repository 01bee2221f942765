"""Billing services: subscription set-up (R25), billing periods (R20), tier upgrades and notices (R24)."""

import datetime as dt

import pytest
from django.utils import timezone

from billing.models import TierNotice, TierUpgrade
from billing.policy import BillingCycle, HubTier
from billing.selectors import marketing_count, next_update_date, update_moment, usage_get
from billing.services import subscription_check_tier, subscription_create
from billing.tasks import tier_notice_send
from contacts.models import Contact
from contacts.services import contacts_archive
from marketing_status.actors import Actor, ActorKind
from marketing_status.creation import contacts_create
from marketing_status.policy import CreationTool
from marketing_status.renewal import renewals_run
from marketing_status.services import contacts_set_marketing, contacts_set_non_marketing, marketing_contacts_enable
from tests.conftest import FROZEN_START
from tests.factories import UserFactory, contacts_make

pytestmark = pytest.mark.django_db

WORKFLOW = Actor(ActorKind.WORKFLOW, "wf-7")
FORM = Actor(ActorKind.FORM, "form-1")
MARCH_15 = timezone.make_aware(dt.datetime(2026, 3, 15))


def _subscription(system_actor, *, limit: int, block: int, cycle: BillingCycle = BillingCycle.MONTHLY):
    subscription = subscription_create(
        hub_tier=HubTier.STARTER,
        billing_cycle=cycle,
        contract_start=dt.date(2026, 1, 15),
        renewal_date=dt.date(2027, 1, 15),
        contact_tier_limit=limit,
        tier_block_size=block,
    )
    marketing_contacts_enable(actor=system_actor)
    subscription.refresh_from_db()
    return subscription


def _create_marketing(count: int, *, start: int) -> list[Contact]:
    """`count` marketing contacts from a HubSpot form (on by default, R5)."""
    return contacts_create(
        data=[{"email": f"lead{start + i}@example.com"} for i in range(count)],
        tool=CreationTool.HUBSPOT_FORM,
        actor=FORM,
        source_id="form-1",
    )


# --- R25: subscription set-up ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "limit", "block"),
    [(HubTier.STARTER, 1000, 1000), (HubTier.PROFESSIONAL, 2000, 5000), (HubTier.ENTERPRISE, 10000, 10000)],
)
def test_r25_subscription_limits_default_to_the_configured_tier_sizes(tier, limit, block):
    subscription = subscription_create(
        hub_tier=tier,
        billing_cycle=BillingCycle.ANNUAL,
        contract_start=dt.date(2026, 1, 1),
        renewal_date=dt.date(2027, 1, 1),
    )

    assert (subscription.contact_tier_limit, subscription.tier_block_size) == (limit, block)
    assert (subscription.marketing_contacts_enabled, subscription.tier_guard_enabled) == (False, False)


def test_r25_tier_sizes_are_configuration(settings):
    settings.CRM_TIER_INCLUDED_CONTACTS = {**settings.CRM_TIER_INCLUDED_CONTACTS, "starter": 1500}

    subscription = subscription_create(
        hub_tier=HubTier.STARTER,
        billing_cycle=BillingCycle.MONTHLY,
        contract_start=dt.date(2026, 1, 1),
        renewal_date=dt.date(2027, 1, 1),
    )

    assert subscription.contact_tier_limit == 1500


def test_r25_one_subscription_per_installation(subscription):
    with pytest.raises(ValueError, match="already has a subscription"):
        subscription_create(
            hub_tier=HubTier.PROFESSIONAL,
            billing_cycle=BillingCycle.MONTHLY,
            contract_start=dt.date(2026, 1, 1),
            renewal_date=dt.date(2027, 1, 1),
        )


# --- R20, R23: update dates and usage ---------------------------------------------------------------------


def test_r20_first_period_of_a_monthly_subscription_ends_on_the_renewal_day(frozen_subscription):
    period = frozen_subscription.periods.get()

    assert (period.starts_at, period.update_date, period.update_at) == (FROZEN_START, dt.date(2026, 3, 15), MARCH_15)
    assert next_update_date(subscription=frozen_subscription) == dt.date(2026, 3, 15)


def test_r20_first_period_of_an_annual_subscription_ends_on_the_first_of_next_month(frozen_clock, system_actor):
    subscription = _subscription(system_actor, limit=1000, block=1000, cycle=BillingCycle.ANNUAL)

    period = subscription.periods.get()

    assert (period.update_date, period.update_at) == (
        dt.date(2026, 4, 1),
        timezone.make_aware(dt.datetime(2026, 4, 1)),
    )


def test_r20_update_moment_is_midnight_in_the_account_time_zone():
    moment = update_moment(dt.date(2026, 3, 15))

    assert timezone.localtime(moment).replace(tzinfo=None) == dt.datetime(2026, 3, 15, 0, 0)


def test_r20_next_update_date_follows_the_clock(frozen_subscription, frozen_clock):
    frozen_clock.move_to(MARCH_15)

    assert next_update_date(subscription=frozen_subscription) == dt.date(2026, 4, 15)
    assert next_update_date(subscription=frozen_subscription, now=FROZEN_START) == dt.date(2026, 3, 15)


def test_r23_usage_shows_limit_counts_and_next_update_date(frozen_subscription, marketer_actor):
    contacts_make(count=2, actor=marketer_actor, marketing=True)
    contacts_make(count=1, actor=marketer_actor, pending=True)
    contacts_make(count=4, actor=marketer_actor)

    usage = usage_get(subscription=frozen_subscription)

    assert (usage.tier_limit, usage.marketing_count, usage.pending_count, usage.next_update_date) == (
        1000,
        3,
        1,
        dt.date(2026, 3, 15),
    )
    assert usage.current_period == frozen_subscription.periods.get()


# --- R24: tier upgrades and notices -----------------------------------------------------------------------------


@pytest.fixture
def billing_contacts(db):
    return [
        UserFactory(email="alice@example.com"),
        UserFactory(email="bob@example.com"),
        UserFactory(email=""),  # no address: not emailed
    ]


def test_r24_billing_contacts_are_told_once_when_the_count_reaches_90_percent(
    frozen_clock, system_actor, billing_contacts, django_capture_on_commit_callbacks, mailoutbox
):
    subscription = _subscription(system_actor, limit=10, block=10)
    subscription.billing_contacts.add(*billing_contacts)

    with django_capture_on_commit_callbacks(execute=True):
        _create_marketing(8, start=0)
    assert (TierNotice.objects.count(), len(mailoutbox)) == (0, 0)
    with django_capture_on_commit_callbacks(execute=True):
        _create_marketing(1, start=8)

    assert [(m.subject, sorted(m.to), m.from_email) for m in mailoutbox] == [
        ("Your marketing contacts reached 90% of your tier", ["alice@example.com", "bob@example.com"], "crm@localhost")
    ]
    assert mailoutbox[0].body == (
        "You have 9 marketing contacts of the 10 your contact tier includes. "
        "Above that your subscription moves to the next tier."
    )
    assert list(TierNotice.objects.values_list("limit", "threshold", "marketing_count", "created_at", "sent_at")) == [
        (10, 90, 9, FROZEN_START, FROZEN_START)
    ]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _create_marketing(1, start=9)  # 10 of 10: full, not over
    assert (len(callbacks), len(mailoutbox), TierNotice.objects.count(), TierUpgrade.objects.count()) == (0, 1, 1, 0)
    subscription.refresh_from_db()
    assert subscription.contact_tier_limit == 10


def test_r24_exceeding_the_tier_upgrades_it_by_blocks_records_the_cause_and_tells_billing_contacts(
    frozen_clock, system_actor, billing_contacts, django_capture_on_commit_callbacks, mailoutbox
):
    subscription = _subscription(system_actor, limit=10, block=10)
    subscription.billing_contacts.add(*billing_contacts)

    with django_capture_on_commit_callbacks(execute=True):
        _create_marketing(11, start=0)

    subscription.refresh_from_db()
    assert subscription.contact_tier_limit == 20
    assert list(
        TierUpgrade.objects.values_list(
            "happened_at", "old_limit", "new_limit", "marketing_count", "cause_type", "cause_id"
        )
    ) == [(FROZEN_START, 10, 20, 11, "FORM_SUBMISSION", "form-1")]
    assert sorted(TierNotice.objects.values_list("limit", "threshold", "marketing_count")) == [
        (10, 90, 11),
        (10, 100, 11),
    ]
    assert sorted((m.subject, tuple(sorted(m.to))) for m in mailoutbox) == [
        ("Your marketing contacts exceeded your tier of 10", ("alice@example.com", "bob@example.com")),
        ("Your marketing contacts reached 90% of your tier", ("alice@example.com", "bob@example.com")),
    ]
    exceeded = next(m for m in mailoutbox if "exceeded" in m.subject)
    assert exceeded.body == (
        "You have 11 marketing contacts, more than the 10 your contact tier includes. "
        "Your subscription moved to the next tier; it stays there until your contract renews."
    )
    assert TierNotice.objects.filter(sent_at__isnull=True).count() == 0
    assert subscription.periods.get(closed_at__isnull=True).peak_count == 11


def test_r24_a_big_jump_upgrades_by_several_blocks_at_once(system_actor, marketer_actor):
    subscription = _subscription(system_actor, limit=10, block=10)
    contacts = contacts_make(count=25, actor=marketer_actor)

    contacts_set_marketing(contacts=[c.pk for c in contacts], actor=WORKFLOW)

    subscription.refresh_from_db()
    assert subscription.contact_tier_limit == 30
    assert list(TierUpgrade.objects.values_list("old_limit", "new_limit", "cause_type", "cause_id")) == [
        (10, 30, "WORKFLOW", "wf-7")
    ]


def test_r24_new_limit_gets_its_own_notices(
    system_actor, billing_contacts, django_capture_on_commit_callbacks, mailoutbox
):
    subscription = _subscription(system_actor, limit=10, block=10)
    subscription.billing_contacts.add(*billing_contacts)
    with django_capture_on_commit_callbacks(execute=True):
        _create_marketing(11, start=0)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        _create_marketing(6, start=11)  # 17 of 20: below 90%
    assert len(mailoutbox) == 0
    with django_capture_on_commit_callbacks(execute=True):
        _create_marketing(1, start=17)  # 18 of 20

    assert [m.subject for m in mailoutbox] == ["Your marketing contacts reached 90% of your tier"]
    assert sorted(TierNotice.objects.values_list("limit", "threshold")) == [(10, 90), (10, 100), (20, 90)]


def test_r24_the_upgrade_is_not_reversed_when_the_count_falls(frozen_subscription, frozen_clock, system_actor):
    contacts = _create_marketing(1001, start=0)
    contacts_set_non_marketing(contacts=[c.pk for c in contacts[:500]], actor=WORKFLOW)
    frozen_clock.move_to(MARCH_15)

    renewals_run()

    frozen_subscription.refresh_from_db()
    assert (marketing_count(), frozen_subscription.contact_tier_limit) == (501, 2000)
    assert TierUpgrade.objects.count() == 1


def test_r24_a_notice_is_sent_once_even_if_its_task_runs_twice(
    system_actor, billing_contacts, django_capture_on_commit_callbacks, mailoutbox
):
    subscription = _subscription(system_actor, limit=10, block=10)
    subscription.billing_contacts.add(*billing_contacts)
    with django_capture_on_commit_callbacks(execute=True):
        _create_marketing(9, start=0)
    notice = TierNotice.objects.get()

    tier_notice_send(notice.pk)

    assert len(mailoutbox) == 1


def test_r24_no_email_without_billing_contacts_but_the_notice_is_marked_sent(
    system_actor, django_capture_on_commit_callbacks, mailoutbox
):
    _subscription(system_actor, limit=10, block=10)

    with django_capture_on_commit_callbacks(execute=True):
        _create_marketing(9, start=0)

    assert len(mailoutbox) == 0
    assert TierNotice.objects.filter(sent_at__isnull=False).count() == 1


def test_r24_notices_wait_for_the_commit(
    system_actor, billing_contacts, django_capture_on_commit_callbacks, mailoutbox
):
    subscription = _subscription(system_actor, limit=10, block=10)
    subscription.billing_contacts.add(*billing_contacts)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _create_marketing(9, start=0)

    assert (len(callbacks), len(mailoutbox)) == (1, 0)
    assert TierNotice.objects.get().sent_at is None


def test_r24_tier_check_raises_the_periods_peak_count(frozen_subscription, marketer_actor):
    contacts = contacts_make(count=4, actor=marketer_actor, marketing=True)
    contacts_archive(contacts=[c.pk for c in contacts[:3]], actor=marketer_actor)

    check = subscription_check_tier(cause_type="TEST")

    assert (check.new_limit, check.alerts) == (1000, ())
    assert frozen_subscription.periods.get().peak_count == 4  # the peak is not lowered


def test_r24_tier_check_does_nothing_before_marketing_contacts_are_enabled(db):
    subscription_create(
        hub_tier=HubTier.STARTER,
        billing_cycle=BillingCycle.MONTHLY,
        contract_start=dt.date(2026, 1, 1),
        renewal_date=dt.date(2027, 1, 1),
        contact_tier_limit=1,
    )

    assert subscription_check_tier(cause_type="TEST") is None
    assert TierUpgrade.objects.count() == 0
