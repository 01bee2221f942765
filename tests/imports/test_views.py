"""The import pages: permissions, upload, mapping with R4's checkbox (R30: disabled and refused without access),
B4's confirm step, the progress page and its status, and the query counts of the list."""

import re
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from contacts.models import Contact
from imports.models import Import
from imports.services import MAX_COLUMNS, import_create, import_run
from tests.capture.helpers import rule_ids_shown
from tests.factories import UserFactory, contacts_make
from tests.imports.conftest import csv_bytes, upload

pytestmark = pytest.mark.django_db

ROWS = [["Email", "First Name", "Shoe size"], ["ada@example.com", "Ada", "38"], ["bob@example.com", "Bob", "44"]]
PAGES = ["/contacts-imports/", "/contacts-imports/new/"]


def _upload(client, *, kind="single", contacts=ROWS, companies=None):
    data = {"kind": kind, "contacts_file": upload(csv_bytes(contacts), "people.csv")}
    if companies is not None:
        data["companies_file"] = upload(csv_bytes(companies), "firms.csv")
    return client.post("/contacts-imports/new/", data)


def _map_url(client, **options) -> str:
    response = _upload(client, **options)
    assert response.status_code == 302, response.content.decode()
    return response["Location"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_need_sign_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("url", PAGES)
def test_pages_need_the_import_permission(client, marketer, url):
    client.force_login(marketer)

    assert client.get(url).status_code == 403


def test_the_contacts_index_links_to_imports(client, subscription, importer):
    client.force_login(importer)

    page = client.get("/contacts/").content.decode()

    assert '<a class="button" id="import-contacts" href="/contacts-imports/">Import</a>' in page


def test_upload_then_map_shows_guessed_columns_and_samples(client, subscription, importer):
    client.force_login(importer)
    url = _map_url(client)
    imp = Import.objects.get()
    assert url == f"/contacts-imports/{imp.pk}/map/"

    page = client.get(url).content.decode()

    assert '<option value="contact.email" selected>Email</option>' in page
    assert '<option value="contact.first_name" selected>First Name</option>' in page
    assert "ada@example.com, bob@example.com" in page
    assert 'name="marketing" value="1" id="id_marketing">' in page  # offered, unchecked, enabled (R4)
    assert imp.state == Import.State.DRAFT


def test_r30_without_marketing_contact_access_the_checkbox_is_disabled(client, subscription, sales_importer):
    client.force_login(sales_importer)
    page = client.get(_map_url(client)).content.decode()

    assert 'name="marketing" value="1" id="id_marketing" disabled>' in page
    assert "You need the Marketing contact access permission" in page


def test_r30_posting_the_checkbox_anyway_is_refused_and_nothing_changes(client, subscription, sales_importer, db_state):
    client.force_login(sales_importer)
    url = _map_url(client)
    before = db_state()

    response = client.post(url, {"map-0-0": "contact.email", "map-0-1": "contact.first_name", "marketing": "1"})

    assert response.status_code == 403
    assert "Marketing contact access" in response.content.decode()
    assert db_state() == before
    assert Import.objects.get().state == Import.State.DRAFT


@pytest.mark.parametrize("kind", ["multi_object", "multi_file"])
def test_r4_multi_imports_offer_no_checkbox(client, subscription, importer, kind):
    client.force_login(importer)
    rows = [["Email", "Company Domain Name"], ["ada@example.com", "acme.example"]]
    url = _map_url(client, kind=kind, contacts=rows, companies=[["Company Domain Name"], ["acme.example"]])

    page = client.get(url).content.decode()

    assert 'name="marketing"' not in page
    assert "always do" in page


def test_r4_start_with_the_checkbox_runs_the_job_and_shows_it_done(
    client, subscription, importer, django_capture_on_commit_callbacks
):
    client.force_login(importer)
    url = _map_url(client)
    imp = Import.objects.get()
    mapping = {"map-0-0": "contact.email", "map-0-1": "contact.first_name", "map-0-2": ""}

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url, {**mapping, "marketing": "1"})

    assert (response.status_code, response["Location"]) == (302, f"/contacts-imports/{imp.pk}/")
    assert len(callbacks) == 1
    imp.refresh_from_db()
    assert (imp.state, imp.marketing, imp.created) == (Import.State.DONE, True, 2)
    assert set(Contact.objects.values_list("email", "marketable_status", "marketable_reason_id")) == {
        ("ada@example.com", True, str(imp.pk)),
        ("bob@example.com", True, str(imp.pk)),
    }
    page = client.get(response["Location"]).content.decode()
    assert 'aria-valuenow="100"' in page
    assert "Set all contacts as marketing contacts" in page
    assert "None: every row was imported." in page
    status = client.get(f"/contacts-imports/{imp.pk}/status/").json()
    assert {key: status[key] for key in ("state", "finished", "percent", "rows", "created", "updated", "errors")} == {
        "state": "done",
        "finished": True,
        "percent": 100,
        "rows": 2,
        "created": 2,
        "updated": 0,
        "errors": 0,
    }
    assert client.get(url)["Location"] == f"/contacts-imports/{imp.pk}/"  # mapping is over


