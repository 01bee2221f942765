"""Changes of marketing status: enabling marketing contacts (R1) and switching contacts (R10–R13, R30, B4).

Each switch is applied set-based: the contacts are walked in chunks of ids, and each chunk is one
transaction with one guarded statement (`marketing_status.transitions`). The policy decides which
statuses a switch changes and into what; the database guard makes a repeat a no-op.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils import timezone

from billing.models import Subscription
from billing.policy import BillingCycle, HubTier
from billing.selectors import (
    MarketingContactsNotEnabled,
    marketing_count,
    subscription_get,
    subscription_require_enabled,
)
from billing.services import SETUP_REFUSED, billing_period_open, subscription_check_tier, subscription_create
from contacts.models import Contact
from contacts.selection import ContactSelection, id_chunks
from marketing_status.actors import MARKETING_ACCESS_PERMISSION, Actor, reason_type_of
from marketing_status.models import CreationToolSetting, CreationToolSettingChange
from marketing_status.policy import (
    CONFIGURABLE_TOOL_DEFAULTS,
    NON_MARKETING,
    UNSET,
    CreationTool,
    ReasonType,
    Status,
    TierGuard,
    decide_tier_guard,
    sources_of_switch,
    tier_guard_asks,
)
from marketing_status.selectors import BillingImpact, billing_impact_get, creation_tool_setting_get
from marketing_status.transitions import Transition, apply_transition

# Raised by `billing.selectors.subscription_require_enabled`; re-exported for the status services' callers.
__all__ = ["MarketingContactsNotEnabled", "TierGuardRefused"]


class TierGuardRefused(Exception):
    """B4: the change would cross the contact tier and was not confirmed. Nothing was changed."""

    def __init__(self, impact: BillingImpact):
        self.impact = impact
        super().__init__(
            f"Setting {impact.becoming_marketing:,} contacts as marketing takes the count from "
            f"{impact.count_now:,} to {impact.count_after:,}, above your tier of {impact.tier_limit:,}. "
            "Confirm the tier upgrade to go ahead."
        )


def tier_guard_apply(
    *, subscription: Subscription | None, confirmed: bool, attended: bool, impact: Callable[[], BillingImpact]
) -> TierGuard:
    """B4 for a change that may make contacts marketing: `decide_tier_guard`, applied.

    `impact` measures the change's billing impact; it runs only when the guard may stop the change.
    A refusal raises `TierGuardRefused` (nothing has changed yet); PROCEED or HOLD is returned, and a
    HOLD keeps the contacts non-marketing. Call it holding the subscription's lock when the change
    follows in the same transaction, so no concurrent change can cross the tier meanwhile.
    """
    guard_enabled = bool(subscription and subscription.tier_guard_enabled)
    if not tier_guard_asks(guard_enabled=guard_enabled, confirmed=confirmed):
        return TierGuard.PROCEED
    measured = impact()
    decision = decide_tier_guard(
        guard_enabled=guard_enabled, confirmed=confirmed, crosses_tier=measured.crosses_tier, attended=attended
    )
    if decision is TierGuard.REFUSE:
        raise TierGuardRefused(measured)
    return decision


@dataclass(frozen=True)
class SwitchLocks:
    """What `switch_locks_take` locked: the subscription (None before one is set up) and each contact's
    current status (None for a deleted or archived contact)."""

    subscription: Subscription | None
    statuses: dict[int, Status | None]


def switch_locks_take(*, contact_ids: Sequence[int]) -> SwitchLocks:
    """The lock order of a switch decided from contacts' current statuses, inside the caller's transaction.

    The subscription first, then the contacts in id order (`FOR NO KEY UPDATE`, the lock a change of the
    contact takes: rows referring to it can still be inserted), so what the caller decides from them still
    holds when the switch writes, and tier checks, captures and the renewal cannot deadlock with it.
    """
    subscription = subscription_get(lock=True)
    table = Contact._meta.db_table
    rows = (
        Contact.objects.filter(RawSQL(f'"{table}"."id" = ANY(%s::bigint[])', [sorted(contact_ids)], BooleanField()))
        .order_by("pk")
        .select_for_update(no_key=True)
        .values_list("pk", "archived_at", "marketable_status", "marketable_until_renewal")
    )
    found = {pk: Status(marketing, pending) for pk, archived_at, marketing, pending in rows if archived_at is None}
    return SwitchLocks(subscription, {pk: found.get(pk) for pk in contact_ids})


@dataclass
class SwitchResult:
    considered: int = 0
    changed: int = 0
    held: bool = False  # B4: unattended, the switch would have crossed the tier, so nothing changed

    @property
    def unchanged(self) -> int:
        return self.considered - self.changed


def _switch(
    *,
    contacts: ContactSelection,
    to_marketing: bool,
    actor: Actor,
    confirm_tier_upgrade: bool,
    chunk_size: int | None,
    on_chunk: Callable[[SwitchResult], None] | None,
    attended: bool = True,
    now: datetime | None = None,
) -> SwitchResult:
    """The lock order is taken here, not by callers: a switch to marketing locks the subscription before
    its guard check and again before each chunk's contacts, so it serialises with tier checks, captures
    and the renewal's close; inside a caller's transaction the first lock is held to its end."""
    actor.ensure_may_change_status()
    with transaction.atomic():
        subscription = subscription_require_enabled(lock=to_marketing)
        guard = TierGuard.PROCEED
        if to_marketing:
            guard = tier_guard_apply(
                subscription=subscription,
                confirmed=confirm_tier_upgrade,
                attended=attended,
                impact=lambda: billing_impact_get(contacts=contacts, to_marketing=True),
            )
    if guard is TierGuard.HOLD:
        return SwitchResult(held=True)
    sources, target = sources_of_switch(to_marketing=to_marketing)
    transition = Transition(sources=sources, target=target, reason_type=reason_type_of(actor), reason_id=actor.id)
    result = SwitchResult()
    for ids in id_chunks(contacts, chunk_size or settings.CRM_BULK_CHUNK_SIZE):
        with transaction.atomic():
            if to_marketing:
                subscription_require_enabled(lock=True)
            result.changed += apply_transition(ids=ids, transition=transition, actor=actor, now=now or timezone.now())
        result.considered += len(ids)
        if on_chunk is not None:
            on_chunk(result)
    if to_marketing and result.changed:
        subscription_check_tier(cause_type=reason_type_of(actor), cause_id=actor.id, now=now)
    return result


def contacts_set_marketing(
    *,
    contacts: ContactSelection,
    actor: Actor,
    confirm_tier_upgrade: bool = False,
    attended: bool = True,
    chunk_size: int | None = None,
    on_chunk: Callable[[SwitchResult], None] | None = None,
    now: datetime | None = None,
) -> SwitchResult:
    """R10, R12, R13: non-marketing contacts become marketing at once; pending ones stay marketing.

    Counts toward the bill at once, so the tier is checked afterwards (R24). With the tier guard on
    (B4), a change that would cross the tier is refused unless `confirm_tier_upgrade`; an unattended
    caller (`attended=False`: a form's upgrade of an existing contact) is held instead, changing
    nothing and answering `held`.
    """
    return _switch(
        contacts=contacts,
        to_marketing=True,
        actor=actor,
        confirm_tier_upgrade=confirm_tier_upgrade,
        chunk_size=chunk_size,
        on_chunk=on_chunk,
        attended=attended,
        now=now,
    )


def contacts_set_non_marketing(
    *,
    contacts: ContactSelection,
    actor: Actor,
    chunk_size: int | None = None,
    on_chunk: Callable[[SwitchResult], None] | None = None,
    now: datetime | None = None,
) -> SwitchResult:
    """R11, R13: marketing contacts become pending; they turn non-marketing at the next update date (R14)."""
    return _switch(
        contacts=contacts,
        to_marketing=False,
        actor=actor,
        confirm_tier_upgrade=True,
        chunk_size=chunk_size,
        on_chunk=on_chunk,
        now=now,
    )


def marketing_contacts_enable(*, actor: Actor, chunk_size: int | None = None, now: datetime | None = None) -> int:
    """R1: enable marketing contacts; every existing contact becomes non-marketing (`INITIAL_STATE`).

    Opens the first billing period. Resumable: calling it again finishes contacts left without a
    status by an interrupted run. Returns the number of contacts it set.
    """
    actor.ensure_may_change_status()
    enabled_at = now or timezone.now()
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().order_by("pk").first()
        if subscription is None:
            raise MarketingContactsNotEnabled("Set up a subscription before enabling marketing contacts.")
        if not subscription.marketing_contacts_enabled:
            subscription.marketing_contacts_enabled_at = enabled_at
            subscription.save(update_fields=["marketing_contacts_enabled_at"])
            billing_period_open(subscription=subscription, starts_at=enabled_at, count=marketing_count())
    transition = Transition(
        sources=(UNSET,),
        target=NON_MARKETING,
        reason_type=ReasonType.INITIAL_STATE,
        reason_id="",
        include_archived=True,
    )
    changed = 0
    for ids in id_chunks(
        Contact.objects.filter(marketable_status__isnull=True), chunk_size or settings.CRM_BULK_CHUNK_SIZE
    ):
        with transaction.atomic():
            changed += apply_transition(ids=ids, transition=transition, actor=actor, now=now or timezone.now())
    return changed


def account_setup(
    *,
    actor: Actor,
    hub_tier: HubTier,
    billing_cycle: BillingCycle,
    contract_start: date,
    renewal_date: date,
    contact_tier_limit: int | None = None,
    tier_block_size: int | None = None,
    billing_contacts: Iterable = (),
    enable_marketing_contacts: bool = False,
) -> Subscription:
    """A fresh installation becomes a working account: its subscription (limits default to the hub
    tier's, R25) and, when asked, marketing contacts enabled (R1: every existing contact becomes
    non-marketing). Needs the Marketing contact access permission (R30); refuses a second subscription.
    """
    actor.ensure_permission(MARKETING_ACCESS_PERMISSION, SETUP_REFUSED)
    subscription = subscription_create(
        hub_tier=hub_tier,
        billing_cycle=billing_cycle,
        contract_start=contract_start,
        renewal_date=renewal_date,
        contact_tier_limit=contact_tier_limit,
        tier_block_size=tier_block_size,
        billing_contacts=billing_contacts,
    )
    if enable_marketing_contacts:
        marketing_contacts_enable(actor=actor)
        subscription.refresh_from_db()
    return subscription


def creation_tool_setting_set(
    *, tool: CreationTool, source_id: str = "", marketing_on_create: bool, actor: Actor, now: datetime | None = None
):
    """R5–R8: store a tool's "create contacts as marketing" setting and record who changed it."""
    actor.ensure_may_change_status()
    if tool == CreationTool.NON_HUBSPOT_FORM:
        source_id = ""  # R6: one account-wide setting
    with transaction.atomic():
        old_value = creation_tool_setting_get(tool=tool, source_id=source_id)
        if old_value == marketing_on_create:
            return
        setting, _ = CreationToolSetting.objects.update_or_create(
            tool=tool,
            source_id=source_id,
            defaults={"marketing_on_create": marketing_on_create, "updated_by": actor.user},
        )
        _setting_dated(setting, now)
        CreationToolSettingChange.objects.create(
            tool=tool,
            source_id=source_id,
            old_value=old_value,
            new_value=marketing_on_create,
            changed_at=now or timezone.now(),
            changed_by=actor.user,
        )


def _setting_dated(setting: CreationToolSetting, now: datetime | None) -> None:
    """Date a setting just written at `now`, when given: `updated_at` is auto_now, which a save overrides."""
    if now is not None:
        CreationToolSetting.objects.filter(pk=setting.pk).update(updated_at=now)


def creation_tool_setting_start_off(
    *, tool: CreationTool, source_id: str, actor: Actor, now: datetime | None = None
) -> bool:
    """R5–R8, R30: store a *new* form's, chatflow's or integration's setting as off, with its history row.

    For a tool built by someone without Marketing contact access: off can only make the tool create
    non-marketing contacts, so it needs no permission. A tool whose default is off, or whose setting is
    already stored, is left as it is (changing a stored setting is `creation_tool_setting_set`'s, which
    checks R30). Returns whether it stored the setting.
    """
    if tool == CreationTool.NON_HUBSPOT_FORM:
        raise ValueError("The non-HubSpot forms setting is account-wide: it is never a new tool's.")
    if not CONFIGURABLE_TOOL_DEFAULTS[tool]:
        return False
    with transaction.atomic():
        setting, created = CreationToolSetting.objects.get_or_create(
            tool=tool, source_id=source_id, defaults={"marketing_on_create": False, "updated_by": actor.user}
        )
        if created:
            _setting_dated(setting, now)
            CreationToolSettingChange.objects.create(
                tool=tool,
                source_id=source_id,
                old_value=True,
                new_value=False,
                changed_at=now or timezone.now(),
                changed_by=actor.user,
            )
    return created
