"""Automation > Workflows: the list, the editor (triggers, actions, editor commands), switching on and off,
the history and the contact record's enrollments (R18, R19), with and without each permission; refusals
change nothing, invalid input is shown on its field with everything typed kept, and Starter subscriptions
are neither offered nor allowed "Set as non-marketing" (R18)."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from billing.models import Subscription
from billing.policy import BillingCycle, HubTier
from billing.services import subscription_create
from contacts.models import Contact
from contacts.services import contact_list_add, contact_list_create
from leadforms.builder import FieldSpec, form_create
from marketing_status.actors import Actor
from marketing_status.services import marketing_contacts_enable
from tests.capture.helpers import rule_ids_shown
from tests.factories import UserFactory, contacts_make
from workflows.definitions import ActionSpec, workflow_create, workflow_enable
from workflows.models import ActionKind, Enrollment, EnrollmentState, EnrollmentStep, Workflow, WorkflowChange

pytestmark = pytest.mark.django_db
INDEX = reverse("workflows:index")
NEW = reverse("workflows:new")
LEAD = {"type": "property", "propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}
SET_MARKETING = ActionSpec(kind=ActionKind.SET_MARKETING_STATUS, params={"marketing": True})
TIER_REFUSAL = "Setting contacts as non-marketing with workflows needs a Professional or Enterprise subscription."
WORKFLOW_PERMISSIONS = ("view_workflow", "add_workflow", "change_workflow")


def with_perms(*codenames: str, **fields):
    user = UserFactory(**fields)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def viewer(db):
    return with_perms("view_workflow")


@pytest.fixture
def builder(db):
    """May build, edit and switch workflows, but lacks Marketing contact access (R30)."""
    return with_perms(*WORKFLOW_PERMISSIONS)


@pytest.fixture
def automator(db):
    """Builds workflows and has Marketing contact access (R30), so may save status actions."""
    return with_perms(*WORKFLOW_PERMISSIONS, "marketing_contact_access", first_name="Ava", last_name="Tomate")


@pytest.fixture
def professional(db, system_actor):
    subscription_create(
        hub_tier=HubTier.PROFESSIONAL,
        billing_cycle=BillingCycle.MONTHLY,
        contract_start=dt.date(2026, 1, 15),
        renewal_date=dt.date(2027, 1, 15),
        contact_tier_limit=2000,
        tier_block_size=5000,
    )
    marketing_contacts_enable(actor=system_actor)
    return Subscription.objects.get()


@pytest.fixture
def nurture(subscription, automator):
    """ "Nurture leads" (off): lifecycle stage is lead → set as marketing."""
    return workflow_create(
        name="Nurture leads",
        triggers=[{"filters": [LEAD]}],
        actions=[SET_MARKETING],
        actor=Actor.for_user(automator),
    )


def _url(name: str, workflow) -> str:
    return reverse(f"workflows:{name}", args=[workflow.pk])


def _workflows_state() -> tuple:
    from workflows.models import WorkflowAction

    return (
        list(Workflow.objects.order_by("pk").values_list("pk", "name", "is_enabled", "triggers", "updated_at")),
        list(WorkflowAction.objects.order_by("pk").values_list("workflow_id", "position", "kind", "params")),
        WorkflowChange.objects.count(),
        Enrollment.objects.count(),
    )


FILTER_FIELDS = (
    "group",
    "type",
    "property",
    "operator",
    "value",
    "high_value",
    "contact_list",
    "list_operator",
    "form",
)
ACTION_FIELDS = (
    "kind",
    "marketing",
    "property_name",
    "property_value",
    "contact_list",
    "delay_mode",
    "delay_amount",
    "delay_unit",
    "delay_until",
)


def _filter(**fields) -> dict:
    return {"group": 0, "type": "property", "operator": "EQ"} | fields


def _action(kind: str, **fields) -> dict:
    return {"kind": kind, "marketing": "true", "delay_mode": "duration", "delay_unit": "days"} | fields


LEAD_ROWS = (_filter(property="lifecyclestage", value="lead"),)
SET_MARKETING_ROWS = (_action("SET_MARKETING_STATUS"),)


def _posted(name="Nurture leads", filters=LEAD_ROWS, actions=SET_MARKETING_ROWS, **definition) -> dict:
    data = {"name": name, "description": "", **definition}
    for prefix, rows, names in (("filters", filters, FILTER_FIELDS), ("actions", actions, ACTION_FIELDS)):
        data |= {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0"}
        for index, row in enumerate(rows):
            data |= {f"{prefix}-{index}-{key}": value for key, value in row.items() if key in names}
    return data


# --- Sign-in and permissions -------------------------------------------------------------------------


PAGES = ["index", "new", "edit", "switch_on", "history"]


def _page_url(page: str, workflow) -> str:
    return {"index": INDEX, "new": NEW}.get(page) or _url(page, workflow)


@pytest.mark.parametrize("page", PAGES)
def test_pages_need_sign_in(client, nurture, page):
    response = client.get(_page_url(page, nurture))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("page", PAGES)
def test_pages_need_the_workflow_permissions(client, nurture, page):
    client.force_login(UserFactory())
    assert client.get(_page_url(page, nurture)).status_code == 403


@pytest.mark.parametrize("page", ["index", "edit", "history"])
def test_viewer_sees_the_pages(client, viewer, nurture, page):
    client.force_login(viewer)
    response = client.get(_page_url(page, nurture))
    assert response.status_code == 200
    assert "Nurture leads" in response.content.decode()


def test_viewer_sees_the_editor_read_only_and_cannot_change_anything(client, viewer, nurture, db_state):
    client.force_login(viewer)
    page = client.get(_url("edit", nurture)).content.decode()
    assert 'id="read-only"' in page
    assert 'id="save-workflow"' not in page and 'id="switch-on"' not in page and 'value="add_group"' not in page
    before, contacts = _workflows_state(), db_state()
    assert client.post(_url("edit", nurture), _posted(name="Hijacked")).status_code == 403
    assert client.post(_url("edit", nurture), _posted(command="add_group")).status_code == 403
    assert client.post(NEW, _posted()).status_code == 403
    assert client.post(_url("switch_on", nurture), {"enroll_existing": "1"}).status_code == 403
    assert client.post(_url("switch_off", nurture)).status_code == 403
    assert _workflows_state() == before
    assert db_state() == contacts


def test_switch_off_needs_the_change_permission(client, viewer, nurture, automator):
    workflow_enable(workflow=nurture, enroll_existing=False, actor=Actor.for_user(automator))
    client.force_login(viewer)
    before = _workflows_state()
    assert client.post(_url("switch_off", nurture)).status_code == 403
    assert _workflows_state() == before
    assert Workflow.objects.get().is_enabled is True


def test_switch_pages_take_only_their_methods(client, automator, nurture):
    client.force_login(automator)
    assert client.get(_url("switch_off", nurture)).status_code == 405
    assert client.get(reverse("workflows:edit", args=[nurture.pk + 1000])).status_code == 404


# --- List ----------------------------------------------------------------------------------------------


def test_list_shows_each_workflow_with_its_state_counts_and_last_change(
    client, viewer, automator, marketer_actor, subscription, nurture, django_capture_on_commit_callbacks
):
    contacts_make(count=3, actor=marketer_actor, lifecycle_stage="lead")
    with django_capture_on_commit_callbacks(execute=True):
        workflow_enable(workflow=nurture, enroll_existing=True, actor=Actor.for_user(automator))
    workflow_create(name="Customers", triggers=[{"filters": [LEAD]}], actions=[], actor=Actor.for_user(automator))
    client.force_login(viewer)
    page = client.get(INDEX).content.decode()
    row = page.split(f'data-workflow="{nurture.pk}"')[1].split("</tr>")[0]
    assert ">Nurture leads</a>" in row
    assert '<span class="badge marketing">On</span>' in row
    assert '<td class="enrolled-count">3</td>' in row
    assert '<td class="completed-count">3</td>' in row
    assert '<td class="active-count">0</td>' in row
    assert "Switched on" in row and "Ava Tomate" in row
    assert page.count("data-workflow=") == 2
    assert 'id="create-workflow"' not in page  # the viewer may not add one


def test_list_takes_the_same_queries_for_many_workflows(
    client, viewer, automator, nurture, django_assert_max_num_queries
):
    client.force_login(viewer)
    with django_assert_max_num_queries(20) as baseline:
        assert client.get(INDEX).status_code == 200
    for number in range(6):
        workflow_create(
            name=f"Workflow {number}", triggers=[{"filters": [LEAD]}], actions=[], actor=Actor.for_user(automator)
        )
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        page = client.get(INDEX).content.decode()
    assert page.count("data-workflow=") == 7


# --- Editor: creating ----------------------------------------------------------------------------------


def test_new_workflow_starts_with_one_filter_and_one_action(client, automator, subscription):
    client.force_login(automator)
    response = client.get(NEW)
    assert response.status_code == 200
    assert len(response.context["filter_groups"]) == 1
    assert [row.initial for row in response.context["editor"].filters.forms] == [
        {"group": 0, "type": "property", "operator": "EQ"}
    ]
    assert len(response.context["editor"].actions.forms) == 1


def test_create_workflow_then_land_on_its_editor(client, automator, subscription):
    client.force_login(automator)
    response = client.post(NEW, _posted(description="Leads get our newsletter", allow_reenrollment="on"))
    workflow = Workflow.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("edit", workflow)
    assert (workflow.name, workflow.description, workflow.allow_reenrollment, workflow.is_enabled) == (
        "Nurture leads",
        "Leads get our newsletter",
        True,
        False,
    )
    assert workflow.triggers == [{"filters": [LEAD]}]
    assert list(workflow.actions.values_list("position", "kind", "params")) == [
        (0, "SET_MARKETING_STATUS", {"marketing": True})
    ]
    assert workflow.created_by == automator
    page = client.get(response["Location"]).content.decode()
    assert "Workflow “Nurture leads” created." in page
    assert '<span class="badge" id="workflow-state">Off</span>' in page


def test_every_filter_type_and_groups_are_saved_as_filter_groups(client, automator, subscription, system_actor):
    webinar = form_create(name="Webinar", fields=[FieldSpec("email", "Email", True)], actor=system_actor)
    vips = contact_list_create(name="VIPs", actor=Actor.for_user(with_perms("change_contact")))
    filters = (
        _filter(property="lifecyclestage", operator="IN", value="lead, subscriber"),
        _filter(property="createdate", operator="BETWEEN", value="2026-01-01", high_value="2026-02-01"),
        _filter(property="company", operator="HAS_PROPERTY"),
        _filter(group=1, type="list", contact_list=str(vips.pk), list_operator="NOT_MEMBER"),
        _filter(group=3, type="form", form=str(webinar.guid)),
        _filter(group=3, property=""),  # an empty row is left out
    )
    client.force_login(automator)
    response = client.post(NEW, _posted(filters=filters))
    assert response.status_code == 302
    assert Workflow.objects.get().triggers == [
        {
            "filters": [
                {
                    "type": "property",
                    "propertyName": "lifecyclestage",
                    "operator": "IN",
                    "values": ["lead", "subscriber"],
                },
                {
                    "type": "property",
                    "propertyName": "createdate",
                    "operator": "BETWEEN",
                    "value": "2026-01-01",
                    "highValue": "2026-02-01",
                },
                {"type": "property", "propertyName": "company", "operator": "HAS_PROPERTY"},
            ]
        },
        {"filters": [{"type": "list", "listId": vips.pk, "operator": "NOT_MEMBER"}]},
        {"filters": [{"type": "form", "formId": str(webinar.guid), "operator": "HAS_SUBMITTED"}]},
    ]


def test_every_action_kind_is_saved_in_order(client, automator, professional, frozen_clock):
    vips = contact_list_create(name="VIPs", actor=Actor.for_user(with_perms("change_contact")))
    actions = (
        _action("DELAY", delay_amount="2", delay_unit="days"),
        _action("SET_PROPERTY", property_name="lifecyclestage", property_value="customer"),
        _action("ADD_TO_LIST", contact_list=str(vips.pk)),
        _action("DELAY", delay_mode="until", delay_until="2026-04-01T09:30"),
        _action("REMOVE_FROM_LIST", contact_list=str(vips.pk)),
        _action("SET_MARKETING_STATUS", marketing="false"),
        _action(""),  # an empty row is left out
    )
    client.force_login(automator)
    assert client.post(NEW, _posted(actions=actions)).status_code == 302
    stored = list(Workflow.objects.get().actions.order_by("position").values_list("position", "kind", "params"))
    assert stored == [
        (0, "DELAY", {"seconds": 2 * 86400}),
        (1, "SET_PROPERTY", {"propertyName": "lifecyclestage", "value": "customer"}),
        (2, "ADD_TO_LIST", {"listId": vips.pk}),
        (3, "DELAY", {"until": "2026-04-01T09:30:00+00:00"}),
        (4, "REMOVE_FROM_LIST", {"listId": vips.pk}),
        (5, "SET_MARKETING_STATUS", {"marketing": False}),
    ]


def test_stored_workflow_is_shown_as_it_was_saved_and_saves_back_unchanged(client, automator, professional):
    vips = contact_list_create(name="VIPs", actor=Actor.for_user(with_perms("change_contact")))
    workflow = workflow_create(
        name="Round trip",
        triggers=[
            {
                "filters": [
                    LEAD,
                    {"type": "property", "propertyName": "company", "operator": "IN", "values": ["A", "B"]},
                ]
            },
            {"filters": [{"type": "list", "listId": vips.pk, "operator": "IS_MEMBER"}]},
        ],
        actions=[
            ActionSpec(kind=ActionKind.DELAY, params={"seconds": 3 * 3600}),
            ActionSpec(kind=ActionKind.SET_MARKETING_STATUS, params={"marketing": False}),
            ActionSpec(kind=ActionKind.ADD_TO_LIST, params={"listId": vips.pk}),
        ],
        actor=Actor.for_user(automator),
    )
    client.force_login(automator)
    response = client.get(_url("edit", workflow))
    editor = response.context["editor"]
    assert [[row["value"].value() for row in group] for group in response.context["filter_groups"]] == [
        ["lead", "A, B"],
        [None],
    ]
    delay = editor.actions.forms[0]
    assert (delay["kind"].value(), delay["delay_amount"].value(), delay["delay_unit"].value()) == ("DELAY", 3, "hours")
    assert editor.actions.forms[1]["marketing"].value() == "false"
    stored = (workflow.triggers, list(workflow.actions.values_list("position", "kind", "params")))
    filters = [row.initial for row in editor.filters.forms]
    actions = [row.initial for row in editor.actions.forms]
    assert (
        client.post(_url("edit", workflow), _posted(name="Round trip", filters=filters, actions=actions)).status_code
        == 302
    )
    workflow.refresh_from_db()
    assert (workflow.triggers, list(workflow.actions.values_list("position", "kind", "params"))) == stored


# --- Editor: errors --------------------------------------------------------------------------------------


def test_missing_name_is_shown_on_its_field_and_the_input_is_kept(client, automator, subscription, db_state):
    client.force_login(automator)
    before = db_state()
    response = client.post(NEW, _posted(name="", filters=(_filter(property="company", value="Acme"),)))
    page = response.content.decode()
    assert response.status_code == 400
    assert response.context["editor"].definition.errors["name"] == ["This field is required."]
    assert 'data-error-for="name"' in page
    assert 'value="Acme"' in page  # nothing typed is lost
    assert Workflow.objects.count() == 0
    assert db_state() == before


def test_row_errors_are_shown_on_their_row(client, automator, subscription):
    client.force_login(automator)
    filters = (_filter(property="lifecyclestage", value="lead"), _filter(type="list"))
    actions = (_action("SET_PROPERTY"), _action("DELAY", delay_amount=""))
    response = client.post(NEW, _posted(filters=filters, actions=actions))
    assert response.status_code == 400
    editor = response.context["editor"]
    assert editor.filters.forms[1].errors == {"contact_list": ["Choose a list."]}
    assert editor.actions.forms[0].errors == {"property_name": ["Choose the property to set."]}
    assert editor.actions.forms[1].errors == {"delay_amount": ["Enter how long to wait."]}
    assert 'data-error-for="filters-1-contact_list"' in response.content.decode()
    assert Workflow.objects.count() == 0


def test_service_refusal_of_a_filter_is_shown_on_its_row(client, automator, subscription):
    client.force_login(automator)
    filters = (
        _filter(property="lifecyclestage", value="lead"),
        _filter(property="createdate", operator="GT", value="not a date"),
    )
    response = client.post(NEW, _posted(filters=filters))
    assert response.status_code == 400
    editor = response.context["editor"]
    shown = editor.filters.forms[1].non_field_errors() or editor.trigger_errors
    assert "not a date" in " ".join(shown)
    assert 'value="not a date"' in response.content.decode()
    assert Workflow.objects.count() == 0


def test_r30_status_action_needs_marketing_contact_access(client, builder, subscription, db_state):
    client.force_login(builder)
    assert 'id="status-access-note"' in client.get(NEW).content.decode()
    before, workflows = db_state(), _workflows_state()
    response = client.post(NEW, _posted())
    assert response.status_code in (400, 403)
    assert "Marketing contact access" in response.content.decode()
    assert _workflows_state() == workflows
    assert db_state() == before


def test_builder_without_marketing_access_may_save_other_actions(client, builder, subscription):
    client.force_login(builder)
    actions = (_action("SET_PROPERTY", property_name="lifecyclestage", property_value="customer"),)
    assert client.post(NEW, _posted(actions=actions)).status_code == 302
    assert Workflow.objects.get().actions.get().kind == "SET_PROPERTY"


# --- Editor commands: nothing is saved, nothing typed is lost ------------------------------------------


def _command(client, url, command, **posted):
    response = client.post(url, _posted(**posted) | {"command": command})
    assert response.status_code == 200
    return response.context["editor"], response.content.decode()


def test_add_filter_and_add_group_keep_what_was_typed(client, automator, subscription):
    client.force_login(automator)
    editor, page = _command(client, NEW, "add_filter:0", name="Draft")
    assert [(row.initial["group"], row.initial.get("value")) for row in editor.filters.forms] == [
        (0, "lead"),
        (0, None),
    ]
    assert 'value="Draft"' in page and 'value="lead"' in page
    editor, page = _command(client, NEW, "add_group")
    assert [row.initial["group"] for row in editor.filters.forms] == [0, 1]
    assert page.count('class="filter-group"') == 2
    assert Workflow.objects.count() == 0


def test_remove_filter_renumbers_the_groups(client, automator, subscription):
    client.force_login(automator)
    filters = (_filter(property="company", value="A"), _filter(group=1, property="company", value="B"))
    editor, _ = _command(client, NEW, "remove_filter:0", filters=filters)
    assert [(row.initial["group"], row.initial["value"]) for row in editor.filters.forms] == [(0, "B")]
    editor, _ = _command(client, NEW, "remove_filter:0", filters=filters[:1])
    assert [row.initial for row in editor.filters.forms] == [{"group": 0, "type": "property", "operator": "EQ"}]


def test_actions_can_be_added_moved_and_removed(client, automator, subscription):
    client.force_login(automator)
    actions = (
        _action("SET_MARKETING_STATUS"),
        _action("SET_PROPERTY", property_name="company", property_value="Acme"),
    )
    editor, _ = _command(client, NEW, "up_action:1", actions=actions)
    assert [row.initial["kind"] for row in editor.actions.forms] == ["SET_PROPERTY", "SET_MARKETING_STATUS"]
    editor, _ = _command(client, NEW, "down_action:0", actions=actions)
    assert [row.initial["kind"] for row in editor.actions.forms] == ["SET_PROPERTY", "SET_MARKETING_STATUS"]
    editor, _ = _command(client, NEW, "remove_action:0", actions=actions)
    assert [(row.initial["kind"], row.initial["property_value"]) for row in editor.actions.forms] == [
        ("SET_PROPERTY", "Acme")
    ]
    editor, _ = _command(client, NEW, "add_action", actions=actions)
    assert [row.initial["kind"] for row in editor.actions.forms] == ["SET_MARKETING_STATUS", "SET_PROPERTY", ""]
    assert Workflow.objects.count() == 0


# --- R18: the tier restriction -------------------------------------------------------------------------


def _marketing_options(page: str) -> str:
    return page.split('name="actions-0-marketing"')[1].split("</select>")[0]


def test_r18_starter_editor_does_not_offer_set_as_non_marketing(client, automator, subscription):
    client.force_login(automator)
    page = client.get(NEW).content.decode()
    assert 'value="true"' in _marketing_options(page)
    assert 'value="false"' not in _marketing_options(page)
    assert TIER_REFUSAL in page


def test_r18_professional_editor_offers_set_as_non_marketing(client, automator, professional):
    client.force_login(automator)
    page = client.get(NEW).content.decode()
    assert 'value="false"' in _marketing_options(page)
    assert 'id="tier-note"' not in page


def test_r18_starter_set_as_non_marketing_posted_anyway_is_refused_on_its_row(
    client, automator, subscription, db_state
):
    client.force_login(automator)
    before, workflows = db_state(), _workflows_state()
    actions = (_action("DELAY", delay_amount="1"), _action("SET_MARKETING_STATUS", marketing="false"))
    response = client.post(NEW, _posted(actions=actions))
    assert response.status_code == 400
    assert response.context["editor"].actions.forms[1].errors["marketing"] == [TIER_REFUSAL]
    page = response.content.decode()
    assert 'data-error-for="actions-1-marketing"' in page
    posted = page.split('name="actions-1-marketing"')[1].split("</select>")[0]
    assert '<option value="false" selected>' in posted  # shown as posted, so the refusal makes sense
    assert _workflows_state() == workflows
    assert db_state() == before


def test_r18_professional_may_save_set_as_non_marketing(client, automator, professional):
    client.force_login(automator)
    response = client.post(NEW, _posted(actions=(_action("SET_MARKETING_STATUS", marketing="false"),)))
    assert response.status_code == 302
    assert list(Workflow.objects.get().actions.values_list("kind", "params")) == [
        ("SET_MARKETING_STATUS", {"marketing": False})
    ]


# --- Editing while on ------------------------------------------------------------------------------------


def test_actions_are_locked_while_the_workflow_is_on_but_name_and_triggers_may_change(client, automator, nurture):
    workflow_enable(workflow=nurture, enroll_existing=False, actor=Actor.for_user(automator))
    client.force_login(automator)
    page = client.get(_url("edit", nurture)).content.decode()
    assert 'id="actions-locked"' in page and "Set as marketing contact" in page
    assert 'name="actions-0-kind"' not in page
    filters = (_filter(property="lifecyclestage", value="subscriber"),)
    data = _posted(name="Nurture subscribers", filters=filters, actions=(_action("DELAY", delay_amount="1"),))
    response = client.post(_url("edit", nurture), data)
    assert response.status_code == 302
    nurture.refresh_from_db()
    assert nurture.name == "Nurture subscribers"
    assert nurture.triggers[0]["filters"][0]["value"] == "subscriber"
    assert list(nurture.actions.values_list("kind", "params")) == [("SET_MARKETING_STATUS", {"marketing": True})]


# --- Switching on and off -------------------------------------------------------------------------------


def test_switch_on_page_shows_how_many_contacts_meet_the_triggers_now(client, automator, marketer_actor, nurture):
    actor = marketer_actor
    contacts_make(count=3, actor=actor, lifecycle_stage="lead")
    contacts_make(count=2, actor=actor, lifecycle_stage="customer")
    client.force_login(automator)
    page = client.get(_url("switch_on", nurture)).content.decode()
    assert "<strong>3</strong> contacts meet the triggers now" in page
    assert 'name="enroll_existing"' in page


def test_switch_on_enrolling_existing_contacts_sets_them_as_marketing(
    client, automator, marketer_actor, nurture, django_capture_on_commit_callbacks
):
    actor = marketer_actor
    leads = contacts_make(count=3, actor=actor, lifecycle_stage="lead")
    customers = contacts_make(count=2, actor=actor, lifecycle_stage="customer")
    client.force_login(automator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("switch_on", nurture), {"enroll_existing": "1"})
    assert response.status_code == 302
    assert response["Location"] == _url("edit", nurture)
    nurture.refresh_from_db()
    assert nurture.is_enabled is True
    assert set(Contact.objects.filter(marketable_status=True).values_list("pk", flat=True)) == {c.pk for c in leads}
    assert not Contact.objects.filter(pk__in=[c.pk for c in customers], marketable_status=True).exists()
    assert set(
        Contact.objects.filter(pk__in=[c.pk for c in leads]).values_list(
            "marketable_reason_type", "marketable_reason_id"
        )
    ) == {("WORKFLOW", str(nurture.pk))}
    page = client.get(response["Location"]).content.decode()
    assert "is on" in page
    assert '<span class="badge marketing" id="workflow-state">On</span>' in page


def test_switch_on_without_enrolling_existing_contacts_enrolls_none(
    client, automator, marketer_actor, nurture, db_state, django_capture_on_commit_callbacks
):
    contacts_make(count=2, actor=marketer_actor, lifecycle_stage="lead")
    client.force_login(automator)
    before = db_state()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("switch_on", nurture), {})
    assert response.status_code == 302
    assert Workflow.objects.get().is_enabled is True
    assert Enrollment.objects.count() == 0
    assert db_state() == before


def test_switch_off_stops_the_workflow(client, automator, nurture):
    workflow_enable(workflow=nurture, enroll_existing=False, actor=Actor.for_user(automator))
    client.force_login(automator)
    response = client.post(_url("switch_off", nurture))
    assert response.status_code == 302
    assert Workflow.objects.get().is_enabled is False
    assert "is off" in client.get(response["Location"]).content.decode()
    assert list(WorkflowChange.objects.order_by("pk").values_list("what", flat=True))[-1] == "Switched off"


# --- History ----------------------------------------------------------------------------------------------


@pytest.fixture
def run_nurture(automator, marketer_actor, nurture, django_capture_on_commit_callbacks):
    """Nurture leads switched on with `count` leads enrolled and run (Celery runs inline)."""

    def _run(count: int):
        leads = contacts_make(count=count, actor=marketer_actor, lifecycle_stage="lead")
        with django_capture_on_commit_callbacks(execute=True):
            workflow_enable(workflow=nurture, enroll_existing=True, actor=Actor.for_user(automator))
        return leads

    return _run


def test_history_shows_steps_with_outcome_and_detail_and_the_change_log(client, viewer, nurture, run_nurture):
    leads = run_nurture(2)
    client.force_login(viewer)
    response = client.get(_url("history", nurture))
    page = response.content.decode()
    assert response.status_code == 200
    steps = list(response.context["steps"])
    assert {step.enrollment.contact_id for step in steps} == {lead.pk for lead in leads}
    assert {(step.position, step.kind, step.outcome, step.detail) for step in steps} == {
        (0, "SET_MARKETING_STATUS", "DONE", "Set as marketing")
    }
    row = page.split(f'data-step="{steps[0].pk}"')[1].split("</tr>")[0]
    assert "Set marketing contact status" in row and ">Done</span>" in row and "Set as marketing" in row
    assert rule_ids_shown(page) == []  # the step's detail names no rule (R10)
    assert [change.what for change in response.context["changes"]] == [
        "Switched on, enrolling 2 existing contacts",
        "Created",
    ]
    assert "Switched on, enrolling 2 existing contacts" in page


def test_history_is_paginated_with_the_same_queries_for_every_page(
    client, viewer, nurture, run_nurture, django_assert_max_num_queries
):
    run_nurture(55)
    client.force_login(viewer)
    with django_assert_max_num_queries(20) as baseline:
        first = client.get(_url("history", nurture))
    assert len(first.context["steps"]) == 50
    assert first.context["steps"].paginator.num_pages == 2
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        second = client.get(_url("history", nurture) + "?page=2")
    assert len(second.context["steps"]) == 5


def test_history_takes_the_same_queries_for_few_and_many_steps(
    client,
    viewer,
    automator,
    marketer_actor,
    nurture,
    run_nurture,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    run_nurture(1)
    client.force_login(viewer)
    with django_assert_max_num_queries(20) as baseline:
        client.get(_url("history", nurture))
    other = workflow_create(
        name="Other", triggers=[{"filters": [LEAD]}], actions=[SET_MARKETING], actor=Actor.for_user(automator)
    )
    contacts_make(count=20, actor=marketer_actor, lifecycle_stage="lead")
    with django_capture_on_commit_callbacks(execute=True):
        workflow_enable(workflow=other, enroll_existing=True, actor=Actor.for_user(automator))
    assert EnrollmentStep.objects.filter(workflow=other).count() == 21
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        assert client.get(_url("history", other)).status_code == 200


def test_retrying_enrollments_are_listed_on_the_history(client, viewer, nurture, run_nurture):
    """R19: an enrollment waiting for its next try is visible as retrying."""
    lead = run_nurture(1)[0]
    enrollment = Enrollment.objects.get(contact=lead)
    Enrollment.objects.filter(pk=enrollment.pk).update(
        state=EnrollmentState.RETRYING, attempts=3, last_error="Lock timeout", finished_at=None
    )
    client.force_login(viewer)
    page = client.get(_url("history", nurture)).content.decode()
    assert 'id="retrying"' in page and "Lock timeout" in page
    assert '<div class="muted">Retrying</div><div class="value">1</div>' in page


# --- The contact record ---------------------------------------------------------------------------------


def test_contact_record_lists_its_enrollments_for_workflow_viewers(client, nurture, run_nurture):
    lead = run_nurture(1)[0]
    reader = with_perms("view_workflow", "view_contact")
    client.force_login(reader)
    page = client.get(reverse("contacts:record", args=[lead.pk])).content.decode()
    section = page.split('id="workflow-enrollments"')[1].split("</section>")[0]
    assert ">Nurture leads</a>" in section
    assert 'data-state="COMPLETED"' in section
    step = EnrollmentStep.objects.get(enrollment__contact=lead)
    assert step.detail in section and 'data-step-outcome="DONE"' in section


def test_contact_record_hides_enrollments_without_the_workflow_permission(client, run_nurture):
    lead = run_nurture(1)[0]
    client.force_login(with_perms("view_contact"))
    page = client.get(reverse("contacts:record", args=[lead.pk])).content.decode()
    assert 'id="workflow-enrollments"' not in page


def test_contact_record_says_when_a_contact_is_in_no_workflow(client, viewer, subscription, marketer_actor):
    contact = contacts_make(count=1, actor=marketer_actor)[0]
    client.force_login(viewer)
    page = client.get(reverse("contacts:record", args=[contact.pk])).content.decode()
    assert "Not enrolled in any workflow." in page


def test_list_membership_trigger_reads_lists(client, automator, subscription):
    """The list and form choices come from the lists and forms that exist."""
    lists = contact_list_create(name="Newsletter", actor=Actor.for_user(with_perms("change_contact")))
    contact_list_add(contact_list=lists, contacts=[], actor=Actor.for_user(with_perms("change_contact")))
    client.force_login(automator)
    page = client.get(NEW).content.decode()
    assert f'<option value="{lists.pk}">Newsletter</option>' in page


def test_switch_on_is_refused_on_the_page_for_a_workflow_without_actions(client, automator, subscription, db_state):
    empty = workflow_create(name="Empty", triggers=[{"filters": [LEAD]}], actions=[], actor=Actor.for_user(automator))
    client.force_login(automator)
    before, workflows = db_state(), _workflows_state()
    response = client.post(_url("switch_on", empty), {"enroll_existing": "1"})
    assert response.status_code == 400
    assert "Add at least one action before switching the workflow on." in response.content.decode()
    assert 'id="enroll-existing" checked' in response.content.decode()  # the choice is kept
    assert _workflows_state() == workflows
    assert db_state() == before


def test_r18_after_a_downgrade_a_stored_non_marketing_action_is_shown_and_switching_on_is_refused(
    client, automator, professional, db_state
):
    workflow = workflow_create(
        name="Sunset",
        triggers=[{"filters": [LEAD]}],
        actions=[ActionSpec(kind=ActionKind.SET_MARKETING_STATUS, params={"marketing": False})],
        actor=Actor.for_user(automator),
    )
    Subscription.objects.update(hub_tier=HubTier.STARTER)
    client.force_login(automator)
    options = _marketing_options(client.get(_url("edit", workflow)).content.decode())
    assert (
        '<option value="false" selected>Set as non-marketing (needs a Professional' in options
    )  # not silently changed
    before, workflows = db_state(), _workflows_state()
    response = client.post(_url("switch_on", workflow), {"enroll_existing": "1"})
    assert response.status_code == 400
    assert TIER_REFUSAL in response.content.decode()
    assert _workflows_state() == workflows
    assert db_state() == before


def test_editor_shows_the_progress_of_enrolling_existing_contacts(client, automator, marketer_actor, nurture):
    contacts_make(count=3, actor=marketer_actor, lifecycle_stage="lead")
    workflow_enable(workflow=nurture, enroll_existing=True, actor=Actor.for_user(automator))  # the job not run yet
    client.force_login(automator)
    page = client.get(_url("edit", nurture)).content.decode()
    assert "switch-on: 0 of 3 so far." in " ".join(page.split())
