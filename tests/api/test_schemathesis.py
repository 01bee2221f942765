"""Schemathesis against the OpenAPI schema, in process, through Django's WSGI application on the test database.

Every operation of `/api/schema/` gets generated requests, valid and invalid (positive and negative
modes), sent with a token holding every scope. Each response must: not be a 5xx, have a status code
the schema declares for that operation, the declared content type, and a body matching the declared
schema. Derandomized (same examples every run), capped per operation so a run stays short.

A deeper, randomized run: `CRM_SCHEMATHESIS_EXAMPLES=500 CRM_SCHEMATHESIS_RANDOM=1 pytest <this file>`.
"""

import json
import os
from collections import Counter

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.views.schema import SchemaView
from tests.api.conftest import ALL
from tests.factories import contacts_make

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Per operation; the whole module stays well under a minute on either database.
MAX_EXAMPLES = int(os.environ.get("CRM_SCHEMATHESIS_EXAMPLES", "25"))
DERANDOMIZE = not os.environ.get("CRM_SCHEMATHESIS_RANDOM")


def served_schema() -> dict:
    """The document `/api/schema/` serves (same generator, same urlconf), as plain JSON."""
    document = SchemaView.generator_class(urlconf=SchemaView.urlconf).get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


schema = schemathesis.openapi.from_dict(served_schema())
EXAMPLES_RUN: Counter = Counter()  # (operation, status code) -> requests sent; printed at the end with -s
KNOWN_CONTACT_IDS: list[str] = []  # ids of the `token` fixture's contacts, so that some requests name real contacts


@schema.hook
def flatmap_path_parameters(context, path_parameters: dict):
    """Half the generated `{contact_id}`s name a live contact, so success responses get checked too."""
    if not path_parameters or "contact_id" not in path_parameters or not KNOWN_CONTACT_IDS:
        return st.just(path_parameters)
    ids = st.one_of(st.just(path_parameters["contact_id"]), st.sampled_from(KNOWN_CONTACT_IDS))
    return ids.map(lambda contact_id: {**path_parameters, "contact_id": contact_id})


@pytest.fixture(scope="module", autouse=True)
def _report_examples():
    yield
    for (operation, status), count in sorted(EXAMPLES_RUN.items()):
        print(f"schemathesis: {operation} -> {status}: {count}")
    print(f"schemathesis: {EXAMPLES_RUN.total()} requests")


@pytest.fixture
def wsgi_app():
    """Django's real WSGI handler, kept from closing the test's database connection after each request
    (as Django's own test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(make_client, subscription, system_actor, settings):
    """An integration with every scope, some contacts to find, and rate limits out of the way."""
    settings.CRM_API_RATE_LIMIT_10S = 10**9
    settings.CRM_API_RATE_LIMIT_DAILY = 10**9
    contacts = [
        *contacts_make(count=6, actor=system_actor, marketing=True),
        *contacts_make(count=6, actor=system_actor),
    ]
    KNOWN_CONTACT_IDS[:] = [str(contact.pk) for contact in contacts]
    return make_client(scopes=ALL).token


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, token, wsgi_app):
    response = case.call(headers={"Authorization": f"Bearer {token}"}, app=wsgi_app)
    EXAMPLES_RUN[(case.operation.label, response.status_code)] += 1
    case.validate_response(response, checks=CHECKS)


# --- What fuzzing found, pinned as plain examples ------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("get", "/crm/v3/objects/contacts/²", None, 404),
        ("delete", "/crm/v3/objects/contacts/³", None, 404),
        ("post", "/crm/v3/objects/contacts/batch/archive", {"inputs": [{"id": "¹"}]}, 204),
        ("post", "/marketing/v3/marketing-contacts/batch/set-marketing", {"inputs": [{"id": "²"}]}, 207),
    ],
)
def test_superscript_digit_ids_name_no_contact_rather_than_failing(
    marketing_api, system_actor, db_state, method, path, body, status
):
    """'²'.isdigit() is true but int('²') raises: fuzzing found these answering 500 (fixed in api/lookups.py)."""
    contacts_make(count=3, actor=system_actor, marketing=True)
    before = db_state()
    response = getattr(marketing_api, method)(path, body) if body else getattr(marketing_api, method)(path)
    assert response.status_code == status
    assert db_state() == before
