"""R4's bad rows: every kind of bad row mixed with good ones is reported with its row number (the header is
row 1) and reason, stored, shown, and downloadable as an error file; every good row is imported."""

import csv
import io

import pytest
from django.utils.html import escape

from contacts.models import Contact
from imports.models import Import, ImportRowError
from imports.reader import MAX_LINE_BYTES
from imports.selectors import import_error_rows
from tests.imports.conftest import run_import

pytestmark = pytest.mark.django_db

HEADER = b"Email,First Name,Lifecycle Stage,Email hard bounced\n"
LONG = "x" * (MAX_LINE_BYTES + 10)
ROWS = [
    b"good1@example.com,Ada,lead,no\n",  # 2
    b"not-an-email,Bob,lead,\n",  # 3: invalid email
    b"GOOD1@example.com,Again,,\n",  # 4: duplicate of row 2 (emails are compared normalised)
    b"good2@example.com,Cy,prospect,\n",  # 5: not an allowed lifecycle stage
    "good3@example.com,D\xe9sir\xe9e,,\n".encode("latin-1"),  # 6: not UTF-8
    f"good4@example.com,{LONG},,\n".encode(),  # 7: longer than the limit
    b"good5@example.com,Eve\n",  # 8: too few columns
    b"good6@example.com,Fay,lead,no,extra\n",  # 9: too many columns
    b"\n",  # 10: blank: skipped, not an error
    b'"good7@example.com","Gil, Jr.",Customer,TRUE\n',  # 11: quoted, label instead of value
    b"good8@example.com,Hal,,maybe\n",  # 12: not true or false
    "good9@example.com,Zo\u00eb,subscriber,0\n".encode(),  # 13: UTF-8 accents are fine
    ("a" * 250 + "@example.com,Ian,,\n").encode(),  # 14: email longer than 254 characters
    b"good10@example.com,Jo,lead,yes",  # 15: no line end at the end of the file
]
EXPECTED_ERRORS = [
    (3, "Email: 'not-an-email' is not a valid email address."),
    (
        4,
        "Duplicate: row 2 of this file has the same email (good1@example.com); only the first row with it is imported.",
    ),
    (5, "Lifecycle Stage: 'prospect' is not one of the allowed values."),
    (6, "The row is not valid UTF-8 text (wrong encoding): save the file as CSV UTF-8."),
    (
        7,
        f"The row is longer than 64 KiB ({len(ROWS[5]):,} bytes), the longest row an import reads.",
    ),
    (8, "The row has 2 columns; the header has 4."),
    (9, "The row has 5 columns; the header has 4."),
    (12, "Email hard bounced: 'maybe' is not true or false."),
    (14, "Email: longer than 254 characters."),
]
GOOD = {"good1@example.com", "good7@example.com", "good9@example.com", "good10@example.com"}


@pytest.fixture
def imported(subscription, importer_actor):
    return run_import(actor=importer_actor, contacts=HEADER + b"".join(ROWS), marketing=True, chunk_rows=4)


def test_r4_each_bad_row_is_reported_with_its_row_number_and_reason(imported):
    errors = list(imported.row_errors.values_list("row_number", "reason"))

    assert errors == EXPECTED_ERRORS
    assert (imported.state, imported.rows, imported.created, imported.errors) == (Import.State.DONE, 13, 4, 9)


def test_r4_every_good_row_is_imported_with_its_values(imported):
    contacts = {c.email: c for c in Contact.objects.all()}

    assert set(contacts) == GOOD
    assert (contacts["good7@example.com"].first_name, contacts["good7@example.com"].lifecycle_stage) == (
        "Gil, Jr.",
        "customer",
    )
    assert contacts["good7@example.com"].email_hard_bounced is True
    assert contacts["good9@example.com"].first_name == "Zoë"
    assert contacts["good10@example.com"].email_hard_bounced is True
    assert {c.marketable_status for c in contacts.values()} == {True}


def test_r4_the_error_file_has_row_reason_and_original_values(imported):
    rows = list(import_error_rows(imp=imported, position=0))

    assert rows[0] == ["Row", "Reason", "Email", "First Name", "Lifecycle Stage", "Email hard bounced"]
    by_row = {int(row[0]): row for row in rows[1:]}
    assert [(number, row[1]) for number, row in by_row.items()] == EXPECTED_ERRORS
    assert by_row[3][2:] == ["not-an-email", "Bob", "lead", ""]
    assert by_row[4][2:] == ["GOOD1@example.com", "Again", "", ""]
    assert by_row[6][2:] == ["good3@example.com", "D\\xe9sir\\xe9e", "", ""]  # the bytes that are not UTF-8, shown
    assert by_row[7][2].startswith("good4@example.com,xxx") and len(by_row[7][2]) == 200  # the start of the line
    assert by_row[8][2:] == ["good5@example.com", "Eve"]
    assert by_row[9][2:] == ["good6@example.com", "Fay", "lead", "no", "extra"]


