"""The contacts change feed (R18: "contacts created or changed later are evaluated after their change
commits"): what each write path records, only while a workflow is on, and how the consumer drains it.

The race between a switch-on and writes in flight needs several connections: tests/integration/
test_workflow_feed.py."""

import datetime as dt

import pytest
from django.utils import timezone

from billing.models import BillingPeriod
from capture.services import contact_capture
from contacts.models import Contact, ContactChange
from contacts.services import (
    contact_list_add,
    contact_list_create,
    contact_list_remove,
    contact_update,
    contacts_archive,
    contacts_properties_set,
)
from leadforms.builder import FieldSpec, form_create
from leadforms.submissions import form_submit
from marketing_status.actors import Actor, ActorKind
from marketing_status.creation import contacts_create, contacts_restore
from marketing_status.policy import CreationTool
from marketing_status.renewal import renewals_run
from marketing_status.services import contacts_set_marketing, contacts_set_non_marketing
from tests.factories import contacts_make
from tests.imports.conftest import run_import
from tests.workflows.conftest import make_workflow, with_perms
from workflows.enrollment import contact_changes_process
from workflows.models import Workflow


def _fed() -> list[int]:
    return list(ContactChange.objects.order_by("pk").values_list("contact_id", flat=True))


@pytest.fixture
def feed_on(subscription, automator_actor):
    """One workflow switched on (nothing matches it), so the feed is on; starts empty."""
    make_workflow(
        automator_actor,
        triggers=[{"filters": [{"type": "property", "propertyName": "company", "operator": "EQ", "value": "Zzz"}]}],
        enable=True,
    )
    ContactChange.objects.all().delete()
    return automator_actor


def test_nothing_is_recorded_while_no_workflow_is_on(subscription, automator_actor):
    make_workflow(automator_actor)  # off
    (contact,) = contacts_make(count=1, actor=automator_actor)
    contact_update(contact=contact, data={"first_name": "Ada"}, actor=automator_actor)
    contacts_set_marketing(contacts=[contact.pk], actor=automator_actor)
    assert _fed() == []


def test_created_contacts_are_recorded(feed_on):
    contacts = contacts_create(
        data=[{"email": "a@example.com"}, {"email": "b@example.com"}], tool=CreationTool.MANUAL, actor=feed_on
    )
    assert _fed() == sorted(contact.pk for contact in contacts)


def test_edited_contacts_are_recorded(feed_on):
    (contact,) = contacts_make(count=1, actor=feed_on)
    ContactChange.objects.all().delete()
    contact_update(contact=contact, data={"company": "Acme"}, actor=feed_on)
    contacts_properties_set(contacts=[contact.pk], data={"lifecycle_stage": "lead"}, actor=feed_on)
    assert _fed() == [contact.pk, contact.pk]


def test_status_changes_record_only_the_contacts_that_changed(feed_on):
    marketing = contacts_make(count=2, actor=feed_on, marketing=True)
    other = contacts_make(count=2, actor=feed_on)
    ContactChange.objects.all().delete()
    ids = [c.pk for c in marketing + other]
    assert contacts_set_marketing(contacts=ids, actor=feed_on).changed == 2
    assert _fed() == [c.pk for c in other]  # R13: the two already marketing did not change
    ContactChange.objects.all().delete()
    assert contacts_set_non_marketing(contacts=ids, actor=feed_on).changed == 4
    assert sorted(_fed()) == sorted(ids)


def test_the_renewal_flip_is_recorded(db, frozen_subscription, frozen_clock, automator_actor):
    make_workflow(automator_actor, enable=True)
    pending = contacts_make(count=2, actor=automator_actor, pending=True)
    ContactChange.objects.all().delete()
    period = BillingPeriod.objects.get(closed_at__isnull=True)
    frozen_clock.move_to(period.update_at + dt.timedelta(minutes=1))
    renewals_run()
    assert sorted(_fed()) == [c.pk for c in pending]


