"""`crm.transactions.on_commit_once`: one after-commit callback per key and transaction (the change feed's
and the workflow engine's wake-ups, R18)."""

import pytest
from django.db import transaction

from crm.transactions import on_commit_once

pytestmark = pytest.mark.django_db


def test_the_same_key_runs_once_per_transaction_and_other_keys_run_too(django_capture_on_commit_callbacks):
    ran = []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for n in range(5):
            on_commit_once("feed", lambda n=n: ran.append(("feed", n)))
        on_commit_once(("advance", 7), lambda: ran.append("advance 7"))
        on_commit_once(("advance", 8), lambda: ran.append("advance 8"))
        assert ran == []  # nothing before the commit
    assert len(callbacks) == 3
    assert ran == [("feed", 0), "advance 7", "advance 8"]


def test_a_callback_dropped_by_a_savepoint_rollback_is_registered_again(django_capture_on_commit_callbacks):
    ran = []
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                on_commit_once("feed", lambda: ran.append("rolled back"))
                raise RuntimeError("the savepoint's writes are undone, and its callbacks with them")
        except RuntimeError:
            pass
        on_commit_once("feed", lambda: ran.append("after"))
        on_commit_once("feed", lambda: ran.append("twice"))
    assert ran == ["after"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_each_call_runs_at_once():
    ran = []
    on_commit_once("feed", lambda: ran.append(1))
    on_commit_once("feed", lambda: ran.append(2))
    assert ran == [1, 2]
