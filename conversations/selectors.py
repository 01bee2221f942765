"""Reads of chatflows and conversations: the admin lists and the widget's look-ups by public id and token."""

import re
import uuid

from django.db.models import Count, QuerySet
from django.urls import reverse

from capture.selectors import settings_switched_on
from capture.sources import CHATFLOW, CREATED, SWITCHED_ON, StatusTool
from conversations.models import Chatflow, Conversation, Message
from conversations.policy import token_hash
from marketing_status.models import CreationToolSetting
from marketing_status.policy import CreationTool
from marketing_status.selectors import creation_tool_setting_get

# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
TOKEN_FORMAT = re.compile(r"[A-Za-z0-9_-]{43}")
MAX_MESSAGES_PER_POLL = 200


def chatflows_list() -> QuerySet:
    """Every chatflow with its number of conversations, by name."""
    return Chatflow.objects.annotate(conversation_count=Count("conversations")).order_by("name", "pk")


def chatflow_public_get(*, public_id: str) -> Chatflow | None:
    """The switched-on chatflow a widget names, or None (unknown, malformed and switched-off alike)."""
    try:
        value = uuid.UUID(public_id)
    except (ValueError, AttributeError, TypeError):
        return None
    return Chatflow.objects.filter(public_id=value, is_enabled=True).first()


def conversation_for_token(*, token: str) -> Conversation | None:
    """The conversation a visitor's token opens, if its chatflow is switched on; None otherwise."""
    if not isinstance(token, str) or not TOKEN_FORMAT.fullmatch(token):
        return None
    return (
        Conversation.objects.select_related("chatflow")
        .filter(token_hash=token_hash(token), chatflow__is_enabled=True)
        .first()
    )


def messages_after(*, conversation: Conversation, after: int, limit: int = MAX_MESSAGES_PER_POLL) -> list[Message]:
    """The conversation's messages numbered above `after`, oldest first, at most `limit`."""
    return list(Message.objects.filter(conversation=conversation, seq__gt=after).order_by("seq")[:limit])


def conversations_of(*, chatflow: Chatflow) -> QuerySet:
    """A chatflow's conversations, most recent first, with their contact (`last_seq` counts the messages)."""
    return Conversation.objects.filter(chatflow=chatflow).select_related("contact").order_by("-last_message_at", "-pk")


def transcript(*, conversation: Conversation) -> QuerySet:
    """Every message of a conversation, oldest first, with the agents who wrote them."""
    return Message.objects.filter(conversation=conversation).select_related("author").order_by("seq")


def chatflows_by_source_id(source_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Chatflow id -> (name, editor URL), for pages that name it by id (`crm.sources`)."""
    ids = [int(source_id) for source_id in source_ids if source_id.isdigit()]
    rows = Chatflow.objects.filter(pk__in=ids).values_list("pk", "name")
    return {str(pk): (name, reverse("conversations:edit", args=[pk])) for pk, name in rows}


def chatflow_switch_on_needs_access(*, chatflow: Chatflow) -> bool:
    """R7, R30: would switching this chatflow on make it start creating marketing contacts (it is off and its
    "Set created contacts as marketing contacts" setting is on)? Then it needs Marketing contact access."""
    if chatflow.is_enabled:
        return False
    return creation_tool_setting_get(tool=CreationTool.CHATFLOW, source_id=chatflow.source_id)


def chatflows_setting_status() -> list[StatusTool]:
    """R7 for Settings > Lead capture: the chatflows whose setting is on (R7's default is off, so each was
    switched on by someone), with who last switched it on; one switched off itself says so."""
    on = CreationToolSetting.objects.filter(tool=CreationTool.CHATFLOW, marketing_on_create=True)
    ids = [int(source_id) for source_id in on.values_list("source_id", flat=True) if source_id.isdigit()]
    chatflows = list(Chatflow.objects.filter(pk__in=ids).select_related("created_by").order_by("name", "pk"))
    switched = settings_switched_on(tool=CreationTool.CHATFLOW, source_ids=[c.source_id for c in chatflows])
    return [_chatflow_status(chatflow, switched.get(chatflow.source_id)) for chatflow in chatflows]


def _chatflow_status(chatflow: Chatflow, change) -> StatusTool:
    url = reverse("conversations:edit", args=[chatflow.pk])
    return StatusTool(
        key=f"chatflow:{chatflow.pk}",
        kind=CHATFLOW,
        name=chatflow.name,
        url=url,
        switch_url=url + "#marketing-setting",
        effect="New contacts from its chats are marketing.",
        person=change.changed_by if change else chatflow.created_by,
        person_did=SWITCHED_ON if change else CREATED,
        at=change.changed_at if change else chatflow.created_at,
        note="" if chatflow.is_enabled else "The chatflow itself is off: this applies again once it is on.",
    )
