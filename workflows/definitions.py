"""Writes of workflow definitions: create, edit, switch on and off (R18, R19).

`workflow_create` / `workflow_update` validate triggers (`workflows.triggers`) and actions (R18's tier rule;
R30 for status actions, and for any change of the triggers, re-enrollment or actions of a workflow that has
one) and write the workflow, its actions and a `WorkflowChange` row in one transaction. `workflow_enable` /
`workflow_disable` switch it; switching on records which contacts meet the triggers now (`WorkflowMatch`,
`workflow_match_all`), and has them enrolled by the chunked job of `workflows.enrollment` when asked to.

Locks: a workflow's row is locked `FOR UPDATE` by whatever changes its definition or state; switching on or
off then takes the change feed's lock (`ContactChangeConsumer.objects.lock_writers`) after the workflow's row.
The readers of that row (the change feed's consumer, the enroll-existing job, the step runner) are in
`workflows.enrollment` and `workflows.steps`.
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from billing.selectors import subscription_get
from contacts.models import ContactChangeConsumer, ContactList
from contacts.properties import MARKETING_STATUS, PROPERTIES, contact_input
from crm.tasks import task_send_on_commit
from marketing_status.actors import Actor
from workflows import policy
from workflows.enrollment import ENROLL_EXISTING_TASK, FEED_CONSUMER, FEED_TASK
from workflows.errors import WorkflowInvalid
from workflows.models import ActionKind, Workflow, WorkflowAction, WorkflowChange, WorkflowMatch
from workflows.triggers import matching_contacts, triggers_clean

__all__ = [
    "ActionSpec",
    "EnableResult",
    "WorkflowInvalid",
    "sets_status",
    "workflow_create",
    "workflow_disable",
    "workflow_enable",
    "workflow_match_all",
    "workflow_update",
]

MAX_DELAY_SECONDS = 100_000 * 86_400
# Properties a workflow may set: every writable one but the email (unique per contact) and the
# marketing status, which has its own action (R10, R11).
SETTABLE_PROPERTIES = {
    name: prop for name, prop in PROPERTIES.items() if not prop.read_only and name not in (MARKETING_STATUS, "email")
}
CHANGE_PERMISSION_MESSAGE = "You need permission to edit workflows."


@dataclass(frozen=True)
class ActionSpec:
    kind: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class EnableResult:
    enrolled: int  # existing contacts that met the triggers and are being enrolled (0 unless asked)


# --- Validation ------------------------------------------------------------------------------------------


def _name_clean(name: str, errors: dict[str, str]) -> str:
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = "Enter a name for the workflow."
    elif len(name) > Workflow._meta.get_field("name").max_length:
        errors["name"] = "A workflow's name is at most 200 characters."
    return name


def _status_params(params: Mapping[str, Any], hub_tier: str | None) -> dict[str, Any]:
    marketing = params.get("marketing")
    if not isinstance(marketing, bool):
        raise ValueError("Choose Set as marketing or Set as non-marketing.")
    if not marketing and not policy.non_marketing_allowed(hub_tier):
        raise ValueError(policy.R18_REFUSAL)  # R18
    return {"marketing": marketing}


def _property_params(params: Mapping[str, Any]) -> dict[str, Any]:
    name = params.get("propertyName")
    if name not in SETTABLE_PROPERTIES:
        raise ValueError("Choose a property a workflow can set (not the email or the marketing status).")
    value = params.get("value")
    value = "" if value is None else str(value).strip()
    _, problems = contact_input({name: value})
    if problems:
        raise ValueError(problems[0]["message"])
    return {"propertyName": name, "value": value}


def _list_params(params: Mapping[str, Any]) -> dict[str, Any]:
    list_id = params.get("listId")
    if isinstance(list_id, str) and list_id.strip().isdigit():
        list_id = int(list_id)
    if not isinstance(list_id, int) or isinstance(list_id, bool) or not ContactList.objects.filter(pk=list_id).exists():
        raise ValueError("Choose a list that exists.")
    return {"listId": list_id}


def _delay_params(params: Mapping[str, Any]) -> dict[str, Any]:
    if params.get("until"):
        try:
            until = dt.datetime.fromisoformat(str(params["until"]))
        except ValueError:
            raise ValueError("Enter the date and time to wait until.") from None
        if timezone.is_naive(until):
            until = timezone.make_aware(until)
        if until <= timezone.now():
            raise ValueError("The date to wait until has passed.")
        return {"until": until.isoformat()}
    seconds = params.get("seconds")
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 0 < seconds <= MAX_DELAY_SECONDS:
        raise ValueError("Enter how long to wait (at least one second).")
    return {"seconds": seconds}


def _action_params(spec: ActionSpec, hub_tier: str | None) -> dict[str, Any]:
    params = spec.params if isinstance(spec.params, Mapping) else {}
    if spec.kind == ActionKind.SET_MARKETING_STATUS:
        return _status_params(params, hub_tier)
    if spec.kind == ActionKind.SET_PROPERTY:
        return _property_params(params)
    if spec.kind in (ActionKind.ADD_TO_LIST, ActionKind.REMOVE_FROM_LIST):
        return _list_params(params)
    if spec.kind == ActionKind.DELAY:
        return _delay_params(params)
    raise ValueError("Choose an action.")


def _actions_clean(
    actions: Sequence[ActionSpec], errors: dict[str, str], *, stored: Sequence[ActionSpec] = ()
) -> list[ActionSpec]:
    """Normalised actions; problems go to `errors` as `actions.<index>`. A delay kept as it was stored is
    not checked again (its date may have passed since); status actions always are (R18)."""
    subscription = subscription_get()
    hub_tier = subscription.hub_tier if subscription else None
    cleaned = []
    for index, spec in enumerate(actions):
        if spec.kind == ActionKind.DELAY and spec in stored:
            cleaned.append(spec)
            continue
        try:
            cleaned.append(ActionSpec(kind=str(spec.kind), params=_action_params(spec, hub_tier)))
        except ValueError as problem:
            errors[f"actions.{index}"] = str(problem)
    return cleaned


def sets_status(actions: Iterable[ActionSpec | WorkflowAction]) -> bool:
    """Whether these actions include *Set marketing contact status* (R18)."""
    return any(action.kind == ActionKind.SET_MARKETING_STATUS for action in actions)


def _ensure_may_set_status(actions: Iterable[ActionSpec], actor: Actor) -> None:
    """R30: a workflow that changes marketing status is saved (and switched on) by someone who may."""
    if sets_status(actions):
        actor.ensure_may_change_status()


def _validated(*, name: str, triggers: Any, actions: Sequence[ActionSpec], stored: Sequence[ActionSpec] = ()):
    errors: dict[str, str] = {}
    name = _name_clean(name, errors)
    cleaned_triggers, trigger_errors = triggers_clean(triggers)
    errors.update(trigger_errors)
    cleaned_actions = _actions_clean(actions, errors, stored=stored)
    if errors:
        raise WorkflowInvalid(errors)
    return name, cleaned_triggers, cleaned_actions


def _stored(workflow: Workflow) -> list[ActionSpec]:
    return [ActionSpec(kind=a.kind, params=a.params) for a in workflow.actions.order_by("position")]


def _write_actions(workflow: Workflow, actions: Sequence[ActionSpec]) -> None:
    workflow.actions.all().delete()
    WorkflowAction.objects.bulk_create(
        [
            WorkflowAction(workflow=workflow, position=position, kind=spec.kind, params=spec.params)
            for position, spec in enumerate(actions)
        ]
    )


def _log(workflow: Workflow, actor: Actor, what: str, now: dt.datetime) -> None:
    WorkflowChange.objects.create(workflow=workflow, at=now, by=actor.user, what=what)


# --- Definitions -------------------------------------------------------------------------------------------


def workflow_create(
    *,
    name: str,
    triggers: Any,
    actions: Sequence[ActionSpec],
    allow_reenrollment: bool = False,
    description: str = "",
    actor: Actor,
    now: dt.datetime | None = None,
) -> Workflow:
    """R18: create a workflow, off. Needs `workflows.add_workflow`; a status action needs Marketing contact
    access (R30), and "Set as non-marketing" a Professional or Enterprise subscription. Raises
    `WorkflowInvalid` (nothing written) when the name, a filter or an action is not valid."""
    actor.ensure_permission("workflows.add_workflow", "You need permission to create workflows.")
    name, triggers, actions = _validated(name=name, triggers=triggers, actions=actions)
    _ensure_may_set_status(actions, actor)
    now = now or timezone.now()
    with transaction.atomic():
        workflow = Workflow.objects.create(
            name=name,
            description=(description or "").strip(),
            triggers=triggers,
            allow_reenrollment=bool(allow_reenrollment),
            created_by=actor.user,
            created_at=now,
            updated_at=now,
        )
        _write_actions(workflow, actions)
        _log(workflow, actor, "Created", now)
    return workflow


def _edits(workflow: Workflow, values: dict[str, Any], actions_changed: bool) -> list[str]:
    labels = {
        "name": "name",
        "description": "description",
        "triggers": "triggers",
        "allow_reenrollment": "re-enrollment",
    }
    edited = [label for key, label in labels.items() if getattr(workflow, key) != values[key]]
    return [*edited, "actions"] if actions_changed else edited


def workflow_update(
    *,
    workflow: Workflow,
    name: str,
    triggers: Any,
    actions: Sequence[ActionSpec],
    allow_reenrollment: bool,
    description: str,
    actor: Actor,
) -> Workflow:
    """Edit a workflow. Name, description, triggers and re-enrollment may change at any time; actions only
    while it is off (enrollments in flight keep their positions), else `WorkflowInvalid` on `actions`.

    R30: on a workflow that sets marketing status (before or after the edit), changing its triggers,
    re-enrollment or actions retargets the status actions, so it needs Marketing contact access
    (`MarketingStatusPermissionDenied`, nothing changed); its name and description don't.

    New triggers on a workflow that is on apply to changes from now on: the contacts meeting them now are
    recorded as matching without enrolling (as at a switch-on without "enroll existing")."""
    actor.ensure_permission("workflows.change_workflow", CHANGE_PERMISSION_MESSAGE)
    name, triggers, actions = _validated(name=name, triggers=triggers, actions=actions, stored=_stored(workflow))
    now = timezone.now()
    with transaction.atomic():
        workflow = Workflow.objects.select_for_update(of=("self",)).get(pk=workflow.pk)
        stored = _stored(workflow)
        actions_changed = stored != list(actions)
        if actions_changed and workflow.is_enabled:
            raise WorkflowInvalid({"actions": "Switch the workflow off to edit its actions."})
        retargeted = (
            actions_changed or workflow.triggers != triggers or workflow.allow_reenrollment != bool(allow_reenrollment)
        )
        if policy.edit_needs_status_access(
            sets_status_before=sets_status(stored), sets_status_after=sets_status(actions), retargeted=retargeted
        ):
            actor.ensure_may_change_status()  # R30: nothing is written yet
        values = {
            "name": name,
            "description": (description or "").strip(),
            "triggers": triggers,
            "allow_reenrollment": bool(allow_reenrollment),
        }
        edits = _edits(workflow, values, actions_changed)
        if not edits:
            return workflow
        triggers_changed = workflow.triggers != triggers
        Workflow.objects.filter(pk=workflow.pk).update(**values, updated_at=now)
        if actions_changed:
            _write_actions(workflow, actions)
        if triggers_changed and workflow.is_enabled and workflow.matched_at is not None:
            _rematch(workflow.pk, triggers, now)
        _log(workflow, actor, "Edited " + _joined(edits), now)
    workflow.refresh_from_db()
    return workflow


def _joined(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _rematch(workflow_id: int, triggers: list, now: dt.datetime) -> None:
    """After a trigger edit: contacts that meet the new triggers now are "matched before"; the others not."""
    matching = matching_contacts(triggers).values("id")
    WorkflowMatch.objects.filter(workflow_id=workflow_id).exclude(contact_id__in=matching).delete()
    _insert_matches(workflow_id, matching, pending=False)
    Workflow.objects.filter(pk=workflow_id).update(matched_at=now)


# --- On and off --------------------------------------------------------------------------------------------


def _ensure_may_enable(workflow: Workflow, actor: Actor) -> list[ActionSpec]:
    actions = _stored(workflow)
    errors: dict[str, str] = {}
    if not workflow.triggers:
        errors["triggers"] = "Add at least one enrollment trigger before switching the workflow on."
    if not actions:
        errors["actions"] = "Add at least one action before switching the workflow on."
    _actions_clean(actions, errors, stored=actions)  # R18: the subscription may have changed since
    if errors:
        raise WorkflowInvalid(errors)
    _ensure_may_set_status(actions, actor)
    return actions


def _feed_sync() -> None:
    """The change feed is on while any workflow is. Call after the workflow's row is locked and written."""
    ContactChangeConsumer.objects.lock_writers()
    active = Workflow.objects.filter(is_enabled=True).exists()
    ContactChangeConsumer.objects.update_or_create(name=FEED_CONSUMER, defaults={"task": FEED_TASK, "active": active})


