"""Enrollment steps: each action, its outcome per contact (R10–R13, R18, R22), delays on a frozen clock,
re-enrollment, a step never applied twice, and transient failures retried (R19)."""

import datetime as dt

import pytest
from django.db import IntegrityError, OperationalError, transaction

from billing.models import Subscription
from contacts.models import Contact, ContactList, ContactListMembership
from contacts.services import contact_list_add, contact_update, contacts_archive
from marketing_status.models import MarketingStatusChange
from marketing_status.services import contacts_set_marketing
from tests.factories import contacts_make
from tests.workflows.conftest import LEAD, SET_MARKETING, SET_NON_MARKETING, drain, make_workflow
from workflows import steps
from workflows.definitions import ActionSpec, workflow_disable, workflow_enable
from workflows.enrollment import contact_changes_process, workflow_enroll_existing
from workflows.errors import TransientError
from workflows.models import Enrollment, EnrollmentStep, Workflow
from workflows.policy import R18_REFUSAL
from workflows.steps import workflow_advance, workflow_run, workflows_sweep


def _steps(workflow) -> list[tuple]:
    return list(
        EnrollmentStep.objects.filter(workflow=workflow)
        .order_by("enrollment__contact_id", "position")
        .values_list("enrollment__contact_id", "position", "kind", "outcome", "detail")
    )


def _states(workflow) -> dict[int, str]:
    return dict(Enrollment.objects.filter(workflow=workflow).values_list("contact_id", "state"))


def _status(contact) -> tuple:
    contact = Contact.objects.get(pk=contact.pk)
    return (
        contact.marketable_status,
        contact.marketable_until_renewal,
        contact.marketable_reason_type,
        contact.marketable_reason_id,
    )


# --- Set marketing contact status -------------------------------------------------------------------------


def test_r10_r18_set_as_marketing_records_reason_workflow_and_the_workflow_id(
    subscription, automator_actor, history_of
):
    leads = contacts_make(count=3, actor=automator_actor, lifecycle_stage="lead")
    workflow = make_workflow(automator_actor, enable=True, existing=True)
    drain()
    for contact in leads:
        assert _status(contact) == (True, False, "WORKFLOW", str(workflow.pk))
        last = history_of(contact)[-1]
        assert (last["old_status"], last["new_status"], last["reason_type"], last["reason_id"]) == (
            False,
            True,
            "WORKFLOW",
            str(workflow.pk),
        )
        assert (last["actor_type"], last["actor_id"], last["actor_user"]) == ("WORKFLOW", str(workflow.pk), None)
    assert _steps(workflow) == [(c.pk, 0, "SET_MARKETING_STATUS", "DONE", "Set as marketing") for c in leads]
    assert set(_states(workflow).values()) == {"COMPLETED"}


def test_r13_r12_contacts_already_marketing_or_pending_get_their_own_detail(subscription, automator_actor):
    (marketing,) = contacts_make(count=1, actor=automator_actor, marketing=True, lifecycle_stage="lead")
    (pending,) = contacts_make(count=1, actor=automator_actor, pending=True, lifecycle_stage="lead")
    history = MarketingStatusChange.objects.filter(contact=marketing).count()
    workflow = make_workflow(automator_actor, enable=True, existing=True)
    drain()
    assert _steps(workflow) == [
        (marketing.pk, 0, "SET_MARKETING_STATUS", "DONE", "Already marketing"),
        (
            pending.pk,
            0,
            "SET_MARKETING_STATUS",
            "DONE",
            "Stays marketing: the pending switch to non-marketing was cancelled",
        ),
    ]
    assert MarketingStatusChange.objects.filter(contact=marketing).count() == history  # R13: no history row
    assert _status(pending)[:2] == (True, False)


