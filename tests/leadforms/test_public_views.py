"""The public endpoints in HubSpot's shape (R5, R6): success and error answers, 404, 413, 429, CORS,
the honeypot, answers that never reveal whether a contact existed, the hosted page, the scripts."""

import json

import pytest
from django.urls import reverse

from capture.public import HONEYPOT_FIELD
from contacts.models import Contact
from leadforms.builder import FieldSpec, form_create
from leadforms.models import ExternalForm, FormSubmission
from tests.factories import contacts_make
from tests.leadforms.helpers import captured, collect_url, fields, post_json, submit_url

pytestmark = pytest.mark.django_db
VALID = {"email": "ada@example.com", "company": "Acme"}


def _stored() -> tuple:
    return (
        list(Contact.objects.order_by("pk").values_list("pk", "email", "marketable_status", "updated_at")),
        FormSubmission.objects.count(),
        ExternalForm.objects.count(),
    )


def _errors(response) -> list[dict]:
    body = response.json()
    assert (body["status"], set(body)) == ("error", {"status", "message", "correlationId", "errors"})
    return body["errors"]


# --- POST /submissions/v3/integration/submit/<portal>/<guid> ---------------------------------------


def test_r5_accepted_submission_answers_hubspots_inline_message(client, subscription, lead_form):
    response = post_json(
        client,
        submit_url(lead_form),
        {"fields": fields(**VALID), "context": {"pageUri": "https://example.com/news", "pageName": "News"}},
    )
    assert (response.status_code, response.json()) == (200, {"inlineMessage": "Thanks, see you soon!"})
    assert response["Access-Control-Allow-Origin"] == "*"
    submission = FormSubmission.objects.get()
    assert (submission.contact.email, submission.page_uri, submission.page_name) == (
        "ada@example.com",
        "https://example.com/news",
        "News",
    )


def test_r5_form_with_a_redirect_answers_its_redirect_uri(client, subscription, system_actor):
    form = form_create(
        name="Demo", fields=[FieldSpec("email")], redirect_url="https://example.com/thanks", actor=system_actor
    )
    response = post_json(client, submit_url(form), {"fields": fields(email="a@example.com")})
    assert (response.status_code, response.json()) == (200, {"redirectUri": "https://example.com/thanks"})


@pytest.mark.parametrize(
    ("portal", "guid"),
    [("999", None), (None, "8c0f1a55-0000-4000-8000-000000000000"), (None, "not-a-guid")],
    ids=["unknown-portal", "unknown-form", "malformed-guid"],
)
def test_r5_unknown_portal_or_form_is_404_in_hubspots_shape(client, subscription, lead_form, settings, portal, guid):
    url = reverse("leadforms_public:submit", args=[portal or settings.CRM_PORTAL_ID, guid or lead_form.guid])
    before = _stored()
    response = post_json(client, url, {"fields": fields(**VALID)})
    assert response.status_code == 404
    assert _errors(response) == []
    assert _stored() == before


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (
            {"email": "ada@", "company": "Acme"},
            [{"message": "Error in 'fields.email'. Invalid email address", "errorType": "INVALID_EMAIL"}],
        ),
        (
            {"email": "ada@example.com"},
            [
                {
                    "message": "Error in 'fields.company'. Required field 'company' is missing",
                    "errorType": "REQUIRED_FIELD",
                }
            ],
        ),
        (
            {**VALID, "jobtitle": "CEO"},
            [
                {
                    "message": "Error in 'fields.jobtitle'. This field was not found in the form definition",
                    "errorType": "FIELD_NOT_IN_FORM_DEFINITION",
                }
            ],
        ),
        (
            {**VALID, "company": "x" * 201},
            [
                {
                    "message": "Error in 'fields.company'. Value is longer than 200 characters",
                    "errorType": "INPUT_TOO_LARGE",
                }
            ],
        ),
    ],
    ids=["invalid-email", "missing-required", "unknown-field", "too-large"],
)
def test_r5_invalid_submission_is_400_with_hubspot_error_types_and_stores_nothing(
    client, subscription, lead_form, db_state, values, errors
):
    before, stored = db_state(), _stored()
    response = post_json(client, submit_url(lead_form), {"fields": fields(**values)})
    assert response.status_code == 400
    assert response.json()["message"] == "The request is not valid"
    assert _errors(response) == errors
    assert (db_state(), _stored()) == (before, stored)


