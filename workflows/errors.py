"""Errors of the workflow engine.

`TransientError` is what a step raises when it cannot run *now* for a reason that passes (a downstream
rate limit, a service briefly away): the engine retries it with back-off until it succeeds (R19), as it
does for the database's own transient errors (`TRANSIENT_ERRORS`).
"""

from django.db import InterfaceError, OperationalError


class TransientError(Exception):
    """A step could not run now and must be tried again later (R19). Nothing of the chunk was kept."""


class WorkflowInvalid(Exception):
    """The workflow cannot be saved or switched on as given. Nothing was changed.

    `errors` maps where the problem is to a message fit to show on a form: `name`, `triggers`,
    `triggers.<group>`, `triggers.<group>.<filter>`, `actions`, `actions.<index>`.
    """

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))


# Database outages, dropped connections, lock timeouts and deadlocks are all OperationalError (or
# InterfaceError for a connection already closed) in Django's wrapping of psycopg.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, TransientError)
