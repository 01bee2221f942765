"""R30 and R4's refusals: each changes nothing (no contact, no status, no history, no import, no file kept)."""

import pytest
from django.contrib.auth.models import Permission

from contacts.models import Contact
from imports.models import Import, ImportFile
from imports.services import ImportInvalid, import_create, import_run, import_start, import_upload
from marketing_status.actors import Actor, MarketingStatusPermissionDenied
from marketing_status.services import TierGuardRefused
from tests.factories import contacts_make
from tests.imports.conftest import csv_bytes, upload

pytestmark = pytest.mark.django_db

ROWS = [["Email", "First Name"], ["ada@example.com", "Ada"]]


def _files(**extra):
    return {"contacts": upload(csv_bytes(ROWS)), **extra}


def _nothing_kept(settings) -> bool:
    media = settings.MEDIA_ROOT
    return not Import.objects.exists() and not (media.exists() and any(path.is_file() for path in media.rglob("*")))


def test_r30_marketing_import_without_marketing_contact_access_is_refused(
    subscription, sales_importer, db_state, settings
):
    before = db_state()

    with pytest.raises(MarketingStatusPermissionDenied, match="Marketing contact access"):
        import_create(files=_files(), kind="single", actor=Actor.for_user(sales_importer), marketing=True)

    assert db_state() == before
    assert _nothing_kept(settings)


def test_r30_the_same_user_may_import_non_marketing_contacts(subscription, sales_importer):
    imp = import_create(files=_files(), kind="single", actor=Actor.for_user(sales_importer))

    assert import_run(import_id=imp.pk).created == 1


def test_importing_needs_the_import_permission(subscription, marketer, db_state, settings):
    before = db_state()

    with pytest.raises(MarketingStatusPermissionDenied, match="permission to import"):
        import_create(files=_files(), kind="single", actor=Actor.for_user(marketer))

    assert db_state() == before
    assert _nothing_kept(settings)


@pytest.mark.parametrize("kind", ["multi_object", "multi_file"])
def test_r4_multi_object_and_multi_file_imports_refuse_the_marketing_checkbox(
    subscription, importer_actor, db_state, settings, kind
):
    files = {
        "contacts": upload(csv_bytes([["Email", "Company Domain Name"], ["ada@example.com", "acme.example"]])),
        "companies": upload(csv_bytes([["Company Domain Name"], ["acme.example"]])),
    }
    before = db_state()

    refusal = r"^Imports of several objects or files always create non-marketing contacts\.$"
    with pytest.raises(ImportInvalid, match=refusal):
        import_create(files=files, kind=kind, actor=importer_actor, marketing=True)

    assert db_state() == before
    assert _nothing_kept(settings)


def test_r30_a_permission_removed_before_the_job_runs_fails_the_import_and_changes_nothing(
    subscription, importer, importer_actor, db_state
):
    imp = import_create(files=_files(), kind="single", actor=importer_actor, marketing=True)
    importer.user_permissions.remove(Permission.objects.get(codename="marketing_contact_access"))
    before = db_state()

    failed = import_run(import_id=imp.pk)

    assert failed.state == Import.State.FAILED
    assert "no longer has Marketing contact access" in failed.error
    assert (failed.rows, failed.created) == (0, 0)
    assert db_state() == before


def test_a_draft_is_started_only_by_its_uploader(subscription, importer_actor, sales_importer):
    draft = import_upload(files=_files(), kind="single", actor=importer_actor)

    with pytest.raises(ImportInvalid, match="already been started, or does not exist"):
        import_start(import_id=draft.pk, actor=Actor.for_user(sales_importer))

    draft.refresh_from_db()
    assert draft.state == Import.State.DRAFT


def test_a_started_import_cannot_be_started_again(subscription, importer_actor):
    imp = import_create(files=_files(), kind="single", actor=importer_actor)

    with pytest.raises(ImportInvalid):
        import_start(import_id=imp.pk, actor=importer_actor, marketing=True)

    imp.refresh_from_db()
    assert (imp.state, imp.marketing) == (Import.State.QUEUED, False)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "contacts.csv", "contacts.csv is empty."),
        (b"\n\n", "contacts.csv", "the first row must name the columns."),
        (b"Email\xff,Name\nada@example.com,Ada\n", "contacts.csv", "The header row cannot be read"),
        (b"not a spreadsheet", "contacts.xls", "only CSV and XLSX files can be imported."),
        (b"PK\x03\x04broken", "contacts.xlsx", "not a readable XLSX workbook"),
    ],
    ids=["empty", "no-header", "header-not-utf8", "xls", "broken-xlsx"],
)
def test_unreadable_files_are_refused_and_not_kept(subscription, importer_actor, settings, content, name, message):
    with pytest.raises(ImportInvalid, match=message.replace("(", r"\(")):
        import_upload(files={"contacts": upload(content, name)}, kind="single", actor=importer_actor)

    assert _nothing_kept(settings)


