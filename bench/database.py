"""The bench database: recreated from scratch, migrated, one account set up, N contacts loaded by SQL.

Contacts are generated inside PostgreSQL (`INSERT … SELECT generate_series`), so none of them passes
through Python. Between timed runs the state is reset by SQL inside `contacts_rewrite`, which leaves
the table as if freshly loaded: rewritten in id order, indexes built anew, vacuumed, analysed and
checkpointed. So every run starts from the same physical state: no dead tuples, no bloat, a clean
visibility map and no pending checkpoint work.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone
from psycopg import sql

from bench.common import BenchError
from billing.models import BillingPeriod, TierNotice, TierUpgrade
from billing.policy import BillingCycle, HubTier
from billing.services import subscription_create
from contacts.models import Contact
from marketing_status.actors import Actor
from marketing_status.models import MarketingStatusChange
from marketing_status.policy import ReasonType
from marketing_status.services import marketing_contacts_enable

CONTACTS = Contact._meta.db_table
HISTORY = MarketingStatusChange._meta.db_table


@dataclass(frozen=True)
class BenchDatabase:
    """What the scenarios need to know of the loaded database."""

    name: str
    contacts: int
    loaded_at: datetime  # every contact's `marketable_status_changed_at` in the initial state
    period_id: int  # the open billing period, restored after each renewal
    period_peak_count: int


def execute(statement: str, params: dict | list | None = None) -> int:
    """Run one statement on Django's connection; return its row count."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def scalar(statement: str, params: dict | list | None = None):
    return rows(statement, params)[0][0]


