"""R4 as a job: chunks commit with their checkpoint, so an import stopped midway and run again resumes after
the last committed chunk, imports no row twice and finds duplicates across chunks; a chunk that loses a race
for an email is read again. (tests/imports/test_kill.py kills a real process on PostgreSQL.)"""

import pytest

from contacts.models import Contact
from imports import writers
from imports.models import Import
from imports.services import import_create, import_run
from marketing_status.creation import contacts_create
from marketing_status.models import MarketingStatusChange
from marketing_status.policy import CreationTool
from tests.factories import contacts_make
from tests.imports.conftest import csv_bytes, upload

pytestmark = pytest.mark.django_db

ROWS = [["Email", "First Name"]] + [[f"p{n}@example.com", f"P{n}"] for n in range(1, 11)]


class Stop(BaseException):
    """Stands for the process dying: not an error the import could catch and record."""


def _queued(actor, rows=ROWS, **options) -> Import:
    return import_create(files={"contacts": upload(csv_bytes(rows))}, kind="single", actor=actor, **options)


def _stop_after(chunks: int):
    seen = []

    def on_chunk(imp):
        seen.append(imp.rows)
        if len(seen) == chunks:
            raise Stop

    return on_chunk, seen


def test_r4_an_import_stopped_after_a_chunk_resumes_at_its_checkpoint(subscription, importer_actor):
    imp = _queued(importer_actor, marketing=True)
    on_chunk, seen = _stop_after(2)

    with pytest.raises(Stop):
        import_run(import_id=imp.pk, chunk_rows=3, on_chunk=on_chunk)

    imp.refresh_from_db()
    assert seen == [3, 6]
    assert (imp.state, imp.rows, imp.created, imp.checkpoint_row) == (Import.State.RUNNING, 6, 6, 7)
    assert Contact.objects.count() == 6

    done = import_run(import_id=imp.pk, chunk_rows=3)

    assert (done.state, done.rows, done.created, done.errors) == (Import.State.DONE, 10, 10, 0)
    assert sorted(Contact.objects.values_list("email", flat=True)) == sorted(row[0] for row in ROWS[1:])
    history = MarketingStatusChange.objects.filter(actor_type="IMPORT", actor_id=str(imp.pk))
    assert history.count() == 10
    assert history.values("contact").distinct().count() == 10
    assert import_run(import_id=imp.pk).rows == 10  # a late duplicate wake-up changes nothing


def test_r4_duplicates_are_found_across_chunks_and_after_a_restart(subscription, importer_actor, marketer_actor):
    (existing,) = contacts_make(count=1, actor=marketer_actor)
    rows = [
        ["Email", "First Name"],
        ["new@example.com", "first"],  # row 2: created
        [existing.email, "first"],  # row 3: updated
        ["x@example.com", "x"],
        ["NEW@example.com", "again"],  # row 5: created by row 2
        [existing.email.upper(), "again"],  # row 6: updated by row 3
    ]
    imp = _queued(importer_actor, rows=rows)
    on_chunk, _ = _stop_after(1)
    with pytest.raises(Stop):
        import_run(import_id=imp.pk, chunk_rows=2, on_chunk=on_chunk)

    done = import_run(import_id=imp.pk, chunk_rows=2)

    assert list(done.row_errors.values_list("row_number", "reason")) == [
        (
            5,
            "Duplicate: an earlier row of this file has the same email (new@example.com); only the first row with it "
            "is imported.",
        ),
        (
            6,
            f"Duplicate: row 3 of this file has the same email ({existing.email}); only the first row with it is "
            "imported.",
        ),
    ]
    assert (done.rows, done.created, done.updated, done.errors) == (5, 2, 1, 2)
    assert dict(Contact.objects.values_list("email", "first_name")) == {
        "new@example.com": "first",
        existing.email: "first",
        "x@example.com": "x",
    }


def test_r4_a_chunk_that_loses_a_race_for_an_email_is_read_again(
    subscription, importer_actor, marketer_actor, monkeypatch
):
    imp = _queued(importer_actor)
    # A form creates p3@example.com after the chunk looked it up: the chunk's insert then hits the unique email.
    (raced,) = contacts_create(data=[{"email": "p3@example.com"}], tool=CreationTool.MANUAL, actor=marketer_actor)
    real = writers._existing_locked
    calls = []

    def stale_once(emails):
        calls.append(len(emails))
        found = real(emails)
        return {} if len(calls) == 1 else found

    monkeypatch.setattr(writers, "_existing_locked", stale_once)
    done = import_run(import_id=imp.pk, chunk_rows=5)

    assert calls == [5, 5, 5]  # the first chunk twice, the second once
    assert (done.state, done.created, done.updated, done.errors) == (Import.State.DONE, 9, 1, 0)
    assert Contact.objects.filter(email="p3@example.com").get().pk == raced.pk
    assert Contact.objects.count() == 10
