"""Reads of the contacts index: one page of contacts by keyset, the total that matches, and the page's menus.

Keyset pagination: a page is "the first `per_page` contacts after (or before) a cursor" in the sort
order, where the cursor holds the sort values and id of the row at the page's edge. Every sort ends
with the id, so the order is total and stable, and the condition is a row comparison
`(k1, …, id) > (v1, …, x)` that PostgreSQL answers with one range scan of the index built on the
same expressions (migration 0003): a page 500 pages deep costs what the first one does. Nullable
columns are sorted through `COALESCE`, so no row ever drops out of a comparison.

Counting every match is the expensive part at a million contacts, so the total is exact up to
`EXACT_COUNT_LIMIT` and otherwise estimated from a sample, which the page labels "about"; both come
with the rows, in the same query.
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core import signing
from django.db import connection
from django.db.models import BooleanField, CharField, F, Field, Func, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Lower
from django.http import QueryDict
from django.utils.http import urlencode

from contacts.filters import ContactFilterSet
from contacts.models import Contact, ContactList, SavedView

PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 200
EXACT_COUNT_LIMIT = 10_000  # counted exactly up to here; above it an estimate, labelled "about"
ESTIMATE_SAMPLE = 4_000  # ids looked up to estimate a larger total
CURSOR_SALT = "contacts.index.cursor"


class InvalidCursor(ValueError):
    """The page cursor was tampered with, is malformed, or belongs to another sort."""


# --- Columns and sorts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    """One expression of a sort order; `kind` says how its cursor value is written and read back."""

    expression: Any
    kind: str  # "str", "bool" or "datetime"


_CREATED = SortKey(F("created_at"), "datetime")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    fields: tuple[str, ...]  # the only columns selected to show it
    sort_keys: tuple[SortKey, ...]  # its sort order, before the id that breaks ties


COLUMNS: dict[str, Column] = {
    column.key: column
    for column in (
        Column(
            "name",
            "Name",
            ("first_name", "last_name", "email"),
            (SortKey(Lower("first_name"), "str"), SortKey(Lower("last_name"), "str")),
        ),
        Column("email", "Email", ("email",), (SortKey(Coalesce("email", Value(""), output_field=CharField()), "str"),)),
        Column(
            "status",
            "Marketing contact status",
            ("marketable_status",),
            (SortKey(Coalesce("marketable_status", Value(False)), "bool"), _CREATED),
        ),
        Column(
            "pending",
            "Marketing contact until next update",
            ("marketable_until_renewal",),
            (SortKey(F("marketable_until_renewal"), "bool"), _CREATED),
        ),
        Column(
            "source_type",
            "Marketing contact status source type",
            ("marketable_reason_type",),
            (SortKey(F("marketable_reason_type"), "str"), _CREATED),
        ),
        Column(
            "lifecycle_stage", "Lifecycle stage", ("lifecycle_stage",), (SortKey(F("lifecycle_stage"), "str"), _CREATED)
        ),
        Column("created", "Create date", ("created_at",), (_CREATED,)),
    )
}
DEFAULT_COLUMNS = tuple(COLUMNS)
ALWAYS_SHOWN = "name"  # the row's link to the contact


@dataclass(frozen=True)
class Sort:
    column: str
    descending: bool

    @classmethod
    def parse(cls, value: str | None) -> "Sort":
        """`created` or `-created`; anything unknown is the default sort, newest first."""
        value = (value or "").strip()
        key = value.removeprefix("-")
        if key not in COLUMNS:
            return DEFAULT_SORT
        return cls(key, value.startswith("-"))

    @property
    def token(self) -> str:
        return f"-{self.column}" if self.descending else self.column

    @property
    def keys(self) -> tuple[SortKey, ...]:
        return COLUMNS[self.column].sort_keys

    def toggled(self, column: str) -> "Sort":
        """The sort a click on `column`'s header gives: the other direction, or that column ascending."""
        if column == self.column:
            return Sort(column, not self.descending)
        return Sort(column, descending=column == "created")


DEFAULT_SORT = Sort("created", descending=True)


def columns_parse(values: Iterable[str]) -> tuple[str, ...]:
    """The known columns among `values`, in display order, always with the name; none at all means all."""
    chosen = {value for value in values if value in COLUMNS}
    if not chosen:
        return DEFAULT_COLUMNS
    return tuple(key for key in COLUMNS if key in chosen or key == ALWAYS_SHOWN)