def rows(statement: str, params: dict | list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def database_recreate() -> str:
    """Drop and create the bench database, then migrate it. Refuses a database not named for benchmarks."""
    params = settings.DATABASES["default"]
    if params["ENGINE"] != "django.db.backends.postgresql":
        raise BenchError("benchmarks run on PostgreSQL: set DATABASE_URL (make bench sets it from BENCH_DATABASE_URL)")
    name = params["NAME"]
    if "bench" not in name:
        raise BenchError(f"refusing to drop database {name!r}: a bench database's name must contain 'bench'")
    server_execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", "CREATE DATABASE {}", name=name)
    call_command("migrate", interactive=False, verbosity=0)
    return name


def server_execute(*statements: str, name: str) -> None:
    """Run `statements` (with `{}` standing for the database `name`) on the server's maintenance database,
    after closing this process's connections."""
    params = settings.DATABASES["default"]
    connections.close_all()
    server = {key.lower(): params[key] for key in ("HOST", "PORT", "USER", "PASSWORD") if params.get(key)}
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        for statement in statements:
            admin.execute(sql.SQL(statement).format(sql.Identifier(name)))


def database_drop(name: str) -> None:
    server_execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", name=name)


def account_set_up(*, contacts: int) -> BillingPeriod:
    """An Enterprise subscription whose tier holds ten times the contacts, with marketing contacts enabled (R1).

    The large tier keeps tier upgrades and notices (R24) out of the measurements.
    """
    today = timezone.localdate()
    subscription_create(
        hub_tier=HubTier.ENTERPRISE,
        billing_cycle=BillingCycle.MONTHLY,
        contract_start=today,
        renewal_date=today.replace(year=today.year + 1, day=min(today.day, 28)),
        contact_tier_limit=max(10 * contacts, 10_000),
        tier_block_size=10_000,
    )
    marketing_contacts_enable(actor=Actor.system("bench"))
    return BillingPeriod.objects.get(closed_at__isnull=True)


def contacts_load(*, count: int, at: datetime) -> None:
    """Insert `count` non-marketing contacts (reason INITIAL_STATE, changed at `at`) in one statement."""
    execute(
        f"""
        INSERT INTO {CONTACTS} (
            email, first_name, last_name, company, phone, lifecycle_stage, email_subscription,
            email_hard_bounced, creation_tool, creation_source_id, marketable_status, marketable_until_renewal,
            marketable_reason_type, marketable_reason_id, marketable_status_changed_at, created_at, updated_at
        )
        SELECT 'contact' || g || '@example.com', 'First' || g, 'Last' || g, 'Company ' || (g %% 5000),
               '+1 555 ' || lpad(g::text, 7, '0'), 'lead', 'not_specified', false, 'IMPORT', '',
               false, false, %(reason)s, '', %(at)s, %(at)s - make_interval(secs => g), %(at)s
        FROM generate_series(1, %(count)s) AS g
        """,
        {"count": count, "at": at, "reason": ReasonType.INITIAL_STATE.value},
    )


def database_build(*, contacts: int) -> BenchDatabase:
    """Recreate, migrate, set up the account and load the contacts; return what the scenarios need."""
    name = database_recreate()
    period = account_set_up(contacts=contacts)
    loaded_at = timezone.now() - timedelta(days=1)
    with contacts_rewrite():
        contacts_load(count=contacts, at=loaded_at)
    loaded = Contact.objects.count()
    if loaded != contacts:
        raise BenchError(f"loaded {loaded:,} contacts instead of {contacts:,}")
    return BenchDatabase(name, contacts, loaded_at, period.pk, period.peak_count)


def contacts_reset(db: BenchDatabase) -> int:
    """Put every contact back to its loaded state (non-marketing, INITIAL_STATE); return how many moved."""
    return execute(
        f"""
        UPDATE {CONTACTS} SET marketable_status = false, marketable_until_renewal = false,
               marketable_reason_type = %(reason)s, marketable_reason_id = '',
               marketable_status_changed_at = %(at)s, updated_at = %(at)s
        WHERE marketable_status IS DISTINCT FROM false OR marketable_until_renewal
           OR marketable_reason_type <> %(reason)s OR marketable_reason_id <> ''
           OR marketable_status_changed_at IS DISTINCT FROM %(at)s OR updated_at <> %(at)s
        """,
        {"reason": ReasonType.INITIAL_STATE.value, "at": db.loaded_at},
    )


def history_clear() -> None:
    execute(f"TRUNCATE {HISTORY} RESTART IDENTITY")


def billing_reset(db: BenchDatabase) -> None:
    """Reopen the bench's billing period as it was, dropping the periods, upgrades and notices runs made."""
    BillingPeriod.objects.exclude(pk=db.period_id).delete()
    BillingPeriod.objects.filter(pk=db.period_id).update(
        closed_at=None, renewal_started_at=None, count_at_close=None, flipped_count=0, peak_count=db.period_peak_count
    )
    TierUpgrade.objects.all().delete()
    TierNotice.objects.all().delete()


def _contacts_indexes() -> tuple[str, list[tuple[str, str]]]:
    """The name of the contacts primary key's index, and (name, definition) of each index that backs no constraint."""
    found = rows(
        """
        SELECT index_class.relname, pg_get_indexdef(ix.indexrelid), ix.indisprimary,
               EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid AND c.conrelid = ix.indrelid)
        FROM pg_index ix JOIN pg_class index_class ON index_class.oid = ix.indexrelid
        WHERE ix.indrelid = %s::regclass
        ORDER BY index_class.relname
        """,
        [CONTACTS],
    )
    (primary_key,) = [name for name, _, primary, _ in found if primary]
    return primary_key, [(name, definition) for name, definition, _, backs_constraint in found if not backs_constraint]


@contextmanager
def contacts_rewrite() -> Iterator[None]:
    """Untimed bulk writes to contacts go inside; afterwards the table is as if freshly loaded.

    The indexes that back no constraint are dropped first and built again afterwards (one sort each
    is several times faster than maintaining them row by row), the table is rewritten in id order
    (CLUSTER), then vacuumed, analysed and checkpointed. One transaction: a failure keeps the indexes.
    """
    primary_key, secondary = _contacts_indexes()
    with transaction.atomic():
        for name, _ in secondary:
            execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        yield
        execute(f"CLUSTER {CONTACTS} USING {connection.ops.quote_name(primary_key)}")
        for _, definition in secondary:
            execute(definition)
    execute(f"VACUUM ANALYZE {CONTACTS}")
    execute(f"VACUUM ANALYZE {HISTORY}")
    execute("CHECKPOINT")
