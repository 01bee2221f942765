"""Contact search (HubSpot's `POST /crm/v3/objects/contacts/search`): a request body → a queryset of live contacts.

`search_request_parse()` checks a body the way HubSpot's `PublicObjectSearchRequest` reads it and
raises one VALIDATION_ERROR naming every bad part; `contacts_search()` runs it: one query for the
page and, only when the page alone cannot tell, one COUNT on the same filtered queryset.

Semantics (HubSpot's CRM v3 search):

- Filter groups are ORed, the filters within a group ANDed; at most 5 groups, 6 filters in a group,
  18 in all. Archived contacts are never found (R22).
- Every property of `api.properties.PROPERTIES` is searchable, its value parsed by its type: the
  record id as an integer, datetimes as epoch milliseconds or ISO 8601 (compared at millisecond
  precision, as the API shows them), booleans as "true"/"false" (the four `hs_marketable_*`
  properties included; `hs_email_optout` is "unsubscribed from all email").
- A blank value is no value: `HAS_PROPERTY` is "not null and not empty", `EQ ""` is
  `NOT_HAS_PROPERTY`. `NEQ`, `NOT_IN` and `NOT_CONTAINS_TOKEN` are the exact complements of `EQ`,
  `IN` and `CONTAINS_TOKEN`, so contacts without a value match them.
- Strings compare case-insensitively for EQ/NEQ/IN/NOT_IN (emails are stored lower-cased, enumeration
  values have one canonical spelling). `CONTAINS_TOKEN` matches a whitespace-separated word of the
  value, where `*` stands for any characters within the word (`*@example.com`).
- `query` is a case-insensitive "contains" over the `text_search` properties.
- Sorts are `"name"` / `"-name"` or `{"propertyName", "direction"}`; ties are broken by the record id
  in the direction of the first sort (so a sort on `createdate` is one scan of its `(created_at, id)`
  index), and there is no sort but the record id by default. Blank values sort first ascending.
- Paging is an offset (`after`, a string), as HubSpot's: `after + limit` may not exceed 10,000.

Indexes (PostgreSQL, `contacts` migrations): email equality is the unique index on the lower-cased
email; name equality the `UPPER(name)` indexes; phone equality the phone index (values without
letters compare exactly); enumeration values, `createdate` and the marketing status their composite
indexes; the default order the primary key. "Contains" and token matches are scans by nature.
"""

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import reduce
from operator import and_, or_
from typing import Any

from django.db.models import BooleanField, Case, F, Q, QuerySet, Value, When
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce

from api.errors import validation_error
from api.properties import PROPERTIES, Property, requested_properties
from contacts.models import Contact, EmailSubscription

MAX_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 6, 18
LIMIT_DEFAULT, LIMIT_MAX = 10, 200
MAX_RESULTS = 10_000  # HubSpot pages through at most this many results of one search
MAX_VALUES = 100  # values of one IN / NOT_IN filter
MAX_SORTS = 5
MAX_TEXT = 3_000  # characters of a value or a query
MAX_ERRORS = 50  # errors listed in one response
MAX_WILDCARDS = 3  # `*` in one CONTAINS_TOKEN value
ONE_MS = dt.timedelta(milliseconds=1)
BIGINT = 2**63


class Operator(StrEnum):
    EQ = "EQ"
    NEQ = "NEQ"
    LT = "LT"
    LTE = "LTE"
    GT = "GT"
    GTE = "GTE"
    BETWEEN = "BETWEEN"
    IN = "IN"
    NOT_IN = "NOT_IN"
    HAS_PROPERTY = "HAS_PROPERTY"
    NOT_HAS_PROPERTY = "NOT_HAS_PROPERTY"
    CONTAINS_TOKEN = "CONTAINS_TOKEN"
    NOT_CONTAINS_TOKEN = "NOT_CONTAINS_TOKEN"


RANGE_LOOKUPS = {Operator.LT: "lt", Operator.LTE: "lte", Operator.GT: "gt", Operator.GTE: "gte"}
LIST_OPERATORS = {Operator.IN, Operator.NOT_IN}
TOKEN_OPERATORS = {Operator.CONTAINS_TOKEN, Operator.NOT_CONTAINS_TOKEN}
VALUELESS_OPERATORS = {Operator.HAS_PROPERTY, Operator.NOT_HAS_PROPERTY}
BLANK = ""  # a filter value meaning "no value"


