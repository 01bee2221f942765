"""Reading a file as a stream: byte offsets a resumed reader starts from, bounded lines, encodings."""

import io
from types import SimpleNamespace

import pytest

from imports.reader import MAX_LINE_BYTES, CsvRows, _xlsx_row_elements, line_count, sniff_delimiter

CONTENT = b'\xef\xbb\xbfEmail,Name\r\na@example.com,A\r\n"b@example.com","B\r\nstill B"\r\nc@example.com,C\r\n'


def _rows(path, **position):
    with CsvRows(path, **position) as rows:
        return rows.header, [(row.row_number, row.cells, row.problem) for row in rows]


def test_rows_are_numbered_as_in_the_file_and_a_reader_resumes_at_any_offset(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_bytes(CONTENT)
    header, rows = _rows(path)

    assert header == ["Email", "Name"]
    assert rows == [
        (2, ["a@example.com", "A"], ""),
        (3, ["b@example.com", "B\r\nstill B"], ""),
        (4, ["c@example.com", "C"], ""),
    ]
    with CsvRows(path) as reader:
        first = next(iter(reader))
        offset, number = reader.offset, reader.row_number
    assert (first.row_number, CONTENT[offset:].startswith(b'"b@example.com"')) == (2, True)
    assert _rows(path, offset=offset, row_number=number)[1] == rows[1:]


def test_a_line_longer_than_the_limit_is_read_no_further_and_reported(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_bytes(b"Email\n" + b"x" * (3 * MAX_LINE_BYTES) + b"\nok@example.com\n")

    _, rows = _rows(path)

    assert [(number, problem.split(" (")[0]) for number, _, problem in rows] == [
        (2, "The row is longer than 64 KiB"),
        (3, ""),
    ]
    assert len(rows[0][1][0]) == 200
    assert rows[1][1] == ["ok@example.com"]


def test_a_row_that_is_not_utf8_is_reported_and_the_next_one_read(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_bytes("Email,Name\na@example.com,Ren\xe9\nb@example.com,Bo\n".encode("latin-1"))

    _, rows = _rows(path)

    assert rows[0] == (
        2,
        ["a@example.com", "Ren\\xe9"],
        "The row is not valid UTF-8 text (wrong encoding): save the file as CSV UTF-8.",
    )
    assert rows[1] == (3, ["b@example.com", "Bo"], "")


def test_a_row_holding_a_nul_character_is_reported_with_it_shown_and_the_next_one_read(tmp_path):
    """PostgreSQL stores no NUL in text nor in JSON: the row is reported, its cells showing the NUL as \\x00."""
    path = tmp_path / "contacts.csv"
    path.write_bytes(b'Email,Name\na@example.com,A\x00da\n"b@example.com","B\x00\nstill B"\nc@example.com,C\n')

    _, rows = _rows(path)

    problem = "The row holds a NUL character (a zero byte, shown as \\x00), which cannot be imported."
    assert rows == [
        (2, ["a@example.com", "A\\x00da"], problem),
        (3, ["b@example.com", "B\\x00\nstill B"], problem),  # a quoted cell over two lines: one row
        (4, ["c@example.com", "C"], ""),
    ]


def test_delimiters_and_line_counts(tmp_path):
    semicolons, tabs, commas = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    semicolons.write_bytes(b"Email;Name;Suffix,Jr\nx;y;z\n")
    tabs.write_bytes(b"Email\tName\nx\ty")
    commas.write_bytes(b"Email\n")

    assert [sniff_delimiter(p) for p in (semicolons, tabs, commas)] == [";", "\t", ","]
    assert [line_count(p) for p in (semicolons, tabs, commas)] == [1, 1, 0]


@pytest.mark.parametrize("cut", [0, 1, 2, 3, 4, 5])
def test_xlsx_rows_are_counted_across_read_blocks_with_or_without_a_prefix(cut):
    """An XLSX's data rows are counted from its row elements (its dimension may be stale), one cut in two included."""
    start = b"<worksheet><sheetData>"
    padding = b" " * ((1 << 20) - len(start) - cut)  # the next row element starts `cut` bytes before a block ends
    rows = b'<row r="1"><c/></row><row>x</row><x:row r="3"/><rowBreaks/><x:rowBreaks/>'
    sheet = SimpleNamespace(_get_source=lambda: io.BytesIO(start + padding + rows + b"</sheetData></worksheet>"))

    assert _xlsx_row_elements(sheet) == 3
