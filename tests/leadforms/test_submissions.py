"""leadforms.submissions: HubSpot-style validation of submissions (R5), and the capture of other sites' forms
(R6): sensitive fields, the email field, property mapping, one row per external form."""

import pytest

from capture.public import HONEYPOT_FIELD
from contacts.models import Contact
from leadforms.models import ExternalForm, FormSubmission
from leadforms.submissions import (
    CapturedField,
    PageUrlInvalid,
    SubmissionInvalid,
    external_form_capture,
    form_submit,
    is_sensitive,
    page_url_normalized,
)

pytestmark = pytest.mark.django_db


# --- Submissions (R5) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (
            {"email": "not-an-email", "company": "Acme"},
            [("INVALID_EMAIL", "email", "Invalid email address")],
        ),
        (
            {"email": "a@example.com"},
            [("REQUIRED_FIELD", "company", "Required field 'company' is missing")],
        ),
        (
            {"email": "a@example.com", "company": "Acme", "favourite_color": "red"},
            [("FIELD_NOT_IN_FORM_DEFINITION", "favourite_color", "This field was not found in the form definition")],
        ),
        (
            {"email": "a@example.com", "company": "x" * 201},
            [("INPUT_TOO_LARGE", "company", "Value is longer than 200 characters")],
        ),
        (
            {"email": "a@example.com", "company": "Acme", "lifecyclestage": "boss"},
            [("VALUE_NOT_IN_FIELD_DEFINITION", "lifecyclestage", "'boss' is not one of the options")],
        ),
        (
            {"company": "   "},
            [
                ("REQUIRED_FIELD", "email", "Required field 'email' is missing"),
                ("REQUIRED_FIELD", "company", "Required field 'company' is missing"),
            ],
        ),
    ],
)
def test_r5_invalid_submission_raises_hubspot_errors_and_stores_nothing(
    subscription, lead_form, db_state, values, errors
):
    before = db_state()
    with pytest.raises(SubmissionInvalid) as refused:
        form_submit(form=lead_form, values=values)
    assert [(error.error_type, error.field, error.message) for error in refused.value.errors] == errors
    assert db_state() == before
    assert FormSubmission.objects.count() == 0


def test_r5_submission_error_json_is_hubspots():
    from leadforms.submissions import SubmissionError

    assert SubmissionError("INVALID_EMAIL", "email", "Invalid email address").as_json() == {
        "message": "Error in 'fields.email'. Invalid email address",
        "errorType": "INVALID_EMAIL",
    }


def test_r5_submission_records_values_page_and_outcome(subscription, lead_form, frozen_clock):
    submission = form_submit(
        form=lead_form,
        values={"company": " Acme ", "email": "Ada@Example.com", "firstname": "", "lifecyclestage": "lead"},
        context={"pageUri": "https://example.com/newsletter", "pageName": "Newsletter"},
    )
    contact = Contact.objects.get()
    assert (contact.email, contact.company, contact.first_name, contact.lifecycle_stage) == (
        "ada@example.com",
        "Acme",
        "",
        "lead",
    )
    assert (submission.form, submission.contact, submission.created, submission.upgraded) == (
        lead_form,
        contact,
        True,
        False,
    )
    assert submission.values == [  # in the form's order, as submitted
        {"name": "email", "value": "Ada@Example.com"},
        {"name": "firstname", "value": ""},
        {"name": "company", "value": "Acme"},
        {"name": "lifecyclestage", "value": "lead"},
    ]
    assert (submission.page_uri, submission.page_name, submission.submitted_at.isoformat()) == (
        "https://example.com/newsletter",
        "Newsletter",
        "2026-03-10T12:00:00+00:00",
    )


def test_r5_honeypot_filled_stores_nothing(subscription, lead_form, db_state):
    before = db_state()
    result = form_submit(form=lead_form, values={"email": "bot@example.com", "company": "Bots", HONEYPOT_FIELD: "x"})
    assert result is None
    assert (db_state(), FormSubmission.objects.count()) == (before, 0)


def test_r5_empty_honeypot_is_not_a_field_of_the_form(subscription, lead_form):
    submission = form_submit(form=lead_form, values={"email": "a@example.com", "company": "Acme", HONEYPOT_FIELD: ""})
    assert submission is not None
    assert [item["name"] for item in submission.values] == ["email", "company"]


def test_b4_held_by_the_tier_guard_is_recorded_on_the_submission(subscription, lead_form):
    from billing.models import Subscription

    Subscription.objects.update(tier_guard_enabled=True, contact_tier_limit=0)
    submission = form_submit(form=lead_form, values={"email": "a@example.com", "company": "Acme"})
    assert (submission.created, submission.held_by_tier_guard, submission.contact.marketable_status) == (
        True,
        True,
        False,
    )


