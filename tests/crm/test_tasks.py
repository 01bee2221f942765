"""`crm.tasks`: services wake tasks by name, after commit, once per transaction; the names are the tasks' own."""

import pytest
from celery import shared_task
from django.db import transaction

from billing.services import TIER_NOTICE_SEND_TASK
from crm import tasks
from crm.celery import app
from crm.schedules import BEAT_SCHEDULE
from imports.services import IMPORT_RUN_TASK
from jobs.services import JOB_RUN_TASK
from workflows.enrollment import ADVANCE_TASK, ENROLL_EXISTING_TASK, FEED_TASK

pytestmark = pytest.mark.django_db

RAN: list[tuple] = []


@shared_task(name="tests.crm.test_tasks.record")
def record(*args):
    RAN.append(args)
    return len(args)


@pytest.fixture(autouse=True)
def _ran():
    RAN.clear()
    yield
    RAN.clear()


def test_every_task_a_service_or_the_schedule_names_is_registered_under_that_name():
    app.loader.import_default_modules()
    names = [TIER_NOTICE_SEND_TASK, IMPORT_RUN_TASK, JOB_RUN_TASK, ADVANCE_TASK, ENROLL_EXISTING_TASK, FEED_TASK]
    names += [entry["task"] for entry in BEAT_SCHEDULE.values()]
    assert [name for name in names if name not in app.tasks] == []


def test_task_send_runs_the_task_by_name():
    tasks.task_send("tests.crm.test_tasks.record", 1, 2)
    assert RAN == [(1, 2)]


def test_a_task_is_sent_after_commit_once_however_many_writes_ask(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tasks.task_send_on_commit("tests.crm.test_tasks.record", 7)
        tasks.task_send_on_commit("tests.crm.test_tasks.record", 7)
        tasks.task_send_on_commit("tests.crm.test_tasks.record", 8)
        assert RAN == []  # nothing before the commit
    assert len(callbacks) == 2
    assert RAN == [(7,), (8,)]


def test_a_rolled_back_transaction_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                tasks.task_send_on_commit("tests.crm.test_tasks.record", 9)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert RAN == []
