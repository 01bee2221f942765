"""Writes of chatflows and their conversations (R7).

A visitor's message is stored, answered by the bot (`conversations.policy.bot_turn`) and, when it gives
the conversation's first valid email, the contact is created or matched through
`capture.services.contact_capture` with tool CHATFLOW and the chatflow's id as source (and reason) id.
R7: a new contact gets the chatflow's setting (off by default: non-marketing); an existing contact keeps
its status, since chatflows do not upgrade (unlike forms, R5/R6). The message, the contact, its history
row and the link commit together, under a lock on the conversation row that also orders its messages.
"""

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from capture.services import contact_capture
from contacts.services import ContactInvalid
from conversations.models import Chatflow, Conversation, Message, Sender
from conversations.policy import bot_turn, message_clean, token_hash
from conversations.selectors import chatflow_switch_on_needs_access
from marketing_status.actors import Actor, ActorKind
from marketing_status.policy import CreationTool
from marketing_status.services import creation_tool_setting_start_off

TOKEN_BYTES = 32  # 43 URL-safe characters
# A conversation stops taking messages here: the rate limit bounds the pace, this bounds the size.
MAX_MESSAGES_PER_CONVERSATION = 1000
CHATFLOW_TEXT_FIELDS = ("name", "welcome_message", "email_prompt", "thanks_message")
CHATFLOW_MAX_LENGTHS = {"name": 100, "welcome_message": 1000, "email_prompt": 1000, "thanks_message": 1000}


