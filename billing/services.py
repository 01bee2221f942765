"""Writes of billing state: subscription set-up, billing periods, tier upgrades (R14, R20–R25).

Lock order, everywhere: subscription, then billing period, then contacts (in id order). Keeping to it
is what lets the renewal, bulk switches and tier checks run at the same time without deadlocks.
"""

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing.models import BillingPeriod, Subscription, TierNotice, TierUpgrade
from billing.policy import BillingCycle, HubTier, TierCheck, check_tier, next_contract_renewal, upgraded_limit
from billing.policy import next_update_date as policy_next_update_date
from billing.selectors import marketing_count, subscription_enabled_get, update_moment
from crm.actors import MARKETING_ACCESS_PERMISSION, Actor, MarketingStatusPermissionDenied
from crm.tasks import task_send_on_commit

logger = logging.getLogger(__name__)

TIER_NOTICE_SEND_TASK = "billing.tasks.tier_notice_send"

SETUP_REFUSED = "You need the Marketing contact access permission to set up or change the subscription."


class SubscriptionExists(ValueError):
    """The installation already has a subscription; change it with `subscription_change`. Nothing changed."""


class SubscriptionInvalid(ValueError):
    """The subscription's values are not valid; `errors` maps a field name to a message. Nothing changed."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


def _tier_values(hub_tier: HubTier, contact_tier_limit: int | None, tier_block_size: int | None) -> tuple[int, int]:
    """R25: the limit and block size given, or the configured ones of the hub tier."""
    limit = settings.CRM_TIER_INCLUDED_CONTACTS[hub_tier] if contact_tier_limit is None else contact_tier_limit
    block = settings.CRM_TIER_BLOCK_SIZE[hub_tier] if tier_block_size is None else tier_block_size
    errors = {}
    if limit < 1:
        errors["contact_tier_limit"] = "The contact tier limit must be at least 1."
    if block < 1:
        errors["tier_block_size"] = "The block size must be at least 1."
    if errors:
        raise SubscriptionInvalid(errors)
    return limit, block


def subscription_create(
    *,
    hub_tier: HubTier,
    billing_cycle: BillingCycle,
    contract_start: date,
    renewal_date: date,
    contact_tier_limit: int | None = None,
    tier_block_size: int | None = None,
    tier_guard_enabled: bool = False,
    billing_contacts: Iterable = (),
    now: datetime | None = None,
) -> Subscription:
    """Set up the account's subscription; limits default to the configured tier sizes (R25).

    A renewal date that is not after the contract start is the day the contract renews each year:
    the first renewal is then a year on.
    """
    limit, block = _tier_values(hub_tier, contact_tier_limit, tier_block_size)
    if renewal_date <= contract_start:
        renewal_date = next_contract_renewal(renewal_date=renewal_date, after=contract_start)
    with transaction.atomic():
        if Subscription.objects.select_for_update().exists():
            raise SubscriptionExists("This installation already has a subscription.")
        subscription = Subscription.objects.create(
            hub_tier=hub_tier,
            billing_cycle=billing_cycle,
            contract_start=contract_start,
            renewal_date=renewal_date,
            contact_tier_limit=limit,
            contract_tier_limit=limit,
            tier_block_size=block,
            tier_guard_enabled=tier_guard_enabled,
        )
        if now is not None:  # `created_at` is auto_now_add, which an explicit value cannot override
            Subscription.objects.filter(pk=subscription.pk).update(created_at=now)
            subscription.created_at = now
        subscription.billing_contacts.set(billing_contacts)
    return subscription


def subscription_change(
    *,
    actor: Actor,
    hub_tier: HubTier | None = None,
    billing_cycle: BillingCycle | None = None,
    contract_start: date | None = None,
    renewal_date: date | None = None,
    contact_tier_limit: int | None = None,
    tier_block_size: int | None = None,
    billing_contacts: Iterable | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Change the subscription: what is given changes, the rest stays. Returns the names of what changed.

    A new hub tier brings its configured limit and block size unless they are given (R25). A higher
    contract limit raises the tier now, recorded like an upgrade (`TIER_CHANGE`, R24); a lower one
    takes effect at the contract renewal, since a tier is not reduced before it. A change of billing
    cycle or renewal date applies from the next billing period (the open one keeps its update date).
    Needs the Marketing contact access permission (R30).
    """
    actor.ensure_permission(MARKETING_ACCESS_PERMISSION, SETUP_REFUSED)
    now = now or timezone.now()
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().order_by("pk").first()
        if subscription is None:
            raise SubscriptionInvalid({"": "Set up a subscription first."})
        new_tier = HubTier(hub_tier or subscription.hub_tier)
        tier_changed = new_tier != subscription.hub_tier
        limit, block = _tier_values(
            new_tier,
            _given_or_kept(contact_tier_limit, None if tier_changed else subscription.contract_tier_limit),
            _given_or_kept(tier_block_size, None if tier_changed else subscription.tier_block_size),
        )
        wanted = {
            "hub_tier": new_tier.value,
            "billing_cycle": BillingCycle(billing_cycle or subscription.billing_cycle).value,
            "contract_start": contract_start or subscription.contract_start,
            "renewal_date": renewal_date or subscription.renewal_date,
            "contract_tier_limit": limit,
            "tier_block_size": block,
        }
        changed = [name for name, value in wanted.items() if getattr(subscription, name) != value]
        if limit > subscription.contact_tier_limit:
            _tier_change_record(
                subscription, new_limit=limit, cause_type=TierUpgrade.TIER_CHANGE, cause_id=actor.id, now=now
            )
            wanted["contact_tier_limit"] = limit
        for name, value in wanted.items():
            setattr(subscription, name, value)
        if changed:
            subscription.save(update_fields=list(wanted))
        if billing_contacts is not None:
            contacts = list(billing_contacts)
            if {user.pk for user in contacts} != set(subscription.billing_contacts.values_list("pk", flat=True)):
                subscription.billing_contacts.set(contacts)
                changed.append("billing_contacts")
    if changed:
        logger.info("subscription changed by %s: %s", actor.id, ", ".join(changed))
    return changed


