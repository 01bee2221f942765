"""Creating contacts by every tool with their status (R2–R9, R30, B4, R24) and restoring archived ones (R22)."""

import datetime as dt

import pytest

from billing.models import TierUpgrade
from billing.policy import BillingCycle, HubTier
from billing.selectors import marketing_count, pending_count
from billing.services import subscription_create
from contacts.models import Contact
from contacts.services import ContactConflict, ContactInvalid, contacts_archive
from marketing_status.actors import Actor, ActorKind, MarketingStatusPermissionDenied
from marketing_status.creation import RestoreResult, contact_create, contacts_create, contacts_restore
from marketing_status.models import CreationToolSettingChange
from marketing_status.policy import CreationTool
from marketing_status.renewal import renewals_run
from marketing_status.selectors import BillingImpact
from marketing_status.services import (
    TierGuardRefused,
    contacts_set_marketing,
    creation_tool_setting_set,
    marketing_contacts_enable,
)
from tests.conftest import FROZEN_START
from tests.factories import UserFactory, contacts_make

pytestmark = pytest.mark.django_db

SOURCE = "source-5"
ACTOR_KIND_BY_TOOL = {
    CreationTool.IMPORT: ActorKind.IMPORT,
    CreationTool.MULTI_IMPORT: ActorKind.IMPORT,
    CreationTool.HUBSPOT_FORM: ActorKind.FORM,
    CreationTool.NON_HUBSPOT_FORM: ActorKind.FORM,
    CreationTool.CHATFLOW: ActorKind.CHATFLOW,
    CreationTool.INTEGRATION: ActorKind.INTEGRATION,
}
REASON_BY_TOOL = {
    CreationTool.MANUAL: "USER_SET",
    CreationTool.IMPORT: "CONTACT_IMPORT",
    CreationTool.MULTI_IMPORT: "CONTACT_IMPORT",
    CreationTool.HUBSPOT_FORM: "FORM_SUBMISSION",
    CreationTool.NON_HUBSPOT_FORM: "FORM_SUBMISSION",
    CreationTool.CHATFLOW: "CONVERSATION",
    CreationTool.INTEGRATION: "INTEGRATOR_SET",
    CreationTool.MOBILE_APP: "INITIAL_STATE",
    CreationTool.ONE_TO_ONE_EMAIL: "EMAIL",
    CreationTool.TEAM_INBOX: "EMAIL",
    CreationTool.DOCUMENT: "INITIAL_STATE",
    CreationTool.MEETINGS: "INITIAL_STATE",
    CreationTool.EMAIL_EXTENSION: "EMAIL",
    CreationTool.TICKET: "INITIAL_STATE",
    CreationTool.DEAL: "INITIAL_STATE",
    CreationTool.SAMPLE: "SAMPLE_CONTACT",
}
DEFAULTS = {
    CreationTool.HUBSPOT_FORM: True,
    CreationTool.NON_HUBSPOT_FORM: True,
    CreationTool.CHATFLOW: False,
    CreationTool.INTEGRATION: False,
}


def _cases():
    """Every creation tool with every state of its setting ("default", on, off) or of the creator's choice."""
    for tool in CreationTool:
        if tool in DEFAULTS:
            for setting in ("default", True, False):
                yield tool, setting, False
        else:
            for requested in (False, True):
                yield tool, "default", requested


def _expected_marketing(tool: CreationTool, setting, requested: bool) -> bool:
    if tool in (CreationTool.MANUAL, CreationTool.IMPORT):  # R3, R4
        return requested
    if tool in DEFAULTS:  # R5–R8
        return DEFAULTS[tool] if setting == "default" else setting
    return False  # R9, R4 multi-import


def _state(contact: Contact) -> tuple:
    contact.refresh_from_db()
    return (
        contact.marketable_status,
        contact.marketable_until_renewal,
        contact.marketable_reason_type,
        contact.marketable_reason_id,
    )


def _subscription(system_actor, *, limit: int = 1000, tier_guard: bool = False, enable: bool = True):
    subscription = subscription_create(
        hub_tier=HubTier.STARTER,
        billing_cycle=BillingCycle.MONTHLY,
        contract_start=dt.date(2026, 1, 15),
        renewal_date=dt.date(2027, 1, 15),
        contact_tier_limit=limit,
        tier_block_size=2,
        tier_guard_enabled=tier_guard,
    )
    if enable:
        marketing_contacts_enable(actor=system_actor)
    return subscription


