"""Scopes (R30): each API view names the scopes each HTTP method needs."""

from collections.abc import Iterable

from rest_framework import permissions

from api.errors import ApiError
from api.inputs import WriteInput
from integrations.scopes import CONTACTS_READ, CONTACTS_WRITE, MARKETING_WRITE
from marketing_status.actors import Actor


class HasScopes(permissions.BasePermission):
    """The integration's token carries every scope `view.required_scopes[method]` names.

    Views set `required_scopes = {"GET": (...), "POST": (...)}`; the default is read for safe methods
    and write for the others. A missing scope is 403 MISSING_SCOPES, naming the scopes needed.
    """

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        required = scopes_required(view, request.method)
        missing = sorted(set(required) - request.auth.scope_set)
        if missing:
            raise missing_scopes_error(required)
        return True


def scopes_required(view, method: str) -> tuple[str, ...]:
    declared = getattr(view, "required_scopes", None) or {}
    if method in declared:
        return tuple(declared[method])
    return (CONTACTS_READ,) if method in permissions.SAFE_METHODS else (CONTACTS_WRITE,)


def missing_scopes_error(required) -> ApiError:
    return ApiError(
        status=403,
        category="MISSING_SCOPES",
        message="This app hasn't been granted all required scopes to make this call.",
        errors=[
            {
                "message": f"One or more of the following scopes are required: {sorted(required)}",
                "context": {"requiredGranularScopes": sorted(required)},
            }
        ],
        sub_category="api-key-missing-required-scopes",
    )


def ensure_may_set_status(*, actor: Actor, inputs: Iterable[WriteInput]) -> None:
    """R30: writing `hs_marketable_status` needs the marketing-contacts.write scope; refused before any write,
    and before the inputs' own errors are reported."""
    if any(item.sets_status for item in inputs) and MARKETING_WRITE not in actor.scopes:
        raise missing_scopes_error((CONTACTS_WRITE, MARKETING_WRITE))
