"""R30 as a matrix: every endpoint that changes marketing status or the bill (screens, Django admin, API) ×
{anonymous, signed in without Marketing contact access, signed in with it, API token without the
marketing-contacts.write scope}.

A refusal changes nothing (a snapshot of every table a status, setting or bill change touches) and says why;
"with access" makes the change, which proves that the row names the real endpoint. Adding an endpoint is one
row of `ENDPOINTS`: a setup that builds what the request needs (through the services) and returns
(method, path, data), and a check that the change happened.

The roles, per surface:
- screens and admin: anonymous is sent to sign in (or 403); "no access" holds every Django permission the
  endpoint needs but Marketing contact access (staff for the admin); "with access" holds it too; a request
  carrying an API token as `Authorization: Bearer` and no session is anonymous to the screens.
- API (token-only): anonymous is a request signed in to the screens as a superuser but without a token,
  401; "no access" / "with access" are tokens without / with the marketing scope; "token without scope"
  sends that token next to the superuser's session, which lends it nothing: 403.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from rest_framework.test import APIClient

from billing.models import BillingPeriod, Subscription, TierNotice, TierUpgrade
from billing.policy import BillingCycle, HubTier
from billing.services import subscription_create
from contacts.models import Contact
from contacts.services import contacts_archive
from conversations.models import Chatflow
from conversations.services import chatflow_create
from imports.models import Import, ImportFile
from integrations.models import Integration
from integrations.scopes import CONTACTS_READ, CONTACTS_WRITE, MARKETING_WRITE
from integrations.services import integration_create
from jobs.models import Job
from leadforms.builder import FieldSpec, form_create
from leadforms.models import Form
from marketing_status.actors import Actor
from marketing_status.creation import contacts_create
from marketing_status.models import CreationToolSetting, CreationToolSettingChange, MarketingStatusChange
from marketing_status.policy import CreationTool, ReasonType
from marketing_status.selectors import creation_tool_setting_get
from marketing_status.services import creation_tool_setting_set, marketing_contacts_enable
from tests.factories import UserFactory, contacts_make
from workflows.definitions import ActionSpec, workflow_create, workflow_enable
from workflows.models import ActionKind, Enrollment, Workflow, WorkflowAction, WorkflowMatch

pytestmark = pytest.mark.django_db

REASON = "Marketing contact access"  # what a screen's refusal names (R30: it says why)
CONTACT_PERMISSIONS = (
    "contacts.view_contact",
    "contacts.add_contact",
    "contacts.change_contact",
    "contacts.delete_contact",
)
CONTACTS_API = "/crm/v3/objects/contacts"
MARKETING_API = "/marketing/v3/marketing-contacts"
LEAD = {"type": "property", "propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}
SET_MARKETING = ActionSpec(kind=ActionKind.SET_MARKETING_STATUS, params={"marketing": True})
SWITCH_ON = {"value": "1"}  # a "create contacts as marketing" toggle, switched on
IMPORT_CSV = b"Email,First Name\nada@example.com,Ada\nbob@example.com,Bob\n"

Request = tuple[str, str, dict]


class Surface(Enum):
    SCREEN = "screen"
    ADMIN = "admin"
    API = "api"


class Role(StrEnum):
    ANONYMOUS = "anonymous"
    NO_ACCESS = "no-access"
    WITH_ACCESS = "with-access"
    TOKEN_WITHOUT_SCOPE = "token-without-scope"


@dataclass
class World:
    """What a setup builds with, and what it made for the check."""

    owner: Any  # a superuser: builds what the request needs through the services
    user: Any = None  # who is signed in for the request (None: nobody, or a token)
    subject: Any = None

    @property
    def actor(self) -> Actor:
        return Actor.for_user(self.owner)


@dataclass(frozen=True)
class Outcome:
    world: World
    client: Client
    response: HttpResponse
    before: dict[str, list[dict]]
    after: dict[str, list[dict]]

    @property
    def page(self) -> str:
        return _without_navigation(self.response.content.decode())

    def followed(self) -> str:
        """The page a redirect leads to, with the messages the request left (a GET: it changes nothing)."""
        assert self.response.status_code == 302, self.page
        return _without_navigation(self.client.get(self.response["Location"]).content.decode())


def _without_navigation(page: str) -> str:
    """The page below the menu, whose marks name the permissions a user lacks on every page."""
    head, menu, rest = page.partition('<nav aria-label="Main"')
    return head + rest.partition("</nav>")[2] if menu else page


@dataclass(frozen=True)
class Endpoint:
    name: str
    surface: Surface
    setup: Callable[[World], Request]
    changed: Callable[[Outcome], None]
    permissions: tuple[str, ...] = ()  # the Django permissions it needs besides Marketing contact access
    enabled: bool = True  # marketing contacts enabled on the subscription (R1)
    without_access: Callable[[Outcome], None] | None = None  # when a refusal is not a plain 4xx
    holes: dict[Role, str] = field(default_factory=dict)  # known holes: strict xfail, with the reason

    @property
    def id(self) -> str:
        return f"{self.surface.value}-{self.name}"


# --- The snapshot ---------------------------------------------------------------------------------------

SNAPSHOT_MODELS = (
    Contact,
    MarketingStatusChange,
    CreationToolSetting,
    CreationToolSettingChange,
    Subscription,
    Subscription.billing_contacts.through,
    BillingPeriod,
    TierUpgrade,
    TierNotice,
    Job,
    Workflow,
    WorkflowAction,
    WorkflowMatch,
    Enrollment,
    Integration,
    Form,
    Chatflow,
    Import,
    ImportFile,
)
# A token's use is bookkept (at most once a minute), refused or not; it is not a change the request made.
UNSNAPSHOTTED = {Integration: {"last_used_at"}}


def _snapshot() -> dict[str, list[dict]]:
    state = {}
    for model in SNAPSHOT_MODELS:
        skipped = UNSNAPSHOTTED.get(model, set())
        names = [f.attname for f in model._meta.concrete_fields if f.name not in skipped]
        state[model._meta.label] = list(model.objects.order_by("pk").values(*names))
    return state


def _changes(before: dict, after: dict) -> dict[str, tuple[list, list]]:
    """The tables that differ, as (before, after): empty when nothing changed."""
    return {label: (rows, after[label]) for label, rows in before.items() if after[label] != rows}


def _changed_tables(outcome: Outcome) -> list[str]:
    return sorted(_changes(outcome.before, outcome.after))


def _unchanged(outcome: Outcome) -> None:
    assert _changes(outcome.before, outcome.after) == {}


# --- Helpers for setups and checks ----------------------------------------------------------------------


def _contacts(world: World, count: int = 1, **options) -> list[Contact]:
    world.subject = contacts_make(count=count, actor=world.actor, **options)
    return world.subject


def _ids(world: World) -> list[int]:
    return [contact.pk for contact in world.subject]


def _statuses(world: World) -> set[tuple[bool, bool]]:
    """(marketing, pending) of the setup's contacts, as they are now."""
    return set(Contact.objects.filter(pk__in=_ids(world)).values_list("marketable_status", "marketable_until_renewal"))


