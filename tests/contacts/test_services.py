"""Plain contact writes: archive (R22) and what it leaves of a contact's status and email; the checks of an edit."""

import datetime as dt

import pytest

from billing.selectors import marketing_count, pending_count
from contacts.models import Contact
from contacts.services import ContactConflict, ContactInvalid, contact_update_validate, contacts_archive
from marketing_status.creation import contact_create
from marketing_status.policy import CreationTool
from tests.conftest import FROZEN_START
from tests.factories import contacts_make

pytestmark = pytest.mark.django_db


def _state(contact: Contact) -> tuple:
    contact.refresh_from_db()
    return (
        contact.marketable_status,
        contact.marketable_until_renewal,
        contact.marketable_reason_type,
        contact.marketable_reason_id,
    )


# --- R22: archive ---------------------------------------------------------------------------------------


def test_r22_archive_removes_contacts_from_the_billable_count_at_once(
    frozen_subscription, frozen_clock, marketer_actor, history_of
):
    marketing = contacts_make(count=2, actor=marketer_actor, marketing=True)
    pending = contacts_make(count=1, actor=marketer_actor, pending=True)
    non_marketing = contacts_make(count=1, actor=marketer_actor)
    later = FROZEN_START + dt.timedelta(days=1)
    frozen_clock.move_to(later)

    archived = contacts_archive(contacts=[c.pk for c in marketing + pending + non_marketing][1:], actor=marketer_actor)

    assert archived == 3
    assert (marketing_count(), pending_count()) == (1, 0)
    assert list(Contact.objects.order_by("pk").values_list("archived_at", flat=True)) == [None, later, later, later]
    assert [_state(c)[:2] for c in marketing + pending + non_marketing] == [
        (True, False),
        (True, False),
        (True, True),
        (False, False),
    ]
    assert [len(history_of(c)) for c in marketing + pending + non_marketing] == [1, 1, 2, 1]  # no status change
    assert contacts_archive(contacts=Contact.objects.all(), actor=marketer_actor) == 1  # only the one left


def test_r22_archived_contact_email_can_be_reused(frozen_subscription, marketer_actor):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    contacts_archive(contacts=[contact.pk], actor=marketer_actor)

    reused = contact_create(tool=CreationTool.MANUAL, actor=marketer_actor, email=contact.email)

    assert reused.pk != contact.pk
    assert Contact.objects.filter(email=contact.email).count() == 2


# --- The checks of an edit (contact_update_validate) ------------------------------------------------------


def test_contact_update_validate_returns_the_cleaned_fields_and_writes_nothing(subscription, marketer_actor, db_state):
    [contact, other] = contacts_make(count=2, actor=marketer_actor)
    before = db_state()

    assert contact_update_validate(contact=contact, data={"email": " New@Example.com ", "company": "Acme"}) == {
        "email": "new@example.com",
        "company": "Acme",
    }
    assert contact_update_validate(contact=contact, data={"email": contact.email.upper()}) == {"email": contact.email}
    with pytest.raises(ContactInvalid) as invalid:
        contact_update_validate(contact=contact, data={"email": "nope", "lifecycle_stage": "bogus"})
    assert set(invalid.value.errors[0]) == {"email", "lifecycle_stage"}
    with pytest.raises(ContactConflict) as conflict:
        contact_update_validate(contact=contact, data={"email": other.email})
    assert conflict.value.existing_id == other.pk
    assert db_state() == before
