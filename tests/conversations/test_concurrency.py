"""R7 on PostgreSQL: two messages with an email posted at once to one conversation give it one contact, one
thank-you reply and gap-free message numbers; the second waits on the conversation's row lock."""

import threading

import pytest

import conversations.services as services
from contacts.models import Contact
from conversations.models import Message
from conversations.services import conversation_start, visitor_message_post
from tests.integration.conftest import WAIT_SECONDS, backend_pid, run_threads, wait_until_blocked

pytestmark = pytest.mark.django_db(transaction=True)


def test_r7_two_emails_at_once_give_the_conversation_one_contact(subscription, chatflow, monkeypatch):
    conversation = conversation_start(chatflow=chatflow).conversation
    first_holds, second_ready, release = threading.Event(), threading.Event(), threading.Event()
    pids: dict[str, int] = {}
    capture = services._capture

    def held_capture(locked, email, *args):
        contact = capture(locked, email, *args)
        if email == "first@example.com":  # keep the conversation locked until the second one waits for it
            pids["first"] = backend_pid()
            first_holds.set()
            assert release.wait(WAIT_SECONDS)
        return contact

    monkeypatch.setattr(services, "_capture", held_capture)

    def second():
        assert first_holds.wait(WAIT_SECONDS)
        pids["second"] = backend_pid()
        second_ready.set()
        return visitor_message_post(conversation=conversation, text="second@example.com")

    def referee():
        assert second_ready.wait(WAIT_SECONDS)
        wait_until_blocked(waiter=pids["second"], holder=pids["first"])
        release.set()

    results = run_threads(
        {
            "first": lambda: visitor_message_post(conversation=conversation, text="first@example.com"),
            "second": second,
            "referee": referee,
        }
    )
    assert (results["first"].email_captured, results["second"].email_captured) == (True, False)
    assert [(m.seq, m.sender) for m in results["second"].messages] == [(4, "visitor")]  # the bot stays silent
    conversation.refresh_from_db()
    assert (conversation.email, conversation.last_seq) == ("first@example.com", 4)
    assert list(Contact.objects.values_list("email", flat=True)) == ["first@example.com"]
    assert list(Message.objects.order_by("seq").values_list("seq", "sender", "text")) == [
        (1, "bot", "Hi! How can we help?"),
        (2, "visitor", "first@example.com"),
        (3, "bot", "Thanks, we will be in touch."),
        (4, "visitor", "second@example.com"),
    ]
