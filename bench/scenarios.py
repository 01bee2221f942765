"""The scenarios: each one's starting state, its engine call, its hand-written SQL baseline and its checks.

The engine is the application's own path, called as a task or view calls it. The baseline is the
least SQL that does the same work (the status change and one history row per changed contact) in
one transaction, with no chunking and no locking beyond what UPDATE itself takes. Both change the
same rows into the same values and write the same history rows; `check` verifies it after each run.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from bench.database import (
    CONTACTS,
    HISTORY,
    BenchDatabase,
    BenchError,
    billing_reset,
    contacts_reset,
    contacts_rewrite,
    execute,
    history_clear,
    scalar,
)
from billing.models import BillingPeriod
from contacts.models import Contact
from marketing_status.actors import Actor, reason_type_of
from marketing_status.policy import ReasonType
from marketing_status.renewal import renewals_run
from marketing_status.services import contacts_set_marketing

HISTORY_COLUMNS = (
    "contact_id, changed_at, old_status, new_status, old_until_renewal, new_until_renewal, "
    "reason_type, reason_id, actor_type, actor_id, actor_user_id"
)
PENDING_EVERY = 4  # the renewal flips every fourth contact, spread over the whole table


@dataclass(frozen=True)
class Scenario:
    name: str
    rows: int  # the rows each run must change
    target_ratio: float  # engine seconds / baseline seconds at most
    reset: Callable[[], None]  # untimed: the starting state of every run
    engine: Callable[[], int]  # timed: the application's path; returns the rows it changed
    baseline: Callable[[], int]  # timed: hand-written SQL doing the same work; returns the rows it changed
    check: Callable[[], None]  # untimed: raise BenchError unless the run left the expected state


def _expect(what: str, actual: int, expected: int) -> None:
    if actual != expected:
        raise BenchError(f"{what}: {actual:,} instead of {expected:,}")


def _history_count() -> int:
    return scalar(f"SELECT count(*) FROM {HISTORY}")


# --- (a) renewal flip (R14) ------------------------------------------------------------------------


def renewal_scenario(db: BenchDatabase) -> Scenario:
    """Every fourth contact pending (marketing until the update date); the renewal flips them."""
    period = BillingPeriod.objects.get(pk=db.period_id)
    rows = db.contacts // PENDING_EVERY

    def reset() -> None:
        with contacts_rewrite():
            contacts_reset(db)
            pending = execute(
                f"""
                UPDATE {CONTACTS} SET marketable_status = true, marketable_until_renewal = true,
                       marketable_reason_type = %s, marketable_reason_id = 'bench'
                WHERE id %% {PENDING_EVERY} = 0
                """,
                [ReasonType.USER_SET.value],
            )
            _expect("contacts made pending", pending, rows)
            history_clear()
            billing_reset(db)

    def engine() -> int:
        outcomes = renewals_run(as_of=period.update_at + timedelta(minutes=1))
        return sum(outcome.flipped for outcome in outcomes)

    def baseline() -> int:
        guard = "marketable_status AND marketable_until_renewal AND marketable_status_changed_at <= %(update_at)s"
        params = {"now": timezone.now(), "update_at": period.update_at, "actor_id": f"renewal:{period.pk}"}
        with transaction.atomic():
            execute(
                f"""
                INSERT INTO {HISTORY} ({HISTORY_COLUMNS})
                SELECT id, %(now)s, true, false, true, false, marketable_reason_type, marketable_reason_id,
                       'SYSTEM', %(actor_id)s, NULL
                FROM {CONTACTS} WHERE {guard}
                """,
                params,
            )
            return execute(
                f"""
                UPDATE {CONTACTS} SET marketable_status = false, marketable_until_renewal = false,
                       marketable_status_changed_at = %(now)s, updated_at = %(now)s
                WHERE {guard}
                """,
                params,
            )

    def check() -> None:
        _expect("contacts still pending", Contact.objects.filter(marketable_until_renewal=True).count(), 0)
        _expect("non-marketing contacts", Contact.objects.filter(marketable_status=False).count(), db.contacts)
        _expect("history rows", _history_count(), rows)

    return Scenario("(a) renewal flip (R14)", rows, 1.3, reset, engine, baseline, check)


# --- (b) set as marketing (R10) --------------------------------------------------------------------


def set_marketing_scenario(db: BenchDatabase) -> Scenario:
    """All contacts non-marketing; a system actor sets all of them as marketing."""
    actor = Actor.system("bench")

    def reset() -> None:
        with contacts_rewrite():
            contacts_reset(db)
            history_clear()
            billing_reset(db)

    def engine() -> int:
        return contacts_set_marketing(contacts=Contact.objects.all(), actor=actor).changed

    def baseline() -> int:
        # The guard of sources_of_switch(to_marketing=True): non-marketing or pending, not archived.
        guard = (
            "((marketable_status = false AND NOT marketable_until_renewal)"
            " OR (marketable_status AND marketable_until_renewal)) AND archived_at IS NULL"
        )
        params = {"now": timezone.now(), "reason": reason_type_of(actor).value, "actor_id": actor.id}
        with transaction.atomic():
            execute(
                f"""
                INSERT INTO {HISTORY} ({HISTORY_COLUMNS})
                SELECT id, %(now)s, marketable_status, true, marketable_until_renewal, false,
                       %(reason)s, %(actor_id)s, 'SYSTEM', %(actor_id)s, NULL
                FROM {CONTACTS} WHERE {guard}
                """,
                params,
            )
            return execute(
                f"""
                UPDATE {CONTACTS} SET marketable_status = true, marketable_until_renewal = false,
                       marketable_reason_type = %(reason)s, marketable_reason_id = %(actor_id)s,
                       marketable_status_changed_at = %(now)s, updated_at = %(now)s
                WHERE {guard}
                """,
                params,
            )

    def check() -> None:
        marketing = Contact.objects.filter(marketable_status=True, marketable_until_renewal=False).count()
        _expect("marketing contacts", marketing, db.contacts)
        _expect("history rows", _history_count(), db.contacts)

    return Scenario("(b) set as marketing (R10)", db.contacts, 1.5, reset, engine, baseline, check)


def scenarios_all(db: BenchDatabase) -> list[Scenario]:
    return [renewal_scenario(db), set_marketing_scenario(db)]
