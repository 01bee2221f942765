"""Fixtures of the import tests: importers with and without Marketing contact access, files, runs."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile

from imports.models import Import
from imports.services import import_create, import_run
from marketing_status.actors import Actor


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded files go to this test's own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


def _grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return type(user).objects.get(pk=user.pk)  # a fresh instance: permissions are cached per instance


@pytest.fixture
def importer(marketer):
    """May import (imports.add_import) and has Marketing contact access (R30)."""
    return _grant(marketer, "add_import")


@pytest.fixture
def sales_importer(sales_user):
    """May import but lacks Marketing contact access (R30)."""
    return _grant(sales_user, "add_import")


@pytest.fixture
def importer_actor(importer) -> Actor:
    return Actor.for_user(importer)


def csv_bytes(rows: list[list[str]], *, bom: bool = False) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def upload(content: bytes, name: str = "contacts.csv") -> ContentFile:
    return ContentFile(content, name=name)


def run_import(*, actor, contacts=None, companies=None, kind=Import.Kind.SINGLE, chunk_rows=None, **options) -> Import:
    """Create an import from CSV rows (lists of cells, header first) or bytes, and run it here.

    (The task is enqueued on commit, which a test's transaction never reaches; test_tasks.py checks it.)
    """
    files = {}
    for object_type, content in (("contacts", contacts), ("companies", companies)):
        if content is not None:
            data = content if isinstance(content, bytes) else csv_bytes(content)
            files[object_type] = upload(data, f"{object_type}.csv")
    imp = import_create(files=files, kind=kind, actor=actor, **options)
    return import_run(import_id=imp.pk, chunk_rows=chunk_rows)
