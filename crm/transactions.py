"""After-commit callbacks that run once per transaction, however many writes of it ask for them."""

from collections.abc import Callable, Hashable

from django.db import connection, transaction


def on_commit_once(key: Hashable, func: Callable[[], object]) -> None:
    """`transaction.on_commit(func)`, unless a callback registered with the same `key` already waits for this
    transaction's commit: one wake-up per transaction (a demo load or a long chunk of writes), not one per
    write. A callback that a savepoint's rollback dropped no longer counts. Outside a transaction `func`
    runs at once, as `on_commit` does."""
    if any(getattr(entry[1], "once_key", None) == key for entry in connection.run_on_commit):
        return

    def callback() -> None:
        func()

    callback.once_key = key
    transaction.on_commit(callback)
