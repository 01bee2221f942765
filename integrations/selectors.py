"""Reads of integrations."""

import hashlib

from django.db.models import QuerySet
from django.urls import reverse

from capture.selectors import settings_switched_on
from capture.sources import CREATED, INTEGRATION, SWITCHED_ON, StatusTool
from integrations.models import Integration
from integrations.scopes import MARKETING_WRITE
from marketing_status.models import CreationToolSetting, CreationToolSettingChange
from marketing_status.policy import CONFIGURABLE_TOOL_DEFAULTS, CreationTool
from marketing_status.selectors import creation_tool_setting_get


def token_hash(token: str) -> str:
    """Tokens are random and long, so a plain SHA-256 is enough to keep them unusable if the table leaks."""
    return hashlib.sha256(token.encode()).hexdigest()


def integration_for_token(token: str) -> Integration | None:
    """The active integration this bearer token belongs to, or None."""
    return Integration.objects.filter(token_hash=token_hash(token), revoked_at__isnull=True).first()


def integrations_list() -> QuerySet:
    return Integration.objects.select_related("created_by", "revoked_by")


def integration_marketing_on_create(*, integration: Integration) -> bool:
    """R8: whether this integration creates marketing contacts (off unless someone switched it on)."""
    return creation_tool_setting_get(tool=CreationTool.INTEGRATION, source_id=str(integration.pk))


def integrations_marketing_on_create(*, integrations: list[Integration]) -> dict[int, bool]:
    """R8 for a page of integrations, in one query: the stored setting, or the default (off)."""
    stored = dict(
        CreationToolSetting.objects.filter(
            tool=CreationTool.INTEGRATION, source_id__in=[str(integration.pk) for integration in integrations]
        ).values_list("source_id", "marketing_on_create")
    )
    default = CONFIGURABLE_TOOL_DEFAULTS[CreationTool.INTEGRATION]
    return {integration.pk: stored.get(str(integration.pk), default) for integration in integrations}


def integration_setting_history(*, integration: Integration) -> QuerySet:
    """R8: who switched this integration's setting, when, from what to what; newest first."""
    return (
        CreationToolSettingChange.objects.filter(tool=CreationTool.INTEGRATION, source_id=str(integration.pk))
        .select_related("changed_by")
        .order_by("-changed_at", "-pk")
    )


def integrations_by_source_id(source_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Integration id -> (name, detail URL), for pages that name it by id (`crm.sources`)."""
    ids = [int(source_id) for source_id in source_ids if source_id.isdigit()]
    rows = Integration.objects.filter(pk__in=ids).values_list("pk", "name")
    return {str(pk): (name, reverse("integrations:detail", args=[pk])) for pk, name in rows}


def integrations_setting_status() -> list[StatusTool]:
    """R8 and R30 for Settings > Lead capture: active integrations whose setting is on (with who last switched
    it on), and active integrations whose token holds the marketing-contacts.write scope (with who created it:
    scopes are given at creation only)."""
    active = list(Integration.objects.filter(revoked_at__isnull=True).select_related("created_by"))
    on = set(
        CreationToolSetting.objects.filter(
            tool=CreationTool.INTEGRATION, marketing_on_create=True, source_id__in=[str(i.pk) for i in active]
        ).values_list("source_id", flat=True)
    )
    switched = settings_switched_on(tool=CreationTool.INTEGRATION, source_ids=sorted(on))
    tools = []
    for integration in active:
        if str(integration.pk) in on:
            tools.append(_setting_status(integration, switched.get(str(integration.pk))))
        if MARKETING_WRITE in integration.scopes:
            tools.append(_scope_status(integration))
    return tools


def _setting_status(integration: Integration, change) -> StatusTool:
    url = reverse("integrations:detail", args=[integration.pk])
    return StatusTool(
        key=f"integration:{integration.pk}",
        kind=INTEGRATION,
        name=integration.name,
        url=url,
        switch_url=url + "#marketing-setting",
        effect="New contacts it creates through the API are marketing.",
        person=change.changed_by if change else integration.created_by,
        person_did=SWITCHED_ON if change else CREATED,
        at=change.changed_at if change else integration.created_at,
    )


def _scope_status(integration: Integration) -> StatusTool:
    return StatusTool(
        key=f"integration-scope:{integration.pk}",
        kind=INTEGRATION,
        name=integration.name,
        url=reverse("integrations:detail", args=[integration.pk]),
        switch_url=reverse("integrations:revoke", args=[integration.pk]),
        effect="Its token may change contacts' marketing status through the API.",
        person=integration.created_by,
        person_did=CREATED,
        at=integration.created_at,
        note="Only revoking its token takes this away.",
        switch_label="Revoke…",
    )
