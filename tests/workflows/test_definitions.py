"""Workflow definitions through the services: create, edit, switch on and off (R18, R30)."""

import pytest

from contacts.models import ContactChangeConsumer, ContactList
from marketing_status.actors import Actor, ActorPermissionDenied, MarketingStatusPermissionDenied
from tests.factories import contacts_make
from tests.workflows.conftest import LEAD, SET_MARKETING, SET_NON_MARKETING, drain, make_workflow, with_perms
from workflows.definitions import (
    ActionSpec,
    WorkflowInvalid,
    workflow_create,
    workflow_disable,
    workflow_enable,
    workflow_update,
)
from workflows.models import Enrollment, Workflow, WorkflowAction, WorkflowChange, WorkflowMatch
from workflows.policy import R18_REFUSAL


def _workflow_state() -> dict:
    return {
        "workflows": list(Workflow.objects.order_by("pk").values()),
        "actions": list(WorkflowAction.objects.order_by("pk").values()),
        "changes": list(WorkflowChange.objects.order_by("pk").values()),
        "enrollments": list(Enrollment.objects.order_by("pk").values()),
        "matches": list(WorkflowMatch.objects.order_by("pk").values()),
    }


def _update(workflow, actor, *, name, triggers=LEAD, actions=(SET_MARKETING,), allow_reenrollment=False):
    """`workflow_update` with the arguments a test does not vary at their usual values."""
    return workflow_update(
        workflow=workflow,
        name=name,
        triggers=triggers,
        actions=list(actions),
        allow_reenrollment=allow_reenrollment,
        description="",
        actor=actor,
    )


def test_create_stores_triggers_actions_in_order_and_a_change_row(subscription, automator_actor):
    lists = ContactList.objects.create(name="Newsletter")
    workflow = workflow_create(
        name="  Nurture   leads ",
        description=" From the fair ",
        triggers=LEAD,
        actions=[
            SET_MARKETING,
            ActionSpec("DELAY", {"seconds": 3600}),
            ActionSpec("SET_PROPERTY", {"propertyName": "lifecyclestage", "value": "marketingqualifiedlead"}),
            ActionSpec("ADD_TO_LIST", {"listId": str(lists.pk)}),
        ],
        allow_reenrollment=True,
        actor=automator_actor,
    )
    assert (workflow.name, workflow.description, workflow.is_enabled, workflow.allow_reenrollment) == (
        "Nurture leads",
        "From the fair",
        False,
        True,
    )
    assert workflow.triggers == LEAD
    assert list(workflow.actions.values_list("position", "kind", "params")) == [
        (0, "SET_MARKETING_STATUS", {"marketing": True}),
        (1, "DELAY", {"seconds": 3600}),
        (2, "SET_PROPERTY", {"propertyName": "lifecyclestage", "value": "marketingqualifiedlead"}),
        (3, "ADD_TO_LIST", {"listId": lists.pk}),
    ]
    assert list(workflow.changes.values_list("what", "by")) == [("Created", automator_actor.user.pk)]
    assert workflow.created_by == automator_actor.user


