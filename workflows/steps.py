"""Running enrollment steps, in chunks, each chunk one transaction (R18, R19).

`workflow_advance` takes up to `CRM_BULK_CHUNK_SIZE` due enrollments of one workflow (`FOR UPDATE SKIP
LOCKED`, so workers share a workflow without waiting on each other), applies each one's next action **set-based**
to the chunk's contacts through the services (`contacts_set_marketing` / `contacts_set_non_marketing`
with the workflow as actor, so every status change records reason `WORKFLOW` and the workflow id;
`contacts_properties_set`; `contact_list_add` / `contact_list_remove`), writes one `EnrollmentStep`
row per enrollment and advances the enrollments, all in that transaction. A step is therefore applied
at most once: a rerun (a redelivered message, two workers, a kill between commit and acknowledgement)
finds the enrollment advanced, and the unique (enrollment, position) of steps is the backstop.

A transient error rolls the chunk back; the enrollments are then marked RETRYING with the time of the
next try (best effort: the database may be what is down) and the error goes up to the task, which
retries with back-off (R19). Lock order: the subscription (for status actions), then contacts by id,
as everywhere (billing.services).
"""

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.formats import date_format

from contacts.models import Contact, ContactChange, ContactList
from contacts.properties import PROPERTIES, contact_input
from contacts.services import contact_list_add, contact_list_remove, contacts_properties_set
from crm.tasks import task_send
from marketing_status.actors import Actor, ActorKind
from marketing_status.services import (
    MarketingContactsNotEnabled,
    TierGuardRefused,
    contacts_set_marketing,
    contacts_set_non_marketing,
    switch_locks_take,
)
from workflows import policy
from workflows.definitions import workflow_match_all
from workflows.enrollment import (
    ADVANCE_TASK,
    ENROLL_EXISTING_TASK,
    FEED_TASK,
    contact_changes_process,
    id_array,
    ids_in,
    locked_shared,
    workflow_enroll_existing,
)
from workflows.errors import TRANSIENT_ERRORS
from workflows.models import (
    UNFINISHED_STATES,
    ActionKind,
    Enrollment,
    EnrollmentState,
    EnrollmentStep,
    StepOutcome,
    Workflow,
    WorkflowAction,
)
from workflows.policy import StepPlan

logger = logging.getLogger(__name__)

RUN_CHUNKS = 20  # chunks per task before it re-enqueues itself, so that other workflows' tasks get their turn
LOCK_TIMEOUT = "10s"  # a lock wait longer than this is a transient error, retried (R19)


class Due(NamedTuple):
    """What a step needs of a due enrollment (read without building model instances: 5,000 per chunk)."""

    pk: int
    contact_id: int
    next_position: int
    attempts: int


@dataclass(frozen=True)
class StepResult:
    plan: StepPlan
    wait_until: dt.datetime | None = None  # a DELAY's end


def workflow_actor(workflow: Workflow) -> Actor:
    """Who a workflow's changes name: reason type WORKFLOW, reason id the workflow's id (R18)."""
    return Actor(ActorKind.WORKFLOW, str(workflow.pk))


# --- Reading the chunk's contacts ------------------------------------------------------------------------


def _contacts(ids: Sequence[int], fields: Sequence[str], *, lock: bool) -> dict[int, tuple | None]:
    """Each contact's `fields` (None for a deleted one), row-locked in id order when `lock`, so that what a
    step decides from them still holds when it writes. `FOR NO KEY UPDATE` is the lock a change of the
    contact takes: rows that refer to it (enrollments) can still be inserted meanwhile."""
    queryset = Contact.objects.filter(ids_in("pk", ids, column=f"{Contact._meta.db_table}.id")).order_by("pk")
    if lock:
        queryset = queryset.select_for_update(no_key=True)
    found = {row[0]: row for row in queryset.values_list("pk", "archived_at", *fields)}
    return {pk: (None if found.get(pk) is None or found[pk][1] is not None else found[pk][2:]) for pk in ids}


def _for_each(enrollments: Sequence[Due], plan: Callable[[Due], StepPlan]) -> dict[int, StepResult]:
    return {enrollment.pk: StepResult(plan(enrollment)) for enrollment in enrollments}


def _all(enrollments: Sequence[Due], outcome: str, detail: str) -> dict[int, StepResult]:
    return _for_each(enrollments, lambda _: StepPlan(outcome, detail))


