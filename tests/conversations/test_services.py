"""Chatflow and conversation writes: R7's status of the contacts a chat creates or matches, the bot's turns,
agents' replies, and refusals that store nothing."""

import pytest
from django.core.exceptions import PermissionDenied

from contacts.models import Contact
from conversations.models import Chatflow, Conversation, Message, Sender
from conversations.policy import MessageInvalid
from conversations.selectors import conversation_for_token, messages_after
from conversations.services import (
    ChatflowInvalid,
    ConversationFull,
    agent_reply,
    chatflow_create,
    chatflow_update,
    conversation_start,
    token_hash,
    visitor_message_post,
)
from marketing_status.actors import Actor
from marketing_status.policy import CreationTool, ReasonType
from marketing_status.services import creation_tool_setting_set
from tests.conversations.conftest import with_perms
from tests.factories import contacts_make

pytestmark = pytest.mark.django_db


def _status(contact: Contact) -> tuple:
    contact.refresh_from_db()
    return (
        contact.marketable_status,
        contact.marketable_until_renewal,
        contact.marketable_reason_type,
        contact.marketable_reason_id,
    )


def _chat(chatflow: Chatflow, *texts: str):
    conversation = conversation_start(chatflow=chatflow).conversation
    posted = [visitor_message_post(conversation=conversation, text=text) for text in texts]
    conversation.refresh_from_db()
    return conversation, posted


EXISTING = {
    "marketing": {"marketing": True},
    "non_marketing": {},
    "pending": {"pending": True},
}


@pytest.mark.parametrize("setting_on", [False, True], ids=["toggle_off_default", "toggle_on"])
def test_r7_new_contact_gets_the_chatflows_setting(subscription, marketer_actor, chatflow, history_of, setting_on):
    if setting_on:
        creation_tool_setting_set(
            tool=CreationTool.CHATFLOW, source_id=chatflow.source_id, marketing_on_create=True, actor=marketer_actor
        )
    conversation, (posted,) = _chat(chatflow, "I am New@Example.com")
    contact = Contact.objects.get(email="new@example.com")
    assert posted.email_captured is True
    assert (conversation.contact_id, conversation.email) == (contact.pk, "new@example.com")
    assert _status(contact) == (setting_on, False, ReasonType.CONVERSATION, str(chatflow.pk))
    assert (contact.creation_tool, contact.creation_source_id) == (CreationTool.CHATFLOW, str(chatflow.pk))
    (created,) = history_of(contact)
    assert (created["new_status"], created["reason_type"], created["reason_id"]) == (
        setting_on,
        ReasonType.CONVERSATION,
        str(chatflow.pk),
    )
    assert (created["actor_type"], created["actor_id"]) == ("CHATFLOW", str(chatflow.pk))


@pytest.mark.parametrize("setting_on", [False, True], ids=["toggle_off_default", "toggle_on"])
@pytest.mark.parametrize("existing", list(EXISTING))
def test_r7_existing_contact_keeps_its_status_and_gets_no_history(
    subscription, marketer_actor, chatflow, history_of, setting_on, existing
):
    if setting_on:
        creation_tool_setting_set(
            tool=CreationTool.CHATFLOW, source_id=chatflow.source_id, marketing_on_create=True, actor=marketer_actor
        )
    (contact,) = contacts_make(count=1, actor=marketer_actor, **EXISTING[existing])
    before_status, before_history = _status(contact), history_of(contact)
    before_updated = contact.updated_at
    conversation, (posted,) = _chat(chatflow, contact.email.upper())
    assert posted.email_captured is True
    assert conversation.contact_id == contact.pk
    assert (_status(contact), history_of(contact)) == (before_status, before_history)
    assert contact.updated_at == before_updated
    assert Contact.objects.count() == 1
    expected_pending = existing == "pending"
    assert (contact.marketable_status, contact.marketable_until_renewal) == (
        existing != "non_marketing",
        expected_pending,
    )


def test_r7_conversation_starts_with_the_welcome_message_and_a_token_stored_hashed(chatflow):
    started = conversation_start(chatflow=chatflow)
    assert len(started.token) == 43
    assert started.conversation.token_hash == token_hash(started.token) != started.token
    assert [(m.seq, m.sender, m.text) for m in started.messages] == [(1, Sender.BOT, "Hi! How can we help?")]
    assert conversation_for_token(token=started.token) == started.conversation
    assert started.conversation.awaiting_email is True


def test_r7_invalid_email_keeps_asking_and_creates_nothing(subscription, chatflow, db_state):
    before = db_state()
    conversation, posted = _chat(chatflow, "hello", "ada@", "ada@example")
    assert db_state() == before
    assert (conversation.contact, conversation.email) == (None, "")
    assert [(m.seq, m.sender, m.text) for m in messages_after(conversation=conversation, after=0)] == [
        (1, "bot", "Hi! How can we help?"),
        (2, "visitor", "hello"),
        (3, "bot", "What is your email?"),
        (4, "visitor", "ada@"),
        (5, "bot", "What is your email?"),
        (6, "visitor", "ada@example"),
        (7, "bot", "What is your email?"),
    ]
    assert [p.email_captured for p in posted] == [False, False, False]


