"""Celery entry points for jobs: thin wake-ups; the job row holds the state."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from jobs.services import job_run, jobs_resume_stalled


@shared_task(
    autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, retry_backoff_max=300, max_retries=None
)
def job_run_task(job_id: int) -> str:
    return job_run(job_id=job_id).state


@shared_task
def jobs_resume_stalled_task() -> int:
    return len(jobs_resume_stalled())
