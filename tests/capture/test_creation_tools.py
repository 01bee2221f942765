"""R3–R9 in one table: every creation tool, through its own entry point, for a new contact and for an
existing marketing, non-marketing and pending contact, with its setting on and off where it has one.

Each row names the tool's entry point (a form submission, a chat message, a booking, an import…), the
setting, and what the contact's marketing properties must be afterwards: `hs_marketable_status`,
`hs_marketable_until_renewal`, the reason type and the reason id (the id of the form, chatflow, link,
ticket, import… that acted). "kept" means an existing contact's status, reason and history do not
change at all (R9 tools, chatflows R7, forms and imports without the setting). The per-tool test
modules hold the details; this table shows the whole policy at a glance.
"""

from dataclasses import dataclass
from datetime import time

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.utils import timezone

from contacts.models import Contact
from conversations.services import chatflow_create, conversation_start, visitor_message_post
from engagements.selectors import link_free_slots
from engagements.services import email_log, extension_contact_capture, meeting_book, meeting_link_create, ticket_create
from engagements.slots import Window
from imports.models import Import
from imports.services import import_create, import_run
from integrations.scopes import CONTACTS_WRITE
from integrations.services import integration_create
from leadforms.builder import FieldSpec, form_create
from leadforms.submissions import CapturedField, external_form_capture, form_submit
from marketing_status.actors import Actor
from marketing_status.creation import contacts_create
from marketing_status.models import MarketingStatusChange
from marketing_status.policy import CreationTool
from marketing_status.services import contacts_set_marketing, contacts_set_non_marketing, creation_tool_setting_set

EMAIL = "person@example.com"
NEW, NON_MARKETING, MARKETING, PENDING = "new", "non-marketing", "marketing", "pending"
KEPT = "kept"


@dataclass
class World:
    """What the entry points need: a user with every permission, and each tool's source object."""

    user: object
    actor: Actor


@pytest.fixture
def world(subscription, marketer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    marketer.user_permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["leadforms", "conversations", "engagements", "imports"])
    )
    marketer = type(marketer).objects.get(pk=marketer.pk)  # permissions are cached per instance
    return World(user=marketer, actor=Actor.for_user(marketer))


def _setting(world: World, tool: CreationTool, source_id: str, on: bool | None) -> None:
    if on is not None:
        creation_tool_setting_set(tool=tool, source_id=source_id, marketing_on_create=on, actor=world.actor)


# --- Entry points: each creates or matches the contact with EMAIL and returns the expected reason id ------


def via_hubspot_form(world: World, on: bool | None) -> str:
    form = form_create(name="Newsletter", fields=[FieldSpec("email", required=True)], actor=world.actor)
    _setting(world, CreationTool.HUBSPOT_FORM, form.source_id, on)
    form_submit(form=form, values={"email": EMAIL})
    return form.source_id


def via_non_hubspot_form(world: World, on: bool | None) -> str:
    _setting(world, CreationTool.NON_HUBSPOT_FORM, "", on)
    submission = external_form_capture(
        page_url="https://shop.example/contact", fields=[CapturedField("email", EMAIL, "email")], form_id_attr="c"
    )
    return submission.external_form.source_id


def via_chatflow(world: World, on: bool | None) -> str:
    chatflow = chatflow_create(
        name="Pricing chat",
        welcome_message="Hi",
        email_prompt="Your email?",
        thanks_message="Thanks",
        actor=world.actor,
    )
    _setting(world, CreationTool.CHATFLOW, str(chatflow.pk), on)
    visitor_message_post(conversation=conversation_start(chatflow=chatflow).conversation, text=EMAIL)
    return str(chatflow.pk)


def via_integration(world: World, on: bool | None) -> str:
    integration, _ = integration_create(name="Shop sync", scopes=(CONTACTS_WRITE,), actor=Actor.system("tests"))
    _setting(world, CreationTool.INTEGRATION, str(integration.pk), on)
    actor = Actor.for_integration(integration.pk, scopes=integration.scope_set)
    contacts_create(data=[{"email": EMAIL}], tool=CreationTool.INTEGRATION, actor=actor, source_id=str(integration.pk))
    return str(integration.pk)


def via_manual(world: World, on: bool | None) -> str:
    contacts_create(data=[{"email": EMAIL}], tool=CreationTool.MANUAL, actor=world.actor, marketing=bool(on))
    return str(world.user.pk)


