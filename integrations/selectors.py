"""Reads of integrations."""

import hashlib

from django.db.models import QuerySet
from django.urls import reverse

from integrations.models import Integration
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
    """Integration id -> (name, detail URL), for pages that list settings by source id (`capture.sources`)."""
    ids = [int(source_id) for source_id in source_ids if source_id.isdigit()]
    rows = Integration.objects.filter(pk__in=ids).values_list("pk", "name")
    return {str(pk): (name, reverse("integrations:detail", args=[pk])) for pk, name in rows}
