"""Pages of long bulk changes: the user's recent jobs, one job's progress, and the status it polls.

Everything shown comes from the job row, so a reload (or another tab) shows the same state. A job
is visible to the user who started it and to staff; to anyone else it does not exist (404).
"""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.formats import date_format

from jobs.models import Job

RECENT_JOBS = 50


def _visible_jobs(user):
    jobs = Job.objects.select_related("created_by")
    return jobs if user.is_staff else jobs.filter(created_by=user)


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT") if moment else ""


def job_payload(job: Job) -> dict:
    """What the job page polls: state, progress and counts."""
    return {
        "id": job.pk,
        "kind": job.kind,
        "state": job.state,
        "state_label": job.get_state_display(),
        "finished": job.state in (Job.State.DONE, Job.State.FAILED),
        "percent": job.percent,
        "total": job.total,
        "processed": job.processed,
        "changed": job.changed,
        "unchanged": job.unchanged,
        "refused": job.refused,
        "error": job.error,
        "started_at": _when(job.started_at),
        "finished_at": _when(job.finished_at),
    }


@login_required
def job_list(request):
    jobs = Job.objects.filter(created_by=request.user).order_by("-created_at", "-pk")[:RECENT_JOBS]
    return render(request, "jobs/list.html", {"title": "Jobs", "section": "contacts", "jobs": jobs})


@login_required
def job_detail(request, pk: int):
    job = get_object_or_404(_visible_jobs(request.user), pk=pk)
    context = {"title": f"{job.get_kind_display()} #{job.pk}", "section": "contacts", "job": job}
    return render(request, "jobs/detail.html", context)


@login_required
def job_status(request, pk: int):
    job = get_object_or_404(_visible_jobs(request.user), pk=pk)
    return JsonResponse(job_payload(job), headers={"Cache-Control": "no-store"})