def _became_marketing(outcome: Outcome) -> None:
    assert _statuses(outcome.world) == {(True, False)}


def _became_pending(outcome: Outcome) -> None:
    """R11: they stay marketing (and billed) until the update date."""
    assert _statuses(outcome.world) == {(True, True)}


def _created_marketing(*emails: str) -> Callable[[Outcome], None]:
    def check(outcome: Outcome) -> None:
        assert set(Contact.objects.filter(email__in=emails).values_list("email", "marketable_status")) == {
            (email, True) for email in emails
        }

    return check


def _archived_marketing_contact(world: World) -> list[Contact]:
    contacts = _contacts(world, marketing=True)
    contacts_archive(contacts=_ids(world), actor=world.actor)
    return contacts


def _restored(outcome: Outcome) -> None:
    """R22: back, with the status it had, so back on the bill."""
    contact = Contact.objects.get(pk=_ids(outcome.world)[0])
    assert (contact.archived_at, contact.marketable_status) == (None, True)


def _setting_on(tool: CreationTool, source_id: Callable[[World], str]) -> Callable[[Outcome], None]:
    def check(outcome: Outcome) -> None:
        assert creation_tool_setting_get(tool=tool, source_id=source_id(outcome.world)) is True

    return check


def _form(world: World) -> Form:
    form = form_create(name="Signup", fields=[FieldSpec(name="email")], actor=world.actor)
    creation_tool_setting_set(
        tool=CreationTool.HUBSPOT_FORM, source_id=form.source_id, marketing_on_create=False, actor=world.actor
    )
    world.subject = form
    return form


def _workflow(world: World, *, enabled: bool) -> Workflow:
    workflow = workflow_create(
        name="Nurture leads", triggers=[{"filters": [LEAD]}], actions=[SET_MARKETING], actor=world.actor
    )
    if enabled:
        workflow_enable(workflow=workflow, enroll_existing=False, actor=world.actor)
    world.subject = workflow
    return workflow


def _workflow_editor(name: str, *, lifecycle_stage: str = "lead") -> dict:
    """The editor's POST: one trigger (lifecycle stage is `lifecycle_stage`) and *Set as marketing*."""
    return {
        "name": name,
        "description": "",
        "filters-TOTAL_FORMS": "1",
        "filters-INITIAL_FORMS": "0",
        "filters-0-group": "0",
        "filters-0-type": "property",
        "filters-0-property": "lifecyclestage",
        "filters-0-operator": "EQ",
        "filters-0-value": lifecycle_stage,
        "actions-TOTAL_FORMS": "1",
        "actions-INITIAL_FORMS": "0",
        "actions-0-kind": ActionKind.SET_MARKETING_STATUS.value,
        "actions-0-marketing": "true",
        "actions-0-delay_mode": "duration",
        "actions-0-delay_unit": "days",
    }


