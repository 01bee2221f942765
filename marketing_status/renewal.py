"""The renewal (R14): at a billing period's update date, pending contacts become non-marketing.

A due-row sweep: for every billing period whose update moment has come, flip its pending contacts in
chunks (each chunk one transaction, one guarded statement with its history), then let billing close
the period and open the next. Lock order, as everywhere: subscription, then billing period, then
contacts (in id order); billing's period services take the first two, this module the contacts.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.models import BillingPeriod
from billing.selectors import billing_period_due
from billing.services import (
    billing_period_close,
    billing_period_count_flipped,
    billing_period_lock_open,
    billing_period_renewal_begin,
)
from contacts.models import Contact
from crm.actors import Actor
from marketing_status.policy import NON_MARKETING, PENDING
from marketing_status.transitions import Transition, apply_transition


@dataclass(frozen=True)
class RenewalOutcome:
    period_id: int
    flipped: int
    count_at_close: int
    next_period_id: int


def renewals_run(
    *,
    as_of: datetime | None = None,
    chunk_size: int | None = None,
    on_chunk: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> list[RenewalOutcome]:
    """R14: for every billing period whose update date has come by `as_of`, flip its pending contacts
    to non-marketing, close it with its counts and open the next.

    Idempotent, safe to run twice at once (the period row is the lock) and resumable: every chunk
    commits its flips with their history, so a run killed midway is finished by the next run, and
    a contact is flipped, and recorded, once. Pending switches requested after the update moment
    wait for the following update date. `now` (default: the clock) dates what it records, and is the
    default of `as_of`.
    """
    as_of = as_of or now or timezone.now()
    chunk_size = chunk_size or settings.CRM_BULK_CHUNK_SIZE
    outcomes = []
    while (period := billing_period_due(as_of=as_of)) is not None:
        billing_period_renewal_begin(period=period, now=now)
        while _renewal_flip_chunk(period, chunk_size, on_chunk, now):
            pass
        outcome = _renewal_close(period, now)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def _renewal_transition(period: BillingPeriod) -> Transition:
    # Archived contacts flip too, so that a restore (R22) gives the status they would have had.
    return Transition(
        sources=(PENDING,),
        target=NON_MARKETING,
        reason_type=None,
        reason_id=None,
        include_archived=True,
        changed_before=period.update_at,
    )


def _renewal_actor(period: BillingPeriod) -> Actor:
    return Actor.system(f"renewal:{period.pk}")


def _due_pending(period: BillingPeriod):
    return Contact.objects.filter(
        marketable_until_renewal=True, marketable_status_changed_at__lte=period.update_at
    ).order_by("pk")


def _renewal_flip_chunk(
    period: BillingPeriod, chunk_size: int, on_chunk: Callable[[int], None] | None, now: datetime | None
) -> bool:
    """Flip one chunk of due pending contacts; False when none is left or the period is closed."""
    with transaction.atomic():
        if not billing_period_lock_open(period=period):
            return False
        ids = list(_due_pending(period).select_for_update(skip_locked=True).values_list("pk", flat=True)[:chunk_size])
        if not ids:
            return False
        flipped = apply_transition(
            ids=ids, transition=_renewal_transition(period), actor=_renewal_actor(period), now=now or timezone.now()
        )
        billing_period_count_flipped(period=period, flipped=flipped)
    if on_chunk is not None:
        on_chunk(flipped)
    # Every due id was locked and matches the guard, so it flips; if none did, stop rather than spin.
    return flipped > 0


def _flip_leftover(period: BillingPeriod, now: datetime | None = None) -> int:
    """What a concurrent bulk change held locked during the chunks: flipped under the period's lock."""
    leftover = list(_due_pending(period).select_for_update().values_list("pk", flat=True))
    return apply_transition(
        ids=leftover, transition=_renewal_transition(period), actor=_renewal_actor(period), now=now or timezone.now()
    )


def _renewal_close(period: BillingPeriod, now: datetime | None = None) -> RenewalOutcome | None:
    """Close the period and open the next, after flipping what a concurrent bulk change held locked."""
    closed = billing_period_close(period=period, flip_due=lambda due: _flip_leftover(due, now), now=now)
    if closed is None:
        return None
    period, following = closed
    return RenewalOutcome(period.pk, period.flipped_count, period.count_at_close, following.pk)