# --- R2–R9: the status a new contact gets ------------------------------------------------------------


@pytest.mark.parametrize(("tool", "setting", "requested"), list(_cases()))
def test_r2_to_r9_new_contact_status_for_every_tool_and_setting(
    frozen_subscription, marketer, marketer_actor, history_of, tool, setting, requested
):
    if setting != "default":
        creation_tool_setting_set(tool=tool, source_id=SOURCE, marketing_on_create=setting, actor=marketer_actor)
        changes = list(CreationToolSettingChange.objects.values_list("tool", "source_id", "old_value", "new_value"))
        recorded_source = "" if tool == CreationTool.NON_HUBSPOT_FORM else SOURCE  # R6: account-wide
        expected_changes = [] if setting == DEFAULTS[tool] else [(tool.value, recorded_source, DEFAULTS[tool], setting)]
        assert changes == expected_changes
    kind = ACTOR_KIND_BY_TOOL.get(tool)
    actor = marketer_actor if kind is None else Actor(kind, SOURCE)
    marketing = _expected_marketing(tool, setting, requested)

    contacts = contacts_create(
        data=[{"email": "New@Example.com"}, {"email": None}],
        tool=tool,
        actor=actor,
        source_id=SOURCE,
        marketing=requested,
    )

    reason = REASON_BY_TOOL[tool]
    assert [_state(contact) for contact in contacts] == [(marketing, False, reason, SOURCE)] * 2
    assert [(c.email, c.creation_tool, c.creation_source_id) for c in contacts] == [
        ("new@example.com", tool.value, SOURCE),
        (None, tool.value, SOURCE),
    ]
    assert [c.marketable_status_changed_at for c in contacts] == [FROZEN_START] * 2
    for contact in contacts:
        assert history_of(contact) == [
            {
                "changed_at": FROZEN_START,
                "old_status": None,
                "new_status": marketing,
                "old_until_renewal": False,
                "new_until_renewal": False,
                "reason_type": reason,
                "reason_id": SOURCE,
                "actor_type": actor.kind.value,
                "actor_id": actor.id,
                "actor_user": actor.user_id,
            }
        ]
    assert marketing_count() == (2 if marketing else 0)


def test_r1_contacts_created_before_enabling_have_no_status_and_no_history(system_actor, marketer_actor, history_of):
    _subscription(system_actor, enable=False)

    contact = contact_create(tool=CreationTool.HUBSPOT_FORM, actor=Actor(ActorKind.FORM, "f"), email="a@example.com")

    assert _state(contact) == (None, False, "", "")
    assert contact.hs_marketable_properties()["hs_marketable_status"] == ""
    assert contact.marketable_status_changed_at is None
    assert history_of(contact) == []
    assert marketing_count() == 0


def test_r3_manual_creation_as_marketing_records_the_user(frozen_subscription, marketer, marketer_actor, history_of):
    contact = contact_create(
        tool=CreationTool.MANUAL, actor=marketer_actor, source_id=str(marketer.pk), marketing=True, email="m@ex.com"
    )

    assert _state(contact) == (True, False, "USER_SET", str(marketer.pk))
    assert [(row["actor_type"], row["actor_id"], row["actor_user"]) for row in history_of(contact)] == [
        ("USER", str(marketer.pk), marketer.pk)
    ]


def test_r3_r30_manual_creation_as_marketing_without_permission_is_refused(frozen_subscription, sales_user, db_state):
    before = db_state()

    with pytest.raises(MarketingStatusPermissionDenied, match="Marketing contact access permission"):
        contacts_create(
            data=[{"email": "a@example.com"}],
            tool=CreationTool.MANUAL,
            actor=Actor.for_user(sales_user),
            marketing=True,
        )
    assert db_state() == before


def test_r3_manual_creation_as_non_marketing_needs_no_marketing_permission(frozen_subscription, sales_user):
    contact = contact_create(tool=CreationTool.MANUAL, actor=Actor.for_user(sales_user), email="a@example.com")

    assert _state(contact)[:2] == (False, False)


