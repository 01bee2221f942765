"""R14 on PostgreSQL: a renewal process killed midway is finished by the next run, flipping each contact once.

`run_renewals` runs as a real process on the test database. The test SIGKILLs it right after its
first chunk committed. So that the kill always lands midway, the test holds a row lock on the last
due contact while the process runs: the chunks skip that contact (`SKIP LOCKED`) and closing the
period waits for it, so the killed run can neither finish nor close.
"""

import signal
import subprocess
import sys

import pytest
from django.db import connection, transaction

from billing.models import BillingPeriod
from contacts.models import Contact
from marketing_status.models import MarketingStatusChange
from tests.integration.conftest import (
    PROJECT_DIR,
    WAIT_SECONDS,
    LineReader,
    assert_renewal_done_once,
    make_contacts,
    stop_process,
    subprocess_env,
)

pytestmark = pytest.mark.django_db(transaction=True)

PENDING = 2000
CHUNK = 50


def _run_renewals_command(period: BillingPeriod) -> list[str]:
    return [
        sys.executable,
        "manage.py",
        "run_renewals",
        "--as-of",
        period.update_at.isoformat(),
        "--chunk-size",
        str(CHUNK),
        "--verbosity",
        "2",
    ]


def _renewal_state(period: BillingPeriod, pending_ids: list[int]) -> tuple[int, int, int, int, bool]:
    """(flipped contacts, history rows, contacts with more than one, flipped_count, closed), in one snapshot.

    One statement, so the counts agree even while a killed process's last transaction is still ending.
    """
    contacts = connection.ops.quote_name(Contact._meta.db_table)
    history = connection.ops.quote_name(MarketingStatusChange._meta.db_table)
    periods = connection.ops.quote_name(BillingPeriod._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT
              (SELECT count(*) FROM {contacts} WHERE id = ANY(%(ids)s) AND marketable_status IS FALSE),
              (SELECT count(*) FROM {history} WHERE actor_type = 'SYSTEM' AND actor_id = %(actor)s),
              (SELECT count(*) FROM (SELECT contact_id FROM {history} WHERE actor_type = 'SYSTEM'
                                     AND actor_id = %(actor)s GROUP BY contact_id HAVING count(*) > 1) AS twice),
              (SELECT flipped_count FROM {periods} WHERE id = %(period)s),
              (SELECT closed_at IS NOT NULL FROM {periods} WHERE id = %(period)s)
            """,
            {"ids": pending_ids, "actor": f"renewal:{period.pk}", "period": period.pk},
        )
        return cursor.fetchone()


def test_r14_renewal_killed_midway_then_rerun_flips_each_contact_once(subscription, marketer_actor, tmp_path):
    pending, marketing, _ = make_contacts(actor=marketer_actor, prefix="kill", pending=PENDING, marketing=25)
    period = BillingPeriod.objects.get(closed_at__isnull=True)
    env = subprocess_env()

    with transaction.atomic():
        Contact.objects.select_for_update().get(pk=pending[-1])  # keeps the killed run from finishing
        with open(tmp_path / "killed.stderr", "w+") as stderr:
            with subprocess.Popen(
                _run_renewals_command(period),
                cwd=PROJECT_DIR,
                env=env,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            ) as process:
                try:
                    first = LineReader(process.stdout).wait_for("chunk flipped")
                    process.send_signal(signal.SIGKILL)
                    assert process.wait(WAIT_SECONDS) == -signal.SIGKILL
                finally:
                    stop_process(process)
            stderr.seek(0)
            assert "Traceback" not in stderr.read()
        assert first == f"chunk flipped {CHUNK}"

        flipped, recorded, twice, flipped_count, closed = _renewal_state(period, pending)
        assert CHUNK <= flipped < PENDING  # some, but not all
        assert recorded == flipped == flipped_count  # each committed chunk wrote its flips, history and count
        assert twice == 0
        assert closed is False
    # Leaving the block releases the lock; the killed run's server session then ends and rolls back.

    rerun = subprocess.run(
        _run_renewals_command(period),
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )

    assert rerun.returncode == 0, rerun.stderr
    lines = rerun.stdout.splitlines()
    assert lines[-1].startswith(f"period {period.pk} closed: {PENDING} flipped, {PENDING + 25} billed; period ")
    rerun_flips = [int(line.removeprefix("chunk flipped ")) for line in lines if line.startswith("chunk flipped")]
    # The rerun flipped what the killed run had not: at least the contact the test held locked. (At most
    # PENDING - flipped: a chunk whose COMMIT the killed process had sent may have landed after the snapshot.)
    assert 0 < sum(rerun_flips) <= PENDING - flipped
    assert_renewal_done_once(period=period, pending_ids=pending, untouched_marketing=marketing)

    again = subprocess.run(
        _run_renewals_command(period), cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=WAIT_SECONDS
    )
    assert (again.returncode, again.stdout.strip()) == (0, "no billing period due")
    assert_renewal_done_once(period=period, pending_ids=pending, untouched_marketing=marketing)
