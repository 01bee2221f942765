"""`manage.py seed_demo`: demo data from every creation tool (R2–R9), written once, through the services."""

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from billing.models import BillingPeriod, Subscription
from contacts.models import Contact, ContactChange, EmailSubscription
from conversations.models import Chatflow, Conversation
from engagements.models import Booking, EmailLog, Ticket
from integrations.models import Integration
from leadforms.models import Form, FormSubmission
from marketing_status.actors import MARKETING_ACCESS_PERMISSION, ActorKind
from marketing_status.models import CreationToolSettingChange, MarketingStatusChange
from marketing_status.policy import CreationTool, ReasonType
from workflows.models import Enrollment, EnrollmentStep, Workflow

CONTACTS = 80


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", contacts=CONTACTS, stdout=out)
    return out.getvalue()


def _passwords(var_dir) -> dict[str, str]:
    """username -> password, from the credentials file."""
    passwords = {}
    for line in (var_dir / "demo-credentials.txt").read_text().splitlines():
        username, password = line.split(": ", 1)[1].split(" at ")[0].split(" / ")
        passwords[username] = password
    return passwords


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR


@pytest.fixture
def seeded(db, var_dir) -> str:
    return _seed()


def _counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "subscriptions": Subscription.objects.count(),
        "contacts": Contact.objects.count(),
        "history": MarketingStatusChange.objects.count(),
        "periods": BillingPeriod.objects.count(),
        "tool_setting_changes": CreationToolSettingChange.objects.count(),
    }


def test_seed_demo_creates_contacts_from_every_creation_tool_R2_R9(seeded):
    assert Contact.objects.count() == CONTACTS
    assert set(Contact.objects.values_list("creation_tool", flat=True).distinct()) == set(CreationTool)
    assert Contact.objects.filter(email_subscription=EmailSubscription.UNSUBSCRIBED).exists()
    assert Contact.objects.filter(email_hard_bounced=True).exists()
    assert not Contact.objects.filter(marketable_status__isnull=True).exists()  # R1 gave every contact a status


def test_seed_demo_mixes_marketing_non_marketing_and_pending_R10_R11_R22(seeded):
    active = Contact.objects.filter(archived_at__isnull=True)
    assert active.filter(marketable_status=True, marketable_until_renewal=False).exists()
    assert active.filter(marketable_status=False).exists()
    assert active.filter(marketable_status=True, marketable_until_renewal=True).exists()
    assert Contact.objects.filter(archived_at__isnull=False).exists()


def test_seed_demo_sets_up_a_professional_subscription_with_its_billing_contact_R20_R25(seeded):
    subscription = Subscription.objects.get()
    today = timezone.localdate()
    assert (subscription.hub_tier, subscription.billing_cycle) == ("professional", "monthly")
    assert subscription.renewal_date == today + dt.timedelta(days=25)
    assert subscription.contract_start.replace(year=subscription.contract_start.year + 1) == subscription.renewal_date
    assert list(subscription.billing_contacts.values_list("username", flat=True)) == ["admin"]
    assert subscription.periods.filter(closed_at__isnull=True).count() == 1
    assert subscription.periods.filter(closed_at__isnull=False).count() >= 10


def test_seed_demo_writes_a_history_R1_R5_R7_R12_R14_R18(seeded):
    history = MarketingStatusChange.objects.all()
    # R1: contacts made before marketing contacts were enabled got INITIAL_STATE from the admin.
    assert history.filter(
        old_status=None, new_status=False, reason_type=ReasonType.INITIAL_STATE, actor_user__username="admin"
    ).exists()
    # R14: renewals flipped pending contacts at past update dates.
    flips = history.filter(actor_type=ActorKind.SYSTEM, actor_id__startswith="renewal:")
    assert flips.exists()
    assert set(flips.values_list("old_until_renewal", "new_status", "new_until_renewal")) == {(True, False, False)}
    # R12: a pending switch was cancelled.
    assert history.filter(old_until_renewal=True, new_status=True, new_until_renewal=False).exists()
    # R18, R5: a workflow and a returning form submission set contacts as marketing.
    workflow = Workflow.objects.get(name="Nurture chat leads")
    by_workflow = history.filter(actor_type=ActorKind.WORKFLOW, reason_type=ReasonType.WORKFLOW, new_status=True)
    assert set(by_workflow.values_list("reason_id", flat=True)) == {str(workflow.pk)}
    assert history.filter(actor_type=ActorKind.FORM, old_status=False, new_status=True).exists()
    # R5, R7: the marketer changed form and chatflow settings.
    forms = {form.name: form.source_id for form in Form.objects.all()}
    chatflows = {chatflow.name: str(chatflow.pk) for chatflow in Chatflow.objects.all()}
    integrations = {integration.name: str(integration.pk) for integration in Integration.objects.all()}
    assert set(CreationToolSettingChange.objects.values_list("tool", "source_id", "new_value")) == {
        ("HUBSPOT_FORM", forms["Careers application"], False),
        ("HUBSPOT_FORM", forms["Support request"], False),
        ("CHATFLOW", chatflows["Pricing page chat"], True),
        ("INTEGRATION", integrations["Zapier eventbrite"], True),
    }
    assert not Contact.objects.filter(marketing_history__isnull=True).exists()


