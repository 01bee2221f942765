"""Who or what asks for a change of marketing status (R30), and the source type a switch by it records.

The `Actor` itself is the bottom layer's (`crm.actors`), so that contacts, companies and billing take
one without importing this app; it is re-exported here for the apps above.
"""

from contacts.vocabulary import ReasonType
from crm.actors import (
    ACTOR_KIND_LABELS,
    MARKETING_ACCESS_PERMISSION,
    MARKETING_WRITE_SCOPE,
    Actor,
    ActorKind,
    ActorPermissionDenied,
    MarketingStatusPermissionDenied,
)

__all__ = [
    "ACTOR_KIND_LABELS",
    "MARKETING_ACCESS_PERMISSION",
    "MARKETING_WRITE_SCOPE",
    "Actor",
    "ActorKind",
    "ActorPermissionDenied",
    "MarketingStatusPermissionDenied",
    "reason_type_of",
]

_REASON_BY_KIND = {
    ActorKind.USER: ReasonType.USER_SET,
    ActorKind.INTEGRATION: ReasonType.INTEGRATOR_SET,
    ActorKind.WORKFLOW: ReasonType.WORKFLOW,
    ActorKind.FORM: ReasonType.FORM_SUBMISSION,
    ActorKind.CHATFLOW: ReasonType.CONVERSATION,
    ActorKind.IMPORT: ReasonType.CONTACT_IMPORT,
    ActorKind.SYSTEM: ReasonType.INITIAL_STATE,
}


def reason_type_of(actor: Actor) -> ReasonType:
    """The `hs_marketable_reason_type` a switch made by `actor` records."""
    return _REASON_BY_KIND[actor.kind]