@pytest.mark.parametrize(
    ("triggers", "actions", "errors"),
    [
        (LEAD, [], {"name": "Enter a name for the workflow."}),
        (
            [{"filters": [{"type": "property", "propertyName": "nope", "operator": "EQ", "value": "x"}]}],
            [SET_MARKETING],
            {"triggers.0.0": 'Property "nope" does not exist'},
        ),
        (
            [{"filters": [{"type": "property", "propertyName": "createdate", "operator": "GT", "value": "soon"}]}],
            [],
            {"triggers.0.0": "'soon' is not a valid datetime: use epoch milliseconds or ISO 8601."},
        ),
        ([{"filters": []}], [], {"triggers.0": "A filter group needs at least one filter."}),
        ([{"filters": [{"type": "list", "listId": 999, "operator": "IS_MEMBER"}]}], [], None),
        ([{"filters": [{"type": "form", "formId": "not-a-guid", "operator": "HAS_SUBMITTED"}]}], [], None),
        (
            [{"filters": [{"type": "stars"}]}],
            [],
            {"triggers.0.0": "Unknown filter type 'stars': use property, list or form."},
        ),
        ("lead", [], {"triggers": "Triggers must be a list of filter groups."}),
        (LEAD, [ActionSpec("EMAIL", {})], {"actions.0": "Choose an action."}),
        (
            LEAD,
            [ActionSpec("SET_MARKETING_STATUS", {})],
            {"actions.0": "Choose Set as marketing or Set as non-marketing."},
        ),
        (LEAD, [ActionSpec("ADD_TO_LIST", {"listId": 999})], {"actions.0": "Choose a list that exists."}),
        (
            LEAD,
            [SET_MARKETING, ActionSpec("DELAY", {"seconds": 0})],
            {"actions.1": "Enter how long to wait (at least one second)."},
        ),
        (
            LEAD,
            [ActionSpec("DELAY", {"until": "2000-01-01T00:00:00+00:00"})],
            {"actions.0": "The date to wait until has passed."},
        ),
        (LEAD, [ActionSpec("SET_PROPERTY", {"propertyName": "email", "value": "a@example.com"})], None),
        (LEAD, [ActionSpec("SET_PROPERTY", {"propertyName": "hs_marketable_status", "value": "true"})], None),
        (LEAD, [ActionSpec("SET_PROPERTY", {"propertyName": "lifecyclestage", "value": "boss"})], None),
    ],
)
def test_invalid_definitions_are_refused_on_the_inputs_and_change_nothing(
    subscription, automator_actor, triggers, actions, errors
):
    before = _workflow_state()
    with pytest.raises(WorkflowInvalid) as refused:
        workflow_create(
            name="" if errors == {"name": "Enter a name for the workflow."} else "W",
            triggers=triggers,
            actions=actions,
            actor=automator_actor,
        )
    if errors is not None:
        assert refused.value.errors == errors
    else:
        assert len(refused.value.errors) == 1
        assert next(iter(refused.value.errors)) in ("triggers.0.0", "actions.0")
    assert _workflow_state() == before


def test_r18_set_as_non_marketing_is_refused_on_starter_with_the_message(subscription, automator_actor):
    before = _workflow_state()
    with pytest.raises(WorkflowInvalid) as refused:
        workflow_create(name="Sunset", triggers=LEAD, actions=[SET_MARKETING, SET_NON_MARKETING], actor=automator_actor)
    assert refused.value.errors == {
        "actions.1": "Setting contacts as non-marketing with workflows needs a Professional or Enterprise subscription."
    }
    assert refused.value.errors["actions.1"] == R18_REFUSAL
    assert _workflow_state() == before


def test_r18_set_as_non_marketing_is_allowed_on_professional(professional, automator_actor):
    workflow = workflow_create(name="Sunset", triggers=LEAD, actions=[SET_NON_MARKETING], actor=automator_actor)
    assert list(workflow.actions.values_list("params", flat=True)) == [{"marketing": False}]


def test_r18_an_update_on_starter_is_refused_too(professional, automator_actor):
    workflow = make_workflow(automator_actor, actions=[SET_MARKETING])
    professional.hub_tier = "starter"
    professional.save(update_fields=["hub_tier"])
    before = _workflow_state()
    with pytest.raises(WorkflowInvalid) as refused:
        _update(workflow, automator_actor, name="W", actions=[SET_NON_MARKETING])
    assert refused.value.errors == {"actions.0": R18_REFUSAL}
    assert _workflow_state() == before


def test_r18_switching_on_is_refused_after_a_downgrade_to_starter(professional, automator_actor):
    workflow = make_workflow(automator_actor, actions=[SET_NON_MARKETING])
    professional.hub_tier = "starter"
    professional.save(update_fields=["hub_tier"])
    before = _workflow_state()
    with pytest.raises(WorkflowInvalid) as refused:
        workflow_enable(workflow=workflow, enroll_existing=True, actor=automator_actor)
    assert refused.value.errors == {"actions.0": R18_REFUSAL}
    assert _workflow_state() == before


