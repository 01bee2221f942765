"""Reads of billing state shared by services, the UI and the API."""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone

from billing.models import BillingPeriod, Subscription, TierUpgrade
from billing.policy import BillingCycle
from billing.policy import next_update_date as policy_next_update_date
from contacts.models import Contact


class MarketingContactsNotEnabled(Exception):
    """R1 has not run for this account (or it has no subscription yet): contacts have no marketing status.

    `subscription` is the account's subscription, None when there is none, for callers whose answer
    tells the two apart."""

    def __init__(self, message: str = "Marketing contacts are not enabled for this account.", *, subscription=None):
        self.subscription = subscription
        super().__init__(message)


def subscription_get(*, lock: bool = False) -> Subscription | None:
    """The installation's subscription, or None before one is set up.

    `lock` takes its row lock inside the caller's transaction: the first lock of the order every writer
    keeps (subscription, billing period, then contacts by id)."""
    subscriptions = Subscription.objects.select_for_update() if lock else Subscription.objects
    return subscriptions.order_by("pk").first()


def subscription_require_enabled(*, lock: bool = False) -> Subscription:
    """R1: the subscription, when marketing contacts are enabled; else `MarketingContactsNotEnabled`.

    `lock` as for `subscription_get`."""
    subscription = subscription_get(lock=lock)
    if subscription is None or not subscription.marketing_contacts_enabled:
        raise MarketingContactsNotEnabled(subscription=subscription)
    return subscription


def subscription_enabled_get(*, lock: bool = False) -> Subscription | None:
    """R1: the subscription when marketing contacts are enabled, else None. `lock` as for `subscription_get`."""
    try:
        return subscription_require_enabled(lock=lock)
    except MarketingContactsNotEnabled:
        return None


def marketing_contacts_enabled() -> bool:
    """R1: are marketing contacts enabled for this account (False too before a subscription is set up)?"""
    return subscription_enabled_get() is not None


def marketing_count() -> int:
    """R21: the billable count, marketing contacts (pending included) that are not archived (R22)."""
    return Contact.objects.filter(marketable_status=True, archived_at__isnull=True).count()


def pending_count() -> int:
    """Marketing contacts that become non-marketing at the next update date (R11)."""
    return Contact.objects.filter(marketable_until_renewal=True, archived_at__isnull=True).count()


def update_moment(update_date: date) -> datetime:
    """Update dates begin at midnight in the account's time zone."""
    return timezone.make_aware(datetime.combine(update_date, time.min))


def next_update_date(*, subscription: Subscription, now: datetime | None = None) -> date:
    """R20: the next update date after today, shown on Usage & limits and in every non-marketing confirmation."""
    today = timezone.localdate(now or timezone.now())
    return policy_next_update_date(
        cycle=BillingCycle(subscription.billing_cycle), renewal_date=subscription.renewal_date, today=today
    )


def billing_period_due(*, as_of: datetime) -> BillingPeriod | None:
    """R14: an open billing period whose update moment has come by `as_of` (the renewal's next work), if any."""
    return BillingPeriod.objects.filter(closed_at__isnull=True, update_at__lte=as_of).first()


def current_period(*, subscription: Subscription) -> BillingPeriod | None:
    return subscription.periods.filter(closed_at__isnull=True).first()


@dataclass(frozen=True)
class Usage:
    """R23: what Usage & limits shows."""

    tier_limit: int
    marketing_count: int
    pending_count: int
    next_update_date: date
    current_period: BillingPeriod | None


def usage_get(*, subscription: Subscription) -> Usage:
    return Usage(
        tier_limit=subscription.contact_tier_limit,
        marketing_count=marketing_count(),
        pending_count=pending_count(),
        next_update_date=next_update_date(subscription=subscription),
        current_period=current_period(subscription=subscription),
    )


def billing_periods_recent(*, subscription: Subscription, limit: int = 12) -> list[BillingPeriod]:
    """R23: the latest `limit` billing periods with their counts, oldest first (the open one last)."""
    return list(reversed(subscription.periods.order_by("-starts_at")[:limit]))


def tier_upgrades_recent(*, subscription: Subscription, limit: int = 20) -> list[TierUpgrade]:
    """R24: the latest tier upgrades, newest first: when, from which limit to which, at what count, caused by what."""
    return list(subscription.tier_upgrades.order_by("-happened_at", "-pk")[:limit])
