"""Who or what asks for a change (R30).

Every service that changes contacts, companies, billing or a marketing status takes an `Actor`. A user
needs the permission the change asks for (the *Marketing contact access* permission for a marketing
status), an integration the `marketing-contacts.write` scope; workflows, forms, chatflows, imports and
the system act under settings that a permitted user made. The actor is the bottom layer's, so that
every app may take one; what a switch by each kind of actor records is `marketing_status.actors`'.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied

from crm.enums import Labelled

MARKETING_ACCESS_PERMISSION = "marketing_status.marketing_contact_access"
MARKETING_WRITE_SCOPE = "marketing-contacts.write"


class ActorKind(Labelled, StrEnum):
    USER = "USER"
    INTEGRATION = "INTEGRATION"
    WORKFLOW = "WORKFLOW"
    FORM = "FORM"
    CHATFLOW = "CHATFLOW"
    IMPORT = "IMPORT"
    SYSTEM = "SYSTEM"

    @property
    def label(self) -> str:
        """What screens show; the API keeps the value."""
        return ACTOR_KIND_LABELS[self]


ACTOR_KIND_LABELS: dict[ActorKind, str] = {
    ActorKind.USER: "User",
    ActorKind.INTEGRATION: "Integration",
    ActorKind.WORKFLOW: "Workflow",
    ActorKind.FORM: "Form",
    ActorKind.CHATFLOW: "Chatflow",
    ActorKind.IMPORT: "Import",
    ActorKind.SYSTEM: "System",
}


class MarketingStatusPermissionDenied(Exception):
    """R30: the actor may not change marketing status. Nothing was changed."""


class ActorPermissionDenied(MarketingStatusPermissionDenied, PermissionDenied):
    """A person lacks the permission an action needs (creating contacts, building forms…). Nothing was
    changed. It is both Django's `PermissionDenied` and `MarketingStatusPermissionDenied`, so views of
    either kind answer it with their 403."""


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str
    user: Any = field(default=None, compare=False)
    scopes: frozenset[str] = frozenset()

    @classmethod
    def for_user(cls, user) -> "Actor":
        return cls(ActorKind.USER, str(user.pk), user=user)

    @classmethod
    def for_integration(cls, integration_id: object, *, scopes: frozenset[str] | set[str] = frozenset()) -> "Actor":
        return cls(ActorKind.INTEGRATION, str(integration_id), scopes=frozenset(scopes))

    @classmethod
    def system(cls, job: str) -> "Actor":
        return cls(ActorKind.SYSTEM, job)

    @property
    def user_id(self) -> int | None:
        return None if self.user is None else self.user.pk

    def ensure_permission(self, permission: str, message: str) -> None:
        """A person needs `permission` (raise `ActorPermissionDenied` with `message`); integrations, forms,
        chatflows, imports and the system act under settings and scopes checked where they were given."""
        if self.kind == ActorKind.USER and (self.user is None or not self.user.has_perm(permission)):
            raise ActorPermissionDenied(message)

    def may_change_status(self) -> bool:
        """R30 as a yes or no, for screens that disable what the services would refuse (the same check)."""
        try:
            self.ensure_may_change_status()
        except MarketingStatusPermissionDenied:
            return False
        return True

    def ensure_may_change_status(self) -> None:
        """R30: raise `MarketingStatusPermissionDenied` unless this actor may change marketing status."""
        if self.kind == ActorKind.USER:
            if self.user is None or not self.user.is_active or not self.user.has_perm(MARKETING_ACCESS_PERMISSION):
                raise MarketingStatusPermissionDenied(
                    "You need the Marketing contact access permission to change marketing contact status."
                )
        elif self.kind == ActorKind.INTEGRATION and MARKETING_WRITE_SCOPE not in self.scopes:
            raise MarketingStatusPermissionDenied(
                f"This integration needs the {MARKETING_WRITE_SCOPE} scope to change marketing contact status."
            )