class Invalid(ValueError):
    """One bad part of a request; the caller says where it is."""

    def __init__(self, message: str, code: str = "INVALID_VALUE"):
        super().__init__(message)
        self.message, self.code = message, code


def _always() -> Q:
    return Q(pk__isnull=False)


def _never() -> Q:
    return Q(pk__in=[])


# --- How each property is searched ------------------------------------------------------------------


class Searchable:
    """How one property is parsed, compared and sorted. Subclasses answer the operators they support."""

    ranges = True  # LT, LTE, GT, GTE, BETWEEN
    tokens = False  # CONTAINS_TOKEN, NOT_CONTAINS_TOKEN

    def __init__(self, prop: Property):
        self.prop, self.field = prop, prop.field

    def parse(self, text: str) -> Any:
        return text

    def equals(self, values: Sequence[Any]) -> Q:
        return Q(**{f"{self.field}__in": values})

    def blank(self) -> Q:
        return _never()

    def compare(self, lookup: str, value: Any) -> Q:
        return Q(**{f"{self.field}__{lookup}": value})

    def contains_token(self, pattern: str) -> Q:
        raise NotImplementedError

    def sort_key(self) -> Any:
        return F(self.field)

    def order(self, *, descending: bool) -> OrderBy:
        return self.sort_key().desc() if descending else self.sort_key().asc()


class RecordId(Searchable):
    """`hs_object_id`: the primary key, compared as a number (a 64-bit integer, as the column holds)."""

    def parse(self, text: str) -> int:
        if not re.fullmatch(r"[+-]?\d{1,19}", text) or not -BIGINT <= int(text) < BIGINT:
            raise Invalid(f"{_shown(text)!r} is not a valid record id: use an integer.")
        return int(text)

    def sort_key(self) -> Any:
        return F("pk")


class Moment(Searchable):
    """Datetimes compare at millisecond precision: a value names the millisecond [t, t + 1 ms)."""

    def parse(self, text: str) -> dt.datetime:
        moment = _epoch_ms(text) if re.fullmatch(r"-?\d{1,16}", text) else _iso(text)
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        try:
            return moment.astimezone(dt.UTC)
        except (OverflowError, ValueError) as error:
            raise Invalid(f"{_shown(text)!r} is out of the supported date range.") from error

    def equals(self, values: Sequence[dt.datetime]) -> Q:
        condition = _never()
        for moment in values:
            condition |= self.compare("gte", moment) & self.compare("lte", moment)
        return condition

    def compare(self, lookup: str, value: dt.datetime) -> Q:
        if lookup in ("lt", "gte"):
            return Q(**{f"{self.field}__{lookup}": value})
        end = _end_of_millisecond(value)  # LTE t is LT t + 1 ms; GT t is GTE t + 1 ms
        if end is None:
            return _always() if lookup == "lte" else _never()
        return Q(**{f"{self.field}__{'lt' if lookup == 'lte' else 'gte'}": end})


def _epoch_ms(text: str) -> dt.datetime:
    try:
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=int(text))
    except OverflowError as error:
        raise Invalid(f"{_shown(text)!r} is out of the supported date range.") from error


