"""Enrollment in workflows: the change feed's consumer, evaluation, and the switch-on's enroll-existing job (R19).

Contacts that change are written to the contacts change feed in the transaction that changes them
(`contacts.models.ContactChange`); `contact_changes_process` consumes it in batches (`FOR UPDATE SKIP LOCKED`)
and evaluates those contacts against every enabled workflow (`contacts_evaluate`): a contact that meets the
triggers and had no `WorkflowMatch` row newly matches and enrolls. `workflow_enroll_existing` enrolls, chunk by
chunk, the contacts that met the triggers when a workflow was switched on with "enroll existing"
(`workflows.definitions.workflow_enable`). The steps themselves run in `workflows.steps`.

Locks: the consumer and the step runner read a workflow's row `FOR KEY SHARE` (`locked_shared`), so no edit or
switch (`FOR UPDATE`, `workflows.definitions`) commits while they use it. The enroll-existing job takes
`FOR NO KEY UPDATE`: it excludes edits, switches and a second run of itself, but not the runners, so steps start
while the later chunks are still being enrolled (and the rows it inserts, whose foreign key takes
`FOR KEY SHARE` on the workflow, do not wait for it either).
"""

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.db.models import BooleanField, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from contacts.models import Contact, ContactChange
from crm.tasks import task_send_on_commit
from workflows.models import UNFINISHED_STATES, Enrollment, EnrollmentState, Workflow, WorkflowMatch
from workflows.triggers import matching_contacts

__all__ = [
    "contact_changes_process",
    "contacts_evaluate",
    "id_array",
    "ids_in",
    "locked_shared",
    "workflow_enroll_existing",
]

FEED_CONSUMER = "workflows"
FEED_TASK = "workflows.tasks.contact_changes_process_task"
ADVANCE_TASK = "workflows.tasks.workflow_advance_task"
ENROLL_EXISTING_TASK = "workflows.tasks.workflow_enroll_existing_task"
CHANGES_BATCH = 2000  # contacts evaluated per transaction of the change feed's consumer
ENROLL_CHUNK = 5000  # existing contacts enrolled per transaction at switch-on


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
