"""Reading import files as a stream of rows, each with its row number and the byte offset after it.

A file is never loaded whole: `CsvRows` reads it line by line (binary, so that the byte offset of
every row is known exactly and an import can resume at it after a kill), decodes each line as
UTF-8 (a BOM at the start is skipped), and hands the lines to Python's `csv` reader, which never
reads ahead of the row it is parsing. So after each row, `offset` is where the next one starts.

What cannot be a row is reported as one, with its reason, instead of stopping the import: a line
that is not valid UTF-8, a line longer than `MAX_LINE_BYTES` (read no further than that, so memory
stays bounded), a line holding a NUL character (no text column of PostgreSQL can store one, nor
the JSON of its error row; the reported cells show it as `\x00`), and text the CSV parser refuses.

XLSX files are converted to CSV by `xlsx_to_csv` before the job reads them, streaming too
(openpyxl's read-only mode). A sheet's `<dimension>` (its used range, written by whatever saved the
file) is not trusted: read-only mode would stop at the rows and columns it names, and a stale one
lost every row past it without a word. The rows are read until the sheet ends.
"""

import csv
import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

MAX_LINE_BYTES = 64 * 1024  # said on the upload and import pages
BOM = b"\xef\xbb\xbf"
SAMPLE_ROWS = 3
_BAD_ENCODING, _TOO_LONG, _NUL = 1, 2, 4
NUL, NUL_SHOWN = "\x00", "\\x00"  # shown as the bytes that are not UTF-8 are (backslashreplace)


class FileUnreadable(Exception):
    """The file cannot be imported at all (no header, not CSV or XLSX, …); the message says why."""


class RawRow(NamedTuple):
    """One row of a file: its number (the header is row 1), its cells, or why it cannot be read."""

    row_number: int
    cells: list[str]
    problem: str = ""  # not empty: the row is reported with this reason, `cells` as far as they go


class CsvRows:
    """The rows of a CSV file from a byte `offset` on (0, or an offset a previous reader reported).

    `header` is the file's first row. Iterating yields `RawRow`s; after each one, `offset` and
    `row_number` are those of the row just yielded, which is what a checkpoint stores.
    """

    def __init__(self, path: str | Path, *, delimiter: str = ",", offset: int = 0, row_number: int = 0):
        self._file: BinaryIO = open(path, "rb")  # noqa: SIM115 (closed by close())
        self.offset = 0
        self._flags = 0
        self._record_bytes = 0
        self._long_line = b""
        start = self._file.read(len(BOM))
        if start == BOM:
            self.offset = len(BOM)
        else:
            self._file.seek(0)
        self._csv = csv.reader(self._lines(), delimiter=delimiter)
        header = self._next_raw(1)
        if header is None:
            raise FileUnreadable("The file is empty: its first row must name the columns.")
        if header.problem:
            raise FileUnreadable(f"The header row cannot be read: {header.problem}")
        self.header = [cell.strip() for cell in header.cells]
        self.header_end = self.offset
        self.row_number = 1
        if offset > self.header_end:
            self._file.seek(offset)
            self.offset, self.row_number = offset, row_number
            self._csv = csv.reader(self._lines(), delimiter=delimiter)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "CsvRows":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _lines(self) -> Iterator[str]:
        readline = self._file.readline
        while line := readline(MAX_LINE_BYTES + 1):
            self.offset += len(line)
            self._record_bytes += len(line)
            if b"\x00" in line:
                self._flags |= _NUL
            if len(line) > MAX_LINE_BYTES:
                self._skip_rest_of_line(line)
                yield "\n"  # an empty row in its place; the reader marks it too long
                continue
            try:
                yield line.decode("utf-8")
            except UnicodeDecodeError:
                self._flags |= _BAD_ENCODING
                yield line.decode("utf-8", "backslashreplace")

    def _skip_rest_of_line(self, start: bytes) -> None:
        self._flags |= _TOO_LONG
        self._long_line = start[:200]
        line = start
        while not line.endswith(b"\n") and (line := self._file.readline(MAX_LINE_BYTES + 1)):
            self.offset += len(line)
            self._record_bytes += len(line)

    def _next_raw(self, row_number: int) -> RawRow | None:
        try:
            cells = next(self._csv)
            problem = ""
        except StopIteration:
            return None
        except csv.Error as error:
            cells, problem = [], f"The row is not valid CSV ({error})."
        flags, size, self._flags, self._record_bytes = self._flags, self._record_bytes, 0, 0
        if flags & _TOO_LONG or size > MAX_LINE_BYTES:
            kib = MAX_LINE_BYTES // 1024
            cells = [self._long_line.decode("utf-8", "backslashreplace")] if flags & _TOO_LONG else cells
            problem = f"The row is longer than {kib} KiB ({size:,} bytes), the longest row an import reads."
        elif flags & _BAD_ENCODING:
            problem = "The row is not valid UTF-8 text (wrong encoding): save the file as CSV UTF-8."
        elif flags & _NUL:
            problem = "The row holds a NUL character (a zero byte, shown as \\x00), which cannot be imported."
        if flags & _NUL:
            cells = [cell.replace(NUL, NUL_SHOWN) for cell in cells]
        return RawRow(row_number, cells, problem)

    def __iter__(self) -> Iterator[RawRow]:
        while (row := self._next_raw(self.row_number + 1)) is not None:
            self.row_number = row.row_number
            yield row


