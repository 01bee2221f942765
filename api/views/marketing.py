"""The marketing-status endpoints (B1): set contacts as marketing or non-marketing in bulk, and usage (R23).

Switches go through `marketing_status.services` with the integration as actor, so R10–R13, R30 and
B4 hold exactly as in the UI; the history rows record `INTEGRATOR_SET` and the integration's id.
"""

from collections.abc import Callable

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.response import Response

from api.marketing_api import (
    MarketingSwitchInputSerializer,
    MarketingSwitchResponseSerializer,
    MarketingSwitchResponseWithErrorsSerializer,
    MarketingUsageSerializer,
    enabled_subscription_get,
    switch_request_parse,
    switch_response,
    switch_results,
    switch_targets_get,
    usage_body,
)
from api.openapi import error_responses
from api.views.base import ApiView
from integrations.scopes import CONTACTS_READ, MARKETING_WRITE
from marketing_status.services import SwitchResult, contacts_set_marketing, contacts_set_non_marketing

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

    def switch(self, *, contact_ids: list[int], confirm_tier_upgrade: bool) -> SwitchResult:
        raise NotImplementedError

    def post(self, request):
        started_at = timezone.now()
        switch = switch_request_parse(request.data)
        targets = switch_targets_get(request=switch)
        self.switch(contact_ids=[c.pk for c in targets.contacts], confirm_tier_upgrade=switch.confirm_tier_upgrade)
        completed_at = timezone.now()
        body, status = switch_response(
            results=switch_results(before=targets.contacts, now=completed_at),
            missing=targets.missing,
            started_at=started_at,
            completed_at=completed_at,
        )
        return Response(body, status=status)


def _documented(summary: str, description: str) -> Callable:
    return extend_schema(
        summary=summary,
        description=description,
        tags=["Marketing contacts"],
        request=MarketingSwitchInputSerializer,
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


class UsageView(ApiView):
    required_scopes = {"GET": (CONTACTS_READ,)}

    @extend_schema(
        summary="Marketing contacts usage and limits",
        description="R23: the contact tier limit, the marketing count (R21, pending included), the count pending "
        "non-marketing (R11), the next update date (R20), the open billing period and recent periods' counts. "
        "400 (subCategory MARKETING_CONTACTS_NOT_ENABLED) when the account has no subscription or marketing "
        "contacts are not enabled (R1).",
        tags=["Marketing contacts"],
        responses={200: MarketingUsageSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        """R23."""
        return Response(usage_body(subscription=enabled_subscription_get()))
