"""R4 with XLSX files: read through openpyxl's streaming mode, converted to CSV by the job, imported the same way."""

import datetime as dt
import io

import pytest
from django.core.files.base import ContentFile
from openpyxl import Workbook

from contacts.models import Contact
from imports.models import Import, ImportFile
from imports.services import import_create, import_run, import_upload

pytestmark = pytest.mark.django_db


def _workbook(rows) -> ContentFile:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return ContentFile(buffer.getvalue(), name="contacts.xlsx")


ROWS = [
    ["Email", "First Name", "Phone Number", "Lifecycle Stage", None],
    ["ada@example.com", "Ada", 5551234.0, "Lead", None],
    ["not an email", "Bob", None, None, None],
    ["cy@example.com", dt.date(2026, 3, 10), 42, "customer", None],
]


def test_r4_an_xlsx_file_is_mapped_from_its_first_row_and_imported(subscription, importer_actor):
    draft = import_upload(files={"contacts": _workbook(ROWS)}, kind="single", actor=importer_actor)
    file = draft.files.get()
    assert (file.format, file.headers, file.rows_estimate) == (ImportFile.Format.XLSX, ROWS[0][:4], 3)
    assert file.mapping == ["contact.email", "contact.first_name", "contact.phone", "contact.lifecycle_stage"]
    assert file.sample[0] == ["ada@example.com", "Ada", "5551234", "Lead"]

    imp = import_run(
        import_id=import_create(
            files={"contacts": _workbook(ROWS)}, kind="single", actor=importer_actor, marketing=True
        ).pk
    )

    assert (imp.state, imp.rows, imp.created, imp.errors) == (Import.State.DONE, 3, 2, 1)
    assert list(imp.row_errors.values_list("row_number", "reason")) == [
        (3, "Email: 'not an email' is not a valid email address.")
    ]
    contacts = {c.email: c for c in Contact.objects.all()}
    assert (contacts["ada@example.com"].phone, contacts["ada@example.com"].lifecycle_stage) == ("5551234", "lead")
    assert (contacts["cy@example.com"].first_name, contacts["cy@example.com"].phone) == ("2026-03-10", "42")
    assert {c.marketable_status for c in contacts.values()} == {True}