def workflow_enable(
    *, workflow: Workflow, enroll_existing: bool, actor: Actor, now: dt.datetime | None = None
) -> EnableResult:
    """Switch a workflow on. From then on, contacts that newly meet its triggers enroll after their change
    commits. With `enroll_existing`, the contacts that meet them now are enrolled too, by a chunked job
    (`existing_enrolled` of `existing_total` as it runs); without it they enroll only once they stop and
    meet the triggers again (HubSpot's behaviour).

    Refused (`WorkflowInvalid`, nothing changed) without triggers or actions, or when an action is no
    longer allowed (R18: the subscription may have changed). Needs `workflows.change_workflow`, and
    Marketing contact access (R30) for a workflow that sets marketing status.
    """
    actor.ensure_permission("workflows.change_workflow", CHANGE_PERMISSION_MESSAGE)
    _ensure_may_enable(workflow, actor)
    enabled_at = now or timezone.now()
    with transaction.atomic():
        locked = Workflow.objects.select_for_update(of=("self",)).get(pk=workflow.pk)
        if locked.is_enabled:
            return EnableResult(enrolled=locked.existing_total if locked.enroll_existing else 0)
        Workflow.objects.filter(pk=workflow.pk).update(
            is_enabled=True,
            enabled_at=enabled_at,
            enabled_by=actor.user,
            matched_at=None,  # the change feed waits until the contacts matching now are recorded
            enroll_existing=bool(enroll_existing),
            existing_total=0,
            existing_enrolled=0,
            existing_checkpoint=0,
            existing_done_at=None,
        )
        _feed_sync()
    matched = workflow_match_all(workflow_id=workflow.pk, now=now)
    workflow.refresh_from_db()
    return EnableResult(enrolled=matched if enroll_existing else 0)


