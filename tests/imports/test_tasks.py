"""The job's wake-ups: enqueued after commit only, acknowledged late and retried on transient errors, and the
sweeper that re-enqueues stalled imports and cleans finished and abandoned ones."""

import datetime as dt

import pytest
from django.db import OperationalError

from imports import tasks
from imports.models import Import, ImportSeenEmail
from imports.services import import_create, import_run, import_upload, imports_resume_stalled
from tests.conftest import FROZEN_START
from tests.imports.conftest import csv_bytes, run_import, upload

pytestmark = pytest.mark.django_db

ROWS = [["Email"], ["ada@example.com"]]


def _files():
    return {"contacts": upload(csv_bytes(ROWS))}


def test_the_job_is_enqueued_after_commit_and_not_before(
    subscription, importer_actor, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(tasks.import_run_task, "delay", lambda import_id: sent.append(import_id))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        imp = import_create(files=_files(), kind="single", actor=importer_actor)
    assert sent == []  # nothing before commit
    for callback in callbacks:
        callback()

    assert sent == [imp.pk]


def test_the_task_runs_the_import_and_is_acknowledged_late(subscription, importer_actor):
    imp = import_create(files=_files(), kind="single", actor=importer_actor)

    assert tasks.import_run_task.delay(imp.pk).get() == "done"
    assert tasks.import_run_task.acks_late is True
    assert tasks.import_run_task.reject_on_worker_lost is True
    assert OperationalError in tasks.import_run_task.autoretry_for


def test_a_transient_database_error_leaves_the_import_running_at_its_checkpoint(
    subscription, importer_actor, monkeypatch
):
    from imports import writers

    imp = import_create(files=_files(), kind="single", actor=importer_actor)

    def outage(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("imports.services.contacts_chunk_write", outage)
    with pytest.raises(OperationalError):
        import_run(import_id=imp.pk)
    imp.refresh_from_db()
    assert (imp.state, imp.rows, imp.checkpoint_row) == (Import.State.RUNNING, 0, 0)  # for the retry

    monkeypatch.setattr("imports.services.contacts_chunk_write", writers.contacts_chunk_write)
    assert import_run(import_id=imp.pk).created == 1


def test_sweeper_re_enqueues_imports_whose_heartbeat_stopped(
    frozen_subscription, frozen_clock, importer_actor, monkeypatch
):
    sent = []
    monkeypatch.setattr(tasks.import_run_task, "delay", lambda import_id: sent.append(import_id))
    stalled = import_create(files=_files(), kind="single", actor=importer_actor)
    frozen_clock.shift(dt.timedelta(minutes=4))
    fresh = import_create(files=_files(), kind="single", actor=importer_actor)
    frozen_clock.shift(dt.timedelta(minutes=2))

    assert imports_resume_stalled() == [stalled.pk]
    assert sent == [stalled.pk]
    stalled.refresh_from_db()
    assert stalled.heartbeat_at == FROZEN_START + dt.timedelta(minutes=6)  # one wake-up per period, not per minute
    assert imports_resume_stalled() == []
    assert Import.objects.get(pk=fresh.pk).state == Import.State.QUEUED


def test_sweeper_cleans_finished_imports_and_old_drafts(frozen_subscription, frozen_clock, importer_actor, settings):
    done = run_import(actor=importer_actor, contacts=ROWS)
    Import.objects.filter(pk=done.pk).update(cleaned_at=None)  # as if its clean-up was interrupted
    ImportSeenEmail.objects.create(import_job_id=done.pk, email="left@example.com", row_number=2)
    draft = import_upload(files=_files(), kind="single", actor=importer_actor)
    frozen_clock.shift(dt.timedelta(days=1, minutes=1))

    assert imports_resume_stalled() == []

    assert not Import.objects.filter(pk=draft.pk).exists()
    assert Import.objects.get(pk=done.pk).cleaned_at is not None
    assert not ImportSeenEmail.objects.exists()
    assert not any(path.is_file() for path in settings.MEDIA_ROOT.rglob("*"))
