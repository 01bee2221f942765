"""Celery entry points of the workflow engine: thin wake-ups, the database holds the state (R19).

Every task finds its work in PostgreSQL, so a lost, duplicated or redelivered message costs nothing but
a delay (the beat sweeper, `workflows_sweep_task`, resends what was lost). Tasks are acknowledged late
and rejected when their worker dies (crm.settings), so a killed worker's task runs again; the steps it
had committed are not applied twice (`workflows.steps`). Transient errors (`TRANSIENT_ERRORS`: a database
or broker outage, a lock timeout, a downstream rate limit) are retried with exponential back-off and
no limit; the countdown stays below the broker's visibility timeout.
"""

from celery import shared_task

from contacts.models import ContactChange
from workflows import policy
from workflows.enrollment import FEED_TASK, contact_changes_process, workflow_enroll_existing
from workflows.errors import TRANSIENT_ERRORS
from workflows.steps import workflow_run, workflows_sweep

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True, "max_retries": None, "bind": True}


def _retry(task, error: Exception):
    return task.retry(exc=error, countdown=policy.retry_delay(task.request.retries + 1))


@shared_task(**RELIABLE)
def workflow_advance_task(self, workflow_id: int) -> int:
    """Run the workflow's due steps, chunk by chunk; re-enqueues itself while more are due."""
    try:
        return workflow_run(workflow_id=workflow_id)
    except TRANSIENT_ERRORS as error:
        raise _retry(self, error) from error


@shared_task(**RELIABLE)
def workflow_enroll_existing_task(self, workflow_id: int) -> int:
    """Enroll the contacts that met the triggers at switch-on, one committed chunk at a time."""
    chunks = 0
    try:
        while workflow_enroll_existing(workflow_id=workflow_id):
            chunks += 1
    except TRANSIENT_ERRORS as error:
        raise _retry(self, error) from error
    return chunks


@shared_task(**RELIABLE)
def contact_changes_process_task(self) -> int:
    """Drain the contacts change feed: evaluate changed contacts against the enabled workflows. Writes that
    commit from its start on send a new wake-up (`ContactChange.objects.wake_reset`)."""
    consumed = 0
    ContactChange.objects.wake_reset(FEED_TASK)
    try:
        while batch := contact_changes_process():
            consumed += batch
    except TRANSIENT_ERRORS as error:
        raise _retry(self, error) from error
    return consumed


@shared_task(**RELIABLE)
def workflows_sweep_task(self) -> int:
    """Beat, every minute: wake what is due or was lost (delays ended, retries due, lost messages)."""
    try:
        return workflows_sweep()
    except TRANSIENT_ERRORS as error:
        raise _retry(self, error) from error
