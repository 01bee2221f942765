"""R4, R9, R10, R12, R13: the status an import gives each contact, table-driven over the import kinds, the
"Set all contacts as marketing contacts" checkbox and what the email already belongs to.

Each case imports one row whose email is "ada@example.com" (written " ADA@Example.com " in the file, so it
matches once normalised) into an account where that email belongs to nobody, or to a marketing, non-marketing
or pending contact made by hand. The contact is created or updated, never duplicated; blank cells leave
stored values alone.
"""

import pytest

from companies.models import Company, CompanyContact
from contacts.models import Contact
from imports.models import Import
from marketing_status.models import MarketingStatusChange
from tests.conftest import FROZEN_START
from tests.factories import contacts_make
from tests.imports.conftest import run_import

pytestmark = pytest.mark.django_db

EMAIL = "ada@example.com"
IN_FILE = " ADA@Example.com "
SINGLE, MULTI_OBJECT, MULTI_FILE = Import.Kind.SINGLE, Import.Kind.MULTI_OBJECT, Import.Kind.MULTI_FILE
NEW, MARKETING, NON_MARKETING, PENDING = "new", "marketing", "non-marketing", "pending"

# (kind, checkbox, the email's contact before) → (status, pending, reason type, reason id, history rows added)
# "import": the import's id; "own": the reason the contact had (USER_SET by the user who made it).
CASES = {
    (SINGLE, False, NEW): (False, False, "CONTACT_IMPORT", "import", 1),  # R4: non-marketing by default
    (SINGLE, False, MARKETING): (True, False, "USER_SET", "own", 0),  # R4: existing contacts keep their status
    (SINGLE, False, NON_MARKETING): (False, False, "USER_SET", "own", 0),
    (SINGLE, False, PENDING): (True, True, "USER_SET", "own", 0),
    (SINGLE, True, NEW): (True, False, "CONTACT_IMPORT", "import", 1),  # R4: the checkbox creates marketing
    (SINGLE, True, MARKETING): (True, False, "USER_SET", "own", 0),  # R13: already marketing, nothing changes
    (SINGLE, True, NON_MARKETING): (True, False, "CONTACT_IMPORT", "import", 1),  # R10: set as marketing now
    (SINGLE, True, PENDING): (True, False, "CONTACT_IMPORT", "import", 1),  # R12: the pending switch is cancelled
    (MULTI_OBJECT, False, NEW): (False, False, "CONTACT_IMPORT", "import", 1),  # R4, R9: always non-marketing
    (MULTI_OBJECT, False, MARKETING): (True, False, "USER_SET", "own", 0),
    (MULTI_OBJECT, False, NON_MARKETING): (False, False, "USER_SET", "own", 0),
    (MULTI_OBJECT, False, PENDING): (True, True, "USER_SET", "own", 0),
    (MULTI_FILE, False, NEW): (False, False, "CONTACT_IMPORT", "import", 1),  # R4, R9: always non-marketing
    (MULTI_FILE, False, MARKETING): (True, False, "USER_SET", "own", 0),
    (MULTI_FILE, False, NON_MARKETING): (False, False, "USER_SET", "own", 0),
    (MULTI_FILE, False, PENDING): (True, True, "USER_SET", "own", 0),
}


def _existing(before: str, actor) -> Contact | None:
    if before == NEW:
        return None
    (contact,) = contacts_make(
        count=1, actor=actor, marketing=before == MARKETING, pending=before == PENDING, last_name="Lovelace"
    )
    Contact.objects.filter(pk=contact.pk).update(email=EMAIL, first_name="Old")
    return contact


