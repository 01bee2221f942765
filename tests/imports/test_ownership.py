"""R4's rows not imported are the importer's: an import's page, its status and its error files (rejected rows with
their values) are visible to the user who started it and to staff, as jobs are; to any other user, even one who
may import, the import does not exist (404) and none of its rows' values are sent."""

import pytest
from django.contrib.auth.models import Permission

from imports.models import Import, ImportRowError
from tests.factories import UserFactory
from tests.imports.conftest import run_import

pytestmark = pytest.mark.django_db

SECRET_ROWS = [
    ["Email", "First Name", "Phone Number"],
    ["ok@example.com", "Ada", "555 0100"],
    ["not-an-email", "Zebedee", "555 0199"],  # rejected: its values are in the error rows
]
SECRETS = ("not-an-email", "Zebedee", "555 0199", "is not a valid email address")


@pytest.fixture
def imported(subscription, importer_actor):
    imp = run_import(actor=importer_actor, contacts=SECRET_ROWS)
    assert (imp.state, imp.created, imp.errors) == (Import.State.DONE, 1, 1)
    return imp


def _user_who_may_import(**fields):
    user = UserFactory(**fields)
    user.user_permissions.add(Permission.objects.get(codename="add_import"))
    return type(user).objects.get(pk=user.pk)


def _pages(imp: Import) -> dict[str, str]:
    base = f"/contacts-imports/{imp.pk}"
    return {"detail": f"{base}/", "status": f"{base}/status/", "errors": f"{base}/errors/0.csv"}


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def _saved(imp: Import) -> tuple:
    imp.refresh_from_db()
    errors = list(ImportRowError.objects.filter(import_job=imp).values_list("row_number", "reason", "values"))
    return imp.state, imp.rows, imp.errors, errors


@pytest.mark.parametrize("page", ["detail", "status", "errors"])
def test_r4_another_importer_gets_404_and_no_row_values(client, imported, page, db_state):
    before, saved = db_state(), _saved(imported)
    client.force_login(_user_who_may_import())

    response = client.get(_pages(imported)[page])

    assert response.status_code == 404
    body = _body(response)
    assert not [secret for secret in SECRETS if secret in body]
    assert (db_state(), _saved(imported)) == (before, saved)


def test_r4_another_importers_list_does_not_show_the_import(client, imported):
    client.force_login(_user_who_may_import())

    page = client.get("/contacts-imports/").content.decode()

    assert f'data-import="{imported.pk}"' not in page
    assert 'id="no-imports"' in page


@pytest.mark.parametrize("page", ["detail", "status", "errors"])
def test_r4_the_importer_sees_their_import(client, imported, importer, page):
    client.force_login(importer)

    response = client.get(_pages(imported)[page])

    assert response.status_code == 200
    if page != "status":
        assert "Zebedee" in _body(response)


@pytest.mark.parametrize("page", ["detail", "status", "errors"])
def test_r4_staff_see_every_import(client, imported, page):
    client.force_login(_user_who_may_import(is_staff=True))

    response = client.get(_pages(imported)[page])

    assert response.status_code == 200
    if page != "status":
        assert "Zebedee" in _body(response)
    assert f'data-import="{imported.pk}"' in client.get("/contacts-imports/").content.decode()


def test_r4_an_import_whose_starter_was_deleted_is_seen_by_staff_only(client, imported, importer):
    importer.delete()
    client.force_login(_user_who_may_import())
    assert client.get(_pages(imported)["errors"]).status_code == 404

    client.force_login(_user_who_may_import(is_staff=True))
    assert client.get(_pages(imported)["errors"]).status_code == 200


def test_r4_the_map_page_of_a_started_import_is_404_for_another_importer(client, imported):
    """It used to redirect to the import's page, which told that the import exists."""
    client.force_login(_user_who_may_import())

    assert client.get(f"/contacts-imports/{imported.pk}/map/").status_code == 404
