"""Writes of workflows: definitions, switching on and off, evaluation and enrollment (R18, R19).

Definitions: `workflow_create` / `workflow_update` validate triggers (`workflows.triggers`) and actions
(R18's tier rule; R30 for status actions, and for any change of the triggers, re-enrollment or actions
of a workflow that has one) and write the workflow, its actions and a `WorkflowChange`
row in one transaction. `workflow_enable` / `workflow_disable` switch it; switching on records which
contacts meet the triggers now (`WorkflowMatch`), and enrolls them by a chunked job when asked to.

Runtime: contacts that change are written to the contacts change feed in the transaction that changes
them (`contacts.models.ContactChange`); `contact_changes_process` consumes it in batches (`FOR UPDATE
SKIP LOCKED`) and evaluates those contacts against every enabled workflow (`contacts_evaluate`): a
contact that meets the triggers and had no `WorkflowMatch` row newly matches and enrolls. The steps
themselves run in `workflows.steps`.

Locks: a workflow's row is locked `FOR UPDATE` by whatever changes its definition or state, and
`FOR KEY SHARE` by the consumer and the step runner, which read it; switching on or off then takes the
change feed's lock (`ContactChangeConsumer.objects.lock_writers`) after the workflow's row. The
enroll-existing job takes `FOR NO KEY UPDATE`: it excludes edits, switches and a second run of itself, but
not the runners, so steps start while the later chunks are still being enrolled (and the rows it inserts,
whose foreign key takes `FOR KEY SHARE` on the workflow, do not wait for it either).
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from billing.selectors import subscription_get
from contacts.models import Contact, ContactChange, ContactChangeConsumer, ContactList
from contacts.properties import MARKETING_STATUS, PROPERTIES, contact_input
from crm.tasks import task_send_on_commit
from marketing_status.actors import Actor
from workflows import policy
from workflows.errors import WorkflowInvalid
from workflows.models import (
    UNFINISHED_STATES,
    ActionKind,
    Enrollment,
    EnrollmentState,
    Workflow,
    WorkflowAction,
    WorkflowChange,
    WorkflowMatch,
)
from workflows.triggers import matching_contacts, triggers_clean

__all__ = [
    "ActionSpec",
    "EnableResult",
    "WorkflowInvalid",
    "contact_changes_process",
    "contacts_evaluate",
    "sets_status",
    "workflow_create",
    "workflow_disable",
    "workflow_enable",
    "workflow_enroll_existing",
    "workflow_match_all",
    "workflow_update",
]

FEED_CONSUMER = "workflows"
FEED_TASK = "workflows.tasks.contact_changes_process_task"
ADVANCE_TASK = "workflows.tasks.workflow_advance_task"
ENROLL_EXISTING_TASK = "workflows.tasks.workflow_enroll_existing_task"
CHANGES_BATCH = 2000  # contacts evaluated per transaction of the change feed's consumer
ENROLL_CHUNK = 5000  # existing contacts enrolled per transaction at switch-on
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


# --- Enrollment ----------------------------------------------------------------------------------------------


def _claim_matches(workflow_id: int, contact_ids: list[int]) -> list[int]:
    """Record `contact_ids` as matching; return those that had no row (they newly match). One
    INSERT … ON CONFLICT DO NOTHING RETURNING both records and decides, so two consumers evaluating the
    same contact at once cannot both see it as new."""
    if not contact_ids:
        return []
    table = connection.ops.quote_name(WorkflowMatch._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (workflow_id, contact_id, enroll_pending) "
            "SELECT %s, unnest(%s::bigint[]), false ON CONFLICT DO NOTHING RETURNING contact_id",
            [workflow_id, id_array(contact_ids)],
        )
        return sorted(row[0] for row in cursor.fetchall())


def id_array(ids: Iterable[int]) -> str:
    """Ids as one PostgreSQL array literal (`'{1,2,3}'`, cast with `::bigint[]`): thousands of ids are then one
    short text parameter, where a Python list is adapted element by element."""
    return "{" + ",".join(str(int(pk)) for pk in ids) + "}"


def ids_in(field: str, ids: Sequence[int], *, column: str | None = None) -> Q:
    """`field IN ids` as a condition, written `column = ANY(<one array parameter>)` (the column being
    `field` unless named, qualified with its table where a join could make it ambiguous)."""
    quoted = ".".join(connection.ops.quote_name(part) for part in (column or field).split("."))
    return Q(RawSQL(f"{quoted} = ANY(%s::bigint[])", [id_array(ids)], BooleanField()))


def _enroll_insert(workflow: Workflow, contact_ids: list[int], now: dt.datetime) -> int:
    """Each contact's enrollment number (`policy.may_enroll`) and the INSERT in one statement: the numbers are
    decided next to the data."""
    table = connection.ops.quote_name(Enrollment._meta.db_table)
    sql = f"""
        WITH ids AS (SELECT unnest(%(ids)s::bigint[]) AS contact_id),
        past AS (
            SELECT contact_id, max(number) AS last, bool_or(state = ANY(%(unfinished)s)) AS unfinished
            FROM {table} WHERE workflow_id = %(workflow)s AND contact_id = ANY(%(ids)s::bigint[])
            GROUP BY contact_id
        )
        INSERT INTO {table} (workflow_id, contact_id, number, state, next_position, run_at, attempts, last_error,
                             enrolled_at)
        SELECT %(workflow)s, ids.contact_id, COALESCE(past.last, 0) + 1, %(state)s, 0, %(now)s, 0, '', %(now)s
        FROM ids LEFT JOIN past ON past.contact_id = ids.contact_id
        WHERE past.contact_id IS NULL OR (%(again)s AND NOT past.unfinished)
        ORDER BY ids.contact_id
        ON CONFLICT DO NOTHING
    """
    params = {
        "ids": id_array(contact_ids),
        "unfinished": list(UNFINISHED_STATES),
        "workflow": workflow.pk,
        "state": EnrollmentState.ACTIVE.value,
        "now": now,
        "again": workflow.allow_reenrollment,  # policy.may_enroll, in SQL
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _enroll(workflow: Workflow, contact_ids: list[int], now: dt.datetime) -> int:
    """Enroll the contacts among `contact_ids` that may (`policy.may_enroll`); their first step is due now.
    Returns how many."""
    if not contact_ids:
        return 0
    enrolled = _enroll_insert(workflow, sorted(contact_ids), now)
    if enrolled:
        task_send_on_commit(ADVANCE_TASK, workflow.pk)
    return enrolled


def workflow_enroll_existing(
    *, workflow_id: int, chunk_size: int = ENROLL_CHUNK, now: dt.datetime | None = None
) -> bool:
    """One chunk of the switch-on job: enroll contacts that met the triggers at switch-on, in contact id order
    after the job's checkpoint. Returns whether more remain. The chunk, the checkpoint and the progress count
    commit together, with the workflow's row locked, so a rerun resumes where the last chunk ended."""
    now = now or timezone.now()
    with transaction.atomic():
        workflow = Workflow.objects.select_for_update(no_key=True, of=("self",)).filter(pk=workflow_id).first()
        if workflow is None or not workflow.enrolling_existing or workflow.matched_at is None:
            return False
        pending = WorkflowMatch.objects.filter(
            workflow_id=workflow_id, enroll_pending=True, contact_id__gt=workflow.existing_checkpoint
        )
        ids = list(pending.order_by("contact_id").values_list("contact_id", flat=True)[:chunk_size])
        if not ids:
            Workflow.objects.filter(pk=workflow_id).update(existing_done_at=now)
            return False
        enrolled = _enroll(workflow, ids, now)
        Workflow.objects.filter(pk=workflow_id).update(
            existing_enrolled=F("existing_enrolled") + enrolled, existing_checkpoint=ids[-1]
        )
    return True


