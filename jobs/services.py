"""Bulk changes of contacts: small ones at once, large ones as a resumable job (R15, R16, R22).

A job walks its selection in id order. Each chunk runs the same service a small change would
call, and records the checkpoint and counts in the same transaction, with the job row locked: so
a rerun (after a kill, or a duplicate wake-up) resumes after the last committed chunk and counts
nothing twice, and the services' guards change nothing twice.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing.selectors import subscription_get
from contacts.models import ContactList
from contacts.selection import Selection
from contacts.services import contact_list_add, contacts_archive
from crm.tasks import task_send, task_send_on_commit
from jobs.models import Job
from marketing_status.actors import Actor, MarketingStatusPermissionDenied
from marketing_status.creation import contacts_restore, restore_ensure_allowed
from marketing_status.selectors import billing_impact_get
from marketing_status.services import (
    MarketingContactsNotEnabled,
    TierGuardRefused,
    contacts_set_marketing,
    contacts_set_non_marketing,
    tier_guard_apply,
)

logger = logging.getLogger(__name__)

JOB_RUN_TASK = "jobs.tasks.job_run_task"
INLINE_LIMIT = 1000  # at most this many contacts change within the request
STALLED_AFTER = timedelta(minutes=5)
REFUSALS = (MarketingStatusPermissionDenied, MarketingContactsNotEnabled, TierGuardRefused)


@dataclass(frozen=True)
class Counts:
    changed: int = 0
    unchanged: int = 0
    refused: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(self.changed + other.changed, self.unchanged + other.unchanged, self.refused + other.refused)


@dataclass(frozen=True)
class BulkOutcome:
    """What `bulk_change_start` did: the counts of an inline change, or the job it queued."""

    job: Job | None
    counts: Counts
    total: int


def _check_allowed(kind: str, actor: Actor, selection: Selection) -> None:
    """R30 and Django permissions, checked before anything runs (and again by the services)."""
    if kind in (Job.Kind.SET_MARKETING, Job.Kind.SET_NON_MARKETING):
        actor.ensure_may_change_status()
    elif not actor.user.has_perm(
        "contacts.delete_contact" if kind != Job.Kind.ADD_TO_LIST else "contacts.change_contact"
    ):
        raise MarketingStatusPermissionDenied("You do not have permission to do this to contacts.")
    elif kind == Job.Kind.RESTORE:
        restore_ensure_allowed(contacts=selection.queryset(), actor=actor)  # R22: back on the bill


def _apply(kind: str, ids: list[int], actor: Actor, params: dict) -> Counts:
    if kind == Job.Kind.SET_MARKETING:
        result = contacts_set_marketing(
            contacts=ids, actor=actor, confirm_tier_upgrade=bool(params.get("confirm_tier_upgrade"))
        )
        return Counts(result.changed, result.unchanged)
    if kind == Job.Kind.SET_NON_MARKETING:
        result = contacts_set_non_marketing(contacts=ids, actor=actor)
        return Counts(result.changed, result.unchanged)
    if kind == Job.Kind.ARCHIVE:
        archived = contacts_archive(contacts=ids, actor=actor)
        return Counts(archived, len(ids) - archived)
    if kind == Job.Kind.RESTORE:
        restored = contacts_restore(contacts=ids, actor=actor)
        return Counts(restored.restored, len(ids) - restored.restored - restored.refused, restored.refused)
    if kind == Job.Kind.ADD_TO_LIST:
        contact_list = ContactList.objects.get(pk=params["list_id"])
        added = contact_list_add(contact_list=contact_list, contacts=ids, actor=actor)
        return Counts(added, len(ids) - added)
    raise ValueError(f"unknown bulk change {kind!r}")


def bulk_change_start(*, kind: str, selection: Selection, user, params: dict | None = None) -> BulkOutcome:
    """Apply a bulk change now when it touches at most `INLINE_LIMIT` contacts, else queue a job.

    Refusals (permission, tier guard, marketing contacts not enabled) are raised before anything
    changes. The job's task is enqueued after commit.
    """
    params = params or {}
    actor = Actor.for_user(user)
    _check_allowed(kind, actor, selection)
    queryset = selection.queryset()
    total = queryset.count()
    if total <= INLINE_LIMIT:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        return BulkOutcome(job=None, counts=_apply(kind, ids, actor, params), total=total)
    if kind == Job.Kind.SET_MARKETING:  # B4: refuse in the request rather than fail in the worker
        tier_guard_apply(
            subscription=subscription_get(),
            confirmed=bool(params.get("confirm_tier_upgrade")),
            attended=True,
            impact=lambda: billing_impact_get(contacts=queryset, to_marketing=True),
        )
    job = Job.objects.create(
        kind=kind,
        selection=selection.to_dict(),
        params=params,
        total=total,
        created_by=user,
        heartbeat_at=timezone.now(),
    )
    task_send_on_commit(JOB_RUN_TASK, job.pk)
    return BulkOutcome(job=job, counts=Counts(), total=total)


def job_run(*, job_id: int, chunk_size: int | None = None) -> Job:
    """Run (or resume) a job to the end. Safe to call twice at once: chunks serialise on the job row."""
    chunk_size = chunk_size or INLINE_LIMIT
    now = timezone.now()
    Job.objects.filter(pk=job_id, state__in=[Job.State.QUEUED, Job.State.RUNNING]).update(
        state=Job.State.RUNNING, heartbeat_at=now
    )
    Job.objects.filter(pk=job_id, started_at__isnull=True).update(started_at=now)
    try:
        while _job_run_chunk(job_id, chunk_size):
            pass
    except REFUSALS as refusal:
        Job.objects.filter(pk=job_id, state=Job.State.RUNNING).update(
            state=Job.State.FAILED, error=str(refusal), finished_at=timezone.now()
        )
    return Job.objects.get(pk=job_id)


def _job_run_chunk(job_id: int, chunk_size: int) -> bool:
    """One chunk and its checkpoint in one transaction; False once the job is finished."""
    with transaction.atomic():
        # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the created_by outer join.
        job = Job.objects.select_for_update(of=("self",)).select_related("created_by").get(pk=job_id)
        if job.state != Job.State.RUNNING:
            return False
        queryset = Selection.from_dict(job.selection).queryset()
        ids = list(queryset.filter(pk__gt=job.checkpoint_id).order_by("pk").values_list("pk", flat=True)[:chunk_size])
        now = timezone.now()
        if not ids:
            Job.objects.filter(pk=job.pk).update(state=Job.State.DONE, finished_at=now, heartbeat_at=now)
            return False
        counts = _apply(job.kind, ids, Actor.for_user(job.created_by), job.params)
        Job.objects.filter(pk=job.pk).update(
            checkpoint_id=ids[-1],
            processed=F("processed") + len(ids),
            changed=F("changed") + counts.changed,
            unchanged=F("unchanged") + counts.unchanged,
            refused=F("refused") + counts.refused,
            heartbeat_at=now,
        )
    return True


def jobs_resume_stalled(*, now=None) -> list[int]:
    """Re-enqueue jobs whose message was lost (queued, or running with no heartbeat for a while)."""
    now = now or timezone.now()
    stalled = list(
        Job.objects.filter(state__in=[Job.State.QUEUED, Job.State.RUNNING])
        .filter(heartbeat_at__lt=now - STALLED_AFTER)
        .values_list("pk", flat=True)
    ) + list(
        Job.objects.filter(
            state=Job.State.QUEUED, heartbeat_at__isnull=True, created_at__lt=now - STALLED_AFTER
        ).values_list("pk", flat=True)
    )
    for job_id in stalled:
        logger.warning("re-enqueueing stalled job %s", job_id)
        task_send(JOB_RUN_TASK, job_id)
    return stalled