def test_r11_set_as_non_marketing_on_professional_defers_to_the_update_date(professional, automator_actor):
    (marketing,) = contacts_make(count=1, actor=automator_actor, marketing=True, lifecycle_stage="lead")
    (non_marketing,) = contacts_make(count=1, actor=automator_actor, lifecycle_stage="lead")
    workflow = make_workflow(automator_actor, actions=[SET_NON_MARKETING], enable=True, existing=True)
    drain()
    assert _status(marketing) == (True, True, "WORKFLOW", str(workflow.pk))
    assert _steps(workflow) == [
        (marketing.pk, 0, "SET_MARKETING_STATUS", "DONE", "Set as non-marketing from the next update date"),
        (non_marketing.pk, 0, "SET_MARKETING_STATUS", "DONE", "Already non-marketing or pending"),
    ]


def test_r18_non_marketing_step_fails_when_the_subscription_went_back_to_starter(professional, automator_actor):
    (contact,) = contacts_make(count=1, actor=automator_actor, marketing=True, lifecycle_stage="lead")
    workflow = make_workflow(automator_actor, actions=[SET_NON_MARKETING], enable=True, existing=True)
    Subscription.objects.update(hub_tier="starter")
    history = list(MarketingStatusChange.objects.values_list("pk", flat=True))
    drain()
    assert _steps(workflow) == [(contact.pk, 0, "SET_MARKETING_STATUS", "FAILED", R18_REFUSAL)]
    enrollment = Enrollment.objects.get(workflow=workflow)
    assert (enrollment.state, enrollment.last_error) == ("FAILED", R18_REFUSAL)
    assert enrollment.finished_at is not None
    assert _status(contact)[:2] == (True, False)
    assert list(MarketingStatusChange.objects.values_list("pk", flat=True)) == history


def test_b4_a_step_that_would_cross_the_guarded_tier_fails_and_changes_nothing(subscription, automator_actor):
    leads = contacts_make(count=2, actor=automator_actor, lifecycle_stage="lead")
    Subscription.objects.update(tier_guard_enabled=True, contact_tier_limit=1)
    workflow = make_workflow(automator_actor, enable=True, existing=True)
    drain()
    assert {outcome for _, _, _, outcome, _ in _steps(workflow)} == {"FAILED"}
    assert "above your tier" in _steps(workflow)[0][4]
    assert [_status(c)[0] for c in leads] == [False, False]


def test_r22_steps_of_deleted_contacts_are_skipped_and_their_enrollment_completes(subscription, automator_actor):
    alive, deleted = contacts_make(count=2, actor=automator_actor, lifecycle_stage="lead")
    workflow = make_workflow(
        automator_actor, actions=[SET_MARKETING, ActionSpec("DELAY", {"seconds": 60})], enable=True, existing=True
    )
    workflow_enroll_existing(workflow_id=workflow.pk)
    contacts_archive(contacts=[deleted.pk], actor=automator_actor)
    workflow_advance(workflow_id=workflow.pk)
    assert _steps(workflow) == [
        (alive.pk, 0, "SET_MARKETING_STATUS", "DONE", "Set as marketing"),
        (deleted.pk, 0, "SET_MARKETING_STATUS", "SKIPPED", "Contact deleted"),
    ]
    assert _states(workflow) == {alive.pk: "ACTIVE", deleted.pk: "COMPLETED"}  # its delay is next
    assert _status(deleted)[0] is False


# --- The other actions ---------------------------------------------------------------------------------------


def test_set_property_sets_the_value_and_says_when_it_was_already_set(subscription, automator_actor):
    lead, customer = contacts_make(count=2, actor=automator_actor, company="Acme")
    contact_update(contact=customer, data={"lifecycle_stage": "customer"}, actor=automator_actor)
    triggers = [{"filters": [{"type": "property", "propertyName": "company", "operator": "EQ", "value": "acme"}]}]
    action = ActionSpec("SET_PROPERTY", {"propertyName": "lifecyclestage", "value": "customer"})
    workflow = make_workflow(automator_actor, triggers=triggers, actions=[action], enable=True, existing=True)
    drain()
    assert Contact.objects.get(pk=lead.pk).lifecycle_stage == "customer"
    assert _steps(workflow) == [
        (lead.pk, 0, "SET_PROPERTY", "DONE", "Set Lifecycle stage to customer"),
        (customer.pk, 0, "SET_PROPERTY", "DONE", "Lifecycle stage was already customer"),
    ]