# --- Captured forms of other sites (R6) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "sensitive"),
    [
        (CapturedField("password", "hunter2", "password"), True),
        (CapturedField("confirm", "hunter2", "password"), True),
        (CapturedField("upload", "c:\\cv.pdf", "file"), True),
        (CapturedField("csrf_token", "abc", "hidden"), True),
        (CapturedField("userPassword", "x"), True),
        (CapturedField("cc-number", "1234"), True),
        (CapturedField("card_cvc", "123"), True),
        (CapturedField("creditCard", "x"), True),
        (CapturedField("ssn", "078-05-1120"), True),
        (CapturedField("note", "4111 1111 1111 1111"), True),  # a card number (Luhn) in any field
        (CapturedField("note", "4111 1111 1111 1112"), False),
        (CapturedField("email", "a@example.com", "email"), False),
        (CapturedField("accept_terms", "on", "checkbox"), False),
        (CapturedField("spinner", "3"), False),
    ],
)
def test_r6_sensitive_fields_are_never_captured(field, sensitive):
    assert is_sensitive(field) is sensitive


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("https://Shop.Example.com/contact?token=secret#top", "https://shop.example.com/contact"),
        ("http://example.com", "http://example.com/"),
        ("file:///home/me/page.html", None),
        ("javascript:alert(1)", None),
        ("https://example.com/" + "a" * 2000, None),
    ],
)
def test_r6_page_urls_lose_their_query(url, normalized):
    assert page_url_normalized(url) == normalized


def test_r6_capture_maps_properties_and_stores_the_rest_without_sensitive_fields(subscription, frozen_clock):
    submission = external_form_capture(
        page_url="https://shop.example.com/contact?utm_source=x",
        page_title="Contact us",
        form_id_attr="contact",
        fields=[
            CapturedField("your-name", "Ada Lovelace"),
            CapturedField("work_mail", "ADA@example.com", "email"),
            CapturedField("organisation", "Analytical Engines"),
            CapturedField("mobile", "+44 20 7946 0000", "tel"),
            CapturedField("password", "secret", "password"),
            CapturedField("message", "Hello"),
        ],
    )
    contact = submission.contact
    assert (contact.email, contact.first_name, contact.last_name, contact.company, contact.phone) == (
        "ada@example.com",
        "Ada",
        "Lovelace",
        "Analytical Engines",
        "+44 20 7946 0000",
    )
    assert [item["name"] for item in submission.values] == [
        "your-name",
        "work_mail",
        "organisation",
        "mobile",
        "message",
    ]
    external = submission.external_form
    assert (external.page_url, external.page_title, external.label) == (
        "https://shop.example.com/contact",
        "Contact us",
        "#contact",
    )
    assert submission.page_uri == "https://shop.example.com/contact"


def test_r6_one_external_form_per_page_and_form(subscription, frozen_clock):
    def capture(email: str, **where):
        return external_form_capture(fields=[CapturedField("email", email, "email")], **where)

    first = capture("a@example.com", page_url="https://example.com/a?x=1", form_id_attr="signup")
    frozen_clock.shift(60)
    again = capture("b@example.com", page_url="https://example.com/a?x=2", form_id_attr="signup")
    by_position = capture("c@example.com", page_url="https://example.com/a", position=2)
    other_page = capture("d@example.com", page_url="https://example.com/b", form_id_attr="signup")
    assert first.external_form_id == again.external_form_id
    assert len({first.external_form_id, by_position.external_form_id, other_page.external_form_id}) == 3
    signup = ExternalForm.objects.get(pk=first.external_form_id)
    assert (signup.last_captured_at - signup.first_captured_at).total_seconds() == 60
    assert ExternalForm.objects.get(pk=by_position.external_form_id).label == "Form 3"


@pytest.mark.parametrize(
    "fields",
    [
        [CapturedField("q", "shoes", "search")],  # no email field: HubSpot makes no contact
        [CapturedField("email", "not an email", "email")],
        [CapturedField("email", "bot@example.com", "email"), CapturedField(HONEYPOT_FIELD, "http://spam")],
    ],
    ids=["no-email", "invalid-email", "honeypot"],
)
def test_r6_capture_without_a_valid_email_or_by_a_bot_stores_nothing(subscription, db_state, fields):
    before = db_state()
    assert external_form_capture(page_url="https://example.com/", fields=fields) is None
    assert db_state() == before
    assert (ExternalForm.objects.count(), FormSubmission.objects.count()) == (0, 0)


def test_r6_email_is_found_by_type_then_name_then_value(subscription):
    submission = external_form_capture(
        page_url="https://example.com/",
        fields=[
            CapturedField("referrer", "friend@example.com"),
            CapturedField("contact_email", "named@example.com"),
            CapturedField("x", "typed@example.com", "email"),
        ],
    )
    assert submission.contact.email == "typed@example.com"
    by_name = external_form_capture(
        page_url="https://example.com/",
        fields=[CapturedField("referrer", "friend@example.com"), CapturedField("contact_email", "named@example.com")],
    )
    assert by_name.contact.email == "named@example.com"


def test_r6_page_url_must_be_http(subscription, db_state):
    before = db_state()
    with pytest.raises(PageUrlInvalid):
        external_form_capture(page_url="about:blank", fields=[CapturedField("email", "a@example.com", "email")])
    assert db_state() == before


def test_r5_page_uri_longer_than_hubspot_allows_is_refused(subscription, lead_form, db_state):
    before = db_state()
    with pytest.raises(SubmissionInvalid) as refused:
        form_submit(
            form=lead_form,
            values={"email": "a@example.com", "company": "Acme"},
            context={"pageUri": "https://example.com/" + "a" * 2000},
        )
    assert [error.error_type for error in refused.value.errors] == ["INVALID_PAGE_URI"]
    assert db_state() == before
