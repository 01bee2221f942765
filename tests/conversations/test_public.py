"""The chat widget's public endpoints (R7): shapes of start, post and poll; 404s for unknown, switched-off and
malformed ids; validation, size and rate limits, CORS, the honeypot; answers identical for known and new emails."""

import json
import re

import pytest
from django.urls import reverse

from contacts.models import Contact
from conversations.models import Conversation, Message
from conversations.services import chatflow_update
from tests.factories import contacts_make

pytestmark = pytest.mark.django_db

JSON = "application/json"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def start_url(chatflow) -> str:
    return reverse("conversations_public:start", args=[chatflow.public_id])


def messages_url(token: str) -> str:
    return reverse("conversations_public:messages", args=[token])


def _start(client, chatflow):
    response = client.post(start_url(chatflow), data="{}", content_type=JSON)
    assert response.status_code == 201, response.content
    return response.json()


def _post(client, token: str, text, **extra):
    return client.post(messages_url(token), data=json.dumps({"text": text, **extra}), content_type=JSON)


def _without_times(body: dict) -> dict:
    return {**body, "messages": [{k: v for k, v in m.items() if k != "at"} for m in body["messages"]]}


def test_r7_start_answers_the_token_and_welcome_message(client, chatflow):
    response = client.post(start_url(chatflow), data="{}", content_type=JSON, HTTP_ORIGIN="https://shop.example")
    body = response.json()
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    assert set(body) == {"token", "messages", "awaitingEmail"}
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", body["token"])
    assert body["awaitingEmail"] is True
    (welcome,) = body["messages"]
    assert TIMESTAMP.fullmatch(welcome.pop("at"))
    assert welcome == {"id": 1, "sender": "bot", "text": "Hi! How can we help?"}
    assert Conversation.objects.get().token_hash != body["token"]


def test_r7_start_accepts_an_empty_body_and_refuses_a_non_object(client, chatflow):
    assert client.post(start_url(chatflow), data="", content_type=JSON).status_code == 201
    refused = client.post(start_url(chatflow), data="[1]", content_type=JSON)
    assert (refused.status_code, refused.json()["status"]) == (400, "error")
    assert Conversation.objects.count() == 1


def test_r7_post_and_poll_shapes(subscription, client, chatflow):
    token = _start(client, chatflow)["token"]
    asked = _post(client, token, "Do you ship to Norway?")
    assert asked.status_code == 201
    assert _without_times(asked.json()) == {
        "messages": [
            {"id": 2, "sender": "visitor", "text": "Do you ship to Norway?"},
            {"id": 3, "sender": "bot", "text": "What is your email?"},
        ],
        "awaitingEmail": True,
    }
    given = _post(client, token, "ada@example.com")
    assert _without_times(given.json()) == {
        "messages": [
            {"id": 4, "sender": "visitor", "text": "ada@example.com"},
            {"id": 5, "sender": "bot", "text": "Thanks, we will be in touch."},
        ],
        "awaitingEmail": False,
    }
    polled = client.get(messages_url(token), {"after": 3})
    assert polled.status_code == 200
    assert [m["id"] for m in polled.json()["messages"]] == [4, 5]
    assert polled.json()["awaitingEmail"] is False
    assert [m["id"] for m in client.get(messages_url(token)).json()["messages"]] == [1, 2, 3, 4, 5]
    assert client.get(messages_url(token), {"after": 5}).json()["messages"] == []
    assert Conversation.objects.get().contact == Contact.objects.get(email="ada@example.com")


def test_r7_an_agents_reply_is_in_the_next_poll(subscription, client, chatflow, marketer_actor):
    from conversations.services import agent_reply
    from marketing_status.actors import Actor
    from tests.conversations.conftest import with_perms

    token = _start(client, chatflow)["token"]
    _post(client, token, "hello")
    agent_reply(
        conversation=Conversation.objects.get(),
        text="Hello from us",
        actor=Actor.for_user(with_perms("change_conversation")),
    )
    (reply,) = client.get(messages_url(token), {"after": 3}).json()["messages"]
    assert (reply["id"], reply["sender"], reply["text"]) == (4, "agent", "Hello from us")


def test_r7_invalid_email_keeps_asking_and_creates_nothing(subscription, client, chatflow, db_state):
    token = _start(client, chatflow)["token"]
    before = db_state()
    for text in ("ada@", "ada@example", "not an email"):
        body = _post(client, token, text).json()
        assert (body["messages"][-1]["text"], body["awaitingEmail"]) == ("What is your email?", True)
    assert db_state() == before
    assert Contact.objects.count() == 0


def test_r7_answers_are_identical_for_known_and_new_emails(
    subscription, client, chatflow, marketer_actor, frozen_clock
):
    (known,) = contacts_make(count=1, actor=marketer_actor, marketing=True)
    answers = []
    new = known.email.replace("contact", "visitor")  # as long as the known one: same Content-Length
    for email in (known.email, new):
        token = _start(client, chatflow)["token"]
        response = _post(client, token, email)
        body = response.json()
        assert body["messages"][0].pop("text") == email  # the visitor's own words
        answers.append((response.status_code, sorted(response.headers.items()), body))
    assert answers[0] == answers[1]
    assert Contact.objects.count() == 2