def _files(kind: str) -> dict:
    if kind == SINGLE:
        return {"contacts": [["Email", "First Name", "Last Name"], [IN_FILE, "Ada", ""]]}
    if kind == MULTI_OBJECT:
        return {
            "contacts": [
                ["Email", "First Name", "Last Name", "Company name", "Company Domain Name"],
                [IN_FILE, "Ada", "", "Analytical Engines", "https://www.engines.example/"],
            ]
        }
    return {
        "contacts": [
            ["Email", "First Name", "Last Name", "Company Domain Name"],
            [IN_FILE, "Ada", "", "engines.example"],
        ],
        "companies": [["Company name", "Company Domain Name"], ["Analytical Engines", "engines.example"]],
    }


@pytest.mark.parametrize(("kind", "marketing", "before"), list(CASES), ids=["-".join(map(str, case)) for case in CASES])
def test_r4_r9_r10_r12_status_of_each_contact_an_import_creates_or_updates(
    frozen_subscription, importer, importer_actor, marketer_actor, history_of, kind, marketing, before
):
    status, pending, reason_type, reason_id, added = CASES[kind, marketing, before]
    existing = _existing(before, marketer_actor)
    history_before = history_of(existing) if existing else []

    imp = run_import(actor=importer_actor, kind=kind, marketing=marketing, **_files(kind))

    assert (imp.state, imp.rows, imp.errors) == (Import.State.DONE, 2 if kind == MULTI_FILE else 1, 0)
    assert (imp.created, imp.updated) == ((1, 0) if before == NEW else (0, 1))
    (contact,) = Contact.objects.filter(email=EMAIL)  # updated, not duplicated
    expected_reason_id = str(imp.pk) if reason_id == "import" else str(marketer_actor.user.pk)
    assert (
        contact.marketable_status,
        contact.marketable_until_renewal,
        contact.marketable_reason_type,
        contact.marketable_reason_id,
    ) == (status, pending, reason_type, expected_reason_id)
    assert contact.first_name == "Ada"
    assert contact.last_name == ("" if before == NEW else "Lovelace")  # a blank cell leaves the stored value
    tool = "IMPORT" if kind == SINGLE else "MULTI_IMPORT"
    assert (contact.creation_tool, contact.creation_source_id) == (
        (tool, str(imp.pk)) if before == NEW else ("MANUAL", str(marketer_actor.user.pk))
    )
    history = history_of(contact)
    assert history[: len(history_before)] == history_before
    assert len(history) == len(history_before) + added
    if added:
        old = (None, False) if before == NEW else (before != NON_MARKETING, before == PENDING)
        assert history[-1] == {
            "changed_at": FROZEN_START,
            "old_status": old[0],
            "new_status": status,
            "old_until_renewal": old[1],
            "new_until_renewal": False,
            "reason_type": "CONTACT_IMPORT",
            "reason_id": str(imp.pk),
            "actor_type": "IMPORT",
            "actor_id": str(imp.pk),
            "actor_user": importer.pk,
        }
    if kind != SINGLE:
        company = Company.objects.get()
        assert (company.name, company.domain) == ("Analytical Engines", "engines.example")
        assert list(CompanyContact.objects.values_list("company", "contact")) == [(company.pk, contact.pk)]
        assert (imp.companies_created, imp.associations) == (1, 1)


def test_r4_a_marketing_import_of_many_contacts_counts_and_records_each_once(subscription, importer_actor):
    rows = [["Email", "First Name"]] + [[f"person{n}@example.com", f"P{n}"] for n in range(30)]
    imp = run_import(actor=importer_actor, contacts=rows, marketing=True, chunk_rows=7)

    assert (imp.rows, imp.created, imp.updated, imp.errors) == (30, 30, 0, 0)
    assert Contact.objects.filter(marketable_status=True, marketable_reason_id=str(imp.pk)).count() == 30
    assert MarketingStatusChange.objects.filter(actor_type="IMPORT", actor_id=str(imp.pk)).count() == 30