def test_seed_demo_uses_the_real_tools_behind_its_sources_R5_R7_R9(seeded):
    """Contacts name the form, chatflow or meetings link that created them; each tool's page has something."""
    webinar = Form.objects.get(name="Webinar registration")
    assert Contact.objects.filter(creation_tool="HUBSPOT_FORM", creation_source_id=webinar.source_id).exists()
    assert FormSubmission.objects.filter(form=webinar).count() == 2
    chat = Conversation.objects.get()
    assert (chat.contact.creation_tool, chat.messages.filter(sender="agent").count()) == ("CHATFLOW", 1)
    booking = Booking.objects.get()
    assert (booking.contact.creation_tool, booking.contact.marketable_status) == ("MEETINGS", False)
    assert Ticket.objects.get().requester.creation_tool == "TICKET"
    assert EmailLog.objects.count() == 1


def test_every_integration_a_demo_contact_names_exists_under_settings_integrations_R8(seeded, client):
    """Creation sources, status sources and the history's integration actors name integrations that exist."""
    integrations = {str(pk): name for pk, name in Integration.objects.values_list("pk", "name")}
    named = (
        set(Contact.objects.filter(creation_tool="INTEGRATION").values_list("creation_source_id", flat=True))
        | set(
            Contact.objects.filter(marketable_reason_type="INTEGRATOR_SET").values_list(
                "marketable_reason_id", flat=True
            )
        )
        | set(MarketingStatusChange.objects.filter(actor_type="INTEGRATION").values_list("actor_id", flat=True))
    )
    assert set(integrations.values()) == {"Salesforce sync", "Shopify store", "Zapier eventbrite"}
    assert named and named <= set(integrations)
    client.force_login(get_user_model().objects.get(username="admin"))
    page = client.get(reverse("integrations:index")).content.decode()
    assert all(name in page for name in integrations.values())


def test_seed_demo_dates_the_history_in_the_past(seeded):
    now = timezone.now()
    assert Contact.objects.aggregate(latest=Max("created_at"))["latest"] < now
    assert MarketingStatusChange.objects.aggregate(latest=Max("changed_at"))["latest"] < now
    assert Contact.objects.order_by("created_at").first().created_at < now - dt.timedelta(days=300)


def test_seed_demo_users_log_in_and_only_the_marketer_has_marketing_access_R30(seeded, var_dir, client):
    passwords = _passwords(var_dir)
    assert f"Admin login: admin / {passwords['admin']} at http://127.0.0.1:8000/\n" in seeded
    assert client.login(username="admin", password=passwords["admin"])
    assert client.get("/")["Location"] == "/contacts/"  # the demo has its subscription: the app, not set-up
    assert client.get("/admin/").status_code == 200
    users = {user.username: user for user in get_user_model().objects.all()}
    assert users["admin"].is_superuser
    assert users["marketer"].has_perm(MARKETING_ACCESS_PERMISSION)
    assert not users["sales"].has_perm(MARKETING_ACCESS_PERMISSION)
    assert users["sales"].has_perm("contacts.add_contact")
    assert client.login(username="marketer", password=passwords["marketer"])
    assert client.login(username="sales", password=passwords["sales"])


def test_seed_demo_twice_creates_nothing_more(seeded, var_dir):
    before, credentials = _counts(), (var_dir / "demo-credentials.txt").read_text()

    output = _seed()

    assert _counts() == before
    assert (var_dir / "demo-credentials.txt").read_text() == credentials
    assert "already loaded" in output
    assert f"Admin login: admin / {_passwords(var_dir)['admin']} at " in output


def test_seed_demo_refuses_fewer_contacts_than_creation_tools(db, var_dir):
    with pytest.raises(Exception, match="at least 50"):
        call_command("seed_demo", contacts=10, stdout=StringIO())
    assert _counts()["contacts"] == 0


def test_seed_demo_leaves_an_installation_with_data_alone(subscription, var_dir):
    before = _counts()

    output = _seed()

    assert "already has data" in output
    assert _counts() == before
    assert not (var_dir / "demo-credentials.txt").exists()


def test_seed_demo_runs_a_real_workflow_on_chat_contacts_R18(seeded):
    """The marketer's workflow was switched on with the chat contacts already there; the chat contact of
    the visitors' day enrolled as it arrived. Every enrollment completed, with one step each."""
    workflow = Workflow.objects.get(name="Nurture chat leads")
    assert workflow.is_enabled
    chat_contacts = Contact.objects.filter(creation_tool="CHATFLOW", archived_at__isnull=True)
    enrolled = Enrollment.objects.filter(workflow=workflow)
    assert set(enrolled.values_list("contact_id", flat=True)) >= set(chat_contacts.values_list("pk", flat=True))
    assert set(enrolled.values_list("state", flat=True)) == {"COMPLETED"}
    assert EnrollmentStep.objects.filter(workflow=workflow).count() == enrolled.count()
    assert Conversation.objects.get().contact.marketable_status is True
    assert not ContactChange.objects.exists()  # the change feed was drained as the worker would
