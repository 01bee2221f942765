"""Job pages: progress that survives a reload, the status it polls, and who may see a job."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from billing.models import Subscription
from contacts.selection import Selection
from jobs.models import Job
from tests.capture.helpers import rule_ids_shown
from tests.factories import UserFactory, contacts_make

pytestmark = pytest.mark.django_db

STARTED = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)


def make_job(user, **fields) -> Job:
    defaults = {"kind": Job.Kind.SET_MARKETING, "selection": Selection(all_matching=True).to_dict(), "total": 1205}
    return Job.objects.create(created_by=user, **{**defaults, **fields})


@pytest.fixture
def running(marketer):
    """A job that was killed after its first chunk: 500 of 1,205 done, state still running."""
    return make_job(
        marketer,
        state=Job.State.RUNNING,
        processed=500,
        changed=480,
        unchanged=20,
        checkpoint_id=500,
        started_at=STARTED,
        heartbeat_at=STARTED,
    )


@pytest.mark.parametrize("url_name", ["jobs:list", "jobs:detail", "jobs:status"])
def test_job_pages_send_anonymous_users_to_sign_in(client, running, url_name):
    response = client.get(reverse(url_name, args=[running.pk] if url_name != "jobs:list" else []))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_job_page_shows_progress_counts_state_times_and_who_started_it(client, running, marketer):
    client.force_login(marketer)
    html = client.get(reverse("jobs:detail", args=[running.pk])).content.decode()
    assert "Set as marketing contacts" in html
    assert 'aria-valuenow="41"' in html and 'style="width: 41%"' in html  # 500 of 1,205
    assert '<span data-job-field="processed">500</span> of\n    <span data-job-field="total">1,205</span>' in html
    assert 'data-job-field="changed">480<' in html
    assert 'data-job-field="unchanged">20<' in html
    assert 'data-job-field="refused">0<' in html
    assert 'data-state="running">Running<' in html
    assert f'data-job-field="created_by">{marketer.get_username()}<' in html
    assert 'data-job-field="started_at">4 May 2026, 09:00<' in html
    assert 'data-job-field="finished_at"><' in html
    assert f'data-job-status-url="{reverse("jobs:status", args=[running.pk])}" data-finished="0"' in html


def test_job_page_after_reload_shows_the_state_of_the_job_row(client, running, marketer):
    """The page holds no state of its own: a reload after the job moved on shows where it is now."""
    client.force_login(marketer)
    first = client.get(reverse("jobs:detail", args=[running.pk])).content.decode()
    Job.objects.filter(pk=running.pk).update(
        state=Job.State.DONE, processed=1205, changed=1185, finished_at=STARTED + dt.timedelta(minutes=2)
    )
    second = client.get(reverse("jobs:detail", args=[running.pk])).content.decode()
    assert 'aria-valuenow="41"' in first
    assert 'aria-valuenow="100"' in second and 'data-finished="1"' in second
    assert 'data-job-field="changed">1,185<' in second
    assert 'data-job-field="finished_at">4 May 2026, 09:02<' in second


def test_job_status_is_the_job_row_as_json(client, running, marketer):
    client.force_login(marketer)
    response = client.get(reverse("jobs:status", args=[running.pk]))
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "id": running.pk,
        "kind": "set_marketing",
        "state": "running",
        "state_label": "Running",
        "finished": False,
        "percent": 41,
        "total": 1205,
        "processed": 500,
        "changed": 480,
        "unchanged": 20,
        "refused": 0,
        "error": "",
        "started_at": "4 May 2026, 09:00",
        "finished_at": "",
        "message": "Running: 500 of 1,205 contacts processed. You can leave this page.",
        "contacts_url": "",
    }


def test_a_failed_job_shows_its_error(client, marketer):
    job = make_job(marketer, state=Job.State.FAILED, error="You need the Marketing contact access permission.")
    client.force_login(marketer)
    html = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert '<p class="msg error" data-job-field="error" >You need the Marketing contact access permission.</p>' in html
    assert 'data-job-field="message">Failed after 0 of 1,205 contacts; the rest were not changed.<' in html
    assert "<p data-job-contacts hidden>" in html
    assert client.get(reverse("jobs:status", args=[job.pk])).json()["finished"] is True


@pytest.mark.parametrize("url_name", ["jobs:detail", "jobs:status"])
def test_another_users_job_does_not_exist_for_them(client, running, url_name):
    client.force_login(UserFactory())
    assert client.get(reverse(url_name, args=[running.pk])).status_code == 404


@pytest.mark.parametrize("url_name", ["jobs:detail", "jobs:status"])
def test_staff_see_every_job(client, running, url_name):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse(url_name, args=[running.pk])).status_code == 200


def test_jobs_list_shows_the_users_recent_jobs_newest_first(client, marketer, django_assert_max_num_queries):
    with time_machine.travel(STARTED, tick=False) as clock:
        older = make_job(marketer, kind=Job.Kind.ARCHIVE)
        clock.shift(dt.timedelta(minutes=1))
        newer = make_job(marketer, state=Job.State.DONE, processed=1205, changed=1205, finished_at=timezone.now())
    someone_elses = make_job(UserFactory())
    client.force_login(marketer)
    with django_assert_max_num_queries(6):  # of which two read the user's permissions, for the menu's marks
        html = client.get(reverse("jobs:list")).content.decode()
    assert re.findall(r'data-job="(\d+)"', html) == [str(newer.pk), str(older.pk)]
    assert str(someone_elses.pk) not in re.findall(r'data-job="(\d+)"', html)
    assert f'href="{reverse("jobs:detail", args=[newer.pk])}">Set as marketing contacts #{newer.pk}<' in html
    assert "100% of 1,205" in html


def test_jobs_list_without_jobs_says_so(client, marketer):
    client.force_login(marketer)
    assert "You have not started any bulk job yet." in client.get(reverse("jobs:list")).content.decode()


def test_a_done_job_says_what_it_changed_and_links_to_those_contacts(
    client, subscription, marketer, marketer_actor, django_capture_on_commit_callbacks
):
    Subscription.objects.filter(pk=subscription.pk).update(contact_tier_limit=5000)
    leads = contacts_make(count=1314, actor=marketer_actor, lifecycle_stage="lead")
    others = contacts_make(count=2, actor=marketer_actor, lifecycle_stage="customer")
    client.force_login(marketer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("contacts:bulk_set_marketing"),
            {"select_all": "1", "query": "lifecycle_stage=lead", "confirm_count": "1,314"},
        )
    job = Job.objects.get()

    html = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    status = client.get(reverse("jobs:status", args=[job.pk])).json()

    done = "Done: 1,314 contacts set as marketing contacts."
    assert f'data-job-field="message">{done}<' in html
    assert '<a class="button" href="/contacts/?lifecycle_stage=lead" data-job-contacts-link>' in html
    assert (status["message"], status["contacts_url"]) == (done, "/contacts/?lifecycle_stage=lead")
    assert rule_ids_shown(html) == []
    shown = client.get(status["contacts_url"]).context["filterset"].qs
    assert set(shown.values_list("pk", flat=True)) == {contact.pk for contact in leads}
    assert not shown.filter(pk__in=[contact.pk for contact in others]).exists()
    assert shown.filter(marketable_status=True).count() == 1314


@pytest.mark.parametrize(
    ("kind", "params", "url"),
    [
        (Job.Kind.ARCHIVE, {}, "/contacts/recycle-bin/"),
        (Job.Kind.ADD_TO_LIST, {"list_id": 7}, "/contacts/?list=7"),
        (Job.Kind.SET_NON_MARKETING, {}, "/contacts/"),
    ],
)
def test_a_done_job_of_each_kind_says_so_and_links_where_its_contacts_are(client, marketer, kind, params, url):
    job = make_job(marketer, kind=kind, params=params, state=Job.State.DONE, processed=1205, changed=1204, unchanged=1)
    client.force_login(marketer)
    status = client.get(reverse("jobs:status", args=[job.pk])).json()
    wording = {
        Job.Kind.ARCHIVE: "deleted",
        Job.Kind.ADD_TO_LIST: "added to the list",
        Job.Kind.SET_NON_MARKETING: "set as non-marketing from the next update date",
    }[kind]
    assert (status["message"], status["contacts_url"]) == (f"Done: 1,204 contacts {wording} (1 unchanged).", url)


def test_a_job_on_picked_contacts_offers_no_link(client, marketer):
    job = make_job(marketer, selection=Selection(ids=(1, 2)).to_dict(), state=Job.State.DONE, total=2, changed=2)
    client.force_login(marketer)
    html = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert 'data-job-field="message">Done: 2 contacts set as marketing contacts.<' in html
    assert "<p data-job-contacts hidden>" in html
