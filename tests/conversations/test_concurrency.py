"""R7 on PostgreSQL: two messages with an email posted at once to one conversation give it one contact, one
thank-you reply and gap-free message numbers; the second waits on the conversation's row lock.

B4 with the lock order: a chat message whose capture creates a marketing contact holds the subscription's
lock (taken by the capture service) to its commit, so a bulk switch racing it waits, then counts the new
contact: the tier guard cannot be passed twice under the tier."""

import threading

import pytest

import conversations.services as services
from billing.models import Subscription, TierUpgrade
from billing.selectors import marketing_count
from contacts.models import Contact
from conversations.models import Message
from conversations.services import conversation_start, visitor_message_post
from marketing_status.policy import CreationTool
from marketing_status.services import TierGuardRefused, contacts_set_marketing, creation_tool_setting_set
from tests.factories import contacts_make
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


def test_b4_a_bulk_switch_racing_a_chat_capture_waits_on_the_subscription_and_counts_its_contact(
    subscription, chatflow, marketer_actor, monkeypatch
):
    creation_tool_setting_set(
        tool=CreationTool.CHATFLOW, source_id=chatflow.source_id, marketing_on_create=True, actor=marketer_actor
    )
    contacts_make(count=1, actor=marketer_actor, marketing=True)
    (other,) = contacts_make(count=1, actor=marketer_actor)
    Subscription.objects.update(tier_guard_enabled=True, contact_tier_limit=2)  # room for one more
    conversation = conversation_start(chatflow=chatflow).conversation
    chat_holds, switch_ready, release = threading.Event(), threading.Event(), threading.Event()
    pids: dict[str, int] = {}
    capture = services._capture

    def held_capture(locked, email, *args):
        contact = capture(locked, email, *args)  # marketing, created; the transaction stays open
        pids["chat"] = backend_pid()
        chat_holds.set()
        assert release.wait(WAIT_SECONDS)
        return contact

    monkeypatch.setattr(services, "_capture", held_capture)

    def switch():
        assert chat_holds.wait(WAIT_SECONDS)
        pids["switch"] = backend_pid()
        switch_ready.set()
        try:
            return contacts_set_marketing(contacts=[other.pk], actor=marketer_actor)
        except TierGuardRefused as refused:
            return refused

    def referee():
        assert switch_ready.wait(WAIT_SECONDS)
        wait_until_blocked(waiter=pids["switch"], holder=pids["chat"])  # on the subscription's row
        release.set()

    results = run_threads(
        {
            "chat": lambda: visitor_message_post(conversation=conversation, text="visitor@example.com"),
            "switch": switch,
            "referee": referee,
        }
    )
    assert results["chat"].email_captured is True
    assert Contact.objects.get(email="visitor@example.com").marketable_status is True
    assert isinstance(results["switch"], TierGuardRefused)
    assert (results["switch"].impact.count_now, results["switch"].impact.count_after) == (2, 3)
    other.refresh_from_db()
    assert other.marketable_status is False
    assert (marketing_count(), TierUpgrade.objects.count()) == (2, 0)