@pytest.mark.parametrize(
    "public_id",
    ["00000000-0000-0000-0000-000000000000", "not-a-uuid", "1", "x" * 200],
    ids=["unknown", "malformed", "number", "long"],
)
def test_unknown_chatflow_is_404(client, chatflow, public_id):
    response = client.post(reverse("conversations_public:start", args=[public_id]), data="{}", content_type=JSON)
    assert (response.status_code, response.json()["status"]) == (404, "error")
    assert Conversation.objects.count() == 0


def test_switched_off_chatflow_answers_like_a_missing_one(client, chatflow, system_actor):
    token = _start(client, chatflow)["token"]
    chatflow_update(chatflow=chatflow, actor=system_actor, is_enabled=False)
    missing = client.post(
        reverse("conversations_public:start", args=["00000000-0000-0000-0000-000000000000"]),
        data="{}",
        content_type=JSON,
    )
    answers = [
        client.post(start_url(chatflow), data="{}", content_type=JSON),
        _post(client, token, "ada@example.com"),
        client.get(messages_url(token)),
    ]
    for answer in answers:
        assert answer.status_code == 404
        assert {k: v for k, v in answer.json().items() if k != "correlationId"} == {
            k: v for k, v in missing.json().items() if k != "correlationId"
        }
    assert (Conversation.objects.count(), Message.objects.count(), Contact.objects.count()) == (1, 1, 0)


@pytest.mark.parametrize(
    "token",
    ["A" * 43, "short", "A" * 44, "A" * 42 + "!", "A" * 42 + "%20"],
    ids=["unknown", "short", "long", "bad-char", "encoded-space"],
)
def test_bad_token_is_404(client, chatflow, token):
    _start(client, chatflow)
    assert _post(client, token, "hello").status_code == 404
    assert client.get(messages_url(token)).status_code == 404
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"text": ""}, 400),
        ({"text": "   "}, 400),
        ({"text": "x" * 2001}, 400),
        ({"text": 12}, 400),
        ({"text": None}, 400),
        ({}, 400),
    ],
    ids=["empty", "blank", "too-long", "number", "null", "missing"],
)
def test_invalid_messages_are_400_and_store_nothing(client, chatflow, body, status):
    token = _start(client, chatflow)["token"]
    response = client.post(messages_url(token), data=json.dumps(body), content_type=JSON)
    assert response.status_code == status
    assert response.json()["errors"][0]["in"] == "text"
    assert Message.objects.count() == 1


def test_malformed_json_is_400(client, chatflow):
    token = _start(client, chatflow)["token"]
    response = client.post(messages_url(token), data="{text:", content_type=JSON)
    assert (response.status_code, response.json()["message"]) == (400, "The request body is not valid JSON.")
    assert Message.objects.count() == 1


@pytest.mark.parametrize("after", ["-1", "abc", "1.5", "9" * 10, ""])
def test_poll_refuses_a_bad_after(client, chatflow, after):
    token = _start(client, chatflow)["token"]
    response = client.get(messages_url(token), {"after": after})
    assert (response.status_code, response.json()["errors"][0]["in"]) == (400, "after")


def test_oversize_body_is_413_and_stores_nothing(client, chatflow):
    token = _start(client, chatflow)["token"]
    response = client.post(messages_url(token), data=json.dumps({"text": "x" * 20_000}), content_type=JSON)
    assert response.status_code == 413
    assert Message.objects.count() == 1


def test_429_after_the_per_address_limit(client, chatflow, settings):
    settings.CRM_INTAKE_RATE_LIMIT_10S = 3
    token = _start(client, chatflow)["token"]
    assert _post(client, token, "one").status_code == 201
    assert [client.get(messages_url(token)).status_code for _ in range(5)] == [200] * 5  # polls are not counted
    assert _post(client, token, "three").status_code == 201
    refused = _post(client, token, "four")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert refused["Access-Control-Allow-Origin"] == "*"
    assert client.post(start_url(chatflow), data="{}", content_type=JSON).status_code == 429
    assert Message.objects.filter(text="four").count() == 0
    other = client.get(messages_url(token), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200  # counted per source address


def test_cors_preflight(client, chatflow):
    for url in (start_url(chatflow), messages_url("A" * 43)):
        response = client.options(
            url,
            HTTP_ORIGIN="https://shop.example",
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
        )
        assert response.status_code == 204
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "POST" in response["Access-Control-Allow-Methods"]
        assert response["Access-Control-Allow-Headers"] == "Content-Type"
    assert Conversation.objects.count() == 0


def test_wrong_method_is_405(client, chatflow):
    response = client.get(start_url(chatflow))
    assert (response.status_code, response["Allow"]) == (405, "POST, OPTIONS")
    assert Conversation.objects.count() == 0


def test_honeypot_is_answered_as_accepted_and_stores_nothing(subscription, client, chatflow, db_state):
    token = _start(client, chatflow)["token"]
    before, messages = db_state(), Message.objects.count()
    spam = _post(client, token, "buy@spam.example", crm_website_confirm="http://spam.example")
    assert spam.status_code == 201
    assert _without_times(spam.json()) == {
        "messages": [
            {"id": 2, "sender": "visitor", "text": "buy@spam.example"},
            {"id": 3, "sender": "bot", "text": "Thanks, we will be in touch."},
        ],
        "awaitingEmail": True,
    }
    assert (db_state(), Message.objects.count()) == (before, messages)


def test_widget_script_is_served_to_any_origin(client):
    response = client.get(reverse("conversations_public:widget_js"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=300"  # cacheable, unlike every intake answer
    assert b"data-chatflow" in response.content
