"""R14 through a real Celery worker: a renewal task sent over Redis changes the PostgreSQL database.

The worker is a separate process (`celery -A crm worker --pool=solo`) on its own queue, connected to
this run's test database; the test sends `renewals_run_task` with the app out of eager mode and
waits for its result from the result backend.
"""

import datetime as dt
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from kombu import Exchange, Queue

from billing.models import BillingPeriod
from billing.policy import BillingCycle, HubTier
from billing.selectors import update_moment
from billing.services import subscription_create
from contacts.models import Contact
from crm.celery import app as celery_app
from marketing_status.services import marketing_contacts_enable
from marketing_status.tasks import renewals_run_task
from tests.integration.conftest import (
    PROJECT_DIR,
    WAIT_SECONDS,
    assert_renewal_done_once,
    make_contacts,
    stop_process,
    subprocess_env,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PENDING = 600


def _last_update_date(today: dt.date) -> dt.date:
    """The latest update date (R20) on or before `today`, for a monthly subscription renewing on the 15th."""
    return today.replace(day=15) if today.day >= 15 else (today.replace(day=1) - dt.timedelta(days=1)).replace(day=15)


@pytest.fixture
def due_period(marketer_actor, system_actor):
    """A subscription whose open period's update date has passed, with 600 pending and 20 marketing contacts.

    Set up the day before that update date (clock frozen there), so that the worker, running now,
    finds exactly one period due.
    """
    update_date = _last_update_date(timezone.localdate())
    with time_machine.travel(update_moment(update_date) - dt.timedelta(hours=12), tick=True):
        subscription_create(
            hub_tier=HubTier.STARTER,
            billing_cycle=BillingCycle.MONTHLY,
            contract_start=dt.date(2026, 1, 15),
            renewal_date=dt.date(2027, 1, 15),
            contact_tier_limit=1000,
            tier_block_size=1000,
        )
        marketing_contacts_enable(actor=system_actor)
        pending, marketing, _ = make_contacts(actor=marketer_actor, prefix="worker", pending=PENDING, marketing=20)
    period = BillingPeriod.objects.get(closed_at__isnull=True)
    assert period.update_at == update_moment(update_date) <= timezone.now()
    return period, pending, marketing


@pytest.fixture
def worker_queue():
    """A queue of this test's own, removed from the broker afterwards."""
    name = f"crm-integration-{uuid.uuid4().hex}"
    yield name
    with celery_app.connection_for_write() as connection:
        declared = Queue(name, Exchange(name, "direct"), routing_key=name)(connection.default_channel)
        declared.declare()  # so that this channel knows the binding it deletes
        declared.delete()


@pytest.fixture
def not_eager():
    """This test talks to a real worker: turn off the eager mode tests/conftest.py sets for every test."""
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = False


def _start_worker(queue: str, log: Path) -> subprocess.Popen:
    celery = Path(sys.executable).with_name("celery")
    env = subprocess_env(
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_RESULT_BACKEND=settings.CELERY_RESULT_BACKEND,
    )
    with open(log, "w") as output:
        return subprocess.Popen(
            [
                str(celery),
                "-A",
                "crm",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "-Q",
                queue,
                "-n",
                f"{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            cwd=PROJECT_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def test_r14_renewal_task_run_by_a_real_worker_flips_pending_contacts(due_period, worker_queue, not_eager, tmp_path):
    period, pending, marketing = due_period
    assert settings.CELERY_BROKER_URL.startswith("redis://") and settings.CELERY_RESULT_BACKEND
    assert Contact.objects.filter(marketable_until_renewal=True).count() == PENDING
    log = tmp_path / "worker.log"
    worker = _start_worker(worker_queue, log)
    try:
        result = renewals_run_task.apply_async(queue=worker_queue)
        assert not celery_app.conf.task_always_eager
        try:
            rolled = result.get(timeout=WAIT_SECONDS)
        except Exception as error:
            raise AssertionError(f"the worker did not run the task: {error!r}\n{log.read_text()}") from error
        finally:
            result.forget()
    finally:
        stop_process(worker)

    assert rolled == 1  # one billing period rolled
    assert f"Task billing.tasks.renewals_run_task[{result.id}] succeeded" in log.read_text()
    assert_renewal_done_once(period=period, pending_ids=pending, untouched_marketing=marketing)
    assert BillingPeriod.objects.get(closed_at__isnull=True).update_at > timezone.now()