def _import(world: World, kind: str, *, marketing: bool, companies: bytes | None = None) -> str:
    files = {
        "contacts": ContentFile(
            b"Email,Company Name,Company Domain\n" + EMAIL.encode() + b",Acme,acme.example\n", "c.csv"
        )
    }
    if companies is not None:
        files["companies"] = ContentFile(companies, "companies.csv")
    imp = import_create(files=files, kind=kind, actor=world.actor, marketing=marketing)
    import_run(import_id=imp.pk)
    return str(imp.pk)


def via_import(world: World, on: bool | None) -> str:
    return _import(world, Import.Kind.SINGLE, marketing=bool(on))


def via_multi_object_import(world: World, on: bool | None) -> str:
    return _import(world, Import.Kind.MULTI_OBJECT, marketing=False)


def via_multi_file_import(world: World, on: bool | None) -> str:
    return _import(
        world, Import.Kind.MULTI_FILE, marketing=False, companies=b"Company Name,Company Domain\nAcme,acme.example\n"
    )


def via_logged_email(world: World, on: bool | None) -> str:
    result = email_log(to=[EMAIL], subject="Hello", sent_at=timezone.now(), actor=world.actor)
    return str(result.email_log.pk)


def via_meetings_link(world: World, on: bool | None) -> str:
    windows = [Window(day, time(0), time(23, 30)) for day in range(7)]
    link = meeting_link_create(
        owner=world.user,
        name="Demo",
        slug="demo",
        duration_minutes=30,
        days_ahead=7,
        windows=windows,
        actor=world.actor,
    )
    meeting_book(link=link, start=link_free_slots(link=link)[0], name="Pat Doe", email=EMAIL)
    return str(link.pk)


def via_ticket(world: World, on: bool | None) -> str:
    return str(ticket_create(subject="Broken", requester_email=EMAIL, actor=world.actor).ticket.pk)


def via_mobile_app(world: World, on: bool | None) -> str:
    extension_contact_capture(source="MOBILE_APP", properties={"email": EMAIL}, actor=world.actor)
    return world.actor.id


def via_email_extension(world: World, on: bool | None) -> str:
    extension_contact_capture(source="EMAIL_EXTENSION", properties={"email": EMAIL}, actor=world.actor)
    return world.actor.id


# --- The table ---------------------------------------------------------------------------------------------
# (rule, tool, entry point, setting: None = its default, outcome for a new contact, for an existing
# non-marketing, pending and marketing contact). An outcome is (status, pending, reason type) or KEPT;
# the reason id is what the entry point returned.

M, N = (True, False), (False, False)
IMPORT, FORM, CHAT, INTEGRATOR, USER, EMAIL_REASON, INITIAL = (
    "CONTACT_IMPORT",
    "FORM_SUBMISSION",
    "CONVERSATION",
    "INTEGRATOR_SET",
    "USER_SET",
    "EMAIL",
    "INITIAL_STATE",
)
CREATE_ONLY = None  # tools that only create (a second creation with the same email is a conflict)