# --- The actions ------------------------------------------------------------------------------------------------


def _set_status(workflow: Workflow, action: WorkflowAction, enrollments: Sequence[Due], now) -> dict:
    """R10–R13 through the status services; R18 checked again (the subscription may have changed)."""
    marketing = bool(action.params.get("marketing"))
    locks = switch_locks_take(contact_ids=[e.contact_id for e in enrollments])
    subscription = locks.subscription
    if not marketing and not policy.non_marketing_allowed(subscription.hub_tier if subscription else None):
        return _all(enrollments, StepOutcome.FAILED, policy.R18_REFUSAL)
    plans = {
        e.pk: policy.plan_status_step(marketing=marketing, current=locks.statuses[e.contact_id]) for e in enrollments
    }
    writing = [e for e in enrollments if plans[e.pk].writes]
    if writing:
        switch = contacts_set_marketing if marketing else contacts_set_non_marketing
        try:
            switch(contacts=[e.contact_id for e in writing], actor=workflow_actor(workflow), now=now)
        except (TierGuardRefused, MarketingContactsNotEnabled) as refusal:  # B4, R1: nothing was changed
            plans.update({e.pk: StepPlan(StepOutcome.FAILED, str(refusal)) for e in writing})
    return {pk: StepResult(plan) for pk, plan in plans.items()}


def _set_property(workflow: Workflow, action: WorkflowAction, enrollments: Sequence[Due], now) -> dict:
    name, text = action.params["propertyName"], action.params.get("value", "")
    parsed, problems = contact_input({name: text})
    if problems or len(parsed.data) != 1:
        return _all(enrollments, StepOutcome.FAILED, f"{name} cannot be set to {text!r}.")
    ((field, value),) = parsed.data.items()
    current = _contacts([e.contact_id for e in enrollments], (field,), lock=True)
    label, shown = PROPERTIES[name].label, text or "(blank)"
    plans = _for_each(
        enrollments,
        lambda e: policy.plan_property_step(
            label=label,
            shown=shown,
            current=None if current[e.contact_id] is None else current[e.contact_id][0],
            value=value,
            deleted=current[e.contact_id] is None,
        ),
    )
    writing = [e.contact_id for e in enrollments if plans[e.pk].plan.writes]
    if writing:
        contacts_properties_set(contacts=writing, data={field: value}, actor=workflow_actor(workflow))
    return plans


def _list_membership(workflow: Workflow, action: WorkflowAction, enrollments: Sequence[Due], now) -> dict:
    adding = action.kind == ActionKind.ADD_TO_LIST
    contact_list = ContactList.objects.filter(pk=action.params.get("listId")).first()
    if contact_list is None:
        return _all(enrollments, StepOutcome.FAILED, "The list no longer exists.")
    ids = [e.contact_id for e in enrollments]
    live = _contacts(ids, (), lock=False)
    members = set(contact_list.memberships.filter(contact_id__in=ids).values_list("contact_id", flat=True))
    plans = _for_each(
        enrollments,
        lambda e: policy.plan_list_step(
            adding=adding,
            list_name=contact_list.name,
            member=e.contact_id in members,
            deleted=live[e.contact_id] is None,
        ),
    )
    writing = [e.contact_id for e in enrollments if plans[e.pk].plan.writes]
    if writing:
        change = contact_list_add if adding else contact_list_remove
        change(contact_list=contact_list, contacts=writing, actor=workflow_actor(workflow))
    return plans


def _delay(workflow: Workflow, action: WorkflowAction, enrollments: Sequence[Due], now) -> dict:
    end = policy.delay_end(params=action.params, now=now)
    live = _contacts([e.contact_id for e in enrollments], (), lock=False)
    until = date_format(timezone.localtime(end), "DATETIME_FORMAT")
    detail = f"Waits until {until}" if end > now else "Delay already over"
    return {
        e.pk: StepResult(policy.DELETED) if live[e.contact_id] is None else StepResult(StepPlan("DONE", detail), end)
        for e in enrollments
    }


APPLY = {
    ActionKind.SET_MARKETING_STATUS: _set_status,
    ActionKind.SET_PROPERTY: _set_property,
    ActionKind.ADD_TO_LIST: _list_membership,
    ActionKind.REMOVE_FROM_LIST: _list_membership,
    ActionKind.DELAY: _delay,
}


# --- Recording -------------------------------------------------------------------------------------------------


