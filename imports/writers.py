"""Writing one chunk of parsed rows: contacts created or updated, their marketing status, companies.

`contacts_chunk_write` is the import's hot path. It runs inside the chunk's transaction (which also
saves the checkpoint) and does, set-based, per chunk:

1. find the live contacts with the chunk's emails, locking them in id order (the lock order of every
   bulk change, so an import never deadlocks with a bulk switch or the renewal);
2. drop rows whose email an earlier row of the file had, reported as duplicates: an earlier row of
   the chunk, a contact this import created, or one it updated (kept in `ImportSeenEmail`), so this
   holds across chunks and across a kill;
3. create the new contacts with the status the policy decides (`decide_new_contact`: R4, R9), and
   their creation history (`record_creations`);
4. update the existing ones from the non-blank cells, and, when the import sets marketing (R4),
   switch them with `apply_transition` (R10, R12; R13 for those already marketing);
5. create or update companies and associate contacts with them (multi-object, multi-file imports);
6. record the contacts it created or updated in the contacts change feed, for workflows (R18).

Step 3 is a `COPY` straight into the contacts table (ids drawn from its sequence first, so each row
knows its contact) and step 4 a `COPY` into a temporary table and one `UPDATE … FROM`: the
statements a hand-written bulk load would use, with the constraints checked as always. The new
contacts get the values `marketing_status.creation.contacts_create` would give them.
"""

from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import psycopg
from django.db import connection

from billing.models import Subscription
from companies.services import CompanyData, companies_upsert, contacts_companies_associate
from contacts.models import Contact, ContactChange
from imports.fields import CONTACT_FIELDS, ParsedRow
from imports.models import ImportSeenEmail
from marketing_status.actors import Actor
from marketing_status.policy import CreationTool, ReasonType, TierGuard, decide_new_contact, sources_of_switch
from marketing_status.selectors import new_contacts_billing_impact
from marketing_status.services import tier_guard_apply
from marketing_status.transitions import Transition, apply_transition, record_creations

UPDATABLE_FIELDS = CONTACT_FIELDS[1:]  # the email identifies the contact; it is never rewritten


@dataclass(frozen=True)
class ChunkContext:
    """What every chunk of one import needs to know."""

    import_id: int
    tool: CreationTool
    actor: Actor  # ActorKind.IMPORT, id = the import's id, user = who started it
    marketing: bool  # R4's checkbox
    confirm_tier_upgrade: bool  # B4, confirmed when the import was started
    subscription: Subscription | None
    mapped_fields: tuple[str, ...]  # the contact fields the file maps, email excluded

    @property
    def source_id(self) -> str:
        return str(self.import_id)

    @property
    def enabled(self) -> bool:
        return self.subscription is not None and self.subscription.marketing_contacts_enabled


@dataclass
class ChunkResult:
    created: int = 0
    updated: int = 0
    held: int = 0
    companies_created: int = 0
    companies_updated: int = 0
    associations: int = 0
    duplicates: list[tuple[ParsedRow, str]] = field(default_factory=list)  # (row, reason)


@dataclass(frozen=True)
class Existing:
    id: int
    marketing: bool | None
    source: tuple[str, str]  # (creation tool, creation source id)


# --- Duplicates ------------------------------------------------------------------------------------


def _drop_chunk_duplicates(rows: Sequence[ParsedRow], result: ChunkResult) -> list[ParsedRow]:
    """The rows whose email no earlier row of this chunk had."""
    first_row: dict[str, int] = {}
    kept = []
    for row in rows:
        email = row.contact[0]
        if email is not None:
            if email in first_row:
                result.duplicates.append((row, _duplicate_reason(email, first_row[email])))
                continue
            first_row[email] = row.row_number
        kept.append(row)
    return kept