def _given_or_kept(given: int | None, kept: int | None) -> int | None:
    return kept if given is None else given


def _tier_change_record(
    subscription: Subscription, *, new_limit: int, cause_type: str, cause_id: str, now: datetime
) -> None:
    TierUpgrade.objects.create(
        subscription=subscription,
        happened_at=now,
        old_limit=subscription.contact_tier_limit,
        new_limit=new_limit,
        marketing_count=marketing_count(),
        cause_type=cause_type,
        cause_id=cause_id,
    )


def billing_period_open(*, subscription: Subscription, starts_at: datetime, count: int) -> BillingPeriod:
    """Open the period that starts at `starts_at` and ends at the next update date after it (R20)."""
    update_date = policy_next_update_date(
        cycle=BillingCycle(subscription.billing_cycle),
        renewal_date=subscription.renewal_date,
        today=timezone.localdate(starts_at),
    )
    return BillingPeriod.objects.create(
        subscription=subscription,
        starts_at=starts_at,
        update_date=update_date,
        update_at=update_moment(update_date),
        count_at_open=count,
        peak_count=count,
    )


def subscription_check_tier(*, cause_type: str, cause_id: str = "", now: datetime | None = None) -> TierCheck | None:
    """R24: after an increase of the marketing count, grow the tier if the count exceeds it.

    Records the upgrade with its cause, raises the open period's peak count, and tells billing
    contacts (once per limit and threshold) when the count reaches 90% and when it exceeds 100%.
    The emails go out after commit.
    """
    now = now or timezone.now()
    with transaction.atomic():
        subscription = subscription_enabled_get(lock=True)
        if subscription is None:
            return None
        count = marketing_count()
        subscription.periods.filter(closed_at__isnull=True, peak_count__lt=count).update(peak_count=count)
        old_limit = subscription.contact_tier_limit
        check = check_tier(limit=old_limit, block_size=subscription.tier_block_size, count=count)
        if check.upgrades:
            TierUpgrade.objects.create(
                subscription=subscription,
                happened_at=now,
                old_limit=old_limit,
                new_limit=check.new_limit,
                marketing_count=count,
                cause_type=cause_type,
                cause_id=cause_id,
            )
            Subscription.objects.filter(pk=subscription.pk).update(contact_tier_limit=check.new_limit)
            logger.info("contact tier upgraded from %s to %s at %s contacts", old_limit, check.new_limit, count)
        for threshold in check.alerts:
            _tier_notice_create(subscription=subscription, limit=old_limit, threshold=threshold, count=count, now=now)
    return check


def _tier_notice_create(*, subscription: Subscription, limit: int, threshold: int, count: int, now: datetime) -> None:
    notice, created = TierNotice.objects.get_or_create(
        subscription=subscription,
        limit=limit,
        threshold=threshold,
        defaults={"marketing_count": count, "created_at": now},
    )
    if created:
        task_send_on_commit(TIER_NOTICE_SEND_TASK, notice.pk)


def tier_notice_mark_sent(*, notice_id: int) -> bool:
    """Mark a notice sent; False when another run already had."""
    return bool(TierNotice.objects.filter(pk=notice_id, sent_at__isnull=True).update(sent_at=timezone.now()))


# --- Billing periods at their update date (R14, R20) -------------------------------------------------
# The renewal itself (flipping pending contacts) is `marketing_status.renewal`: billing writes no contact
# status. These are the period's writes it calls, each taking the locks in the documented order.


