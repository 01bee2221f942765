"""contact_capture: create or match a contact through a lead-capture tool (R2–R9, R5/R6 upgrades, B4)."""

import pytest

from billing.models import Subscription
from capture.services import contact_capture
from contacts.models import Contact
from contacts.services import ContactInvalid
from marketing_status.actors import Actor, ActorKind
from marketing_status.creation import contacts_create
from marketing_status.policy import CreationTool
from marketing_status.services import contacts_set_marketing, contacts_set_non_marketing, creation_tool_setting_set

FORM = Actor(ActorKind.FORM, "form-7")
CHAT = Actor(ActorKind.CHATFLOW, "chat-3")


def _existing(marketer_actor, *, status: str) -> Contact:
    (contact,) = contacts_create(
        data=[{"email": "known@example.com", "first_name": "Kim"}], tool=CreationTool.MANUAL, actor=marketer_actor
    )
    if status in ("marketing", "pending"):
        contacts_set_marketing(contacts=[contact.pk], actor=marketer_actor)
    if status == "pending":
        contacts_set_non_marketing(contacts=[contact.pk], actor=marketer_actor)
    contact.refresh_from_db()
    return contact


def _state(contact: Contact) -> tuple:
    contact.refresh_from_db()
    return (
        contact.marketable_status,
        contact.marketable_until_renewal,
        contact.marketable_reason_type,
        contact.marketable_reason_id,
    )


def test_r5_new_contact_from_a_form_is_marketing_by_default(subscription):
    result = contact_capture(
        data={"email": " New@Example.com ", "first_name": "Ada"},
        tool=CreationTool.HUBSPOT_FORM,
        source_id="form-7",
        actor=FORM,
    )
    assert (result.created, result.upgraded, result.held_by_tier_guard) == (True, False, False)
    assert result.contact.email == "new@example.com"
    assert _state(result.contact) == (True, False, "FORM_SUBMISSION", "form-7")
    assert result.contact.creation_tool == CreationTool.HUBSPOT_FORM


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("non_marketing", (True, False, "FORM_SUBMISSION", "form-7")),  # R5 + R10: upgraded
        ("pending", (True, False, "FORM_SUBMISSION", "form-7")),  # R12: the pending switch is cancelled
    ],
)
def test_r5_submission_by_an_existing_contact_upgrades_it(subscription, marketer_actor, before, after):
    contact = _existing(marketer_actor, status=before)
    result = contact_capture(
        data={"email": "known@example.com", "last_name": "Lee"},
        tool=CreationTool.HUBSPOT_FORM,
        source_id="form-7",
        actor=FORM,
    )
    assert (result.created, result.upgraded, result.contact.pk) == (False, True, contact.pk)
    assert _state(contact) == after
    assert (contact.first_name, contact.last_name) == ("Kim", "Lee")  # submitted values are stored, blanks kept
    assert Contact.objects.count() == 1


def test_r13_submission_by_a_marketing_contact_changes_no_status(subscription, marketer_actor, history_of):
    contact = _existing(marketer_actor, status="marketing")
    before_state, before_history = _state(contact), history_of(contact)
    result = contact_capture(
        data={"email": "known@example.com"}, tool=CreationTool.HUBSPOT_FORM, source_id="form-7", actor=FORM
    )
    assert (result.created, result.upgraded) == (False, False)
    assert (_state(contact), history_of(contact)) == (before_state, before_history)


def test_r5_toggle_off_creates_non_marketing_and_keeps_existing_status(subscription, marketer_actor):
    creation_tool_setting_set(
        tool=CreationTool.HUBSPOT_FORM, source_id="form-7", marketing_on_create=False, actor=marketer_actor
    )
    existing = _existing(marketer_actor, status="non_marketing")
    before = _state(existing)
    kept = contact_capture(
        data={"email": "known@example.com"}, tool=CreationTool.HUBSPOT_FORM, source_id="form-7", actor=FORM
    )
    new = contact_capture(
        data={"email": "fresh@example.com"}, tool=CreationTool.HUBSPOT_FORM, source_id="form-7", actor=FORM
    )
    assert (kept.upgraded, _state(existing)) == (False, before)
    assert _state(new.contact) == (False, False, "FORM_SUBMISSION", "form-7")


def test_r7_chatflow_never_upgrades_an_existing_contact(subscription, marketer_actor):
    creation_tool_setting_set(
        tool=CreationTool.CHATFLOW, source_id="chat-3", marketing_on_create=True, actor=marketer_actor
    )
    existing = _existing(marketer_actor, status="non_marketing")
    before = _state(existing)
    result = contact_capture(
        data={"email": "known@example.com"}, tool=CreationTool.CHATFLOW, source_id="chat-3", actor=CHAT
    )
    assert (result.created, result.upgraded, _state(existing)) == (False, False, before)


def test_b4_tier_guard_keeps_a_new_form_contact_non_marketing_instead_of_losing_it(subscription, marketer_actor):
    Subscription.objects.update(tier_guard_enabled=True, contact_tier_limit=0)
    result = contact_capture(
        data={"email": "over@example.com"}, tool=CreationTool.HUBSPOT_FORM, source_id="form-7", actor=FORM
    )
    assert (result.created, result.held_by_tier_guard) == (True, True)
    assert _state(result.contact)[:2] == (False, False)


def test_b4_tier_guard_holds_an_upgrade_and_keeps_the_contact_as_it_was(subscription, marketer_actor):
    existing = _existing(marketer_actor, status="non_marketing")
    before = _state(existing)
    Subscription.objects.update(tier_guard_enabled=True, contact_tier_limit=0)
    result = contact_capture(
        data={"email": "known@example.com"}, tool=CreationTool.HUBSPOT_FORM, source_id="form-7", actor=FORM
    )
    assert (result.created, result.upgraded, result.held_by_tier_guard) == (False, False, True)
    assert _state(existing) == before


def test_r2_invalid_submission_changes_nothing(subscription, db_state):
    before = db_state()
    with pytest.raises(ContactInvalid):
        contact_capture(data={"email": "not-an-email"}, tool=CreationTool.HUBSPOT_FORM, source_id="form-7", actor=FORM)
    assert db_state() == before


def test_r9_meeting_booking_by_a_marketing_contact_keeps_its_status(subscription, marketer_actor):
    existing = _existing(marketer_actor, status="marketing")
    before = _state(existing)
    result = contact_capture(
        data={"email": "known@example.com"},
        tool=CreationTool.MEETINGS,
        source_id="link-1",
        actor=Actor.system("meetings"),
    )
    new = contact_capture(
        data={"email": "booker@example.com"},
        tool=CreationTool.MEETINGS,
        source_id="link-1",
        actor=Actor.system("meetings"),
    )
    assert (result.upgraded, _state(existing)) == (False, before)
    assert _state(new.contact)[:2] == (False, False)
    assert new.contact.creation_tool == CreationTool.MEETINGS