def workflow_disable(*, workflow: Workflow, actor: Actor) -> None:
    """Switch a workflow off: unfinished enrollments stop advancing, as they are, and resume if it is
    switched on again; no contact enrolls meanwhile."""
    actor.ensure_permission("workflows.change_workflow", CHANGE_PERMISSION_MESSAGE)
    with transaction.atomic():
        locked = Workflow.objects.select_for_update(of=("self",)).get(pk=workflow.pk)
        if not locked.is_enabled:
            return
        Workflow.objects.filter(pk=workflow.pk).update(is_enabled=False, matched_at=None)
        _feed_sync()
        WorkflowMatch.objects.filter(workflow_id=workflow.pk).delete()
        _log(workflow, actor, "Switched off", timezone.now())
    workflow.refresh_from_db()


def workflow_match_all(*, workflow_id: int, now: dt.datetime | None = None) -> int:
    """Record the contacts that meet an enabled workflow's triggers now (`WorkflowMatch`), marking them to
    be enrolled when the switch-on asked for it; then the change feed resumes. Returns how many.

    Idempotent: the beat sweeper calls it again for a workflow switched on whose record was interrupted.
    """
    with transaction.atomic():
        workflow = Workflow.objects.select_for_update(of=("self",)).get(pk=workflow_id)
        if not workflow.is_enabled:
            return 0
        if workflow.matched_at is not None:
            return workflow.existing_total
        pending = workflow.enroll_existing
        WorkflowMatch.objects.filter(workflow_id=workflow_id).delete()
        matched = _insert_matches(workflow_id, matching_contacts(workflow.triggers).values("id"), pending=pending)
        now = now or timezone.now()
        Workflow.objects.filter(pk=workflow_id).update(
            matched_at=now,
            existing_total=matched if pending else 0,
            existing_done_at=None if pending else now,
        )
        what = f"Switched on, enrolling {matched:,} existing contacts" if pending else "Switched on"
        WorkflowChange.objects.create(
            workflow=workflow, at=workflow.enabled_at or now, by=workflow.enabled_by, what=what
        )
        task_send_on_commit(FEED_TASK)
        if pending:
            task_send_on_commit(ENROLL_EXISTING_TASK, workflow_id)
    return matched


def _insert_matches(workflow_id: int, contacts: QuerySet, *, pending: bool) -> int:
    """INSERT … SELECT of `WorkflowMatch` rows for `contacts` (a `values("id")` queryset); returns how many."""
    table = connection.ops.quote_name(WorkflowMatch._meta.db_table)
    select, params = contacts.query.sql_with_params()
    sql = (
        f"INSERT INTO {table} (workflow_id, contact_id, enroll_pending) "
        f"SELECT %s, sub.id, %s FROM ({select}) AS sub ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [workflow_id, pending, *params])
        return cursor.rowcount
