from contacts.models import Contact
from contacts.selection import Selection
from jobs.models import Job
from jobs.services import bulk_change_start, job_run
from marketing_status.creation import contacts_create
from marketing_status.policy import CreationTool


def test_job_resumes(subscription, marketer, marketer_actor, django_capture_on_commit_callbacks):
    contacts_create(
        data=[{"email": f"j{i}@x.com"} for i in range(1205)], tool=CreationTool.MANUAL, actor=marketer_actor
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outcome = bulk_change_start(kind=Job.Kind.SET_MARKETING, selection=Selection(all_matching=True), user=marketer)
    assert outcome.job is not None and len(callbacks) == 1
    job = job_run(job_id=outcome.job.pk, chunk_size=500)
    assert (job.state, job.processed, job.changed, job.unchanged) == ("done", 1205, 1205, 0)
    assert Contact.objects.filter(marketable_status=True).count() == 1205
    assert job_run(job_id=job.pk).changed == 1205
