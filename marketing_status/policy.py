"""The marketing-status policy: pure decisions, no database.

Given plain values (a creation tool and its setting, a contact's current status and a requested
switch), it answers what the status becomes and when. Services in `marketing_status.services` and
`marketing_status.creation` apply these decisions to the database, set-based.
"""

from dataclasses import dataclass
from enum import StrEnum

from contacts.vocabulary import (
    CREATION_TOOL_LABELS,
    REASON_TYPE_LABELS,
    CreationTool,
    ReasonType,
)

# The vocabulary is the contacts app's; it is re-exported for the policy's callers.
__all__ = ["CREATION_TOOL_LABELS", "REASON_TYPE_LABELS", "CreationTool", "ReasonType"]


# R5–R8: tools whose "create as marketing" setting is stored (per form, chatflow, integration, or
# account-wide for non-HubSpot forms), with the value that applies when nobody changed it.
CONFIGURABLE_TOOL_DEFAULTS: dict[CreationTool, bool] = {
    CreationTool.HUBSPOT_FORM: True,
    CreationTool.NON_HUBSPOT_FORM: True,
    CreationTool.CHATFLOW: False,
    CreationTool.INTEGRATION: False,
}
# R3, R4: tools where the person creating the contacts chooses.
CHOOSING_TOOLS = frozenset({CreationTool.MANUAL, CreationTool.IMPORT})
# B1: tools whose caller may state the new contact's status outright (the API's hs_marketable_status
# on create), overriding the tool's setting; stating it needs the marketing-contacts.write scope (R30).
STATING_TOOLS = frozenset({CreationTool.INTEGRATION})
# R5, R6: tools whose setting also upgrades an existing non-marketing contact.
UPGRADING_TOOLS = frozenset({CreationTool.HUBSPOT_FORM, CreationTool.NON_HUBSPOT_FORM})

TOOL_REASON_TYPES: dict[CreationTool, ReasonType] = {
    CreationTool.MANUAL: ReasonType.USER_SET,
    CreationTool.IMPORT: ReasonType.CONTACT_IMPORT,
    CreationTool.MULTI_IMPORT: ReasonType.CONTACT_IMPORT,
    CreationTool.HUBSPOT_FORM: ReasonType.FORM_SUBMISSION,
    CreationTool.NON_HUBSPOT_FORM: ReasonType.FORM_SUBMISSION,
    CreationTool.CHATFLOW: ReasonType.CONVERSATION,
    CreationTool.INTEGRATION: ReasonType.INTEGRATOR_SET,
    CreationTool.ONE_TO_ONE_EMAIL: ReasonType.EMAIL,
    CreationTool.TEAM_INBOX: ReasonType.EMAIL,
    CreationTool.EMAIL_EXTENSION: ReasonType.EMAIL,
    CreationTool.SAMPLE: ReasonType.SAMPLE_CONTACT,
}


@dataclass(frozen=True)
class Status:
    """A contact's marketing status: `hs_marketable_status` and `hs_marketable_until_renewal`.

    `is_marketing` is None only before marketing contacts are enabled for the account (R1).
    """

    is_marketing: bool | None
    until_renewal: bool = False


UNSET = Status(None, False)
NON_MARKETING = Status(False, False)
MARKETING = Status(True, False)
PENDING = Status(True, True)  # marketing until the next update date (R11)
STATUSES = (NON_MARKETING, MARKETING, PENDING)


class Effect(StrEnum):
    """What a requested switch does."""

    NOW = "now"  # R10: becomes marketing at once
    CANCEL_PENDING = "cancel_pending"  # R12: stays marketing, no longer pending
    AT_NEXT_UPDATE = "at_next_update"  # R11: becomes non-marketing at the next update date
    NOTHING = "nothing"  # R13: already there


@dataclass(frozen=True)
class SwitchDecision:
    effect: Effect
    new_status: Status

    @property
    def changes(self) -> bool:
        return self.effect is not Effect.NOTHING


@dataclass(frozen=True)
class NewContactDecision:
    """The status a new contact gets (R2) and whether the creator's permission must be checked (R3, R4)."""

    status: Status
    reason_type: ReasonType
    reason_id: str
    needs_permission: bool


def decide_switch(*, current: Status, to_marketing: bool) -> SwitchDecision:
    """R10–R13: what asking for marketing (or non-marketing) does to a contact with `current` status."""
    if current.is_marketing is None:
        raise ValueError("marketing contacts are not enabled for this account (R1)")
    if to_marketing:
        if not current.is_marketing:
            return SwitchDecision(Effect.NOW, MARKETING)
        if current.until_renewal:
            return SwitchDecision(Effect.CANCEL_PENDING, MARKETING)
        return SwitchDecision(Effect.NOTHING, current)
    if current.is_marketing and not current.until_renewal:
        return SwitchDecision(Effect.AT_NEXT_UPDATE, PENDING)
    return SwitchDecision(Effect.NOTHING, current)


