"""R10, R12, R14 on PostgreSQL: a bulk "set as marketing" running while the renewal runs loses no update.

Every contact the bulk change reaches ends marketing, whichever of the two got to it first: either the
bulk change cancelled its pending switch (R12), or the renewal flipped it (R14) and the bulk change
then set it as marketing again (R10). The bulk change and the renewal are threads with their own
connections; their per-chunk callbacks, or a pause held inside a transaction, force each interleaving.
"""

import threading
from collections import Counter

import pytest
from django.db import transaction

import marketing_status.services
from billing.models import BillingPeriod, Subscription
from billing.selectors import marketing_count
from contacts.models import Contact
from marketing_status.models import MarketingStatusChange
from marketing_status.renewal import renewals_run
from marketing_status.services import contacts_set_marketing
from tests.integration.conftest import (
    WAIT_SECONDS,
    Turns,
    backend_pid,
    make_contacts,
    renewal_history,
    run_threads,
    wait_until_blocked,
)

pytestmark = pytest.mark.django_db(transaction=True)

CANCELLED = ((True, True, True, False, "USER"),)  # R12: pending → marketing
FLIPPED_THEN_SET = ((True, True, False, False, "SYSTEM"), (False, False, True, False, "USER"))  # R14, then R10
SET = ((False, False, True, False, "USER"),)  # R10: non-marketing → marketing


def _histories_since(first_id: int) -> dict[int, tuple]:
    """Each contact's status changes recorded from history row `first_id` on, in order."""
    histories: dict[int, list] = {}
    rows = MarketingStatusChange.objects.filter(pk__gte=first_id).order_by("pk")
    for contact_id, *change in rows.values_list(
        "contact_id", "old_status", "old_until_renewal", "new_status", "new_until_renewal", "actor_type"
    ):
        histories.setdefault(contact_id, []).append(tuple(change))
    return {contact_id: tuple(changes) for contact_id, changes in histories.items()}


def _next_history_id() -> int:
    last = MarketingStatusChange.objects.order_by("-pk").first()
    return last.pk + 1


def _assert_everyone_marketing(total: int) -> None:
    assert Contact.objects.count() == total
    assert Contact.objects.filter(marketable_status=True, marketable_until_renewal=False).count() == total
    assert marketing_count() == total  # R21: every contact is billable


def test_r10_r14_bulk_set_marketing_while_renewal_runs_loses_no_update(subscription, marketer_actor):
    pending, marketing, non_marketing = make_contacts(
        actor=marketer_actor, prefix="bulk", pending=2000, marketing=100, non_marketing=100
    )
    total = len(pending) + len(marketing) + len(non_marketing)
    period = BillingPeriod.objects.get(closed_at__isnull=True)
    first_history = _next_history_id()
    # The bulk change cancels two chunks, the renewal flips three chunks ahead of it, then they
    # alternate (the bulk change re-setting what the renewal just flipped), then both run freely.
    turns = Turns(["bulk", "bulk", "renewal", "renewal", "renewal"] + ["bulk", "renewal"] * 8 + ["bulk"] * 3)

    results = run_threads(
        {
            "bulk": turns.run(
                "bulk",
                lambda on_chunk: contacts_set_marketing(
                    contacts=Contact.objects.all(), actor=marketer_actor, chunk_size=50, on_chunk=on_chunk
                ),
            ),
            "renewal": turns.run(
                "renewal", lambda on_chunk: renewals_run(as_of=period.update_at, chunk_size=50, on_chunk=on_chunk)
            ),
        }
    )

    assert turns.log[: len(turns.script)] == turns.script
    _assert_everyone_marketing(total)
    histories = _histories_since(first_history)
    assert set(histories) == set(pending) | set(non_marketing)  # R13: marketing contacts got no history row
    assert {histories[pk] for pk in non_marketing} == {SET}
    kinds = Counter(histories[pk] for pk in pending)
    assert set(kinds) == {CANCELLED, FLIPPED_THEN_SET}  # both orders happened, and nothing else
    assert kinds[CANCELLED] >= 100  # the bulk change's first two chunks came before the renewal
    assert kinds[FLIPPED_THEN_SET] >= 150  # the renewal's first three chunks came before the bulk change

    assert results["bulk"].changed == total - len(marketing)  # each contact once, none already marketing
    (outcome,) = results["renewal"]
    period.refresh_from_db()
    assert outcome.flipped == period.flipped_count == kinds[FLIPPED_THEN_SET] == renewal_history(period).count()
    assert period.closed_at is not None
    assert BillingPeriod.objects.filter(closed_at__isnull=True).count() == 1


