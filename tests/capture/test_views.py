"""Settings > Lead capture: R6's account-wide toggle and every tool's setting changes (R30)."""

from django.contrib.auth.models import Permission
from django.urls import reverse

from marketing_status.actors import Actor
from marketing_status.models import CreationToolSetting, CreationToolSettingChange
from marketing_status.policy import CreationTool
from marketing_status.selectors import creation_tool_setting_get

URL = reverse("capture:settings")
TOGGLE = reverse("capture:non_hubspot_forms_setting")


def test_settings_page_needs_sign_in(client):
    response = client.get(URL)
    assert (response.status_code, response["Location"].startswith("/login/")) == (302, True)


def test_r6_settings_page_shows_the_default_on(client, marketer):
    client.force_login(marketer)
    page = client.get(URL).content.decode()
    assert "Set new contacts created through non-HubSpot forms as marketing contacts" in page
    assert 'id="marketing-setting-state">marketing contacts' in page
    assert "Never changed: on by default." in page


def test_r6_switching_off_is_recorded_with_who_and_when(client, marketer):
    client.force_login(marketer)
    response = client.post(TOGGLE, {"value": "0"}, follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert creation_tool_setting_get(tool=CreationTool.NON_HUBSPOT_FORM) is False
    change = CreationToolSettingChange.objects.get()
    assert (change.tool, change.source_id, change.old_value, change.new_value, change.changed_by) == (
        CreationTool.NON_HUBSPOT_FORM,
        "",
        True,
        False,
        marketer,
    )
    page = response.content.decode()
    assert "Non-HubSpot forms now creates non-marketing contacts (from now on)." in page
    assert marketer.get_username() in page


def test_r30_switch_without_marketing_access_is_refused_and_changes_nothing(client, sales_user):
    client.force_login(sales_user)
    assert 'disabled aria-describedby="marketing-setting-why"' in client.get(URL).content.decode()
    response = client.post(TOGGLE, {"value": "0"})
    assert response.status_code == 403
    assert (CreationToolSetting.objects.count(), CreationToolSettingChange.objects.count()) == (0, 0)


def test_a_repeat_changes_nothing(client, marketer):
    client.force_login(marketer)
    response = client.post(TOGGLE, {"value": "1"}, follow=True)
    assert "Nothing changed: it was already on." in response.content.decode()
    assert CreationToolSettingChange.objects.count() == 0


def test_bad_value_is_a_400_and_changes_nothing(client, marketer):
    client.force_login(marketer)
    assert client.post(TOGGLE, {"value": "maybe"}).status_code == 400
    assert CreationToolSettingChange.objects.count() == 0


def test_toggle_needs_post(client, marketer):
    client.force_login(marketer)
    assert client.get(TOGGLE).status_code == 405


def test_changes_name_the_form_chatflow_and_integration_they_belong_to(client, marketer, marketer_actor):
    """The page links each changed setting to its source instead of showing a bare id."""
    from conversations.services import chatflow_create
    from integrations.services import integration_create
    from leadforms.builder import FieldSpec, form_create
    from marketing_status.services import creation_tool_setting_set

    marketer.user_permissions.add(*Permission.objects.filter(codename__in=["add_form", "add_chatflow"]))
    actor = Actor.for_user(type(marketer).objects.get(pk=marketer.pk))
    form = form_create(name="Newsletter signup", fields=[FieldSpec("email")], actor=actor)
    chatflow = chatflow_create(
        name="Pricing chat", welcome_message="Hi", email_prompt="Email?", thanks_message="Ok", actor=actor
    )
    integration, _ = integration_create(name="Shop sync", scopes=(), actor=Actor.system("tests"))
    for tool, source_id, value in (
        (CreationTool.HUBSPOT_FORM, form.source_id, False),
        (CreationTool.CHATFLOW, str(chatflow.pk), True),
        (CreationTool.INTEGRATION, str(integration.pk), True),
        (CreationTool.HUBSPOT_FORM, "gone-form", False),
    ):
        creation_tool_setting_set(tool=tool, source_id=source_id, marketing_on_create=value, actor=actor)
    client.force_login(marketer)

    page = client.get(URL).content.decode()

    assert f'<a href="/marketing/forms/{form.guid}/edit/">Newsletter signup</a>' in page
    assert f'<a href="/conversations/{chatflow.pk}/">Pricing chat</a>' in page
    assert f'<a href="/settings/integrations/{integration.pk}/">Shop sync</a>' in page
    assert '<span class="muted">Deleted form</span>' in page and "gone-form" not in page  # no id soup