def _form_builder_post(name: str) -> dict:
    return {
        "name": name,
        "submit_text": "Submit",
        "thank_you_message": "Thanks.",
        "redirect_url": "",
        "fields-TOTAL_FORMS": "1",
        "fields-INITIAL_FORMS": "0",
        "fields-0-property": "email",
        "fields-0-label": "Email",
        "fields-0-required": "on",
        "fields-0-position": "0",
    }


def _import_draft(world: World) -> Import:
    """A single-file import uploaded through the real page by whoever will map it (a draft is its uploader's)."""
    uploader = Client()
    uploader.force_login(world.user or world.owner)
    upload = SimpleUploadedFile("people.csv", IMPORT_CSV, content_type="text/csv")
    response = uploader.post("/contacts-imports/new/", {"kind": Import.Kind.SINGLE, "contacts_file": upload})
    assert response.status_code == 302, response.content.decode()
    return Import.objects.order_by("-pk").first()


def _admin_changelist_action(action: str) -> Callable[[World], Request]:
    def request(world: World) -> Request:
        return "POST", "/admin/contacts/contact/", {"action": action, "_selected_action": _ids(world)}

    return request


# --- Refusals that are not a plain 4xx ------------------------------------------------------------------


def _refused_with_admin_message(outcome: Outcome) -> None:
    """An admin action answers with the changelist and an error message naming the permission."""
    assert REASON in outcome.followed()
    _unchanged(outcome)


def _form_starts_off(outcome: Outcome) -> None:
    """R5, R30: the form is built, with its setting stored off (recorded as the builder's change), and the
    editor says why; nothing else changes."""
    form = Form.objects.get(name="Matrix form")
    assert creation_tool_setting_get(tool=CreationTool.HUBSPOT_FORM, source_id=str(form.guid)) is False
    assert REASON in outcome.followed()
    assert set(_changes(outcome.before, outcome.after)) <= {
        "leadforms.Form",
        "marketing_status.CreationToolSetting",
        "marketing_status.CreationToolSettingChange",
    }


def _locked_and_unchanged(outcome: Outcome) -> None:
    """The editor shows a status workflow's triggers locked to someone without access; posted anyway they are
    refused, or kept as stored, and the page says why."""
    if outcome.response.status_code == 302:
        assert REASON in outcome.followed()
    else:
        assert 400 <= outcome.response.status_code < 500
        assert REASON in outcome.page
    _unchanged(outcome)


# --- The endpoints --------------------------------------------------------------------------------------


def _bulk_set_marketing(world: World) -> Request:
    _contacts(world, count=2)
    return "POST", "/contacts/bulk/set-marketing/", {"ids": _ids(world), "confirm_count": "2"}


def _bulk_set_marketing_all_matching(world: World) -> Request:
    """R15: every contact matching the index's filters (none here, so all of them) instead of picked ids."""
    _contacts(world, count=2)
    return "POST", "/contacts/bulk/set-marketing/", {"select_all": "1", "query": "", "confirm_count": "2"}


def _bulk_set_non_marketing(world: World) -> Request:
    _contacts(world, count=2, marketing=True)
    return "POST", "/contacts/bulk/set-non-marketing/", {"ids": _ids(world)}


def _record_set_marketing(world: World) -> Request:
    (contact,) = _contacts(world)
    return "POST", f"/contacts/{contact.pk}/marketing-status/", {"to": "marketing"}


def _record_set_non_marketing(world: World) -> Request:
    (contact,) = _contacts(world, marketing=True)
    return "POST", f"/contacts/{contact.pk}/marketing-status/", {"to": "non_marketing"}


def _create_marketing_contact(world: World) -> Request:
    return "POST", "/contacts/new/", {"email": "manual@example.com", "marketing": "true"}


def _wizard_update(world: World) -> Request:
    _contacts(world, marketing=True, email_hard_bounced=True)  # R17: unengaged, pre-selected
    return "POST", "/account/usage/manage/", {"unengaged": "1", "query": ""}


def _tier_guard_on(world: World) -> Request:
    return "POST", "/account/usage/tier-guard/", {"enabled": "on"}


def _tier_guard_turned_on(outcome: Outcome) -> None:
    assert Subscription.objects.get().tier_guard_enabled is True


def _subscription_raise_tier(world: World) -> Request:
    return (
        "POST",
        "/account/subscription/",
        {
            "hub_tier": HubTier.STARTER.value,
            "billing_cycle": BillingCycle.MONTHLY.value,
            "contract_start": "2026-01-15",
            "renewal_date": "2027-01-15",
            "contact_tier_limit": "2000",
            "tier_block_size": "1000",
        },
    )


def _tier_raised(outcome: Outcome) -> None:
    """R24: a higher contract limit raises the tier now, recorded like an upgrade."""
    assert Subscription.objects.get().contact_tier_limit == 2000
    assert TierUpgrade.objects.filter(old_limit=1000, new_limit=2000, cause_type=TierUpgrade.TIER_CHANGE).exists()


def _enable_marketing_contacts(world: World) -> Request:
    world.subject = contacts_create(
        data=[{"email": "before-enabling@example.com"}], tool=CreationTool.MANUAL, actor=Actor.system("tests")
    )
    return "POST", "/account/subscription/enable/", {}