def _next(enrollment: Due, result: StepResult, actions: int, now) -> tuple:
    """(state, next_position, run_at, finished_at, last_error) after the step."""
    position = enrollment.next_position + 1
    plan = result.plan
    if plan.outcome == StepOutcome.FAILED:
        return EnrollmentState.FAILED, position, now, now, plan.detail
    if plan.outcome == StepOutcome.SKIPPED or position >= actions:
        return EnrollmentState.COMPLETED, position, now, now, ""  # a deleted contact's enrollment ends (R22)
    if result.wait_until is not None and result.wait_until > now:
        return EnrollmentState.WAITING, position, result.wait_until, None, ""
    return EnrollmentState.ACTIVE, position, now, None, ""


def _steps_insert(workflow: Workflow, groups: dict[tuple, list[int]], actions: list[WorkflowAction], now) -> None:
    """The step rows of a chunk: `groups` maps (position, outcome, detail) to the enrollments that had it. One
    INSERT … SELECT per group from the enrollments themselves (usually one or two per chunk)."""
    steps, enrollments = (connection.ops.quote_name(m._meta.db_table) for m in (EnrollmentStep, Enrollment))
    with connection.cursor() as cursor:
        for (position, outcome, detail), ids in groups.items():
            cursor.execute(
                f"INSERT INTO {steps} (enrollment_id, workflow_id, position, kind, outcome, detail, attempts, "
                f"finished_at) SELECT id, workflow_id, next_position, %s, %s, %s, attempts + 1, %s FROM {enrollments} "
                "WHERE id = ANY(%s::bigint[])",
                [actions[position].kind, outcome, detail, now, id_array(ids)],
            )


