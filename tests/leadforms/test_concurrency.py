"""R5 on PostgreSQL: two visitors submitting the same new email at once make one contact and two submissions.

The first submission is held inside its transaction (contact written, not committed) until the second
one waits for it: on the subscription's lock when the form creates marketing contacts (the lock every
marketing capture takes first), on the email's unique index when it does not. Either way the second
submission then matches the contact the first one created.
"""

import threading

import pytest

import leadforms.submissions
from contacts.models import Contact
from leadforms.models import FormSubmission
from leadforms.submissions import form_submit
from marketing_status.policy import CreationTool
from marketing_status.services import creation_tool_setting_set
from tests.integration.conftest import WAIT_SECONDS, backend_pid, run_threads, wait_until_blocked

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("marketing_on", [True, False], ids=["setting-on", "setting-off"])
def test_r5_simultaneous_submissions_of_one_new_email_make_one_contact(
    subscription, lead_form, marketer_actor, monkeypatch, marketing_on
):
    if not marketing_on:
        creation_tool_setting_set(
            tool=CreationTool.HUBSPOT_FORM,
            source_id=lead_form.source_id,
            marketing_on_create=False,
            actor=marketer_actor,
        )
    held, release, second_connected, pids = threading.Event(), threading.Event(), threading.Event(), {}
    record = leadforms.submissions._record

    def held_record(*args, **kwargs):
        if threading.current_thread().name == "first":
            held.set()
            assert release.wait(WAIT_SECONDS)
        return record(*args, **kwargs)

    monkeypatch.setattr(leadforms.submissions, "_record", held_record)

    def submit(name: str, first_name: str):
        def target():
            pids[name] = backend_pid()
            if name == "second":
                second_connected.set()
                assert held.wait(WAIT_SECONDS)
            return form_submit(
                form=lead_form, values={"email": "same@example.com", "company": "Acme", "firstname": first_name}
            )

        return target

    def release_when_second_waits():
        assert held.wait(WAIT_SECONDS) and second_connected.wait(WAIT_SECONDS)
        wait_until_blocked(waiter=pids["second"], holder=pids["first"])
        release.set()

    results = run_threads(
        {"first": submit("first", "Ada"), "second": submit("second", "Grace"), "referee": release_when_second_waits}
    )
    contact = Contact.objects.get()
    assert (results["first"].created, results["second"].created) == (True, False)
    assert {results["first"].contact_id, results["second"].contact_id} == {contact.pk}
    assert FormSubmission.objects.count() == 2
    assert (contact.marketable_status, contact.first_name) == (marketing_on, "Grace")  # the later values win
