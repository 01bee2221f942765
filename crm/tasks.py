"""Sending Celery tasks by name: the one way a service wakes a task, so no service imports its tasks module.

Tasks import the services they call; services name the task they wake (`"<app>.tasks.<function>"`, the
name Celery gives a task and the one `crm.schedules` uses) and send it through here. A message is only
a wake-up: the task finds its work in the database, so a lost one costs a delay until a sweeper resends.
"""

from typing import Any

from crm.celery import app
from crm.transactions import on_commit_once


def task_send(name: str, *args: Any) -> None:
    """Send task `name(*args)` now (run inline where tasks are eager, as in tests)."""
    if name not in app.tasks:
        app.loader.import_default_modules()  # Celery's autodiscovery registers it (eager runs need that)
    app.tasks[name].delay(*args)


def task_send_on_commit(name: str, *args: Any) -> None:
    """Send task `name(*args)` once this transaction commits (at once outside one), once however many writes
    of the transaction ask for it; never if it rolls back (STYLE 4: no `.delay()` inside a transaction)."""
    on_commit_once((name, args), lambda: task_send(name, *args))
