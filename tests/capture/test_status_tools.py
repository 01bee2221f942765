"""Settings > Lead capture lists every tool that sets marketing status now (R5–R8, R18), with who switched it on
or created it, and warns when that person is inactive or no longer has Marketing contact access (R30): such a
tool keeps working until an admin switches it off, from the link on its row."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from capture.selectors import status_setting_tools
from conversations.services import chatflow_create
from integrations.scopes import CONTACTS_WRITE, MARKETING_WRITE
from integrations.services import integration_create, integration_revoke
from leadforms.builder import FieldSpec, form_create
from marketing_status.actors import Actor
from marketing_status.policy import CreationTool
from marketing_status.services import creation_tool_setting_set
from tests.capture.helpers import rule_ids_shown
from tests.factories import UserFactory
from workflows.definitions import ActionSpec, workflow_create, workflow_enable
from workflows.models import ActionKind

pytestmark = pytest.mark.django_db
URL = reverse("capture:settings")
LEAD = [{"filters": [{"type": "property", "propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}]
SET_MARKETING = ActionSpec(ActionKind.SET_MARKETING_STATUS, {"marketing": True})
SET_PROPERTY = ActionSpec(ActionKind.SET_PROPERTY, {"propertyName": "company", "value": "Acme"})
TOOL_PERMISSIONS = ("add_form", "change_form", "add_chatflow", "change_chatflow", "add_workflow", "change_workflow")


def _person(*, access: bool = True):
    user = UserFactory()
    codenames = [*TOOL_PERMISSIONS, *(["marketing_contact_access"] if access else [])]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return type(user).objects.get(pk=user.pk)


def _form(actor, name: str):
    return form_create(name=name, fields=[FieldSpec("email")], actor=actor)


def _switch(actor, tool: CreationTool, source_id: str, on: bool) -> None:
    creation_tool_setting_set(tool=tool, source_id=source_id, marketing_on_create=on, actor=actor)


def _chatflow(actor, name: str):
    return chatflow_create(name=name, welcome_message="Hi", email_prompt="Email?", thanks_message="Thanks", actor=actor)


def _workflow(actor, name: str, actions, *, enable: bool):
    workflow = workflow_create(name=name, triggers=LEAD, actions=actions, actor=actor)
    if enable:
        workflow_enable(workflow=workflow, enroll_existing=False, actor=actor)
    return workflow


@pytest.fixture
def tools(subscription, system_actor):
    """One of each kind of tool, each on or off, built by a marketer (`by`) or a sales user (`sales`)."""
    by, sales = _person(), _person(access=False)
    actor, sales_actor = Actor.for_user(by), Actor.for_user(sales)
    made = {"by": by, "sales": sales}
    made["form_default"] = _form(system_actor, "A default form")  # on by default, built by the system
    made["form_by_marketer"] = _form(actor, "B marketer's form")  # on by default
    made["form_by_sales"] = _form(sales_actor, "C sales form")  # stored off
    made["form_switched_on"] = _form(sales_actor, "D switched on")
    _switch(actor, CreationTool.HUBSPOT_FORM, made["form_switched_on"].source_id, True)
    made["form_switched_off"] = _form(actor, "E switched off")
    _switch(actor, CreationTool.HUBSPOT_FORM, made["form_switched_off"].source_id, False)
    made["chat_on"] = _chatflow(actor, "Pricing chat")
    _switch(actor, CreationTool.CHATFLOW, made["chat_on"].source_id, True)
    made["chat_off"] = _chatflow(actor, "Support chat")  # R7's default: off
    made["app_on"], _ = integration_create(name="Shop sync", marketing_on_create=True, actor=actor)
    made["app_scope"], _ = integration_create(name="Status sync", scopes=[MARKETING_WRITE], actor=actor)
    made["app_plain"], _ = integration_create(name="Plain sync", scopes=[CONTACTS_WRITE], actor=sales_actor)
    made["app_revoked"], _ = integration_create(name="Old sync", marketing_on_create=True, actor=actor)
    integration_revoke(integration=made["app_revoked"], actor=actor)
    made["flow_on"] = _workflow(actor, "Nurture leads", [SET_MARKETING], enable=True)
    made["flow_off"] = _workflow(actor, "Nurture later", [SET_MARKETING], enable=False)
    made["flow_other"] = _workflow(sales_actor, "Tag leads", [SET_PROPERTY], enable=True)
    return made


def _row(rows, key: str):
    (row,) = [row for row in rows if row.tool.key == key]
    return row


def test_r30_lead_capture_lists_every_tool_that_sets_status_now(tools):
    rows = status_setting_tools()
    assert [row.tool.key for row in rows] == [
        f"form:{tools['form_default'].guid}",
        f"form:{tools['form_by_marketer'].guid}",
        f"form:{tools['form_switched_on'].guid}",
        "non-hubspot-forms",
        f"chatflow:{tools['chat_on'].pk}",
        f"integration:{tools['app_on'].pk}",
        f"integration-scope:{tools['app_scope'].pk}",
        f"workflow:{tools['flow_on'].pk}",
    ]
    by = tools["by"]
    who = {row.tool.key: (row.tool.person, row.tool.person_did) for row in rows}
    assert who == {
        f"form:{tools['form_default'].guid}": (None, "Created"),
        f"form:{tools['form_by_marketer'].guid}": (by, "Created"),
        f"form:{tools['form_switched_on'].guid}": (by, "Switched on"),
        "non-hubspot-forms": (None, "On by default"),
        f"chatflow:{tools['chat_on'].pk}": (by, "Switched on"),
        f"integration:{tools['app_on'].pk}": (by, "Switched on"),
        f"integration-scope:{tools['app_scope'].pk}": (by, "Created"),
        f"workflow:{tools['flow_on'].pk}": (by, "Switched on"),
    }
    assert [row.warning for row in rows] == [""] * len(rows)


def test_r30_lead_capture_links_each_tool_and_its_switch(client, tools):
    client.force_login(tools["by"])
    page = client.get(URL).content.decode()
    form, chat, app, flow = tools["form_switched_on"], tools["chat_on"], tools["app_scope"], tools["flow_on"]
    edit = reverse("leadforms:edit", args=[form.guid])
    assert f'<td><a href="{edit}">D switched on</a></td>' in page
    assert f'<a href="{edit}#marketing-setting" data-switch="form:{form.guid}">Switch off…</a>' in page
    chat_url = reverse("conversations:edit", args=[chat.pk])
    assert f'<a href="{chat_url}#marketing-setting" data-switch="chatflow:{chat.pk}">' in page
    revoke = reverse("integrations:revoke", args=[app.pk])
    assert f'<a href="{revoke}" data-switch="integration-scope:{app.pk}">Revoke…</a>' in page
    flow_url = reverse("workflows:edit", args=[flow.pk])
    assert f'<a href="{flow_url}#workflow-actions" data-switch="workflow:{flow.pk}">' in page
    assert 'data-switch="non-hubspot-forms"' in page
    assert "Sets the contacts it enrolls as marketing." in page
    assert "C sales form" not in page.split('id="status-tools"')[1].split("</section>")[0]
    assert "data-warning" not in page
    assert rule_ids_shown(page) == []


def test_r30_lead_capture_warns_when_who_switched_it_on_lost_access_or_left(client, tools):
    by = tools["by"]
    by.user_permissions.remove(Permission.objects.get(codename="marketing_contact_access"))
    rows = status_setting_tools()
    form = f"form:{tools['form_switched_on'].guid}"
    assert _row(rows, form).warning == (
        f"{by.get_username()}, who switched it on, no longer has Marketing contact access. "
        "It keeps working: switch it off unless it should."
    )
    assert _row(rows, f"integration-scope:{tools['app_scope'].pk}").warning.startswith(
        f"{by.get_username()}, who created it, no longer has Marketing contact access."
    )
    assert _row(rows, "non-hubspot-forms").warning == ""  # on by default: nobody to lose anything
    type(by).objects.filter(pk=by.pk).update(is_active=False)
    rows = status_setting_tools()
    assert _row(rows, f"workflow:{tools['flow_on'].pk}").warning == (
        f"{by.get_username()}, who switched it on, is no longer active. "
        "It keeps working: switch it off unless it should."
    )
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    page = client.get(URL).content.decode()
    assert f'<p class="msg error" data-warning="{form}">' in page
    assert f'<tr data-status-tool="{form}" class="warning">' in page


def test_r30_a_superuser_keeps_access_without_the_permission(subscription):
    admin = UserFactory(is_superuser=True, is_staff=True)
    chat = _chatflow(Actor.for_user(admin), "Admin chat")
    _switch(Actor.for_user(admin), CreationTool.CHATFLOW, chat.source_id, True)
    assert _row(status_setting_tools(), f"chatflow:{chat.pk}").warning == ""


def test_r30_an_admin_switches_a_tool_off_from_its_link_and_it_leaves_the_list(client, tools):
    by = tools["by"]
    by.user_permissions.remove(Permission.objects.get(codename="marketing_contact_access"))
    admin = _person()
    client.force_login(admin)
    form = tools["form_switched_on"]
    response = client.post(reverse("leadforms:marketing_setting", args=[form.guid]), {"value": "0"})
    assert response.status_code == 302
    response = client.post(reverse("workflows:switch_off", args=[tools["flow_on"].pk]))
    assert response.status_code == 302
    keys = [row.tool.key for row in status_setting_tools()]
    assert f"form:{form.guid}" not in keys and f"workflow:{tools['flow_on'].pk}" not in keys
    assert f"chatflow:{tools['chat_on'].pk}" in keys


def test_lead_capture_lists_tools_in_the_same_queries_however_many(subscription, system_actor):
    by = _person()
    actor = Actor.for_user(by)

    def add(number: int) -> None:
        _form(actor, f"Form {number}")
        chat = _chatflow(actor, f"Chat {number}")
        _switch(actor, CreationTool.CHATFLOW, chat.source_id, True)
        integration_create(name=f"App {number}", scopes=[MARKETING_WRITE], marketing_on_create=True, actor=actor)
        _workflow(actor, f"Flow {number}", [SET_MARKETING], enable=True)

    add(0)
    with CaptureQueriesContext(connection) as few:
        assert len(status_setting_tools()) == 1 + 5
    for number in range(1, 5):
        add(number)
    with CaptureQueriesContext(connection) as many:
        assert len(status_setting_tools()) == 1 + 5 * 5
    assert len(many) == len(few)