def _marketing_contacts_enabled(outcome: Outcome) -> None:
    """R1: enabled, and every existing contact is non-marketing from its initial state."""
    assert Subscription.objects.get().marketing_contacts_enabled
    contact = Contact.objects.get(pk=_ids(outcome.world)[0])
    assert (contact.marketable_status, contact.marketable_reason_type) == (False, ReasonType.INITIAL_STATE)


def _recycle_bin_restore(world: World) -> Request:
    _archived_marketing_contact(world)
    return "POST", "/contacts/recycle-bin/restore/", {"ids": _ids(world)}


def _non_hubspot_forms_on(world: World) -> Request:
    creation_tool_setting_set(tool=CreationTool.NON_HUBSPOT_FORM, marketing_on_create=False, actor=world.actor)
    return "POST", "/settings/lead-capture/non-hubspot-forms/", SWITCH_ON


def _form_setting_on(world: World) -> Request:
    form = _form(world)
    return "POST", f"/marketing/forms/{form.guid}/marketing-setting/", SWITCH_ON


def _chatflow_setting_on(world: World) -> Request:
    world.subject = chatflow_create(
        name="Support", welcome_message="Hi!", email_prompt="Your email?", thanks_message="Thanks!", actor=world.actor
    )
    return "POST", f"/conversations/{world.subject.pk}/marketing-setting/", SWITCH_ON


def _integration_setting_on(world: World) -> Request:
    world.subject, _ = integration_create(name="Shop", actor=world.actor)
    return "POST", f"/settings/integrations/{world.subject.pk}/marketing-on-create/", SWITCH_ON


def _integration_create(*, marketing_on_create: bool, scopes: tuple[str, ...]) -> Callable[[World], Request]:
    def request(world: World) -> Request:
        data = {"name": "Matrix app", "scopes": list(scopes)}
        return (
            "POST",
            "/settings/integrations/new/",
            data | ({"marketing_on_create": "on"} if marketing_on_create else {}),
        )

    return request


def _created_integration_sets_marketing(outcome: Outcome) -> None:
    integration = Integration.objects.get(name="Matrix app")
    assert creation_tool_setting_get(tool=CreationTool.INTEGRATION, source_id=str(integration.pk)) is True


def _created_integration_has_marketing_scope(outcome: Outcome) -> None:
    assert MARKETING_WRITE in Integration.objects.get(name="Matrix app").scopes


def _form_create(world: World) -> Request:
    return "POST", "/marketing/forms/new/", _form_builder_post("Matrix form")


def _created_form_sets_marketing(outcome: Outcome) -> None:
    """R5: on by default when its builder has access."""
    form = Form.objects.get(name="Matrix form")
    assert creation_tool_setting_get(tool=CreationTool.HUBSPOT_FORM, source_id=str(form.guid)) is True


def _workflow_create(world: World) -> Request:
    return "POST", "/automation/workflows/new/", _workflow_editor("Matrix workflow")


def _created_status_workflow(outcome: Outcome) -> None:
    workflow = Workflow.objects.get(name="Matrix workflow")
    assert list(workflow.actions.values_list("kind", "params")) == [
        (ActionKind.SET_MARKETING_STATUS, {"marketing": True})
    ]


def _workflow_switch_on(world: World) -> Request:
    contacts_make(count=1, actor=world.actor, lifecycle_stage="lead")  # enrolled once it is on
    workflow = _workflow(world, enabled=False)
    return "POST", f"/automation/workflows/{workflow.pk}/switch-on/", {"enroll_existing": "1"}


def _workflow_switched_on(outcome: Outcome) -> None:
    assert Workflow.objects.get(pk=outcome.world.subject.pk).is_enabled is True


def _workflow_retarget(world: World) -> Request:
    workflow = _workflow(world, enabled=True)
    return "POST", f"/automation/workflows/{workflow.pk}/", _workflow_editor(workflow.name, lifecycle_stage="customer")


def _workflow_retargeted(outcome: Outcome) -> None:
    triggers = Workflow.objects.get(pk=outcome.world.subject.pk).triggers
    assert triggers == [{"filters": [LEAD | {"value": "customer"}]}]


def _import_marketing(world: World) -> Request:
    imp = _import_draft(world)
    mapping = {"map-0-0": "contact.email", "map-0-1": "contact.first_name"}
    return "POST", f"/contacts-imports/{imp.pk}/map/", mapping | {"marketing": "1"}


def _admin_set_marketing(world: World) -> Request:
    _contacts(world, count=2)
    return _admin_changelist_action("set_marketing")(world)


def _admin_confirmation_shown(outcome: Outcome) -> None:
    """R15, B4: the admin action shows the index's confirmation, with the count to type; nothing changes yet."""
    assert outcome.response.status_code == 200
    assert 'name="confirm_count"' in outcome.page
    _unchanged(outcome)


def _admin_restore(world: World) -> Request:
    _archived_marketing_contact(world)
    return _admin_changelist_action("restore")(world)