def sources_of_switch(*, to_marketing: bool) -> tuple[tuple[Status, ...], Status]:
    """The statuses a switch changes and the one status they all become, for set-based updates."""
    changed = [status for status in STATUSES if decide_switch(current=status, to_marketing=to_marketing).changes]
    targets = {decide_switch(current=status, to_marketing=to_marketing).new_status for status in changed}
    (target,) = targets
    return tuple(changed), target


def decide_new_contact(
    *,
    tool: CreationTool,
    source_id: str,
    tool_setting: bool | None = None,
    requested_marketing: bool = False,
    stated_marketing: bool | None = None,
    enabled: bool = True,
) -> NewContactDecision:
    """R2–R9: the status a contact created by `tool` gets.

    `tool_setting` is the stored "create as marketing" setting of the form, chatflow or integration
    (None: never changed, so the tool's default applies). `requested_marketing` is the creator's
    choice for manual creation (R3) and the "Set all contacts as marketing contacts" checkbox of a
    single-file, single-object import (R4). With marketing contacts not yet enabled (`enabled`
    False) contacts have no status until R1 sets them all. `stated_marketing` (B1) is the status an
    integration writes in `hs_marketable_status` when it creates a contact: it overrides the
    integration's setting (R8) and, like a person's choice, needs the permission (R30).
    """
    reason_type = TOOL_REASON_TYPES.get(tool, ReasonType.INITIAL_STATE)
    stated = tool in STATING_TOOLS and stated_marketing is not None
    if stated:
        marketing = stated_marketing
    elif tool in CHOOSING_TOOLS:
        marketing = requested_marketing
    elif tool in CONFIGURABLE_TOOL_DEFAULTS:
        marketing = CONFIGURABLE_TOOL_DEFAULTS[tool] if tool_setting is None else tool_setting
    else:
        marketing = False  # R9, and R4 for multi-object or multi-file imports
    if not enabled:
        return NewContactDecision(UNSET, reason_type, source_id, needs_permission=False)
    status = MARKETING if marketing else NON_MARKETING
    needs_permission = stated or (marketing and tool in CHOOSING_TOOLS)
    return NewContactDecision(status, reason_type, source_id, needs_permission=needs_permission)


def upgrades_existing_contact(*, tool: CreationTool, tool_setting: bool | None) -> bool:
    """R5, R6: does a submission through `tool` ask for an existing contact to become marketing?

    Only HubSpot and non-HubSpot forms with their setting on do. The request then follows R10 (a
    non-marketing contact becomes marketing) and R12 (a pending one stays marketing).
    """
    if tool not in UPGRADING_TOOLS:
        return False
    return CONFIGURABLE_TOOL_DEFAULTS[tool] if tool_setting is None else tool_setting


class TierGuard(StrEnum):
    """B4: what the tier guard does to a change or creation that may make contacts marketing."""

    PROCEED = "proceed"  # the guard is off, the change was confirmed, or it stays within the tier
    REFUSE = "refuse"  # an attended caller is asked to confirm: nothing changes
    HOLD = "hold"  # unattended intake keeps its contacts, non-marketing, until someone confirms


def tier_guard_asks(*, guard_enabled: bool, confirmed: bool) -> bool:
    """B4: may the guard stop this change at all? Only then is its billing impact worth measuring."""
    return guard_enabled and not confirmed


def decide_tier_guard(*, guard_enabled: bool, confirmed: bool, crosses_tier: bool, attended: bool) -> TierGuard:
    """B4: the tier guard's decision for a change that would make contacts marketing.

    `guard_enabled` is the account's setting, `confirmed` the caller's explicit confirmation (a box in
    the UI, `confirmTierUpgrade` in the API, stored on an import when it started), `crosses_tier`
    whether the marketing count would then exceed the contact tier (R24). `attended` callers can take
    a refusal: a person, an API client, a workflow step that records it. Unattended intake (forms,
    chat, meetings, an import's later chunks) has nobody to ask and must not lose the contact, so the
    guard holds it non-marketing instead.
    """
    if not tier_guard_asks(guard_enabled=guard_enabled, confirmed=confirmed) or not crosses_tier:
        return TierGuard.PROCEED
    return TierGuard.REFUSE if attended else TierGuard.HOLD
