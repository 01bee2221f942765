"""The one statement that changes marketing status: a guarded UPDATE and its history INSERT, per chunk.

A `Transition` names the statuses it changes (`sources`, the guard) and the one status they become.
`apply_transition` applies it to a chunk of contact ids and returns how many changed, in a single
statement: a sub-select locks the chunk's rows that still match the guard, in id order (so
concurrent bulk changes and the renewal never deadlock) and re-checks the guard after any wait; it
takes `FOR NO KEY UPDATE`, the lock the UPDATE takes anyway, so that rows inserted meanwhile that
refer to these contacts (workflow enrollments) need not wait for it; the UPDATE changes exactly
those rows; the INSERT writes one history row per changed row with its old values. A row that no
longer matches the guard is neither changed nor recorded, so a repeated or concurrent run changes
nothing twice (R13, R14).

Column and table names come from the models' `_meta`, so the statement follows the schema. While the
contacts change feed is on (workflows), the changed ids come back from the same statement and are
recorded in the feed in the same transaction.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from contacts.models import Contact, ContactChange
from marketing_status.actors import Actor
from marketing_status.models import MarketingStatusChange
from marketing_status.policy import Status


@dataclass(frozen=True)
class Transition:
    sources: tuple[Status, ...]
    target: Status
    reason_type: str | None  # None keeps each contact's own reason (the renewal flip)
    reason_id: str | None
    include_archived: bool = False
    changed_before: datetime | None = None  # only contacts whose status last changed at or before this


def _contact_column(name: str) -> str:
    return connection.ops.quote_name(Contact._meta.get_field(name).column)


def _guard(transition: Transition) -> tuple[str, list]:
    status, pending = _contact_column("marketable_status"), _contact_column("marketable_until_renewal")
    alternatives, params = [], []
    for source in transition.sources:
        alternatives.append(f"({status} IS NOT DISTINCT FROM %s AND {pending} = %s)")
        params += [source.is_marketing, source.until_renewal]
    sql = "(" + " OR ".join(alternatives) + ")"
    if not transition.include_archived:
        sql += f" AND {_contact_column('archived_at')} IS NULL"
    if transition.changed_before is not None:
        sql += f" AND {_contact_column('marketable_status_changed_at')} <= %s"
        params.append(transition.changed_before)
    return sql, params


def _set_clause(transition: Transition, now: datetime) -> tuple[str, list]:
    """The SET list of the UPDATE of contacts aliased `c`; a transition without a reason keeps the row's own."""
    reason_type, reason_id = _contact_column("marketable_reason_type"), _contact_column("marketable_reason_id")
    sql = (
        f"{_contact_column('marketable_status')} = %s, {_contact_column('marketable_until_renewal')} = %s, "
        f"{reason_type} = COALESCE(%s, c.{reason_type}), {reason_id} = COALESCE(%s, c.{reason_id}), "
        f"{_contact_column('marketable_status_changed_at')} = %s, {_contact_column('updated_at')} = %s"
    )
    target = transition.target
    return sql, [target.is_marketing, target.until_renewal, transition.reason_type, transition.reason_id, now, now]


def _history_columns() -> str:
    names = [
        "contact",
        "changed_at",
        "old_status",
        "new_status",
        "old_until_renewal",
        "new_until_renewal",
        "reason_type",
        "reason_id",
        "actor_type",
        "actor_id",
        "actor_user",
    ]
    return ", ".join(connection.ops.quote_name(MarketingStatusChange._meta.get_field(n).column) for n in names)


def _cast(model, name: str) -> str:
    return model._meta.get_field(name).cast_db_type(connection)


def apply_transition(*, ids: Sequence[int], transition: Transition, actor: Actor, now: datetime) -> int:
    """Change the contacts among `ids` whose status is one of `transition.sources`; return how many.

    Call inside a transaction (the services open one per chunk).
    """
    if not ids:
        return 0
    feed = ContactChange.objects.feeding()
    changed = _apply(list(ids), transition, actor, now, returning=bool(feed))
    if isinstance(changed, int):
        return changed
    ContactChange.objects.record(changed, tasks=feed)
    return len(changed)


def _apply(ids: list[int], transition: Transition, actor: Actor, now: datetime, *, returning: bool) -> int | list[int]:
    table = connection.ops.quote_name(Contact._meta.db_table)
    history = connection.ops.quote_name(MarketingStatusChange._meta.db_table)
    pk = _contact_column("id")
    status, pending = _contact_column("marketable_status"), _contact_column("marketable_until_renewal")
    reason_type, reason_id = _contact_column("marketable_reason_type"), _contact_column("marketable_reason_id")
    guard, guard_params = _guard(transition)
    set_sql, set_params = _set_clause(transition, now)
    target = transition.target
    sql = f"""
        WITH changed AS (
            UPDATE {table} AS c SET {set_sql}
            FROM (
                SELECT {pk}, {status} AS old_status, {pending} AS old_pending FROM {table}
                WHERE {pk} = ANY(%s::bigint[]) AND {guard}
                ORDER BY {pk} FOR NO KEY UPDATE
            ) AS old
            -- Repeating the ids lets the planner reach c by index; joined only on old it may scan the table.
            WHERE c.{pk} = old.{pk} AND c.{pk} = ANY(%s::bigint[])
            RETURNING c.{pk} AS contact_id, old.old_status, old.old_pending,
                      c.{reason_type} AS rtype, c.{reason_id} AS rid
        )
        INSERT INTO {history} ({_history_columns()})
        SELECT contact_id, %s::timestamptz, old_status, %s::boolean, old_pending, %s::boolean, rtype, rid,
               %s::varchar, %s::varchar, %s::{_cast(MarketingStatusChange, "actor_user")}
        FROM changed
    """
    if returning:
        sql += " RETURNING contact_id"
    params = [
        *set_params,
        ids,
        *guard_params,
        ids,
        now,
        target.is_marketing,
        target.until_renewal,
        actor.kind.value,
        actor.id,
        actor.user_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()] if returning else cursor.rowcount


def record_creations(*, ids: Sequence[int], actor: Actor, now: datetime) -> int:
    """Write the first history row (old status none) of each new contact among `ids`, in one statement.

    The row copies the status and reason the contact was created with, so it is built by
    `INSERT … SELECT` from the contacts table rather than from model instances: a batch of 100 new
    contacts costs one short statement instead of 100 objects and 1,100 prepared values. Call inside
    the transaction that created the contacts. Returns how many rows were written.
    """
    if not ids:
        return 0
    table = connection.ops.quote_name(Contact._meta.db_table)
    history = connection.ops.quote_name(MarketingStatusChange._meta.db_table)
    pk = _contact_column("id")
    status, pending = _contact_column("marketable_status"), _contact_column("marketable_until_renewal")
    reason_type, reason_id = _contact_column("marketable_reason_type"), _contact_column("marketable_reason_id")
    sql = f"""
        INSERT INTO {history} ({_history_columns()})
        SELECT {pk}, %s, NULL, {status}, %s, {pending}, {reason_type}, {reason_id},
               CAST(%s AS varchar), CAST(%s AS varchar), CAST(%s AS {_cast(MarketingStatusChange, "actor_user")})
        FROM {table} WHERE {pk} = ANY(%s::bigint[]) AND {status} IS NOT NULL
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, False, actor.kind.value, actor.id, actor.user_id, list(ids)])
        return cursor.rowcount