def _drop_earlier_duplicates(
    ctx: ChunkContext, rows: list[ParsedRow], existing: dict[str, "Existing"], result: ChunkResult
) -> tuple[list[ParsedRow], dict[str, "Existing"]]:
    """Drop the rows whose email an earlier chunk of the file imported.

    An earlier row either created the contact (it then carries this import as its source) or updated
    a contact that existed before: those are claimed in `ImportSeenEmail`, which is written only for
    contacts updated, so an import of new contacts writes nothing there.
    """
    created_here = {email for email, contact in existing.items() if contact.source == (ctx.tool, ctx.source_id)}
    updated = {row.contact[0]: row.row_number for row in rows if row.contact[0] in existing}
    for email in created_here:
        updated.pop(email)
    taken = set(updated) - _seen_claim(ctx.import_id, updated) if updated else set()
    duplicates = created_here | taken
    if not duplicates:
        return rows, existing
    first_rows = _seen_rows(ctx.import_id, sorted(taken)) if taken else {}
    for row in rows:
        if row.contact[0] in duplicates:
            result.duplicates.append((row, _duplicate_reason(row.contact[0], first_rows.get(row.contact[0]))))
    kept = [row for row in rows if row.contact[0] not in duplicates]
    return kept, {email: contact for email, contact in existing.items() if email not in duplicates}


def _duplicate_reason(email: str, first_row: int | None) -> str:
    where = f"row {first_row} of this file" if first_row else "an earlier row of this file"
    return f"Duplicate: {where} has the same email ({email}); only the first row with it is imported."


def _seen_claim(import_id: int, emails: dict[str, int]) -> set[str]:
    """Record `emails` (email → row) as seen by the import; return those no earlier chunk had.

    One INSERT … ON CONFLICT DO NOTHING both records and detects: the unique key (import, email) is
    probed once per email, by the insert itself.
    """
    table, (job, email, number) = _seen_columns()
    with _bound_cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({job}, {email}, {number}) "
            "SELECT %s, e, n FROM unnest(%s::text[], %s::bigint[]) AS u(e, n) "
            f"ON CONFLICT DO NOTHING RETURNING {email}",
            [import_id, list(emails), list(emails.values())],
        )
        return {row[0] for row in cursor.fetchall()}


def _seen_rows(import_id: int, emails: list[str]) -> dict[str, int]:
    """The row of the file that imported each of `emails` (for the reason of a duplicate)."""
    seen = ImportSeenEmail.objects.filter(import_job_id=import_id, email__in=emails)
    return dict(seen.values_list("email", "row_number"))


def _seen_columns() -> tuple[str, tuple[str, str, str]]:
    meta = ImportSeenEmail._meta
    columns = tuple(_quote(meta.get_field(name).column) for name in ("import_job", "email", "row_number"))
    return _quote(meta.db_table), columns


# --- Existing contacts -------------------------------------------------------------------------------


def _existing_locked(emails: list[str]) -> dict[str, Existing]:
    """The live contacts with these emails, row-locked in id order."""
    if not emails:
        return {}
    fields = ("id", "email", "marketable_status", "creation_tool", "creation_source_id")
    # = ANY(array) rather than IN (%s, …): one parameter, and the plan probes the email index. The array
    # goes as one line-separated text (a checked email holds no line end), which psycopg sends as it is.
    with _bound_cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(_contact_column(name) for name in fields)} "
            f"FROM {_quote(Contact._meta.db_table)} "
            f"WHERE {_contact_column('email')} = ANY(string_to_array(%s, E'\\n')) "
            f"AND {_contact_column('archived_at')} IS NULL ORDER BY {_contact_column('id')} FOR UPDATE",
            ["\n".join(emails)],
        )
        found = cursor.fetchall()
    return {email: Existing(pk, status, (tool, source)) for pk, email, status, tool, source in found}


def _held_by_tier_guard(ctx: ChunkContext, new: int, existing: dict[str, Existing]) -> int:
    """B4: how many contacts this chunk would make marketing when that crosses the tier unconfirmed, else 0.

    The import was confirmed (or did not cross) when it started; this catches a count that grew
    meanwhile. Nobody is there to confirm, so the chunk's contacts stay non-marketing instead.
    """
    if not (ctx.marketing and ctx.enabled):
        return 0
    becoming = new + sum(1 for contact in existing.values() if contact.marketing is False)
    guard = tier_guard_apply(
        subscription=ctx.subscription,
        confirmed=ctx.confirm_tier_upgrade,
        attended=False,
        impact=lambda: new_contacts_billing_impact(count=becoming),
    )
    return becoming if guard is TierGuard.HOLD else 0


