"""The contacts index (/contacts/) and its saved views: login, filters, sorts, keyset pages, the
selection form, the total, saved views per user, and the page's query budget."""

import datetime as dt
import itertools
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts import selectors
from contacts.models import ContactList, SavedView
from contacts.selectors import Sort, Total
from contacts.services import contact_list_add
from marketing_status.creation import contacts_create
from marketing_status.policy import CreationTool
from marketing_status.services import contacts_set_non_marketing
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INDEX = "/contacts/"
_numbers = itertools.count(1)


def make(actor, count=1, *, tool=CreationTool.MANUAL, marketing=False, source_id="", **fields) -> list[int]:
    """Create contacts through the service (as the app does); return their ids in creation order."""
    data = []
    for _ in range(count):
        number = next(_numbers)
        data.append({"email": f"contact{number:04d}@example.com", "first_name": f"First{number:04d}", **fields})
    contacts = contacts_create(data=data, tool=tool, actor=actor, marketing=marketing, source_id=source_id)
    return [contact.pk for contact in contacts]


def at(day: str):
    """Create contacts as if on `day` (ISO date), so that `created_at` differs between batches."""
    return time_machine.travel(dt.datetime.fromisoformat(day).replace(hour=9, tzinfo=dt.UTC), tick=False)


def ids_of(response) -> list[int]:
    return [row["id"] for row in response.context["page"].rows]


@pytest.fixture
def signed_in(client, marketer):
    client.force_login(marketer)
    return client


