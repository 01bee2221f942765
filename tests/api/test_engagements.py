"""`POST /extensions/v1/contacts` (api/views/engagements.py): the mobile app and email extension intake,
authenticated by token or session (401/403), validated (400), creating (201) or matching (200) the contact,
always non-marketing (R9, R30)."""

import json

import pytest
from django.test import Client

from contacts.models import Contact
from integrations.scopes import CONTACTS_READ, CONTACTS_WRITE, MARKETING_WRITE
from integrations.services import integration_create
from marketing_status.actors import Actor, ActorKind
from tests.api.conftest import TokenClient
from tests.factories import contacts_make

pytestmark = pytest.mark.django_db
URL = "/extensions/v1/contacts"
BODY = {"source": "EMAIL_EXTENSION", "properties": {"email": "Ext@Example.com", "firstname": "Ext"}}


def _post(client, body=BODY, **extra):
    if isinstance(client, TokenClient):
        return client.post(URL, body, **extra)
    return client.post(URL, json.dumps(body), content_type="application/json", **extra)


def _error(response, status: int, category: str) -> dict:
    body = response.json()
    assert response.status_code == status, body
    assert (body["status"], body["category"]) == ("error", category)
    return body


@pytest.fixture
def token_client(db):
    """`token_client(scopes)` → a client sending the bearer token of a new integration with those scopes."""

    def make(scopes):
        integration, token = integration_create(
            name="Extension", scopes=scopes, marketing_on_create=False, actor=Actor(ActorKind.SYSTEM, "tests")
        )
        return TokenClient(integration, token)

    return make


@pytest.fixture
def writer(token_client, subscription):
    return token_client((CONTACTS_READ, CONTACTS_WRITE))


def test_r9_a_token_with_the_write_scope_creates_a_non_marketing_contact(writer):
    response = _post(writer)
    body = response.json()
    assert response.status_code == 201
    contact = Contact.objects.get(email="ext@example.com")
    assert body["id"] == str(contact.pk)
    props = body["properties"]
    assert (props["email"], props["firstname"], props["hs_object_source"], props["hs_marketable_status"]) == (
        "ext@example.com",
        "Ext",
        "EMAIL_EXTENSION",
        "false",
    )
    assert (contact.marketable_reason_type, contact.marketable_reason_id) == ("EMAIL", str(writer.integration.pk))


def test_r9_an_existing_contact_is_200_with_its_id_and_keeps_its_status(writer, marketer_actor, history_of):
    (known,) = contacts_make(count=1, actor=marketer_actor, marketing=True)
    history = history_of(known)
    response = _post(writer, {"source": "MOBILE_APP", "properties": {"email": known.email, "company": "Acme"}})
    assert (response.status_code, response.json()["id"]) == (200, str(known.pk))
    known.refresh_from_db()
    assert (known.company, known.marketable_status, known.creation_tool, history_of(known)) == (
        "Acme",
        True,
        "MANUAL",
        history,
    )


def test_no_credentials_is_401(client, subscription, db_state):
    before = db_state()
    response = _post(client)
    _error(response, 401, "INVALID_AUTHENTICATION")
    assert response["WWW-Authenticate"] == "Bearer"
    assert db_state() == before


def test_a_bad_token_is_401(client, subscription, db_state):
    before = db_state()
    _error(_post(client, HTTP_AUTHORIZATION="Bearer nope"), 401, "INVALID_AUTHENTICATION")
    assert db_state() == before


def test_a_token_without_the_write_scope_is_403(token_client, subscription, db_state):
    reader = token_client((CONTACTS_READ,))
    before = db_state()
    body = _error(_post(reader), 403, "MISSING_SCOPES")
    assert CONTACTS_WRITE in body["errors"][0]["message"]
    assert db_state() == before


def test_a_signed_in_user_may_post_with_the_csrf_token(user_with, subscription):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_with("add_contact"))
    client.get("/contacts/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = _post(client, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201
    contact = Contact.objects.get(email="ext@example.com")
    assert (contact.creation_tool, contact.marketable_status, contact.creation_source_id) == (
        "EMAIL_EXTENSION",
        False,
        str(client.session["_auth_user_id"]),
    )


def test_a_session_without_the_csrf_token_is_403(user_with, subscription, db_state):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_with("add_contact"))
    before = db_state()
    body = _error(_post(client), 403, "MISSING_SCOPES")
    assert "CSRF" in body["message"]
    assert db_state() == before


def test_a_signed_in_user_without_permission_to_create_contacts_is_403(client, user_with, subscription, db_state):
    client.force_login(user_with("view_contact"))
    before = db_state()
    body = _error(_post(client), 403, "MISSING_SCOPES")
    assert body["message"] == "You need permission to create contacts."
    assert db_state() == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"source": "FAX", "properties": {"email": "a@example.com"}}, "source must be one of"),
        ({"properties": {"email": "a@example.com"}}, "source must be one of"),
        ({"source": {}, "properties": {}}, "source must be one of"),  # found by schemathesis: was a 500
        ({"source": ["MOBILE_APP"], "properties": {}}, "source must be one of"),
        ({"source": "MOBILE_APP", "properties": {"email": "nope"}}, "'nope' is not a valid email address."),
        ({"source": "MOBILE_APP", "properties": {"firstname": "No email"}}, "An email address is required."),
        (
            {"source": "MOBILE_APP", "properties": {"email": "a@example.com", "shoe": "42"}},
            'Property "shoe" does not exist',
        ),
        ({"source": "MOBILE_APP", "properties": "email"}, "`properties` must be an object."),
        ({"source": "MOBILE_APP"}, "`properties` must be an object."),
        ([1, 2], "The request body must be a JSON object."),
    ],
)
def test_invalid_input_is_400(writer, db_state, body, message):
    before = db_state()
    error = _error(_post(writer, body), 400, "VALIDATION_ERROR")
    assert message in error["message"]
    assert db_state() == before


def test_r9_r30_the_marketing_status_cannot_be_set_even_with_the_marketing_scope(token_client, subscription, db_state):
    marketing = token_client((CONTACTS_READ, CONTACTS_WRITE, MARKETING_WRITE))
    before = db_state()
    body = {"source": "MOBILE_APP", "properties": {"email": "m@example.com", "hs_marketable_status": "true"}}
    error = _error(_post(marketing, body), 400, "VALIDATION_ERROR")
    assert error["message"] == (
        "hs_marketable_status cannot be set here: contacts from the mobile app and the email extension "
        "are non-marketing."
    )
    assert db_state() == before


def test_invalid_json_is_400(writer, db_state):
    before = db_state()
    response = writer.generic("POST", URL, b"{nope", content_type="application/json")
    _error(response, 400, "VALIDATION_ERROR")
    assert db_state() == before