def per_page_parse(value: str | None) -> int:
    try:
        return min(max(int(value or PER_PAGE_DEFAULT), 1), PER_PAGE_MAX)
    except ValueError:
        return PER_PAGE_DEFAULT


# --- Cursors ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    values: tuple  # the edge row's sort values, then its id
    backwards: bool  # the page before the edge row, instead of after it


def _encode_value(value: Any, kind: str) -> Any:
    return value.isoformat() if kind == "datetime" else value


def _decode_value(value: Any, kind: str) -> Any:
    if kind == "datetime" and isinstance(value, str):
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is not None:
            return parsed
    elif (kind == "bool" and isinstance(value, bool)) or (kind == "str" and isinstance(value, str)):
        return value
    raise InvalidCursor(f"bad {kind} value in cursor")


def cursor_encode(*, sort: Sort, row: Mapping[str, Any], backwards: bool) -> str:
    """A signed, URL-safe token for the page after (or before) `row` in `sort` order."""
    values = [_encode_value(row[f"sort_{index}"], key.kind) for index, key in enumerate(sort.keys)]
    return signing.dumps({"s": sort.token, "v": values, "id": row["id"], "b": backwards}, salt=CURSOR_SALT)


def cursor_decode(token: str | None, *, sort: Sort) -> Cursor | None:
    """The cursor in `token`, or None for the first page; raises InvalidCursor rather than guessing."""
    if not token:
        return None
    try:
        data = signing.loads(token, salt=CURSOR_SALT)
    except signing.BadSignature as error:
        raise InvalidCursor("cursor signature does not match") from error
    try:
        if data["s"] != sort.token or len(data["v"]) != len(sort.keys) or type(data["id"]) is not int:
            raise InvalidCursor("cursor belongs to another sort")
        values = tuple(_decode_value(value, key.kind) for value, key in zip(data["v"], sort.keys, strict=True))
        return Cursor((*values, data["id"]), backwards=bool(data["b"]))
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidCursor("malformed cursor") from error


class RowCompare(Func):
    """`(a, b, …) > (x, y, …)`: a row-value comparison.

    PostgreSQL turns it into the start of an index range scan over an index on (a, b, …); the
    equivalent `a > x OR (a = x AND b > y)` would scan every row that ties on `a`.
    """

    output_field = BooleanField()

    def __init__(self, left: Sequence, operator: str, right: Sequence):
        if operator not in {"<", ">"} or len(left) != len(right):
            raise ValueError("RowCompare needs < or > and rows of the same length")
        super().__init__(*left, *right)
        self.operator, self.size = operator, len(left)

    def as_sql(self, compiler, connection, **extra_context):
        compiled = [compiler.compile(expression) for expression in self.get_source_expressions()]
        left = ", ".join(sql for sql, _ in compiled[: self.size])
        right = ", ".join(sql for sql, _ in compiled[self.size :])
        return f"({left}) {self.operator} ({right})", [param for _, params in compiled for param in params]


# --- The page -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Total:
    """How many contacts match: `exact`, else an estimate ("about"), or only known to exceed `count`."""

    count: int
    exact: bool = True
    more_than: bool = False

    @property
    def number(self) -> str:
        """ "1,234", "about 650,000" or "more than 10,000"."""
        if self.exact:
            return f"{self.count:,}"
        if self.more_than:
            return f"more than {self.count:,}"
        return f"about {_round_estimate(self.count):,}"

    @property
    def label(self) -> str:
        return f"{self.number} {'contact' if self.exact and self.count == 1 else 'contacts'}"


def _round_estimate(count: int) -> int:
    """Two significant digits: an estimate is not more precise than that."""
    magnitude = 10 ** max(len(str(count)) - 2, 0)
    return round(count / magnitude) * magnitude


@dataclass(frozen=True)
class IndexPage:
    rows: list[dict[str, Any]]
    total: Total
    next_cursor: str | None
    previous_cursor: str | None


def _compiled(queryset: QuerySet) -> tuple[str, tuple]:
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


