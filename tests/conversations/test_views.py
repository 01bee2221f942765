"""Conversations > Chatflows: list, create, edit, R7's toggle with its history (R30), install snippet, transcripts
and agents' replies, with and without each permission; refusals change nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conversations.models import Chatflow, Message
from conversations.services import conversation_start, visitor_message_post
from marketing_status.models import CreationToolSetting, CreationToolSettingChange
from marketing_status.policy import CreationTool
from marketing_status.selectors import creation_tool_setting_get
from tests.conftest import FROZEN_START
from tests.conversations.conftest import with_perms

pytestmark = pytest.mark.django_db

INDEX = reverse("conversations:index")
NEW = reverse("conversations:create")
FIELDS = {
    "name": "Support",
    "welcome_message": "Hello!",
    "email_prompt": "Your email, please?",
    "thanks_message": "Thank you!",
    "is_enabled": "on",
}


@pytest.fixture
def viewer(db):
    return with_perms("view_chatflow")


@pytest.fixture
def editor(db):
    """May create and change chatflows, but lacks Marketing contact access (R30)."""
    return with_perms("view_chatflow", "add_chatflow", "change_chatflow")


@pytest.fixture
def marketing_editor(db):
    return with_perms("view_chatflow", "add_chatflow", "change_chatflow", "marketing_contact_access")


@pytest.fixture
def agent(db):
    return with_perms("view_chatflow", "view_conversation", "change_conversation")


def _edit(chatflow) -> str:
    return reverse("conversations:edit", args=[chatflow.pk])


def _toggle(chatflow) -> str:
    return reverse("conversations:marketing_setting", args=[chatflow.pk])


def _setting(chatflow) -> bool:
    return creation_tool_setting_get(tool=CreationTool.CHATFLOW, source_id=chatflow.source_id)


def _chatflows() -> list:
    return list(Chatflow.objects.order_by("pk").values())


# --- Permissions ---------------------------------------------------------------------------------


def test_pages_need_sign_in(client, chatflow):
    for url in (INDEX, NEW, _edit(chatflow), reverse("conversations:conversations", args=[chatflow.pk])):
        response = client.get(url)
        assert (response.status_code, response["Location"].split("?")[0]) == (302, reverse("login"))


@pytest.mark.parametrize(
    ("perms", "expected"),
    [
        ((), {"index": 403, "new": 403, "edit": 403, "conversations": 403}),
        (("view_chatflow",), {"index": 200, "new": 403, "edit": 200, "conversations": 403}),
        (("view_chatflow", "add_chatflow"), {"index": 200, "new": 200, "edit": 200, "conversations": 403}),
        (("view_conversation",), {"index": 403, "new": 403, "edit": 403, "conversations": 200}),
    ],
    ids=["none", "view", "view+add", "transcripts-only"],
)
def test_pages_with_and_without_permissions(client, chatflow, perms, expected):
    client.force_login(with_perms(*perms))
    urls = {
        "index": INDEX,
        "new": NEW,
        "edit": _edit(chatflow),
        "conversations": reverse("conversations:conversations", args=[chatflow.pk]),
    }
    assert {name: client.get(url).status_code for name, url in urls.items()} == expected


def test_creating_needs_add_chatflow(client, viewer):
    client.force_login(viewer)
    assert client.post(NEW, FIELDS).status_code == 403
    assert Chatflow.objects.count() == 0


def test_saving_needs_change_chatflow(client, viewer, chatflow):
    client.force_login(viewer)
    before = _chatflows()
    response = client.post(_edit(chatflow), {**FIELDS, "name": "Renamed"})
    assert response.status_code == 403
    assert _chatflows() == before
    page = client.get(_edit(chatflow)).content.decode()
    assert 'id="save"' not in page and "disabled" in page


# --- List, create, edit --------------------------------------------------------------------------


def test_index_lists_chatflows_with_conversation_counts(client, viewer, chatflow, system_actor):
    from conversations.services import chatflow_create

    quiet = chatflow_create(name="Quiet", welcome_message="W", email_prompt="E", thanks_message="T", actor=system_actor)
    for _ in range(3):
        conversation_start(chatflow=chatflow)
    client.force_login(viewer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(INDEX)
    assert response.status_code == 200
    counts = {row.name: row.conversation_count for row in response.context["chatflows"]}
    assert counts == {"Pricing page": 3, "Quiet": 0}
    assert f'data-chatflow="{quiet.pk}"' in response.content.decode()
    assert len(queries) <= 6


def test_create_then_edit(client, editor):
    client.force_login(editor)
    assert "Hi! How can we help you today?" in client.get(NEW).content.decode()  # defaults to start from
    response = client.post(NEW, FIELDS)
    chatflow = Chatflow.objects.get()
    assert response["Location"] == _edit(chatflow)
    assert (chatflow.name, chatflow.thanks_message, chatflow.is_enabled, chatflow.created_by) == (
        "Support",
        "Thank you!",
        True,
        editor,
    )
    assert _setting(chatflow) is False  # R7: off by default
    without_on = {key: value for key, value in FIELDS.items() if key != "is_enabled"}
    client.post(_edit(chatflow), {**without_on, "name": "Support chat"})
    chatflow.refresh_from_db()
    assert (chatflow.name, chatflow.is_enabled) == ("Support chat", False)


def test_invalid_form_shows_errors_and_keeps_the_input(client, editor):
    client.force_login(editor)
    response = client.post(NEW, {**FIELDS, "name": "", "welcome_message": "x" * 1001})
    page = response.content.decode()
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "welcome_message"}
    assert "Your email, please?" in page  # nothing typed is lost
    assert Chatflow.objects.count() == 0


def test_edit_shows_the_public_id_and_the_install_snippet(client, viewer, chatflow, settings):
    client.force_login(viewer)
    page = client.get(_edit(chatflow)).content.decode()
    assert str(chatflow.public_id) in page
    src = "http://testserver/conversations/v1/widget.js"
    assert f"&lt;script src=&quot;{src}&quot; data-chatflow=&quot;{chatflow.public_id}&quot; async&gt;" in page
    settings.CRM_PUBLIC_URL = "https://crm.example.com"
    page = client.get(_edit(chatflow)).content.decode()
    assert "https://crm.example.com/conversations/v1/widget.js" in page


# --- R7's toggle (R30) ---------------------------------------------------------------------------


def test_r7_toggle_switches_and_records_who_when_old_new(client, marketing_editor, chatflow, frozen_clock):
    client.force_login(marketing_editor)
    response = client.post(_toggle(chatflow), {"value": "1"})
    assert response["Location"] == _edit(chatflow) + "#marketing-setting"
    assert _setting(chatflow) is True
    change = CreationToolSettingChange.objects.get()
    assert (
        change.tool,
        change.source_id,
        change.old_value,
        change.new_value,
        change.changed_by,
        change.changed_at,
    ) == (
        CreationTool.CHATFLOW,
        str(chatflow.pk),
        False,
        True,
        marketing_editor,
        FROZEN_START,
    )
    page = client.get(_edit(chatflow)).content.decode()
    assert "marketing contacts</strong>" in page and marketing_editor.get_username() in page
    client.post(_toggle(chatflow), {"value": "0"})
    assert _setting(chatflow) is False
    assert CreationToolSettingChange.objects.count() == 2


def test_r30_toggle_refused_without_marketing_contact_access_changes_nothing(client, editor, chatflow, db_state):
    client.force_login(editor)
    page = client.get(_edit(chatflow)).content.decode()
    assert 'id="marketing-setting-why"' in page  # the switch is disabled, and says why
    before = db_state()
    response = client.post(_toggle(chatflow), {"value": "1"})
    assert response.status_code == 403
    assert db_state() == before
    assert CreationToolSetting.objects.count() == 0


def test_toggle_needs_change_chatflow(client, chatflow, db_state):
    client.force_login(with_perms("view_chatflow", "marketing_contact_access"))
    before = db_state()
    assert client.post(_toggle(chatflow), {"value": "1"}).status_code == 403
    assert db_state() == before


def test_toggle_refuses_a_bad_value(client, marketing_editor, chatflow, db_state):
    client.force_login(marketing_editor)
    before = db_state()
    assert client.post(_toggle(chatflow), {"value": "yes"}).status_code == 400
    assert client.get(_toggle(chatflow)).status_code == 405
    assert db_state() == before


# --- Transcripts ---------------------------------------------------------------------------------


@pytest.fixture
def chat(subscription, chatflow):
    conversation = conversation_start(chatflow=chatflow).conversation
    visitor_message_post(conversation=conversation, text="Hi there")
    visitor_message_post(conversation=conversation, text="kim@example.com")
    conversation.refresh_from_db()
    return conversation


def _conversation_url(conversation, name="conversation") -> str:
    return reverse(f"conversations:{name}", args=[conversation.chatflow_id, conversation.pk])


def test_transcripts_list_and_page_show_messages_and_the_contact(client, agent, chat):
    client.force_login(agent)
    listing = client.get(reverse("conversations:conversations", args=[chat.chatflow_id])).content.decode()
    assert "kim@example.com" in listing and _conversation_url(chat) in listing
    page = client.get(_conversation_url(chat)).content.decode()
    for text in ("Hi! How can we help?", "Hi there", "What is your email?", "Thanks, we will be in touch."):
        assert text in page
    assert reverse("contacts:record", args=[chat.contact_id]) in page
    assert 'id="reply-form"' in page


def test_agent_reply_is_stored_as_an_agent_message(client, agent, chat):
    client.force_login(agent)
    response = client.post(_conversation_url(chat, "reply"), {"text": "  Happy to help!  "})
    assert response["Location"] == _conversation_url(chat)
    message = Message.objects.get(conversation=chat, seq=6)
    assert (message.sender, message.text, message.author) == ("agent", "Happy to help!", agent)


def test_reply_needs_change_conversation(client, chat):
    reader = with_perms("view_conversation")
    client.force_login(reader)
    assert 'id="reply-form"' not in client.get(_conversation_url(chat)).content.decode()
    assert client.post(_conversation_url(chat, "reply"), {"text": "hi"}).status_code == 403
    assert Message.objects.filter(conversation=chat).count() == 5


def test_empty_reply_shows_the_error_and_stores_nothing(client, agent, chat):
    client.force_login(agent)
    response = client.post(_conversation_url(chat, "reply"), {"text": "   "})
    assert response.status_code == 400
    assert response.context["form"].errors["text"]
    assert Message.objects.filter(conversation=chat).count() == 5


def test_conversation_of_another_chatflow_is_404(client, agent, chat, system_actor):
    from conversations.services import chatflow_create

    other = chatflow_create(name="Other", welcome_message="W", email_prompt="E", thanks_message="T", actor=system_actor)
    client.force_login(agent)
    assert client.get(reverse("conversations:conversation", args=[other.pk, chat.pk])).status_code == 404
    assert client.post(reverse("conversations:reply", args=[other.pk, chat.pk]), {"text": "x"}).status_code == 404
    assert Message.objects.filter(conversation=chat).count() == 5


def test_transcripts_list_query_count_does_not_grow_with_conversations(client, agent, chatflow, subscription):
    url = reverse("conversations:conversations", args=[chatflow.pk])
    client.force_login(agent)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for index in range(2):
        conversation = conversation_start(chatflow=chatflow).conversation
        visitor_message_post(conversation=conversation, text=f"c{index}@example.com")
    few = count()
    for index in range(2, 8):
        conversation = conversation_start(chatflow=chatflow).conversation
        visitor_message_post(conversation=conversation, text=f"c{index}@example.com")
    assert count() == few
