"""Reads about marketing status shared by services, the UI and the API."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from billing.selectors import marketing_count, subscription_get
from contacts.models import Contact, EmailSubscription
from marketing_status.models import CreationToolSetting, MarketingStatusChange
from marketing_status.policy import CONFIGURABLE_TOOL_DEFAULTS, CreationTool


def creation_tool_setting_get(*, tool: CreationTool, source_id: str = "") -> bool:
    """R5–R8: a tool's "create contacts as marketing" setting, or its default when never changed."""
    if tool == CreationTool.NON_HUBSPOT_FORM:
        source_id = ""  # R6: one account-wide setting, whichever external form a submission came through
    stored = (
        CreationToolSetting.objects.filter(tool=tool, source_id=source_id)
        .values_list("marketing_on_create", flat=True)
        .first()
    )
    return CONFIGURABLE_TOOL_DEFAULTS[tool] if stored is None else stored


def _as_queryset(contacts: QuerySet | Iterable[int]) -> QuerySet:
    if isinstance(contacts, QuerySet):
        return contacts
    return Contact.objects.filter(pk__in=list(contacts))


@dataclass(frozen=True)
class BillingImpact:
    """B2: what a bulk switch does to the bill, shown before it runs."""

    changing: int  # contacts whose status or pending flag changes
    becoming_marketing: int  # of those, contacts that start counting now
    count_now: int
    count_after: int
    tier_limit: int

    @property
    def crosses_tier(self) -> bool:
        return self.becoming_marketing > 0 and self.count_after > self.tier_limit


def billing_impact_get(*, contacts: QuerySet | Iterable[int], to_marketing: bool) -> BillingImpact:
    """B2: how many of `contacts` a switch changes and the marketing count before and after."""
    active = _as_queryset(contacts).filter(archived_at__isnull=True)
    counts = active.aggregate(
        non_marketing=Count("pk", filter=Q(marketable_status=False)),
        pending=Count("pk", filter=Q(marketable_until_renewal=True)),
        marketing=Count("pk", filter=Q(marketable_status=True, marketable_until_renewal=False)),
    )
    count_now = marketing_count()
    subscription = subscription_get()
    tier_limit = subscription.contact_tier_limit if subscription else 0
    if to_marketing:
        becoming = counts["non_marketing"]
        return BillingImpact(becoming + counts["pending"], becoming, count_now, count_now + becoming, tier_limit)
    # R11: the count stays until the update date.
    return BillingImpact(counts["marketing"], 0, count_now, count_now, tier_limit)


def new_contacts_billing_impact(*, count: int) -> BillingImpact:
    """B2: the effect on the bill of creating `count` marketing contacts."""
    count_now = marketing_count()
    subscription = subscription_get()
    return BillingImpact(
        count, count, count_now, count_now + count, subscription.contact_tier_limit if subscription else 0
    )


# --- Usage & limits (B3) and the Manage marketing contacts wizard (R17) ------------------------------

# R29: unsubscribed or hard-bounced contacts can still be marketing contacts, and cost money.
UNENGAGED = Q(email_hard_bounced=True) | Q(email_subscription=EmailSubscription.UNSUBSCRIBED)


def switchable_to_non_marketing() -> QuerySet:
    """R11: the live contacts that setting as non-marketing would change (marketing, not yet pending)."""
    return Contact.objects.filter(marketable_status=True, marketable_until_renewal=False, archived_at__isnull=True)


def unengaged_marketing_contacts() -> QuerySet:
    """R17, R29: marketing contacts, not yet pending, that hard-bounced or unsubscribed from all email."""
    return switchable_to_non_marketing().filter(UNENGAGED)


@dataclass(frozen=True)
class StatusForecast:
    """R17 *Review and update*: marketing and non-marketing counts now and after the next update date.

    A contact set as non-marketing keeps counting until the update date (R11, R21); then every
    pending contact, those already pending and those `changing` now, becomes non-marketing (R14).
    """

    marketing_now: int  # R21: pending included
    non_marketing_now: int
    pending_now: int
    changing: int

    @property
    def marketing_after(self) -> int:
        return self.marketing_now - self.pending_now - self.changing

    @property
    def non_marketing_after(self) -> int:
        return self.non_marketing_now + self.pending_now + self.changing


def status_forecast_get(*, changing: int) -> StatusForecast:
    """R17: the counts of `StatusForecast`, in one query, for `changing` contacts about to be set as non-marketing."""
    counts = Contact.objects.filter(archived_at__isnull=True).aggregate(
        marketing=Count("pk", filter=Q(marketable_status=True)),
        non_marketing=Count("pk", filter=Q(marketable_status=False)),
        pending=Count("pk", filter=Q(marketable_until_renewal=True)),
    )
    return StatusForecast(counts["marketing"], counts["non_marketing"], counts["pending"], changing)


@dataclass(frozen=True)
class DailyAddition:
    """B3: how many contacts one source (reason type and id) made marketing on one day."""

    day: date
    reason_type: str
    reason_id: str
    added: int


def marketing_additions_by_day(*, days: int = 30, now: datetime | None = None) -> list[DailyAddition]:
    """B3: marketing contacts added per day (in the account's time zone) and source, over the last `days` days.

    A contact is added when a history row makes it marketing from anything but marketing: created as
    marketing (R2–R8) or switched (R10); cancelling a pending switch (R12) adds nothing. One aggregate
    query, served by the partial index on `changed_at` where `new_status` is true. Newest day first.
    """
    today = timezone.localdate(now or timezone.now())
    since = timezone.make_aware(datetime.combine(today - timedelta(days=days - 1), time.min))
    rows = (
        MarketingStatusChange.objects.filter(new_status=True, changed_at__gte=since)
        .exclude(old_status=True)
        .annotate(day=TruncDate("changed_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "reason_type", "reason_id")
        .annotate(added=Count("pk"))
        .order_by("-day", "-added", "reason_type", "reason_id")
    )
    return [DailyAddition(row["day"], row["reason_type"], row["reason_id"], row["added"]) for row in rows]
