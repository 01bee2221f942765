"""The OpenAPI schema and the docs pages: who may see them, what the schema lists, and that it validates."""

import json

import pytest
import yaml
from django.core.management import call_command

from api.schema_extensions import SECURITY_SCHEME
from integrations.scopes import CONTACTS_READ, CONTACTS_WRITE, MARKETING_WRITE
from integrations.services import integration_revoke
from marketing_status.actors import Actor, ActorKind
from tests.api.test_base import assert_error
from tests.factories import UserFactory

SCHEMA = "/api/schema/"
CONTACTS = "/crm/v3/objects/contacts"
MARKETING = "/marketing/v3/marketing-contacts"

# (path, method) -> (operationId, tag, scopes the token needs: R30)
OPERATIONS = {
    (CONTACTS, "get"): ("getPage", "Basic", [CONTACTS_READ]),
    (CONTACTS, "post"): ("create", "Basic", [CONTACTS_WRITE]),
    (f"{CONTACTS}/{{contact_id}}", "get"): ("getById", "Basic", [CONTACTS_READ]),
    (f"{CONTACTS}/{{contact_id}}", "patch"): ("update", "Basic", [CONTACTS_WRITE]),
    (f"{CONTACTS}/{{contact_id}}", "delete"): ("archive", "Basic", [CONTACTS_WRITE]),
    (f"{CONTACTS}/batch/read", "post"): ("batchRead", "Batch", [CONTACTS_READ]),
    (f"{CONTACTS}/batch/create", "post"): ("batchCreate", "Batch", [CONTACTS_WRITE]),
    (f"{CONTACTS}/batch/update", "post"): ("batchUpdate", "Batch", [CONTACTS_WRITE]),
    (f"{CONTACTS}/batch/upsert", "post"): ("batchUpsert", "Batch", [CONTACTS_WRITE]),
    (f"{CONTACTS}/batch/archive", "post"): ("batchArchive", "Batch", [CONTACTS_WRITE]),
    (f"{CONTACTS}/search", "post"): ("doSearch", "Search", [CONTACTS_READ]),
    (f"{MARKETING}/batch/set-marketing", "post"): ("setMarketing", "Marketing contacts", [MARKETING_WRITE]),
    (f"{MARKETING}/batch/set-non-marketing", "post"): ("setNonMarketing", "Marketing contacts", [MARKETING_WRITE]),
    (f"{MARKETING}/usage", "get"): ("getUsage", "Marketing contacts", [CONTACTS_READ]),
    ("/extensions/v1/contacts", "post"): ("createFromExtension", "Mobile app and email extension", [CONTACTS_WRITE]),
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def operations(schema: dict) -> dict[tuple[str, str], dict]:
    return {
        (path, method): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


@pytest.fixture
def schema(api) -> dict:
    response = api.get(SCHEMA)
    assert response.status_code == 200
    return json.loads(response.content)


# --- Who may read the schema and the docs ------------------------------------------------------------


@pytest.mark.django_db
def test_schema_without_credentials_is_401_in_hubspot_shape(client):
    response = client.get(SCHEMA)
    assert_error(response, 401, "INVALID_AUTHENTICATION")
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.django_db
def test_schema_with_unknown_token_is_401(client):
    assert_error(client.get(SCHEMA, HTTP_AUTHORIZATION="Bearer pat-crm-nope"), 401, "INVALID_AUTHENTICATION")


def test_schema_with_revoked_token_is_401(api):
    integration_revoke(integration=api.integration, actor=Actor(ActorKind.SYSTEM, "tests"))
    assert_error(api.get(SCHEMA), 401, "INVALID_AUTHENTICATION")


def test_schema_with_any_valid_token_is_json(make_client):
    reader = make_client(scopes=(CONTACTS_READ,))
    response = reader.get(SCHEMA)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["openapi"] == "3.0.3"


@pytest.mark.django_db
def test_schema_for_signed_in_user_session(client):
    client.force_login(UserFactory())
    response = client.get(SCHEMA)
    assert response.status_code == 200
    assert json.loads(response.content)["info"]["title"] == "CRM API"


def test_schema_as_yaml_on_request(api):
    response = api.get(SCHEMA, {"format": "yaml"})
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == "application/yaml"
    assert yaml.safe_load(response.content)["openapi"] == "3.0.3"


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_send_signed_out_visitors_to_login(client, page):
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={page}"


def test_docs_pages_are_not_opened_by_a_token(api):
    response = api.get("/api/docs/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/api/docs/"


@pytest.mark.django_db
def test_swagger_ui_for_signed_in_user_is_served_from_the_sidecar(client):
    client.force_login(UserFactory())
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert '<script src="/api/docs/?script="></script>' in page  # its set-up script is a file (CSP)
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert '"/api/schema/"' in script.content.decode()


@pytest.mark.django_db
def test_redoc_for_signed_in_user_is_served_from_the_sidecar(client):
    client.force_login(UserFactory())
    response = client.get("/api/redoc/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in page
    assert "/api/schema/" in page


# --- What the schema says --------------------------------------------------------------------------


def test_schema_declares_the_bearer_scheme(schema):
    scheme = schema["components"]["securitySchemes"]
    assert list(scheme) == [SECURITY_SCHEME]
    assert scheme[SECURITY_SCHEME]["type"] == "http"
    assert scheme[SECURITY_SCHEME]["scheme"] == "bearer"


def test_schema_lists_exactly_the_api_operations_with_hubspot_names(schema):
    assert {key: (op["operationId"], op["tags"]) for key, op in operations(schema).items()} == {
        key: (operation_id, [tag]) for key, (operation_id, tag, _) in OPERATIONS.items()
    }


def test_every_operation_needs_the_bearer_token_and_names_its_scopes_R30(schema):
    for key, operation in operations(schema).items():
        assert operation["security"] == [{SECURITY_SCHEME: []}], key
        assert operation["x-hubspot-required-scopes"] == OPERATIONS[key][2], key


def test_every_operation_documents_a_success_and_the_errors_every_endpoint_can_give(schema):
    """401 (token), 403 (scopes, R30) and 429 (rate limit) can answer any operation, in HubSpot's error shape."""
    for key, operation in operations(schema).items():
        assert any(code.startswith("2") for code in operation["responses"]), key
        for code in ("401", "403", "429"):
            error = operation["responses"][code]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}, (key, code)


def test_management_command_validates_without_warnings_and_matches_the_served_schema(schema, tmp_path):
    target = tmp_path / "schema.json"
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(target))
    assert json.loads(target.read_text()) == schema