def test_r4_r30_import_as_marketing_by_user_without_permission_is_refused(frozen_subscription, sales_user, db_state):
    before = db_state()

    with pytest.raises(MarketingStatusPermissionDenied):
        contacts_create(
            data=[{"email": "a@example.com"}, {"email": "b@example.com"}],
            tool=CreationTool.IMPORT,
            actor=Actor.for_user(sales_user),
            source_id="import-1",
            marketing=True,
        )
    assert db_state() == before


def test_r4_multi_file_import_ignores_the_marketing_checkbox(frozen_subscription, sales_user):
    contacts = contacts_create(
        data=[{"email": "a@example.com"}],
        tool=CreationTool.MULTI_IMPORT,
        actor=Actor.for_user(sales_user),
        source_id="import-2",
        marketing=True,
    )

    assert _state(contacts[0]) == (False, False, "CONTACT_IMPORT", "import-2")


def test_r6_account_wide_setting_applies_to_every_non_hubspot_form(frozen_subscription, marketer_actor):
    creation_tool_setting_set(tool=CreationTool.NON_HUBSPOT_FORM, marketing_on_create=False, actor=marketer_actor)
    form = Actor(ActorKind.FORM, "external-form-9")

    contact = contact_create(
        tool=CreationTool.NON_HUBSPOT_FORM, actor=form, source_id="external-form-9", email="a@example.com"
    )

    assert _state(contact) == (False, False, "FORM_SUBMISSION", "external-form-9")


def test_r5_a_form_switched_off_leaves_other_forms_on(frozen_subscription, marketer_actor):
    creation_tool_setting_set(
        tool=CreationTool.HUBSPOT_FORM, source_id="form-1", marketing_on_create=False, actor=marketer_actor
    )

    off = contact_create(tool=CreationTool.HUBSPOT_FORM, actor=marketer_actor, source_id="form-1", email="a@ex.com")
    on = contact_create(tool=CreationTool.HUBSPOT_FORM, actor=marketer_actor, source_id="form-2", email="b@ex.com")

    assert (_state(off)[0], _state(on)[0]) == (False, True)


def test_r8_integration_setting_affects_only_contacts_created_after_it_is_switched_on(
    frozen_subscription, marketer_actor
):
    app = Actor.for_integration("app-1")
    before = contact_create(tool=CreationTool.INTEGRATION, actor=app, source_id="app-1", email="a@example.com")

    creation_tool_setting_set(
        tool=CreationTool.INTEGRATION, source_id="app-1", marketing_on_create=True, actor=marketer_actor
    )
    after = contact_create(tool=CreationTool.INTEGRATION, actor=app, source_id="app-1", email="b@example.com")
    other = contact_create(tool=CreationTool.INTEGRATION, actor=app, source_id="app-2", email="c@example.com")

    assert _state(before) == (False, False, "INTEGRATOR_SET", "app-1")
    assert _state(after) == (True, False, "INTEGRATOR_SET", "app-1")
    assert _state(other) == (False, False, "INTEGRATOR_SET", "app-2")
    assert marketing_count() == 1


def test_b1_an_integration_with_the_scope_states_the_status_of_the_contacts_it_creates(frozen_subscription):
    app = Actor.for_integration("app-1", scopes={"marketing-contacts.write"})
    creation_tool_setting_set(
        tool=CreationTool.INTEGRATION, source_id="app-1", marketing_on_create=True, actor=Actor.system("tests")
    )

    (non_marketing,) = contacts_create(
        data=[{"email": "a@example.com"}],
        tool=CreationTool.INTEGRATION,
        actor=app,
        source_id="app-1",
        stated_marketing=False,
    )
    (marketing,) = contacts_create(
        data=[{"email": "b@example.com"}],
        tool=CreationTool.INTEGRATION,
        actor=app,
        source_id="app-1",
        stated_marketing=True,
    )

    assert _state(non_marketing) == (False, False, "INTEGRATOR_SET", "app-1")
    assert _state(marketing) == (True, False, "INTEGRATOR_SET", "app-1")