TABLE = [
    ("R3", CreationTool.MANUAL, via_manual, True, (*M, USER), CREATE_ONLY, CREATE_ONLY, CREATE_ONLY),
    ("R3", CreationTool.MANUAL, via_manual, False, (*N, USER), CREATE_ONLY, CREATE_ONLY, CREATE_ONLY),
    ("R4", CreationTool.IMPORT, via_import, True, (*M, IMPORT), (*M, IMPORT), (*M, IMPORT), KEPT),
    ("R4", CreationTool.IMPORT, via_import, None, (*N, IMPORT), KEPT, KEPT, KEPT),
    ("R4", CreationTool.MULTI_IMPORT, via_multi_object_import, None, (*N, IMPORT), KEPT, KEPT, KEPT),
    ("R4", CreationTool.MULTI_IMPORT, via_multi_file_import, None, (*N, IMPORT), KEPT, KEPT, KEPT),
    ("R5", CreationTool.HUBSPOT_FORM, via_hubspot_form, None, (*M, FORM), (*M, FORM), (*M, FORM), KEPT),
    ("R5", CreationTool.HUBSPOT_FORM, via_hubspot_form, False, (*N, FORM), KEPT, KEPT, KEPT),
    ("R6", CreationTool.NON_HUBSPOT_FORM, via_non_hubspot_form, None, (*M, FORM), (*M, FORM), (*M, FORM), KEPT),
    ("R6", CreationTool.NON_HUBSPOT_FORM, via_non_hubspot_form, False, (*N, FORM), KEPT, KEPT, KEPT),
    ("R7", CreationTool.CHATFLOW, via_chatflow, None, (*N, CHAT), KEPT, KEPT, KEPT),
    ("R7", CreationTool.CHATFLOW, via_chatflow, True, (*M, CHAT), KEPT, KEPT, KEPT),
    ("R8", CreationTool.INTEGRATION, via_integration, None, (*N, INTEGRATOR), CREATE_ONLY, CREATE_ONLY, CREATE_ONLY),
    ("R8", CreationTool.INTEGRATION, via_integration, True, (*M, INTEGRATOR), CREATE_ONLY, CREATE_ONLY, CREATE_ONLY),
    ("R9", CreationTool.ONE_TO_ONE_EMAIL, via_logged_email, None, (*N, EMAIL_REASON), KEPT, KEPT, KEPT),
    ("R9", CreationTool.MEETINGS, via_meetings_link, None, (*N, INITIAL), KEPT, KEPT, KEPT),
    ("R9", CreationTool.TICKET, via_ticket, None, (*N, INITIAL), KEPT, KEPT, KEPT),
    ("R9", CreationTool.MOBILE_APP, via_mobile_app, None, (*N, INITIAL), KEPT, KEPT, KEPT),
    ("R9", CreationTool.EMAIL_EXTENSION, via_email_extension, None, (*N, EMAIL_REASON), KEPT, KEPT, KEPT),
]


def _cases():
    for rule, tool, entry, setting, *outcomes in TABLE:
        for before, outcome in zip((NEW, NON_MARKETING, PENDING, MARKETING), outcomes, strict=True):
            if outcome is CREATE_ONLY:
                continue
            label = f"{rule}-{tool.value}-setting-{'default' if setting is None else ('on' if setting else 'off')}"
            yield pytest.param(tool, entry, setting, before, outcome, id=f"{label}-{before}")


def _existing(world: World, before: str) -> Contact:
    (contact,) = contacts_create(
        data=[{"email": EMAIL, "first_name": "Pat"}], tool=CreationTool.MANUAL, actor=world.actor
    )
    if before in (MARKETING, PENDING):
        contacts_set_marketing(contacts=[contact.pk], actor=world.actor)
    if before == PENDING:
        contacts_set_non_marketing(contacts=[contact.pk], actor=world.actor)
    return Contact.objects.get(pk=contact.pk)


def _properties(contact: Contact) -> tuple:
    return (
        contact.marketable_status,
        contact.marketable_until_renewal,
        contact.marketable_reason_type,
        contact.marketable_reason_id,
        contact.creation_tool,
    )


@pytest.mark.parametrize(("tool", "entry", "setting", "before", "outcome"), list(_cases()))
def test_r3_r9_status_of_a_contact_by_creation_tool(world, tool, entry, setting, before, outcome):
    existing = None if before == NEW else _existing(world, before)
    history_before = list(MarketingStatusChange.objects.order_by("pk").values_list("pk", flat=True))

    reason_id = entry(world, setting)

    (contact,) = Contact.objects.filter(email=EMAIL)  # matched, never duplicated
    changes = MarketingStatusChange.objects.exclude(pk__in=history_before).filter(contact=contact)
    if outcome == KEPT:
        assert _properties(contact) == _properties(existing)
        assert not changes.exists()
        return
    status, pending, reason_type = outcome
    expected_tool = tool if existing is None else CreationTool.MANUAL  # a match keeps how it was created
    assert _properties(contact) == (status, pending, reason_type, reason_id, expected_tool)
    change = changes.get()  # exactly one history row, for the creation or the switch
    assert (change.new_status, change.new_until_renewal, change.reason_type, change.reason_id) == (
        status,
        pending,
        reason_type,
        reason_id,
    )
    assert change.old_status == (None if existing is None else existing.marketable_status)


def test_every_creation_tool_is_in_the_table():
    """R2: every tool that creates contacts for people has a row (sample contacts, deals, documents and the
    team inbox create contacts only through the engine in this product)."""
    assert {row[1] for row in TABLE} >= set(CreationTool) - {
        CreationTool.SAMPLE,
        CreationTool.DEAL,
        CreationTool.DOCUMENT,
        CreationTool.TEAM_INBOX,
    }