def _admin_billing_contacts(world: World) -> Request:
    subscription = Subscription.objects.get()
    return "POST", f"/admin/billing/subscription/{subscription.pk}/change/", {"billing_contacts": [world.owner.pk]}


def _billing_contacts_changed(outcome: Outcome) -> None:
    assert list(Subscription.objects.get().billing_contacts.all()) == [outcome.world.owner]


def _api_inputs(world: World) -> dict:
    return {"inputs": [{"id": str(pk)} for pk in _ids(world)]}


def _api_set_marketing(world: World) -> Request:
    _contacts(world, count=2)
    return "POST", f"{MARKETING_API}/batch/set-marketing", _api_inputs(world)


def _api_set_non_marketing(world: World) -> Request:
    _contacts(world, count=2, marketing=True)
    return "POST", f"{MARKETING_API}/batch/set-non-marketing", _api_inputs(world)


def _api_create(world: World) -> Request:
    return "POST", CONTACTS_API, {"properties": {"email": "api@example.com", "hs_marketable_status": "true"}}


def _api_update(status: str, **options) -> Callable[[World], Request]:
    def request(world: World) -> Request:
        (contact,) = _contacts(world, **options)
        return "PATCH", f"{CONTACTS_API}/{contact.pk}", {"properties": {"hs_marketable_status": status}}

    return request


def _api_batch_create(world: World) -> Request:
    properties = {"email": "batch@example.com", "hs_marketable_status": "true"}
    return "POST", f"{CONTACTS_API}/batch/create", {"inputs": [{"properties": properties}]}


def _api_batch_update(world: World) -> Request:
    _contacts(world, count=2)
    inputs = [{"id": str(pk), "properties": {"hs_marketable_status": "true"}} for pk in _ids(world)]
    return "POST", f"{CONTACTS_API}/batch/update", {"inputs": inputs}


def _api_batch_upsert(world: World) -> Request:
    (existing,) = _contacts(world)
    inputs = [
        {"idProperty": "email", "id": email, "properties": {"hs_marketable_status": "true"}}
        for email in (existing.email, "upsert@example.com")
    ]
    return "POST", f"{CONTACTS_API}/batch/upsert", {"inputs": inputs}


def _upserted_marketing(outcome: Outcome) -> None:
    _became_marketing(outcome)
    _created_marketing("upsert@example.com")(outcome)


FORM_PERMISSIONS = ("leadforms.view_form", "leadforms.add_form", "leadforms.change_form")
CHATFLOW_PERMISSIONS = ("conversations.view_chatflow", "conversations.change_chatflow")
INTEGRATION_PERMISSIONS = (
    "integrations.view_integration",
    "integrations.add_integration",
    "integrations.change_integration",
)
WORKFLOW_PERMISSIONS = ("workflows.view_workflow", "workflows.add_workflow", "workflows.change_workflow")
ADMIN_CONTACT_PERMISSIONS = ("contacts.view_contact", "contacts.change_contact", "contacts.delete_contact")
SCREEN, ADMIN, API = Surface.SCREEN, Surface.ADMIN, Surface.API

