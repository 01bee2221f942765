"""Pure decisions of the workflow engine: no database.

What a step does to one contact given its current values (R10–R13 through `decide_switch`), whether a
tier allows an action (R18), whether an edit needs Marketing contact access (R30), when a delay ends, how
long to wait before a retry (R19), and whether a contact that newly meets the triggers may enroll
(re-enrollment).
"""

import datetime as dt
from dataclasses import dataclass

from billing.policy import HubTier
from marketing_status.policy import Effect, Status, decide_switch

NON_MARKETING_TIERS = frozenset({HubTier.PROFESSIONAL, HubTier.ENTERPRISE})
R18_REFUSAL = "Setting contacts as non-marketing with workflows needs a Professional or Enterprise subscription."
RETRY_BASE_SECONDS = 2
RETRY_MAX_SECONDS = 300  # far below the broker's visibility timeout (crm.settings)


def edit_needs_status_access(*, sets_status_before: bool, sets_status_after: bool, retargeted: bool) -> bool:
    """R30: an edit of a workflow that sets marketing status, before or after the edit, needs Marketing contact
    access when it changes whom or what the status actions reach (`retargeted`: its triggers, re-enrollment or
    actions changed). Its name and description may be edited by anyone who may edit workflows."""
    return (sets_status_before or sets_status_after) and retargeted


def non_marketing_allowed(hub_tier: str | None) -> bool:
    """R18: only Professional and Enterprise subscriptions may set contacts non-marketing with workflows."""
    return hub_tier in NON_MARKETING_TIERS


@dataclass(frozen=True)
class StepPlan:
    """What a step does to one contact: its outcome, the detail shown in the history, and whether it writes."""

    outcome: str  # workflows.models.StepOutcome
    detail: str
    writes: bool = False


DELETED = StepPlan("SKIPPED", "Contact deleted")

_SWITCH_DETAILS = {
    (True, Effect.NOW): "Set as marketing",  # R10
    (True, Effect.CANCEL_PENDING): "Stays marketing: the pending switch to non-marketing was cancelled",  # R12
    (True, Effect.NOTHING): "Already marketing",  # R13
    (False, Effect.AT_NEXT_UPDATE): "Set as non-marketing from the next update date",  # R11
    (False, Effect.NOTHING): "Already non-marketing or pending",  # R13
}


def plan_status_step(*, marketing: bool, current: Status | None) -> StepPlan:
    """R10–R13 for one contact (`current` None: the contact is deleted, R22)."""
    if current is None:
        return DELETED
    if current.is_marketing is None:
        return StepPlan("FAILED", "Marketing contacts are not enabled for this account")  # R1
    effect = decide_switch(current=current, to_marketing=marketing).effect
    return StepPlan("DONE", _SWITCH_DETAILS[(marketing, effect)], writes=effect is not Effect.NOTHING)


def plan_property_step(*, label: str, shown: str, current: object, value: object, deleted: bool) -> StepPlan:
    if deleted:
        return DELETED
    if current == value:
        return StepPlan("DONE", f"{label} was already {shown}")
    return StepPlan("DONE", f"Set {label} to {shown}", writes=True)


def plan_list_step(*, adding: bool, list_name: str, member: bool, deleted: bool) -> StepPlan:
    if deleted:
        return DELETED
    if adding:
        return (
            StepPlan("DONE", f"Already in list {list_name}")
            if member
            else StepPlan("DONE", f"Added to list {list_name}", writes=True)
        )
    return (
        StepPlan("DONE", f"Removed from list {list_name}", writes=True)
        if member
        else StepPlan("DONE", f"Not in list {list_name}")
    )


def delay_end(*, params: dict, now: dt.datetime) -> dt.datetime:
    """When a DELAY step started at `now` ends: `seconds` after it, or at `until`."""
    if params.get("until"):
        return dt.datetime.fromisoformat(str(params["until"]))
    return now + dt.timedelta(seconds=int(params["seconds"]))


def retry_delay(attempts: int) -> int:
    """R19: seconds before try number `attempts + 1`: 2, 4, 8 … up to five minutes, never giving up."""
    return min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, min(attempts, 16) - 1))


def may_enroll(*, enrolled_before: bool, last_finished: bool, allow_reenrollment: bool) -> bool:
    """A contact that newly meets the triggers enrolls the first time, and again only when the workflow
    allows re-enrollment and its last enrollment finished."""
    if not enrolled_before:
        return True
    return allow_reenrollment and last_finished
