"""Bulk actions of the contacts index and the recycle bin (R15, R16, R22, R30, B2, B4)."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from billing.models import Subscription, TierUpgrade
from billing.selectors import marketing_count
from contacts.models import Contact
from contacts.services import contacts_archive
from jobs.models import Job
from marketing_status.creation import contacts_create
from marketing_status.models import MarketingStatusChange
from marketing_status.policy import CreationTool
from screens.contacts import bulk
from screens.contacts.bulk import typed_number
from tests.factories import UserFactory, contacts_make

pytestmark = pytest.mark.django_db

SET_MARKETING = ("contacts:bulk_set_marketing_preview", "contacts:bulk_set_marketing")
SET_NON_MARKETING = ("contacts:bulk_set_non_marketing_preview", "contacts:bulk_set_non_marketing")
DELETE = ("contacts:bulk_delete_preview", "contacts:bulk_delete")
ALL_POST_VIEWS = [*SET_MARKETING, *SET_NON_MARKETING, *DELETE, "contacts:recycle_bin_restore"]
FRAGMENT = {"HTTP_X_FRAGMENT": "1"}


@pytest.fixture
def marketing_only_user(db):
    """May change marketing status (R30) but not delete contacts."""
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="marketing_contact_access"))
    return user


@pytest.fixture
def mixed(subscription, marketer_actor):
    """3 non-marketing, 2 marketing and 1 pending contact (R11), in that id order."""
    return {
        "non_marketing": contacts_make(count=3, actor=marketer_actor),
        "marketing": contacts_make(count=2, actor=marketer_actor, marketing=True),
        "pending": contacts_make(count=1, actor=marketer_actor, pending=True),
    }


def ids_of(*groups) -> list[int]:
    return [contact.pk for group in groups for contact in group]


def picked(contacts, **extra) -> dict:
    return {"ids": [contact.pk for contact in contacts], **extra}


def everything(query: str = "", **extra) -> dict:
    return {"select_all": "1", "query": query, **extra}


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def statuses(contacts) -> list[tuple]:
    rows = Contact.objects.filter(pk__in=[c.pk for c in contacts]).order_by("pk")
    return list(rows.values_list("marketable_status", "marketable_until_renewal", "archived_at"))


def state(db_state) -> tuple:
    return db_state(), Job.objects.count()


# --- Who may do what (R30) ------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ALL_POST_VIEWS)
def test_bulk_views_send_anonymous_users_to_sign_in_and_change_nothing(client, mixed, db_state, url_name):
    before = state(db_state)
    response = client.post(reverse(url_name), everything(confirm_count="4"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert state(db_state) == before


@pytest.mark.parametrize("url_name", [*SET_MARKETING, *SET_NON_MARKETING])
def test_r30_status_actions_refuse_users_without_marketing_access(client, mixed, sales_user, db_state, url_name):
    before = state(db_state)
    client.force_login(sales_user)
    response = client.post(reverse(url_name), everything(confirm_count="4"), **FRAGMENT)
    assert response.status_code == 403
    assert state(db_state) == before


@pytest.mark.parametrize("url_name", [*DELETE, "contacts:recycle_bin_restore"])
def test_r22_delete_and_restore_refuse_users_without_delete_permission(
    client, mixed, marketing_only_user, marketer_actor, db_state, url_name
):
    contacts_archive(contacts=ids_of(mixed["marketing"][:1]), actor=marketer_actor)
    before = state(db_state)
    client.force_login(marketing_only_user)
    response = client.post(reverse(url_name), everything())
    assert response.status_code == 403
    assert state(db_state) == before


@pytest.mark.parametrize("url_name", ALL_POST_VIEWS)
def test_bulk_views_accept_only_post(client, mixed, marketer, db_state, url_name):
    before = state(db_state)
    client.force_login(marketer)
    assert client.get(reverse(url_name), everything(confirm_count="4")).status_code == 405
    assert state(db_state) == before


@pytest.mark.parametrize("url_name", ALL_POST_VIEWS)
def test_bulk_posts_without_a_csrf_token_are_refused(mixed, marketer, db_state, url_name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(marketer)
    before = state(db_state)
    response = client.post(reverse(url_name), everything(confirm_count="4"))
    assert response.status_code == 403
    assert b"CSRF" in response.content
    assert state(db_state) == before


def _render_menu(user) -> str:
    request = RequestFactory().get("/contacts/")
    request.user = user
    return render_to_string("contacts/_bulk_actions.html", request=request)


def _menu_button(html: str, url_name: str) -> str:
    match = re.search(rf'<button[^>]*formaction="{re.escape(reverse(url_name))}"[^>]*>', html)
    assert match, url_name
    return match.group(0)


@pytest.mark.parametrize(
    ("user_fixture", "enabled"),
    [
        ("marketer", {"set_marketing": True, "set_non_marketing": True, "delete": True}),
        ("sales_user", {"set_marketing": False, "set_non_marketing": False, "delete": True}),
        ("marketing_only_user", {"set_marketing": True, "set_non_marketing": True, "delete": False}),
    ],
)
def test_r30_more_menu_disables_what_the_user_may_not_do(request, user_fixture, enabled):
    html = _render_menu(request.getfixturevalue(user_fixture))
    assert 'name="csrfmiddlewaretoken"' in html
    for name, url_name in [
        ("set_marketing", SET_MARKETING[0]),
        ("set_non_marketing", SET_NON_MARKETING[0]),
        ("delete", DELETE[0]),
    ]:
        button = _menu_button(html, url_name)
        assert ('data-allowed="1"' in button) is enabled[name]
        assert (" disabled" in button) is not enabled[name]


# --- Selection ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (everything("status=bogus"), "Invalid filters"),
        (everything("created_after=not-a-date"), "Invalid filters"),
        ({}, "Select at least one contact."),
        ({"ids": ["1", "x"]}, "Contact ids must be numbers."),
    ],
)
@pytest.mark.parametrize(("preview", "apply"), [SET_MARKETING, SET_NON_MARKETING, DELETE])
def test_invalid_selections_are_refused_and_change_nothing(
    client, mixed, marketer, db_state, data, error, preview, apply
):
    client.force_login(marketer)
    before = state(db_state)
    response = client.post(reverse(preview), data, **FRAGMENT)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert "data-confirm-form" not in response.content.decode()
    response = client.post(reverse(apply), {**data, "confirm_count": "4"})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert state(db_state) == before


# --- Set as marketing (R15, B2, B4) -------------------------------------------------------------


def test_r15_b2_preview_states_how_many_change_and_the_billing_impact(client, mixed, marketer):
    client.force_login(marketer)
    response = client.post(reverse(SET_MARKETING[0]), everything(), **FRAGMENT)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # a fragment for the dialog
    assert 'data-impact="changing">4<' in html  # 3 non-marketing + 1 pending cancelled (R12)
    assert "3 become marketing contacts now" in html
    assert "1 pending switch to non-marketing is cancelled" in html
    assert 'data-impact="count_now">3<' in html
    assert 'data-impact="count_after">6<' in html
    assert 'data-impact="tier_limit">1,000<' in html
    assert 'data-impact="within_tier"' in html
    assert 'data-expected="4"' in html
    assert re.search(r"data-confirm-submit>\s*Set 4 contacts\s*<", html)
    assert 'name="confirm_tier_upgrade"' not in html
    assert '<input type="hidden" name="select_all" value="1">' in html


def test_r15_preview_without_javascript_is_a_page_with_the_same_form(client, mixed, marketer):
    client.force_login(marketer)
    response = client.post(reverse(SET_MARKETING[0]), picked(mixed["non_marketing"], next="/contacts/?q=contact"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and "data-confirm-form" in html
    assert 'href="/contacts/?q=contact">Cancel<' in html
    for contact in mixed["non_marketing"]:
        assert f'<input type="hidden" name="ids" value="{contact.pk}">' in html


@pytest.mark.parametrize("typed", ["3", "5", "", "four", "-4", "4.0"])
def test_r15_a_wrong_typed_number_is_refused_and_changes_nothing(client, mixed, marketer, db_state, typed):
    client.force_login(marketer)
    before = state(db_state)
    response = client.post(reverse(SET_MARKETING[1]), everything(confirm_count=typed))
    assert response.status_code == 400
    assert "Type 4, the number of contacts that will change, to confirm." in response.content.decode()
    assert state(db_state) == before


@pytest.mark.parametrize(
    ("typed", "number"),
    [("1050", 1050), ("1,050", 1050), ("1314", 1314), ("1,314", 1314), (" 12 ", 12), ("1.050", None), ("", None)],
)
def test_typed_number_allows_thousands_separators_only(typed, number):
    assert typed_number(typed) == number


@pytest.fixture
def many(subscription, marketer_actor):
    """1,314 non-marketing contacts, within a tier of 5,000."""
    Subscription.objects.filter(pk=subscription.pk).update(contact_tier_limit=5000)
    return contacts_make(count=1314, actor=marketer_actor)


def test_r15_the_typed_count_prompt_reads_like_its_button(client, many, marketer):
    client.force_login(marketer)
    html = client.post(reverse(SET_MARKETING[0]), everything(), **FRAGMENT).content.decode()
    assert "Type <strong>1,314</strong> to confirm" in html
    assert 'pattern="1314|1,314" data-expected="1314"' in html
    assert re.search(r"data-confirm-submit>\s*Set 1,314 contacts\s*<", html)


def test_r15_the_admin_action_prompts_for_the_count_as_the_index_does(client, many, marketer):
    marketer.is_staff = True
    marketer.save()
    marketer.user_permissions.add(Permission.objects.get(codename="view_contact"))
    client.force_login(marketer)
    page = client.post(
        reverse("admin:contacts_contact_changelist"),
        {"action": "set_marketing", "select_across": "1", "_selected_action": [many[0].pk]},
    )
    assert "Type <strong>1,314</strong> to confirm" in page.content.decode()
    assert marketing_count() == 0


@pytest.mark.parametrize("typed", ["1314", "1,314"])
def test_r15_the_typed_count_is_accepted_with_or_without_its_separator(
    client, many, marketer, typed, django_capture_on_commit_callbacks
):
    client.force_login(marketer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(SET_MARKETING[1]), everything(confirm_count=typed, next="/contacts/"))
    job = Job.objects.get()
    assert response.url == reverse("jobs:detail", args=[job.pk])
    assert (job.state, job.changed) == ("done", 1314)
    assert marketing_count() == 1314


def test_r15_a_count_typed_with_another_separator_is_refused_and_changes_nothing(client, many, marketer, db_state):
    client.force_login(marketer)
    before = state(db_state)
    response = client.post(reverse(SET_MARKETING[1]), everything(confirm_count="1.314"))
    assert response.status_code == 400
    assert "Type 1,314, the number of contacts that will change, to confirm." in response.content.decode()
    assert state(db_state) == before


def test_r15_the_exact_number_sets_contacts_at_once_and_returns_to_the_view(client, mixed, marketer, history_of):
    client.force_login(marketer)
    history_before = MarketingStatusChange.objects.count()
    response = client.post(
        reverse(SET_MARKETING[1]), everything(confirm_count="4", next="/contacts/?q=contact&sort=-created_at")
    )
    assert response.status_code == 302
    assert response.url == "/contacts/?q=contact&sort=-created_at"
    assert messages_of(response) == ["4 contacts set as marketing contacts; 2 unchanged."]
    everyone = ids_of(mixed["non_marketing"], mixed["marketing"], mixed["pending"])
    assert set(
        Contact.objects.filter(pk__in=everyone).values_list("marketable_status", "marketable_until_renewal")
    ) == {(True, False)}
    assert MarketingStatusChange.objects.count() == history_before + 4
    last = history_of(mixed["non_marketing"][0])[-1]
    assert (last["reason_type"], last["actor_type"], last["actor_user"]) == ("USER_SET", "USER", marketer.pk)
    assert Job.objects.count() == 0


def test_r15_an_unsafe_next_falls_back_to_the_index_with_its_query(client, mixed, marketer):
    client.force_login(marketer)
    response = client.post(
        reverse(SET_MARKETING[1]), everything("status=non_marketing", confirm_count="3", next="https://evil.example/")
    )
    assert response.status_code == 302
    assert response.url == "/contacts/?status=non_marketing"
    assert Contact.objects.filter(marketable_status=False).count() == 0


def test_r15_nothing_to_change_offers_no_confirmation(client, mixed, marketer, db_state):
    client.force_login(marketer)
    before = state(db_state)
    response = client.post(reverse(SET_MARKETING[0]), picked(mixed["marketing"]), **FRAGMENT)
    assert "None of the selected contacts would change." in response.content.decode()
    assert "data-confirm-form" not in response.content.decode()
    assert client.post(reverse(SET_MARKETING[1]), picked(mixed["marketing"], confirm_count="0")).status_code == 400
    assert state(db_state) == before


@pytest.fixture
def guarded(mixed, subscription):
    """B4 on, and a tier of 4: setting the 3 non-marketing contacts as marketing takes 3 to 6."""
    Subscription.objects.filter(pk=subscription.pk).update(tier_guard_enabled=True, contact_tier_limit=4)
    return mixed


def test_b4_preview_asks_for_the_tier_upgrade_when_the_guard_is_on(client, guarded, marketer):
    client.force_login(marketer)
    html = client.post(reverse(SET_MARKETING[0]), everything(), **FRAGMENT).content.decode()
    assert 'data-impact="crosses_tier"' in html
    assert "above your contact tier of 4" in html
    assert '<input type="checkbox" name="confirm_tier_upgrade" value="1" required>' in html
    assert "I understand this upgrades my contact tier" in html


def test_b4_without_the_tier_confirmation_nothing_changes(client, guarded, marketer, db_state):
    client.force_login(marketer)
    before = state(db_state)
    response = client.post(reverse(SET_MARKETING[1]), everything(confirm_count="4"))
    assert response.status_code == 400
    assert "above your tier of 4. Confirm the tier upgrade to go ahead." in response.content.decode()
    assert 'name="confirm_tier_upgrade"' in response.content.decode()  # asked again
    assert state(db_state) == before


def test_b4_with_the_tier_confirmation_contacts_change_and_the_tier_grows(client, guarded, marketer):
    client.force_login(marketer)
    response = client.post(reverse(SET_MARKETING[1]), everything(confirm_count="4", confirm_tier_upgrade="1"))
    assert response.status_code == 302
    assert marketing_count() == 6
    upgrade = TierUpgrade.objects.get()
    assert (upgrade.old_limit, upgrade.new_limit, upgrade.cause_type) == (4, 1004, "USER_SET")


def test_b4_with_the_guard_off_the_crossing_is_shown_but_not_asked(client, mixed, subscription, marketer):
    Subscription.objects.filter(pk=subscription.pk).update(contact_tier_limit=4)
    client.force_login(marketer)
    html = client.post(reverse(SET_MARKETING[0]), everything(), **FRAGMENT).content.decode()
    assert 'data-impact="crosses_tier"' in html
    assert 'name="confirm_tier_upgrade"' not in html
    assert client.post(reverse(SET_MARKETING[1]), everything(confirm_count="4")).status_code == 302
    assert TierUpgrade.objects.get().new_limit == 1004


def test_r1_status_actions_say_marketing_contacts_are_not_enabled(client, marketer, marketer_actor, db_state):
    contacts_create(data=[{"email": "a@example.com"}], tool=CreationTool.MANUAL, actor=marketer_actor)
    client.force_login(marketer)
    before = state(db_state)
    for preview, apply in (SET_MARKETING, SET_NON_MARKETING):
        html = client.post(reverse(preview), everything(), **FRAGMENT).content.decode()
        assert "Marketing contacts are not enabled for this account." in html
        assert "data-confirm-form" not in html
        assert client.post(reverse(apply), everything(confirm_count="1")).status_code == 400
    assert state(db_state) == before


# --- Set as non-marketing (R16, R11) ------------------------------------------------------------


@pytest.fixture
def frozen_mixed(frozen_subscription, marketer_actor):
    return {
        "non_marketing": contacts_make(count=1, actor=marketer_actor),
        "marketing": contacts_make(count=2, actor=marketer_actor, marketing=True),
        "pending": contacts_make(count=1, actor=marketer_actor, pending=True),
    }


def test_r16_preview_shows_how_many_switch_and_the_next_update_date(client, frozen_mixed, marketer):
    client.force_login(marketer)
    html = client.post(reverse(SET_NON_MARKETING[0]), everything(), **FRAGMENT).content.decode()
    assert 'data-impact="changing">2<' in html
    assert "current marketing contacts\n  will become non-marketing on the next update date" in html
    assert 'data-impact="update_date">15 Mar 2026<' in html  # R20: monthly, renewing on the 15th
    assert "<em>Marketing contact until next update</em> is set to <strong>Yes</strong>" in html
    assert re.search(r"data-confirm-submit>\s*Set 2 contacts as non-marketing\s*<", html)


def test_r16_r11_confirming_makes_marketing_contacts_pending_until_the_update_date(client, frozen_mixed, marketer):
    client.force_login(marketer)
    history_before = MarketingStatusChange.objects.count()
    response = client.post(reverse(SET_NON_MARKETING[1]), everything(next="/contacts/"))
    assert response.status_code == 302 and response.url == "/contacts/"
    assert messages_of(response) == ["2 contacts will become non-marketing on 15 Mar 2026; 2 unchanged."]
    assert statuses(frozen_mixed["marketing"]) == [(True, True, None)] * 2  # still billed (R11)
    assert statuses(frozen_mixed["non_marketing"]) == [(False, False, None)]
    assert MarketingStatusChange.objects.count() == history_before + 2
    assert marketing_count() == 3


# --- Delete and the recycle bin (R22) -----------------------------------------------------------


def test_r22_delete_preview_says_what_leaves_the_bill(client, mixed, marketer):
    client.force_login(marketer)
    html = client.post(reverse(DELETE[0]), picked(mixed["marketing"] + mixed["non_marketing"][:1]), **FRAGMENT)
    html = html.content.decode()
    assert 'data-impact="deleting">3<' in html
    assert "2 of them are marketing contacts and stop counting toward your bill at once." in html
    assert "restored from the recycle bin for 90 days" in html
    assert re.search(r"data-confirm-submit>\s*Delete 3 contacts\s*<", html)


def test_r22_deleting_archives_and_leaves_the_billable_count_at_once(client, mixed, marketer):
    client.force_login(marketer)
    response = client.post(reverse(DELETE[1]), picked(mixed["marketing"], next="/contacts/?q=c"))
    assert response.status_code == 302 and response.url == "/contacts/?q=c"
    assert messages_of(response) == [
        "2 contacts deleted; 0 unchanged. Restore them from the recycle bin within 90 days."
    ]
    assert all(row[2] is not None for row in statuses(mixed["marketing"]))
    assert marketing_count() == 1  # only the pending contact is left billed
    assert MarketingStatusChange.objects.filter(contact__in=mixed["marketing"]).count() == 2  # creation rows only


def test_r22_recycle_bin_lists_deleted_contacts_newest_first_by_keyset(
    client, subscription, marketer, marketer_actor, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(bulk, "RECYCLE_BIN_PAGE_SIZE", 2)
    alive, *deleted = contacts_make(count=4, actor=marketer_actor)
    for days_ago, contact in zip([30, 20, 10], deleted, strict=True):
        with time_machine.travel(dt.datetime.now(tz=dt.UTC) - dt.timedelta(days=days_ago)):
            contacts_archive(contacts=[contact.pk], actor=marketer_actor)
    client.force_login(marketer)
    with django_assert_max_num_queries(6):
        first = client.get(reverse("contacts:recycle_bin"))
    rows = re.findall(r'data-contact="(\d+)"', first.content.decode())
    assert rows == [str(deleted[2].pk), str(deleted[1].pk)]
    assert "data-archived-total>3<" in first.content.decode()
    cursor = first.context["next_cursor"]
    second = client.get(reverse("contacts:recycle_bin"), {"cursor": cursor})
    assert re.findall(r'data-contact="(\d+)"', second.content.decode()) == [str(deleted[0].pk)]
    assert second.context["next_cursor"] is None
    assert str(alive.pk) not in re.findall(r'data-contact="(\d+)"', first.content.decode() + second.content.decode())
    assert client.get(reverse("contacts:recycle_bin"), {"cursor": "garbage"}).context["contacts"][0][0] == deleted[2]


def test_r22_restore_tells_how_many_were_restored_and_refused(client, subscription, marketer, marketer_actor):
    too_old, recent, taken = contacts_make(count=3, actor=marketer_actor, marketing=True)
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) - dt.timedelta(days=91)):
        contacts_archive(contacts=[too_old.pk], actor=marketer_actor)
    contacts_archive(contacts=[recent.pk, taken.pk], actor=marketer_actor)
    contacts_create(data=[{"email": taken.email}], tool=CreationTool.MANUAL, actor=marketer_actor)
    client.force_login(marketer)
    page = client.get(reverse("contacts:recycle_bin")).content.decode()
    assert "Too old to restore" in page
    response = client.post(reverse("contacts:recycle_bin_restore"), picked([too_old, recent, taken]))
    assert response.status_code == 302 and response.url == reverse("contacts:recycle_bin")
    assert messages_of(response) == [
        "1 contact restored; 2 refused (deleted more than 90 days ago, "
        "or their email address now belongs to another contact)."
    ]
    assert statuses([recent]) == [(True, False, None)]  # with the status it had (R22)
    assert all(row[2] is not None for row in statuses([too_old, taken]))


def test_r22_restore_all_in_the_recycle_bin(client, mixed, marketer, marketer_actor):
    contacts_archive(contacts=ids_of(mixed["marketing"], mixed["pending"]), actor=marketer_actor)
    client.force_login(marketer)
    response = client.post(reverse("contacts:recycle_bin_restore"), everything())
    assert messages_of(response)[0].startswith("3 contacts restored; 0 refused")
    assert Contact.objects.filter(archived_at__isnull=False).count() == 0
    assert marketing_count() == 3


def test_r22_restore_without_a_selection_is_refused(client, mixed, marketer, marketer_actor, db_state):
    contacts_archive(contacts=ids_of(mixed["marketing"]), actor=marketer_actor)
    client.force_login(marketer)
    before = state(db_state)
    response = client.post(reverse("contacts:recycle_bin_restore"), {})
    assert response.status_code == 302
    assert messages_of(response) == ["Select at least one contact."]
    assert state(db_state) == before


# --- At once up to 1,000 contacts, as a job above ----------------------------------------------


def test_up_to_1000_contacts_change_at_once(client, subscription, marketer, marketer_actor):
    contacts_make(count=1000, actor=marketer_actor)
    client.force_login(marketer)
    response = client.post(reverse(SET_MARKETING[1]), everything(confirm_count="1,000", next="/contacts/"))
    assert response.url == "/contacts/"
    assert messages_of(response) == ["1,000 contacts set as marketing contacts; 0 unchanged."]
    assert marketing_count() == 1000
    assert Job.objects.count() == 0


def test_above_1000_contacts_run_as_a_job_and_show_its_page(
    client, subscription, marketer, marketer_actor, django_capture_on_commit_callbacks
):
    Subscription.objects.filter(pk=subscription.pk).update(contact_tier_limit=5000)
    contacts = contacts_make(count=1001, actor=marketer_actor)
    client.force_login(marketer)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse(SET_MARKETING[1]), everything(confirm_count="1001", next="/contacts/"))
    job = Job.objects.get()
    assert len(callbacks) == 1
    assert response.url == reverse("jobs:detail", args=[job.pk])
    assert messages_of(response) == ["Set as marketing contacts: 1,001 contacts are being processed."]
    assert (job.kind, job.state, job.total, job.changed, job.unchanged, job.created_by) == (
        "set_marketing",
        "done",
        1001,
        1001,
        0,
        marketer,
    )
    assert marketing_count() == 1001
    assert MarketingStatusChange.objects.filter(contact__in=contacts, new_status=True).count() == 1001