# Ids spread over the whole id range (a multiplicative walk, not a stride, so that no periodic pattern in
# the ids can line up with it); `%s` is the sample size.
SAMPLE_IDS_SQL = f"""
    SELECT r.lo + (g.i * 7919) %% (r.hi - r.lo + 1)
    FROM (SELECT MIN(id) AS lo, MAX(id) AS hi FROM {Contact._meta.db_table}) AS r, generate_series(1, %s) AS g(i)
"""


def totals_sql(queryset: QuerySet) -> tuple[str, tuple]:
    """A sub-select giving how many contacts `queryset` matches, computed once per query.

    Its value is `[the count of matches up to EXACT_COUNT_LIMIT + 1, estimate]`, where the estimate,
    evaluated only when the count overflows (PostgreSQL runs an init-plan in a CASE branch only if the
    branch is taken), counts the matches among ESTIMATE_SAMPLE ids spread over the id range and scales
    them to the whole range: a few thousand primary-key lookups, whatever the filters. Its error is
    about 1/sqrt(matches in the sample): 5% at 100,000 of a million.
    """
    bounded, bounded_params = _compiled(queryset.order_by().values("pk")[: EXACT_COUNT_LIMIT + 1])
    count_sql = f"SELECT COUNT(*) AS n FROM ({bounded}) AS bounded"
    table = Contact._meta.db_table
    # `id = ANY(ARRAY(…))`, not `id IN (…)`: always primary-key lookups of the sample, never a join that
    # reads every match (the planner cannot know the sample's size).
    sample = RawSQL(f'"{table}"."id" = ANY(ARRAY({SAMPLE_IDS_SQL}))', (ESTIMATE_SAMPLE,), output_field=BooleanField())
    sampled, sampled_params = _compiled(queryset.order_by().filter(sample).values("pk"))
    estimate_sql = (  # matches × span / distinct ids sampled (the span itself, when it is smaller than the sample)
        f"SELECT ((SELECT COUNT(*) FROM ({sampled}) AS sampled) * span.n / LEAST(span.n, %s))::bigint "
        f"FROM (SELECT (MAX(id) - MIN(id) + 1)::float8 AS n FROM {table}) AS span"
    )
    return (
        f"SELECT ARRAY[counted.n, CASE WHEN counted.n > %s THEN ({estimate_sql}) END] FROM ({count_sql}) AS counted",
        (EXACT_COUNT_LIMIT, *sampled_params, ESTIMATE_SAMPLE, *bounded_params),
    )


def _page_rows(
    *, queryset: QuerySet, sort: Sort, cursor: Cursor | None, limit: int, columns: Sequence[str], totals: Mapping
) -> list:
    """Up to `limit` rows (dicts of the shown fields, the sort values and `totals`) after or before `cursor`."""
    aliases = [f"sort_{index}" for index in range(len(sort.keys))]
    queryset = queryset.annotate(**{alias: key.expression for alias, key in zip(aliases, sort.keys, strict=True)})
    backwards = cursor is not None and cursor.backwards
    descending = sort.descending != backwards  # reading backwards reverses the order
    if cursor is not None:
        fields = [queryset.query.annotations[alias].output_field for alias in aliases] + [Contact._meta.pk]
        right = [Value(value, output_field=field) for value, field in zip(cursor.values, fields, strict=True)]
        left = [F(alias) for alias in aliases] + [F("pk")]
        queryset = queryset.filter(RowCompare(left, "<" if descending else ">", right))
    prefix = "-" if descending else ""
    selected = {"id", *(name for column in columns for name in COLUMNS[column].fields)}
    queryset = queryset.annotate(**totals).order_by(*(prefix + alias for alias in aliases), prefix + "pk")
    return list(queryset.values(*sorted(selected), *aliases, *totals)[:limit])


def contacts_index_page(
    *, queryset: QuerySet, sort: Sort, cursor: Cursor | None, per_page: int, columns: Sequence[str]
) -> IndexPage:
    """One page of `queryset` in `sort` order, the cursors of its neighbours, and how many contacts match.

    One query: the rows carry how many contacts match (`totals_sql`, computed once); only an empty
    page counts apart.
    """
    totals = {"totals": RawSQL(*totals_sql(queryset), output_field=Field())}
    rows = _page_rows(queryset=queryset, sort=sort, cursor=cursor, limit=per_page + 1, columns=columns, totals=totals)
    more = len(rows) > per_page
    rows = rows[:per_page]
    if cursor is not None and cursor.backwards:
        rows.reverse()
        has_previous, has_next = more, True
    else:
        has_previous, has_next = cursor is not None, more
    total = _total(rows[0]["totals"]) if rows else contacts_total(queryset=queryset)
    return IndexPage(
        rows=rows,
        total=total,
        next_cursor=cursor_encode(sort=sort, row=rows[-1], backwards=False) if rows and has_next else None,
        previous_cursor=cursor_encode(sort=sort, row=rows[0], backwards=True) if rows and has_previous else None,
    )


