"""`manage.py seed_demo`: demo data from every creation tool (R2–R9), written once, through the services.

The tests here share one seeded account (`_seeded_account`, once per module: seeding takes seconds); each test's
own writes roll back as usual. The refusals, which need an empty installation, are in test_seed_demo_refusals.py.
"""

import ast
import datetime as dt
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import Max
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

import demo
from billing.models import BillingPeriod, Subscription
from contacts.models import Contact, ContactChange, EmailSubscription
from conversations.models import Chatflow, Conversation
from crm.celery import app as celery_app
from engagements.models import Booking, EmailLog, Ticket
from integrations.models import Integration
from leadforms.models import Form, FormSubmission
from marketing_status.actors import MARKETING_ACCESS_PERMISSION, ActorKind
from marketing_status.models import CreationToolSettingChange, MarketingStatusChange
from marketing_status.policy import CreationTool, ReasonType
from tests.demo.helpers import CONTACTS, counts, seed
from workflows.models import Enrollment, EnrollmentStep, Workflow

# Every test of this module on one xdist worker, so that the account is seeded once.
pytestmark = pytest.mark.xdist_group("seed_demo")


def _passwords(var_dir) -> dict[str, str]:
    """username -> password, from the credentials file."""
    passwords = {}
    for line in (var_dir / "demo-credentials.txt").read_text().splitlines():
        username, password = line.split(": ", 1)[1].split(" at ")[0].split(" / ")
        passwords[username] = password
    return passwords


@dataclass(frozen=True)
class SeededAccount:
    output: str  # what seed_demo printed
    var_dir: Path  # where it wrote the credentials
    started_at: dt.datetime  # the real time just before it ran


@pytest.fixture(scope="module")
def _seeded_account(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo account, seeded once for the module inside a transaction that is never committed: each test
    runs nested in it (its own writes roll back to a savepoint, as in any test), and it is rolled back after
    the module's last test, so later tests start from an empty database and, as in a test's own transaction,
    no after-commit task is sent. Meanwhile Celery runs eagerly and the rate-limit and change-feed prefixes are
    fresh, as the autouse fixtures make them for each test."""
    var_dir = tmp_path_factory.mktemp("seed_demo") / "var"
    fresh = {
        "VAR_DIR": var_dir,
        "CRM_INTAKE_RATE_LIMIT_PREFIX": f"intake-test:{uuid.uuid4().hex}",
        "CRM_FEED_WAKE_PREFIX": f"feed-wake-test:{uuid.uuid4().hex}",
    }
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        eager = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
        celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
        try:
            with override_settings(**fresh):
                started_at = timezone.now()
                output = seed()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
        finally:
            celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = eager
    yield SeededAccount(output, var_dir, started_at)
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def seeded(_seeded_account, db, var_dir) -> str:
    """The module's demo account; its credentials file is copied into this test's var directory."""
    var_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(_seeded_account.var_dir / "demo-credentials.txt", var_dir / "demo-credentials.txt")
    return _seeded_account.output


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
    before, credentials = counts(), (var_dir / "demo-credentials.txt").read_text()

    output = seed()

    assert counts() == before
    assert (var_dir / "demo-credentials.txt").read_text() == credentials
    assert "already loaded" in output
    assert f"Admin login: admin / {_passwords(var_dir)['admin']} at " in output


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


def test_seed_demo_dates_every_row_before_it_ran(seeded, _seeded_account):
    """Every time the demo records is its history's, not the time it ran: the only moment after it is the open
    billing period's update date, which is ahead by definition."""
    after = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateTimeField):
                late = model._base_manager.filter(**{f"{field.name}__gte": _seeded_account.started_at})
                after |= {(model._meta.label, field.name, pk) for pk in late.values_list("pk", flat=True)}
    open_period = BillingPeriod.objects.get(closed_at__isnull=True)
    assert after == {("billing.BillingPeriod", "update_at", open_period.pk)}


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_seed_demo_does_not_patch_the_clock():
    """The demo dates its history by giving the services `now=`: no module of the demo app imports a mock."""
    sources = sorted(Path(demo.__file__).parent.rglob("*.py"))
    assert len(sources) >= 4
    imported = {name for path in sources for name in _imported_modules(path)}
    assert not {name for name in imported if name.split(".")[0] in {"unittest", "mock"}}