def test_b1_r30_an_integration_without_the_scope_cannot_state_a_status_and_nothing_is_created(
    frozen_subscription, db_state
):
    app = Actor.for_integration("app-1")
    before = db_state()

    for stated in (False, True):
        with pytest.raises(MarketingStatusPermissionDenied):
            contacts_create(
                data=[{"email": "a@example.com"}],
                tool=CreationTool.INTEGRATION,
                actor=app,
                source_id="app-1",
                stated_marketing=stated,
            )

    assert db_state() == before


def test_r9_to_market_to_a_non_customizable_contact_set_it_afterwards(frozen_subscription, marketer_actor):
    contact = contact_create(tool=CreationTool.MEETINGS, actor=marketer_actor, source_id="m-1", email="a@ex.com")

    contacts_set_marketing(contacts=[contact.pk], actor=marketer_actor)

    assert _state(contact)[:2] == (True, False)


# --- Refused creations change nothing -----------------------------------------------------------------


def test_r2_user_without_add_permission_cannot_create_contacts(frozen_subscription, db_state):
    before = db_state()

    with pytest.raises(MarketingStatusPermissionDenied, match="permission to create contacts"):
        contacts_create(
            data=[{"email": "a@example.com"}], tool=CreationTool.MANUAL, actor=Actor.for_user(UserFactory())
        )
    assert db_state() == before


def test_r2_invalid_input_creates_nothing(frozen_subscription, marketer_actor, db_state):
    contacts_make(count=1, actor=marketer_actor)
    before = db_state()

    with pytest.raises(ContactInvalid) as invalid:
        contacts_create(
            data=[
                {"email": "not-an-email"},
                {"email": "ok@example.com", "colour": "red"},
                {"email": "fine@example.com", "lifecycle_stage": "boss"},
                {"email": "good@example.com"},
                {"email": " GOOD@example.com "},
            ],
            tool=CreationTool.MANUAL,
            actor=marketer_actor,
            marketing=True,
        )

    assert invalid.value.errors == {
        0: {"email": "Email address 'not-an-email' is invalid."},
        1: {"colour": "Property 'colour' does not exist."},
        2: {"lifecycle_stage": "'boss' is not one of the allowed values for lifecycle_stage."},
        4: {"email": "Duplicate of input 3."},
    }
    assert db_state() == before


def test_r2_duplicate_email_creates_nothing(frozen_subscription, marketer_actor, db_state):
    (existing,) = contacts_make(count=1, actor=marketer_actor)
    before = db_state()

    with pytest.raises(ContactConflict) as conflict:
        contacts_create(
            data=[{"email": "fresh@example.com"}, {"email": existing.email.upper()}],
            tool=CreationTool.HUBSPOT_FORM,
            actor=Actor(ActorKind.FORM, "form-1"),
            source_id="form-1",
        )

    assert (conflict.value.email, conflict.value.existing_id) == (existing.email, existing.pk)
    assert str(conflict.value) == f"Contact already exists. Existing ID: {existing.pk}"
    assert db_state() == before


def test_r2_empty_input_creates_nothing(frozen_subscription, marketer_actor, db_state):
    before = db_state()

    assert contacts_create(data=[], tool=CreationTool.MANUAL, actor=marketer_actor, marketing=True) == []
    assert db_state() == before


# --- B4 and R24 on creation ---------------------------------------------------------------------------


def test_b4_creating_marketing_contacts_across_the_tier_is_refused_without_confirmation(
    system_actor, marketer_actor, db_state
):
    _subscription(system_actor, limit=3, tier_guard=True)
    contacts_make(count=2, actor=marketer_actor, marketing=True)
    before = db_state()

    with pytest.raises(TierGuardRefused) as refused:
        contacts_create(
            data=[{"email": "a@example.com"}, {"email": "b@example.com"}],
            tool=CreationTool.HUBSPOT_FORM,
            actor=Actor(ActorKind.FORM, "form-1"),
            source_id="form-1",
        )

    assert refused.value.impact == BillingImpact(2, 2, 2, 4, 3)
    assert db_state() == before