# --- Evaluation: the change feed's consumer ---------------------------------------------------------------------


def locked_shared(queryset: QuerySet) -> list[Workflow]:
    """Workflows read under `FOR KEY SHARE`, so that no edit or switch (`FOR UPDATE`) commits while they are
    used; the enroll-existing job's progress updates (`FOR NO KEY UPDATE`) go on meanwhile."""
    queryset = queryset.order_by("pk")
    sql, params = queryset.query.sql_with_params()
    return list(Workflow.objects.raw(f"{sql} FOR KEY SHARE", params))


def _evaluate(workflow: Workflow, contact_ids: list[int], now: dt.datetime) -> int:
    """Enroll the contacts among `contact_ids` that newly meet the workflow's triggers; forget those that
    no longer meet them (so that meeting them again is new). Returns how many enrolled."""
    changed = matching_contacts(workflow.triggers).filter(
        ids_in("pk", contact_ids, column=f"{Contact._meta.db_table}.id")
    )
    matching = set(changed.values_list("pk", flat=True))
    gone = [pk for pk in contact_ids if pk not in matching]
    if gone:
        WorkflowMatch.objects.filter(ids_in("contact_id", gone), workflow_id=workflow.pk).delete()
    return _enroll(workflow, _claim_matches(workflow.pk, sorted(matching)), now)


def _evaluate_all(workflows: list[Workflow], contact_ids: list[int], now: dt.datetime | None = None) -> dict[int, int]:
    now = now or timezone.now()
    return {workflow.pk: _evaluate(workflow, contact_ids, now) for workflow in workflows}


def contacts_evaluate(*, contact_ids: Iterable[int]) -> dict[int, int]:
    """For every enabled workflow, enroll the contacts among `contact_ids` that newly meet its triggers.
    Returns the number enrolled per workflow id. Workflows still recording their matches are left out."""
    ids = sorted({int(pk) for pk in contact_ids})
    with transaction.atomic():
        workflows = locked_shared(Workflow.objects.filter(is_enabled=True, matched_at__isnull=False))
        return _evaluate_all(workflows, ids)


def contact_changes_process(*, limit: int = CHANGES_BATCH, now: dt.datetime | None = None) -> int | None:
    """Consume one batch of the contacts change feed: evaluate the changed contacts, then delete the batch,
    in one transaction. Returns the number of feed rows consumed, or None while a workflow switched on is
    still recording its matches (the feed then waits: a change evaluated before that record would be
    judged against nothing)."""
    with transaction.atomic():
        workflows = locked_shared(Workflow.objects.filter(is_enabled=True))
        if any(workflow.matched_at is None for workflow in workflows):
            return None
        rows = list(
            ContactChange.objects.select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", "contact_id")[:limit]
        )
        if not rows:
            return 0
        _evaluate_all(workflows, sorted({contact_id for _, contact_id in rows}), now)
        ContactChange.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    return len(rows)
