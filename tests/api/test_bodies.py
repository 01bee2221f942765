"""Request bodies the API cannot take: too large (413), not JSON or empty (400), not sent as JSON (415).

Each is answered in HubSpot's error shape, never a 500, and changes nothing.
"""

import json

import pytest
from django.test import Client

from tests.api.test_base import assert_error
from tests.factories import contacts_make

CONTACTS = "/crm/v3/objects/contacts"
MARKETING = "/marketing/v3/marketing-contacts"
THREE_MB = 3 * 1024 * 1024

# (path, a body it accepts): one of each kind of write, and the search.
ENDPOINTS = {
    "create": (CONTACTS, {"properties": {"email": "ada@example.com"}}),
    "batch-create": (f"{CONTACTS}/batch/create", {"inputs": [{"properties": {"email": "ada@example.com"}}]}),
    "search": (f"{CONTACTS}/search", {"filterGroups": []}),
    "batch-archive": (f"{CONTACTS}/batch/archive", {"inputs": [{"id": "1"}]}),
    "set-marketing": (f"{MARKETING}/batch/set-marketing", {"inputs": [{"id": "1"}]}),
    "extension": ("/extensions/v1/contacts", {"source": "MOBILE_APP", "properties": {"email": "ada@example.com"}}),
}


def padded(body: dict, size: int) -> bytes:
    """`body` with a `padding` key that makes the JSON exactly `size` bytes long."""
    empty = json.dumps({**body, "padding": ""}).encode()
    return json.dumps({**body, "padding": "x" * (size - len(empty))}).encode()


@pytest.fixture
def send(marketing_api):
    def send(path: str, body: bytes, *, method: str = "POST", content_type: str = "application/json", **extra):
        return marketing_api.generic(method, path, body, content_type=content_type, **extra)

    return send


@pytest.fixture
def existing(system_actor):
    """A marketing contact, so that a write which got through would change something."""
    return contacts_make(count=1, actor=system_actor, marketing=True, first_name="Ada")[0]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_3_mb_body_is_413_and_changes_nothing(send, existing, db_state, endpoint):
    path, body = ENDPOINTS[endpoint]
    before = db_state()

    response = send(path, padded(body, THREE_MB))

    error = assert_error(response, 413, "VALIDATION_ERROR")
    assert error["subCategory"] == "REQUEST_BODY_TOO_LARGE"
    assert error["context"] == {"maxBytes": ["2621440"]}
    assert error["message"] == "Request Entity Too Large: the body must be at most 2,621,440 bytes."
    assert db_state() == before


def test_a_3_mb_patch_is_413_and_changes_nothing(send, existing, db_state):
    before = db_state()
    body = padded({"properties": {"firstname": "Eve"}}, THREE_MB)
    assert_error(send(f"{CONTACTS}/{existing.pk}", body, method="PATCH"), 413, "VALIDATION_ERROR")
    assert db_state() == before


def test_the_limit_is_data_upload_max_memory_size(send, settings, existing, db_state):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    path, body = ENDPOINTS["search"]
    assert send(path, padded(body, 1000)).status_code == 200
    assert_error(send(path, padded(body, 1001)), 413, "VALIDATION_ERROR")


def test_a_content_length_above_the_limit_is_413_before_reading(send, settings, db_state):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = db_state()
    path, body = ENDPOINTS["create"]
    response = send(path, json.dumps(body).encode(), CONTENT_LENGTH="1001")
    assert_error(response, 413, "VALIDATION_ERROR")
    assert db_state() == before


@pytest.mark.django_db
def test_authentication_comes_before_the_size(subscription):
    path, body = ENDPOINTS["create"]
    response = Client().generic("POST", path, padded(body, THREE_MB), content_type="application/json")
    assert_error(response, 401, "INVALID_AUTHENTICATION")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("raw", [b"not json", b"{", b'{"inputs": [', b"\xff\xfe\x00", b"\x00"])
def test_a_body_that_is_not_json_is_400_and_changes_nothing(send, existing, db_state, endpoint, raw):
    before = db_state()
    error = assert_error(send(ENDPOINTS[endpoint][0], raw), 400, "VALIDATION_ERROR")
    assert error["subCategory"] == "INVALID_JSON"
    assert error["message"].startswith("Invalid input JSON: ")
    assert db_state() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_empty_body_is_400_and_changes_nothing(send, existing, db_state, endpoint):
    before = db_state()
    error = assert_error(send(ENDPOINTS[endpoint][0], b""), 400, "VALIDATION_ERROR")
    assert error["subCategory"] == "INVALID_JSON"
    assert error["message"] == "Invalid input JSON: the request body is empty."
    assert error["errors"] == [{"message": error["message"], "in": "body", "code": "REQUIRED"}]
    assert db_state() == before


def test_an_empty_patch_is_400_and_changes_nothing(send, existing, db_state):
    before = db_state()
    error = assert_error(send(f"{CONTACTS}/{existing.pk}", b"", method="PATCH"), 400, "VALIDATION_ERROR")
    assert error["subCategory"] == "INVALID_JSON"
    assert db_state() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("content_type", ["", "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_not_sent_as_json_is_415_and_changes_nothing(send, existing, db_state, endpoint, content_type):
    """Without a Content-Type DRF would read the body as `{}`: a search would then match every contact."""
    path, body = ENDPOINTS[endpoint]
    before = db_state()
    response = send(path, json.dumps(body).encode(), content_type=content_type)
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert db_state() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_endpoint_still_accepts_its_json_body(send, existing, endpoint):
    path, body = ENDPOINTS[endpoint]
    assert send(path, json.dumps(body).encode()).status_code < 300


def test_schema_declares_413_and_415_on_every_operation_with_a_body(marketing_api):
    schema = json.loads(marketing_api.get("/api/schema/").content)
    operations = [operation for item in schema["paths"].values() for operation in item.values()]
    with_body = [operation for operation in operations if "requestBody" in operation]
    assert len(with_body) == 11
    for operation in with_body:
        assert {"400", "413", "415"} <= set(operation["responses"]), operation["operationId"]
    assert all("413" not in operation["responses"] for operation in operations if "requestBody" not in operation)