ENDPOINTS = (
    Endpoint("bulk-set-marketing", SCREEN, _bulk_set_marketing, _became_marketing, CONTACT_PERMISSIONS),
    Endpoint(
        "bulk-set-marketing-all-matching",
        SCREEN,
        _bulk_set_marketing_all_matching,
        _became_marketing,
        CONTACT_PERMISSIONS,
    ),
    Endpoint("bulk-set-non-marketing", SCREEN, _bulk_set_non_marketing, _became_pending, CONTACT_PERMISSIONS),
    Endpoint("record-set-marketing", SCREEN, _record_set_marketing, _became_marketing, CONTACT_PERMISSIONS),
    Endpoint("record-set-non-marketing", SCREEN, _record_set_non_marketing, _became_pending, CONTACT_PERMISSIONS),
    Endpoint(
        "create-marketing-contact",
        SCREEN,
        _create_marketing_contact,
        _created_marketing("manual@example.com"),
        CONTACT_PERMISSIONS,
    ),
    Endpoint("wizard-update", SCREEN, _wizard_update, _became_pending, CONTACT_PERMISSIONS),
    Endpoint("tier-guard", SCREEN, _tier_guard_on, _tier_guard_turned_on),
    Endpoint("subscription-change", SCREEN, _subscription_raise_tier, _tier_raised),
    Endpoint(
        "enable-marketing-contacts", SCREEN, _enable_marketing_contacts, _marketing_contacts_enabled, enabled=False
    ),
    Endpoint("recycle-bin-restore", SCREEN, _recycle_bin_restore, _restored, CONTACT_PERMISSIONS),
    Endpoint(
        "non-hubspot-forms-setting",
        SCREEN,
        _non_hubspot_forms_on,
        _setting_on(CreationTool.NON_HUBSPOT_FORM, lambda world: ""),
    ),
    Endpoint(
        "form-setting",
        SCREEN,
        _form_setting_on,
        _setting_on(CreationTool.HUBSPOT_FORM, lambda world: world.subject.source_id),
        FORM_PERMISSIONS,
    ),
    Endpoint(
        "chatflow-setting",
        SCREEN,
        _chatflow_setting_on,
        _setting_on(CreationTool.CHATFLOW, lambda world: world.subject.source_id),
        CHATFLOW_PERMISSIONS,
    ),
    Endpoint(
        "integration-setting",
        SCREEN,
        _integration_setting_on,
        _setting_on(CreationTool.INTEGRATION, lambda world: str(world.subject.pk)),
        INTEGRATION_PERMISSIONS,
    ),
    Endpoint(
        "integration-create-marketing-on-create",
        SCREEN,
        _integration_create(marketing_on_create=True, scopes=(CONTACTS_READ, CONTACTS_WRITE)),
        _created_integration_sets_marketing,
        INTEGRATION_PERMISSIONS,
    ),
    Endpoint(
        "integration-create-marketing-scope",
        SCREEN,
        _integration_create(marketing_on_create=False, scopes=(CONTACTS_READ, CONTACTS_WRITE, MARKETING_WRITE)),
        _created_integration_has_marketing_scope,
        INTEGRATION_PERMISSIONS,
    ),
    Endpoint(
        "form-create",
        SCREEN,
        _form_create,
        _created_form_sets_marketing,
        FORM_PERMISSIONS,
        without_access=_form_starts_off,
    ),
    Endpoint("workflow-create-status-action", SCREEN, _workflow_create, _created_status_workflow, WORKFLOW_PERMISSIONS),
    Endpoint("workflow-switch-on", SCREEN, _workflow_switch_on, _workflow_switched_on, WORKFLOW_PERMISSIONS),
    Endpoint(
        "workflow-edit-triggers-while-on",
        SCREEN,
        _workflow_retarget,
        _workflow_retargeted,
        WORKFLOW_PERMISSIONS,
        without_access=_locked_and_unchanged,
    ),
    Endpoint(
        "import-as-marketing",
        SCREEN,
        _import_marketing,
        _created_marketing("ada@example.com", "bob@example.com"),
        ("imports.add_import",),
    ),
    Endpoint(
        "contact-set-marketing",
        ADMIN,
        _admin_set_marketing,
        _admin_confirmation_shown,
        ADMIN_CONTACT_PERMISSIONS,
        without_access=_refused_with_admin_message,
    ),
    Endpoint(
        "contact-restore",
        ADMIN,
        _admin_restore,
        _restored,
        ADMIN_CONTACT_PERMISSIONS,
        without_access=_refused_with_admin_message,
    ),
    Endpoint(
        "subscription-billing-contacts",
        ADMIN,
        _admin_billing_contacts,
        _billing_contacts_changed,
        ("billing.view_subscription", "billing.change_subscription"),
    ),
    Endpoint("set-marketing", API, _api_set_marketing, _became_marketing),
    Endpoint("set-non-marketing", API, _api_set_non_marketing, _became_pending),
    Endpoint("create-marketing", API, _api_create, _created_marketing("api@example.com")),
    Endpoint("update-to-marketing", API, _api_update("true"), _became_marketing),
    Endpoint("update-to-non-marketing", API, _api_update("false", marketing=True), _became_pending),
    Endpoint("batch-create-marketing", API, _api_batch_create, _created_marketing("batch@example.com")),
    Endpoint("batch-update-to-marketing", API, _api_batch_update, _became_marketing),
    Endpoint("batch-upsert-to-marketing", API, _api_batch_upsert, _upserted_marketing),
)


# --- Roles: who asks, and what each must get ------------------------------------------------------------


def _subscription(*, enabled: bool) -> None:
    """A Starter subscription, monthly, renewing on the 15th, limit 1,000 (as the `subscription` fixture)."""
    subscription_create(
        hub_tier=HubTier.STARTER,
        billing_cycle=BillingCycle.MONTHLY,
        contract_start=dt.date(2026, 1, 15),
        renewal_date=dt.date(2027, 1, 15),
        contact_tier_limit=1000,
        tier_block_size=1000,
    )
    if enabled:
        marketing_contacts_enable(actor=Actor.system("tests"))


def _user(endpoint: Endpoint, *, access: bool):
    """Every Django permission the endpoint needs (staff for the admin), and Marketing contact access or not."""
    user = UserFactory(is_staff=endpoint.surface is ADMIN)
    names = [*endpoint.permissions, *(["marketing_status.marketing_contact_access"] if access else [])]
    for name in names:
        app_label, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


def _token(*, marketing: bool) -> str:
    scopes = (CONTACTS_READ, CONTACTS_WRITE, *((MARKETING_WRITE,) if marketing else ()))
    _, token = integration_create(name="Matrix token", scopes=scopes, actor=Actor.system("tests"))
    return token


def _world(endpoint: Endpoint, role: Role) -> World:
    owner = UserFactory(is_staff=True, is_superuser=True)
    signs_in = endpoint.surface is not API and role in (Role.NO_ACCESS, Role.WITH_ACCESS)
    return World(owner=owner, user=_user(endpoint, access=role is Role.WITH_ACCESS) if signs_in else None)


