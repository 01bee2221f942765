"""Pages of long bulk changes: the user's recent jobs, one job's progress, and the status it polls.

Everything shown comes from the job row, so a reload (or another tab) shows the same state. A job
is visible to the user who started it and to staff; to anyone else it does not exist (404).
"""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from contacts.selection import Selection
from jobs.models import Job

RECENT_JOBS = 50


def _visible_jobs(user):
    jobs = Job.objects.select_related("created_by")
    return jobs if user.is_staff else jobs.filter(created_by=user)


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT") if moment else ""


DONE_WORDING = {
    Job.Kind.SET_MARKETING: "set as marketing contacts",
    Job.Kind.SET_NON_MARKETING: "set as non-marketing from the next update date",
    Job.Kind.ARCHIVE: "deleted",
    Job.Kind.RESTORE: "restored",
    Job.Kind.ADD_TO_LIST: "added to the list",
}


def _contacts(count: int) -> str:
    return f"{count:,} contact{'' if count == 1 else 's'}"


def job_message(job: Job) -> str:
    """The job page's headline, which changes as the job runs, ends or fails."""
    if job.state == Job.State.DONE:
        counts = ((job.unchanged, "unchanged"), (job.refused, "refused"))
        others = ", ".join(f"{count:,} {what}" for count, what in counts if count)
        return f"Done: {_contacts(job.changed)} {DONE_WORDING[job.kind]}" + (f" ({others})." if others else ".")
    if job.state == Job.State.FAILED:
        return f"Failed after {job.processed:,} of {_contacts(job.total)}; the rest were not changed."
    if job.state == Job.State.RUNNING:
        return f"Running: {job.processed:,} of {_contacts(job.total)} processed. You can leave this page."
    return f"Queued: {_contacts(job.total)} will be processed shortly. You can leave this page."


def job_contacts_url(job: Job) -> str:
    """The contacts the job worked on, in the index (the recycle bin for deletions): the list it added
    to, or the view it ran on; picked contacts have no view and get no link."""
    selection = Selection.from_dict(job.selection)
    if job.kind == Job.Kind.ARCHIVE:
        return reverse("contacts:recycle_bin")
    if job.kind == Job.Kind.ADD_TO_LIST and job.params.get("list_id"):
        return f"{reverse('contacts:index')}?{urlencode({'list': job.params['list_id']})}"
    if selection.all_matching and not selection.archived:
        return f"{reverse('contacts:index')}?{selection.query}" if selection.query else reverse("contacts:index")
    return ""


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
        "message": job_message(job),
        "contacts_url": job_contacts_url(job) if job.state == Job.State.DONE else "",
    }


@login_required
def job_list(request):
    jobs = Job.objects.filter(created_by=request.user).order_by("-created_at", "-pk")[:RECENT_JOBS]
    return render(request, "jobs/list.html", {"title": "Jobs", "section": "contacts", "jobs": jobs})


@login_required
def job_detail(request, pk: int):
    job = get_object_or_404(_visible_jobs(request.user), pk=pk)
    context = {
        "title": f"{job.get_kind_display()} #{job.pk}",
        "section": "contacts",
        "job": job,
        "message": job_message(job),
        "contacts_url": job_contacts_url(job),
    }
    return render(request, "jobs/detail.html", context)


@login_required
def job_status(request, pk: int):
    job = get_object_or_404(_visible_jobs(request.user), pk=pk)
    return JsonResponse(job_payload(job), headers={"Cache-Control": "no-store"})