def test_r30_a_failed_import_shows_why_without_rule_ids(client, subscription, importer, importer_actor):
    """The import page and its status read the failure's reason (R30) in words, naming no rule."""
    files = {"contacts": upload(csv_bytes(ROWS))}
    imp = import_create(files=files, kind="single", actor=importer_actor, marketing=True)
    importer.user_permissions.remove(Permission.objects.get(codename="marketing_contact_access"))
    import_run(import_id=imp.pk)
    client.force_login(importer)

    page = client.get(f"/contacts-imports/{imp.pk}/").content.decode()
    status = client.get(f"/contacts-imports/{imp.pk}/status/").json()

    reason = (
        "The user who started this import no longer has Marketing contact access, which setting all contacts "
        "as marketing contacts needs."
    )
    assert f'<p class="msg error" data-import-field="error" >{reason}</p>' in page
    assert status["error"] == reason
    assert rule_ids_shown(page) == []
    assert Contact.objects.count() == 0


def test_mapping_errors_are_shown_and_the_choices_kept(client, subscription, importer):
    client.force_login(importer)
    url = _map_url(client)

    response = client.post(url, {"map-0-0": "", "map-0-1": "contact.last_name", "map-0-2": ""})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Map a column to Email: contacts are matched by their email." in page
    assert '<option value="contact.last_name" selected>Last Name</option>' in page
    assert Import.objects.get().state == Import.State.DRAFT


def test_b4_crossing_the_tier_shows_the_confirm_step(client, subscription, importer, marketer_actor):
    subscription.tier_guard_enabled = True
    subscription.save(update_fields=["tier_guard_enabled"])
    contacts_make(count=999, actor=marketer_actor, marketing=True)
    client.force_login(importer)
    url = _map_url(client)
    mapping = {"map-0-0": "contact.email", "map-0-1": "contact.first_name", "map-0-2": "", "marketing": "1"}

    response = client.post(url, mapping)

    assert response.status_code == 409
    page = response.content.decode()
    assert 'id="tier-confirm"' in page
    assert '<td data-impact="count_after">1,001</td>' in page
    assert 'name="marketing" value="1" id="id_marketing" checked>' in page
    assert Import.objects.get().state == Import.State.DRAFT

    confirmed = client.post(url, {**mapping, "confirm_tier_upgrade": "1"})

    assert confirmed.status_code == 302
    imp = Import.objects.get()
    assert (imp.state, imp.confirm_tier_upgrade) == (Import.State.QUEUED, True)


def test_upload_errors_are_shown(client, subscription, importer):
    client.force_login(importer)

    missing = client.post("/contacts-imports/new/", {"kind": "multi_file", "contacts_file": upload(b"Email\n")})
    wrong = client.post("/contacts-imports/new/", {"kind": "single", "contacts_file": upload(b"x", "people.xls")})

    assert "Choose the file of companies: this import has two files." in missing.content.decode()
    assert wrong.status_code == 400
    assert "people.xls: only CSV and XLSX files can be imported." in wrong.content.decode()
    assert not Import.objects.exists()


def test_a_draft_can_be_cancelled_by_its_uploader(client, subscription, importer, settings):
    client.force_login(importer)
    imp_url = _map_url(client)
    imp = Import.objects.get()

    response = client.post(f"/contacts-imports/{imp.pk}/cancel/")

    assert response.status_code == 302
    assert not Import.objects.exists()
    assert not any(path.is_file() for path in settings.MEDIA_ROOT.rglob("*"))
    assert client.get(imp_url).status_code == 404


def test_a_draft_is_not_visible_to_others(client, subscription, importer):
    client.force_login(importer)
    url = _map_url(client)
    other = UserFactory()
    other.user_permissions.add(Permission.objects.get(codename="add_import"))
    client.force_login(other)

    assert client.get(url).status_code == 404


def test_the_list_shows_imports_in_a_fixed_number_of_queries(
    client, subscription, importer, importer_actor, django_assert_max_num_queries
):
    from tests.imports.conftest import run_import

    for _ in range(3):
        run_import(actor=importer_actor, contacts=ROWS[:2])
    client.force_login(importer)

    with django_assert_max_num_queries(8):
        page = client.get("/contacts-imports/").content.decode()

    assert page.count('data-import="') == 3
    assert "contacts.csv" in page


def test_r4_an_upload_whose_rows_hold_a_nul_character_goes_on_to_mapping(client, subscription, importer):
    """It used to answer 500 on PostgreSQL (the preview rows are stored as JSON, which holds no NUL)."""
    client.force_login(importer)
    content = b"Email,First Name\nada@example.com,A\x00da\nbob@example.com,Bob\n"

    response = client.post("/contacts-imports/new/", {"kind": "single", "contacts_file": upload(content)})

    imp = Import.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/contacts-imports/{imp.pk}/map/")
    assert imp.files.get().sample == [["bob@example.com", "Bob"]]  # the row with the NUL is reported when it runs


