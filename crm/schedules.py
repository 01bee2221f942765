"""Every periodic task of the product, in one place (beat runs as a single instance).

A scheduled message is only a wake-up: each task finds its due work in the database, so a lost or
duplicated wake-up costs nothing but a delay.
"""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # R14: flip pending contacts and roll the billing period once its update date has passed
    # (`marketing_status.tasks`; the task kept the name it had when it lived in billing).
    "billing-renewals": {
        "task": "billing.tasks.renewals_run_task",
        "schedule": crontab(minute="*/5"),
    },
    # Jobs whose wake-up message was lost (Redis keeps nothing on disk) are re-enqueued.
    "jobs-resume-stalled": {
        "task": "jobs.tasks.jobs_resume_stalled_task",
        "schedule": crontab(minute="*"),
    },
    # Imports whose wake-up message was lost, or whose worker died mid-file, resume from their checkpoint.
    "imports-resume-stalled": {
        "task": "imports.tasks.imports_resume_stalled_task",
        "schedule": crontab(minute="*"),
    },
    # Workflows (R19): ended delays, retries due, switch-ons and change-feed batches whose wake-up was lost.
    "workflows-sweep": {
        "task": "workflows.tasks.workflows_sweep_task",
        "schedule": crontab(minute="*"),
    },
}
