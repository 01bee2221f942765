"""Job pages: progress that survives a reload, the status it polls, and who may see a job."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from contacts.selection import Selection
from jobs.models import Job
from tests.factories import UserFactory

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
    }


def test_a_failed_job_shows_its_error(client, marketer):
    job = make_job(marketer, state=Job.State.FAILED, error="You need the Marketing contact access permission.")
    client.force_login(marketer)
    html = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert '<p class="msg error" data-job-field="error" >You need the Marketing contact access permission.</p>' in html
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
    with django_assert_max_num_queries(4):
        html = client.get(reverse("jobs:list")).content.decode()
    assert re.findall(r'data-job="(\d+)"', html) == [str(newer.pk), str(older.pk)]
    assert str(someone_elses.pk) not in re.findall(r'data-job="(\d+)"', html)
    assert f'href="{reverse("jobs:detail", args=[newer.pk])}">Set as marketing contacts #{newer.pk}<' in html
    assert "100% of 1,205" in html


def test_jobs_list_without_jobs_says_so(client, marketer):
    client.force_login(marketer)
    assert "You have not started any bulk job yet." in client.get(reverse("jobs:list")).content.decode()
