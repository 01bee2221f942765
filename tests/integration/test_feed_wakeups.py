"""The contacts change feed wakes its consumer with one waiting message, however many writes commit (R18,
issue 6: large traffic must not put one task per contact on the broker). On PostgreSQL with the Redis
broker; the queue is read in Redis itself, where the messages wait."""

import pytest
import redis
from django.conf import settings

from contacts.models import ContactChange, ContactChangeConsumer
from contacts.services import contact_update
from crm.celery import app as celery_app
from marketing_status.actors import Actor
from marketing_status.creation import contacts_create
from marketing_status.policy import CreationTool
from tests.workflows.conftest import with_perms
from workflows.enrollment import FEED_CONSUMER, FEED_TASK
from workflows.tasks import contact_changes_process_task

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue():
    """The broker's default queue, empty, with tasks sent to it rather than run inline."""
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    yield lambda: client.llen(celery_app.conf.task_default_queue)  # this test process's own queue
    celery_app.control.purge()
    client.close()


@pytest.fixture
def feed_on(db):
    ContactChangeConsumer.objects.create(name=FEED_CONSUMER, task=FEED_TASK, active=True)


@pytest.fixture
def editor(db) -> Actor:
    return Actor.for_user(with_perms("add_contact", "change_contact"))


def test_fifty_commits_send_one_wake_up_until_the_consumer_starts(queue, feed_on, editor):
    (contact,) = contacts_create(data=[{"email": "busy@example.com"}], tool=CreationTool.MANUAL, actor=editor)
    for n in range(49):  # each its own transaction, as fifty API requests would be
        contact_update(contact=contact, data={"first_name": f"Name {n}"}, actor=editor)
    assert ContactChange.objects.count() == 50
    assert queue() == 1  # the first commit's; the other 49 found it waiting

    contact_changes_process_task.apply()  # the consumer runs (in this process): the flag is reset first
    assert not ContactChange.objects.exists()
    contact_update(contact=contact, data={"first_name": "After"}, actor=editor)
    assert queue() == 2  # a write after the consumer started wakes it again
    assert ContactChange.objects.count() == 1


def test_without_redis_every_commit_sends_its_wake_up(queue, feed_on, editor, settings):
    """Without Redis to hold the flag (the embedded defaults), each write sends its own wake-up."""
    settings.REDIS_URL = ""
    (contact,) = contacts_create(data=[{"email": "plain@example.com"}], tool=CreationTool.MANUAL, actor=editor)
    contact_update(contact=contact, data={"first_name": "Again"}, actor=editor)
    assert queue() == 2