def test_list_membership_changes_are_recorded(feed_on):
    contacts = contacts_make(count=3, actor=feed_on)
    ContactChange.objects.all().delete()
    newsletter = contact_list_create(name="Newsletter", actor=feed_on)
    contact_list_add(contact_list=newsletter, contacts=[c.pk for c in contacts[:2]], actor=feed_on)
    assert _fed() == [contacts[0].pk, contacts[1].pk]
    ContactChange.objects.all().delete()
    contact_list_add(contact_list=newsletter, contacts=[c.pk for c in contacts], actor=feed_on)  # one new member
    contact_list_remove(contact_list=newsletter, contacts=[contacts[0].pk, contacts[2].pk], actor=feed_on)
    assert _fed() == [contacts[2].pk, contacts[0].pk, contacts[2].pk]


def test_restored_contacts_are_recorded_but_archived_ones_are_not(feed_on):
    contacts = contacts_make(count=2, actor=feed_on)
    ContactChange.objects.all().delete()
    contacts_archive(contacts=[c.pk for c in contacts], actor=feed_on)
    assert _fed() == []  # deleted contacts never match (R22); nothing to evaluate
    contacts_restore(contacts=[contacts[0].pk], actor=feed_on)
    assert _fed() == [contacts[0].pk]


def test_a_form_submission_records_a_matched_contact_even_when_nothing_of_it_changed(feed_on, system_actor):
    form = form_create(name="Fair", fields=[FieldSpec("email", "Email", True)], actor=system_actor)
    (contact,) = contacts_make(count=1, actor=feed_on, marketing=True)
    ContactChange.objects.all().delete()
    form_submit(form=form, values={"email": contact.email})
    assert _fed() == [contact.pk]
    form_submit(form=form, values={"email": "new@example.com"})
    assert _fed()[1] == Contact.objects.get(email="new@example.com").pk


def test_any_capture_tool_records_its_matched_contact(feed_on):
    (contact,) = contacts_make(count=1, actor=feed_on)
    ContactChange.objects.all().delete()
    result = contact_capture(
        data={"email": contact.email}, tool=CreationTool.CHATFLOW, source_id="9", actor=Actor(ActorKind.CHATFLOW, "9")
    )
    assert not result.created
    assert _fed() == [contact.pk]


def test_imported_contacts_are_recorded_created_and_updated(feed_on, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    importer = Actor.for_user(with_perms("add_import", "add_contact", "change_contact"))
    (existing,) = contacts_make(count=1, actor=feed_on)
    ContactChange.objects.all().delete()
    run_import(actor=importer, contacts=[["Email", "Company"], [existing.email, "Acme"], ["new@example.com", "Beta"]])
    new = Contact.objects.get(email="new@example.com")
    assert set(_fed()) == {existing.pk, new.pk}


def test_the_consumer_evaluates_a_batch_then_deletes_it(feed_on):
    contacts_make(count=5, actor=feed_on)
    assert len(_fed()) == 5
    assert contact_changes_process(limit=3) == 3
    assert len(_fed()) == 2
    assert contact_changes_process(limit=3) == 2
    assert contact_changes_process(limit=3) == 0


def test_the_consumer_waits_while_a_workflow_switched_on_is_still_recording_its_matches(feed_on):
    contacts_make(count=2, actor=feed_on)
    Workflow.objects.update(matched_at=None)  # as between the two transactions of a switch-on
    assert contact_changes_process() is None
    assert len(_fed()) == 2
    Workflow.objects.update(matched_at=timezone.now())
    assert contact_changes_process() == 2
    assert _fed() == []


def test_rows_left_after_the_last_workflow_is_switched_off_are_drained_without_effect(feed_on):
    contacts_make(count=2, actor=feed_on)
    Workflow.objects.update(is_enabled=False)
    assert contact_changes_process() == 2
    assert _fed() == []
