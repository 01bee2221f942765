"""Celery entry points for marketing status. Thin: they find their work in the database and call a service."""

from celery import shared_task
from django.db import OperationalError

from marketing_status.renewal import renewals_run


# The renewal moved here from billing (billing writes no contact status); it keeps its registered name,
# which beat's schedule (`crm.schedules`) and messages already queued carry.
@shared_task(
    name="billing.tasks.renewals_run_task",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=None,
)
def renewals_run_task() -> int:
    """R14, woken by beat: roll every billing period whose update date has come."""
    return len(renewals_run())