def _iso(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise Invalid(f"{_shown(text)!r} is not a valid datetime: use epoch milliseconds or ISO 8601.") from error
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _end_of_millisecond(moment: dt.datetime) -> dt.datetime | None:
    try:
        return moment + ONE_MS
    except OverflowError:
        return None


class Flag(Searchable):
    """A boolean field; `hs_marketable_status` has no value (null) until marketing contacts are enabled (R1)."""

    ranges = False

    def parse(self, text: str) -> bool:
        if text.lower() not in ("true", "false"):
            raise Invalid(f'{_shown(text)!r} is not a valid value for {self.prop.name!r}: use "true" or "false".')
        return text.lower() == "true"

    def _nullable(self) -> bool:
        return Contact._meta.get_field(self.field).null

    def blank(self) -> Q:
        return Q(**{f"{self.field}__isnull": True}) if self._nullable() else _never()

    def order(self, *, descending: bool) -> OrderBy:
        """No value sorts first ascending, as a blank string would."""
        if not self._nullable():
            return super().order(descending=descending)
        return F(self.field).desc(nulls_last=True) if descending else F(self.field).asc(nulls_first=True)


class OptOut(Flag):
    """`hs_email_optout`: "true" exactly when the contact unsubscribed from all email."""

    def equals(self, values: Sequence[bool]) -> Q:
        unsubscribed = Q(email_subscription=EmailSubscription.UNSUBSCRIBED)
        if set(values) == {True, False}:
            return _always()
        return unsubscribed if values[0] else ~unsubscribed

    def sort_key(self) -> Any:
        unsubscribed = When(email_subscription=EmailSubscription.UNSUBSCRIBED, then=Value(True))
        return Case(unsubscribed, default=Value(False), output_field=BooleanField())


class Text(Searchable):
    """A text field: equality ignores case (through `UPPER(field)`, which the name indexes cover, unless the
    value has no letters); a blank value is no value."""

    tokens = True

    def _nullable(self) -> bool:
        return Contact._meta.get_field(self.field).null

    def equals(self, values: Sequence[str]) -> Q:
        condition = _never()
        for value in values:
            lookup = "exact" if value.lower() == value.upper() else "iexact"
            condition |= Q(**{f"{self.field}__{lookup}": value})
        return condition

    def blank(self) -> Q:
        condition = Q(**{self.field: ""})
        return (condition | Q(**{f"{self.field}__isnull": True})) if self._nullable() else condition

    def compare(self, lookup: str, value: str) -> Q:
        return super().compare(lookup, value) & ~self.blank()

    def contains_token(self, pattern: str) -> Q:
        return Q(**{f"{self.field}__iregex": token_regex(pattern)}) & ~self.blank()

    def sort_key(self) -> Any:
        return Coalesce(self.field, Value("")) if self._nullable() else F(self.field)


class Email(Text):
    """Emails are stored lower-cased, so equality is an exact match of the lower-cased value (its unique index)."""

    def parse(self, text: str) -> str:
        return text.lower()

    def equals(self, values: Sequence[str]) -> Q:
        return Q(email__in=values)


class Choice(Text):
    """An enumeration: a value is matched to its one canonical spelling, and a value that is no option matches
    nothing (each column has an index led by it)."""

    def parse(self, text: str) -> str:
        options = {str(value).lower(): str(value) for value, _ in Contact._meta.get_field(self.field).choices}
        return options.get(text.lower(), text)

    def equals(self, values: Sequence[str]) -> Q:
        return Q(**{f"{self.field}__in": values})


def token_regex(pattern: str) -> str:
    """A word of the value (words are separated by whitespace) matching `pattern`, where `*` is any run of
    non-space characters. Literal text is escaped the way both PostgreSQL and Python read it (a backslash
    before a character that is not a letter or digit)."""
    word = r"\S*".join(re.escape(piece) for piece in re.sub(r"\*+", "*", pattern).split("*"))
    return rf"(^|\s){word}(\s|$)"


def _searchable(prop: Property) -> Searchable:
    if prop.name == "hs_object_id":
        return RecordId(prop)
    if prop.name == "hs_email_optout":
        return OptOut(prop)
    if prop.name == "email":
        return Email(prop)
    kinds: dict[str, Callable[[Property], Searchable]] = {"datetime": Moment, "bool": Flag}
    if prop.type in kinds:
        return kinds[prop.type](prop)
    return Choice(prop) if Contact._meta.get_field(prop.field).choices else Text(prop)


SEARCHABLE: dict[str, Searchable] = {name: _searchable(prop) for name, prop in PROPERTIES.items()}


# --- The parsed request -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilter:
    """One filter: `values` holds the one value, the IN list, or BETWEEN's (low, high); blank values are BLANK."""

    prop: str
    operator: Operator
    values: tuple[Any, ...] = ()


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


def _text(raw: Any, what: str) -> str:
    """A JSON scalar as the string HubSpot would read (numbers and booleans are accepted, as HubSpot does)."""
    if raw is None:
        raise Invalid(f"{what} is missing.", "MISSING_VALUE")
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float) and not math.isfinite(raw):
        raise Invalid(f"{what} must be a finite number.")
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < BIGINT:
        raw = int(raw)
    if not isinstance(raw, str | int | float):
        raise Invalid(f"{what} must be a string, not {_json_type(raw)}.", "INVALID_INPUT")
    try:
        text = str(raw)
    except ValueError as error:  # an integer too long to print
        raise Invalid(f"{what} is too long.") from error
    return _checked(text, what)


