"""Forms in a real browser: the hosted form page with the embed script (R5), and an ordinary form on a
static page of another origin captured by the collector script (R6)."""

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from playwright.sync_api import expect

from contacts.models import Contact
from leadforms.builder import FieldSpec, form_create
from leadforms.models import ExternalForm, FormSubmission
from marketing_status.policy import CreationTool

pytestmark = pytest.mark.django_db(transaction=True)

EXTERNAL_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme – Contact us</title>
<script src="{crm}/collected-forms/v1/collector.js" data-portal-id="{portal}" async></script></head>
<body>
<form id="contact-us" action="/thanks.html" method="get">
  <label>Your name <input name="your-name"></label>
  <label>Email <input type="email" name="your-email"></label>
  <label>Password <input type="password" name="password"></label>
  <input type="hidden" name="token" value="s3cret">
  <label>Message <textarea name="message"></textarea></label>
  <button type="submit">Send</button>
</form>
</body></html>
"""


EMBED_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme – Webinar</title></head>
<body>
<h1>Join the webinar</h1>
<script charset="utf-8" type="text/javascript" src="{crm}/forms/embed/v2.js"></script>
<script>
  hbspt.forms.create({{ portalId: "{portal}", formId: "{guid}" }});
</script>
</body></html>
"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def other_site(tmp_path, live_server):
    """A static site on another origin (127.0.0.1 and its own port; the CRM is at localhost), serving
    `tmp_path`: tests write their pages there."""
    (tmp_path / "thanks.html").write_text("<!doctype html><title>Thanks</title><h1>Thanks, we'll be in touch.</h1>")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def submission_committed():
    """An event set once a form submission has been committed by the live server: the page navigates away
    while the collector's keepalive request is still on its way, so the browser can't tell when it is done."""
    committed = threading.Event()

    def on_save(sender, **kwargs):
        transaction.on_commit(committed.set)

    post_save.connect(on_save, sender=FormSubmission, weak=False)
    yield committed
    post_save.disconnect(on_save, sender=FormSubmission)


@pytest.fixture
def webinar_form(system_actor):
    return form_create(
        name="Webinar sign-up",
        fields=[FieldSpec("email", "Work email", True), FieldSpec("firstname", "First name"), FieldSpec("company")],
        submit_text="Register",
        thank_you_message="You're registered. See you there!",
        actor=system_actor,
    )


def test_r5_hosted_form_page_shows_server_errors_then_the_thank_you(page, subscription, webinar_form, screenshot):
    page.goto(f"/forms/{webinar_form.guid}/")
    form = page.locator(f'form[data-form-id="{webinar_form.guid}"]')  # rendered by the embed script
    expect(form).to_be_visible()
    form.get_by_label("Work email").fill("ada@")
    form.get_by_label("First name").fill("Ada")
    form.get_by_role("button", name="Register").click()
    error = form.locator('.hs-form-field[data-field="email"] .hs-error-msgs')
    expect(error).to_have_text("Please enter a valid email address.")
    assert Contact.objects.count() == 0

    form.get_by_label("Work email").fill("Ada@Example.com")
    screenshot("hosted-form")
    form.get_by_role("button", name="Register").click()
    expect(page.locator(".submitted-message")).to_have_text("You're registered. See you there!")
    contact = Contact.objects.get()
    assert (contact.email, contact.first_name, contact.creation_tool) == (
        "ada@example.com",
        "Ada",
        CreationTool.HUBSPOT_FORM,
    )
    assert (contact.marketable_status, contact.marketable_until_renewal) == (True, False)  # R5: on by default
    assert (contact.marketable_reason_type, contact.marketable_reason_id) == ("FORM_SUBMISSION", webinar_form.source_id)
    submission = FormSubmission.objects.get()
    assert submission.page_uri.endswith(f"/forms/{webinar_form.guid}/")
    assert submission.page_name == "Webinar sign-up"


def test_r5_hubspot_embed_code_on_another_origin(page, live_server, subscription, webinar_form, other_site, tmp_path):
    """The embed code as the Embed page gives it (no target: the form appears where the script is), on a
    page of another origin: the definition and the JSON post are cross-origin requests (CORS preflight)."""
    (tmp_path / "embed.html").write_text(
        EMBED_PAGE.format(crm=live_server.url, portal=settings.CRM_PORTAL_ID, guid=webinar_form.guid)
    )
    page.goto(other_site + "/embed.html")
    form = page.locator(f'h1 ~ .hbspt-form > form[data-form-id="{webinar_form.guid}"]')  # where the script is
    expect(form).to_be_visible()
    form.get_by_label("Work email").fill("linus@example.com")
    form.get_by_label("Company name").fill("Penguins")
    with page.expect_response(lambda response: "/submissions/v3/integration/submit/" in response.url) as answer:
        form.get_by_role("button", name="Register").click()
    assert answer.value.status == 200
    expect(page.locator(".submitted-message")).to_have_text("You're registered. See you there!")
    contact = Contact.objects.get()
    assert (contact.email, contact.company, contact.marketable_status) == ("linus@example.com", "Penguins", True)
    assert FormSubmission.objects.get().page_uri == other_site + "/embed.html"


def test_r6_ordinary_form_on_another_origin_is_captured(
    page, live_server, subscription, other_site, tmp_path, submission_committed
):
    (tmp_path / "index.html").write_text(EXTERNAL_PAGE.format(crm=live_server.url, portal=settings.CRM_PORTAL_ID))
    page.goto(other_site + "/")
    page.get_by_label("Your name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password").fill("hunter2")
    page.get_by_label("Message").fill("Call me")
    with page.expect_request(lambda request: "/collected-forms/v1/submit/" in request.url) as sent:
        page.get_by_role("button", name="Send").click()
    assert sent.value.method == "POST"
    page.wait_for_url("**/thanks.html?**")  # the page's own submit went ahead, not held up by the capture
    expect(page.get_by_role("heading")).to_have_text("Thanks, we'll be in touch.")
    assert submission_committed.wait(timeout=20)

    contact = Contact.objects.get()
    external = ExternalForm.objects.get()
    assert (contact.email, contact.first_name, contact.last_name, contact.creation_tool) == (
        "grace@example.com",
        "Grace",
        "Hopper",
        CreationTool.NON_HUBSPOT_FORM,
    )
    # R6: the account-wide setting is on by default; the reason id names the external form.
    assert (contact.marketable_status, contact.marketable_reason_type, contact.marketable_reason_id) == (
        True,
        "FORM_SUBMISSION",
        external.source_id,
    )
    assert (external.page_url, external.label, external.page_title) == (
        other_site + "/",
        "#contact-us",
        "Acme – Contact us",
    )
    submission = FormSubmission.objects.get()
    assert submission.values == [  # no password, no hidden token
        {"name": "your-name", "value": "Grace Hopper"},
        {"name": "your-email", "value": "grace@example.com"},
        {"name": "message", "value": "Call me"},
    ]
