"""The filter grammar of contacts: HubSpot's search filters, parsed and compiled to a WHERE condition.

A filter is `{"propertyName", "operator", "value" | "values" | "highValue"}`, as HubSpot's CRM v3 search
and its workflow triggers read it. `filter_parse()` checks one and raises `Invalid` (a message and a
HubSpot error code) naming what is wrong; `filter_condition()` compiles a parsed filter, and
`filter_groups_condition()` an OR of AND groups. The search API (`api.search`), workflow triggers and
anything else that selects contacts by their properties share it, so they find the same contacts.

Semantics (HubSpot's CRM v3 search):

- Every property of `contacts.properties.PROPERTIES` is searchable, its value parsed by its type: the
  record id as an integer, datetimes as epoch milliseconds or ISO 8601 (compared at millisecond
  precision, as the API shows them), booleans as "true"/"false" (the four `hs_marketable_*`
  properties included; `hs_email_optout` is "unsubscribed from all email").
- A blank value is no value: `HAS_PROPERTY` is "not null and not empty", `EQ ""` is
  `NOT_HAS_PROPERTY`. `NEQ`, `NOT_IN` and `NOT_CONTAINS_TOKEN` are the exact complements of `EQ`,
  `IN` and `CONTAINS_TOKEN`, so contacts without a value match them.
- Strings compare case-insensitively for EQ/NEQ/IN/NOT_IN (emails are stored lower-cased, enumeration
  values have one canonical spelling). `CONTAINS_TOKEN` matches a whitespace-separated word of the
  value, where `*` stands for any characters within the word (`*@example.com`).
- `query_condition()` is a case-insensitive "contains" over the `text_search` properties.

Indexes (PostgreSQL, `contacts` migrations): email equality is the unique index on the lower-cased
email; name equality the `UPPER(name)` indexes; phone equality the phone index (values without
letters compare exactly); enumeration values, `createdate` and the marketing status their composite
indexes. "Contains" and token matches are scans by nature.
"""

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import reduce
from operator import and_, or_
from typing import Any

from django.db.models import BooleanField, Case, F, Q, Value, When
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce

from contacts.models import Contact, EmailSubscription
from contacts.properties import PROPERTIES, Property

MAX_VALUES = 100  # values of one IN / NOT_IN filter
MAX_TEXT = 3_000  # characters of a value or a query
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
            raise Invalid(f"{shown(text)!r} is not a valid record id: use an integer.")
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
            raise Invalid(f"{shown(text)!r} is out of the supported date range.") from error

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
        raise Invalid(f"{shown(text)!r} is out of the supported date range.") from error


def _iso(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise Invalid(f"{shown(text)!r} is not a valid datetime: use epoch milliseconds or ISO 8601.") from error
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
            raise Invalid(f'{shown(text)!r} is not a valid value for {self.prop.name!r}: use "true" or "false".')
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


# --- Parsing a filter ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilter:
    """One filter: `values` holds the one value, the IN list, or BETWEEN's (low, high); blank values are BLANK."""

    prop: str
    operator: Operator
    values: tuple[Any, ...] = ()


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
        raise Invalid(f"{what} must be a string, not {json_type(raw)}.", "INVALID_INPUT")
    try:
        text = str(raw)
    except ValueError as error:  # an integer too long to print
        raise Invalid(f"{what} is too long.") from error
    return text_checked(text, what)


def text_checked(text: str, what: str) -> str:
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


def shown(text: str) -> str:
    """Client text echoed in an error: shortened, and renderable (a lone surrogate is written as its escape)."""
    return text[:100].encode("utf-8", "backslashreplace").decode("utf-8")


def json_type(raw: Any) -> str:
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
        given = shown(raw) if isinstance(raw, str) else json_type(raw)
        choices = ", ".join(Operator)
        raise Invalid(f'Unknown operator "{given}": use one of {choices}.', "INVALID_OPERATOR")
    return Operator(name)


def property_parse(raw: Any) -> Searchable:
    if raw is None:
        raise Invalid("propertyName is missing.", "MISSING_PROPERTY")
    if not isinstance(raw, str):
        raise Invalid(f"propertyName must be a string, not {json_type(raw)}.", "INVALID_INPUT")
    if raw.strip() not in SEARCHABLE:
        raise Invalid(f'Property "{shown(raw)}" does not exist', "PROPERTY_DOESNT_EXIST")
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


def filter_parse(raw: Any) -> SearchFilter:
    if not isinstance(raw, Mapping):
        raise Invalid(f"A filter must be an object, not {json_type(raw)}.", "INVALID_INPUT")
    searchable = property_parse(raw.get("propertyName"))
    operator = _operator(raw.get("operator"))
    _supported(searchable, operator)
    return SearchFilter(searchable.prop.name, operator, _filter_values(searchable, operator, raw))


# --- Compiling it ---------------------------------------------------------------------------------------


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


def query_condition(query: str) -> Q:
    """`query`: a case-insensitive "contains" on any of the `text_search` properties."""
    condition = _never()
    for prop in PROPERTIES.values():
        if prop.text_search:
            condition |= Q(**{f"{prop.field}__icontains": query})
    return condition


def filter_groups_condition(groups: Iterable[Iterable[SearchFilter]]) -> Q:
    """An OR of groups, each the AND of its filters (HubSpot's `filterGroups`); no group matches every contact."""
    conditions = [reduce(and_, map(filter_condition, group)) for group in groups]
    return reduce(or_, conditions) if conditions else _always()
