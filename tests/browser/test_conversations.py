"""In a real browser: the chat widget on a page of another site (R7). Open the chat, write, answer with an
email, get the thank-you reply; the contact exists with R7's status (non-marketing by default, reason
CONVERSATION, the chatflow's id); an agent answers from the conversation page and the widget shows it."""

import functools
import http.server
import threading

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from contacts.models import Contact
from conversations.models import Chatflow, Conversation
from conversations.services import chatflow_create
from tests.browser.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def other_site(tmp_path):
    """A static site on its own origin (another port): (directory it serves, its base URL)."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(tmp_path))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def chatflow(system_actor):
    return chatflow_create(
        name="Pricing page",
        welcome_message="Hi! How can we help?",
        email_prompt="What is your email address?",
        thanks_message="Thanks! We will reply here shortly.",
        actor=system_actor,
    )


@pytest.fixture
def agent(db):
    user = UserFactory()
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_chatflow", "view_conversation", "change_conversation"])
    )
    return user


def _shop_page(directory, live_server, chatflow) -> None:
    (directory / "index.html").write_text(
        "<!doctype html><html><head><title>Shop</title></head><body><h1>Our prices</h1>"
        f'<script src="{live_server.url}/conversations/v1/widget.js" data-chatflow="{chatflow.public_id}"'
        ' data-poll-interval="300" async></script></body></html>',
        encoding="utf-8",
    )


def test_r7_chat_in_the_widget_creates_a_non_marketing_contact_and_shows_an_agents_reply(
    page, live_server, other_site, subscription, chatflow, agent, screenshot
):
    directory, site = other_site
    _shop_page(directory, live_server, chatflow)
    page.goto(f"{site}/index.html")

    page.click("#crm-chat-launcher")
    log = page.locator("#crm-chat-log li")
    expect(log.first).to_have_text("Hi! How can we help?")

    page.fill("#crm-chat-input", "Do you have a student discount?")
    page.click("#crm-chat-send")
    expect(log.nth(2)).to_have_text("What is your email address?")
    expect(page.locator("#crm-chat-input")).to_have_value("")

    page.fill("#crm-chat-input", "sure: not-an-email@")
    page.press("#crm-chat-input", "Enter")
    expect(log.nth(4)).to_have_text("What is your email address?")
    assert Contact.objects.count() == 0

    page.fill("#crm-chat-input", "It is Ada.Student@Example.com")
    page.click("#crm-chat-send")
    expect(log.nth(6)).to_have_text("Thanks! We will reply here shortly.")

    contact = Contact.objects.get(email="ada.student@example.com")
    assert (contact.marketable_status, contact.marketable_until_renewal) == (False, False)  # R7: off by default
    assert (contact.marketable_reason_type, contact.marketable_reason_id) == ("CONVERSATION", str(chatflow.pk))
    conversation = Conversation.objects.get()
    assert conversation.contact == contact

    agent_page = page.context.new_page()
    agent_page.goto(f"{live_server.url}/login/?next=/conversations/{chatflow.pk}/conversations/{conversation.pk}/")
    agent_page.fill("input[name=username]", agent.get_username())
    agent_page.fill("input[name=password]", PASSWORD)
    agent_page.click("button[type=submit]")
    expect(agent_page.locator("#contact-link")).to_have_text("ada.student@example.com")
    agent_page.fill("textarea[name=text]", "Yes: 20% off with a student card.")
    agent_page.click("#send-reply")
    expect(agent_page.locator("#transcript li.agent")).to_contain_text("Yes: 20% off with a student card.")

    agent_reply = page.locator("#crm-chat-log li.agent")
    expect(agent_reply).to_have_text("Yes: 20% off with a student card.")  # shown by the next poll
    screenshot("chat-widget")
    screenshot("chat-transcript", agent_page)
    agent_page.close()

    page.reload()  # the tab keeps its conversation: reopening shows it again instead of starting another
    page.click("#crm-chat-launcher")
    expect(page.locator("#crm-chat-log li")).to_have_count(8)
    expect(page.locator("#crm-chat-log li").last).to_have_text("Yes: 20% off with a student card.")
    assert Conversation.objects.count() == 1


def test_r7_a_switched_off_chatflow_says_the_chat_is_not_available(page, live_server, other_site, chatflow, db):
    from conversations.services import chatflow_update
    from marketing_status.actors import Actor, ActorKind

    chatflow_update(chatflow=chatflow, actor=Actor(ActorKind.SYSTEM, "tests"), is_enabled=False)
    directory, site = other_site
    _shop_page(directory, live_server, chatflow)
    page.goto(f"{site}/index.html")
    page.click("#crm-chat-launcher")
    expect(page.locator("#crm-chat-status")).to_have_text("This chat is not available right now.")
    expect(page.locator("#crm-chat-send")).to_be_disabled()
    assert Conversation.objects.count() == 0


def test_r7_create_a_chatflow_switch_its_setting_and_copy_the_install_code(page, sign_in, screenshot, live_server):
    marketer = UserFactory()
    marketer.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_chatflow", "add_chatflow", "change_chatflow", "marketing_contact_access"]
        )
    )
    sign_in(marketer)
    page.goto("/conversations/")
    page.click("#create-chatflow")
    page.fill("input[name=name]", "Support chat")
    page.click("#save")
    chatflow = Chatflow.objects.get()
    page.wait_for_url(f"**/conversations/{chatflow.pk}/")
    expect(page.locator("#marketing-setting-state")).to_have_text("non-marketing contacts")  # R7: off by default
    page.click("#marketing-setting-toggle")
    expect(page.locator("#marketing-setting-state")).to_have_text("marketing contacts")
    expect(page.locator("#marketing-setting-history tbody tr")).to_have_count(1)
    assert marketer.get_username() in page.locator("#marketing-setting-history tbody tr").inner_text()
    snippet = page.locator("#install-snippet").input_value()
    src = f"{live_server.url}/conversations/v1/widget.js"
    assert snippet == f'<script src="{src}" data-chatflow="{chatflow.public_id}" async></script>'
    screenshot("chatflow-edit")