def billing_period_renewal_begin(*, period: BillingPeriod, now: datetime | None = None) -> None:
    """Record when the renewal of a period began and the count billed for it, once."""
    BillingPeriod.objects.filter(pk=period.pk, renewal_started_at__isnull=True).update(
        renewal_started_at=now or timezone.now(), count_at_close=marketing_count()
    )


def billing_period_lock_open(*, period: BillingPeriod) -> bool:
    """Lock the period's row, inside the caller's transaction, if it is still open; False when it is closed.

    The renewal holds it while it flips a chunk of contacts (the period, then its contacts)."""
    return BillingPeriod.objects.select_for_update().filter(pk=period.pk, closed_at__isnull=True).exists()


def billing_period_count_flipped(*, period: BillingPeriod, flipped: int) -> None:
    """Add `flipped` contacts to the period's count of contacts switched to non-marketing at its update date."""
    BillingPeriod.objects.filter(pk=period.pk).update(flipped_count=F("flipped_count") + flipped)


def billing_period_close(
    *, period: BillingPeriod, flip_due: Callable[[BillingPeriod], int], now: datetime | None = None
) -> tuple[BillingPeriod, BillingPeriod] | None:
    """R14, R20, R24: close a period whose update date has come and open the next; None if it was closed.

    Takes the subscription's lock, then the period's, then calls `flip_due(period)`, which flips what is
    still due of the period's pending contacts (those a concurrent bulk change held locked) and returns
    how many it flipped; then records the counts, renews the contract at its renewal date and opens the
    following period, all in one transaction. Returns the closed period and the one opened.
    """
    with transaction.atomic():
        # The subscription first, as subscription_check_tier does: locking the period first (the join
        # below locks both rows) deadlocks with a tier check holding the subscription.
        Subscription.objects.select_for_update().filter(pk=period.subscription_id).first()
        period = BillingPeriod.objects.select_for_update().select_related("subscription").get(pk=period.pk)
        if period.closed_at is not None:
            return None
        period.flipped_count += flip_due(period)
        period.closed_at = now or timezone.now()
        if period.count_at_close is None:
            period.count_at_close = marketing_count()
        period.peak_count = max(period.peak_count, period.count_at_close)
        period.save(update_fields=["flipped_count", "closed_at", "count_at_close", "peak_count"])
        if period.update_date >= period.subscription.renewal_date:
            _contract_renew(period.subscription, update_date=period.update_date, now=period.update_at)
        following = billing_period_open(
            subscription=period.subscription, starts_at=period.update_at, count=marketing_count()
        )
    logger.info("billing period %s closed: %s contacts flipped", period.pk, period.flipped_count)
    return period, following


def _contract_renew(subscription: Subscription, *, update_date: date, now: datetime) -> None:
    """R24: at the contract renewal the tier is reset to the contract's limit, grown by blocks if the
    count (after this update date's switches to non-marketing) needs it; the renewal date moves on a year."""
    new_limit = upgraded_limit(
        limit=subscription.contract_tier_limit, block_size=subscription.tier_block_size, count=marketing_count()
    )
    if new_limit != subscription.contact_tier_limit:
        _tier_change_record(
            subscription, new_limit=new_limit, cause_type=TierUpgrade.CONTRACT_RENEWAL, cause_id="", now=now
        )
        logger.info(
            "contact tier reset from %s to %s at the contract renewal", subscription.contact_tier_limit, new_limit
        )
    subscription.contact_tier_limit = new_limit
    subscription.renewal_date = next_contract_renewal(renewal_date=subscription.renewal_date, after=update_date)
    subscription.save(update_fields=["contact_tier_limit", "renewal_date"])


# --- Tier guard (B4) -------------------------------------------------------------------------------


def tier_guard_may_change(*, user) -> bool:
    """B4, R30: who may switch the tier guard: active users with the Marketing contact access permission
    (being staff is not enough: the guard decides whether the bill can grow unasked)."""
    return bool(user and user.is_active and user.has_perm(MARKETING_ACCESS_PERMISSION))


def subscription_set_tier_guard(*, enabled: bool, actor: Actor) -> bool:
    """B4: turn the tier guard on or off; while on, a change that would cross the contact tier needs confirming.

    Only a permitted user may (`tier_guard_may_change`); a refusal raises
    `MarketingStatusPermissionDenied` and changes nothing. Returns whether the setting changed
    (setting it to what it already is writes nothing).
    """
    if not tier_guard_may_change(user=actor.user):
        raise MarketingStatusPermissionDenied(
            "You need the Marketing contact access permission to change the tier guard."
        )
    return bool(Subscription.objects.exclude(tier_guard_enabled=enabled).update(tier_guard_enabled=enabled))