# --- Login --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/contacts/"),
        ("get", "/contacts/?status=marketing"),
        ("get", "/contacts/views/1/"),
        ("post", "/contacts/views/"),
        ("post", "/contacts/views/1/rename/"),
        ("post", "/contacts/views/1/delete/"),
    ],
)
def test_every_index_view_sends_anonymous_users_to_login(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={quote(url, safe='/')}"


@pytest.mark.parametrize(
    ("method", "url"), [("post", "/contacts/"), ("get", "/contacts/views/"), ("get", "/contacts/views/1/delete/")]
)
def test_index_views_refuse_the_wrong_method(signed_in, method, url):
    assert getattr(signed_in, method)(url).status_code == 405


# --- The page -----------------------------------------------------------------------------------


def test_index_shows_the_columns_the_total_and_links(signed_in, subscription, marketer_actor):
    (ada,) = make(marketer_actor, first_name="Ada", last_name="Lovelace", email="ada@example.com", marketing=True)
    (bob,) = make(marketer_actor, first_name="Bob", last_name="Byte", lifecycle_stage="customer")
    response = signed_in.get(INDEX)
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["page"].total == Total(2, exact=True)
    assert '<span class="total" id="total">2 contacts</span>' in html
    for label in ("Name", "Email", "Marketing contact status", "Marketing contact until next update"):
        assert f">{label}</a></th>" in html
    for label in ("Marketing contact status source type", "Lifecycle stage", "Create date"):
        assert f">{label}</a></th>" in html
    assert f'<a href="/contacts/{ada}/">Ada Lovelace</a>' in html
    assert f'<a href="/contacts/{bob}/">Bob Byte</a>' in html
    assert '<span class="badge marketing">Marketing contact</span>' in html
    assert '<td class="source_type">Set by a user</td>' in html  # the label, not USER_SET
    assert '<td class="lifecycle_stage">Customer</td>' in html
    assert 'href="/contacts/new/"' in html


def test_the_selection_form_holds_every_row_and_the_view_query(signed_in, subscription, marketer_actor):
    ids = make(marketer_actor, 3, lifecycle_stage="lead")
    response = signed_in.get(INDEX + "?lifecycle_stage=lead&status=&pending=unknown&q=")
    html = response.content.decode()
    assert '<form id="selection" method="post" data-selected-count="0"' in html
    assert 'data-query="lifecycle_stage=lead"' in html
    assert '<input type="hidden" name="select_all" value="0">' in html
    assert '<input type="hidden" name="query" value="">' in html
    for pk in ids:
        assert f'<input type="checkbox" name="ids" value="{pk}" form="selection"' in html
    assert 'id="select-page"' in html
    assert "Select all 3 contacts matching this view" in html
    assert ">Set as marketing contacts</button>" in html  # the bulk actions' include


def test_rows_select_only_the_shown_columns(signed_in, subscription, marketer_actor):
    make(marketer_actor, 2, lifecycle_stage="lead")
    response = signed_in.get(INDEX + "?columns=email&columns=status")
    assert response.context["state"].columns == ("name", "email", "status")
    html = response.content.decode()
    assert ">Lifecycle stage</a></th>" not in html and ">Create date</a></th>" not in html
    row = response.context["page"].rows[0]
    assert "lifecycle_stage" not in row and "marketable_reason_type" not in row
    assert {"id", "first_name", "last_name", "email", "marketable_status"} <= set(row)


def test_unknown_columns_and_sorts_fall_back_to_the_defaults(signed_in, subscription, marketer_actor):
    make(marketer_actor)
    response = signed_in.get(INDEX + "?columns=password&sort=-password")
    assert response.status_code == 200
    assert response.context["state"].columns == selectors.DEFAULT_COLUMNS
    assert response.context["state"].sort == Sort("created", descending=True)


@pytest.mark.parametrize(("requested", "shown"), [("5", 5), ("1000", 200), ("abc", 50), ("0", 1)])
def test_per_page_is_bounded(signed_in, subscription, marketer_actor, requested, shown):
    make(marketer_actor, 205)
    response = signed_in.get(INDEX + f"?per_page={requested}")
    assert response.context["state"].per_page == shown
    assert len(ids_of(response)) == shown


# --- Filters ------------------------------------------------------------------------------------


@pytest.fixture
def varied(subscription, marketer, marketer_actor):
    """One contact per filter value; returns their ids by name."""
    with at("2026-01-05"):
        (plain,) = make(marketer_actor, first_name="Plain", last_name="Lead", lifecycle_stage="lead")
    with at("2026-02-10"):
        (marketing,) = make(marketer_actor, first_name="Mark", last_name="Eting", marketing=True)
    with at("2026-02-20"):
        (pending,) = make(marketer_actor, first_name="Penny", last_name="Ding", marketing=True)
        contacts_set_non_marketing(contacts=[pending], actor=marketer_actor)
        (form,) = make(marketer_actor, tool=CreationTool.HUBSPOT_FORM, source_id="form-7", first_name="Forma")
    with at("2026-03-01"):
        (bounced,) = make(marketer_actor, first_name="Bea", email_subscription="unsubscribed", email_hard_bounced=True)
        (zelda,) = make(marketer_actor, first_name="Zelda", last_name="Quinn", email="zq@quinn.io", phone="5551234")
    contact_list = ContactList.objects.create(name="Webinar")
    contact_list_add(contact_list=contact_list, contacts=[plain, zelda], actor=marketer_actor)
    names = locals()
    return {key: names[key] for key in ("plain", "marketing", "pending", "form", "bounced", "zelda")} | {
        "list": contact_list.pk
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=marketing", {"marketing", "pending", "form"}),
        ("status=non_marketing", {"plain", "bounced", "zelda"}),
        ("pending=true", {"pending"}),
        ("pending=false", {"plain", "marketing", "form", "bounced", "zelda"}),
        ("source_type=FORM_SUBMISSION", {"form"}),
        ("source_type=USER_SET", {"plain", "marketing", "pending", "bounced", "zelda"}),
        ("creation_tool=HUBSPOT_FORM", {"form"}),
        ("lifecycle_stage=lead", {"plain"}),
        ("unsubscribed=true", {"bounced"}),
        ("hard_bounced=true", {"bounced"}),
        ("hard_bounced=false", {"plain", "marketing", "pending", "form", "zelda"}),
        ("created_after=2026-02-20", {"pending", "form", "bounced", "zelda"}),
        ("created_before=2026-02-10", {"plain", "marketing"}),
        ("created_after=2026-02-01&created_before=2026-02-28", {"marketing", "pending", "form"}),
        ("q=zq@quinn", {"zelda"}),
        ("q=QUIN", {"zelda"}),
        ("q=zel", {"zelda"}),
        ("q=555123", {"zelda"}),
        ("status=marketing&source_type=USER_SET&pending=false", {"marketing"}),
    ],
)
def test_each_filter_shows_exactly_its_contacts(signed_in, varied, query, expected):
    response = signed_in.get(f"{INDEX}?{query}")
    assert response.status_code == 200
    assert set(ids_of(response)) == {varied[name] for name in expected}
    assert response.context["page"].total == Total(len(expected), exact=True)