class ChatflowInvalid(ValueError):
    """Some chatflow fields are invalid; `errors` maps each field to its message. Nothing was saved."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__(f"invalid chatflow: {errors}")


class ConversationFull(Exception):
    """The conversation has `MAX_MESSAGES_PER_CONVERSATION` messages and takes no more."""


def _chatflow_fields(fields: dict[str, object]) -> dict[str, object]:
    errors: dict[str, str] = {}
    cleaned = dict(fields)
    for name in CHATFLOW_TEXT_FIELDS:
        if name not in fields:
            continue
        value = str(fields[name] or "").strip()
        if not value:
            errors[name] = "This field is required."
        elif len(value) > CHATFLOW_MAX_LENGTHS[name]:
            errors[name] = f"At most {CHATFLOW_MAX_LENGTHS[name]:,} characters."
        cleaned[name] = value
    if errors:
        raise ChatflowInvalid(errors)
    return cleaned


def chatflow_create(
    *,
    name: str,
    welcome_message: str,
    email_prompt: str,
    thanks_message: str,
    is_enabled: bool = True,
    actor: Actor,
    now: datetime | None = None,
) -> Chatflow:
    """A new chatflow with a fresh public id. Its marketing setting starts at R7's default (off); it cannot be
    created on (R30: switching it on is `creation_tool_setting_set`'s, which needs Marketing contact access),
    and should the default ever be on, it is stored off for a creator without that access."""
    actor.ensure_permission("conversations.add_chatflow", "You need the conversations.add_chatflow permission.")
    texts = {"name": name, "welcome_message": welcome_message, "email_prompt": email_prompt}
    fields = _chatflow_fields({**texts, "thanks_message": thanks_message})
    created_at = now or timezone.now()
    with transaction.atomic():
        chatflow = Chatflow.objects.create(
            **fields,
            public_id=uuid.uuid4(),
            is_enabled=is_enabled,
            created_at=created_at,
            created_by=actor.user,
            updated_at=created_at,
        )
        if not actor.may_change_status():
            creation_tool_setting_start_off(
                tool=CreationTool.CHATFLOW, source_id=chatflow.source_id, actor=actor, now=now
            )
    return chatflow


def chatflow_update(
    *,
    chatflow: Chatflow,
    actor: Actor,
    name: str | None = None,
    welcome_message: str | None = None,
    email_prompt: str | None = None,
    thanks_message: str | None = None,
    is_enabled: bool | None = None,
) -> Chatflow:
    """Change the given fields (None: keep). Switched off, the widget answers like a missing chatflow.

    R30: switching on a chatflow whose marketing setting is on needs Marketing contact access
    (`MarketingStatusPermissionDenied`, nothing changed); switching it off, or any other edit, does not.
    """
    actor.ensure_permission("conversations.change_chatflow", "You need the conversations.change_chatflow permission.")
    given = {
        "name": name,
        "welcome_message": welcome_message,
        "email_prompt": email_prompt,
        "thanks_message": thanks_message,
        "is_enabled": is_enabled,
    }
    fields = _chatflow_fields({key: value for key, value in given.items() if value is not None})
    with transaction.atomic():
        locked = Chatflow.objects.select_for_update().get(pk=chatflow.pk)
        if is_enabled and chatflow_switch_on_needs_access(chatflow=locked):
            actor.ensure_may_change_status()
        Chatflow.objects.filter(pk=chatflow.pk).update(**fields, updated_at=timezone.now())
    chatflow.refresh_from_db()
    return chatflow


def _messages_add(conversation: Conversation, entries: list[tuple[str, str, object]], now) -> list[Message]:
    """Append (sender, text, author) entries; the caller holds the conversation's row lock."""
    first = conversation.last_seq + 1
    messages = [
        Message(conversation=conversation, seq=first + offset, sender=sender, text=text, author=author, at=now)
        for offset, (sender, text, author) in enumerate(entries)
    ]
    Message.objects.bulk_create(messages)
    conversation.last_seq += len(messages)
    conversation.last_message_at = now
    Conversation.objects.filter(pk=conversation.pk).update(last_seq=F("last_seq") + len(messages), last_message_at=now)
    return messages


@dataclass(frozen=True)
class ConversationStarted:
    conversation: Conversation
    token: str  # given to the visitor once; only its hash is stored
    messages: list[Message]


def conversation_start(*, chatflow: Chatflow, now: datetime | None = None) -> ConversationStarted:
    """A visitor opens the chat: a new conversation with an unguessable token and the welcome message."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = now or timezone.now()
    with transaction.atomic():
        conversation = Conversation.objects.create(
            chatflow=chatflow, token_hash=token_hash(token), started_at=now, last_message_at=now
        )
        messages = _messages_add(conversation, [(Sender.BOT, chatflow.welcome_message, None)], now)
    return ConversationStarted(conversation, token, messages)


@dataclass(frozen=True)
class VisitorMessagePosted:
    messages: list[Message]  # the visitor's message and the bot's reply, if it replied
    email_captured: bool  # this message gave the conversation its email (and contact)


def _locked(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_for_update().select_related("chatflow").get(pk=conversation.pk)


def _capture(conversation: Conversation, email: str, now: datetime | None = None):
    """R7: the visitor's contact, created or matched; a chatflow never upgrades an existing one. None when
    the contact cannot hold this address (nothing was created)."""
    chatflow = conversation.chatflow
    try:
        result = contact_capture(
            data={"email": email},
            tool=CreationTool.CHATFLOW,
            source_id=chatflow.source_id,
            actor=Actor(ActorKind.CHATFLOW, chatflow.source_id),
            now=now,
        )
    except ContactInvalid:
        return None
    return result.contact


def visitor_message_post(*, conversation: Conversation, text: str, now: datetime | None = None) -> VisitorMessagePosted:
    """Store a visitor's message and the bot's answer; the first valid email links the conversation to its
    contact (R7). Raises `MessageInvalid` or `ConversationFull` and then stores nothing."""
    text = message_clean(text)
    with transaction.atomic():
        conversation = _locked(conversation)
        if conversation.last_seq + 2 > MAX_MESSAGES_PER_CONVERSATION:
            raise ConversationFull()
        chatflow = conversation.chatflow
        turn = _bot_turn(conversation, text)
        reply, contact = turn.reply, None
        if turn.email is not None:
            contact = _capture(conversation, turn.email, now)
            if contact is None:
                reply = chatflow.email_prompt  # an address no contact can hold: ask again
            else:
                Conversation.objects.filter(pk=conversation.pk).update(email=turn.email, contact=contact)
        entries = [(Sender.VISITOR, text, None)] + ([(Sender.BOT, reply, None)] if reply else [])
        messages = _messages_add(conversation, entries, now or timezone.now())
    return VisitorMessagePosted(messages, email_captured=contact is not None)


def _bot_turn(conversation: Conversation, text: str):
    """What the chatflow's bot answers `text` at this point of the conversation (R7: it asks for the email)."""
    chatflow = conversation.chatflow
    return bot_turn(
        text=text,
        awaiting_email=conversation.awaiting_email,
        email_prompt=chatflow.email_prompt,
        thanks_message=chatflow.thanks_message,
    )


def visitor_message_preview(*, conversation: Conversation, text: str) -> list[Message]:
    """The answer a message would get, built and stored nowhere: what a spam bot (honeypot filled) sees."""
    text = message_clean(text)
    turn = _bot_turn(conversation, text)
    now, seq = timezone.now(), conversation.last_seq
    entries = [(Sender.VISITOR, text)] + ([(Sender.BOT, turn.reply)] if turn.reply else [])
    return [
        Message(conversation=conversation, seq=seq + offset, sender=sender, text=body, at=now)
        for offset, (sender, body) in enumerate(entries, start=1)
    ]


def agent_reply(*, conversation: Conversation, text: str, actor: Actor, now: datetime | None = None) -> Message:
    """An agent answers the visitor; the widget shows it on its next poll. Needs change_conversation."""
    actor.ensure_permission(
        "conversations.change_conversation", "You need the conversations.change_conversation permission."
    )
    text = message_clean(text)
    with transaction.atomic():
        conversation = _locked(conversation)
        if conversation.last_seq + 1 > MAX_MESSAGES_PER_CONVERSATION:
            raise ConversationFull()
        (message,) = _messages_add(conversation, [(Sender.AGENT, text, actor.user)], now or timezone.now())
    return message
