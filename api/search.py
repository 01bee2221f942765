"""Contact search (HubSpot's `POST /crm/v3/objects/contacts/search`): a request body → a queryset of live contacts.

`search_request_parse()` checks a body the way HubSpot's `PublicObjectSearchRequest` reads it and
raises one VALIDATION_ERROR naming every bad part; `contacts_search()` runs it: one query for the
page and, only when the page alone cannot tell, one COUNT on the same filtered queryset.

The filters themselves, their parsing and their semantics, are the contacts filter grammar
(`contacts.search`); this module adds what the endpoint reads around them (HubSpot's CRM v3 search):

- Filter groups are ORed, the filters within a group ANDed; at most 5 groups, 6 filters in a group,
  18 in all. Archived contacts are never found (R22).
- `query` is a case-insensitive "contains" over the `text_search` properties.
- Sorts are `"name"` / `"-name"` or `{"propertyName", "direction"}`; ties are broken by the record id
  in the direction of the first sort (so a sort on `createdate` is one scan of its `(created_at, id)`
  index), and there is no sort but the record id by default. Blank values sort first ascending.
- Paging is an offset (`after`, a string), as HubSpot's: `after + limit` may not exceed 10,000.

The default order is the primary key.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import F, QuerySet
from django.db.models.expressions import OrderBy

from api.errors import validation_error
from contacts.models import Contact
from contacts.properties import requested_properties
from contacts.search import MAX_TEXT as MAX_TEXT
from contacts.search import MAX_VALUES as MAX_VALUES
from contacts.search import (
    SEARCHABLE,
    Invalid,
    SearchFilter,
    filter_groups_condition,
    filter_parse,
    json_type,
    property_parse,
    query_condition,
    shown,
    text_checked,
)
from contacts.search import Operator as Operator

# `MAX_TEXT`, `MAX_VALUES` and `Operator` are re-exported (`as` themselves): the endpoint's schema reads them here.
MAX_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 6, 18
LIMIT_DEFAULT, LIMIT_MAX = 10, 200
MAX_RESULTS = 10_000  # HubSpot pages through at most this many results of one search
MAX_SORTS = 5
MAX_ERRORS = 50  # errors listed in one response


# --- The parsed request -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchSort:
    prop: str
    descending: bool = False


@dataclass(frozen=True)
class SearchRequest:
    filter_groups: tuple[tuple[SearchFilter, ...], ...] = ()
    sorts: tuple[SearchSort, ...] = ()
    query: str = ""
    properties: tuple[str, ...] = ()
    limit: int = LIMIT_DEFAULT
    after: int = 0


@dataclass(frozen=True)
class SearchPage:
    contacts: list[Contact]
    total: int
    next_after: int | None


# --- Parsing a request body -------------------------------------------------------------------------


def _error(message: str, *, at: str, code: str, **context: object) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "in": at, "code": code}
    if context:
        error["context"] = {key: [str(value)] for key, value in context.items()}
    return error


def _group_filters(raw: Any, group: int) -> list[Any]:
    at = f"filterGroups[{group}]"
    filters = raw.get("filters") if isinstance(raw, Mapping) else None
    if not isinstance(filters, list) or not filters:
        raise validation_error(
            "Invalid filter group.",
            [_error(f"{at}.filters must be a non-empty list of filters.", at=at, code="INVALID_INPUT")],
        )
    return filters


def _filter_counts(groups: list[Any]) -> None:
    """HubSpot's limits: 5 groups, 6 filters in a group, 18 in all."""
    filters = [_group_filters(group, index) for index, group in enumerate(groups)]
    problems = []
    if len(groups) > MAX_GROUPS:
        problems.append(f"at most {MAX_GROUPS} filter groups")
    if any(len(group) > MAX_FILTERS_PER_GROUP for group in filters):
        problems.append(f"at most {MAX_FILTERS_PER_GROUP} filters in a group")
    if sum(len(group) for group in filters) > MAX_FILTERS:
        problems.append(f"at most {MAX_FILTERS} filters in all")
    if problems:
        message = f"Too many filters: a search takes {', '.join(problems)}."
        raise validation_error(message, [_error(message, at="filterGroups", code="TOO_MANY_FILTERS")])


