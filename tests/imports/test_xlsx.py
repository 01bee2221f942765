"""R4 with XLSX files: read through openpyxl's streaming mode, converted to CSV by the job, imported the same way."""

import datetime as dt
import io
import re
import zipfile

import pytest
from django.core.files.base import ContentFile
from openpyxl import Workbook, load_workbook

from contacts.models import Contact
from imports.models import Import, ImportFile
from imports.services import import_create, import_run, import_start, import_upload

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


def _with_dimension(workbook: ContentFile, ref: str) -> ContentFile:
    """The same workbook with its first sheet's <dimension ref="…"> rewritten (as a stale one is left by some tools)."""
    source, target = io.BytesIO(workbook.read()), io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as rewritten:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, count = re.subn(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), data)
                assert count == 1
            rewritten.writestr(item, data)
    return ContentFile(target.getvalue(), name=workbook.name)


STALE_ROWS = [
    ["Email", "First Name", "Last Name"],
    ["ada@example.com", "Ada", "Lovelace"],
    ["bob@example.com", "Bob", "Builder"],
    ["not an email", "Cy", "Clone"],
    ["dee@example.com", "Dee", "Dee"],
    ["eve@example.com", "Eve", "Adams"],
]


def test_r4_an_xlsx_whose_dimension_is_stale_is_read_to_its_last_row_and_column(subscription, importer_actor):
    """The sheet says A1:B2 (one data row, two columns) but has five data rows of three columns: none is lost."""
    stale = _with_dimension(_workbook(STALE_ROWS), "A1:B2")
    assert load_workbook(io.BytesIO(stale.read()), read_only=True).worksheets[0].max_row == 2  # openpyxl trusts it
    stale.seek(0)

    draft = import_upload(files={"contacts": stale}, kind="single", actor=importer_actor)
    file = draft.files.get()
    assert (file.headers, file.rows_estimate) == (STALE_ROWS[0], 5)
    assert file.mapping == ["contact.email", "contact.first_name", "contact.last_name"]
    imp = import_run(import_id=import_start(import_id=draft.pk, actor=importer_actor).pk, chunk_rows=2)

    assert (imp.state, imp.rows, imp.created, imp.errors) == (Import.State.DONE, 5, 4, 1)
    assert list(imp.row_errors.values_list("row_number", "reason")) == [
        (4, "Email: 'not an email' is not a valid email address.")
    ]
    assert set(Contact.objects.values_list("email", "first_name", "last_name")) == {
        tuple(row) for row in STALE_ROWS[1:] if row[0] != "not an email"
    }
