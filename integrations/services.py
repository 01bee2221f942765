"""Writes of integrations: create (the token is returned once), revoke, and the R8 setting."""

import secrets
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from integrations.models import Integration
from integrations.scopes import ALL_SCOPES, DEFAULT_SCOPES, MARKETING_WRITE
from integrations.selectors import token_hash
from marketing_status.actors import Actor
from marketing_status.policy import CreationTool
from marketing_status.services import creation_tool_setting_set

TOKEN_PREFIX = "pat-crm-"


class IntegrationInvalid(ValueError):
    """The name is empty or a scope is unknown. Nothing was created."""


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def integration_create(
    *,
    name: str,
    scopes: Iterable[str] = DEFAULT_SCOPES,
    marketing_on_create: bool = False,
    actor: Actor,
    now: datetime | None = None,
) -> tuple[Integration, str]:
    """Create an integration and return it with its token, which is not stored and cannot be shown again.

    R8: `marketing_on_create` switches on this integration's "create contacts as marketing" setting.
    R30: that, and granting the `marketing-contacts.write` scope (which lets the token change marketing
    status), need the Marketing contact access permission: whoever may not change statuses may not hand
    that right to a token. Refused or invalid: nothing is created.
    """
    name = name.strip()
    scopes = sorted(set(scopes))
    if not name:
        raise IntegrationInvalid("Give the integration a name.")
    if len(name) > Integration._meta.get_field("name").max_length:
        raise IntegrationInvalid("The name can have at most 100 characters.")
    if unknown := set(scopes) - ALL_SCOPES:
        raise IntegrationInvalid(f"Unknown scope(s): {', '.join(sorted(unknown))}.")
    if marketing_on_create or MARKETING_WRITE in scopes:
        actor.ensure_may_change_status()
    token = _new_token()
    with transaction.atomic():
        integration = Integration.objects.create(
            name=name,
            token_prefix=token[: len(TOKEN_PREFIX) + 4],
            token_hash=token_hash(token),
            scopes=scopes,
            created_by=actor.user,
            created_at=now or timezone.now(),
        )
        if marketing_on_create:
            integration_marketing_on_create_set(integration=integration, marketing_on_create=True, actor=actor, now=now)
    return integration, token


def integration_revoke(*, integration: Integration, actor: Actor) -> bool:
    """Revoke the token at once; requests with it get 401 from then on. Returns False if already revoked."""
    return bool(
        Integration.objects.filter(pk=integration.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor.user
        )
    )


def integration_marketing_on_create_set(
    *, integration: Integration, marketing_on_create: bool, actor: Actor, now: datetime | None = None
) -> None:
    """R8: switch this integration's "create contacts as marketing" setting; recorded with who and when.

    It affects only contacts created afterwards.
    """
    creation_tool_setting_set(
        tool=CreationTool.INTEGRATION,
        source_id=str(integration.pk),
        marketing_on_create=marketing_on_create,
        actor=actor,
        now=now,
    )


def integration_touch(*, integration: Integration) -> None:
    """Record that the token was used, at most once a minute, so that reads don't each write a row."""
    now = timezone.now()
    if integration.last_used_at is None or (now - integration.last_used_at).total_seconds() >= 60:
        Integration.objects.filter(pk=integration.pk).update(last_used_at=now)
        integration.last_used_at = now
