"""The contacts' Django admin saves through `contact_update`: an edit records the change feed, so a workflow whose
triggers it meets enrolls the contact (R18); a refused edit shows the form again and changes nothing."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from contacts.models import Contact, ContactChange
from contacts.services import contacts_archive
from marketing_status.actors import Actor
from marketing_status.creation import contacts_create
from marketing_status.policy import CreationTool, ReasonType
from tests.factories import UserFactory
from tests.workflows.conftest import CONTACT_PERMISSIONS, WORKFLOW_PERMISSIONS, drain, make_workflow, with_perms
from workflows.models import Enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    """Staff who may view and edit contacts in the admin (no superuser: the permission is what lets them)."""
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_contact", "change_contact"]))
    return user


@pytest.fixture
def lead_workflow(subscription):
    """On: "lifecycle stage is lead → set as marketing", so the change feed is on."""
    automator = with_perms(*WORKFLOW_PERMISSIONS, *CONTACT_PERMISSIONS, "marketing_contact_access")
    return make_workflow(Actor.for_user(automator), enable=True)


@pytest.fixture
def contact(subscription, marketer_actor):
    [contact] = contacts_create(
        data=[{"email": "ada@example.com", "first_name": "Ada"}],
        tool=CreationTool.INTEGRATION,
        actor=marketer_actor,
    )
    return contact


def _change_url(contact) -> str:
    return reverse("admin:contacts_contact_change", args=[contact.pk])


def _post(client, contact, **changes):
    data = {
        "email": contact.email or "",
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "company": contact.company,
        "phone": contact.phone,
        "lifecycle_stage": contact.lifecycle_stage,
        "email_subscription": contact.email_subscription,
        "marketing_history-TOTAL_FORMS": "0",
        "marketing_history-INITIAL_FORMS": "0",
        "marketing_history-MIN_NUM_FORMS": "0",
        "marketing_history-MAX_NUM_FORMS": "1000",
        **changes,
    }
    return client.post(_change_url(contact), data)


def _feed() -> list[int]:
    return list(ContactChange.objects.order_by("pk").values_list("contact_id", flat=True))


def test_an_admin_edit_records_the_change_feed_and_a_matching_workflow_enrolls_the_contact(
    client, staff, contact, lead_workflow
):
    drain()
    assert (_feed(), contact.marketable_status) == ([], False)
    client.force_login(staff)

    response = _post(client, contact, lifecycle_stage="lead", company="Acme")

    assert response.status_code == 302, response.content.decode()[:2000]
    edited = Contact.objects.get(pk=contact.pk)
    assert (edited.lifecycle_stage, edited.company, edited.marketable_status) == ("lead", "Acme", False)
    assert edited.updated_at > contact.updated_at
    assert _feed() == [contact.pk]

    drain()

    assert list(Enrollment.objects.values_list("workflow_id", "contact_id", "state")) == [
        (lead_workflow.pk, contact.pk, "COMPLETED")
    ]
    enrolled = Contact.objects.get(pk=contact.pk)
    assert (enrolled.marketable_status, enrolled.marketable_reason_type, enrolled.marketable_reason_id) == (
        True,
        ReasonType.WORKFLOW,
        str(lead_workflow.pk),
    )
    assert _feed() == []


def test_an_admin_edit_that_changes_nothing_writes_nothing(client, staff, contact, lead_workflow, db_state):
    drain()
    before = db_state()
    client.force_login(staff)

    response = _post(client, contact)

    assert response.status_code == 302
    assert db_state() == before
    assert _feed() == []


def test_an_admin_edit_to_a_taken_email_is_refused_on_the_field_and_changes_nothing(
    client, staff, contact, lead_workflow, db_state, marketer_actor
):
    [other] = contacts_create(data=[{"email": "grace@example.com"}], tool=CreationTool.MANUAL, actor=marketer_actor)
    drain()
    before = db_state()
    client.force_login(staff)

    response = _post(client, contact, email="Grace@Example.com", first_name="Renamed")

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["email"]
    assert f"(ID {other.pk})" in errors["email"][0]
    assert db_state() == before
    assert Contact.objects.get(pk=contact.pk).first_name == "Ada"
    assert _feed() == []


def test_an_admin_edit_with_an_invalid_email_is_refused_and_changes_nothing(
    client, staff, contact, lead_workflow, db_state
):
    drain()
    before = db_state()
    client.force_login(staff)

    response = _post(client, contact, email="not an email", lifecycle_stage="lead")

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["email"]
    assert db_state() == before
    assert Contact.objects.get(pk=contact.pk).lifecycle_stage == ""
    assert _feed() == []


def test_a_deleted_contact_is_shown_but_not_edited_in_the_admin(
    client, staff, contact, lead_workflow, db_state, marketer_actor
):
    contacts_archive(contacts=[contact.pk], actor=marketer_actor)
    drain()
    before = db_state()
    client.force_login(staff)

    assert client.get(_change_url(contact)).status_code == 200
    response = _post(client, contact, lifecycle_stage="lead")

    assert response.status_code == 403
    assert db_state() == before
    assert _feed() == []
