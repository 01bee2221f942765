"""The Django admin: every model registered, marketing fields read-only, status changes only through
the services and only with the Marketing contact access permission (R30)."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from billing.models import BillingPeriod, Subscription, TierNotice, TierUpgrade
from companies.models import Company
from contacts.models import Contact
from conversations.models import Chatflow, Conversation, Message
from engagements.models import Booking, EmailLog, MeetingLink, Ticket
from imports.models import Import, ImportRowError
from leadforms.models import ExternalForm, Form, FormSubmission
from marketing_status.actors import Actor
from marketing_status.creation import contacts_create
from marketing_status.models import CreationToolSetting, CreationToolSettingChange, MarketingStatusChange
from marketing_status.policy import CreationTool
from tests.factories import UserFactory
from workflows.definitions import ActionSpec, workflow_create
from workflows.models import Enrollment, Workflow, WorkflowChange

ALL_MODELS = (
    Contact,
    MarketingStatusChange,
    CreationToolSetting,
    CreationToolSettingChange,
    Subscription,
    BillingPeriod,
    TierUpgrade,
    TierNotice,
    Form,
    ExternalForm,
    FormSubmission,
    Chatflow,
    Conversation,
    Message,
    EmailLog,
    MeetingLink,
    Booking,
    Ticket,
    Import,
    ImportRowError,
    Company,
    Workflow,
    Enrollment,
    WorkflowChange,
)


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def staff_without_marketing_access(db):
    """Staff who may edit contacts but lack Marketing contact access (R30)."""
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_contact", "change_contact"]))
    return user


@pytest.fixture
def contacts(subscription, marketer_actor):
    return contacts_create(
        data=[{"email": f"admin{i}@example.com"} for i in range(3)], tool=CreationTool.MANUAL, actor=marketer_actor
    )


def _changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_every_model_has_an_admin_changelist(client, superuser, contacts, model):
    client.force_login(superuser)
    assert client.get(_changelist(Contact)).status_code == 200
    assert client.get(_changelist(model)).status_code == 200


def test_admin_requires_login(client, contacts):
    response = client.get(_changelist(Contact))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_contact_change_page_shows_history_and_keeps_marketing_fields_read_only(client, superuser, contacts):
    contact = contacts[0]
    client.force_login(superuser)
    url = reverse("admin:contacts_contact_change", args=[contact.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b"Marketing contact status" in page.content
    response = client.post(
        url,
        {
            "email": "Renamed@Example.com",
            "first_name": "Ada",
            "last_name": "",
            "company": "",
            "phone": "",
            "lifecycle_stage": "",
            "email_subscription": "not_specified",
            "marketable_status": "True",
            "marketable_until_renewal": "on",
            "marketing_history-TOTAL_FORMS": "1",
            "marketing_history-INITIAL_FORMS": "1",
            "marketing_history-MIN_NUM_FORMS": "0",
            "marketing_history-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    contact.refresh_from_db()
    assert contact.email == "renamed@example.com"
    assert contact.first_name == "Ada"
    assert (contact.marketable_status, contact.marketable_until_renewal) == (False, False)
    assert MarketingStatusChange.objects.filter(contact=contact).count() == 1


def _staff_marketer(marketer):
    marketer.is_staff = True
    marketer.save()
    marketer.user_permissions.add(Permission.objects.get(codename="view_contact"))
    return marketer


def test_r15_admin_action_set_marketing_shows_the_index_confirmation_and_changes_nothing_yet(
    client, contacts, marketer
):
    client.force_login(_staff_marketer(marketer))

    page = client.post(_changelist(Contact), {"action": "set_marketing", "_selected_action": [c.pk for c in contacts]})

    assert page.status_code == 200
    assert b'name="confirm_count"' in page.content
    assert page.content.count(b'name="ids"') == 3
    assert reverse("contacts:bulk_set_marketing").encode() in page.content
    assert Contact.objects.filter(marketable_status=True).count() == 0


def test_r15_admin_set_marketing_applies_once_the_typed_count_confirms(client, contacts, marketer):
    client.force_login(_staff_marketer(marketer))
    ids = [c.pk for c in contacts]

    response = client.post(reverse("contacts:bulk_set_marketing"), {"ids": ids, "confirm_count": "3"}, follow=True)

    assert b"3 contacts set as marketing contacts" in response.content
    assert Contact.objects.filter(marketable_status=True).count() == 3


def test_b4_admin_set_marketing_never_confirms_a_tier_upgrade_for_the_user(client, contacts, marketer, db_state):
    """With the tier guard on, crossing the tier from the admin asks for the same confirmation as the index."""
    Subscription.objects.update(tier_guard_enabled=True, contact_tier_limit=2)
    client.force_login(_staff_marketer(marketer))
    ids = [c.pk for c in contacts]
    before = db_state()

    page = client.post(_changelist(Contact), {"action": "set_marketing", "_selected_action": ids})
    refused = client.post(reverse("contacts:bulk_set_marketing"), {"ids": ids, "confirm_count": "3"})

    assert b'name="confirm_tier_upgrade"' in page.content
    assert refused.status_code == 400
    assert db_state() == before
    assert Subscription.objects.get().contact_tier_limit == 2


def test_r30_admin_action_refused_without_marketing_access_changes_nothing(
    client, contacts, staff_without_marketing_access
):
    history_before = MarketingStatusChange.objects.count()
    client.force_login(staff_without_marketing_access)
    response = client.post(
        _changelist(Contact),
        {"action": "set_marketing", "_selected_action": [c.pk for c in contacts]},
        follow=True,
    )
    assert b"Marketing contact access permission" in response.content
    assert Contact.objects.filter(marketable_status=True).count() == 0
    assert MarketingStatusChange.objects.count() == history_before


def test_r22_r30_admin_restore_of_marketing_contacts_needs_marketing_access(client, subscription, marketer_actor):
    from contacts.services import contacts_archive

    archived = contacts_create(
        data=[{"email": "back@example.com"}], tool=CreationTool.MANUAL, actor=marketer_actor, marketing=True
    )
    contacts_archive(contacts=[c.pk for c in archived], actor=marketer_actor)
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_contact", "delete_contact"]))
    client.force_login(staff)

    response = client.post(
        _changelist(Contact), {"action": "restore", "_selected_action": [c.pk for c in archived]}, follow=True
    )

    assert b"adds them back to your bill" in response.content
    assert Contact.objects.get(email="back@example.com").archived_at is not None


def test_history_cannot_be_added_changed_or_deleted_in_admin(client, superuser, contacts):
    client.force_login(superuser)
    row = MarketingStatusChange.objects.first()
    app, name = "marketing_status", "marketingstatuschange"
    assert client.get(reverse(f"admin:{app}_{name}_add")).status_code == 403
    assert client.post(reverse(f"admin:{app}_{name}_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert MarketingStatusChange.objects.filter(pk=row.pk).exists()


LEADS = [{"filters": [{"type": "property", "propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}]


def test_r18_r30_workflows_are_read_only_in_admin(client, superuser):
    """Workflows change only through their services (tier and permission checks), never in the admin."""
    workflow = workflow_create(
        name="Leads",
        triggers=LEADS,
        actions=[ActionSpec("SET_MARKETING_STATUS", {"marketing": True})],
        actor=Actor.for_user(superuser),
    )
    client.force_login(superuser)
    change = reverse("admin:workflows_workflow_change", args=[workflow.pk])
    delete = reverse("admin:workflows_workflow_delete", args=[workflow.pk])
    assert client.get(reverse("admin:workflows_workflow_add")).status_code == 403
    page = client.get(change)
    assert page.status_code == 200
    assert b"Set marketing contact status" in page.content
    assert client.post(change, {"name": "Renamed", "is_enabled": "on"}).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    workflow.refresh_from_db()
    assert (workflow.name, workflow.is_enabled) == ("Leads", False)


def test_b4_r30_the_tier_guard_cannot_be_switched_in_the_admin(client, subscription, staff_without_marketing_access):
    """The guard changes only on Usage & limits, with Marketing contact access; the admin shows it read-only."""
    staff = staff_without_marketing_access
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_subscription", "change_subscription"]))
    client.force_login(staff)
    url = reverse("admin:billing_subscription_change", args=[subscription.pk])

    response = client.post(url, {"tier_guard_enabled": "on", "billing_contacts": [staff.pk]})

    assert response.status_code == 403
    subscription.refresh_from_db()
    assert subscription.tier_guard_enabled is False
    assert not subscription.billing_contacts.exists()


def test_r30_an_admin_with_marketing_access_edits_billing_contacts_but_not_the_guard(client, subscription, superuser):
    client.force_login(superuser)
    url = reverse("admin:billing_subscription_change", args=[subscription.pk])

    response = client.post(url, {"tier_guard_enabled": "on", "billing_contacts": [superuser.pk]})

    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.tier_guard_enabled is False
    assert list(subscription.billing_contacts.all()) == [superuser]
