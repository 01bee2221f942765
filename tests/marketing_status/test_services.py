"""Services that change marketing status: enabling (R1), switching (R10–R13), permissions (R30),
billing impact (B2), the tier guard (B4) and creation tool settings (R5–R8)."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from billing.models import BillingPeriod, Subscription, TierUpgrade
from billing.policy import BillingCycle, HubTier
from billing.selectors import marketing_count, pending_count
from billing.services import subscription_create
from contacts.models import Contact
from contacts.services import contacts_archive
from marketing_status.actors import Actor, ActorKind, MarketingStatusPermissionDenied
from marketing_status.creation import contacts_create
from marketing_status.models import CreationToolSetting, CreationToolSettingChange
from marketing_status.policy import MARKETING, NON_MARKETING, PENDING, CreationTool, TierGuard
from marketing_status.selectors import BillingImpact, billing_impact_get, creation_tool_setting_get
from marketing_status.services import (
    MarketingContactsNotEnabled,
    TierGuardRefused,
    contacts_set_marketing,
    contacts_set_non_marketing,
    creation_tool_setting_set,
    marketing_contacts_enable,
    switch_locks_take,
    tier_guard_apply,
)
from tests.conftest import FROZEN_START
from tests.factories import UserFactory, contacts_make

pytestmark = pytest.mark.django_db

LATER = FROZEN_START + dt.timedelta(hours=1)
WORKFLOW = Actor(ActorKind.WORKFLOW, "wf-7")
FORM = Actor(ActorKind.FORM, "form-3")


def _status(contact: Contact) -> tuple:
    contact.refresh_from_db()
    return (
        contact.marketable_status,
        contact.marketable_until_renewal,
        contact.marketable_reason_type,
        contact.marketable_reason_id,
    )


def _row(old, new, reason_type, reason_id, actor: Actor, changed_at=LATER) -> dict:
    """A history row: `old`/`new` are (status, until_renewal) pairs."""
    return {
        "changed_at": changed_at,
        "old_status": old[0],
        "new_status": new[0],
        "old_until_renewal": old[1],
        "new_until_renewal": new[1],
        "reason_type": reason_type,
        "reason_id": reason_id,
        "actor_type": actor.kind.value,
        "actor_id": actor.id,
        "actor_user": actor.user_id,
    }


def _unenabled_subscription(**overrides) -> Subscription:
    return subscription_create(
        hub_tier=HubTier.STARTER,
        billing_cycle=BillingCycle.MONTHLY,
        contract_start=dt.date(2026, 1, 15),
        renewal_date=dt.date(2027, 1, 15),
        **overrides,
    )


def _guarded_subscription(system_actor, *, limit: int, tier_guard: bool) -> Subscription:
    subscription = _unenabled_subscription(contact_tier_limit=limit, tier_block_size=2, tier_guard_enabled=tier_guard)
    marketing_contacts_enable(actor=system_actor)
    return subscription


# --- R1: enabling marketing contacts ----------------------------------------------------------------


def test_r1_contacts_created_before_enabling_have_no_status(frozen_clock, marketer_actor, history_of):
    _unenabled_subscription()
    contacts = contacts_make(count=2, actor=marketer_actor, marketing=True)

    assert [_status(contact) for contact in contacts] == [(None, False, "", "")] * 2
    assert [contact.marketable_status_changed_at for contact in contacts] == [None, None]
    assert [history_of(contact) for contact in contacts] == [[], []]
    assert marketing_count() == 0


def test_r1_enabling_sets_every_contact_non_marketing_with_one_history_row_each(
    frozen_clock, marketer_actor, system_actor, history_of
):
    subscription = _unenabled_subscription()
    contacts = contacts_make(count=5, actor=marketer_actor)
    contacts_archive(contacts=[contacts[4].pk], actor=marketer_actor)
    frozen_clock.move_to(LATER)

    changed = marketing_contacts_enable(actor=system_actor, chunk_size=2)

    assert changed == 5
    assert [_status(contact) for contact in contacts] == [(False, False, "INITIAL_STATE", "")] * 5
    assert [contact.marketable_status_changed_at for contact in contacts] == [LATER] * 5
    assert Contact.objects.get(pk=contacts[4].pk).archived_at == FROZEN_START  # archived too, still archived
    for contact in contacts:
        assert history_of(contact) == [_row((None, False), (False, False), "INITIAL_STATE", "", system_actor)]
    subscription.refresh_from_db()
    assert subscription.marketing_contacts_enabled_at == LATER
    period = BillingPeriod.objects.get()
    assert (period.starts_at, period.update_date, period.update_at) == (
        LATER,
        dt.date(2026, 3, 15),
        timezone.make_aware(dt.datetime(2026, 3, 15)),
    )
    assert (period.count_at_open, period.peak_count, period.count_at_close, period.closed_at) == (0, 0, None, None)


def test_r1_enabling_again_changes_nothing(frozen_clock, marketer_actor, system_actor, db_state):
    _unenabled_subscription()
    contacts_make(count=3, actor=marketer_actor)
    marketing_contacts_enable(actor=system_actor)
    before = db_state()
    frozen_clock.move_to(LATER)

    assert marketing_contacts_enable(actor=system_actor) == 0
    assert db_state() == before
    assert BillingPeriod.objects.count() == 1


def test_r1_enabling_by_a_permitted_user_records_the_user(frozen_clock, marketer, marketer_actor, history_of):
    _unenabled_subscription()
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    frozen_clock.move_to(LATER)

    assert marketing_contacts_enable(actor=marketer_actor) == 1
    assert history_of(contact) == [_row((None, False), (False, False), "INITIAL_STATE", "", marketer_actor)]
    assert history_of(contact)[0]["actor_user"] == marketer.pk


def test_r1_enabling_without_a_subscription_is_refused(marketer_actor, system_actor, db_state):
    contacts_make(count=2, actor=marketer_actor)
    before = db_state()

    with pytest.raises(MarketingContactsNotEnabled, match="Set up a subscription"):
        marketing_contacts_enable(actor=system_actor)
    assert db_state() == before


@pytest.mark.parametrize("to_marketing", [True, False])
def test_r1_switching_before_enabling_is_refused(marketer_actor, db_state, to_marketing):
    _unenabled_subscription()
    contacts = contacts_make(count=2, actor=marketer_actor)
    before = db_state()
    switch = contacts_set_marketing if to_marketing else contacts_set_non_marketing

    with pytest.raises(MarketingContactsNotEnabled, match="not enabled"):
        switch(contacts=[contact.pk for contact in contacts], actor=marketer_actor)
    assert db_state() == before


def test_r1_switching_without_a_subscription_is_refused(marketer_actor, db_state):
    contacts = contacts_make(count=1, actor=marketer_actor)
    before = db_state()

    with pytest.raises(MarketingContactsNotEnabled):
        contacts_set_marketing(contacts=[contacts[0].pk], actor=marketer_actor)
    assert db_state() == before


# --- R10–R13: switching -----------------------------------------------------------------------------


def test_r10_set_marketing_makes_non_marketing_contact_marketing_at_once(
    frozen_subscription, frozen_clock, marketer, marketer_actor, history_of
):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    frozen_clock.move_to(LATER)

    result = contacts_set_marketing(contacts=[contact.pk], actor=marketer_actor)

    assert (result.considered, result.changed, result.unchanged) == (1, 1, 0)
    contact.refresh_from_db()
    assert contact.hs_marketable_properties() == {
        "hs_marketable_status": "true",
        "hs_marketable_until_renewal": "false",
        "hs_marketable_reason_type": "USER_SET",
        "hs_marketable_reason_id": str(marketer.pk),
    }
    assert contact.marketable_status_changed_at == LATER
    assert marketing_count() == 1
    assert history_of(contact)[1:] == [
        _row((False, False), (True, False), "USER_SET", str(marketer.pk), marketer_actor)
    ]
    assert history_of(contact)[1]["actor_user"] == marketer.pk


@pytest.mark.parametrize(
    ("actor", "reason_type"),
    [
        (WORKFLOW, "WORKFLOW"),
        (FORM, "FORM_SUBMISSION"),  # R5: a form submission upgrades an existing non-marketing contact
        (Actor(ActorKind.CHATFLOW, "chat-2"), "CONVERSATION"),
        (Actor.for_integration("app-9", scopes={"marketing-contacts.write"}), "INTEGRATOR_SET"),
    ],
)
def test_r10_set_marketing_by_workflow_form_chatflow_or_api_records_its_source(
    frozen_subscription, frozen_clock, marketer_actor, history_of, actor, reason_type
):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    frozen_clock.move_to(LATER)

    assert contacts_set_marketing(contacts=[contact.pk], actor=actor).changed == 1
    assert _status(contact) == (True, False, reason_type, actor.id)
    assert history_of(contact)[1:] == [_row((False, False), (True, False), reason_type, actor.id, actor)]
    assert marketing_count() == 1


def test_r11_set_non_marketing_makes_marketing_contact_pending(
    frozen_subscription, frozen_clock, marketer_actor, history_of
):
    contacts = contacts_make(count=2, actor=marketer_actor, marketing=True)
    frozen_clock.move_to(LATER)

    result = contacts_set_non_marketing(contacts=[contacts[0].pk], actor=WORKFLOW)

    assert (result.considered, result.changed) == (1, 1)
    assert _status(contacts[0]) == (True, True, "WORKFLOW", "wf-7")
    assert contacts[0].hs_marketable_properties()["hs_marketable_status"] == "true"
    assert contacts[0].hs_marketable_properties()["hs_marketable_until_renewal"] == "true"
    assert _status(contacts[1])[:2] == (True, False)
    assert (marketing_count(), pending_count()) == (2, 1)  # R11, R21: it keeps counting
    assert history_of(contacts[0])[1:] == [_row((True, False), (True, True), "WORKFLOW", "wf-7", WORKFLOW)]


def test_r12_set_marketing_on_pending_contact_cancels_the_switch(
    frozen_subscription, frozen_clock, marketer, marketer_actor, history_of
):
    (contact,) = contacts_make(count=1, actor=marketer_actor, pending=True)
    frozen_clock.move_to(LATER)

    assert contacts_set_marketing(contacts=[contact.pk], actor=marketer_actor).changed == 1

    assert _status(contact) == (True, False, "USER_SET", str(marketer.pk))
    assert (marketing_count(), pending_count()) == (1, 0)
    assert history_of(contact)[2:] == [_row((True, True), (True, False), "USER_SET", str(marketer.pk), marketer_actor)]


@pytest.mark.parametrize(
    ("marketing", "pending", "to_marketing"),
    [(False, False, False), (True, False, True), (True, True, False)],
    ids=["non-marketing-to-non-marketing", "marketing-to-marketing", "pending-to-non-marketing"],
)
def test_r13_setting_the_status_a_contact_already_has_writes_no_history(
    frozen_subscription, marketer_actor, db_state, marketing, pending, to_marketing
):
    contacts = contacts_make(count=3, actor=marketer_actor, marketing=marketing, pending=pending)
    before = db_state()
    switch = contacts_set_marketing if to_marketing else contacts_set_non_marketing

    result = switch(contacts=[contact.pk for contact in contacts], actor=WORKFLOW)

    assert (result.considered, result.changed, result.unchanged) == (3, 0, 3)
    assert db_state() == before


@pytest.mark.parametrize("to_marketing", [True, False])
def test_r13_repeating_a_switch_changes_nothing_the_second_time(
    frozen_subscription, frozen_clock, marketer_actor, db_state, to_marketing
):
    contacts = contacts_make(count=4, actor=marketer_actor, marketing=not to_marketing)
    switch = contacts_set_marketing if to_marketing else contacts_set_non_marketing
    ids = [contact.pk for contact in contacts]
    assert switch(contacts=ids, actor=marketer_actor, chunk_size=3).changed == 4
    before = db_state()
    frozen_clock.move_to(LATER)

    assert switch(contacts=ids, actor=marketer_actor, chunk_size=3).changed == 0
    assert db_state() == before


def test_r10_r12_r13_mixed_selection_in_chunks_changes_each_contact_once(
    frozen_subscription, marketer_actor, history_of
):
    non_marketing = contacts_make(count=3, actor=marketer_actor)
    marketing = contacts_make(count=2, actor=marketer_actor, marketing=True)
    pending = contacts_make(count=2, actor=marketer_actor, pending=True)
    progress = []

    result = contacts_set_marketing(
        contacts=Contact.objects.all(),
        actor=WORKFLOW,
        chunk_size=3,
        on_chunk=lambda partial: progress.append((partial.considered, partial.changed)),
    )

    assert (result.considered, result.changed) == (7, 5)
    assert progress == [(3, 3), (6, 4), (7, 5)]
    assert Contact.objects.filter(marketable_status=True, marketable_until_renewal=False).count() == 7
    assert [len(history_of(contact)) for contact in non_marketing + marketing + pending] == [2, 2, 2, 1, 1, 3, 3]
    assert marketing_count() == 7


def test_r10_set_marketing_by_id_list_accepts_duplicates_and_unsorted_ids(frozen_subscription, marketer_actor):
    contacts = contacts_make(count=3, actor=marketer_actor)
    ids = [contacts[2].pk, contacts[0].pk, contacts[2].pk, str(contacts[1].pk)]

    result = contacts_set_marketing(contacts=ids, actor=WORKFLOW, chunk_size=2)

    assert (result.considered, result.changed) == (3, 3)
    assert marketing_count() == 3


def test_r22_archived_contacts_are_not_switched(frozen_subscription, marketer_actor, db_state):
    non_marketing = contacts_make(count=1, actor=marketer_actor)
    marketing = contacts_make(count=1, actor=marketer_actor, marketing=True)
    contacts_archive(contacts=[non_marketing[0].pk, marketing[0].pk], actor=marketer_actor)
    before = db_state()

    assert contacts_set_marketing(contacts=[non_marketing[0].pk], actor=WORKFLOW).changed == 0
    assert contacts_set_non_marketing(contacts=[marketing[0].pk], actor=WORKFLOW).changed == 0
    assert db_state() == before


# --- R30: permissions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("to_marketing", [True, False])
def test_r30_user_without_permission_cannot_switch_status(
    frozen_subscription, marketer_actor, sales_user, db_state, to_marketing
):
    contacts = contacts_make(count=2, actor=marketer_actor, marketing=not to_marketing)
    before = db_state()
    switch = contacts_set_marketing if to_marketing else contacts_set_non_marketing

    with pytest.raises(MarketingStatusPermissionDenied, match="Marketing contact access permission"):
        switch(contacts=[contact.pk for contact in contacts], actor=Actor.for_user(sales_user))
    assert db_state() == before


def test_r30_inactive_user_cannot_switch_status(frozen_subscription, marketer, marketer_actor, db_state):
    contacts = contacts_make(count=1, actor=marketer_actor)
    marketer.is_active = False
    marketer.save()
    before = db_state()

    with pytest.raises(MarketingStatusPermissionDenied):
        contacts_set_marketing(contacts=[contacts[0].pk], actor=Actor.for_user(marketer))
    assert db_state() == before


def test_r30_permission_granted_through_a_group_allows_switching(frozen_subscription, marketer_actor):
    contacts = contacts_make(count=1, actor=marketer_actor)
    group = Group.objects.create(name="Marketing")
    group.permissions.add(Permission.objects.get(codename="marketing_contact_access"))
    user = UserFactory()
    user.groups.add(group)

    assert contacts_set_marketing(contacts=[contacts[0].pk], actor=Actor.for_user(user)).changed == 1
    assert marketing_count() == 1


def test_r30_user_without_permission_cannot_enable_marketing_contacts(marketer_actor, sales_user, db_state):
    _unenabled_subscription()
    contacts_make(count=2, actor=marketer_actor)
    before = db_state()

    with pytest.raises(MarketingStatusPermissionDenied):
        marketing_contacts_enable(actor=Actor.for_user(sales_user))
    assert db_state() == before
    assert BillingPeriod.objects.count() == 0


@pytest.mark.parametrize("scopes", [set(), {"contacts.write"}, {"marketing-contacts.read"}])
@pytest.mark.parametrize("to_marketing", [True, False])
def test_r30_integration_without_write_scope_is_refused(
    frozen_subscription, marketer_actor, db_state, scopes, to_marketing
):
    contacts = contacts_make(count=2, actor=marketer_actor, marketing=not to_marketing)
    before = db_state()
    switch = contacts_set_marketing if to_marketing else contacts_set_non_marketing

    with pytest.raises(MarketingStatusPermissionDenied, match=r"marketing-contacts\.write scope"):
        switch(contacts=[contact.pk for contact in contacts], actor=Actor.for_integration(42, scopes=scopes))
    assert db_state() == before


@pytest.mark.parametrize("to_marketing", [True, False])
def test_r30_integration_with_write_scope_is_allowed(
    frozen_subscription, frozen_clock, marketer_actor, history_of, to_marketing
):
    (contact,) = contacts_make(count=1, actor=marketer_actor, marketing=not to_marketing)
    actor = Actor.for_integration(42, scopes={"marketing-contacts.write", "contacts.read"})
    frozen_clock.move_to(LATER)
    switch = contacts_set_marketing if to_marketing else contacts_set_non_marketing

    assert switch(contacts=[contact.pk], actor=actor).changed == 1

    new = (True, False) if to_marketing else (True, True)
    assert _status(contact) == (*new, "INTEGRATOR_SET", "42")
    assert history_of(contact)[1:] == [_row((not to_marketing, False), new, "INTEGRATOR_SET", "42", actor)]


@pytest.mark.parametrize("kind", [ActorKind.WORKFLOW, ActorKind.FORM, ActorKind.CHATFLOW, ActorKind.IMPORT])
def test_r30_workflows_forms_chatflows_and_imports_may_switch(frozen_subscription, marketer_actor, kind):
    contacts = contacts_make(count=2, actor=marketer_actor)
    actor = Actor(kind, "source-1")

    assert contacts_set_marketing(contacts=[contacts[0].pk], actor=actor).changed == 1
    assert contacts_set_non_marketing(contacts=[contacts[0].pk], actor=actor).changed == 1
    assert _status(contacts[0])[:2] == (True, True)


# --- B2: billing impact, shown before a bulk change -------------------------------------------------


def test_b2_billing_impact_of_set_marketing(frozen_subscription, marketer_actor):
    non_marketing = contacts_make(count=3, actor=marketer_actor)
    marketing = contacts_make(count=2, actor=marketer_actor, marketing=True)
    pending = contacts_make(count=1, actor=marketer_actor, pending=True)
    archived = contacts_make(count=1, actor=marketer_actor)
    contacts_archive(contacts=[archived[0].pk], actor=marketer_actor)
    ids = [contact.pk for contact in non_marketing + marketing + pending + archived]

    impact = billing_impact_get(contacts=ids, to_marketing=True)

    assert impact == BillingImpact(changing=4, becoming_marketing=3, count_now=3, count_after=6, tier_limit=1000)
    assert impact.crosses_tier is False
    assert billing_impact_get(contacts=Contact.objects.filter(pk__in=ids), to_marketing=True) == impact


def test_b2_billing_impact_of_set_non_marketing_keeps_the_count(frozen_subscription, marketer_actor):
    contacts_make(count=3, actor=marketer_actor)
    contacts_make(count=2, actor=marketer_actor, marketing=True)
    contacts_make(count=1, actor=marketer_actor, pending=True)

    impact = billing_impact_get(contacts=Contact.objects.all(), to_marketing=False)

    assert impact == BillingImpact(changing=2, becoming_marketing=0, count_now=3, count_after=3, tier_limit=1000)
    assert impact.crosses_tier is False


def test_b2_billing_impact_says_when_the_tier_is_crossed(system_actor, marketer_actor):
    _guarded_subscription(system_actor, limit=3, tier_guard=False)
    contacts_make(count=2, actor=marketer_actor, marketing=True)
    candidates = contacts_make(count=2, actor=marketer_actor)

    one = billing_impact_get(contacts=[candidates[0].pk], to_marketing=True)
    two = billing_impact_get(contacts=[contact.pk for contact in candidates], to_marketing=True)

    assert (one.count_after, one.tier_limit, one.crosses_tier) == (3, 3, False)  # at the limit is not over it
    assert (two.count_after, two.tier_limit, two.crosses_tier) == (4, 3, True)


# --- B4: the tier guard ---------------------------------------------------------------------------------


def test_b4_tier_guard_refuses_unconfirmed_change_that_crosses_the_tier(system_actor, marketer_actor, db_state):
    _guarded_subscription(system_actor, limit=3, tier_guard=True)
    contacts_make(count=2, actor=marketer_actor, marketing=True)
    candidates = contacts_make(count=2, actor=marketer_actor)
    before = db_state()

    with pytest.raises(TierGuardRefused) as refused:
        contacts_set_marketing(contacts=[contact.pk for contact in candidates], actor=marketer_actor)

    assert refused.value.impact == BillingImpact(
        changing=2, becoming_marketing=2, count_now=2, count_after=4, tier_limit=3
    )
    assert str(refused.value) == (
        "Setting 2 contacts as marketing takes the count from 2 to 4, above your tier of 3. "
        "Confirm the tier upgrade to go ahead."
    )
    assert db_state() == before


def test_b4_tier_guard_allows_confirmed_change_and_the_tier_grows(frozen_clock, system_actor, marketer, marketer_actor):
    subscription = _guarded_subscription(system_actor, limit=3, tier_guard=True)
    contacts_make(count=2, actor=marketer_actor, marketing=True)
    candidates = contacts_make(count=2, actor=marketer_actor)

    result = contacts_set_marketing(
        contacts=[contact.pk for contact in candidates], actor=marketer_actor, confirm_tier_upgrade=True
    )

    assert result.changed == 2
    assert marketing_count() == 4
    subscription.refresh_from_db()
    assert subscription.contact_tier_limit == 5
    assert list(
        TierUpgrade.objects.values_list("old_limit", "new_limit", "marketing_count", "cause_type", "cause_id")
    ) == [(3, 5, 4, "USER_SET", str(marketer.pk))]


def test_b4_tier_guard_lets_changes_up_to_the_limit_through(system_actor, marketer_actor):
    subscription = _guarded_subscription(system_actor, limit=3, tier_guard=True)
    contacts_make(count=2, actor=marketer_actor, marketing=True)
    candidates = contacts_make(count=1, actor=marketer_actor)

    assert contacts_set_marketing(contacts=[candidates[0].pk], actor=marketer_actor).changed == 1
    subscription.refresh_from_db()
    assert (marketing_count(), subscription.contact_tier_limit, TierUpgrade.objects.count()) == (3, 3, 0)


def test_b4_tier_guard_ignores_cancelling_pending_switches(system_actor, marketer_actor):
    _guarded_subscription(system_actor, limit=3, tier_guard=True)
    pending = contacts_make(count=3, actor=marketer_actor, pending=True)

    assert contacts_set_marketing(contacts=[contact.pk for contact in pending], actor=marketer_actor).changed == 3
    assert (marketing_count(), pending_count(), TierUpgrade.objects.count()) == (3, 0, 0)


def test_b4_without_the_guard_crossing_the_tier_upgrades_silently(system_actor, marketer_actor):
    subscription = _guarded_subscription(system_actor, limit=3, tier_guard=False)
    contacts_make(count=2, actor=marketer_actor, marketing=True)
    candidates = contacts_make(count=2, actor=marketer_actor)

    assert contacts_set_marketing(contacts=[contact.pk for contact in candidates], actor=WORKFLOW).changed == 2
    subscription.refresh_from_db()
    assert subscription.contact_tier_limit == 5
    assert list(TierUpgrade.objects.values_list("cause_type", "cause_id")) == [("WORKFLOW", "wf-7")]


def test_b4_an_unattended_switch_that_crosses_the_tier_is_held_and_changes_nothing(
    system_actor, marketer_actor, db_state
):
    _guarded_subscription(system_actor, limit=3, tier_guard=True)
    contacts_make(count=2, actor=marketer_actor, marketing=True)
    candidates = contacts_make(count=2, actor=marketer_actor)
    before = db_state()

    result = contacts_set_marketing(contacts=[contact.pk for contact in candidates], actor=FORM, attended=False)

    assert (result.held, result.changed, result.considered) == (True, 0, 0)
    assert db_state() == before


def test_b4_an_unattended_switch_within_the_tier_proceeds(system_actor, marketer_actor):
    _guarded_subscription(system_actor, limit=3, tier_guard=True)
    candidates = contacts_make(count=2, actor=marketer_actor)

    result = contacts_set_marketing(contacts=[contact.pk for contact in candidates], actor=FORM, attended=False)

    assert (result.held, result.changed) == (False, 2)


class _Impact:
    """A billing impact measured at most when asked, counting how often it was."""

    def __init__(self, crosses: bool):
        self.crosses, self.calls = crosses, 0

    def __call__(self) -> BillingImpact:
        self.calls += 1
        after = 4 if self.crosses else 3
        return BillingImpact(changing=1, becoming_marketing=1, count_now=after - 1, count_after=after, tier_limit=3)


@pytest.mark.parametrize(
    ("guard_enabled", "confirmed", "crosses", "attended", "expected", "measured"),
    [
        (False, False, True, True, TierGuard.PROCEED, 0),
        (True, True, True, True, TierGuard.PROCEED, 0),
        (True, False, False, True, TierGuard.PROCEED, 1),
        (True, False, True, False, TierGuard.HOLD, 1),
    ],
)
def test_b4_tier_guard_apply_measures_the_impact_only_when_the_guard_asks(
    guard_enabled, confirmed, crosses, attended, expected, measured
):
    subscription = Subscription(tier_guard_enabled=guard_enabled)
    impact = _Impact(crosses)

    decision = tier_guard_apply(subscription=subscription, confirmed=confirmed, attended=attended, impact=impact)

    assert (decision, impact.calls) == (expected, measured)


def test_b4_tier_guard_apply_refuses_an_attended_caller_with_the_impact():
    impact, guarded = _Impact(crosses=True), Subscription(tier_guard_enabled=True)

    with pytest.raises(TierGuardRefused) as refused:
        tier_guard_apply(subscription=guarded, confirmed=False, attended=True, impact=impact)

    assert refused.value.impact == impact()


def test_b4_without_a_subscription_the_guard_proceeds():
    impact = _Impact(crosses=True)

    assert tier_guard_apply(subscription=None, confirmed=False, attended=True, impact=impact) is TierGuard.PROCEED
    assert impact.calls == 0


# --- The lock order: subscription, billing period, contacts by id -----------------------------------------


def test_switch_locks_take_returns_the_subscription_and_each_contacts_status(
    subscription, marketer_actor, django_assert_num_queries
):
    marketing, pending, non_marketing, archived = (
        contacts_make(count=1, actor=marketer_actor, marketing=True)
        + contacts_make(count=1, actor=marketer_actor, pending=True)
        + contacts_make(count=2, actor=marketer_actor)
    )
    contacts_archive(contacts=[archived.pk], actor=marketer_actor)
    ids = [archived.pk, non_marketing.pk, pending.pk, marketing.pk, 999_999]

    with django_assert_num_queries(2):  # the subscription's lock, then the contacts' in one statement
        locks = switch_locks_take(contact_ids=ids)

    assert locks.subscription == subscription
    assert locks.statuses == {
        archived.pk: None,
        non_marketing.pk: NON_MARKETING,
        pending.pk: PENDING,
        marketing.pk: MARKETING,
        999_999: None,
    }


# --- R5–R8: creation tool settings ----------------------------------------------------------------------

DEFAULTS = {
    CreationTool.HUBSPOT_FORM: True,
    CreationTool.NON_HUBSPOT_FORM: True,
    CreationTool.CHATFLOW: False,
    CreationTool.INTEGRATION: False,
}


@pytest.mark.parametrize(("tool", "default"), list(DEFAULTS.items()))
def test_r5_to_r8_creation_tool_setting_change_is_recorded(frozen_clock, marketer, marketer_actor, tool, default):
    source_id = "" if tool == CreationTool.NON_HUBSPOT_FORM else "source-1"
    assert creation_tool_setting_get(tool=tool, source_id=source_id) is default

    creation_tool_setting_set(tool=tool, source_id=source_id, marketing_on_create=not default, actor=marketer_actor)

    assert creation_tool_setting_get(tool=tool, source_id=source_id) is (not default)
    assert list(CreationToolSetting.objects.values_list("tool", "source_id", "marketing_on_create", "updated_by")) == [
        (tool.value, source_id, not default, marketer.pk)
    ]
    assert list(
        CreationToolSettingChange.objects.values_list(
            "tool", "source_id", "old_value", "new_value", "changed_at", "changed_by"
        )
    ) == [(tool.value, source_id, default, not default, FROZEN_START, marketer.pk)]


@pytest.mark.parametrize(("tool", "default"), list(DEFAULTS.items()))
def test_r5_to_r8_setting_a_tool_to_its_current_value_records_nothing(marketer_actor, db_state, tool, default):
    before = db_state()

    creation_tool_setting_set(tool=tool, source_id="source-1", marketing_on_create=default, actor=marketer_actor)

    assert db_state() == before


def test_r5_switching_a_setting_back_records_both_changes(frozen_clock, marketer_actor):
    tool = CreationTool.HUBSPOT_FORM
    creation_tool_setting_set(tool=tool, source_id="form-1", marketing_on_create=False, actor=marketer_actor)
    frozen_clock.move_to(LATER)
    creation_tool_setting_set(tool=tool, source_id="form-1", marketing_on_create=True, actor=marketer_actor)

    assert creation_tool_setting_get(tool=tool, source_id="form-1") is True
    assert list(
        CreationToolSettingChange.objects.order_by("pk").values_list("old_value", "new_value", "changed_at")
    ) == [
        (True, False, FROZEN_START),
        (False, True, LATER),
    ]


def test_r5_each_form_has_its_own_setting(marketer_actor):
    creation_tool_setting_set(
        tool=CreationTool.HUBSPOT_FORM, source_id="form-1", marketing_on_create=False, actor=marketer_actor
    )

    assert creation_tool_setting_get(tool=CreationTool.HUBSPOT_FORM, source_id="form-1") is False
    assert creation_tool_setting_get(tool=CreationTool.HUBSPOT_FORM, source_id="form-2") is True


def test_r6_non_hubspot_forms_have_one_account_wide_setting(marketer_actor):
    creation_tool_setting_set(
        tool=CreationTool.NON_HUBSPOT_FORM, source_id="", marketing_on_create=False, actor=marketer_actor
    )

    assert creation_tool_setting_get(tool=CreationTool.NON_HUBSPOT_FORM) is False
    assert creation_tool_setting_get(tool=CreationTool.NON_HUBSPOT_FORM, source_id="external-form-9") is False


def test_r30_user_without_permission_cannot_change_a_creation_tool_setting(sales_user, db_state):
    before = db_state()

    with pytest.raises(MarketingStatusPermissionDenied):
        creation_tool_setting_set(
            tool=CreationTool.CHATFLOW, source_id="chat-1", marketing_on_create=True, actor=Actor.for_user(sales_user)
        )
    assert db_state() == before
    assert creation_tool_setting_get(tool=CreationTool.CHATFLOW, source_id="chat-1") is False


def test_r30_integration_without_scope_cannot_change_a_creation_tool_setting(db_state):
    before = db_state()

    with pytest.raises(MarketingStatusPermissionDenied):
        creation_tool_setting_set(
            tool=CreationTool.INTEGRATION, source_id="app-1", marketing_on_create=True, actor=Actor.for_integration(1)
        )
    assert db_state() == before


def test_r8_manual_creation_is_not_affected_by_tool_settings(frozen_subscription, marketer_actor):
    creation_tool_setting_set(
        tool=CreationTool.INTEGRATION, source_id="", marketing_on_create=True, actor=marketer_actor
    )

    (contact,) = contacts_create(data=[{"email": "x@example.com"}], tool=CreationTool.MANUAL, actor=marketer_actor)

    assert _status(contact)[:2] == (False, False)
