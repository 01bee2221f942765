"""Reads of the engine for the screens: counts per state (one query for the list), history, a contact's
enrollments."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import contacts_make
from tests.workflows.conftest import drain, make_workflow
from workflows.definitions import ActionSpec
from workflows.models import Enrollment
from workflows.selectors import (
    contact_enrollments,
    non_marketing_offered,
    workflow_counts,
    workflow_history,
    workflow_matching_count,
    workflows_list,
    workflows_page,
)


@pytest.fixture
def mixed(subscription, automator_actor):
    """One workflow with enrollments in every state: 2 completed, 1 failed, 1 retrying, 1 active, 1 waiting."""
    contacts = contacts_make(count=6, actor=automator_actor, lifecycle_stage="lead")
    workflow = make_workflow(automator_actor, enable=True, existing=True)
    drain()
    states = ["COMPLETED", "COMPLETED", "FAILED", "RETRYING", "ACTIVE", "WAITING"]
    for contact, state in zip(contacts, states, strict=True):
        Enrollment.objects.filter(contact=contact).update(state=state)
    return workflow, contacts


def test_workflows_list_counts_enrollments_per_state_in_one_query(mixed, automator_actor):
    workflow, _ = mixed
    make_workflow(automator_actor, name="Empty", actions=[ActionSpec("DELAY", {"seconds": 60})])
    with CaptureQueriesContext(connection) as queries:
        rows = {w.name: w for w in workflows_list()}
    assert len(queries) == 1
    counted = rows[workflow.name]
    assert (counted.enrolled_count, counted.active_count, counted.completed_count) == (6, 2, 2)
    assert (counted.failed_count, counted.retrying_count) == (1, 1)
    assert rows["Empty"].enrolled_count == 0
    assert workflow_counts(workflow=workflow).__dict__ == {
        "enrolled_count": 6,
        "active_count": 2,
        "completed_count": 2,
        "failed_count": 1,
        "retrying_count": 1,
    }
    page = {w.name: w for w in workflows_page()}
    assert page[workflow.name].last_change_what == "Switched on, enrolling 6 existing contacts"


def test_history_newest_first_and_a_contacts_enrollments(mixed):
    workflow, contacts = mixed
    history = list(workflow_history(workflow=workflow))
    assert len(history) == 6
    assert [step.finished_at for step in history] == sorted((s.finished_at for s in history), reverse=True)
    with CaptureQueriesContext(connection) as queries:
        assert {step.enrollment.contact.email for step in history} == {c.email for c in contacts}
    assert len(queries) == 0  # contacts came with the steps
    (enrollment,) = contact_enrollments(contact=contacts[0])
    assert enrollment.workflow == workflow and [s.position for s in enrollment.steps.all()] == [0]


def test_matching_count_and_the_tier_offer(subscription, automator_actor):
    contacts_make(count=3, actor=automator_actor, lifecycle_stage="lead")
    contacts_make(count=1, actor=automator_actor)
    assert workflow_matching_count(workflow=make_workflow(automator_actor)) == 3
    assert non_marketing_offered() is False  # Starter (R18)
    subscription.hub_tier = "enterprise"
    subscription.save(update_fields=["hub_tier"])
    assert non_marketing_offered() is True
