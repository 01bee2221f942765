"""Reads of imports shared by the pages: the list, one import with its files, its errors."""

from collections.abc import Iterator

from django.db.models import QuerySet

from imports.models import Import, ImportFile, ImportRowError

RECENT_IMPORTS = 100
ERRORS_SHOWN = 100


def imports_recent() -> QuerySet:
    """The account's latest imports, newest first, with their files (two queries in all)."""
    return (
        Import.objects.exclude(state=Import.State.DRAFT)
        .select_related("created_by")
        .prefetch_related("files")
        .order_by("-created_at", "-pk")[:RECENT_IMPORTS]
    )


def import_get(*, pk: int) -> Import:
    return Import.objects.select_related("created_by").prefetch_related("files").get(pk=pk)


def import_errors_shown(*, imp: Import) -> list[tuple[ImportFile, list[ImportRowError], int]]:
    """Per file that has errors: the file, its first `ERRORS_SHOWN` error rows and how many it has."""
    shown = []
    for file in imp.files.all():
        errors = ImportRowError.objects.filter(import_job=imp, file_position=file.position)
        count = errors.count()
        if count:
            shown.append((file, list(errors.order_by("row_number")[:ERRORS_SHOWN]), count))
    return shown


def import_error_rows(*, imp: Import, position: int) -> Iterator[list[str]]:
    """The error file of one of an import's files: a header, then row number, reason and original values."""
    file = imp.files.get(position=position)
    yield ["Row", "Reason", *file.headers]
    errors = ImportRowError.objects.filter(import_job=imp, file_position=position).order_by("row_number")
    for error in errors.values_list("row_number", "reason", "values").iterator(chunk_size=2000):
        number, reason, values = error
        yield [str(number), reason, *(_inert(value) for value in values)]


# Spreadsheets run a cell that starts with one of these as a formula ("CSV injection"); the error file
# holds whatever a file's author typed, so such cells are quoted with a leading apostrophe (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value
