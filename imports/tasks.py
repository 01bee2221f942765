"""Celery entry points for imports: thin wake-ups; the import's row holds its state and checkpoint."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from imports.services import import_run, imports_resume_stalled


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=None,
)
def import_run_task(import_id: int) -> str:
    """Run or resume import `import_id`; a retry or a duplicate message resumes at its checkpoint."""
    return import_run(import_id=import_id).state


@shared_task
def imports_resume_stalled_task() -> int:
    return len(imports_resume_stalled())