def _checked(text: str, what: str) -> str:
    """No NUL characters, lone surrogates or megabytes of text reach the database."""
    if len(text) > MAX_TEXT:
        raise Invalid(f"{what} is longer than {MAX_TEXT} characters.")
    if "\x00" in text:
        raise Invalid(f"{what} contains a NUL character.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise Invalid(f"{what} is not valid Unicode.") from error
    return text


def _shown(text: str) -> str:
    """Client text echoed in an error: shortened, and renderable (a lone surrogate is written as its escape)."""
    return text[:100].encode("utf-8", "backslashreplace").decode("utf-8")


def _json_type(raw: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(raw), "a number")


def _value(searchable: Searchable, raw: Any, what: str, *, blank_ok: bool) -> Any:
    text = _text(raw, what).strip()
    if not text:
        if blank_ok:
            return BLANK
        raise Invalid(f"{what} is missing.", "MISSING_VALUE")
    return searchable.parse(text)


def _operator(raw: Any) -> Operator:
    if raw is None:
        raise Invalid("operator is missing.", "MISSING_OPERATOR")
    name = raw.strip().upper() if isinstance(raw, str) else None
    if name not in Operator.__members__:
        shown = _shown(raw) if isinstance(raw, str) else _json_type(raw)
        choices = ", ".join(Operator)
        raise Invalid(f'Unknown operator "{shown}": use one of {choices}.', "INVALID_OPERATOR")
    return Operator(name)


def _property(raw: Any) -> Searchable:
    if raw is None:
        raise Invalid("propertyName is missing.", "MISSING_PROPERTY")
    if not isinstance(raw, str):
        raise Invalid(f"propertyName must be a string, not {_json_type(raw)}.", "INVALID_INPUT")
    if raw.strip() not in SEARCHABLE:
        raise Invalid(f'Property "{_shown(raw)}" does not exist', "PROPERTY_DOESNT_EXIST")
    return SEARCHABLE[raw.strip()]


def _supported(searchable: Searchable, operator: Operator) -> None:
    ranged = operator in RANGE_LOOKUPS or operator is Operator.BETWEEN
    if (ranged and not searchable.ranges) or (operator in TOKEN_OPERATORS and not searchable.tokens):
        raise Invalid(
            f"Operator {operator} is not supported for property {searchable.prop.name!r}.", "INVALID_OPERATOR"
        )


def _token(value: Any) -> Any:
    """At most MAX_WILDCARDS `*` in a token: each one multiplies the work of matching it."""
    if isinstance(value, str) and len(re.findall(r"\*+", value)) > MAX_WILDCARDS:
        raise Invalid(f"A token takes at most {MAX_WILDCARDS} wildcards (*).")
    return value


def _filter_values(searchable: Searchable, operator: Operator, raw: Mapping[str, Any]) -> tuple[Any, ...]:
    """The parsed value(s) an operator needs: none, one, the `values` list, or BETWEEN's `value` and `highValue`."""
    if operator in VALUELESS_OPERATORS:
        return ()
    if operator in LIST_OPERATORS:
        values = raw.get("values")
        if not isinstance(values, list) or not values:
            raise Invalid(f"{operator} needs `values`, a non-empty list.", "MISSING_VALUE")
        if len(values) > MAX_VALUES:
            raise Invalid(f"{operator} takes at most {MAX_VALUES} values.", "TOO_MANY_VALUES")
        return tuple(dict.fromkeys(_value(searchable, item, "values[]", blank_ok=True) for item in values))
    blank_ok = operator in (Operator.EQ, Operator.NEQ)
    value = _value(searchable, raw.get("value"), "value", blank_ok=blank_ok)
    if operator in TOKEN_OPERATORS:
        return (_token(value),)
    if operator is not Operator.BETWEEN:
        return (value,)
    return value, _value(searchable, raw.get("highValue"), "highValue", blank_ok=False)


def _filter(raw: Any) -> SearchFilter:
    if not isinstance(raw, Mapping):
        raise Invalid(f"A filter must be an object, not {_json_type(raw)}.", "INVALID_INPUT")
    searchable = _property(raw.get("propertyName"))
    operator = _operator(raw.get("operator"))
    _supported(searchable, operator)
    return SearchFilter(searchable.prop.name, operator, _filter_values(searchable, operator, raw))


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
                filters.append(_filter(item))
            except Invalid as problem:
                errors.append(_filter_error(problem, item, group_index, index))
        groups.append(tuple(filters))
    return tuple(groups)


def _filter_error(problem: Invalid, item: Any, group: int, index: int) -> dict[str, Any]:
    context: dict[str, object] = {"filterGroupIndex": group, "filterIndex": index}
    name = item.get("propertyName") if isinstance(item, Mapping) else None
    if isinstance(name, str):
        context["propertyName"] = _shown(name)
    return _error(problem.message, at=f"filterGroups[{group}].filters[{index}]", code=problem.code, **context)


def _sort(raw: Any) -> SearchSort:
    """`"name"` / `"-name"`, or `{"propertyName": "name", "direction": "ASCENDING" | "DESCENDING"}`."""
    if isinstance(raw, str):
        name = raw.strip()
        descending = name.startswith("-")
        return SearchSort(_property(name.removeprefix("-")).prop.name, descending)
    if not isinstance(raw, Mapping):
        raise Invalid(f"A sort must be a string or an object, not {_json_type(raw)}.", "INVALID_INPUT")
    prop = _property(raw.get("propertyName")).prop.name
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
            raise Invalid(f"query must be a string, not {_json_type(raw)}.", "INVALID_INPUT")
        return _checked(raw, "query").strip()
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


def filter_condition(search_filter: SearchFilter) -> Q:
    """The WHERE condition of one filter."""
    searchable, operator, values = SEARCHABLE[search_filter.prop], search_filter.operator, search_filter.values
    if operator in (Operator.EQ, Operator.IN):
        return _any_of(searchable, values)
    if operator in (Operator.NEQ, Operator.NOT_IN):
        return ~_any_of(searchable, values)
    if operator is Operator.HAS_PROPERTY:
        return ~searchable.blank()
    if operator is Operator.NOT_HAS_PROPERTY:
        return searchable.blank()
    if operator in RANGE_LOOKUPS:
        return searchable.compare(RANGE_LOOKUPS[operator], values[0])
    if operator is Operator.BETWEEN:
        return searchable.compare("gte", values[0]) & searchable.compare("lte", values[1])
    matches = searchable.contains_token(values[0])
    return matches if operator is Operator.CONTAINS_TOKEN else ~matches


def _any_of(searchable: Searchable, values: Sequence[Any]) -> Q:
    present = [value for value in values if value != BLANK]
    condition = searchable.blank() if len(present) < len(values) else _never()
    return condition | searchable.equals(present) if present else condition


def _query_condition(query: str) -> Q:
    """`query`: a case-insensitive "contains" on any of the `text_search` properties."""
    condition = _never()
    for prop in PROPERTIES.values():
        if prop.text_search:
            condition |= Q(**{f"{prop.field}__icontains": query})
    return condition


def contacts_search_queryset(*, search: SearchRequest) -> QuerySet:
    """Live contacts (R22) matching any filter group (all of its filters) and the query, unordered."""
    queryset = Contact.objects.filter(archived_at__isnull=True)
    if search.filter_groups:
        groups = [reduce(and_, map(filter_condition, group)) for group in search.filter_groups]
        queryset = queryset.filter(reduce(or_, groups))
    if search.query:
        queryset = queryset.filter(_query_condition(search.query))
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
