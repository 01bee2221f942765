"""Reads of integrations."""

import hashlib

from django.db.models import QuerySet

from integrations.models import Integration
from marketing_status.policy import CreationTool
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