def test_r4_the_error_file_downloads_as_csv(client, imported, importer):
    client.force_login(importer)
    response = client.get(f"/contacts-imports/{imported.pk}/errors/0.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="import-{imported.pk}-file-1-errors.csv"'
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert [(int(row[0]), row[1]) for row in rows[1:]] == EXPECTED_ERRORS


def test_r4_the_import_page_lists_the_rows_not_imported(client, imported, importer):
    client.force_login(importer)
    page = client.get(f"/contacts-imports/{imported.pk}/").content.decode()

    assert "Rows longer than 64 KiB are reported as errors and not imported." in page
    for number, reason in EXPECTED_ERRORS:
        assert f"<td>{number}</td>" in page
        assert escape(reason) in page
    assert "Download the error file" in page
    assert ImportRowError.objects.filter(import_job=imported).count() == len(EXPECTED_ERRORS)


def test_r4_a_file_with_a_bom_reads_its_first_header(subscription, importer_actor):
    imp = run_import(actor=importer_actor, contacts=b"\xef\xbb\xbfEmail,First Name\r\nada@example.com,Ada\r\n")

    assert imp.files.get().mapping == ["contact.email", "contact.first_name"]
    assert (imp.created, imp.errors) == (1, 0)
    assert Contact.objects.get().first_name == "Ada"


def test_r4_semicolon_separated_files_are_read(subscription, importer_actor):
    imp = run_import(actor=importer_actor, contacts=b"Email;First Name\nada@example.com;Ada\n")

    assert (imp.files.get().delimiter, imp.created) == (";", 1)
    assert Contact.objects.get().first_name == "Ada"


def test_r4_a_quoted_cell_over_several_lines_is_one_row(subscription, importer_actor):
    content = b'Email,Company Name\na@example.com,"Line one\nline two"\nnot-an-email,X\n'
    imp = run_import(actor=importer_actor, contacts=content)

    assert Contact.objects.get().company == "Line one\nline two"
    assert list(imp.row_errors.values_list("row_number", flat=True)) == [3]  # rows, not lines


def test_r4_the_error_file_quotes_cells_a_spreadsheet_would_run_as_formulas(subscription, importer_actor):
    """Security: the error file repeats what the file's author typed; formula cells come back inert."""
    content = b'Email,First Name,Company Name\n=HYPERLINK("http://x"),@SUM(A1),-2+3\nok@example.com,Ok,+Plus\n'
    imp = run_import(actor=importer_actor, contacts=content)

    assert list(import_error_rows(imp=imp, position=0))[1][2:] == ['\'=HYPERLINK("http://x")', "'@SUM(A1)", "'-2+3"]
    assert Contact.objects.get().company == "+Plus"  # imported values are stored as typed


def test_r4_the_error_file_quotes_formula_headers_too(client, subscription, importer, importer_actor):
    """Security: the file's own header cells are repeated in the error file; they come back inert as its values do."""
    content = (
        b'Email,"=HYPERLINK(""http://x"",""y"")",@cmd,+1,-1,Plain\n'
        b"not-an-email,=1+1,a,b,c,d\n"
        b"ok@example.com,x,y,z,w,v\n"
    )
    imp = run_import(actor=importer_actor, contacts=content)
    assert (imp.created, imp.errors) == (1, 1)
    client.force_login(importer)

    text = b"".join(client.get(f"/contacts-imports/{imp.pk}/errors/0.csv").streaming_content).decode()

    header, row = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert header == ["Row", "Reason", "Email", '\'=HYPERLINK("http://x","y")', "'@cmd", "'+1", "'-1", "Plain"]
    assert row[:2] == ["2", "Email: 'not-an-email' is not a valid email address."]
    assert row[2:] == ["not-an-email", "'=1+1", "a", "b", "c", "d"]
    assert imp.files.get().headers[1] == '=HYPERLINK("http://x","y")'  # stored as typed; quoted only in the file


NUL_REASON = "The row holds a NUL character (a zero byte, shown as \\x00), which cannot be imported."


def test_r4_rows_holding_a_nul_character_are_reported_and_the_good_rows_kept(subscription, importer_actor):
    """A NUL byte in a value used to fail the whole import (PostgreSQL text cannot hold one)."""
    content = (
        b"Email,First Name\n"
        b"ada@example.com,Ada\n"
        b"bob@example.com,B\x00b\n"  # 3: within the rows the mapping step previews
        b"cy@example.com,Cy\n"
        b"d\x00n@example.com,Dan\n"  # 5: in the second chunk
        b"eve@example.com,Eve\n"
    )
    imp = run_import(actor=importer_actor, contacts=content, chunk_rows=2)

    assert (imp.state, imp.rows, imp.created, imp.errors) == (Import.State.DONE, 5, 3, 2)
    assert list(imp.row_errors.values_list("row_number", "reason", "values")) == [
        (3, NUL_REASON, ["bob@example.com", "B\\x00b"]),
        (5, NUL_REASON, ["d\\x00n@example.com", "Dan"]),
    ]
    assert set(Contact.objects.values_list("email", "first_name")) == {
        ("ada@example.com", "Ada"),
        ("cy@example.com", "Cy"),
        ("eve@example.com", "Eve"),
    }
    assert list(import_error_rows(imp=imp, position=0))[1] == ["3", NUL_REASON, "bob@example.com", "B\\x00b"]