def _filter_groups(raw: Any, errors: list[dict[str, Any]]) -> tuple[tuple[SearchFilter, ...], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        errors.append(_error("filterGroups must be a list.", at="filterGroups", code="INVALID_INPUT"))
        return ()
    _filter_counts(raw)
    groups = []
    for group_index, group in enumerate(raw):
        filters = []
        for index, item in enumerate(group["filters"]):
            try:
                filters.append(filter_parse(item))
            except Invalid as problem:
                errors.append(_filter_error(problem, item, group_index, index))
        groups.append(tuple(filters))
    return tuple(groups)


def _filter_error(problem: Invalid, item: Any, group: int, index: int) -> dict[str, Any]:
    context: dict[str, object] = {"filterGroupIndex": group, "filterIndex": index}
    name = item.get("propertyName") if isinstance(item, Mapping) else None
    if isinstance(name, str):
        context["propertyName"] = shown(name)
    return _error(problem.message, at=f"filterGroups[{group}].filters[{index}]", code=problem.code, **context)


def _sort(raw: Any) -> SearchSort:
    """`"name"` / `"-name"`, or `{"propertyName": "name", "direction": "ASCENDING" | "DESCENDING"}`."""
    if isinstance(raw, str):
        name = raw.strip()
        descending = name.startswith("-")
        return SearchSort(property_parse(name.removeprefix("-")).prop.name, descending)
    if not isinstance(raw, Mapping):
        raise Invalid(f"A sort must be a string or an object, not {json_type(raw)}.", "INVALID_INPUT")
    prop = property_parse(raw.get("propertyName")).prop.name
    direction = raw.get("direction", "ASCENDING")
    if not isinstance(direction, str) or direction.strip().upper() not in ("ASCENDING", "DESCENDING"):
        raise Invalid('direction must be "ASCENDING" or "DESCENDING".', "INVALID_SORT")
    return SearchSort(prop, direction.strip().upper() == "DESCENDING")


def _sorts(raw: Any, errors: list[dict[str, Any]]) -> tuple[SearchSort, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_SORTS:
        errors.append(_error(f"sorts must be a list of at most {MAX_SORTS} sorts.", at="sorts", code="INVALID_SORT"))
        return ()
    sorts: dict[str, SearchSort] = {}
    for index, item in enumerate(raw):
        try:
            sort = _sort(item)
        except Invalid as problem:
            errors.append(_error(problem.message, at=f"sorts[{index}]", code=problem.code))
            continue
        sorts.setdefault(sort.prop, sort)  # a property sorted twice: the first sort wins
    return tuple(sorts.values())


def _query(raw: Any, errors: list[dict[str, Any]]) -> str:
    if raw is None:
        return ""
    try:
        if not isinstance(raw, str):
            raise Invalid(f"query must be a string, not {json_type(raw)}.", "INVALID_INPUT")
        return text_checked(raw, "query").strip()
    except Invalid as problem:
        errors.append(_error(problem.message, at="query", code=problem.code))
        return ""


def _properties(raw: Any, errors: list[dict[str, Any]]) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
        errors.append(_error("properties must be a list of property names.", at="properties", code="INVALID_INPUT"))
        return ()
    return tuple(raw)


def _count(raw: Any, *, name: str, default: int, low: int, high: int, errors: list[dict[str, Any]]) -> int:
    """An integer (or a string of digits, as HubSpot's `after`; or a float without a fraction) within [low, high]."""
    if raw is None or raw == "":
        return default
    number = raw
    if isinstance(raw, str) and re.fullmatch(r"\d{1,9}", raw.strip()):
        number = int(raw.strip())
    elif isinstance(raw, float) and raw.is_integer() and low <= raw <= high:
        number = int(raw)
    if isinstance(number, int) and not isinstance(number, bool) and low <= number <= high:
        return number
    message = f"{name} must be an integer from {low} to {high}."
    errors.append(_error(message, at=name, code=f"INVALID_{name.upper()}"))
    return default


def _paging(data: Mapping[str, Any], errors: list[dict[str, Any]]) -> tuple[int, int]:
    limit = _count(data.get("limit"), name="limit", default=LIMIT_DEFAULT, low=1, high=LIMIT_MAX, errors=errors)
    after = _count(data.get("after"), name="after", default=0, low=0, high=MAX_RESULTS, errors=errors)
    if after + limit > MAX_RESULTS:
        message = f"A search pages through at most {MAX_RESULTS} results: after + limit may not exceed {MAX_RESULTS}."
        errors.append(_error(message, at="after", code="INVALID_AFTER"))
    return limit, after


def search_request_parse(data: Any) -> SearchRequest:
    """A search request from a JSON body, or one 400 VALIDATION_ERROR listing every bad part."""
    if not isinstance(data, Mapping):
        raise validation_error(
            "The request body must be a JSON object.",
            [_error("The request body must be a JSON object.", at="body", code="INVALID_INPUT")],
        )
    errors: list[dict[str, Any]] = []
    filter_groups = _filter_groups(data.get("filterGroups"), errors)
    sorts = _sorts(data.get("sorts"), errors)
    query = _query(data.get("query"), errors)
    properties = _properties(data.get("properties"), errors)
    limit, after = _paging(data, errors)
    if errors:
        errors = errors[:MAX_ERRORS]
        raise validation_error("Invalid search request: " + "; ".join(e["message"] for e in errors), errors)
    return SearchRequest(filter_groups, sorts, query, properties, limit, after)


# --- Running it ---------------------------------------------------------------------------------------


def contacts_search_queryset(*, search: SearchRequest) -> QuerySet:
    """Live contacts (R22) matching any filter group (all of its filters) and the query, unordered."""
    queryset = Contact.objects.filter(archived_at__isnull=True)
    if search.filter_groups:
        queryset = queryset.filter(filter_groups_condition(search.filter_groups))
    if search.query:
        queryset = queryset.filter(query_condition(search.query))
    return queryset


def search_ordering(sorts: Sequence[SearchSort]) -> list[OrderBy]:
    """The sorts up to one on the record id, which ends the order; else the record id in the first sort's
    direction breaks ties (a total order, and one scan of an index on `(key, id)`)."""
    order = []
    for sort in sorts:
        order.append(SEARCHABLE[sort.prop].order(descending=sort.descending))
        if sort.prop == "hs_object_id":
            return order
    descending = bool(sorts) and sorts[0].descending
    return [*order, F("pk").desc() if descending else F("pk").asc()]


def contacts_search(*, search: SearchRequest) -> SearchPage:
    """One page of matches and their total: the page query, then a COUNT only when the page cannot tell it."""
    queryset = contacts_search_queryset(search=search)
    start = search.after
    contacts = list(queryset.order_by(*search_ordering(search.sorts))[start : start + search.limit])
    if (contacts and len(contacts) < search.limit) or (start == 0 and not contacts):
        total = start + len(contacts)  # the last page: nothing lies beyond it
    else:
        total = queryset.count()
    following = start + len(contacts)
    next_after = following if contacts and following < total and following < MAX_RESULTS else None
    return SearchPage(contacts=contacts, total=total, next_after=next_after)


def search_properties(search: SearchRequest) -> list[str]:
    """The properties each result carries (HubSpot's defaults when none are named)."""
    return requested_properties(search.properties)