def sniff_delimiter(path: str | Path) -> str:
    """The delimiter of a CSV file's header line: a comma unless semicolons or tabs are more frequent."""
    with open(path, "rb") as file:
        line = file.readline(MAX_LINE_BYTES)
    counts = {delimiter: line.count(delimiter.encode()) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: (counts[delimiter], delimiter == ","))
    return best if counts[best] else ","


def csv_preview(path: str | Path, *, delimiter: str) -> tuple[list[str], list[list[str]]]:
    """The header and the first `SAMPLE_ROWS` rows that could be read, for the mapping step."""
    with CsvRows(path, delimiter=delimiter) as rows:
        sample = []
        for row in rows:
            if not row.problem and any(cell.strip() for cell in row.cells):
                sample.append(row.cells)
            if len(sample) == SAMPLE_ROWS:
                break
        return rows.header, sample


def line_count(path: str | Path) -> int:
    """Data rows of a CSV file, counted by line ends (an upper bound: quoted cells may hold line ends)."""
    lines, last = 0, b"\n"
    with open(path, "rb") as file:
        while block := file.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    if last != b"\n":
        lines += 1
    return max(0, lines - 1)


# --- XLSX ------------------------------------------------------------------------------------------


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers and ids typed as numbers
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()  # a date cell: openpyxl reads every date as a datetime
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _xlsx_rows(path: str | Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
        raise FileUnreadable(f"The file is not a readable XLSX workbook ({error}).") from error
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # read every row and column there is, not the range the file claims
        for values in sheet.iter_rows(values_only=True):
            yield [_cell_text(value) for value in values]
    finally:
        workbook.close()


_ROW_STARTS = (b"<row ", b"<row>", b":row ")  # a row element's start, without or with a namespace prefix


def _xlsx_row_elements(sheet) -> int:
    """The row elements of a read-only sheet's XML, counted in its bytes without parsing it (a sheet of a
    million rows takes about a second). Rows holding only formatting count too: an upper bound."""
    count, tail = 0, b""
    with sheet._get_source() as source:  # openpyxl's own way into the sheet's part of the workbook
        while block := source.read(1 << 20):
            data = tail + block
            count += sum(data.count(start) for start in _ROW_STARTS)
            tail = data[-4:]  # shorter than a start, so none is counted twice; one cut in two is counted next
    return count


def xlsx_preview(path: str | Path) -> tuple[list[str], list[list[str]], int]:
    """The first sheet's header, its first rows and its number of data rows (counted, not taken from its dimension)."""
    from openpyxl import load_workbook

    rows = _xlsx_rows(path)
    header = next(rows, None)
    if header is None or not any(cell.strip() for cell in header):
        rows.close()
        raise FileUnreadable("The first sheet is empty: its first row must name the columns.")
    while header and not header[-1].strip():
        header.pop()  # a sheet's used range often runs past its last named column
    sample = []
    for cells in rows:
        if any(cell.strip() for cell in cells):
            sample.append(cells[: len(header)])
        if len(sample) == SAMPLE_ROWS:
            break
    rows.close()
    workbook = load_workbook(path, read_only=True)
    try:
        estimate = max(0, _xlsx_row_elements(workbook.worksheets[0]) - 1)
    finally:
        workbook.close()
    return [cell.strip() for cell in header], sample, estimate


def xlsx_to_csv(source: str | Path, target: str | Path, *, on_rows=None) -> None:
    """Write the first sheet of `source` as a UTF-8 CSV file at `target`, row by row.

    Written to a temporary name and renamed when complete, so `target` exists only whole. Rows keep
    the header's width (cells past it are dropped when empty). `on_rows(n)` is called every 10,000
    rows (the job's heartbeat).
    """
    partial = Path(f"{target}.{uuid.uuid4().hex}.partial")  # two runners converting at once never mix
    with open(partial, "w", encoding="utf-8", newline="") as output:
        writer = csv.writer(output)
        width = None
        for count, cells in enumerate(_xlsx_rows(source)):
            if width is None:
                while cells and not cells[-1].strip():
                    cells.pop()
                width = len(cells)
            elif len(cells) > width and not any(cell.strip() for cell in cells[width:]):
                cells = cells[:width]
            elif len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            writer.writerow(cells)
            if on_rows is not None and count % 10_000 == 0:
                on_rows(count)
    os.replace(partial, target)
