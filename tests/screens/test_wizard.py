"""The Manage marketing contacts wizard (R17): its steps, their counts, and the update (R11, R13, R30)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

from contacts.models import Contact, ContactList
from contacts.services import contact_list_add, contacts_archive
from jobs.models import Job
from jobs.services import job_run
from marketing_status.models import MarketingStatusChange
from marketing_status.policy import ReasonType
from screens import wizard
from tests.factories import UserFactory, contacts_make

pytestmark = pytest.mark.django_db

MANAGE = reverse("billing:manage")
UNSUBSCRIBED = {"email_subscription": "unsubscribed"}


@pytest.fixture
def people(frozen_subscription, marketer_actor):
    """Marketing contacts: 2 hard-bounced, 2 unsubscribed, 1 both (5 unengaged); 3 customers and 2 "other"
    (engaged). Left alone by the wizard: 1 unsubscribed already pending, 1 unsubscribed non-marketing,
    1 hard-bounced archived. A static list holds 1 engaged customer, 1 hard-bounced and 1 non-marketing."""
    groups = {
        "bounced": contacts_make(count=2, actor=marketer_actor, marketing=True, email_hard_bounced=True),
        "unsubscribed": contacts_make(count=2, actor=marketer_actor, marketing=True, **UNSUBSCRIBED),
        "both": contacts_make(count=1, actor=marketer_actor, marketing=True, email_hard_bounced=True, **UNSUBSCRIBED),
        "customers": contacts_make(count=3, actor=marketer_actor, marketing=True, lifecycle_stage="customer"),
        "other": contacts_make(count=2, actor=marketer_actor, marketing=True, lifecycle_stage="other"),
        "pending": contacts_make(count=1, actor=marketer_actor, pending=True, **UNSUBSCRIBED),
        "non_marketing": contacts_make(count=1, actor=marketer_actor, **UNSUBSCRIBED),
        "archived": contacts_make(count=1, actor=marketer_actor, marketing=True, email_hard_bounced=True),
    }
    contacts_archive(contacts=[contact.pk for contact in groups["archived"]], actor=marketer_actor)
    groups["list"] = ContactList.objects.create(name="Old trade show")
    listed = [groups["customers"][0], groups["bounced"][0], groups["non_marketing"][0]]
    contact_list_add(contact_list=groups["list"], contacts=[contact.pk for contact in listed], actor=marketer_actor)
    return groups


def _pks(*contact_groups) -> set[int]:
    return {contact.pk for group in contact_groups for contact in group}


def _unengaged(people) -> set[int]:
    return _pks(people["bounced"], people["unsubscribed"], people["both"])


def _pending() -> set[int]:
    return set(Contact.objects.filter(marketable_until_renewal=True).values_list("pk", flat=True))


def _step(client, step: str, **params):
    return client.get(MANAGE, {"step": step, **params})


def _forecast(response) -> tuple:
    forecast = response.context["forecast"]
    return (forecast.marketing_now, forecast.marketing_after, forecast.non_marketing_now, forecast.non_marketing_after)


# --- Access -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["intro", "unengaged", "filters", "review", "done"])
def test_r17_every_step_requires_login(client, people, step):
    response = _step(client, step, unengaged="1")
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_r17_update_requires_login_and_changes_nothing(client, people, db_state):
    before = db_state()
    response = client.post(MANAGE, {"unengaged": "1", "query": ""})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert db_state() == before


@pytest.mark.parametrize("step", ["intro", "unengaged", "filters", "review", "done"])
def test_r17_users_without_permission_may_walk_the_steps(client, sales_user, people, step):
    client.force_login(sales_user)
    response = _step(client, step, unengaged="1")
    assert response.status_code == 200
    assertContains(response, "updating contacts needs the Marketing contact access permission")


def test_r17_steps_before_the_last_write_nothing(client, marketer, people, db_state):
    """The choices travel in the query string: no contact, history, job or even session row is written."""
    client.force_login(marketer)
    before = db_state()
    with CaptureQueriesContext(connection) as queries:
        for step, params in [
            ("intro", {}),
            ("unengaged", {}),
            ("filters", {"unengaged": "1"}),
            ("review", {"unengaged": "1", "lifecycle_stage": "other"}),
        ]:
            assert _step(client, step, **params).status_code == 200
    writes = [
        q["sql"] for q in queries.captured_queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]
    assert writes == []
    assert db_state() == before


def test_r17_unknown_step_is_not_found(client, marketer, people):
    client.force_login(marketer)
    assert _step(client, "nope").status_code == 404


def test_r17_wizard_needs_marketing_contacts_enabled(client, marketer):
    client.force_login(marketer)
    response = _step(client, "intro")
    assert response.status_code == 409
    assertContains(response, "Marketing contacts are not enabled.", status_code=409)


def test_r17_usage_page_starts_the_wizard(client, sales_user, people):
    client.force_login(sales_user)
    response = client.get(reverse("billing:usage"))
    assertContains(response, f'<a class="button primary" id="manage-marketing-contacts" href="{MANAGE}">', html=False)


# --- Steps ----------------------------------------------------------------------------------------------


def test_r17_intro_shows_the_counts_and_the_update_date(client, marketer, people):
    client.force_login(marketer)
    response = _step(client, "intro")
    usage = response.context["usage"]
    assert (usage.marketing_count, usage.pending_count) == (11, 1)
    assertContains(response, "<strong>15 Mar 2026</strong>", html=True)
    assertContains(response, 'href="?step=unengaged"')


def test_r17_r29_unengaged_step_preselects_hard_bounced_and_unsubscribed_marketing_contacts(client, marketer, people):
    client.force_login(marketer)
    response = _step(client, "unengaged")
    assert response.context["count"] == 5
    assert {contact.pk for contact in response.context["sample"]} == _unengaged(people)
    assertContains(response, '<strong id="unengaged-count">5</strong>', html=True)
    checkbox = re.search(r'<input type="checkbox" name="unengaged"[^>]*>', response.content.decode()).group(0)
    assert "checked" in checkbox
    for contact in people["both"]:
        assert re.search(rf"<td>{contact.email}</td>\s*<td>Hard bounced, Unsubscribed</td>", response.content.decode())
    for contact in [*people["pending"], *people["non_marketing"], *people["archived"], *people["customers"]]:
        assert contact.email not in response.content.decode()


def test_r17_unengaged_step_sample_is_capped(client, marketer, people, marketer_actor):
    contacts_make(count=wizard.SAMPLE_SIZE, actor=marketer_actor, marketing=True, email_hard_bounced=True)
    client.force_login(marketer)
    response = _step(client, "unengaged")
    assert response.context["count"] == 5 + wizard.SAMPLE_SIZE
    assert len(response.context["sample"]) == wizard.SAMPLE_SIZE


def test_r17_unengaged_step_remembers_a_skip(client, marketer, people):
    client.force_login(marketer)
    checkbox = re.search(
        r'<input type="checkbox" name="unengaged"[^>]*>', _step(client, "unengaged", unengaged="0").content.decode()
    ).group(0)
    assert "checked" not in checkbox


def test_r17_filters_step_offers_property_filters_and_static_lists(client, marketer, people):
    client.force_login(marketer)
    response = _step(client, "filters", unengaged="1")
    content = response.content.decode()
    assert f'<option value="{people["list"].pk}">Old trade show</option>' in content
    for name in wizard.FILTER_FIELDS:
        assert f'name="{name}"' in content
    assert 'name="status"' not in content and 'name="pending"' not in content
    assertContains(response, '<input type="hidden" name="unengaged" value="1">', html=True)
    assertContains(response, 'href="?step=review&amp;unengaged=1"')  # Skip


def test_r17_review_of_unengaged_contacts_only(client, marketer, people):
    client.force_login(marketer)
    response = _step(client, "review", unengaged="1")
    assert (response.context["unengaged_count"], response.context["filtered_count"]) == (5, None)
    assert response.context["changing"] == 5
    # Now: 11 marketing (1 pending), 1 non-marketing. After 15 March: the pending one and the 5 leave.
    assert _forecast(response) == (11, 5, 1, 7)
    assertContains(response, '<strong id="update-date">15 Mar 2026</strong>', html=True)
    assertContains(response, '<strong id="changing-count">5</strong>', html=True)


def test_r17_review_of_a_static_list_only(client, marketer, people):
    client.force_login(marketer)
    response = _step(client, "review", unengaged="0", list=str(people["list"].pk))
    # Of the list, the non-marketing contact does not change.
    assert (response.context["unengaged_count"], response.context["filtered_count"]) == (None, 2)
    assert response.context["changing"] == 2
    assert _forecast(response) == (11, 8, 1, 4)


def test_r17_review_of_both_counts_the_union_once(client, marketer, people):
    client.force_login(marketer)
    response = _step(client, "review", unengaged="1", list=str(people["list"].pk))
    assert (response.context["unengaged_count"], response.context["filtered_count"]) == (5, 2)
    assert response.context["changing"] == 6  # the listed hard-bounced contact counts once
    assert _forecast(response) == (11, 4, 1, 8)


def test_r17_review_of_a_property_filter(client, marketer, people):
    client.force_login(marketer)
    response = _step(client, "review", unengaged="0", lifecycle_stage="other")
    assert response.context["changing"] == 2
    assert response.context["choice"] == wizard.Choice(unengaged=False, query="lifecycle_stage=other")


def test_r17_review_with_everything_skipped_changes_nothing_and_disables_update(client, marketer, people):
    client.force_login(marketer)
    response = _step(client, "review", unengaged="0", hard_bounced="unknown")  # "unknown" filters nothing
    assert response.context["choice"].is_empty
    assert response.context["changing"] == 0
    assert _forecast(response) == (11, 10, 1, 2)
    assert "disabled" in re.search(r'<button[^>]*id="update-contacts"[^>]*>', response.content.decode()).group(0)


def test_r17_review_with_invalid_filters_shows_them_on_the_filters_step(client, marketer, people):
    client.force_login(marketer)
    response = _step(client, "review", unengaged="1", list="999999", created_after="not a date")
    assert response.status_code == 400
    assert response.context["step"] == "filters"
    assertContains(response, "Select a valid choice", status_code=400)
    assertContains(response, "Enter a valid date", status_code=400)


def test_r17_going_back_from_review_keeps_the_choices(client, marketer, people):
    client.force_login(marketer)
    review = _step(client, "review", unengaged="1", lifecycle_stage="other")
    back = re.search(r'<a class="button" href="([^"]+)">Back</a>', review.content.decode()).group(1)
    response = client.get(MANAGE + back.replace("&amp;", "&"))
    assert response.context["step"] == "filters"
    assert response.context["unengaged"] is True
    assertContains(response, '<option value="other" selected>Other</option>', html=True)


def test_r30_review_update_button_is_disabled_without_permission(client, sales_user, marketer, people):
    client.force_login(sales_user)
    content = _step(client, "review", unengaged="1").content.decode()
    assert "disabled" in re.search(r'<button[^>]*id="update-contacts"[^>]*>', content).group(0)
    client.force_login(marketer)
    content = _step(client, "review", unengaged="1").content.decode()
    assert "disabled" not in re.search(r'<button[^>]*id="update-contacts"[^>]*>', content).group(0)


# --- Update contacts ------------------------------------------------------------------------------------


def test_r17_r11_update_sets_the_chosen_contacts_pending_with_one_history_row_each(
    client, marketer, people, history_of
):
    client.force_login(marketer)
    chosen = _unengaged(people) | _pks(people["customers"][:1])  # the list adds one engaged customer
    history_before = MarketingStatusChange.objects.count()
    response = client.post(MANAGE, {"unengaged": "1", "query": f"list={people['list'].pk}"})
    assertRedirects(response, f"{MANAGE}?step=done", fetch_redirect_response=False)
    assert _pending() == chosen | _pks(people["pending"])
    for contact in Contact.objects.filter(pk__in=chosen):
        # R11: still marketing, and billed, until the update date.
        assert (contact.marketable_status, contact.marketable_until_renewal) == (True, True)
        assert (contact.marketable_reason_type, contact.marketable_reason_id) == (ReasonType.USER_SET, str(marketer.pk))
        last = history_of(contact)[-1]
        assert (last["old_status"], last["old_until_renewal"], last["new_status"], last["new_until_renewal"]) == (
            True,
            False,
            True,
            True,
        )
        assert last["actor_user"] == marketer.pk
    assert MarketingStatusChange.objects.count() == history_before + len(chosen)
    untouched = _pks(people["customers"][1:], people["other"])
    assert not Contact.objects.filter(pk__in=untouched, marketable_until_renewal=True).exists()
    assert Contact.objects.filter(marketable_status=True, archived_at__isnull=True).count() == 11  # R21
    done = client.get(response["Location"])
    assertContains(done, "6 contacts set as non-marketing.")
    assertContains(done, "until the update date, 15 Mar 2026.")
    assertContains(done, '<strong id="pending-count">7</strong>', html=True)


def test_r17_update_with_filters_skipped(client, marketer, people):
    client.force_login(marketer)
    client.post(MANAGE, {"unengaged": "1", "query": ""})
    assert _pending() == _unengaged(people) | _pks(people["pending"])


def test_r17_update_with_unengaged_skipped(client, marketer, people):
    client.force_login(marketer)
    client.post(MANAGE, {"unengaged": "0", "query": "lifecycle_stage=other"})
    assert _pending() == _pks(people["other"], people["pending"])


def test_r13_repeating_the_update_changes_nothing(client, marketer, people, db_state):
    client.force_login(marketer)
    client.post(MANAGE, {"unengaged": "1", "query": ""})
    before = db_state()
    response = client.post(MANAGE, {"unengaged": "1", "query": ""})
    assert db_state() == before
    assertContains(client.get(response["Location"]), "0 contacts set as non-marketing.")


def test_r30_update_without_permission_is_refused_and_changes_nothing(client, sales_user, people, db_state):
    client.force_login(sales_user)
    before = db_state()
    response = client.post(MANAGE, {"unengaged": "1", "query": f"list={people['list'].pk}"})
    assert response.status_code == 403
    assertContains(response, "Marketing contact access permission", status_code=403)
    assertContains(response, "Nothing was changed.", status_code=403)
    assert db_state() == before
    assert not Job.objects.exists()


def test_r17_update_with_nothing_chosen_changes_nothing(client, marketer, people, db_state):
    client.force_login(marketer)
    before = db_state()
    response = client.post(MANAGE, {"unengaged": "0", "query": ""})
    assertRedirects(response, f"{MANAGE}?step=review&unengaged=0&query=", fetch_redirect_response=False)
    assert db_state() == before
    assertContains(client.get(response["Location"]), "Choose unengaged contacts or filters and lists first.")


def test_r17_update_with_invalid_filters_changes_nothing(client, marketer, people, db_state):
    client.force_login(marketer)
    before = db_state()
    response = client.post(MANAGE, {"unengaged": "1", "query": "list=999999"})
    assert response.status_code == 400
    assert db_state() == before


def test_r17_large_update_runs_as_a_job_and_redirects_to_its_page(
    client, marketer, people, marketer_actor, django_capture_on_commit_callbacks
):
    many = contacts_make(count=1000, actor=marketer_actor, marketing=True, **UNSUBSCRIBED)
    client.force_login(marketer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(MANAGE, {"unengaged": "1", "query": ""})
    job = Job.objects.get()
    assertRedirects(response, f"/jobs/{job.pk}/", fetch_redirect_response=False)
    assert (job.kind, job.total, job.created_by) == (Job.Kind.SET_NON_MARKETING, 1005, marketer)
    assert job.selection["all_matching"] is False and len(job.selection["ids"]) == 1005
    assert len(callbacks) == 1 and _pending() == _pks(people["pending"])  # nothing before the job runs
    job_run(job_id=job.pk)
    assert _pending() == _unengaged(people) | _pks(many, people["pending"])


def test_r17_union_above_the_id_limit_runs_one_bulk_change_per_part(client, marketer, people, monkeypatch):
    """Above ID_LIMIT the union is not collected: hard-bounced, unsubscribed and the filters each run as an
    all-matching bulk change. They overlap (the "both" contact, the listed hard-bounced one), yet each contact
    changes, and is recorded, once (R13)."""
    monkeypatch.setattr(wizard, "ID_LIMIT", 2)
    client.force_login(marketer)
    chosen = _unengaged(people) | _pks(people["customers"][:1])
    history_before = MarketingStatusChange.objects.count()
    response = client.post(MANAGE, {"unengaged": "1", "query": f"list={people['list'].pk}"})
    assertRedirects(response, f"{MANAGE}?step=done", fetch_redirect_response=False)
    assert _pending() == chosen | _pks(people["pending"])
    assert MarketingStatusChange.objects.count() == history_before + len(chosen)
    assertContains(client.get(response["Location"]), "6 contacts set as non-marketing.")


def test_r17_choice_selections_express_the_union_as_filter_queries(people):
    choice = wizard.Choice(unengaged=True, query=f"list={people['list'].pk}")
    queries = [selection.query for selection in choice.selections()]
    assert queries == [
        "hard_bounced=true&status=marketing&pending=false",
        "unsubscribed=true&status=marketing&pending=false",
        f"list={people['list'].pk}&status=marketing&pending=false",
    ]
    union = set().union(*(set(selection.queryset().values_list("pk", flat=True)) for selection in choice.selections()))
    assert union == set(choice.contacts().values_list("pk", flat=True))


def test_r17_done_step_lists_only_the_users_own_jobs(client, marketer, people):
    mine = Job.objects.create(kind=Job.Kind.SET_NON_MARKETING, selection={}, total=1200, created_by=marketer)
    theirs = Job.objects.create(kind=Job.Kind.SET_NON_MARKETING, selection={}, total=5, created_by=UserFactory())
    client.force_login(marketer)
    response = _step(client, "done", jobs=f"{mine.pk},{theirs.pk},x")
    assert [job for job, _ in response.context["jobs"]] == [mine]
    assertContains(response, f'<a href="/jobs/{mine.pk}/">Set as non-marketing contacts #{mine.pk}</a>', html=True)