def test_r12_r14_renewal_close_waits_for_a_bulk_chunk_holding_pending_contacts(
    subscription, marketer_actor, monkeypatch
):
    """The renewal's chunks skip contacts a bulk chunk holds locked; closing the period waits for that
    chunk, and a contact the chunk set as marketing is not flipped after all (R12 wins, once)."""
    pending, marketing, _ = make_contacts(actor=marketer_actor, prefix="held", pending=500, marketing=10)
    held = pending[200:250]  # one bulk chunk, in the middle of the renewal's work
    period = BillingPeriod.objects.get(closed_at__isnull=True)
    first_history = _next_history_id()
    applied, release, renewal_started = threading.Event(), threading.Event(), threading.Event()
    pids = {}
    real_apply_transition = marketing_status.services.apply_transition

    def apply_then_hold(**kwargs):
        changed = real_apply_transition(**kwargs)
        applied.set()  # the chunk's rows are changed and locked, not committed yet
        assert release.wait(WAIT_SECONDS)
        return changed

    monkeypatch.setattr(marketing_status.services, "apply_transition", apply_then_hold)

    def bulk():
        pids["bulk"] = backend_pid()
        return contacts_set_marketing(contacts=held, actor=marketer_actor, chunk_size=50)

    def renewal():
        assert applied.wait(WAIT_SECONDS)
        pids["renewal"] = backend_pid()
        renewal_started.set()
        return renewals_run(as_of=period.update_at, chunk_size=100)

    def conductor():
        assert applied.wait(WAIT_SECONDS)
        assert renewal_started.wait(WAIT_SECONDS)
        wait_until_blocked(waiter=pids["renewal"], holder=pids["bulk"])  # closing, waiting for the held chunk
        release.set()

    results = run_threads({"bulk": bulk, "renewal": renewal, "conductor": conductor})

    assert results["bulk"].changed == len(held)
    (outcome,) = results["renewal"]
    flipped = sorted(set(pending) - set(held))
    assert outcome.flipped == len(flipped)
    histories = _histories_since(first_history)
    assert {histories[pk] for pk in held} == {CANCELLED}
    assert {histories[pk] for pk in flipped} == {FLIPPED_THEN_SET[:1]}
    assert set(histories) == set(pending)
    assert Contact.objects.filter(pk__in=held, marketable_status=True, marketable_until_renewal=False).count() == 50
    assert Contact.objects.filter(pk__in=flipped, marketable_status=False).count() == len(flipped)
    period.refresh_from_db()
    assert period.closed_at is not None
    assert period.flipped_count == len(flipped)
    assert marketing_count() == len(held) + len(marketing)
    assert BillingPeriod.objects.get(closed_at__isnull=True).count_at_open == len(held) + len(marketing)


def test_r24_tier_check_after_bulk_and_renewal_close_do_not_deadlock(subscription, marketer_actor, monkeypatch):
    """A bulk change ends with a tier check (R24), which locks the subscription, counts the marketing
    contacts, then raises the open period's peak count. The renewal closing that period at the same
    time must not deadlock with it. The test holds the tier check between its lock and its update, as
    a count over many contacts would, while the renewal closes the period."""
    pending, marketing, non_marketing = make_contacts(
        actor=marketer_actor, prefix="tier", pending=100, marketing=10, non_marketing=300
    )
    period = BillingPeriod.objects.get(closed_at__isnull=True)
    holding, go, renewal_started = threading.Event(), threading.Event(), threading.Event()
    pids = {}
    real_tier_check = marketing_status.services.subscription_check_tier

    def tier_check_held_after_lock(**kwargs):
        with transaction.atomic():
            Subscription.objects.select_for_update().order_by("pk").first()  # the tier check's first statement
            holding.set()
            assert go.wait(WAIT_SECONDS)
            return real_tier_check(**kwargs)

    monkeypatch.setattr(marketing_status.services, "subscription_check_tier", tier_check_held_after_lock)

    def bulk():
        pids["bulk"] = backend_pid()
        return contacts_set_marketing(contacts=non_marketing, actor=marketer_actor, chunk_size=50)

    def renewal():
        assert holding.wait(WAIT_SECONDS)
        pids["renewal"] = backend_pid()
        renewal_started.set()
        return renewals_run(as_of=period.update_at, chunk_size=100)

    def conductor():
        assert holding.wait(WAIT_SECONDS)
        assert renewal_started.wait(WAIT_SECONDS)
        wait_until_blocked(waiter=pids["renewal"], holder=pids["bulk"])  # the renewal waits for the subscription
        go.set()

    results = run_threads({"bulk": bulk, "renewal": renewal, "conductor": conductor})

    assert results["bulk"].changed == len(non_marketing)
    (outcome,) = results["renewal"]
    assert outcome.flipped == len(pending)
    period.refresh_from_db()
    billed = len(pending) + len(marketing) + len(non_marketing)  # counted when the renewal began
    assert (period.count_at_close, period.peak_count) == (billed, billed)
    assert period.closed_at is not None
    following = BillingPeriod.objects.get(closed_at__isnull=True)
    assert marketing_count() == following.count_at_open == len(marketing) + len(non_marketing)