def test_r30_a_status_action_needs_marketing_contact_access(subscription, builder, db_state):
    actor = Actor.for_user(builder)
    before, before_db = _workflow_state(), db_state()
    with pytest.raises(MarketingStatusPermissionDenied):
        workflow_create(name="W", triggers=LEAD, actions=[SET_MARKETING], actor=actor)
    assert _workflow_state() == before and db_state() == before_db
    # Other actions need only the workflow permissions.
    workflow = workflow_create(name="W", triggers=LEAD, actions=[ActionSpec("DELAY", {"seconds": 60})], actor=actor)
    assert workflow.pk


def test_r30_switching_on_a_status_workflow_needs_marketing_contact_access(subscription, automator_actor, builder):
    workflow = make_workflow(automator_actor)
    before = _workflow_state()
    with pytest.raises(MarketingStatusPermissionDenied):
        workflow_enable(workflow=workflow, enroll_existing=False, actor=Actor.for_user(builder))
    assert _workflow_state() == before


@pytest.mark.parametrize("missing", ["add_workflow", "change_workflow"])
def test_people_need_the_workflow_permissions(subscription, automator_actor, missing):
    workflow = make_workflow(automator_actor)
    perms = [name for name in ("view_workflow", "add_workflow", "change_workflow") if name != missing]
    actor = Actor.for_user(with_perms(*perms, "marketing_contact_access"))
    before = _workflow_state()
    with pytest.raises(ActorPermissionDenied):
        if missing == "add_workflow":
            workflow_create(name="W", triggers=LEAD, actions=[SET_MARKETING], actor=actor)
        else:
            _update(workflow, actor, name="X")
    if missing == "change_workflow":
        for call in (
            lambda: workflow_enable(workflow=workflow, enroll_existing=False, actor=actor),
            lambda: workflow_disable(workflow=workflow, actor=actor),
        ):
            with pytest.raises(ActorPermissionDenied):
                call()
    assert _workflow_state() == before


def test_update_records_what_was_edited(subscription, automator_actor):
    workflow = make_workflow(automator_actor)
    triggers = [{"filters": [{"type": "property", "propertyName": "company", "operator": "HAS_PROPERTY"}]}]
    updated = _update(workflow, automator_actor, name="Renamed", triggers=triggers, allow_reenrollment=True)
    assert (updated.name, updated.triggers, updated.allow_reenrollment) == ("Renamed", triggers, True)
    unchanged = _update(workflow, automator_actor, name="Renamed", triggers=triggers, allow_reenrollment=True)
    assert unchanged.updated_at == updated.updated_at
    assert list(workflow.changes.order_by("pk").values_list("what", flat=True)) == [
        "Created",
        "Edited name, triggers and re-enrollment",
    ]


def test_actions_can_be_edited_only_while_the_workflow_is_off(subscription, automator_actor):
    workflow = make_workflow(automator_actor, enable=True)
    before = _workflow_state()
    with pytest.raises(WorkflowInvalid) as refused:
        _update(workflow, automator_actor, name=workflow.name, actions=[ActionSpec("DELAY", {"seconds": 60})])
    assert refused.value.errors == {"actions": "Switch the workflow off to edit its actions."}
    assert _workflow_state() == before
    # The name and triggers may change while it is on.
    updated = _update(workflow, automator_actor, name="Still on")
    assert updated.name == "Still on" and updated.is_enabled
    workflow_disable(workflow=workflow, actor=automator_actor)
    edited = _update(workflow, automator_actor, name="Still on", actions=[ActionSpec("DELAY", {"seconds": 60})])
    assert list(edited.actions.values_list("kind", flat=True)) == ["DELAY"]


def test_switching_on_needs_triggers_and_actions(subscription, automator_actor):
    workflow = make_workflow(automator_actor, triggers=[], actions=[])
    before = _workflow_state()
    with pytest.raises(WorkflowInvalid) as refused:
        workflow_enable(workflow=workflow, enroll_existing=False, actor=automator_actor)
    assert set(refused.value.errors) == {"triggers", "actions"}
    assert _workflow_state() == before