def test_a_property_set_by_one_workflow_enrolls_the_contact_in_another(subscription, automator_actor):
    (contact,) = contacts_make(count=1, actor=automator_actor, lifecycle_stage="lead")
    promote = ActionSpec("SET_PROPERTY", {"propertyName": "lifecyclestage", "value": "customer"})
    first = make_workflow(automator_actor, actions=[promote], name="Promote")
    customers = [
        {"filters": [{"type": "property", "propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}]}
    ]
    second = make_workflow(automator_actor, triggers=customers, name="Customers", enable=True)
    workflow_enable(workflow=first, enroll_existing=True, actor=automator_actor)
    drain()
    assert _states(first) == {contact.pk: "COMPLETED"}
    assert _states(second) == {contact.pk: "COMPLETED"}
    assert _status(contact)[2:] == ("WORKFLOW", str(second.pk))


def test_add_to_and_remove_from_a_list(subscription, automator_actor):
    member, other = contacts_make(count=2, actor=automator_actor, lifecycle_stage="lead")
    newsletter = ContactList.objects.create(name="Newsletter")
    contact_list_add(contact_list=newsletter, contacts=[member.pk], actor=automator_actor)
    workflow = make_workflow(
        automator_actor,
        actions=[
            ActionSpec("REMOVE_FROM_LIST", {"listId": newsletter.pk}),
            ActionSpec("ADD_TO_LIST", {"listId": newsletter.pk}),
            ActionSpec("ADD_TO_LIST", {"listId": newsletter.pk}),
        ],
        enable=True,
        existing=True,
    )
    drain()
    assert _steps(workflow) == [
        (member.pk, 0, "REMOVE_FROM_LIST", "DONE", "Removed from list Newsletter"),
        (member.pk, 1, "ADD_TO_LIST", "DONE", "Added to list Newsletter"),
        (member.pk, 2, "ADD_TO_LIST", "DONE", "Already in list Newsletter"),
        (other.pk, 0, "REMOVE_FROM_LIST", "DONE", "Not in list Newsletter"),
        (other.pk, 1, "ADD_TO_LIST", "DONE", "Added to list Newsletter"),
        (other.pk, 2, "ADD_TO_LIST", "DONE", "Already in list Newsletter"),
    ]
    assert set(ContactListMembership.objects.values_list("contact_id", flat=True)) == {member.pk, other.pk}


def test_a_step_on_a_deleted_list_fails(subscription, automator_actor):
    (contact,) = contacts_make(count=1, actor=automator_actor, lifecycle_stage="lead")
    doomed = ContactList.objects.create(name="Doomed")
    workflow = make_workflow(automator_actor, actions=[ActionSpec("ADD_TO_LIST", {"listId": doomed.pk})])
    workflow_enable(workflow=workflow, enroll_existing=True, actor=automator_actor)
    doomed.delete()
    drain()
    assert _steps(workflow) == [(contact.pk, 0, "ADD_TO_LIST", "FAILED", "The list no longer exists.")]
    assert _states(workflow) == {contact.pk: "FAILED"}


# --- Delays on a frozen clock ---------------------------------------------------------------------------------


def test_a_delay_for_a_duration_waits_then_the_next_step_runs(db, frozen_subscription, frozen_clock, automator_actor):
    (contact,) = contacts_make(count=1, actor=automator_actor, lifecycle_stage="lead")
    workflow = make_workflow(
        automator_actor, actions=[ActionSpec("DELAY", {"seconds": 3600}), SET_MARKETING], enable=True, existing=True
    )
    drain()
    enrollment = Enrollment.objects.get(workflow=workflow)
    assert (enrollment.state, enrollment.next_position) == ("WAITING", 1)
    assert enrollment.run_at == dt.datetime(2026, 3, 10, 13, 0, tzinfo=dt.UTC)
    assert _steps(workflow) == [(contact.pk, 0, "DELAY", "DONE", "Waits until 10 Mar 2026, 13:00")]
    frozen_clock.shift(dt.timedelta(minutes=59, seconds=59))
    assert drain() == 0
    assert _status(contact)[0] is False
    frozen_clock.shift(dt.timedelta(seconds=1))
    assert drain() == 1
    assert _status(contact)[0] is True
    assert _states(workflow) == {contact.pk: "COMPLETED"}


def test_a_delay_until_a_date_waits_until_then(db, frozen_subscription, frozen_clock, automator_actor):
    (contact,) = contacts_make(count=1, actor=automator_actor, lifecycle_stage="lead")
    until = dt.datetime(2026, 3, 12, 9, 30, tzinfo=dt.UTC)
    workflow = make_workflow(
        automator_actor,
        actions=[ActionSpec("DELAY", {"until": until.isoformat()}), SET_MARKETING],
        enable=True,
        existing=True,
    )
    drain()
    assert Enrollment.objects.get(workflow=workflow).run_at == until
    frozen_clock.move_to(until - dt.timedelta(seconds=1))
    drain()
    assert _status(contact)[0] is False
    frozen_clock.move_to(until)
    drain()
    assert _status(contact)[0] is True


def test_the_sweeper_wakes_workflows_whose_delays_ended(
    db, frozen_subscription, frozen_clock, automator_actor, monkeypatch
):
    contacts_make(count=1, actor=automator_actor, lifecycle_stage="lead")
    workflow = make_workflow(
        automator_actor, actions=[ActionSpec("DELAY", {"seconds": 60}), SET_MARKETING], enable=True, existing=True
    )
    drain()
    sent = []
    monkeypatch.setattr(steps, "task_send", lambda task, *args: sent.append((task, *args)))
    assert workflows_sweep() == 0
    frozen_clock.shift(dt.timedelta(seconds=60))
    assert workflows_sweep() == 1
    assert sent == [("workflows.tasks.workflow_advance_task", workflow.pk)]


def test_the_sweeper_wakes_only_enabled_workflows_with_due_steps_in_four_queries(
    db, frozen_subscription, frozen_clock, automator_actor, monkeypatch, django_assert_num_queries
):
    """R19: one query finds every enabled workflow with a due step, however many workflows there are."""
    contacts_make(count=1, actor=automator_actor, lifecycle_stage="lead")
    delayed = [ActionSpec("DELAY", {"seconds": 60}), SET_MARKETING]
    first, second, off = (
        make_workflow(automator_actor, name=name, actions=delayed, enable=True, existing=True)
        for name in ("First", "Second", "Off")
    )
    drain()
    workflow_disable(workflow=off, actor=automator_actor)
    frozen_clock.shift(dt.timedelta(seconds=60))
    sent = []
    monkeypatch.setattr(steps, "task_send", lambda task, *args: sent.append((task, *args)))
    with django_assert_num_queries(4):
        assert workflows_sweep() == 2
    assert sent == [
        ("workflows.tasks.workflow_advance_task", first.pk),
        ("workflows.tasks.workflow_advance_task", second.pk),
    ]


# --- Re-enrollment ---------------------------------------------------------------------------------------------


def _requalify(contact, actor):
    contact_update(contact=contact, data={"lifecycle_stage": "customer"}, actor=actor)
    drain()
    contact_update(contact=contact, data={"lifecycle_stage": "lead"}, actor=actor)
    drain()


def test_without_reenrollment_a_contact_enrolls_once(subscription, automator_actor):
    make_workflow(automator_actor, enable=True)
    (contact,) = contacts_make(count=1, actor=automator_actor, lifecycle_stage="lead")
    drain()
    _requalify(contact, automator_actor)
    assert list(Enrollment.objects.values_list("contact_id", "number", "state")) == [(contact.pk, 1, "COMPLETED")]


def test_with_reenrollment_a_contact_that_meets_the_triggers_again_enrolls_again(subscription, automator_actor):
    workflow = make_workflow(automator_actor, enable=True, allow_reenrollment=True)
    (contact,) = contacts_make(count=1, actor=automator_actor, lifecycle_stage="lead")
    drain()
    contact_update(contact=contact, data={"company": "Acme"}, actor=automator_actor)  # still matching: not new
    drain()
    assert Enrollment.objects.filter(workflow=workflow).count() == 1
    _requalify(contact, automator_actor)
    assert sorted(Enrollment.objects.values_list("number", "state")) == [(1, "COMPLETED"), (2, "COMPLETED")]
    assert [step[:2] for step in _steps(workflow)] == [(contact.pk, 0), (contact.pk, 0)]


def test_a_contact_still_enrolled_does_not_enroll_again(subscription, automator_actor):
    workflow = make_workflow(
        automator_actor,
        actions=[ActionSpec("DELAY", {"seconds": 3600}), SET_MARKETING],
        enable=True,
        allow_reenrollment=True,
    )
    (contact,) = contacts_make(count=1, actor=automator_actor, lifecycle_stage="lead")
    drain()
    _requalify(contact, automator_actor)
    assert list(Enrollment.objects.filter(workflow=workflow).values_list("number", "state")) == [(1, "WAITING")]


def test_changes_while_the_workflow_is_off_enroll_nobody_and_steps_resume_when_on(subscription, automator_actor):
    workflow = make_workflow(automator_actor, enable=True)
    (first,) = contacts_make(count=1, actor=automator_actor, lifecycle_stage="lead")
    contact_changes_process()  # enrolled; its step not run yet
    workflow_disable(workflow=workflow, actor=automator_actor)
    contacts_make(count=1, actor=automator_actor, lifecycle_stage="lead")
    assert workflow_run(workflow_id=workflow.pk) == 0
    drain()
    assert list(Enrollment.objects.values_list("contact_id", "state")) == [(first.pk, "ACTIVE")]
    workflow_enable(workflow=workflow, enroll_existing=False, actor=automator_actor)
    drain()
    assert list(Enrollment.objects.values_list("contact_id", "state")) == [(first.pk, "COMPLETED")]


# --- At most once, chunks ----------------------------------------------------------------------------------------


def test_r19_running_a_chunk_again_applies_nothing_twice(subscription, automator_actor):
    leads = contacts_make(count=3, actor=automator_actor, lifecycle_stage="lead")
    workflow = make_workflow(automator_actor, enable=True, existing=True)
    workflow_enroll_existing(workflow_id=workflow.pk)
    assert workflow_advance(workflow_id=workflow.pk) == 3
    history = MarketingStatusChange.objects.filter(reason_type="WORKFLOW").count()
    # The same message delivered again (a kill after commit, before the acknowledgement):
    assert workflow_advance(workflow_id=workflow.pk) == 0
    assert workflow_run(workflow_id=workflow.pk) == 0
    assert history == 3 == MarketingStatusChange.objects.filter(reason_type="WORKFLOW").count()
    assert len(_steps(workflow)) == len(leads)


def test_r19_a_second_row_for_the_same_step_is_refused_by_the_database(subscription, automator_actor):
    contacts_make(count=1, actor=automator_actor, lifecycle_stage="lead")
    workflow = make_workflow(automator_actor, enable=True, existing=True)
    drain()
    step = EnrollmentStep.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrollmentStep.objects.create(
            enrollment=step.enrollment,
            workflow=workflow,
            position=0,
            kind=step.kind,
            outcome="DONE",
            finished_at=step.finished_at,
        )


def test_large_enrollments_run_in_chunks_and_the_task_hands_over(subscription, automator_actor, monkeypatch, settings):
    contacts_make(count=25, actor=automator_actor, lifecycle_stage="lead")
    workflow = make_workflow(automator_actor, enable=True, existing=True)
    while workflow_enroll_existing(workflow_id=workflow.pk, chunk_size=10):
        pass
    assert Workflow.objects.get(pk=workflow.pk).existing_enrolled == 25
    sent = []
    monkeypatch.setattr(steps, "task_send", lambda task, *args: sent.append((task, *args)))
    settings.CRM_BULK_CHUNK_SIZE = 10
    assert workflow_run(workflow_id=workflow.pk, max_chunks=2) == 20
    assert sent == [("workflows.tasks.workflow_advance_task", workflow.pk)]  # five left: handed to the next task
    assert workflow_run(workflow_id=workflow.pk, max_chunks=2) == 5
    assert set(_states(workflow).values()) == {"COMPLETED"}


# --- Transient failures (R19) ---------------------------------------------------------------------------------


@pytest.mark.parametrize("error", [OperationalError("server closed the connection"), TransientError("rate limited")])
def test_r19_a_transient_failure_rolls_the_chunk_back_shows_retrying_then_succeeds(
    db, frozen_subscription, frozen_clock, automator_actor, monkeypatch, error
):
    leads = contacts_make(count=2, actor=automator_actor, lifecycle_stage="lead")
    workflow = make_workflow(automator_actor, enable=True, existing=True)
    workflow_enroll_existing(workflow_id=workflow.pk)
    real = steps.APPLY["SET_MARKETING_STATUS"]

    def failing(workflow, action, enrollments, now):
        real(workflow, action, enrollments, now)  # the change is made, then the chunk fails
        raise error

    monkeypatch.setitem(steps.APPLY, "SET_MARKETING_STATUS", failing)
    with pytest.raises(type(error)):
        workflow_advance(workflow_id=workflow.pk)
    assert [_status(c)[0] for c in leads] == [False, False]  # rolled back with the chunk
    assert not EnrollmentStep.objects.exists()
    retrying = list(Enrollment.objects.values_list("state", "attempts", "run_at", "last_error"))
    assert (
        retrying
        == [("RETRYING", 1, dt.datetime(2026, 3, 10, 12, 0, 2, tzinfo=dt.UTC), f"{type(error).__name__}: {error}")] * 2
    )
    monkeypatch.setitem(steps.APPLY, "SET_MARKETING_STATUS", real)
    assert workflow_advance(workflow_id=workflow.pk) == 0  # not due before its next try
    frozen_clock.shift(dt.timedelta(seconds=2))
    assert workflow_advance(workflow_id=workflow.pk) == 2
    assert [_status(c)[0] for c in leads] == [True, True]
    assert set(EnrollmentStep.objects.values_list("outcome", "attempts")) == {("DONE", 2)}
    assert set(Enrollment.objects.values_list("state", "attempts", "last_error")) == {("COMPLETED", 0, "")}


def test_r19_marking_retrying_is_best_effort(subscription, automator_actor, monkeypatch):
    """When the database itself is down the enrollments cannot be marked; the error still reaches the task."""
    contacts_make(count=1, actor=automator_actor, lifecycle_stage="lead")
    workflow = make_workflow(automator_actor, enable=True, existing=True)
    drain()
    assert steps.enrollments_mark_retrying(enrollment_ids=[], error=OperationalError("down")) == 0
    monkeypatch.setattr(steps.transaction, "atomic", _raising_atomic)
    assert steps.enrollments_mark_retrying(enrollment_ids=[1], error=OperationalError("down")) == 0
    assert _states(workflow) == {Enrollment.objects.get().contact_id: "COMPLETED"}


class _raising_atomic:  # stands in for transaction.atomic
    def __enter__(self):
        raise OperationalError("the database is down")

    def __exit__(self, *exc):
        return False


def test_steps_use_the_services_so_contacts_set_elsewhere_meanwhile_are_not_counted_twice(
    subscription, automator_actor
):
    (contact,) = contacts_make(count=1, actor=automator_actor, lifecycle_stage="lead")
    workflow = make_workflow(automator_actor, enable=True, existing=True)
    workflow_enroll_existing(workflow_id=workflow.pk)
    contacts_set_marketing(contacts=[contact.pk], actor=automator_actor)  # someone was faster
    drain()
    assert _steps(workflow) == [(contact.pk, 0, "SET_MARKETING_STATUS", "DONE", "Already marketing")]
    assert _status(contact)[2] == "USER_SET"


def test_lead_trigger_is_the_default_of_make_workflow(subscription, automator_actor):
    assert make_workflow(automator_actor).triggers == LEAD
