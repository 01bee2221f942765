"""In a real browser, on the contacts index: bulk set as marketing with the typed number (R15, B2), as a job
above 1,000 contacts with its progress bar, set as non-marketing with the update date (R16), delete and
restore from the recycle bin (R22), and the actions disabled without permission (R30)."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.utils.formats import date_format
from playwright.sync_api import expect

from billing.selectors import marketing_count, next_update_date
from contacts.models import Contact
from jobs.models import Job
from jobs.services import job_run
from jobs.tasks import job_run_task
from tests.factories import UserFactory, contacts_make

pytestmark = pytest.mark.django_db(transaction=True)

STATUS_ACTIONS = ("Set as marketing contacts", "Set as non-marketing contacts")
SLOW = 15_000  # ms: a job page polls once a second


def more_menu(page):
    page.get_by_text("More", exact=True).click()
    return page.locator("[data-bulk-menu]")


def select_page(page):
    page.locator("#select-page").check()


def test_r15_set_marketing_confirms_only_the_exact_number(
    page, sign_in, screenshot, subscription, marketer, marketer_actor
):
    contacts = contacts_make(count=3, actor=marketer_actor)
    contacts_make(count=1, actor=marketer_actor, marketing=True)
    sign_in(marketer)
    page.goto("/contacts/")
    select_page(page)
    more_menu(page).get_by_role("button", name="Set as marketing contacts").click()

    dialog = page.locator("#bulk-dialog")
    expect(dialog.locator('[data-impact="changing"]')).to_have_text("3")
    expect(dialog.locator('[data-impact="count_now"]')).to_have_text("1")
    expect(dialog.locator('[data-impact="count_after"]')).to_have_text("4")
    confirm = dialog.get_by_role("button", name="Set 3 contacts")
    number = dialog.locator("input[name=confirm_count]")
    expect(confirm).to_be_disabled()
    number.fill("4")
    expect(confirm).to_be_disabled()
    number.fill("3")
    expect(confirm).to_be_enabled()
    screenshot("set-marketing-dialog", dialog)
    confirm.click()

    expect(page.locator(".msg.success")).to_have_text("3 contacts set as marketing contacts; 1 unchanged.")
    assert re.search(r"/contacts/$", page.url)
    assert set(Contact.objects.filter(pk__in=[c.pk for c in contacts]).values_list("marketable_status", flat=True)) == {
        True
    }


def test_r15_b2_a_change_above_1000_contacts_runs_as_a_job_with_a_progress_bar(
    page, sign_in, screenshot, subscription, marketer, marketer_actor, monkeypatch
):
    # The job's wake-up is held back so that the page is seen queued, then polled to 100% as the job runs.
    monkeypatch.setattr(job_run_task, "delay", lambda *args, **kwargs: None)
    contacts_make(count=1050, actor=marketer_actor)
    sign_in(marketer)
    page.goto("/contacts/")
    select_page(page)
    page.get_by_role("button", name="Select all 1,050 contacts matching this view").click()
    expect(page.locator("#selected-count")).to_have_text("1,050 selected")
    more_menu(page).get_by_role("button", name="Set as marketing contacts").click()

    dialog = page.locator("#bulk-dialog")
    expect(dialog.locator('[data-impact="count_after"]')).to_have_text("1,050")
    expect(dialog.locator('[data-impact="crosses_tier"]')).to_contain_text("above your contact tier of 1,000")
    confirm = dialog.get_by_role("button", name="Set 1,050 contacts")
    dialog.locator("input[name=confirm_count]").fill("1049")
    expect(confirm).to_be_disabled()
    dialog.locator("input[name=confirm_count]").fill("1050")
    expect(confirm).to_be_enabled()
    screenshot("set-marketing-dialog-tier", dialog)
    confirm.click()

    job = Job.objects.get()
    page.wait_for_url(f"**/jobs/{job.pk}/")
    bar = page.get_by_role("progressbar")
    expect(page.locator('[data-job-field="state_label"]')).to_have_text("Queued")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    job_run(job_id=job.pk, chunk_size=300)
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=SLOW)
    expect(page.locator('[data-job-field="state_label"]')).to_have_text("Done")
    expect(page.locator('[data-job-field="changed"]')).to_have_text("1,050")
    expect(page.locator('[data-job-field="created_by"]')).to_have_text(marketer.get_username())
    expect(page.locator('[data-job-field="message"]')).to_have_text("Done: 1,050 contacts set as marketing contacts.")
    expect(page.locator("[data-job-contacts-link]")).to_be_visible()  # polled in, without a reload
    screenshot("bulk-job-done")
    page.reload()  # the state is in the job row
    expect(bar).to_have_attribute("aria-valuenow", "100")
    assert marketing_count() == 1050


def test_r16_set_non_marketing_shows_the_pending_flag_and_the_update_date(
    page, sign_in, screenshot, subscription, marketer, marketer_actor
):
    update_day = date_format(next_update_date(subscription=subscription))
    marketing = contacts_make(count=2, actor=marketer_actor, marketing=True)
    contacts_make(count=1, actor=marketer_actor)
    sign_in(marketer)
    page.goto("/contacts/")
    select_page(page)
    more_menu(page).get_by_role("button", name="Set as non-marketing contacts").click()

    dialog = page.locator("#bulk-dialog")
    expect(dialog.locator('[data-impact="changing"]')).to_have_text("2")
    expect(dialog.locator('[data-impact="update_date"]')).to_have_text(update_day)
    expect(dialog).to_contain_text("Marketing contact until next update is set to Yes")
    screenshot("set-non-marketing-dialog", dialog)
    dialog.get_by_role("button", name="Set 2 contacts as non-marketing").click()

    expect(page.locator(".msg.success")).to_have_text(
        f"2 contacts will become non-marketing on {update_day}; 1 unchanged."
    )
    assert list(
        Contact.objects.filter(pk__in=[c.pk for c in marketing]).values_list(
            "marketable_status", "marketable_until_renewal"
        )
    ) == [(True, True), (True, True)]


def test_r22_delete_then_restore_from_the_recycle_bin(page, sign_in, subscription, marketer, marketer_actor):
    deleted = contacts_make(count=2, actor=marketer_actor, marketing=True)
    sign_in(marketer)
    page.goto("/contacts/")
    select_page(page)
    more_menu(page).get_by_role("button", name="Delete").click()
    dialog = page.locator("#bulk-dialog")
    expect(dialog).to_contain_text("2 of them are marketing contacts and stop counting toward your bill at once.")
    dialog.get_by_role("button", name="Delete 2 contacts").click()
    expect(page.locator(".msg.success")).to_contain_text("2 contacts deleted")
    assert marketing_count() == 0

    page.goto("/contacts/recycle-bin/")
    for contact in deleted:
        page.locator(f'[data-contact="{contact.pk}"] input[name=ids]').check()
    page.get_by_role("button", name="Restore").click()
    expect(page.locator(".msg.success")).to_contain_text("2 contacts restored; 0 refused")
    assert marketing_count() == 2


@pytest.mark.parametrize(
    ("codenames", "enabled"),
    [
        (["delete_contact"], {STATUS_ACTIONS[0]: False, STATUS_ACTIONS[1]: False, "Delete": True}),
        ([], {STATUS_ACTIONS[0]: False, STATUS_ACTIONS[1]: False, "Delete": False}),
    ],
)
def test_r30_actions_are_disabled_without_permission(
    page, sign_in, subscription, marketer, marketer_actor, codenames, enabled
):
    contacts_make(count=2, actor=marketer_actor)
    user = UserFactory()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    sign_in(user)
    page.goto("/contacts/")
    select_page(page)
    menu = more_menu(page)
    for label, allowed in enabled.items():
        button = menu.get_by_role("button", name=label, exact=True)
        if allowed:
            expect(button).to_be_enabled()
        else:
            expect(button).to_be_disabled()


def test_actions_wait_for_a_selection(page, sign_in, screenshot, subscription, marketer, marketer_actor):
    contacts_make(count=2, actor=marketer_actor)
    sign_in(marketer)
    page.goto("/contacts/")
    menu = more_menu(page)
    expect(menu.get_by_role("button", name="Set as marketing contacts")).to_be_disabled()
    select_page(page)
    expect(menu.get_by_role("button", name="Set as marketing contacts")).to_be_enabled()
    screenshot("bulk-more-menu")
