"""Authentication, scopes and the error shape shared by every endpoint."""

import pytest

from integrations.scopes import CONTACTS_READ
from integrations.services import integration_revoke
from marketing_status.actors import Actor, ActorKind

URL = "/crm/v3/objects/contacts"


def assert_error(response, status: int, category: str) -> dict:
    body = response.json()
    assert response.status_code == status, body
    assert body["status"] == "error"
    assert body["category"] == category
    assert body["message"]
    assert body["correlationId"] == response["X-HubSpot-Correlation-Id"]
    return body


@pytest.mark.django_db
def test_missing_token_is_401_in_hubspot_shape(client):
    response = client.get(URL)
    assert_error(response, 401, "INVALID_AUTHENTICATION")
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Bearer nope", "Bearer", "Bearer a b", "Basic dXNlcjpwYXNz"])
def test_bad_token_is_401(client, header):
    assert_error(client.get(URL, HTTP_AUTHORIZATION=header), 401, "INVALID_AUTHENTICATION")


def test_revoked_token_is_401(api):
    integration_revoke(integration=api.integration, actor=Actor(ActorKind.SYSTEM, "tests"))
    assert_error(api.get(URL), 401, "INVALID_AUTHENTICATION")


def test_unknown_api_path_is_json_404(api):
    assert_error(api.get("/crm/v3/objects/tickets"), 404, "OBJECT_NOT_FOUND")


def test_write_needs_write_scope_R30(make_client, subscription):
    reader = make_client(scopes=(CONTACTS_READ,))
    body = assert_error(reader.post(URL, {"properties": {"email": "a@example.com"}}), 403, "MISSING_SCOPES")
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.objects.contacts.write"]