def test_a_file_above_the_size_limit_is_refused(subscription, importer_actor, settings):
    settings.CRM_IMPORT_MAX_BYTES = 10

    with pytest.raises(ImportInvalid, match="larger than"):
        import_upload(files=_files(), kind="single", actor=importer_actor)

    assert _nothing_kept(settings)


def test_r4_mapping_errors_refuse_the_start(subscription, importer_actor):
    draft = import_upload(files=_files(), kind="single", actor=importer_actor)

    with pytest.raises(ImportInvalid) as refusal:
        import_start(
            import_id=draft.pk, actor=importer_actor, mapping={"contacts": ["contact.first_name", "contact.first_name"]}
        )

    assert refusal.value.errors == {
        "contacts": [
            "First Name is mapped to more than one column.",
            "Map a column to Email: contacts are matched by their email.",
        ]
    }
    assert ImportFile.objects.get().mapping == ["contact.email", "contact.first_name"]  # the guess, unchanged


def test_r4_multi_file_needs_the_common_column_in_both_files(subscription, importer_actor):
    files = {
        "contacts": upload(csv_bytes([["Email", "Company name"], ["ada@example.com", "Acme"]])),
        "companies": upload(csv_bytes([["Company Domain Name"], ["acme.example"]])),
    }
    with pytest.raises(ImportInvalid) as refusal:
        import_create(files=files, kind="multi_file", actor=importer_actor)

    assert list(refusal.value.errors) == [""]
    assert "Map the common column in both files" in refusal.value.errors[""][0]


# --- B4 ------------------------------------------------------------------------------------------------


@pytest.fixture
def guarded(subscription, marketer_actor):
    """The tier guard on, with 999 of the tier's 1,000 marketing contacts used."""
    subscription.tier_guard_enabled = True
    subscription.save(update_fields=["tier_guard_enabled"])
    contacts_make(count=999, actor=marketer_actor, marketing=True)
    return subscription


def test_b4_a_marketing_import_that_could_cross_the_tier_asks_for_confirmation(guarded, importer_actor, db_state):
    rows = [["Email"], ["a@example.com"], ["b@example.com"]]
    draft = import_upload(files={"contacts": upload(csv_bytes(rows))}, kind="single", actor=importer_actor)
    before = db_state()

    with pytest.raises(TierGuardRefused) as refusal:
        import_start(import_id=draft.pk, actor=importer_actor, marketing=True)

    assert (refusal.value.impact.becoming_marketing, refusal.value.impact.count_after) == (2, 1001)
    assert db_state() == before
    draft.refresh_from_db()
    assert draft.state == Import.State.DRAFT

    confirmed = import_run(
        import_id=import_start(import_id=draft.pk, actor=importer_actor, marketing=True, confirm_tier_upgrade=True).pk
    )
    assert (confirmed.created, confirmed.held) == (2, 0)
    guarded.refresh_from_db()
    assert guarded.contact_tier_limit == 2000  # R24: the confirmed upgrade happened, once, at the end


def test_b4_an_import_within_the_tier_needs_no_confirmation(guarded, importer_actor):
    imp = import_create(
        files={"contacts": upload(csv_bytes([["Email"], ["a@example.com"]]))},
        kind="single",
        actor=importer_actor,
        marketing=True,
    )

    assert import_run(import_id=imp.pk).created == 1


def test_b4_a_count_grown_since_the_start_keeps_the_chunk_non_marketing(guarded, importer_actor, marketer_actor):
    imp = import_create(
        files={"contacts": upload(csv_bytes([["Email"], ["a@example.com"]]))},
        kind="single",
        actor=importer_actor,
        marketing=True,
    )
    contacts_make(count=1, actor=marketer_actor, marketing=True)  # the tier is now full

    done = import_run(import_id=imp.pk)

    assert (done.created, done.held) == (1, 1)
    contact = Contact.objects.get(email="a@example.com")
    assert (contact.marketable_status, contact.marketable_reason_type) == (False, "CONTACT_IMPORT")
    guarded.refresh_from_db()
    assert guarded.contact_tier_limit == 1000  # not upgraded silently