def _total(totals: list) -> Total:
    """The Total from `totals_sql`'s value: exact up to EXACT_COUNT_LIMIT, else the sampled estimate."""
    counted, estimate = totals
    if counted <= EXACT_COUNT_LIMIT:
        return Total(counted, exact=True)
    if estimate <= EXACT_COUNT_LIMIT:  # the sample fell short; all that is known is the count's limit
        return Total(EXACT_COUNT_LIMIT, exact=False, more_than=True)
    return Total(estimate, exact=False)


def contacts_total(*, queryset: QuerySet) -> Total:
    """How many contacts `queryset` matches (see `totals_sql`), in one query of its own."""
    sql, params = totals_sql(queryset)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _total(cursor.fetchone()[0])


# --- Filters and menus --------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    pk: int
    name: str


@dataclass(frozen=True)
class IndexMenus:
    saved_views: list[Option] = field(default_factory=list)
    lists: list[Option] = field(default_factory=list)


def index_menus_get(*, user) -> IndexMenus:
    """The user's saved views (the tabs) and every static list (the list filter), in one query."""
    views = SavedView.objects.filter(owner=user).annotate(kind=Value("view")).values_list("kind", "pk", "name")
    lists = ContactList.objects.annotate(kind=Value("list")).values_list("kind", "pk", "name")
    views, lists = views.order_by(), lists.order_by()  # a compound query takes no ORDER BY in its parts
    menus = IndexMenus()
    for kind, pk, name in views.union(lists, all=True):
        (menus.saved_views if kind == "view" else menus.lists).append(Option(pk, name))
    for options in (menus.saved_views, menus.lists):
        options.sort(key=lambda option: (option.name.casefold(), option.pk))
    return menus


def contacts_live() -> QuerySet:
    return Contact.objects.filter(archived_at__isnull=True)


def index_filterset(*, data: QueryDict, lists: Sequence[Option]) -> ContactFilterSet:
    """ContactFilterSet over the live contacts, its `list` choice checked against `lists`.

    The list filter filters exactly as in ContactFilterSet; only its validation reads the lists the
    filter panel already fetched, instead of one more query per page.
    """
    filterset = ContactFilterSet(data, queryset=contacts_live())
    fields = filterset.form.fields
    fields["list"] = forms.TypedChoiceField(
        label=fields["list"].label,
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any list"), *((str(option.pk), option.name) for option in lists)],
    )
    for name in ("created_after", "created_before"):
        fields[name].widget.input_type = "date"
    return filterset


def filter_query(filterset: ContactFilterSet) -> str:
    """The canonical query string of a valid filterset's active filters (what "all matching" re-runs)."""
    cleaned = filterset.form.cleaned_data
    active = [(name, filterset.data.get(name, "")) for name in filterset.filters if cleaned.get(name) not in (None, "")]
    return urlencode(active)


def saved_view_get(*, owner, pk: int) -> SavedView:
    """`owner`'s saved view `pk`; raises SavedView.DoesNotExist for anyone else's."""
    return SavedView.objects.get(owner=owner, pk=pk)


def saved_view_state_valid(*, query: str, sort: str, columns: Sequence[str]) -> list[str]:
    """Why a saved view's filters, sort or columns are invalid (an empty list when they are valid)."""
    errors = []
    filterset = ContactFilterSet(QueryDict(query), queryset=contacts_live())
    if not filterset.is_valid():
        errors.append(f"Invalid filters: {filterset.errors.as_text()}")
    if sort and Sort.parse(sort).token != sort:
        errors.append(f"Unknown sort {sort!r}.")
    unknown = [column for column in columns if column not in COLUMNS]
    if unknown:
        errors.append(f"Unknown columns: {', '.join(unknown)}.")
    return errors
