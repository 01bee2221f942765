"""Reads of imports shared by the pages: the list, one import with its files, its errors.

Each read starts from `imports_visible`: an import, its row errors and its error files are its
starter's to see, and staff's (the rule of bulk-change jobs, `jobs.views`). To anyone else it does
not exist.
"""

from collections.abc import Iterator

from django.db.models import QuerySet
from django.urls import reverse

from imports.models import Import, ImportFile, ImportRowError

RECENT_IMPORTS = 100
ERRORS_SHOWN = 100


def imports_named(ids: list[str]) -> dict[str, tuple[str, str]]:
    """Import id -> (its files' names, detail URL), for histories that name an import by id (`crm.sources`).
    One query: an import without files is named by its number."""
    pks = [int(i) for i in ids if i.isdigit()]
    files: dict[int, list[str]] = {}
    rows = Import.objects.filter(pk__in=pks).values_list("pk", "files__original_name").order_by("pk", "files__position")
    for pk, name in rows:
        files.setdefault(pk, [])
        if name:
            files[pk].append(name)
    return {
        str(pk): (", ".join(names) or f"Import #{pk}", reverse("imports:detail", args=[pk]))
        for pk, names in files.items()
    }


def imports_visible(*, user) -> QuerySet:
    """The imports `user` may see, with their files: those they started; staff see every import.

    Error rows repeat the values of the rows they reject (emails, names, whatever the file held), so
    an import's pages and error files are as private as the file was. The same rule as jobs.
    """
    imports = Import.objects.select_related("created_by").prefetch_related("files")
    return imports if user.is_staff else imports.filter(created_by=user)


def imports_recent(*, user) -> QuerySet:
    """The latest imports `user` may see, newest first, with their files (two queries in all)."""
    return imports_visible(user=user).exclude(state=Import.State.DRAFT).order_by("-created_at", "-pk")[:RECENT_IMPORTS]


def import_get(*, pk: int, user) -> Import:
    """The import `pk` if `user` may see it (`imports_visible`); else `Import.DoesNotExist`."""
    return imports_visible(user=user).get(pk=pk)


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
    """The error file of one of an import's files: a header, then row number, reason and original values.

    Every cell, the file's own headers included, goes through `_inert`.
    """
    file = imp.files.get(position=position)
    yield [_inert(cell) for cell in ("Row", "Reason", *file.headers)]
    errors = ImportRowError.objects.filter(import_job=imp, file_position=position).order_by("row_number")
    for error in errors.values_list("row_number", "reason", "values").iterator(chunk_size=2000):
        number, reason, values = error
        yield [_inert(cell) for cell in (str(number), reason, *values)]


# Spreadsheets run a cell that starts with one of these as a formula ("CSV injection"); the error file
# holds whatever a file's author typed, headers as much as values, so such cells are quoted with a
# leading apostrophe (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value
