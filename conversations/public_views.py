"""The chat widget's public endpoints (R7): its script, starting a conversation, posting and polling messages.

Unauthenticated, so each is wrapped by `capture.public.public_endpoint` (CORS for any origin without
credentials, size limit, per-address rate limit, errors in HubSpot's shape). Unknown, malformed and
switched-off chatflows and tokens all answer the same 404. The bot's answers never depend on whether
a contact with the visitor's email exists. A message with the honeypot field filled in is answered as
if accepted and stored nowhere.
"""

import re

from django.http import HttpRequest, HttpResponse, JsonResponse

from capture.public import IntakeError, is_spam, json_body, public_endpoint, script_response
from conversations.models import Conversation, Message
from conversations.policy import MessageInvalid
from conversations.selectors import chatflow_public_get, conversation_for_token, messages_after
from conversations.services import (
    ConversationFull,
    conversation_start,
    visitor_message_post,
    visitor_message_preview,
)

MAX_BYTES = 16 * 1024
WIDGET_SCRIPT = "conversations/widget.js"
NOT_FOUND = "This chat is not available."
_SEQ = re.compile(r"\d{1,9}")


def message_json(message: Message) -> dict:
    return {
        "id": message.seq,
        "sender": message.sender,
        "text": message.text,
        "at": message.at.isoformat().replace("+00:00", "Z"),
    }


def _answer(conversation: Conversation, messages: list[Message], *, status: int = 200, **extra) -> JsonResponse:
    body = {**extra, "messages": [message_json(message) for message in messages]}
    body["awaitingEmail"] = conversation.awaiting_email
    return JsonResponse(body, status=status)


@public_endpoint(methods=("GET",), counted=False)
def widget_js(request: HttpRequest) -> HttpResponse:
    """The widget, at a stable address for snippets on other sites (static names are hashed in production)."""
    return script_response(WIDGET_SCRIPT)


@public_endpoint(methods=("POST",), max_bytes=MAX_BYTES)
def start(request: HttpRequest, public_id: str) -> JsonResponse:
    """Open a conversation: 201 with its token (keep it: it is the only key) and the welcome message."""
    chatflow = chatflow_public_get(public_id=public_id)
    if chatflow is None:
        raise IntakeError(404, NOT_FOUND)
    if request.body:
        json_body(request)  # an empty body is fine; anything else must be a JSON object
    started = conversation_start(chatflow=chatflow)
    return _answer(started.conversation, started.messages, status=201, token=started.token)


def _conversation(token: str) -> Conversation:
    conversation = conversation_for_token(token=token)
    if conversation is None:
        raise IntakeError(404, NOT_FOUND)
    return conversation


def _after(request: HttpRequest) -> int:
    value = request.GET.get("after", "0")
    if not _SEQ.fullmatch(value):
        raise IntakeError(400, "after must be a message id (a whole number).", [_error("after", value)])
    return int(value)


def _error(field: str, message: str) -> dict[str, str]:
    return {"message": message, "errorType": "INVALID_INPUT", "in": field}


def _post(request: HttpRequest, conversation: Conversation) -> JsonResponse:
    body = json_body(request)
    text = body.get("text")
    try:
        if is_spam(body):
            return _answer(conversation, visitor_message_preview(conversation=conversation, text=text), status=201)
        posted = visitor_message_post(conversation=conversation, text=text)
    except MessageInvalid as exc:
        raise IntakeError(400, str(exc), [_error("text", str(exc))]) from None
    except ConversationFull:
        raise IntakeError(409, "This conversation is full. Start a new one.") from None
    conversation.refresh_from_db(fields=["email"])
    return _answer(conversation, posted.messages, status=201)


@public_endpoint(methods=("GET", "POST"), max_bytes=MAX_BYTES, counted=lambda request: request.method == "POST")
def messages(request: HttpRequest, token: str) -> JsonResponse:
    """GET `?after=<id>`: the messages after that one (polling). POST `{"text"}`: the visitor writes; the
    answer holds the stored message and the bot's reply, if it replied."""
    conversation = _conversation(token)
    if request.method == "POST":
        return _post(request, conversation)
    after = _after(request)
    return _answer(conversation, messages_after(conversation=conversation, after=after))