def test_switch_on_without_existing_records_matches_and_enrolls_nobody(subscription, automator_actor):
    leads = contacts_make(count=3, actor=automator_actor, lifecycle_stage="lead")
    contacts_make(count=2, actor=automator_actor, lifecycle_stage="customer")
    workflow = make_workflow(automator_actor)
    result = workflow_enable(workflow=workflow, enroll_existing=False, actor=automator_actor)
    workflow.refresh_from_db()
    assert result.enrolled == 0
    assert workflow.is_enabled and workflow.matched_at is not None and workflow.enabled_by == automator_actor.user
    assert set(WorkflowMatch.objects.values_list("contact_id", "enroll_pending")) == {(c.pk, False) for c in leads}
    assert drain() == 0
    assert not Enrollment.objects.exists()
    assert ContactChangeConsumer.objects.get(name="workflows").active
    assert list(workflow.changes.order_by("pk").values_list("what", flat=True)) == ["Created", "Switched on"]


def test_switch_on_with_existing_enrolls_the_contacts_that_match_now(subscription, automator_actor):
    leads = contacts_make(count=3, actor=automator_actor, lifecycle_stage="lead")
    contacts_make(count=2, actor=automator_actor, lifecycle_stage="customer")
    workflow = make_workflow(automator_actor)
    result = workflow_enable(workflow=workflow, enroll_existing=True, actor=automator_actor)
    assert result.enrolled == 3
    drain()
    workflow.refresh_from_db()
    assert (workflow.existing_total, workflow.existing_enrolled) == (3, 3)
    assert workflow.existing_done_at is not None and not workflow.enrolling_existing
    assert set(Enrollment.objects.values_list("contact_id", "state")) == {(c.pk, "COMPLETED") for c in leads}
    assert list(workflow.changes.order_by("pk").values_list("what", flat=True)) == [
        "Created",
        "Switched on, enrolling 3 existing contacts",
    ]


def test_switch_off_stops_enrollment_and_the_feed_and_keeps_enrollments_as_they_are(subscription, automator_actor):
    workflow = make_workflow(automator_actor, actions=[ActionSpec("DELAY", {"seconds": 60}), SET_MARKETING])
    contacts_make(count=2, actor=automator_actor, lifecycle_stage="lead")
    workflow_enable(workflow=workflow, enroll_existing=True, actor=automator_actor)
    drain()
    waiting = list(Enrollment.objects.values_list("pk", "state", "next_position"))
    assert {(state, position) for _, state, position in waiting} == {("WAITING", 1)}
    workflow_disable(workflow=workflow, actor=automator_actor)
    workflow.refresh_from_db()
    assert not workflow.is_enabled
    assert not ContactChangeConsumer.objects.get(name="workflows").active
    assert list(Enrollment.objects.values_list("pk", "state", "next_position")) == waiting
    contacts_make(count=1, actor=automator_actor, lifecycle_stage="lead")
    drain()
    assert Enrollment.objects.count() == 2
    assert list(workflow.changes.order_by("pk").values_list("what", flat=True))[-1] == "Switched off"


def test_the_feed_stays_on_while_another_workflow_is_on(subscription, automator_actor):
    first = make_workflow(automator_actor, enable=True)
    second = make_workflow(automator_actor, name="Second", enable=True)
    workflow_disable(workflow=first, actor=automator_actor)
    assert ContactChangeConsumer.objects.get(name="workflows").active
    workflow_disable(workflow=second, actor=automator_actor)
    assert not ContactChangeConsumer.objects.get(name="workflows").active


def test_switching_on_twice_changes_nothing_the_second_time(subscription, automator_actor):
    contacts_make(count=2, actor=automator_actor, lifecycle_stage="lead")
    workflow = make_workflow(automator_actor)
    assert workflow_enable(workflow=workflow, enroll_existing=True, actor=automator_actor).enrolled == 2
    before = _workflow_state()
    assert workflow_enable(workflow=workflow, enroll_existing=False, actor=automator_actor).enrolled == 2
    assert _workflow_state() == before