def test_r4_updates_only_mapped_columns_and_converts_labels(subscription, importer_actor, marketer_actor):
    (contact,) = contacts_make(count=1, actor=marketer_actor, phone="+1 555 0100", company="Old Co")
    rows = [
        ["Email", "Company Name", "Phone Number", "Lifecycle Stage", "Notes"],
        [contact.email.upper(), "New Co", "", "Marketing qualified lead", "not imported"],
    ]
    imp = run_import(
        actor=importer_actor,
        contacts=rows,
        mapping={"contacts": ["contact.email", "contact.company", "contact.phone", "contact.lifecycle_stage", ""]},
    )

    contact.refresh_from_db()
    assert (imp.updated, imp.errors) == (1, 0)
    assert (contact.company, contact.phone, contact.lifecycle_stage) == (
        "New Co",
        "+1 555 0100",
        "marketingqualifiedlead",
    )


def test_r4_archived_contacts_are_not_matched(subscription, importer_actor, marketer_actor):
    from contacts.services import contacts_archive

    (old,) = contacts_make(count=1, actor=marketer_actor)
    contacts_archive(contacts=[old.pk], actor=marketer_actor)
    imp = run_import(actor=importer_actor, contacts=[["Email"], [old.email]])

    assert (imp.created, imp.updated) == (1, 0)
    assert Contact.objects.filter(email=old.email).count() == 2
    assert Contact.objects.get(email=old.email, archived_at__isnull=True).creation_tool == "IMPORT"


def test_r1_before_marketing_contacts_are_enabled_imported_contacts_have_no_status(db, importer_actor, history_of):
    imp = run_import(actor=importer_actor, contacts=[["Email"], ["ada@example.com"]], marketing=True)

    contact = Contact.objects.get()
    assert (imp.state, imp.created) == (Import.State.DONE, 1)
    assert (contact.marketable_status, contact.marketable_reason_type, contact.marketable_reason_id) == (None, "", "")
    assert history_of(contact) == []


def test_r9_multi_object_rows_share_companies_by_domain_then_name(subscription, importer_actor):
    rows = [
        ["Email", "Company name", "Company Domain Name"],
        ["a@example.com", "Acme", "acme.example"],
        ["b@example.com", "Acme Inc.", "http://www.ACME.example/about"],  # same domain: one company, renamed
        ["c@example.com", "Initech", ""],
        ["d@example.com", "initech", ""],  # same name, case aside
        ["e@example.com", "", ""],  # no company
    ]
    imp = run_import(actor=importer_actor, contacts=rows, kind=MULTI_OBJECT)

    companies = {company.domain or company.name: company for company in Company.objects.all()}
    assert {key: company.name for key, company in companies.items()} == {
        "acme.example": "Acme Inc.",
        "Initech": "Initech",
    }
    assert (imp.created, imp.companies_created, imp.associations) == (5, 2, 4)
    members = dict(CompanyContact.objects.values_list("contact__email", "company__name"))
    assert members == {
        "a@example.com": "Acme Inc.",
        "b@example.com": "Acme Inc.",
        "c@example.com": "Initech",
        "d@example.com": "Initech",
    }
    assert set(Contact.objects.values_list("marketable_status", "creation_tool")) == {(False, "MULTI_IMPORT")}


def test_r9_multi_file_joins_contacts_to_companies_by_the_common_column(subscription, importer_actor):
    companies = [["Name", "Company Domain Name"], ["Acme", "acme.example"], ["Globex", "globex.example"]]
    contacts = [
        ["Email", "Company Domain Name"],
        ["a@example.com", "acme.example"],
        ["b@example.com", "GLOBEX.example"],
        ["c@example.com", "hooli.example"],  # not in the companies file: created from the contact's row
    ]
    imp = run_import(actor=importer_actor, contacts=contacts, companies=companies, kind=MULTI_FILE)

    assert (imp.rows, imp.created, imp.companies_created, imp.associations, imp.errors) == (5, 3, 3, 3, 0)
    members = dict(CompanyContact.objects.values_list("contact__email", "company__domain"))
    assert members == {
        "a@example.com": "acme.example",
        "b@example.com": "globex.example",
        "c@example.com": "hooli.example",
    }
    assert Company.objects.get(domain="acme.example").name == "Acme"