def test_b4_confirmed_creation_across_the_tier_upgrades_it(frozen_clock, system_actor, marketer_actor):
    subscription = _subscription(system_actor, limit=3, tier_guard=True)
    contacts_make(count=2, actor=marketer_actor, marketing=True)

    contacts = contacts_create(
        data=[{"email": "a@example.com"}, {"email": "b@example.com"}],
        tool=CreationTool.HUBSPOT_FORM,
        actor=Actor(ActorKind.FORM, "form-1"),
        source_id="form-1",
        confirm_tier_upgrade=True,
    )

    assert len(contacts) == 2
    subscription.refresh_from_db()
    assert subscription.contact_tier_limit == 5
    assert list(
        TierUpgrade.objects.values_list(
            "happened_at", "old_limit", "new_limit", "marketing_count", "cause_type", "cause_id"
        )
    ) == [(FROZEN_START, 3, 5, 4, "FORM_SUBMISSION", "form-1")]


def test_b4_the_guard_does_not_stop_non_marketing_contacts(system_actor, marketer_actor):
    _subscription(system_actor, limit=1, tier_guard=True)
    contacts_make(count=1, actor=marketer_actor, marketing=True)

    contacts = contacts_create(
        data=[{"email": "a@example.com"}, {"email": "b@example.com"}],
        tool=CreationTool.CHATFLOW,
        actor=Actor(ActorKind.CHATFLOW, "chat-1"),
        source_id="chat-1",
    )

    assert [contact.marketable_status for contact in contacts] == [False, False]


# --- R21, R22: the billable count, archive and restore ----------------------------------------------------


def test_r21_billable_count_is_marketing_contacts_pending_included(frozen_subscription, marketer_actor):
    contacts_make(count=3, actor=marketer_actor)
    contacts_make(count=2, actor=marketer_actor, marketing=True)
    contacts_make(count=4, actor=marketer_actor, pending=True)

    assert (marketing_count(), pending_count()) == (6, 4)


@pytest.mark.parametrize(("marketing", "pending"), [(True, False), (True, True), (False, False)])
def test_r22_restore_within_90_days_brings_the_status_back(
    frozen_subscription, frozen_clock, marketer_actor, history_of, marketing, pending
):
    (contact,) = contacts_make(count=1, actor=marketer_actor, marketing=marketing, pending=pending)
    status_before, history_before = _state(contact), history_of(contact)
    contacts_archive(contacts=[contact.pk], actor=marketer_actor)
    frozen_clock.move_to(FROZEN_START + dt.timedelta(days=3))  # before the update date of 2026-03-15

    result = contacts_restore(contacts=[contact.pk], actor=marketer_actor)

    assert result == RestoreResult(restored=1, refused=0)
    assert _state(contact) == status_before
    assert contact.archived_at is None
    assert history_of(contact) == history_before
    assert marketing_count() == (1 if marketing else 0)


def test_r22_restore_on_the_90th_day_is_allowed_and_after_it_refused(
    frozen_subscription, frozen_clock, marketer_actor, db_state
):
    contacts = contacts_make(count=2, actor=marketer_actor, marketing=True)
    contacts_archive(contacts=[contacts[0].pk], actor=marketer_actor)
    frozen_clock.shift(dt.timedelta(seconds=1))
    contacts_archive(contacts=[contacts[1].pk], actor=marketer_actor)
    frozen_clock.move_to(FROZEN_START + dt.timedelta(days=90, seconds=1))
    before = db_state()

    assert contacts_restore(contacts=[contacts[0].pk], actor=marketer_actor) == RestoreResult(restored=0, refused=1)
    assert db_state() == before
    assert contacts_restore(contacts=[contacts[1].pk], actor=marketer_actor) == RestoreResult(restored=1, refused=0)
    assert marketing_count() == 1


def test_r22_restore_is_refused_when_the_email_was_taken(frozen_subscription, marketer_actor, db_state):
    (contact,) = contacts_make(count=1, actor=marketer_actor, marketing=True)
    contacts_archive(contacts=[contact.pk], actor=marketer_actor)
    taker = contact_create(tool=CreationTool.MANUAL, actor=marketer_actor, email=contact.email.upper())
    before = db_state()

    assert contacts_restore(contacts=[contact.pk], actor=marketer_actor) == RestoreResult(restored=0, refused=1)
    assert db_state() == before
    assert taker.email == contact.email
    assert marketing_count() == 0