def _switch_to_marketing(ctx: ChunkContext, ids: list[int], now: datetime) -> None:
    """R4 with R10 and R12: existing contacts the import updates become marketing (pending ones stay)."""
    sources, target = sources_of_switch(to_marketing=True)
    transition = Transition(
        sources=sources, target=target, reason_type=ReasonType.CONTACT_IMPORT, reason_id=ctx.source_id
    )
    apply_transition(ids=sorted(ids), transition=transition, actor=ctx.actor, now=now)


# --- The chunk ---------------------------------------------------------------------------------------


def contacts_chunk_write(*, ctx: ChunkContext, rows: Sequence[ParsedRow], now: datetime) -> ChunkResult:
    """Import one chunk of contact rows (see the module's docstring). Call inside the chunk's transaction."""
    result = ChunkResult()
    if not rows:
        return result
    rows = _drop_chunk_duplicates(rows, result)
    existing = _existing_locked([row.contact[0] for row in rows if row.contact[0] is not None])
    rows, existing = _drop_earlier_duplicates(ctx, rows, existing, result)
    company_ids = _companies(ctx, [row.company for row in rows], result, now)
    new_rows = [row for row in rows if row.contact[0] is None or row.contact[0] not in existing]
    updated_rows = [row for row in rows if row.contact[0] is not None and row.contact[0] in existing]
    result.held = _held_by_tier_guard(ctx, len(new_rows), existing)
    marketing = ctx.marketing and not result.held
    decision = decide_new_contact(
        tool=ctx.tool, source_id=ctx.source_id, requested_marketing=marketing, enabled=ctx.enabled
    )
    new_ids = _create_contacts(ctx, new_rows, decision, now)
    _update_contacts(ctx, [(existing[row.contact[0]].id, row) for row in updated_rows], now)
    if marketing and ctx.enabled and existing:
        _switch_to_marketing(ctx, [contact.id for contact in existing.values()], now)
    result.created, result.updated = len(new_ids), len(updated_rows)
    ContactChange.objects.record([*new_ids, *(existing[row.contact[0]].id for row in updated_rows)])
    if company_ids:
        contact_ids = [*new_ids, *(existing[row.contact[0]].id for row in updated_rows)]
        pairs = [
            (contact_id, company_ids[row.company.key])
            for contact_id, row in zip(contact_ids, new_rows + updated_rows, strict=True)
            if row.company is not None
        ]
        result.associations = contacts_companies_associate(pairs=pairs, actor=ctx.actor, now=now)
    return result


def companies_chunk_write(*, ctx: ChunkContext, rows: Sequence[ParsedRow], now: datetime) -> ChunkResult:
    """Import one chunk of a companies file (multi-file imports). Call inside the chunk's transaction."""
    result = ChunkResult()
    _companies(ctx, [row.company for row in rows], result, now)
    return result


def _companies(ctx: ChunkContext, companies: list[CompanyData | None], result: ChunkResult, now) -> dict:
    named = [company for company in companies if company is not None]
    if not named:
        return {}
    upserted = companies_upsert(rows=named, actor=ctx.actor, now=now)
    result.companies_created, result.companies_updated = upserted.created, upserted.updated
    return upserted.ids


# --- Creating contacts ---------------------------------------------------------------------------------


_NEW_CONTACT_COLUMNS = (
    "id",
    *CONTACT_FIELDS,
    "creation_tool",
    "creation_source_id",
    "marketable_status",
    "marketable_until_renewal",
    "marketable_reason_type",
    "marketable_reason_id",
    "marketable_status_changed_at",
    "created_at",
    "updated_at",
)


