"""R30 through chatflows: a chatflow whose "Set created contacts as marketing contacts" setting is on (R7) sets
every chatting visitor's new contact as marketing, so only a person with Marketing contact access switches that
setting on or switches such a chatflow on. Anyone with the chatflow permissions creates chatflows (off, R7's
default), edits them and switches them off. Refusals change nothing."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from contacts.models import Contact
from conversations.models import Chatflow
from conversations.services import chatflow_update
from conversations.views import SWITCH_ON_LOCKED
from marketing_status.actors import Actor, MarketingStatusPermissionDenied
from marketing_status.models import CreationToolSetting, CreationToolSettingChange
from marketing_status.policy import CreationTool
from marketing_status.selectors import creation_tool_setting_get
from marketing_status.services import creation_tool_setting_set
from tests.capture.helpers import rule_ids_shown

pytestmark = pytest.mark.django_db
NEW = reverse("conversations:create")
CHATFLOW_PERMISSIONS = ("view_chatflow", "add_chatflow", "change_chatflow")
FIELDS = {
    "name": "Support",
    "welcome_message": "Hello!",
    "email_prompt": "Your email, please?",
    "thanks_message": "Thank you!",
}


def _may_chat(user):
    user.user_permissions.add(*Permission.objects.filter(codename__in=CHATFLOW_PERMISSIONS))
    return type(user).objects.get(pk=user.pk)  # a fresh permission cache


@pytest.fixture
def sales_editor(sales_user):
    """The `sales_user` (no Marketing contact access) with the chatflow permissions."""
    return _may_chat(sales_user)


@pytest.fixture
def marketing_editor(marketer):
    return _may_chat(marketer)


@pytest.fixture
def marketing_chatflow_off(chatflow, marketing_editor):
    """The `chatflow` fixture, its setting switched on by a marketer, then switched off."""
    actor = Actor.for_user(marketing_editor)
    creation_tool_setting_set(
        tool=CreationTool.CHATFLOW, source_id=chatflow.source_id, marketing_on_create=True, actor=actor
    )
    return chatflow_update(chatflow=chatflow, is_enabled=False, actor=actor)


def _setting(chatflow) -> bool:
    return creation_tool_setting_get(tool=CreationTool.CHATFLOW, source_id=chatflow.source_id)


def _edit(chatflow) -> str:
    return reverse("conversations:edit", args=[chatflow.pk])


def _chat(client, chatflow, email: str):
    """A visitor opens the widget and gives `email`; returns the start's status code."""
    started = client.post(
        reverse("conversations_public:start", args=[chatflow.public_id]), data="{}", content_type="application/json"
    )
    if started.status_code != 201:
        return started.status_code
    token = started.json()["token"]
    posted = client.post(
        reverse("conversations_public:messages", args=[token]),
        data=json.dumps({"text": f"I am {email}"}),
        content_type="application/json",
    )
    assert posted.status_code in (200, 201), posted.content
    return started.status_code


def _chatflows() -> list:
    return list(Chatflow.objects.order_by("pk").values())


def test_r30_chatflow_built_without_access_creates_non_marketing(client, subscription, sales_editor):
    client.force_login(sales_editor)
    assert client.post(NEW, FIELDS | {"is_enabled": "on"}).status_code == 302
    chatflow = Chatflow.objects.get()
    assert (chatflow.is_enabled, _setting(chatflow)) == (True, False)
    assert (CreationToolSetting.objects.count(), CreationToolSettingChange.objects.count()) == (0, 0)
    client.logout()
    assert _chat(client, chatflow, "visitor@example.com") == 201
    visitor = Contact.objects.get(email="visitor@example.com")
    assert (visitor.marketable_status, visitor.marketable_reason_type) == (False, "CONVERSATION")


def test_r30_switching_the_setting_on_without_access_is_refused_and_changes_nothing(
    client, subscription, sales_editor, chatflow, db_state
):
    client.force_login(sales_editor)
    before, chatflows = db_state(), _chatflows()
    response = client.post(reverse("conversations:marketing_setting", args=[chatflow.pk]), {"value": "1"})
    assert response.status_code == 403
    assert "Marketing contact access" in response.content.decode()
    assert db_state() == before and _chatflows() == chatflows
    client.logout()
    _chat(client, chatflow, "visitor@example.com")
    assert Contact.objects.get(email="visitor@example.com").marketable_status is False


def test_r30_switching_on_a_marketing_chatflow_without_access_is_refused_and_changes_nothing(
    subscription, sales_editor, marketing_chatflow_off, db_state
):
    before, chatflows = db_state(), _chatflows()
    with pytest.raises(MarketingStatusPermissionDenied):
        chatflow_update(
            chatflow=marketing_chatflow_off, is_enabled=True, name="Renamed", actor=Actor.for_user(sales_editor)
        )
    assert db_state() == before and _chatflows() == chatflows


def test_r30_the_editor_shows_on_disabled_with_the_reason_and_keeps_the_chatflow_off(
    client, subscription, sales_editor, marketing_chatflow_off, db_state
):
    client.force_login(sales_editor)
    page = client.get(_edit(marketing_chatflow_off)).content.decode()
    assert 'id="id_is_enabled"  disabled aria-describedby="id_is_enabled-why"' in page
    assert f'<span class="muted" id="id_is_enabled-why">{SWITCH_ON_LOCKED}</span>' in page
    assert rule_ids_shown(page) == []
    before = db_state()
    response = client.post(_edit(marketing_chatflow_off), FIELDS | {"is_enabled": "on"})
    assert response.status_code == 302
    chatflow = Chatflow.objects.get()
    assert (chatflow.name, chatflow.is_enabled) == ("Support", False)  # the other fields are saved
    assert db_state() == before
    client.logout()
    assert _chat(client, chatflow, "visitor@example.com") == 404
    assert not Contact.objects.exists()


def test_r30_without_access_a_chatflow_may_be_switched_off_or_on_while_its_setting_is_off(
    subscription, sales_editor, chatflow, marketer_actor
):
    actor = Actor.for_user(sales_editor)
    chatflow = chatflow_update(chatflow=chatflow, is_enabled=False, actor=actor)
    chatflow = chatflow_update(chatflow=chatflow, is_enabled=True, actor=actor)
    assert chatflow.is_enabled is True
    creation_tool_setting_set(
        tool=CreationTool.CHATFLOW, source_id=chatflow.source_id, marketing_on_create=True, actor=marketer_actor
    )
    # A chatflow that is on and creates marketing contacts may be edited and switched off, not on again.
    chatflow = chatflow_update(chatflow=chatflow, is_enabled=True, thanks_message="Merci", actor=actor)
    chatflow = chatflow_update(chatflow=chatflow, is_enabled=False, actor=actor)
    assert (chatflow.is_enabled, chatflow.thanks_message) == (False, "Merci")


def test_r30_with_access_a_marketing_chatflow_is_switched_on_and_sets_its_new_contacts(
    client, subscription, marketing_editor, marketing_chatflow_off
):
    client.force_login(marketing_editor)
    page = client.get(_edit(marketing_chatflow_off)).content.decode()
    assert SWITCH_ON_LOCKED not in page
    assert client.post(_edit(marketing_chatflow_off), FIELDS | {"is_enabled": "on"}).status_code == 302
    chatflow = Chatflow.objects.get()
    assert chatflow.is_enabled is True
    client.logout()
    assert _chat(client, chatflow, "visitor@example.com") == 201
    visitor = Contact.objects.get(email="visitor@example.com")
    assert (visitor.marketable_status, visitor.marketable_reason_id) == (True, chatflow.source_id)