def _record(workflow: Workflow, due: Sequence[Due], results: dict, actions: list[WorkflowAction], now) -> None:
    """The chunk's step rows, then each enrollment moved on (one UPDATE per resulting state)."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    moves: dict[tuple, list[int]] = defaultdict(list)
    for enrollment in due:
        result = results[enrollment.pk]
        groups[(enrollment.next_position, result.plan.outcome, result.plan.detail)].append(enrollment.pk)
        moves[_next(enrollment, result, len(actions), now)].append(enrollment.pk)
    _steps_insert(workflow, groups, actions, now)
    for (state, position, run_at, finished_at, error), ids in moves.items():
        Enrollment.objects.filter(ids_in("id", ids)).update(
            state=state, next_position=position, run_at=run_at, finished_at=finished_at, attempts=0, last_error=error
        )


def _apply(workflow: Workflow, actions: list[WorkflowAction], due: list[Due], now) -> list[Due]:
    """Apply each enrollment's next step, set-based per position; return the enrollments that had one.
    Enrollments past the last action (the actions were shortened while off) are completed."""
    by_position: dict[int, list[Due]] = defaultdict(list)
    for enrollment in due:
        by_position[enrollment.next_position].append(enrollment)
    past_end = [e.pk for position, group in by_position.items() if position >= len(actions) for e in group]
    if past_end:
        Enrollment.objects.filter(pk__in=past_end).update(state=EnrollmentState.COMPLETED, finished_at=now)
    results: dict[int, StepResult] = {}
    for position in sorted(p for p in by_position if p < len(actions)):
        action = actions[position]
        results.update(APPLY[action.kind](workflow, action, by_position[position], now))
    stepped = [e for e in due if e.pk in results]
    _record(workflow, stepped, results, actions, now)
    return stepped


def _lock_timeout() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")


def workflow_advance(*, workflow_id: int, chunk_size: int | None = None, now: dt.datetime | None = None) -> int:
    """Run the next step of up to `chunk_size` (CRM_BULK_CHUNK_SIZE) due enrollments of an enabled workflow, in
    one transaction. Returns how many enrollments it took (0: nothing due, or the workflow is off)."""
    now = now or timezone.now()
    chunk_size = chunk_size or settings.CRM_BULK_CHUNK_SIZE
    taken: list[int] = []
    try:
        with transaction.atomic():
            _lock_timeout()
            workflow = next(iter(locked_shared(Workflow.objects.filter(pk=workflow_id))), None)
            if workflow is None or not workflow.is_enabled:
                return 0
            due = [
                Due(*row)
                for row in Enrollment.objects.select_for_update(skip_locked=True)
                .filter(workflow_id=workflow_id, state__in=UNFINISHED_STATES, run_at__lte=now)
                .order_by("run_at", "pk")
                .values_list("pk", "contact_id", "next_position", "attempts")[:chunk_size]
            ]
            taken = [enrollment.pk for enrollment in due]
            if due:
                _apply(workflow, list(workflow.actions.order_by("position")), due, now)
    except TRANSIENT_ERRORS as error:
        enrollments_mark_retrying(enrollment_ids=taken, error=error)
        raise
    return len(taken)


def enrollments_mark_retrying(*, enrollment_ids: Sequence[int], error: Exception) -> int:
    """R19: show enrollments whose step hit a transient error as RETRYING, with the time of the next try.
    Best effort: when the database itself is down this fails too, and they keep their state."""
    if not enrollment_ids:
        return 0
    try:
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()
        with transaction.atomic():
            unfinished = Enrollment.objects.filter(pk__in=enrollment_ids, state__in=UNFINISHED_STATES)
            attempts = (unfinished.aggregate(most=Max("attempts"))["most"] or 0) + 1
            next_try = timezone.now() + dt.timedelta(seconds=policy.retry_delay(attempts))
            return unfinished.update(
                state=EnrollmentState.RETRYING,
                attempts=F("attempts") + 1,
                last_error=f"{type(error).__name__}: {error}"[:2000],
                run_at=next_try,
            )
    except TRANSIENT_ERRORS:
        logger.warning("could not mark %s enrollments as retrying", len(enrollment_ids), exc_info=True)
        return 0


def workflow_run(*, workflow_id: int, max_chunks: int = RUN_CHUNKS, now: dt.datetime | None = None) -> int:
    """Advance a workflow chunk by chunk while steps are due; after `max_chunks` re-enqueue its task rather
    than hold the worker. Returns how many enrollments were advanced."""
    advanced = 0
    for _ in range(max_chunks):
        taken = workflow_advance(workflow_id=workflow_id, now=now)
        if not taken:
            return advanced
        advanced += taken
    task_send(ADVANCE_TASK, workflow_id)
    return advanced


def workflows_sweep(*, now: dt.datetime | None = None) -> int:
    """Beat's wake-up (every minute): finish interrupted switch-ons, resume the enroll-existing jobs, wake
    every enabled workflow with due steps (ended delays, retries, lost messages) and the change feed's
    consumer when changes wait. Returns how many wake-ups it sent."""
    now = now or timezone.now()
    sent = 0
    enabled = Workflow.objects.filter(is_enabled=True)
    for workflow_id in enabled.filter(matched_at__isnull=True).values_list("pk", flat=True):
        workflow_match_all(workflow_id=workflow_id)  # sends its own wake-ups after commit
    enrolling = enabled.filter(enroll_existing=True, existing_done_at__isnull=True, matched_at__isnull=False)
    for workflow_id in enrolling.values_list("pk", flat=True):
        task_send(ENROLL_EXISTING_TASK, workflow_id)
        sent += 1
    due = Enrollment.objects.filter(workflow__is_enabled=True, state__in=UNFINISHED_STATES, run_at__lte=now)
    for workflow_id in due.values_list("workflow_id", flat=True).order_by("workflow_id").distinct():
        task_send(ADVANCE_TASK, workflow_id)
        sent += 1
    if ContactChange.objects.exists():
        task_send(FEED_TASK)
        sent += 1
    return sent


def workflows_run_inline(*, rounds: int = 20, now: dt.datetime | None = None) -> int:
    """Run the engine in this process as the worker would, until a round finds nothing to do: the
    enroll-existing jobs, the change feed, then every enabled workflow's due steps. Returns how many
    enrollments advanced. For the demo loader and tests, whose transactions no worker can see; `now` dates
    what it records (default: the clock)."""
    advanced = 0
    for _ in range(rounds):
        work = 0
        enabled = Workflow.objects.filter(is_enabled=True).values_list("pk", flat=True)
        for workflow_id in enabled:
            while workflow_enroll_existing(workflow_id=workflow_id, now=now):
                work += 1
        while batch := contact_changes_process(now=now):
            work += batch
        for workflow_id in enabled:
            taken = workflow_run(workflow_id=workflow_id, max_chunks=1000, now=now)
            advanced += taken
            work += taken
        if not work:
            return advanced
    raise RuntimeError(f"the workflow engine still had work after {rounds} rounds")
