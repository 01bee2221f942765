"""The chunks an import reads: rows from its files, parsed, with the checkpoint each one ends at.

`ChunkSource.get(position, offset, row_number)` returns the chunk that starts at a checkpoint. While
the caller writes that chunk to the database, the next one is read and parsed in a background thread
(the database work releases the GIL, so the two overlap); if the next checkpoint turns out to be the
one expected, that chunk is handed over, otherwise it is dropped and the chunk read afresh. The thread
never touches the database.
"""

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from itertools import islice

from imports.fields import ChunkParser, ParsedRow, RowProblem
from imports.models import ImportFile
from imports.reader import CsvRows, FileUnreadable, RawRow


class ChunkUnreadable(Exception):
    """A file of the import cannot be read any more; the message says which and why."""


@dataclass(frozen=True)
class Chunk:
    position: int  # of the file
    raw: list[RawRow]
    parsed: list[ParsedRow]
    problems: list[RowProblem]
    end_offset: int  # the checkpoint after this chunk: byte offset and row number in the file
    end_row: int
    finished_file: bool


class ChunkSource:
    def __init__(self, *, files: Sequence[ImportFile], paths: Sequence[str], chunk_rows: int):
        self.files, self.paths, self.chunk_rows = files, paths, chunk_rows
        self.parsers = [
            ChunkParser(headers=file.headers, mapping=file.mapping, object_type=file.object_type) for file in files
        ]
        self._reader: CsvRows | None = None
        self._reader_position: int | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-read")
        self._next: tuple[tuple[int, int], Future] | None = None

    def get(self, position: int, offset: int, row_number: int) -> Chunk:
        """The chunk of file `position` that starts at byte `offset` (after row `row_number`); 0, 0: the start."""
        chunk = self._take_next((position, offset)) or self._read(position, offset, row_number)
        following = (position, chunk.end_offset, chunk.end_row) if not chunk.finished_file else (position + 1, 0, 0)
        if following[0] < len(self.files):
            self._next = (following[:2], self._executor.submit(self._read, *following))
        return chunk

    def _take_next(self, key: tuple[int, int]) -> Chunk | None:
        if self._next is None:
            return None
        (expected, future), self._next = self._next, None
        if expected == key:
            return future.result()
        wait([future])  # another runner moved the checkpoint: drop it, once the thread is done with the reader
        return None

    def reset(self) -> None:
        """Forget what was read ahead and close the file (after a chunk's transaction was rolled back)."""
        if self._next is not None:
            wait([self._next[1]])
            self._next = None
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def close(self) -> None:
        self.reset()
        self._executor.shutdown(wait=True)

    def _read(self, position: int, offset: int, row_number: int) -> Chunk:
        reader = self._reader_at(position, offset, row_number)
        raw = list(islice(reader, self.chunk_rows))
        parsed, problems = self.parsers[position].parse(raw)
        return Chunk(position, raw, parsed, problems, reader.offset, reader.row_number, len(raw) < self.chunk_rows)

    def _reader_at(self, position: int, offset: int, row_number: int) -> CsvRows:
        reader = self._reader
        if reader is not None and self._reader_position == position and reader.offset == max(offset, reader.header_end):
            return reader
        if reader is not None:
            reader.close()
            self._reader = None
        file = self.files[position]
        try:
            reader = CsvRows(self.paths[position], delimiter=file.delimiter, offset=offset, row_number=row_number)
        except OSError as error:
            raise ChunkUnreadable(f"{file.original_name} can no longer be read ({error.strerror}).") from error
        except FileUnreadable as error:
            raise ChunkUnreadable(f"{file.original_name}: {error}") from error
        if len(reader.header) != len(file.headers):
            reader.close()
            raise ChunkUnreadable(f"{file.original_name} changed since it was uploaded.")
        self._reader, self._reader_position = reader, position
        return reader