def test_list_filter_shows_the_list_members(signed_in, varied):
    response = signed_in.get(f"{INDEX}?list={varied['list']}")
    assert set(ids_of(response)) == {varied["plain"], varied["zelda"]}
    assert response.context["state"].query == f"list={varied['list']}"


def test_search_by_id(signed_in, varied):
    response = signed_in.get(f"{INDEX}?q={varied['bounced']}")
    assert varied["bounced"] in ids_of(response)


@pytest.mark.parametrize("query", ["status=bogus", "created_after=yesterday", "list=999999", "source_type=NOPE"])
def test_an_invalid_filter_is_refused_not_ignored(signed_in, varied, query):
    response = signed_in.get(f"{INDEX}?{query}")
    assert response.status_code == 400
    assert response.context["page"] is None
    assert 'name="ids"' not in response.content.decode()
    assert "Some filters are not valid" in response.content.decode()


def test_the_filter_panel_offers_every_filter(signed_in, varied):
    html = signed_in.get(INDEX).content.decode()
    for name in ("status", "pending", "source_type", "creation_tool", "lifecycle_stage", "unsubscribed"):
        assert f'name="{name}"' in html
    for name in ("hard_bounced", "created_after", "created_before", "list"):
        assert f'name="{name}"' in html
    assert '<input type="date" name="created_after"' in html
    assert f'<option value="{varied["list"]}">Webinar</option>' in html


def test_the_filters_offer_readable_labels_and_keep_the_raw_values(signed_in, varied):
    html = signed_in.get(INDEX + "?source_type=FORM_SUBMISSION").content.decode()
    assert '<option value="FORM_SUBMISSION" selected>Form submission</option>' in html
    assert '<option value="INTEGRATOR_SET">Set by an integration</option>' in html
    assert '<option value="HUBSPOT_FORM">Form</option>' in html
    assert '<option value="NON_HUBSPOT_FORM">Non-HubSpot form</option>' in html
    assert ">FORM_SUBMISSION<" not in html and ">HUBSPOT_FORM<" not in html


# --- Sorts and keyset pages ---------------------------------------------------------------------


@pytest.fixture
def many(subscription, marketer_actor):
    """130 contacts in three batches (contacts in a batch share created_at), with some ties on every sort
    key: repeated names in mixed case, contacts without email, marketing and pending ones."""
    with at("2025-06-01"):
        make(marketer_actor, 40, lifecycle_stage="lead", first_name="anna", last_name="Smith")
    with at("2025-09-01"):
        make(marketer_actor, 50, marketing=True, first_name="Anna", last_name="smith", lifecycle_stage="customer")
        make(marketer_actor, 5, email=None, first_name="Nomail")
    with at("2026-01-01"):
        pending = make(marketer_actor, 35, marketing=True, first_name="Zoe")
        contacts_set_non_marketing(contacts=pending[:10], actor=marketer_actor)
    from contacts.models import Contact

    return list(Contact.objects.order_by("pk").values())


SORT_KEYS = {
    "name": lambda row: (row["first_name"].lower(), row["last_name"].lower()),
    "email": lambda row: (row["email"] or "",),
    "status": lambda row: (bool(row["marketable_status"]), row["created_at"]),
    "pending": lambda row: (row["marketable_until_renewal"], row["created_at"]),
    "source_type": lambda row: (row["marketable_reason_type"], row["created_at"]),
    "lifecycle_stage": lambda row: (row["lifecycle_stage"], row["created_at"]),
    "created": lambda row: (row["created_at"],),
}


def expected_order(rows, token: str) -> list[int]:
    key = SORT_KEYS[token.removeprefix("-")]
    ordered = sorted(rows, key=lambda row: (*key(row), row["id"]), reverse=token.startswith("-"))
    return [row["id"] for row in ordered]


@pytest.mark.parametrize("token", [*SORT_KEYS, *(f"-{key}" for key in SORT_KEYS)])
def test_every_column_sorts_both_ways_with_the_id_breaking_ties(signed_in, many, token):
    response = signed_in.get(f"{INDEX}?sort={token}&per_page=200")
    assert ids_of(response) == expected_order(many, token)