def test_r22_restore_reports_restored_and_refused_together(frozen_subscription, frozen_clock, marketer_actor):
    old, recent = contacts_make(count=2, actor=marketer_actor)
    contacts_archive(contacts=[old.pk], actor=marketer_actor)
    frozen_clock.move_to(FROZEN_START + dt.timedelta(days=60))
    contacts_archive(contacts=[recent.pk], actor=marketer_actor)
    frozen_clock.move_to(FROZEN_START + dt.timedelta(days=100))

    assert contacts_restore(contacts=Contact.objects.all(), actor=marketer_actor) == RestoreResult(1, 1)
    assert list(Contact.objects.filter(archived_at__isnull=True).values_list("pk", flat=True)) == [recent.pk]


def test_r22_archived_pending_contact_is_flipped_by_the_renewal(
    frozen_subscription, frozen_clock, marketer_actor, history_of
):
    (contact,) = contacts_make(count=1, actor=marketer_actor, pending=True)
    contacts_archive(contacts=[contact.pk], actor=marketer_actor)
    period = frozen_subscription.periods.get()
    frozen_clock.move_to(period.update_at)

    (outcome,) = renewals_run()

    assert (outcome.flipped, outcome.count_at_close) == (1, 0)
    assert _state(contact)[:2] == (False, False)
    assert history_of(contact)[-1]["actor_id"] == f"renewal:{period.pk}"
    assert contacts_restore(contacts=[contact.pk], actor=marketer_actor) == RestoreResult(1, 0)
    assert _state(contact)[:2] == (False, False)
    assert marketing_count() == 0


def test_r22_r24_restore_that_crosses_the_tier_upgrades_it(system_actor, marketer, marketer_actor):
    subscription = _subscription(system_actor, limit=2)
    contacts = contacts_make(count=2, actor=marketer_actor, marketing=True)
    contacts_archive(contacts=[contacts[0].pk], actor=marketer_actor)
    contacts_make(count=1, actor=marketer_actor, marketing=True)

    assert contacts_restore(contacts=[contacts[0].pk], actor=marketer_actor) == RestoreResult(1, 0)

    subscription.refresh_from_db()
    assert subscription.contact_tier_limit == 4
    assert list(
        TierUpgrade.objects.values_list("old_limit", "new_limit", "marketing_count", "cause_type", "cause_id")
    ) == [(2, 4, 3, "RESTORE", str(marketer.pk))]


def test_r22_user_without_delete_permission_cannot_archive_or_restore(frozen_subscription, marketer_actor, db_state):
    contacts = contacts_make(count=2, actor=marketer_actor, marketing=True)
    contacts_archive(contacts=[contacts[1].pk], actor=marketer_actor)
    nobody = Actor.for_user(UserFactory())
    before = db_state()

    with pytest.raises(MarketingStatusPermissionDenied, match="permission to delete contacts"):
        contacts_archive(contacts=[contacts[0].pk], actor=nobody)
    with pytest.raises(MarketingStatusPermissionDenied, match="permission to restore contacts"):
        contacts_restore(contacts=[contacts[1].pk], actor=nobody)
    assert db_state() == before


def test_r22_of_archived_contacts_sharing_an_email_only_the_first_is_restored(
    frozen_subscription, marketer_actor, db_state
):
    first = contact_create(tool=CreationTool.MANUAL, actor=marketer_actor, email="twin@example.com")
    contacts_archive(contacts=[first.pk], actor=marketer_actor)
    second = contact_create(tool=CreationTool.MANUAL, actor=marketer_actor, email="twin@example.com")
    contacts_archive(contacts=[second.pk], actor=marketer_actor)
    (other,) = contacts_make(count=1, actor=marketer_actor)
    contacts_archive(contacts=[other.pk], actor=marketer_actor)

    result = contacts_restore(contacts=[second.pk, first.pk, other.pk], actor=marketer_actor)

    assert result == RestoreResult(restored=2, refused=1)
    assert list(Contact.objects.filter(archived_at__isnull=True).order_by("pk").values_list("pk", flat=True)) == [
        first.pk,
        other.pk,
    ]
    before = db_state()
    assert contacts_restore(contacts=[second.pk], actor=marketer_actor) == RestoreResult(restored=0, refused=1)
    assert db_state() == before
