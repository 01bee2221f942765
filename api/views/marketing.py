"""The marketing-status endpoints (B1): set contacts as marketing or non-marketing in bulk, and usage (R23).

Thin views: each reads its request with its own `InputSerializer`, finds the contacts or the
subscription (`api.selectors`), calls the service, and renders with its `OutputSerializer`. Switches go
through `marketing_status.services` with the integration as actor, so R10–R13, R30 and B4 hold exactly
as in the UI; the history rows record `INTEGRATOR_SET` and the integration's id. The figures come from
`billing.selectors` (R20, R23).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.errors import MAX_BATCH_INPUTS
from api.inputs import SwitchRequest
from api.lookups import ID_PROPERTIES
from api.openapi import BatchResponseSerializer, BatchResult, error_responses
from api.selectors import SwitchedContact, contacts_switched, enabled_subscription_get, switch_targets_get
from api.views.base import ApiView
from billing.models import BillingPeriod, Subscription
from billing.policy import BillingCycle, HubTier
from billing.selectors import Usage, billing_periods_recent, update_moment, usage_get
from contacts.properties import PROPERTIES, format_datetime
from integrations.scopes import CONTACTS_READ, MARKETING_WRITE
from marketing_status.services import SwitchResult, contacts_set_marketing, contacts_set_non_marketing

STATUS, UNTIL_RENEWAL = "hs_marketable_status", "hs_marketable_until_renewal"

# --- The switches ------------------------------------------------------------------------------------------


class MarketingSwitchIdSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The contact's record id, or its email with `idProperty=email`.")


class MarketingSwitchResultSerializer(serializers.Serializer):
    # Renders a `SwitchedContact`: its state re-read after the switch; `changed` compares it with before.
    id = serializers.CharField()
    # Strings, as every property value: "true" or "false" (the status is "" only before R1).
    hs_marketable_status = serializers.CharField(allow_blank=True, help_text='R10: "true" while marketing.')
    hs_marketable_until_renewal = serializers.CharField(help_text='R11: "true" while pending non-marketing.')
    pending = serializers.BooleanField(help_text="R11: marketing until the next update date, then non-marketing.")
    changed = serializers.BooleanField(help_text="R13: false when the contact already had the requested status.")
    effectiveAt = serializers.DateTimeField(
        allow_null=True, help_text="When a pending switch takes effect (the next update date), else null."
    )

    def to_representation(self, instance: SwitchedContact) -> dict[str, Any]:
        contact = instance.after
        pending = bool(contact.marketable_until_renewal)
        return {
            "id": str(contact.pk),
            STATUS: PROPERTIES[STATUS].value(contact),
            UNTIL_RENEWAL: PROPERTIES[UNTIL_RENEWAL].value(contact),
            "pending": pending,
            "changed": instance.changed,
            "effectiveAt": instance.effective_at if pending else None,
        }


class MarketingSwitchResponseSerializer(BatchResponseSerializer):
    status = serializers.CharField(help_text='Always "COMPLETE": the switch runs before the response.')
    results = MarketingSwitchResultSerializer(many=True)
    startedAt = serializers.DateTimeField()
    completedAt = serializers.DateTimeField()

    def result(self, item: SwitchedContact) -> dict[str, Any]:
        return self.fields["results"].child.to_representation(item)


class MarketingBatchErrorSerializer(serializers.Serializer):
    status = serializers.CharField()
    category = serializers.CharField()
    message = serializers.CharField()
    context = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    errors = serializers.ListField(child=serializers.DictField())
    links = serializers.DictField(child=serializers.CharField())


class MarketingSwitchResponseWithErrorsSerializer(MarketingSwitchResponseSerializer):
    # The 207's shape, for the schema: `MarketingSwitchResponseSerializer` renders both.
    numErrors = serializers.IntegerField()
    errors = MarketingBatchErrorSerializer(many=True)


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


SWITCH_RESPONSES = {
    200: MarketingSwitchResponseSerializer,
    207: OpenApiResponse(
        MarketingSwitchResponseWithErrorsSerializer,
        description="Some ids named no live contact (OBJECT_NOT_FOUND); the others were applied.",
    ),
    **error_responses(400, 403),
}
SWITCH_EXAMPLE = OpenApiExample(
    "Two contacts by email",
    value={"inputs": [{"id": "ada@example.com"}, {"id": "alan@example.com"}], "idProperty": "email"},
    request_only=True,
)


class SwitchView(ApiView):
    """One bulk switch: parse the ids, find the contacts, apply the service, answer per contact."""

    required_scopes = {"POST": (MARKETING_WRITE,)}

    class InputSerializer(serializers.Serializer):
        # Validated by its fields: a bad shape, no inputs or more than `MAX_BATCH_INPUTS` is a 400 (B1).
        inputs = serializers.ListField(
            child=MarketingSwitchIdSerializer(), min_length=1, max_length=MAX_BATCH_INPUTS, allow_empty=False
        )
        idProperty = serializers.ChoiceField(
            choices=ID_PROPERTIES, default="hs_object_id", help_text="What the ids name: the record id or the email."
        )
        confirmTierUpgrade = serializers.BooleanField(
            default=False,
            help_text="B4: with the tier guard on, allow a change that takes the marketing count above the contact "
            "tier.",
        )

        class Meta:
            ref_name = "MarketingSwitchInput"

        def switch_request(self) -> SwitchRequest:
            """Distinct ids in the order given (B1: duplicates are applied once)."""
            values = self.validated_data
            return SwitchRequest(
                ids=list(dict.fromkeys(item["id"] for item in values["inputs"])),
                id_property=values["idProperty"],
                confirm_tier_upgrade=values["confirmTierUpgrade"],
            )

    OutputSerializer = MarketingSwitchResponseSerializer

    def switch(self, *, contact_ids: list[int], confirm_tier_upgrade: bool) -> SwitchResult:
        raise NotImplementedError

    def post(self, request):
        started_at = timezone.now()
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        switch = serializer.switch_request()
        targets = switch_targets_get(request=switch)
        self.switch(contact_ids=[c.pk for c in targets.contacts], confirm_tier_upgrade=switch.confirm_tier_upgrade)
        completed_at = timezone.now()
        result = BatchResult(
            results=contacts_switched(before=targets.contacts, now=completed_at),
            errors=not_found_errors(targets.missing),
            started_at=started_at,
            completed_at=completed_at,
        )
        return Response(self.OutputSerializer(result).data, status=result.http_status)


def _documented(summary: str, description: str) -> Callable:
    return extend_schema(
        summary=summary,
        description=description,
        tags=["Marketing contacts"],
        request=SwitchView.InputSerializer,
        responses=SWITCH_RESPONSES,
        examples=[SWITCH_EXAMPLE],
    )


class SetMarketingView(SwitchView):
    @_documented(
        "Set contacts as marketing contacts",
        "R10: non-marketing contacts become marketing at once and count toward the bill. R12: a contact pending "
        "a switch to non-marketing stays marketing and its pending switch is cleared. R13: contacts already "
        "marketing are unchanged (`changed: false`). B4: with the tier guard on, a change that would take the "
        "count above the contact tier is refused (400, subCategory TIER_UPGRADE_NOT_CONFIRMED, naming the counts) "
        "unless `confirmTierUpgrade` is true; the tier then upgrades (R24). Needs the marketing-contacts.write "
        "scope (R30).",
    )
    def post(self, request):
        return super().post(request)

    def switch(self, *, contact_ids: list[int], confirm_tier_upgrade: bool) -> SwitchResult:
        """R10, R12, R13, B4."""
        return contacts_set_marketing(contacts=contact_ids, actor=self.actor, confirm_tier_upgrade=confirm_tier_upgrade)


class SetNonMarketingView(SwitchView):
    @_documented(
        "Set contacts as non-marketing contacts",
        "R11: marketing contacts stay marketing until the next update date (`pending: true`, "
        '`hs_marketable_until_renewal` "true", `effectiveAt` the start of that date), then become '
        "non-marketing. R13: contacts already non-marketing or already pending are unchanged. "
        "`confirmTierUpgrade` is ignored: this never raises the count. Needs the marketing-contacts.write scope (R30).",
    )
    def post(self, request):
        return super().post(request)

    def switch(self, *, contact_ids: list[int], confirm_tier_upgrade: bool) -> SwitchResult:
        """R11, R13."""
        return contacts_set_non_marketing(contacts=contact_ids, actor=self.actor)


# --- Usage (R23) -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarketingUsage:
    subscription: Subscription
    usage: Usage
    periods: list[BillingPeriod]


class MarketingBillingPeriodSerializer(serializers.Serializer):
    startsAt = serializers.DateTimeField()
    updateDate = serializers.DateField(help_text="R20: the update date that ends the period.")
    updateAt = serializers.DateTimeField(help_text="The start of the update date, in the account's time zone.")
    countAtOpen = serializers.IntegerField()
    peakCount = serializers.IntegerField()
    countAtClose = serializers.IntegerField(allow_null=True)
    closedAt = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance: BillingPeriod) -> dict[str, Any]:
        closed_at = instance.closed_at
        return {
            "startsAt": format_datetime(instance.starts_at),
            "updateDate": instance.update_date.isoformat(),
            "updateAt": format_datetime(instance.update_at),
            "countAtOpen": instance.count_at_open,
            "peakCount": instance.peak_count,
            "countAtClose": instance.count_at_close,
            "closedAt": format_datetime(closed_at) if closed_at else None,
        }


class UsageView(ApiView):
    required_scopes = {"GET": (CONTACTS_READ,)}

    class OutputSerializer(serializers.Serializer):
        # Renders a `MarketingUsage`.
        tierLimit = serializers.IntegerField(help_text="R24: marketing contacts the contact tier includes.")
        marketingCount = serializers.IntegerField(help_text="R21: the billable count, pending contacts included.")
        pendingCount = serializers.IntegerField(help_text="R11: contacts that become non-marketing at the next update.")
        nextUpdateDate = serializers.DateField()
        nextUpdateAt = serializers.DateTimeField()
        currentPeriod = MarketingBillingPeriodSerializer(allow_null=True)
        periods = MarketingBillingPeriodSerializer(
            many=True, help_text="R23: the latest billing periods, oldest first."
        )
        hubTier = serializers.ChoiceField(choices=[tier.value for tier in HubTier], help_text="R25")
        billingCycle = serializers.ChoiceField(choices=[cycle.value for cycle in BillingCycle])
        renewalDate = serializers.DateField()
        tierBlockSize = serializers.IntegerField()
        tierGuardEnabled = serializers.BooleanField(help_text="B4: crossing the tier needs `confirmTierUpgrade`.")

        class Meta:
            ref_name = "MarketingUsage"

        def to_representation(self, instance: MarketingUsage) -> dict[str, Any]:
            usage, subscription = instance.usage, instance.subscription
            period = self.fields["currentPeriod"]
            return {
                "tierLimit": usage.tier_limit,
                "marketingCount": usage.marketing_count,
                "pendingCount": usage.pending_count,
                "nextUpdateDate": usage.next_update_date.isoformat(),
                "nextUpdateAt": format_datetime(update_moment(usage.next_update_date)),
                "currentPeriod": period.to_representation(usage.current_period) if usage.current_period else None,
                "periods": self.fields["periods"].to_representation(instance.periods),
                "hubTier": subscription.hub_tier,
                "billingCycle": subscription.billing_cycle,
                "renewalDate": subscription.renewal_date.isoformat(),
                "tierBlockSize": subscription.tier_block_size,
                "tierGuardEnabled": subscription.tier_guard_enabled,
            }

    @extend_schema(
        summary="Marketing contacts usage and limits",
        description="R23: the contact tier limit, the marketing count (R21, pending included), the count pending "
        "non-marketing (R11), the next update date (R20), the open billing period and recent periods' counts. "
        "400 (subCategory MARKETING_CONTACTS_NOT_ENABLED) when the account has no subscription or marketing "
        "contacts are not enabled (R1).",
        tags=["Marketing contacts"],
        responses={200: OutputSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        """R23."""
        subscription = enabled_subscription_get()
        usage = usage_get(subscription=subscription)
        periods = billing_periods_recent(subscription=subscription)
        return Response(self.OutputSerializer(MarketingUsage(subscription, usage, periods)).data)
