"""In a real browser: upload a CSV, map its columns, tick "Set all contacts as marketing contacts" (R4), start,
and see the progress page reach done, the rows not imported, and the contacts marketing in the index; and a
queued import's progress bar polled to 100% as the job runs."""

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from contacts.models import Contact
from imports.models import Import
from imports.services import import_run
from imports.tasks import import_run_task
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

CSV = (
    "Email,First Name,Last Name,Favourite colour\n"
    "ada@example.com,Ada,Lovelace,green\n"
    "grace@example.com,Grace,Hopper,blue\n"
    "not-an-email,Bad,Row,red\n"
)
SLOW = 15_000  # ms: the import page polls once a second


@pytest.fixture
def importer(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    user = UserFactory()
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["marketing_contact_access", "add_contact", "change_contact", "add_import"]
        )
    )
    return user


def _upload_and_map(page, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(CSV)
    page.goto("/contacts/")
    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_role("link", name="Start an import").click()
    expect(page.get_by_label("One file, one object (contacts)")).to_be_checked()
    expect(page.get_by_label("File of companies")).to_be_hidden()  # only for two files
    page.get_by_label("File of contacts").set_input_files(str(path))
    page.get_by_role("button", name="Next: map columns").click()
    page.wait_for_url("**/map/")
    expect(page.get_by_label("Email", exact=True)).to_have_value("contact.email")
    expect(page.get_by_label("First Name")).to_have_value("contact.first_name")
    expect(page.get_by_label("Favourite colour")).to_have_value("")


def test_r4_import_with_the_marketing_checkbox_from_upload_to_done(
    page, sign_in, screenshot, subscription, importer, tmp_path
):
    sign_in(importer)
    _upload_and_map(page, tmp_path)
    checkbox = page.get_by_label("Set all contacts as marketing contacts")
    expect(checkbox).not_to_be_checked()
    expect(checkbox).to_be_enabled()
    checkbox.check()
    screenshot("import-map")
    page.get_by_role("button", name="Start import").click()

    imp = Import.objects.get()
    page.wait_for_url(f"**/contacts-imports/{imp.pk}/")
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator('[data-import-field="state_label"]')).to_have_text("Done")
    expect(page.locator('[data-import-field="created"]')).to_have_text("2")
    expect(page.locator('[data-import-field="errors"]')).to_have_text("1")
    errors = page.locator(".errors-of-file")
    expect(errors.locator("td").first).to_have_text("4")
    expect(errors).to_contain_text("Email: 'not-an-email' is not a valid email address.")
    expect(errors.get_by_role("link", name="Download the error file")).to_have_attribute(
        "href", f"/contacts-imports/{imp.pk}/errors/0.csv"
    )
    screenshot("import-done")

    page.goto("/contacts/")
    expect(page.locator("#contacts")).to_contain_text("ada@example.com")
    expect(page.locator("#contacts")).to_contain_text("grace@example.com")
    assert set(
        Contact.objects.values_list("email", "marketable_status", "marketable_reason_type", "marketable_reason_id")
    ) == {
        ("ada@example.com", True, "CONTACT_IMPORT", str(imp.pk)),
        ("grace@example.com", True, "CONTACT_IMPORT", str(imp.pk)),
    }


def test_r30_the_checkbox_is_disabled_without_marketing_contact_access(page, sign_in, subscription, importer, tmp_path):
    importer.user_permissions.remove(Permission.objects.get(codename="marketing_contact_access"))
    sign_in(importer)
    _upload_and_map(page, tmp_path)

    expect(page.get_by_label("Set all contacts as marketing contacts")).to_be_disabled()
    expect(page.locator("#no-access")).to_contain_text("Marketing contact access")


def test_r4_a_queued_import_is_polled_to_done(page, sign_in, subscription, importer, tmp_path, monkeypatch):
    # The job's wake-up is held back so that the page is seen queued, then polled to 100% as the job runs.
    monkeypatch.setattr(import_run_task, "delay", lambda *args, **kwargs: None)
    sign_in(importer)
    _upload_and_map(page, tmp_path)
    page.get_by_role("button", name="Start import").click()

    imp = Import.objects.get()
    page.wait_for_url(f"**/contacts-imports/{imp.pk}/")
    bar = page.get_by_role("progressbar")
    expect(page.locator('[data-import-field="state_label"]')).to_have_text("Queued")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    import_run(import_id=imp.pk, chunk_rows=1)
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=SLOW)
    expect(page.locator('[data-import-field="state_label"]')).to_have_text("Done")
    expect(page.locator(".errors-of-file")).to_contain_text("not-an-email", timeout=SLOW)  # reloaded when done
    page.reload()  # the state is in the import's row
    expect(bar).to_have_attribute("aria-valuenow", "100")
    assert set(Contact.objects.values_list("marketable_status", flat=True)) == {False}  # unchecked: non-marketing