def _client(endpoint: Endpoint, role: Role, world: World) -> Client:
    if endpoint.surface is API:
        client = APIClient()
        if role in (Role.ANONYMOUS, Role.TOKEN_WITHOUT_SCOPE):
            client.force_login(world.owner)
        if role is not Role.ANONYMOUS:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {_token(marketing=role is Role.WITH_ACCESS)}")
        return client
    if role is Role.TOKEN_WITHOUT_SCOPE:
        return Client(headers={"Authorization": f"Bearer {_token(marketing=False)}"})
    client = Client()
    if world.user is not None:
        client.force_login(world.user)
    return client


def _send(client: Client, surface: Surface, request: Request) -> HttpResponse:
    method, path, data = request
    send = getattr(client, method.lower())
    return send(path, data, format="json") if surface is API else send(path, data)


def _expect_signed_out(endpoint: Endpoint, outcome: Outcome) -> None:
    """Screens send whoever is not signed in to sign in (or answer 403); the API answers 401 JSON."""
    response = outcome.response
    if endpoint.surface is API:
        assert response.status_code == 401, outcome.page
        assert response.json()["category"] == "INVALID_AUTHENTICATION"
    elif response.status_code == 302:
        assert "/login/" in response["Location"]
    else:
        assert response.status_code == 403, outcome.page
    _unchanged(outcome)


def _expect_refused(endpoint: Endpoint, outcome: Outcome) -> None:
    """A 4xx that names the permission, and nothing changed; the API names the missing scope."""
    response = outcome.response
    if endpoint.without_access is not None:
        endpoint.without_access(outcome)
        return
    if endpoint.surface is API:
        assert response.status_code == 403, outcome.page
        assert response.json()["category"] == "MISSING_SCOPES"
        assert MARKETING_WRITE in outcome.page
    else:
        assert 400 <= response.status_code < 500, (response.status_code, _changed_tables(outcome), outcome.page)
        assert REASON in outcome.page, outcome.page
    _unchanged(outcome)


def _expect_changed(endpoint: Endpoint, outcome: Outcome) -> None:
    assert outcome.response.status_code < 400, (outcome.response.status_code, outcome.page)
    endpoint.changed(outcome)


def _expect_token_refused(endpoint: Endpoint, outcome: Outcome) -> None:
    """The API refuses the token (the session beside it lends nothing); the screens take it for nobody."""
    if endpoint.surface is API:
        _expect_refused(endpoint, outcome)
    else:
        _expect_signed_out(endpoint, outcome)


EXPECTED = {
    Role.ANONYMOUS: _expect_signed_out,
    Role.NO_ACCESS: _expect_refused,
    Role.WITH_ACCESS: _expect_changed,
    Role.TOKEN_WITHOUT_SCOPE: _expect_token_refused,
}


def _matrix() -> list:
    params = []
    for endpoint in ENDPOINTS:
        for role in Role:
            hole = endpoint.holes.get(role)
            marks = [pytest.mark.xfail(strict=True, reason=hole)] if hole else []
            params.append(pytest.param(endpoint, role, id=f"{endpoint.id}-{role}", marks=marks))
    return params


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded import files go to this test's own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize(("endpoint", "role"), _matrix())
def test_r30_changing_marketing_status_or_the_bill_needs_marketing_contact_access(
    endpoint, role, django_capture_on_commit_callbacks
):
    _subscription(enabled=endpoint.enabled)
    world = _world(endpoint, role)
    client = _client(endpoint, role, world)
    request = endpoint.setup(world)
    before = _snapshot()

    with django_capture_on_commit_callbacks(execute=True):  # what a request queues runs, refused or not
        response = _send(client, endpoint.surface, request)

    EXPECTED[role](endpoint, Outcome(world, client, response, before, _snapshot()))


def test_r30_the_matrix_names_each_endpoint_once():
    assert len({endpoint.id for endpoint in ENDPOINTS}) == len(ENDPOINTS)


# --- Users & groups: each path that creates or changes users or groups × the same four roles ---------------
# Here "no access" holds everything the path needs but its own Django permission (auth.add_user for
# invitations, auth.add_group… for groups; the page itself needs auth.change_user), "with access" holds it
# too. Giving Marketing contact access with a new user or group is what `user_marketing_access_set` allows.


@dataclass(frozen=True)
class AccountEndpoint:
    name: str
    setup: Callable[[World], Request]
    changed: Callable[[Outcome], None]
    permission: str  # the one a "no access" user lacks
    others: tuple[str, ...] = ("auth.change_user",)  # what both signed-in roles hold


def _account_snapshot() -> dict[str, list]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user_model = get_user_model()
    return {
        "users": list(user_model.objects.order_by("pk").values("pk", "username", "email", "password", "is_active")),
        "groups": list(Group.objects.order_by("pk").values("pk", "name")),
        "memberships": list(user_model.groups.through.objects.order_by("pk").values("user_id", "group_id")),
        "user_permissions": list(user_model.user_permissions.through.objects.order_by("pk").values()),
        "group_permissions": list(Group.permissions.through.objects.order_by("pk").values()),
        "mail": [message.to for message in _outbox()],
    }


