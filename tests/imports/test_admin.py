"""The Django admin lists imports, their error rows and companies, read-only for imports."""

import pytest
from django.urls import reverse

from companies.models import Company
from imports.models import Import, ImportRowError
from tests.factories import UserFactory
from tests.imports.conftest import run_import

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Import, ImportRowError, Company], ids=lambda model: model.__name__)
def test_changelists(client, subscription, importer_actor, model):
    imp = run_import(
        actor=importer_actor,
        contacts=[["Email", "Company Domain Name"], ["bad", "acme.example"], ["a@example.com", "acme.example"]],
        kind="multi_object",
    )
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    meta = model._meta

    assert client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")).status_code == 200
    assert client.get(reverse("admin:imports_import_change", args=[imp.pk])).status_code == 200
    assert client.get(reverse("admin:imports_import_add")).status_code == 403
