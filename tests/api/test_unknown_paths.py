"""Unknown paths under the API prefixes: HubSpot's JSON 404 for every method, never Django's HTML pages.

The client enforces CSRF as a browser's would: API callers send no CSRF token, so a write to an unknown
path must not meet the HTML "CSRF verification failed" 403 before the 404.
"""

import pytest
from django.test import Client
from django.urls import reverse

from contacts.models import Contact
from tests.api.test_base import assert_error
from tests.factories import UserFactory, contacts_make

METHODS = ("get", "post", "put", "patch", "delete", "options")
UNKNOWN_PATHS = (
    "/crm/v3/objects/tickets",
    "/crm/v3/objects/contacts/1/associations/companies",
    "/crm/v3",
    "/crm/v4/associations/contacts/companies/batch/create",
    "/marketing/v3/marketing-contacts/batch/nope",
    "/marketing/v3/emails",
    "/extensions/v1/nope",
    "/submissions/v3/integration/nope",
    "/forms/v2/nope",
    "/collected-forms/v1/nope",
    "/conversations/v1/nope",
)


def send(client: Client, method: str, path: str, **extra):
    if method == "get":
        return client.get(path, **extra)
    return getattr(client, method)(path, data='{"inputs": []}', content_type="application/json", **extra)


@pytest.fixture
def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


@pytest.mark.django_db
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", UNKNOWN_PATHS)
def test_unknown_path_is_json_404_without_a_token(csrf_client, method, path):
    response = send(csrf_client, method, path)
    body = assert_error(response, 404, "OBJECT_NOT_FOUND")
    assert response["Content-Type"] == "application/json"
    assert body["message"] == f"No endpoint matches {path}."


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", UNKNOWN_PATHS[:4])
def test_unknown_path_is_json_404_with_a_token(make_client, subscription, csrf_client, method, path):
    token = make_client().token
    response = send(csrf_client, method, path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_error(response, 404, "OBJECT_NOT_FOUND")


@pytest.mark.django_db
@pytest.mark.parametrize("method", ("post", "put", "patch", "delete"))
def test_signed_in_browser_without_csrf_token_gets_the_json_404(csrf_client, method):
    csrf_client.force_login(UserFactory())
    assert_error(send(csrf_client, method, "/crm/v3/objects/deals"), 404, "OBJECT_NOT_FOUND")


@pytest.mark.django_db
def test_head_is_a_404_too(csrf_client):
    response = csrf_client.head("/crm/v4/objects/contacts")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("method", ("post", "put", "patch", "delete"))
def test_write_to_unknown_path_below_a_contact_changes_nothing(api, system_actor, csrf_client, method):
    contact = contacts_make(count=1, actor=system_actor, first_name="Ada")[0]
    before = Contact.objects.values().get(pk=contact.pk)
    path = f"/crm/v3/objects/contacts/{contact.pk}/archive"
    response = getattr(csrf_client, method)(
        path,
        data='{"properties": {"firstname": "Eve"}}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )
    assert_error(response, 404, "OBJECT_NOT_FOUND")
    assert Contact.objects.values().get(pk=contact.pk) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/marketing/forms/", "/marketing/emails/", "/conversations/", "/forms/embed/v2.js", "/conversations/v1/widget.js"],
)
def test_screens_and_public_paths_under_the_same_words_are_not_shadowed(client, path):
    client.force_login(UserFactory(is_superuser=True))
    response = client.get(path)
    assert response.status_code == 200
    assert "json" not in response["Content-Type"]


@pytest.mark.django_db
def test_known_api_paths_still_answer_their_own_views(csrf_client):
    assert_error(csrf_client.post(reverse("api:contacts-search"), {}), 401, "INVALID_AUTHENTICATION")
    assert_error(csrf_client.post(reverse("api:extension-contacts"), {}), 401, "INVALID_AUTHENTICATION")


@pytest.mark.django_db
def test_other_unknown_paths_keep_the_html_404(client):
    response = client.post("/nowhere/v3/contacts")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