@pytest.mark.parametrize(
    "body",
    ["not json", json.dumps([1]), json.dumps({"fields": "email"}), json.dumps({"fields": [{"value": "x"}]})],
    ids=["not-json", "not-an-object", "fields-not-a-list", "field-without-name"],
)
def test_r5_malformed_body_is_400_and_stores_nothing(client, subscription, lead_form, body):
    before = _stored()
    response = client.post(submit_url(lead_form), data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["status"] == "error"
    assert _stored() == before


def test_r5_field_of_another_object_is_not_in_the_form(client, subscription, lead_form):
    body = {"fields": [*fields(**VALID), {"objectTypeId": "0-2", "name": "name", "value": "Acme Inc"}]}
    response = post_json(client, submit_url(lead_form), body)
    assert response.status_code == 400
    assert [error["errorType"] for error in _errors(response)] == ["FIELD_NOT_IN_FORM_DEFINITION"]


def test_r5_body_above_the_size_limit_is_413_and_stores_nothing(client, subscription, lead_form):
    before = _stored()
    response = post_json(client, submit_url(lead_form), {"fields": fields(**VALID, firstname="x" * 70_000)})
    assert response.status_code == 413
    assert response.json()["status"] == "error"
    assert _stored() == before


def test_r5_too_many_submissions_from_one_address_are_429(client, subscription, lead_form, settings):
    settings.CRM_INTAKE_RATE_LIMIT_10S = 2
    answers = [
        post_json(client, submit_url(lead_form), {"fields": fields(email=f"v{n}@example.com", company="A")})
        for n in range(3)
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert int(answers[2]["Retry-After"]) >= 1
    assert sorted(Contact.objects.values_list("email", flat=True)) == ["v0@example.com", "v1@example.com"]
    other = post_json(
        client, submit_url(lead_form), {"fields": fields(**VALID)}, REMOTE_ADDR="198.51.100.7"
    )  # counted per source address
    assert other.status_code == 200


def test_r5_honeypot_is_answered_as_accepted_and_stores_nothing(client, subscription, lead_form, db_state):
    before, stored = db_state(), _stored()
    spam = post_json(client, submit_url(lead_form), {"fields": fields(**VALID, **{HONEYPOT_FIELD: "buy now"})})
    assert (db_state(), _stored()) == (before, stored)
    accepted = post_json(client, submit_url(lead_form), {"fields": fields(**VALID)})
    assert (spam.status_code, spam.content) == (accepted.status_code, accepted.content)


def _answer(response) -> tuple:
    return response.status_code, response.content, tuple(sorted(response.headers.items()))


def test_r5_answer_is_the_same_for_new_and_existing_contacts(client, subscription, marketer_actor, lead_form):
    contacts_make(count=1, actor=marketer_actor, email="known@example.com")
    existing = post_json(client, submit_url(lead_form), {"fields": fields(email="known@example.com", company="A")})
    new = post_json(client, submit_url(lead_form), {"fields": fields(email="unknown@example.com", company="A")})
    assert _answer(existing) == _answer(new)
    assert list(FormSubmission.objects.order_by("pk").values_list("created", flat=True)) == [False, True]


def test_r5_cors_preflight_allows_any_origin_without_credentials(client, lead_form):
    response = client.options(
        submit_url(lead_form),
        HTTP_ORIGIN="https://www.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert response["Access-Control-Allow-Headers"] == "Content-Type"
    assert "Access-Control-Allow-Credentials" not in response


def test_r5_get_on_the_submit_endpoint_is_405(client, lead_form):
    assert client.get(submit_url(lead_form)).status_code == 405


# --- Definition, scripts, hosted page --------------------------------------------------------------


def test_form_definition_is_public_and_not_counted(client, lead_form, settings):
    settings.CRM_INTAKE_RATE_LIMIT_10S = 1
    url = reverse("leadforms_public:definition", args=[settings.CRM_PORTAL_ID, lead_form.guid])
    answers = [client.get(url, HTTP_ORIGIN="https://www.example.org") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    body = answers[0].json()
    assert answers[0]["Access-Control-Allow-Origin"] == "*"
    assert (body["guid"], body["submitText"], body["inlineMessage"], body["honeypotField"]) == (
        str(lead_form.guid),
        "Submit",
        "Thanks, see you soon!",
        HONEYPOT_FIELD,
    )
    assert [(field["name"], field["required"], field["fieldType"]) for field in body["fields"]] == [
        ("email", True, "email"),
        ("firstname", False, "text"),
        ("company", True, "text"),
        ("lifecyclestage", False, "select"),
    ]
    assert body["fields"][3]["options"][0] == {"value": "subscriber", "label": "Subscriber"}


@pytest.mark.parametrize(
    ("name", "expected"), [("embed_script", "hbspt.forms.create"), ("collector_script", 'addEventListener("submit"')]
)
def test_scripts_are_served_as_javascript(client, name, expected):
    response = client.get(reverse(f"leadforms_public:{name}"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=300"
    assert expected in response.content.decode()


def test_r5_hosted_page_renders_the_form_with_its_honeypot(client, lead_form):
    response = client.get(reverse("leadforms_public:hosted_form", args=[lead_form.guid]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="email"' in html and 'name="company"' in html and f'name="{HONEYPOT_FIELD}"' in html
    assert "hbspt.forms.create" in html


def test_r5_hosted_page_of_an_unknown_form_is_404(client):
    assert client.get("/forms/8c0f1a55-0000-4000-8000-000000000000/").status_code == 404


def test_r5_hosted_page_plain_html_post_shows_the_thank_you(client, subscription, lead_form):
    response = client.post(
        reverse("leadforms_public:hosted_form", args=[lead_form.guid]), {**VALID, HONEYPOT_FIELD: ""}
    )
    assert response.status_code == 200
    assert "Thanks, see you soon!" in response.content.decode()
    contact = Contact.objects.get()
    assert (contact.email, contact.marketable_status) == ("ada@example.com", True)


def test_r5_hosted_page_plain_html_post_keeps_values_and_shows_errors(client, subscription, lead_form, db_state):
    before = db_state()
    response = client.post(
        reverse("leadforms_public:hosted_form", args=[lead_form.guid]), {"email": "ada@", "firstname": "Ada"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="ada@"' in html and 'value="Ada"' in html  # nothing typed is lost
    assert "Please enter a valid email address." in html
    assert "Please complete this required field." in html
    assert "hbspt.forms.create" not in html  # the script would replace the posted values
    assert db_state() == before


def test_r5_hosted_page_with_a_redirect_sends_the_visitor_there(client, subscription, system_actor):
    form = form_create(name="D", fields=[FieldSpec("email")], redirect_url="https://example.com/t", actor=system_actor)
    response = client.post(reverse("leadforms_public:hosted_form", args=[form.guid]), {"email": "a@example.com"})
    assert (response.status_code, response["Location"]) == (302, "https://example.com/t")


# --- POST /collected-forms/v1/submit/<portal> (R6) -------------------------------------------------


def test_r6_capture_answers_the_same_whatever_happened(client, subscription, marketer_actor, db_state):
    contacts_make(count=1, actor=marketer_actor, email="known@example.com")
    stored = post_json(client, collect_url(), captured(email="new@example.com"))
    known = post_json(client, collect_url(), captured(email="known@example.com"))
    before = db_state(), _stored()
    no_email = post_json(client, collect_url(), captured(q="shoes"))
    spam = post_json(client, collect_url(), captured(email="bot@example.com", **{HONEYPOT_FIELD: "x"}))
    assert (db_state(), _stored()) == before
    answers = {_answer(response) for response in (stored, known, no_email, spam)}
    assert len(answers) == 1
    assert (stored.status_code, stored.json()) == (200, {})
    assert FormSubmission.objects.count() == 2


def test_r6_collector_body_sent_as_text_plain_is_accepted(client, subscription):
    """The collector posts text/plain (a simple cross-origin request, no preflight)."""
    response = client.post(
        collect_url(), data=json.dumps(captured(email="a@example.com")), content_type="text/plain;charset=UTF-8"
    )
    assert response.status_code == 200
    assert Contact.objects.get().email == "a@example.com"


def test_r6_unknown_portal_is_404_and_bad_page_is_400(client, subscription):
    before = _stored()
    unknown = post_json(client, collect_url("999"), captured(email="a@example.com"))
    bad_page = post_json(client, collect_url(), captured(page_url="file:///x.html", email="a@example.com"))
    assert (unknown.status_code, bad_page.status_code) == (404, 400)
    assert [error["errorType"] for error in _errors(bad_page)] == ["INVALID_PAGE_URI"]
    assert _stored() == before


def test_r6_capture_is_size_and_rate_limited(client, subscription, settings):
    before = _stored()
    too_big = post_json(client, collect_url(), captured(email="a@example.com", message="x" * 70_000))
    assert too_big.status_code == 413
    assert _stored() == before
    settings.CRM_INTAKE_RATE_LIMIT_10S = 1
    statuses = [post_json(client, collect_url(), captured(email=f"v{n}@example.com")).status_code for n in range(2)]
    assert statuses == [200, 429]
    assert list(Contact.objects.values_list("email", flat=True)) == ["v0@example.com"]
