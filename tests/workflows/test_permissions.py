"""R30 through workflows: a workflow with a *Set marketing contact status* action (R18) sets the status of every
contact its triggers reach, so creating one, switching it on, and changing its triggers, re-enrollment or
actions (retargeting it) need Marketing contact access. Its name and description don't; neither does any
edit of a workflow without a status action. Refusals change nothing; the editor shows the locked parts
disabled with the reason."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from contacts.models import Contact
from contacts.services import contact_update
from marketing_status.actors import Actor, MarketingStatusPermissionDenied
from tests.capture.helpers import rule_ids_shown
from tests.factories import contacts_make
from tests.workflows.conftest import LEAD, SET_MARKETING, WORKFLOW_PERMISSIONS, drain, make_workflow
from tests.workflows.test_definitions import _update, _workflow_state
from workflows.definitions import ActionSpec, workflow_disable, workflow_enable
from workflows.models import Workflow, WorkflowChange
from workflows.policy import edit_needs_status_access
from workflows.views import STATUS_LOCKED

pytestmark = pytest.mark.django_db
CUSTOMER = [
    {"filters": [{"type": "property", "propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}]}
]
DELAY = ActionSpec("DELAY", {"seconds": 60})
SET_PROPERTY = ActionSpec("SET_PROPERTY", {"propertyName": "company", "value": "Acme"})


def _may_automate(user):
    user.user_permissions.add(*Permission.objects.filter(codename__in=WORKFLOW_PERMISSIONS))
    return type(user).objects.get(pk=user.pk)  # a fresh permission cache


@pytest.fixture
def sales_automator(sales_user):
    """The `sales_user` (no Marketing contact access) with the workflow permissions."""
    return _may_automate(sales_user)


@pytest.fixture
def marketing_automator(marketer):
    return _may_automate(marketer)


@pytest.fixture
def status_workflow(subscription, marketing_automator):
    """ "Nurture leads", built by a marketer: lifecycle stage is lead → set as marketing (off)."""
    return make_workflow(Actor.for_user(marketing_automator))


def _url(name: str, workflow) -> str:
    return reverse(f"workflows:{name}", args=[workflow.pk])


# --- The policy ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("before", [False, True])
@pytest.mark.parametrize("after", [False, True])
@pytest.mark.parametrize("retargeted", [False, True])
def test_r30_which_edits_need_marketing_contact_access(before, after, retargeted):
    needed = edit_needs_status_access(sets_status_before=before, sets_status_after=after, retargeted=retargeted)
    assert needed is ((before or after) and retargeted)


# --- The services --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        {"triggers": CUSTOMER},
        {"allow_reenrollment": True},
        {"actions": (DELAY, SET_MARKETING)},
        {"actions": (SET_PROPERTY,)},  # removing the status action is changing its actions too
        {"triggers": CUSTOMER, "allow_reenrollment": True},
    ],
    ids=["triggers", "re-enrollment", "actions", "remove-status-action", "triggers-and-re-enrollment"],
)
def test_r30_retargeting_a_status_workflow_without_access_is_refused_and_changes_nothing(
    status_workflow, sales_automator, db_state, edit
):
    before, before_db = _workflow_state(), db_state()
    with pytest.raises(MarketingStatusPermissionDenied):
        _update(status_workflow, Actor.for_user(sales_automator), name="Nurture leads", **edit)
    assert _workflow_state() == before and db_state() == before_db


def test_r30_retargeting_an_enabled_status_workflow_without_access_is_refused_and_changes_nothing(
    status_workflow, marketing_automator, sales_automator, marketer_actor, db_state
):
    contacts_make(count=2, actor=marketer_actor, lifecycle_stage="lead")
    customers = contacts_make(count=2, actor=marketer_actor, lifecycle_stage="customer")
    workflow_enable(workflow=status_workflow, enroll_existing=False, actor=Actor.for_user(marketing_automator))
    drain()
    before, before_db = _workflow_state(), db_state()
    with pytest.raises(MarketingStatusPermissionDenied):
        _update(status_workflow, Actor.for_user(sales_automator), name="Nurture leads", triggers=CUSTOMER)
    assert _workflow_state() == before and db_state() == before_db
    # The exploit: the customers change, the workflow evaluates them against its unchanged triggers.
    for customer in customers:
        contact_update(contact=customer, data={"company": "Acme"}, actor=marketer_actor)
    drain()
    assert set(
        Contact.objects.filter(pk__in=[c.pk for c in customers]).values_list("marketable_status", flat=True)
    ) == {False}
    assert Workflow.objects.get().triggers == LEAD


def test_r30_switching_on_a_status_workflow_without_access_is_refused_and_no_contact_becomes_marketing(
    status_workflow, sales_automator, marketer_actor, db_state
):
    contacts_make(count=2, actor=marketer_actor, lifecycle_stage="lead")
    before, before_db = _workflow_state(), db_state()
    with pytest.raises(MarketingStatusPermissionDenied):
        workflow_enable(workflow=status_workflow, enroll_existing=True, actor=Actor.for_user(sales_automator))
    drain()
    assert _workflow_state() == before and db_state() == before_db
    assert not Contact.objects.filter(marketable_status=True).exists()


def test_r30_creating_a_status_workflow_without_access_is_refused(subscription, sales_automator, db_state):
    before, before_db = _workflow_state(), db_state()
    with pytest.raises(MarketingStatusPermissionDenied):
        make_workflow(Actor.for_user(sales_automator))
    assert _workflow_state() == before and db_state() == before_db


def test_r30_renaming_a_status_workflow_or_switching_it_off_needs_no_access(
    status_workflow, marketing_automator, sales_automator
):
    workflow_enable(workflow=status_workflow, enroll_existing=False, actor=Actor.for_user(marketing_automator))
    actor = Actor.for_user(sales_automator)
    renamed = _update(status_workflow, actor, name="Nurture new leads")
    assert (renamed.name, renamed.triggers, renamed.is_enabled) == ("Nurture new leads", LEAD, True)
    workflow_disable(workflow=renamed, actor=actor)
    assert Workflow.objects.get().is_enabled is False
    assert WorkflowChange.objects.order_by("-pk").values_list("what", "by")[0] == ("Switched off", sales_automator.pk)


def test_r30_a_workflow_without_status_action_is_retargeted_freely(subscription, sales_automator):
    actor = Actor.for_user(sales_automator)
    workflow = make_workflow(actor, actions=(SET_PROPERTY,))
    edited = _update(
        workflow, actor, name="W", triggers=CUSTOMER, actions=(DELAY, SET_PROPERTY), allow_reenrollment=True
    )
    assert (edited.triggers, edited.allow_reenrollment) == (CUSTOMER, True)
    workflow_enable(workflow=edited, enroll_existing=False, actor=actor)
    assert Workflow.objects.get().is_enabled is True


def test_r30_adding_a_status_action_without_access_is_refused(subscription, sales_automator, db_state):
    actor = Actor.for_user(sales_automator)
    workflow = make_workflow(actor, actions=(SET_PROPERTY,))
    before, before_db = _workflow_state(), db_state()
    with pytest.raises(MarketingStatusPermissionDenied):
        _update(workflow, actor, name="W", actions=(SET_PROPERTY, SET_MARKETING))
    assert _workflow_state() == before and db_state() == before_db


def test_r30_with_access_a_status_workflow_is_retargeted_and_sets_its_new_contacts(
    status_workflow, marketing_automator, marketer_actor
):
    actor = Actor.for_user(marketing_automator)
    customers = contacts_make(count=2, actor=marketer_actor, lifecycle_stage="customer")
    edited = _update(status_workflow, actor, name="Nurture customers", triggers=CUSTOMER, allow_reenrollment=True)
    assert (edited.triggers, edited.allow_reenrollment) == (CUSTOMER, True)
    workflow_enable(workflow=edited, enroll_existing=True, actor=actor)
    drain()
    assert set(
        Contact.objects.filter(pk__in=[c.pk for c in customers]).values_list("marketable_status", flat=True)
    ) == {True}


# --- The editor ------------------------------------------------------------------------------------------


def _posted(name: str, *, value: str = "lead", reenroll: bool = False, kind: str = "SET_MARKETING_STATUS") -> dict:
    data = {
        "name": name,
        "description": "",
        "filters-TOTAL_FORMS": "1",
        "filters-INITIAL_FORMS": "0",
        "filters-0-group": "0",
        "filters-0-type": "property",
        "filters-0-property": "lifecyclestage",
        "filters-0-operator": "EQ",
        "filters-0-value": value,
        "actions-TOTAL_FORMS": "1",
        "actions-INITIAL_FORMS": "0",
        "actions-0-kind": kind,
        "actions-0-marketing": "true",
        "actions-0-delay_mode": "duration",
        "actions-0-delay_unit": "days",
        "actions-0-property_name": "company",
        "actions-0-property_value": "Acme",
    }
    return data | ({"allow_reenrollment": "on"} if reenroll else {})


def test_r30_editor_shows_a_status_workflow_locked_with_the_reason(client, status_workflow, sales_automator):
    client.force_login(sales_automator)
    page = client.get(_url("edit", status_workflow)).content.decode()
    assert f'<p class="msg" id="status-locked">{STATUS_LOCKED}</p>' in page
    assert '<button type="button" id="switch-on" disabled aria-describedby="status-locked">' in page
    assert '<input type="text" name="filters-0-value" value="lead" maxlength="3000" disabled' in page
    assert '<input type="checkbox" name="allow_reenrollment" disabled' in page
    assert 'id="add-group"' not in page and 'class="add-filter"' not in page
    assert 'id="actions-locked"' in page and 'name="actions-0-kind"' not in page
    assert 'id="save-workflow"' in page  # the name and description stay editable
    assert rule_ids_shown(page) == []
    page = client.get(_url("switch_on", status_workflow)).content.decode()
    assert f'<p class="msg" id="status-locked">{STATUS_LOCKED}</p>' in page
    assert 'id="confirm-switch-on" disabled' in page


def test_r30_editor_is_not_locked_for_a_marketer(client, status_workflow, marketing_automator):
    client.force_login(marketing_automator)
    page = client.get(_url("edit", status_workflow)).content.decode()
    assert 'id="status-locked"' not in page
    assert 'name="filters-0-value" value="lead" maxlength="3000" id=' in page and 'id="add-group"' in page
    assert 'name="actions-0-kind"' in page
    assert f'href="{_url("switch_on", status_workflow)}" id="switch-on"' in page


def test_r30_posting_the_locked_editor_saves_only_the_name(client, status_workflow, sales_automator):
    client.force_login(sales_automator)
    response = client.post(
        _url("edit", status_workflow), _posted("Renamed", value="customer", reenroll=True, kind="DELAY")
    )
    assert response.status_code == 302
    workflow = Workflow.objects.get()
    assert (workflow.name, workflow.triggers, workflow.allow_reenrollment) == ("Renamed", LEAD, False)
    assert list(workflow.actions.values_list("kind", "params")) == [("SET_MARKETING_STATUS", {"marketing": True})]
    assert WorkflowChange.objects.order_by("-pk").values_list("what", flat=True)[0] == "Edited name"


def test_r30_locked_editor_commands_leave_the_triggers_alone(client, status_workflow, sales_automator):
    client.force_login(sales_automator)
    response = client.post(_url("edit", status_workflow), _posted("Nurture leads") | {"command": "add_group"})
    assert response.status_code == 200
    assert len(response.context["editor"].filters.forms) == 1
    assert Workflow.objects.get().triggers == LEAD


def test_r30_switch_on_posted_without_access_is_refused_and_changes_nothing(
    client, status_workflow, sales_automator, marketer_actor, db_state
):
    contacts_make(count=2, actor=marketer_actor, lifecycle_stage="lead")
    client.force_login(sales_automator)
    before, before_db = _workflow_state(), db_state()
    response = client.post(_url("switch_on", status_workflow), {"enroll_existing": "1"})
    assert response.status_code == 403
    assert "Marketing contact access" in response.content.decode()
    assert _workflow_state() == before and db_state() == before_db


def test_r30_new_workflow_offers_the_status_action_disabled_without_access(client, subscription, sales_automator):
    client.force_login(sales_automator)
    page = client.get(reverse("workflows:new")).content.decode()
    assert '<option value="SET_MARKETING_STATUS" disabled>Set marketing contact status</option>' in page
    assert 'id="status-access-note"' in page


def test_r30_new_workflow_offers_the_status_action_to_a_marketer(client, subscription, marketing_automator):
    client.force_login(marketing_automator)
    page = client.get(reverse("workflows:new")).content.decode()
    assert '<option value="SET_MARKETING_STATUS">Set marketing contact status</option>' in page
    assert 'id="status-access-note"' not in page


def test_r30_editing_a_workflow_without_status_action_is_not_locked(client, subscription, sales_automator):
    workflow = make_workflow(Actor.for_user(sales_automator), actions=(SET_PROPERTY,))
    client.force_login(sales_automator)
    page = client.get(_url("edit", workflow)).content.decode()
    assert 'id="status-locked"' not in page and 'id="add-group"' in page
    data = _posted("W", value="customer", reenroll=True, kind="SET_PROPERTY")
    assert client.post(_url("edit", workflow), data).status_code == 302
    workflow.refresh_from_db()
    assert (workflow.triggers, workflow.allow_reenrollment) == (CUSTOMER, True)
