"""One date format on every screen (crm.formats), in the account's time zone (settings.TIME_ZONE)."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils.formats import date_format

from contacts.models import Contact
from contacts.selection import Selection
from jobs.models import Job
from tests.factories import contacts_make

pytestmark = pytest.mark.django_db

MOMENT = dt.datetime(2026, 3, 5, 13, 30, tzinfo=dt.UTC)  # 14:30 in Stockholm (CET)
ALLOWED = {"DATE_FORMAT", "DATETIME_FORMAT", "l"}  # "l": the weekday name before a date on the booking page


@pytest.fixture
def stockholm(settings):
    settings.TIME_ZONE = "Europe/Stockholm"


def test_the_format_module_defines_the_one_date_and_date_time_format():
    assert date_format(dt.date(2026, 3, 5)) == "5 Mar 2026"
    assert date_format(dt.datetime(2026, 3, 5, 14, 30), "DATETIME_FORMAT") == "5 Mar 2026, 14:30"
    assert date_format(dt.date(2026, 3, 5), "SHORT_DATE_FORMAT") == "5 Mar 2026"
    assert date_format(dt.date(2026, 3, 5), "MONTH_DAY_FORMAT") == "5 Mar"  # chart axes only


def test_templates_format_dates_only_with_the_named_formats():
    root = Path(django_settings.BASE_DIR) / "templates"
    used = {
        (path.relative_to(root).as_posix(), fmt)
        for path in root.rglob("*.html")
        for fmt in re.findall(r"\|date:[\"']([^\"']*)[\"']", path.read_text())
    }
    assert {entry for entry in used if entry[1] not in ALLOWED} == set()


def test_the_job_page_and_its_status_show_times_in_the_account_time_zone(client, marketer, stockholm):
    job = Job.objects.create(
        created_by=marketer,
        kind=Job.Kind.SET_MARKETING,
        selection=Selection(all_matching=True).to_dict(),
        total=3,
        state=Job.State.DONE,
        processed=3,
        started_at=MOMENT,
        finished_at=MOMENT + dt.timedelta(minutes=2),
    )
    client.force_login(marketer)
    html = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    status = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert 'data-job-field="started_at">5 Mar 2026, 14:30<' in html
    assert 'data-job-field="finished_at">5 Mar 2026, 14:32<' in html
    assert (status["started_at"], status["finished_at"]) == ("5 Mar 2026, 14:30", "5 Mar 2026, 14:32")


def test_the_contacts_index_shows_the_creation_time_in_the_account_time_zone(
    client, subscription, marketer, marketer_actor, stockholm
):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    Contact.objects.filter(pk=contact.pk).update(created_at=MOMENT)
    client.force_login(marketer)
    html = client.get(reverse("contacts:index")).content.decode()
    assert "5 Mar 2026, 14:30" in html
    assert "13:30" not in html
