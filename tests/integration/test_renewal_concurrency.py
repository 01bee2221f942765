"""R14 on PostgreSQL: two renewal runs at once give the state of one run.

Each run is a thread with its own database connection. The runs' per-chunk callbacks (called after
each chunk committed) make them take turns in a fixed order, so the interleaving under test happens on
every run of the test, without sleeps.
"""

import pytest

from billing.models import BillingPeriod
from marketing_status.renewal import renewals_run
from tests.integration.conftest import Turns, assert_renewal_done_once, make_contacts, run_threads

pytestmark = pytest.mark.django_db(transaction=True)

PENDING = 3000
CHUNK = 100
CHUNKS = PENDING // CHUNK


@pytest.fixture
def due(subscription, marketer_actor):
    """3,000 pending contacts (R11), 40 marketing and 30 non-marketing ones, and the open period."""
    pending, marketing, _ = make_contacts(
        actor=marketer_actor, prefix="due", pending=PENDING, marketing=40, non_marketing=30
    )
    return BillingPeriod.objects.get(closed_at__isnull=True), pending, marketing


def _renewal(period, flips: list[int]):
    def work(on_chunk):
        def record(flipped: int) -> None:
            flips.append(flipped)
            on_chunk(flipped)

        return renewals_run(as_of=period.update_at, chunk_size=CHUNK, on_chunk=record)

    return work


def test_r14_two_runs_taking_turns_between_chunks_flip_each_contact_once(due):
    """Run B starts while run A is between chunks; they alternate chunk by chunk, then race to the end."""
    period, pending, marketing = due
    turns = Turns(["A", "B"] * 6 + ["A", "A", "B", "B", "B", "A"])
    flips = {"A": [], "B": []}

    outcomes = run_threads(
        {name: turns.run(name, _renewal(period, flips[name])) for name in ("A", "B")},
    )

    assert turns.log[: len(turns.script)] == turns.script  # the runs really interleaved as scripted
    assert len(turns.log) == CHUNKS
    assert sum(flips["A"]) + sum(flips["B"]) == PENDING
    assert set(flips["A"]) | set(flips["B"]) == {CHUNK}  # no chunk was half taken by the other run
    closing = outcomes["A"] + outcomes["B"]
    assert len(closing) == 1  # exactly one run closed the period
    (outcome,) = closing
    assert (outcome.period_id, outcome.flipped, outcome.count_at_close) == (period.pk, PENDING, PENDING + 40)
    assert_renewal_done_once(period=period, pending_ids=pending, untouched_marketing=marketing)


def test_r14_run_that_resumes_after_another_run_closed_the_period_changes_nothing(due):
    """Run A flips one chunk and pauses; run B flips the rest and closes the period; then A resumes."""
    period, pending, marketing = due
    # One turn more for B than it has chunks: A stays paused until B's run has returned, period closed.
    turns = Turns(["A"] + ["B"] * CHUNKS)
    flips = {"A": [], "B": []}

    outcomes = run_threads(
        {name: turns.run(name, _renewal(period, flips[name])) for name in ("A", "B")},
    )

    assert turns.log == ["A"] + ["B"] * (CHUNKS - 1)
    assert flips == {"A": [CHUNK], "B": [CHUNK] * (CHUNKS - 1)}
    assert outcomes["A"] == []  # A found the period closed: it neither flipped nor closed anything more
    (outcome,) = outcomes["B"]
    assert (outcome.period_id, outcome.flipped, outcome.count_at_close) == (period.pk, PENDING, PENDING + 40)
    assert_renewal_done_once(period=period, pending_ids=pending, untouched_marketing=marketing)


def test_r14_two_runs_started_together_flip_each_contact_once(due):
    """No script: both runs start at once and race throughout (a stress check of the same guarantees)."""
    period, pending, marketing = due
    turns = Turns([])
    flips = {"A": [], "B": []}

    outcomes = run_threads(
        {name: turns.run(name, _renewal(period, flips[name])) for name in ("A", "B")},
    )

    assert sum(flips["A"]) + sum(flips["B"]) == PENDING
    assert len(outcomes["A"] + outcomes["B"]) == 1
    assert_renewal_done_once(period=period, pending_ids=pending, untouched_marketing=marketing)
