"""Which contacts a bulk action, job or list applies to: picked ids, or every contact matching a view.

A selection is stored as plain values (ids, or the view's query string) so that a job row can
rebuild it in a worker; "all matching" is re-evaluated then, as HubSpot does.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict

from contacts.filters import ContactFilterSet
from contacts.models import Contact

MAX_PICKED_IDS = 10_000

# What bulk writes take: a queryset of contacts or their ids.
ContactSelection = QuerySet | Iterable[int]


class InvalidSelection(ValueError):
    """The selection's ids or filters are not valid; nothing may be done with it."""


@dataclass(frozen=True)
class Selection:
    ids: tuple[int, ...] = ()
    query: str = ""  # the view's filter query string, when `all_matching`
    all_matching: bool = False
    archived: bool = False  # the recycle bin's contacts instead of the live ones

    @classmethod
    def from_post(cls, data: QueryDict, *, archived: bool = False) -> "Selection":
        """From a bulk-action form: `select_all=1` with `query`, or repeated `ids`."""
        if data.get("select_all") == "1":
            selection = cls(query=data.get("query", ""), all_matching=True, archived=archived)
            selection.filterset()  # refuse bad filters now, not in the job
            return selection
        raw = data.getlist("ids")
        if not raw:
            raise InvalidSelection("Select at least one contact.")
        if len(raw) > MAX_PICKED_IDS:
            raise InvalidSelection(f"Pick at most {MAX_PICKED_IDS:,} contacts, or select all matching the view.")
        if not all(str(value).isdigit() for value in raw):
            raise InvalidSelection("Contact ids must be numbers.")
        return cls(ids=tuple(sorted({int(value) for value in raw})), archived=archived)

    def filterset(self) -> ContactFilterSet:
        filterset = ContactFilterSet(QueryDict(self.query), queryset=self._base())
        if not filterset.is_valid():
            # Ignoring an invalid filter would widen the selection: refuse instead.
            raise InvalidSelection(f"Invalid filters: {filterset.errors.as_text()}")
        return filterset

    def _base(self) -> QuerySet:
        return Contact.objects.filter(archived_at__isnull=not self.archived)

    def queryset(self) -> QuerySet:
        if self.all_matching:
            return self.filterset().qs
        return self._base().filter(pk__in=self.ids)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ids": list(self.ids),
            "query": self.query,
            "all_matching": self.all_matching,
            "archived": self.archived,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Selection":
        return cls(
            ids=tuple(data.get("ids", ())),
            query=data.get("query", ""),
            all_matching=bool(data.get("all_matching")),
            archived=bool(data.get("archived")),
        )


def id_chunks(contacts: ContactSelection, chunk_size: int) -> Iterator[list[int]]:
    """Walk a queryset (by keyset on the primary key, never OFFSET) or an id list in sorted chunks."""
    if isinstance(contacts, QuerySet):
        last = 0
        while ids := list(contacts.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:chunk_size]):
            yield ids
            last = ids[-1]
        return
    ids = sorted({int(contact_id) for contact_id in contacts})
    for start in range(0, len(ids), chunk_size):
        yield ids[start : start + chunk_size]