def test_r4_a_header_holding_a_nul_character_is_refused_under_the_file_field(client, subscription, importer, settings):
    client.force_login(importer)
    content = b"Email,First\x00Name\nada@example.com,Ada\n"

    response = client.post("/contacts-imports/new/", {"kind": "single", "contacts_file": upload(content, "people.csv")})

    assert response.status_code == 400
    assert (
        '<span class="errors" data-error-for="contacts_file">people.csv: The header row cannot be read: The row holds '
        "a NUL character (a zero byte, shown as \\x00), which cannot be imported.</span>"
    ) in response.content.decode()
    assert not Import.objects.exists()
    assert not any(path.is_file() for path in settings.MEDIA_ROOT.rglob("*"))


# --- Columns: at most MAX_COLUMNS, and a file at the maximum can be mapped ---------------------------------


def _wide(columns: int, *, first: list[str]) -> bytes:
    """A file of `columns` columns, `first` named as given (Email, Company Domain Name), and one row."""
    header = first + [f"c{index}" for index in range(len(first), columns)]  # short: 10,000 of them fit in a row
    cells = {"Email": "ada@example.com", "Company Domain Name": "acme.example"}
    return csv_bytes([header, [cells.get(name, "") for name in header]])


def _fields_the_page_posts(page: str) -> dict[str, str]:
    """What a browser submits from the map form: the CSRF token and each column's select at its chosen option."""
    fields = {"csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)}
    for name, options in re.findall(r'<select name="(map-\d+-\d+)"[^>]*>(.*?)</select>', page, re.S):
        fields[name] = re.search(r'<option value="([^"]*)" selected>', options).group(1)
    return fields


@pytest.mark.parametrize(
    ("kind", "contacts_columns", "companies_columns"),
    [("single", MAX_COLUMNS, 0), ("multi_file", MAX_COLUMNS - 10, 10)],
    ids=["one-file", "two-files"],
)
def test_r4_an_import_of_the_most_columns_can_be_mapped_and_started(
    subscription, importer, settings, kind, contacts_columns, companies_columns
):
    """The map form posts one field per column; at the maximum, with every other field it has, Django takes it."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(importer)
    data = {"kind": kind, "contacts_file": upload(_wide(contacts_columns, first=["Email", "Company Domain Name"]))}
    if companies_columns:
        data["companies_file"] = upload(_wide(companies_columns, first=["Company Domain Name"]), "firms.csv")
    page = client.get("/contacts-imports/new/").content.decode()
    data["csrfmiddlewaretoken"] = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    url = client.post("/contacts-imports/new/", data)["Location"]
    fields = _fields_the_page_posts(client.get(url).content.decode())
    assert len(fields) == 1 + MAX_COLUMNS  # the token and one select per column of both files
    if kind == "single":
        fields.update(marketing="1", confirm_tier_upgrade="1")  # the most the form ever posts
    assert len(fields) <= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS

    response = client.post(url, urlencode(fields), content_type="application/x-www-form-urlencoded")

    imp = Import.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/contacts-imports/{imp.pk}/")
    assert [len(file.mapping) for file in imp.files.all()] == [
        count for count in (companies_columns, contacts_columns) if count
    ]
    assert (imp.state, imp.marketing) == (Import.State.QUEUED, kind == "single")


@pytest.mark.parametrize(
    ("kind", "contacts_columns", "companies_columns", "message"),
    [
        ("single", 10_000, 0, "people.csv has 10,000 columns; an import takes at most 990."),
        ("single", MAX_COLUMNS + 1, 0, "people.csv has 991 columns; an import takes at most 990."),
        (
            "multi_file",
            MAX_COLUMNS - 10,
            11,
            "firms.csv and people.csv have 991 columns together; an import takes at most 990.",
        ),
    ],
    ids=["ten-thousand", "one-too-many", "two-files-together"],
)
def test_r4_an_import_of_too_many_columns_is_refused_at_upload_under_the_file_field(
    client, subscription, importer, settings, db_state, kind, contacts_columns, companies_columns, message
):
    """It used to be taken, then its mapping answered a bare 400 (Django's DATA_UPLOAD_MAX_NUMBER_FIELDS)."""
    client.force_login(importer)
    before = db_state()
    data = {"kind": kind, "contacts_file": upload(_wide(contacts_columns, first=["Email"]), "people.csv")}
    if companies_columns:
        data["companies_file"] = upload(_wide(companies_columns, first=["Company Domain Name"]), "firms.csv")

    response = client.post("/contacts-imports/new/", data)

    assert response.status_code == 400
    assert f'<span class="errors" data-error-for="contacts_file">{message}</span>' in response.content.decode()
    assert (Import.objects.exists(), db_state()) == (False, before)
    assert not any(path.is_file() for path in settings.MEDIA_ROOT.rglob("*"))
