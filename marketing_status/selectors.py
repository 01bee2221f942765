"""Reads about marketing status shared by services, the UI and the API."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from billing.selectors import marketing_count, subscription_get
from contacts.models import Contact
from marketing_status.models import CreationToolSetting
from marketing_status.policy import CONFIGURABLE_TOOL_DEFAULTS, CreationTool


def creation_tool_setting_get(*, tool: CreationTool, source_id: str = "") -> bool:
    """R5–R8: a tool's "create contacts as marketing" setting, or its default when never changed."""
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