def test_r7_thanks_once_then_the_bot_is_silent_and_a_second_email_changes_nothing(subscription, chatflow):
    conversation, posted = _chat(chatflow, "ada@example.com", "and bob@example.com too")
    assert [[(m.sender, m.text) for m in p.messages] for p in posted] == [
        [("visitor", "ada@example.com"), ("bot", "Thanks, we will be in touch.")],
        [("visitor", "and bob@example.com too")],
    ]
    assert list(Contact.objects.values_list("email", flat=True)) == ["ada@example.com"]
    assert (conversation.email, conversation.last_seq) == ("ada@example.com", 4)


def test_r7_an_archived_contact_with_the_email_is_not_matched(subscription, marketer_actor, chatflow):
    from contacts.services import contacts_archive

    (archived,) = contacts_make(count=1, actor=marketer_actor, marketing=True)
    contacts_archive(contacts=[archived.pk], actor=marketer_actor)
    conversation, _ = _chat(chatflow, archived.email)
    assert conversation.contact_id != archived.pk
    assert _status(conversation.contact)[:2] == (False, False)


def test_r7_before_marketing_contacts_are_enabled_a_chat_contact_has_no_status(db, chatflow):
    conversation, _ = _chat(chatflow, "early@example.com")
    assert _status(conversation.contact) == (None, False, "", "")


def test_invalid_visitor_message_stores_nothing(chatflow):
    conversation = conversation_start(chatflow=chatflow).conversation
    with pytest.raises(MessageInvalid):
        visitor_message_post(conversation=conversation, text="   ")
    conversation.refresh_from_db()
    assert (conversation.last_seq, Message.objects.count()) == (1, 1)


def test_a_full_conversation_takes_no_more_messages(chatflow, settings, monkeypatch):
    monkeypatch.setattr("conversations.services.MAX_MESSAGES_PER_CONVERSATION", 3)
    conversation, _ = _chat(chatflow, "hello")  # welcome, hello, prompt
    with pytest.raises(ConversationFull):
        visitor_message_post(conversation=conversation, text="again")
    assert Message.objects.count() == 3


def test_agent_reply_is_stored_after_the_visitors_messages(chatflow):
    agent = with_perms("change_conversation")
    conversation, _ = _chat(chatflow, "hello")
    message = agent_reply(conversation=conversation, text=" We can help. ", actor=Actor.for_user(agent))
    assert (message.seq, message.sender, message.text, message.author) == (4, Sender.AGENT, "We can help.", agent)
    assert [m.seq for m in messages_after(conversation=conversation, after=3)] == [4]
    conversation.refresh_from_db()
    assert (conversation.last_seq, conversation.last_message_at) == (4, message.at)


def test_agent_reply_needs_change_conversation(chatflow):
    reader = with_perms("view_conversation")
    conversation = conversation_start(chatflow=chatflow).conversation
    with pytest.raises(PermissionDenied):
        agent_reply(conversation=conversation, text="hi", actor=Actor.for_user(reader))
    assert Message.objects.count() == 1


def test_chatflow_create_and_update(db):
    author = with_perms("add_chatflow", "change_chatflow")
    chatflow = chatflow_create(
        name=" Support ",
        welcome_message="Hi",
        email_prompt="Email?",
        thanks_message="Thanks",
        actor=Actor.for_user(author),
    )
    assert (chatflow.name, chatflow.is_enabled, chatflow.created_by, chatflow.public_id is not None) == (
        "Support",
        True,
        author,
        True,
    )
    chatflow_update(chatflow=chatflow, actor=Actor.for_user(author), is_enabled=False, thanks_message="Merci")
    assert (chatflow.is_enabled, chatflow.thanks_message, chatflow.name) == (False, "Merci", "Support")


def test_chatflow_create_refuses_blank_and_long_texts_and_missing_permission(db):
    author = with_perms("add_chatflow")
    with pytest.raises(ChatflowInvalid) as invalid:
        chatflow_create(
            name="  ",
            welcome_message="x" * 1001,
            email_prompt="Email?",
            thanks_message="T",
            actor=Actor.for_user(author),
        )
    assert set(invalid.value.errors) == {"name", "welcome_message"}
    with pytest.raises(PermissionDenied):
        chatflow_create(
            name="A", welcome_message="W", email_prompt="E", thanks_message="T", actor=Actor.for_user(with_perms())
        )
    assert Chatflow.objects.count() == 0


def test_switched_off_chatflows_conversations_are_not_found_by_token(chatflow, system_actor):
    started = conversation_start(chatflow=chatflow)
    chatflow_update(chatflow=chatflow, actor=system_actor, is_enabled=False)
    assert conversation_for_token(token=started.token) is None
    assert Conversation.objects.count() == 1