def _outbox() -> list:
    from django.core import mail

    return list(getattr(mail, "outbox", []))


def _invitee_group(world: World):
    from django.contrib.auth.models import Group

    world.subject = Group.objects.create(name="Matrix team")
    return world.subject


def _account_invite(world: World) -> Request:
    group = _invitee_group(world)
    data = {"email": "invitee@example.com", "groups": [group.pk], "marketing_access": "on"}
    return "POST", "/settings/users/invite/", data


def _account_invited(outcome: Outcome) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(email="invitee@example.com")
    assert not user.has_usable_password() and user.has_perm("marketing_status.marketing_contact_access")
    assert [message.to for message in _outbox()] == [["invitee@example.com"]]


def _account_resend(world: World) -> Request:
    from accounts.services import user_invite

    world.subject = user_invite(email="invitee@example.com", base_url="http://testserver", actor=world.actor)
    return "POST", f"/settings/users/{world.subject.pk}/resend-invitation/", {}


def _account_resent(outcome: Outcome) -> None:
    assert [message.to for message in _outbox()] == [["invitee@example.com"]]


def _account_deactivate(world: World) -> Request:
    world.subject = UserFactory()
    return "POST", f"/settings/users/{world.subject.pk}/active/", {"value": "0"}


def _account_deactivated(outcome: Outcome) -> None:
    outcome.world.subject.refresh_from_db()
    assert outcome.world.subject.is_active is False


def _account_group_create(world: World) -> Request:
    world.subject = UserFactory()
    return (
        "POST",
        "/settings/users/groups/new/",
        {"name": "New team", "members": [world.subject.pk], "marketing_access": "on"},
    )


def _account_group_created(outcome: Outcome) -> None:
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="New team")
    assert list(group.user_set.all()) == [outcome.world.subject] and group.permissions.count() == 1


def _account_group_rename(world: World) -> Request:
    return "POST", f"/settings/users/groups/{_invitee_group(world).pk}/", {"name": "Renamed team"}


def _account_group_renamed(outcome: Outcome) -> None:
    outcome.world.subject.refresh_from_db()
    assert outcome.world.subject.name == "Renamed team"


def _account_group_delete(world: World) -> Request:
    return "POST", f"/settings/users/groups/{_invitee_group(world).pk}/delete/", {"confirm": "yes"}


def _account_group_deleted(outcome: Outcome) -> None:
    from django.contrib.auth.models import Group

    assert not Group.objects.filter(pk=outcome.world.subject.pk).exists()


ACCOUNT_ENDPOINTS = (
    AccountEndpoint("invite-user", _account_invite, _account_invited, "auth.add_user"),
    AccountEndpoint("resend-invitation", _account_resend, _account_resent, "auth.add_user"),
    AccountEndpoint(
        "deactivate-user", _account_deactivate, _account_deactivated, "auth.change_user", others=("auth.add_user",)
    ),
    AccountEndpoint("create-group", _account_group_create, _account_group_created, "auth.add_group"),
    AccountEndpoint("rename-group", _account_group_rename, _account_group_renamed, "auth.change_group"),
    AccountEndpoint("delete-group", _account_group_delete, _account_group_deleted, "auth.delete_group"),
)


def _account_user(endpoint: AccountEndpoint, *, granted: bool):
    user = UserFactory(is_staff=True)
    for name in (*endpoint.others, *([endpoint.permission] if granted else [])):
        app_label, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


def _account_client(endpoint: AccountEndpoint, role: Role) -> Client:
    if role is Role.TOKEN_WITHOUT_SCOPE:
        return Client(headers={"Authorization": f"Bearer {_token(marketing=True)}"})
    client = Client()
    if role in (Role.NO_ACCESS, Role.WITH_ACCESS):
        client.force_login(_account_user(endpoint, granted=role is Role.WITH_ACCESS))
    return client


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("endpoint", ACCOUNT_ENDPOINTS, ids=[endpoint.name for endpoint in ACCOUNT_ENDPOINTS])
def test_users_and_groups_paths_need_their_permission(endpoint, role, mailoutbox, django_capture_on_commit_callbacks):
    """Anonymous (or a bare API token) is sent to sign in; without the permission, a 403 and nothing changed."""
    world = World(owner=UserFactory(is_staff=True, is_superuser=True))
    client = _account_client(endpoint, role)
    method, path, data = endpoint.setup(world)
    mailoutbox.clear()
    before = _account_snapshot()

    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client, method.lower())(path, data)

    outcome = Outcome(world, client, response, {}, {})
    if role is Role.WITH_ACCESS:
        assert response.status_code == 302, outcome.page
        endpoint.changed(outcome)
        return
    if role is Role.NO_ACCESS:
        assert response.status_code == 403, outcome.page
    else:
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert _account_snapshot() == before