def _create_contacts(ctx: ChunkContext, rows: list[ParsedRow], decision, now) -> list[int]:
    """COPY the new contacts into the contacts table, with ids drawn first, then their creation history.

    The values are those `contacts_create` gives: status, reason type and id from the policy's
    decision (none before R1), the tool and the import as their source, blank fields at their defaults.
    """
    if not rows:
        return []
    ids = _next_contact_ids(len(rows))
    status = decision.status.is_marketing
    decided = status is not None
    fixed = (
        ctx.tool.value,
        ctx.source_id,
        status,
        False,
        decision.reason_type.value if decided else "",
        decision.reason_id if decided else "",
        now if decided else None,
        now,
        now,
    )
    columns = ", ".join(_contact_column(name) for name in _NEW_CONTACT_COLUMNS)
    _copy(
        f"COPY {_quote(Contact._meta.db_table)} ({columns}) FROM STDIN",
        ((contact_id, *_with_defaults(row.contact), *fixed) for contact_id, row in zip(ids, rows, strict=True)),
    )
    if decided:
        record_creations(ids=ids, actor=ctx.actor, now=now)
    return ids


_BLANK = {name: "" for name in ("first_name", "last_name", "company", "phone", "lifecycle_stage")}
_DEFAULTS = [
    None if name == "email" else _BLANK.get(name, getattr(Contact._meta.get_field(name).default, "value", False))
    for name in CONTACT_FIELDS
]


def _with_defaults(values: tuple) -> list:
    """A parsed row as a new contact's values: what is blank gets the model's default."""
    return [default if value is None else value for value, default in zip(values, _DEFAULTS, strict=True)]


def _next_contact_ids(count: int) -> list[int]:
    """`count` ids from the contacts table's own sequence, so that each new row knows its contact before COPY."""
    with _bound_cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_serial_sequence(%s, %s)", [_quote(Contact._meta.db_table), Contact._meta.pk.column]
        )
        (sequence,) = cursor.fetchone()
        cursor.execute("SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s)", [sequence, count])
        return cursor.fetchone()[0]


# --- Updating contacts ---------------------------------------------------------------------------------


_UPDATES_TABLE = "imports_contact_updates"


def _update_contacts(ctx: ChunkContext, pairs: list[tuple[int, ParsedRow]], now) -> None:
    """COPY the non-blank values into a temporary table, then one UPDATE … FROM it (rows already locked)."""
    if not pairs:
        return
    field_types = {name: _cast(name) for name in UPDATABLE_FIELDS}
    with connection.cursor() as cursor, connection.wrap_database_errors:
        columns = ", ".join(f"{_quote(name)} {field_types[name]}" for name in UPDATABLE_FIELDS)
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_UPDATES_TABLE} (id bigint PRIMARY KEY, {columns}) "
            "ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"DELETE FROM {_UPDATES_TABLE}")  # empty already, unless this chunk is a savepoint
    positions = [CONTACT_FIELDS.index(name) for name in UPDATABLE_FIELDS]
    _copy(
        f"COPY {_UPDATES_TABLE} (id, {', '.join(_quote(name) for name in UPDATABLE_FIELDS)}) FROM STDIN",
        ((contact_id, *[row.contact[position] for position in positions]) for contact_id, row in pairs),
    )
    assignments = ", ".join(
        f"{_contact_column(name)} = COALESCE(u.{_quote(name)}, c.{_contact_column(name)})" for name in ctx.mapped_fields
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_quote(Contact._meta.db_table)} AS c SET "
            f"{assignments + ', ' if assignments else ''}{_contact_column('updated_at')} = %s "
            f"FROM {_UPDATES_TABLE} AS u WHERE c.{_contact_column('id')} = u.id",
            [now],
        )


# --- SQL helpers ---------------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _contact_column(name: str) -> str:
    return _quote(Contact._meta.get_field(name).column)


def _cast(name: str) -> str:
    return Contact._meta.get_field(name).db_type(connection)


@contextmanager
def _bound_cursor():
    """A psycopg cursor with server-side parameters: a list of 5,000 emails goes as one array value,
    not as SQL text that Django's client-side cursor would have to compose. Errors raised as Django's."""
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor


def _copy(statement: str, rows) -> None:
    """psycopg's COPY FROM STDIN, one row at a time from an iterable; errors raised as Django's."""
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