def test_a_header_click_toggles_the_direction(signed_in, many):
    response = signed_in.get(f"{INDEX}?sort=email")
    headers = {header["column"].key: header for header in response.context["headers"]}
    assert headers["email"]["sorted"] == "ascending"
    assert parse_qs(urlsplit(headers["email"]["url"]).query)["sort"] == ["-email"]
    assert parse_qs(urlsplit(headers["name"]["url"]).query)["sort"] == ["name"]
    assert "sort" not in parse_qs(urlsplit(headers["created"]["url"]).query)  # newest first is the default


def walk(client, url: str, link: str) -> list[list[int]]:
    """The ids of every page from `url`, following the `link` ("next_url" or "previous_url") to the end."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append(ids_of(response))
        url = response.context[link]
    return pages


@pytest.mark.parametrize("token", ["-created", "created", "name", "-email", "status", "-lifecycle_stage", "pending"])
def test_keyset_pages_cover_every_contact_once_forwards_and_back(signed_in, many, token):
    forwards = walk(signed_in, f"{INDEX}?sort={token}&per_page=20", "next_url")
    assert [len(page) for page in forwards] == [20] * 6 + [10]
    assert [pk for page in forwards for pk in page] == expected_order(many, token)
    last = signed_in.get(f"{INDEX}?sort={token}&per_page=20")
    for _ in range(6):
        last = signed_in.get(last.context["next_url"])
    backwards = walk(signed_in, last.context["previous_url"], "previous_url")
    assert backwards == forwards[-2::-1]


def test_pages_of_a_filtered_view_keep_the_filter_and_the_total(signed_in, many):
    pages = walk(signed_in, f"{INDEX}?status=marketing&sort=name&per_page=30", "next_url")
    marketing = [row for row in many if row["marketable_status"]]
    assert [pk for page in pages for pk in page] == expected_order(marketing, "name")
    response = signed_in.get(signed_in.get(f"{INDEX}?status=marketing&per_page=30").context["next_url"])
    assert response.context["page"].total == Total(len(marketing), exact=True)
    assert response.context["previous_url"]


def test_a_page_link_carries_the_view_and_an_opaque_cursor(signed_in, many):
    response = signed_in.get(f"{INDEX}?status=marketing&sort=email&columns=email&per_page=25")
    params = parse_qs(urlsplit(response.context["next_url"]).query)
    assert params["status"] == ["marketing"] and params["sort"] == ["email"] and params["per_page"] == ["25"]
    assert params["columns"] == ["name", "email"]
    assert "@" not in params["cursor"][0]  # the email it continues from is not in plain sight


def tampered(cursor: str) -> str:
    position = len(cursor) // 2
    return cursor[:position] + ("A" if cursor[position] != "A" else "B") + cursor[position + 1 :]


def test_a_tampered_or_foreign_cursor_is_refused_with_400(signed_in, many):
    cursor = parse_qs(urlsplit(signed_in.get(f"{INDEX}?per_page=20").context["next_url"]).query)["cursor"][0]
    for url in [
        f"{INDEX}?per_page=20&cursor={quote(tampered(cursor))}",
        f"{INDEX}?per_page=20&sort=name&cursor={quote(cursor)}",  # a cursor of another sort
        f"{INDEX}?cursor=not-a-cursor",
        f"{INDEX}?cursor=eyJzIjoiLWNyZWF0ZWQiLCJ2IjpbMV0sImlkIjoxLCJiIjpmYWxzZX0",  # unsigned JSON
    ]:
        response = signed_in.get(url)
        assert response.status_code == 400, url
        assert "This page link is not valid" in response.content.decode()
        assert response.context["page"] is None


def test_a_cursor_with_values_of_the_wrong_type_is_refused():
    from django.core import signing

    token = signing.dumps({"s": "-created", "v": [12], "id": 3, "b": False}, salt=selectors.CURSOR_SALT)
    with pytest.raises(selectors.InvalidCursor):
        selectors.cursor_decode(token, sort=Sort("created", descending=True))


# --- The total ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "label"),
    [
        (Total(1), "1 contact"),
        (Total(0), "0 contacts"),
        (Total(1_234_567), "1,234,567 contacts"),
        (Total(1_234_567, exact=False), "about 1,200,000 contacts"),
        (Total(98_765, exact=False), "about 99,000 contacts"),
        (Total(10_000, exact=False, more_than=True), "more than 10,000 contacts"),
    ],
)
def test_the_total_says_whether_it_is_exact(total, label):
    assert total.label == label


def test_above_the_exact_limit_the_total_is_an_estimate(signed_in, many, monkeypatch):
    """Above EXACT_COUNT_LIMIT the total is estimated from a sample of ids; a sample larger than the id range
    (130 ids) covers every id, so the estimate is exact, which makes it checkable."""
    monkeypatch.setattr(selectors, "EXACT_COUNT_LIMIT", 20)
    monkeypatch.setattr(selectors, "ESTIMATE_SAMPLE", 1000)
    with CaptureQueriesContext(connection) as queries:
        unfiltered = signed_in.get(f"{INDEX}?per_page=10").context["page"].total
    filtered = signed_in.get(signed_in.get(f"{INDEX}?status=marketing&per_page=10").context["next_url"])
    assert (unfiltered, filtered.context["page"].total) == (Total(130, exact=False), Total(85, exact=False))
    assert filtered.context["page"].total.label == "about 85 contacts"
    assert len(queries) <= 6


@pytest.mark.parametrize(
    ("totals", "expected"),
    [
        ([20, None], Total(20)),  # within the limit: no estimate was made
        ([21, 5_000], Total(5_000, exact=False)),
        ([21, 3], Total(20, exact=False, more_than=True)),  # a sample that fell short of what was counted
    ],
)
def test_the_total_from_the_count_and_the_estimate(monkeypatch, totals, expected):
    monkeypatch.setattr(selectors, "EXACT_COUNT_LIMIT", 20)
    assert selectors._total(totals) == expected


def test_a_full_first_page_or_any_later_page_still_counts_exactly(signed_in, many):
    first = signed_in.get(f"{INDEX}?per_page=200").context["page"]
    later = signed_in.get(signed_in.get(f"{INDEX}?per_page=100").context["next_url"]).context["page"]
    assert first.total == later.total == Total(130)


# --- Saved views --------------------------------------------------------------------------------


def save(client, name="Marketing leads", query="status=marketing&lifecycle_stage=customer", sort="name", columns=()):
    return client.post(
        "/contacts/views/", {"name": name, "query": query, "sort": sort, "columns": list(columns or ["email"])}
    )


def test_save_a_view_then_open_it(signed_in, marketer, many):
    response = save(signed_in, columns=["email", "status"])
    view = SavedView.objects.get()
    assert (view.owner, view.name, view.query, view.sort, view.columns) == (
        marketer,
        "Marketing leads",
        "status=marketing&lifecycle_stage=customer",
        "name",
        ["email", "status"],
    )
    assert response.status_code == 302 and response["Location"] == f"/contacts/views/{view.pk}/"
    opened = signed_in.get(response["Location"])
    params = parse_qs(urlsplit(opened["Location"]).query)
    assert params == {
        "status": ["marketing"],
        "lifecycle_stage": ["customer"],
        "sort": ["name"],
        "columns": ["name", "email", "status"],
        "view": [str(view.pk)],
    }
    page = signed_in.get(opened["Location"])
    customers = [row for row in many if row["marketable_status"] and row["lifecycle_stage"] == "customer"]
    assert ids_of(page) == expected_order(customers, "name")[:50]
    assert page.context["active_view"].pk == view.pk
    assert page.context["state"].columns == ("name", "email", "status")


def test_saved_views_are_listed_as_tabs_for_their_owner_only(signed_in, many):
    other = UserFactory()
    SavedView.objects.create(owner=other, name="Someone else's view")
    save(signed_in, name="Customers")
    save(signed_in, name="all", query="")
    html = signed_in.get(INDEX).content.decode()
    assert [option.name for option in signed_in.get(INDEX).context["menus"].saved_views] == ["all", "Customers"]
    assert ">Customers</a>" in html
    assert "Someone else" not in html


@pytest.mark.parametrize(
    ("method", "suffix", "data"), [("get", "", {}), ("post", "rename/", {"name": "Mine"}), ("post", "delete/", {})]
)
def test_another_users_view_is_not_found(signed_in, subscription, method, suffix, data):
    theirs = SavedView.objects.create(owner=UserFactory(), name="Theirs", query="status=marketing")
    response = getattr(signed_in, method)(f"/contacts/views/{theirs.pk}/{suffix}", data)
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"


def test_rename_and_delete_own_view(signed_in, many):
    save(signed_in, name="Old name")
    view = SavedView.objects.get()
    response = signed_in.post(f"/contacts/views/{view.pk}/rename/", {"name": "  New   name "})
    assert response["Location"] == f"/contacts/views/{view.pk}/"
    view.refresh_from_db()
    assert view.name == "New name"
    response = signed_in.post(f"/contacts/views/{view.pk}/delete/")
    assert response["Location"] == INDEX
    assert not SavedView.objects.exists()


def test_a_view_name_is_unique_per_user(signed_in, marketer, many):
    save(signed_in, name="Leads")
    save(signed_in, name="Customers")
    response = save(signed_in, name="Leads", query="")
    assert SavedView.objects.count() == 2
    assert "already have a view named" in signed_in.get(response["Location"]).content.decode()
    customers = SavedView.objects.get(name="Customers")
    signed_in.post(f"/contacts/views/{customers.pk}/rename/", {"name": "Leads"})
    customers.refresh_from_db()
    assert customers.name == "Customers"
    SavedView.objects.create(owner=UserFactory(), name="Theirs")
    save(signed_in, name="Theirs")  # another user's name is free
    assert SavedView.objects.filter(owner=marketer, name="Theirs").exists()


@pytest.mark.parametrize(
    ("name", "query", "sort", "columns"),
    [
        ("", "status=marketing", "name", ["email"]),
        ("x" * 101, "", "", ["email"]),
        ("Bad filter", "status=bogus", "", ["email"]),
        ("Bad sort", "", "password", ["email"]),
        ("Bad columns", "", "", ["password"]),
    ],
)
def test_an_invalid_view_is_not_saved(signed_in, many, name, query, sort, columns):
    response = save(signed_in, name=name, query=query, sort=sort, columns=columns)
    assert response.status_code == 302
    assert not SavedView.objects.exists()


# --- Queries ------------------------------------------------------------------------------------


@pytest.fixture
def hundreds(subscription, marketer_actor):
    with at("2025-05-01"):
        make(marketer_actor, 70, lifecycle_stage="lead")
    with at("2025-07-01"):
        make(marketer_actor, 60, lifecycle_stage="lead", marketing=True)
    contact_list = ContactList.objects.create(name="Big list")
    from contacts.models import Contact

    contact_list_add(
        contact_list=contact_list, contacts=list(Contact.objects.values_list("pk", flat=True)), actor=marketer_actor
    )
    for name in ("One", "Two"):
        ContactList.objects.create(name=name)
    return contact_list


@pytest.mark.parametrize(
    "query",
    [
        "",
        "status=non_marketing&lifecycle_stage=lead&hard_bounced=false",
        "q=contact&sort=email&columns=email&columns=status",
        "list={list}&sort=name",
        "created_after=2025-01-01&unsubscribed=false&sort=-lifecycle_stage",
    ],
)
def test_the_index_takes_at_most_six_queries(signed_in, marketer, hundreds, django_assert_max_num_queries, query):
    """Session, user, the user's permissions (two: the bulk actions' include checks them), the saved
    views and lists (one), the rows with their count (one): the same on every page, however many rows."""
    SavedView.objects.create(owner=marketer, name="Mine")
    url = f"{INDEX}?{query.format(list=hundreds.pk)}&per_page=50"
    with django_assert_max_num_queries(6):
        first = signed_in.get(url)
    assert len(first.context["page"].rows) == 50
    with django_assert_max_num_queries(6):
        second = signed_in.get(first.context["next_url"])
    assert second.status_code == 200 and second.context["page"].rows
    assert second.context["page"].total.exact


def test_the_queries_do_not_grow_with_the_page(signed_in, hundreds):
    with CaptureQueriesContext(connection) as small:
        signed_in.get(f"{INDEX}?per_page=5")
    with CaptureQueriesContext(connection) as large:
        signed_in.get(f"{INDEX}?per_page=200")
    assert len(small) == len(large)


def test_a_superuser_needs_no_permission_queries(client, hundreds, django_assert_max_num_queries):
    user = UserFactory(is_superuser=True)
    client.force_login(user)
    assert not Permission.objects.filter(user=user).exists()
    with django_assert_max_num_queries(4):
        assert client.get(INDEX).status_code == 200
