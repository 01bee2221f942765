"""The marketing-status API (B1): its payloads, and the helpers its views call.

`MarketingSwitchInputSerializer` validates a switch request; the other serializers only describe
responses for the schema, whose bodies are built here with `contacts.properties` and `api.errors`.
The switch itself is `marketing_status.services` (R10–R13, R30, B4); the figures come from
`billing.selectors` (R20, R23).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rest_framework import serializers

from api.errors import MAX_BATCH_INPUTS, validation_error
from api.lookups import ID_PROPERTIES, contacts_by_ids
from billing.models import BillingPeriod, Subscription
from billing.policy import BillingCycle, HubTier
from billing.selectors import billing_periods_recent, next_update_date, subscription_get, update_moment, usage_get
from contacts.models import Contact
from contacts.properties import PROPERTIES, format_datetime

STATUS, UNTIL_RENEWAL = "hs_marketable_status", "hs_marketable_until_renewal"

# --- Request ---------------------------------------------------------------------------------------


class MarketingSwitchIdSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The contact's record id, or its email with `idProperty=email`.")


class MarketingSwitchInputSerializer(serializers.Serializer):
    inputs = serializers.ListField(
        child=MarketingSwitchIdSerializer(), min_length=1, max_length=MAX_BATCH_INPUTS, allow_empty=False
    )
    idProperty = serializers.ChoiceField(
        choices=ID_PROPERTIES, default="hs_object_id", help_text="What the ids name: the record id or the email."
    )
    confirmTierUpgrade = serializers.BooleanField(
        default=False,
        help_text="B4: with the tier guard on, allow a change that takes the marketing count above the contact tier.",
    )


@dataclass(frozen=True)
class SwitchRequest:
    """A validated switch request: distinct ids in the order given (B1: duplicates are applied once)."""

    ids: list[str]
    id_property: str
    confirm_tier_upgrade: bool


def switch_request_parse(data: Any) -> SwitchRequest:
    """Validate a request body; a bad shape, no inputs or more than `MAX_BATCH_INPUTS` is a 400 (B1)."""
    serializer = MarketingSwitchInputSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    values = serializer.validated_data
    return SwitchRequest(
        ids=list(dict.fromkeys(item["id"] for item in values["inputs"])),
        id_property=values["idProperty"],
        confirm_tier_upgrade=values["confirmTierUpgrade"],
    )


# --- Switch response -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SwitchTargets:
    """The live contacts a request names (each once, in request order) and the ids that named none."""

    contacts: list[Contact]
    missing: list[str]


def switch_targets_get(*, request: SwitchRequest) -> SwitchTargets:
    """Archived contacts are not found (R22); two ids naming one contact (e.g. emails differing in case) count once."""
    found = contacts_by_ids(request.ids, id_property=request.id_property)
    contacts = list({contact.pk: contact for raw in request.ids if (contact := found.get(raw))}.values())
    return SwitchTargets(contacts=contacts, missing=[raw for raw in request.ids if raw not in found])


def _status_key(contact: Contact) -> tuple[bool | None, bool]:
    return contact.marketable_status, contact.marketable_until_renewal


def _effective_at(subscription: Subscription | None, now: datetime) -> str | None:
    """R11, R20: a pending switch takes effect at the start of the next update date."""
    if subscription is None:
        return None
    return format_datetime(update_moment(next_update_date(subscription=subscription, now=now)))


def switch_results(*, before: Iterable[Contact], now: datetime) -> list[dict[str, Any]]:
    """One result per contact, from its state re-read after the switch; `changed` compares it with `before`."""
    before = list(before)
    after = Contact.objects.in_bulk([contact.pk for contact in before])
    effective_at = _effective_at(subscription_get(), now)
    results = []
    for old in before:
        contact = after.get(old.pk, old)  # deleted meanwhile: report what the request found
        pending = bool(contact.marketable_until_renewal)
        results.append(
            {
                "id": str(contact.pk),
                STATUS: PROPERTIES[STATUS].value(contact),
                UNTIL_RENEWAL: PROPERTIES[UNTIL_RENEWAL].value(contact),
                "pending": pending,
                "changed": _status_key(contact) != _status_key(old),
                "effectiveAt": effective_at if pending else None,
            }
        )
    return results


def not_found_errors(missing: list[str]) -> list[dict[str, Any]]:
    """HubSpot's batch error for ids that name no live contact, in its StandardError shape."""
    if not missing:
        return []
    return [
        {
            "status": "error",
            "category": "OBJECT_NOT_FOUND",
            "message": f"Could not get some CONTACT objects, they may be deleted or not exist. Check that ids "
            f"are valid for idProperty. Ids not found: {', '.join(missing)}",
            "context": {"ids": missing},
            "errors": [],
            "links": {},
        }
    ]


def switch_response(
    *, results: list[dict[str, Any]], missing: list[str], started_at: datetime, completed_at: datetime
) -> tuple[dict[str, Any], int]:
    """HubSpot's batch response: 200 when every id was found, else 207 with `numErrors` and `errors`."""
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": format_datetime(started_at),
        "completedAt": format_datetime(completed_at),
    }
    errors = not_found_errors(missing)
    if not errors:
        return body, 200
    return {**body, "numErrors": len(errors), "errors": errors}, 207


class MarketingSwitchResultSerializer(serializers.Serializer):
    id = serializers.CharField()
    # Strings, as every property value: "true" or "false" (the status is "" only before R1).
    hs_marketable_status = serializers.CharField(allow_blank=True, help_text='R10: "true" while marketing.')
    hs_marketable_until_renewal = serializers.CharField(help_text='R11: "true" while pending non-marketing.')
    pending = serializers.BooleanField(help_text="R11: marketing until the next update date, then non-marketing.")
    changed = serializers.BooleanField(help_text="R13: false when the contact already had the requested status.")
    effectiveAt = serializers.DateTimeField(
        allow_null=True, help_text="When a pending switch takes effect (the next update date), else null."
    )


class MarketingSwitchResponseSerializer(serializers.Serializer):
    status = serializers.CharField(help_text='Always "COMPLETE": the switch runs before the response.')
    results = MarketingSwitchResultSerializer(many=True)
    startedAt = serializers.DateTimeField()
    completedAt = serializers.DateTimeField()


class MarketingBatchErrorSerializer(serializers.Serializer):
    status = serializers.CharField()
    category = serializers.CharField()
    message = serializers.CharField()
    context = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    errors = serializers.ListField(child=serializers.DictField())
    links = serializers.DictField(child=serializers.CharField())


class MarketingSwitchResponseWithErrorsSerializer(MarketingSwitchResponseSerializer):
    numErrors = serializers.IntegerField()
    errors = MarketingBatchErrorSerializer(many=True)


# --- Usage (R23) -----------------------------------------------------------------------------------


def enabled_subscription_get() -> Subscription:
    """The subscription, or a 400 when there is none or marketing contacts are not enabled (R1)."""
    subscription = subscription_get()
    if subscription is None:
        raise validation_error(
            "This account has no subscription yet, so it has no marketing-contact usage.",
            sub_category="MARKETING_CONTACTS_NOT_ENABLED",
        )
    if not subscription.marketing_contacts_enabled:
        raise validation_error(
            "Marketing contacts are not enabled for this account.", sub_category="MARKETING_CONTACTS_NOT_ENABLED"
        )
    return subscription


def _period(period: BillingPeriod) -> dict[str, Any]:
    closed_at = period.closed_at
    return {
        "startsAt": format_datetime(period.starts_at),
        "updateDate": period.update_date.isoformat(),
        "updateAt": format_datetime(period.update_at),
        "countAtOpen": period.count_at_open,
        "peakCount": period.peak_count,
        "countAtClose": period.count_at_close,
        "closedAt": format_datetime(closed_at) if closed_at else None,
    }


def usage_body(*, subscription: Subscription) -> dict[str, Any]:
    """R23: the tier limit, the marketing count (R21), the pending count (R11), the next update date (R20)
    and the counts per billing period (oldest first, the open one last)."""
    usage = usage_get(subscription=subscription)
    return {
        "tierLimit": usage.tier_limit,
        "marketingCount": usage.marketing_count,
        "pendingCount": usage.pending_count,
        "nextUpdateDate": usage.next_update_date.isoformat(),
        "nextUpdateAt": format_datetime(update_moment(usage.next_update_date)),
        "currentPeriod": _period(usage.current_period) if usage.current_period else None,
        "periods": [_period(period) for period in billing_periods_recent(subscription=subscription)],
        "hubTier": subscription.hub_tier,
        "billingCycle": subscription.billing_cycle,
        "renewalDate": subscription.renewal_date.isoformat(),
        "tierBlockSize": subscription.tier_block_size,
        "tierGuardEnabled": subscription.tier_guard_enabled,
    }


class MarketingBillingPeriodSerializer(serializers.Serializer):
    startsAt = serializers.DateTimeField()
    updateDate = serializers.DateField(help_text="R20: the update date that ends the period.")
    updateAt = serializers.DateTimeField(help_text="The start of the update date, in the account's time zone.")
    countAtOpen = serializers.IntegerField()
    peakCount = serializers.IntegerField()
    countAtClose = serializers.IntegerField(allow_null=True)
    closedAt = serializers.DateTimeField(allow_null=True)


class MarketingUsageSerializer(serializers.Serializer):
    tierLimit = serializers.IntegerField(help_text="R24: marketing contacts the contact tier includes.")
    marketingCount = serializers.IntegerField(help_text="R21: the billable count, pending contacts included.")
    pendingCount = serializers.IntegerField(help_text="R11: contacts that become non-marketing at the next update.")
    nextUpdateDate = serializers.DateField()
    nextUpdateAt = serializers.DateTimeField()
    currentPeriod = MarketingBillingPeriodSerializer(allow_null=True)
    periods = MarketingBillingPeriodSerializer(many=True, help_text="R23: the latest billing periods, oldest first.")
    hubTier = serializers.ChoiceField(choices=[tier.value for tier in HubTier], help_text="R25")
    billingCycle = serializers.ChoiceField(choices=[cycle.value for cycle in BillingCycle])
    renewalDate = serializers.DateField()
    tierBlockSize = serializers.IntegerField()
    tierGuardEnabled = serializers.BooleanField(help_text="B4: crossing the tier needs `confirmTierUpgrade`.")
