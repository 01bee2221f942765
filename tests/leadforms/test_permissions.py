"""R30 through the form builder: a form whose setting is on sets every visitor's contact as marketing (R5),
so only a person with Marketing contact access builds one that is on. Without it, the form is built with its
setting stored off (recorded as that person's change), the builder says so, switching it on is refused, and
visitors' submissions create and leave contacts non-marketing."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from contacts.models import Contact
from leadforms.builder import FieldSpec, form_create
from leadforms.models import Form, FormSubmission
from leadforms.submissions import form_submit
from leadforms.views import NON_MARKETING_NOTE
from marketing_status.actors import Actor
from marketing_status.models import CreationToolSetting, CreationToolSettingChange
from marketing_status.policy import CreationTool
from marketing_status.selectors import creation_tool_setting_get
from marketing_status.services import creation_tool_setting_start_off
from tests.capture.helpers import rule_ids_shown
from tests.conftest import FROZEN_START
from tests.factories import contacts_make
from tests.leadforms.conftest import FORM_PERMISSIONS
from tests.leadforms.helpers import fields, post_json, submit_url

pytestmark = pytest.mark.django_db
NEW = reverse("leadforms:new")


def _may_build(user):
    user.user_permissions.add(*Permission.objects.filter(codename__in=FORM_PERMISSIONS))
    return type(user).objects.get(pk=user.pk)  # a fresh permission cache


@pytest.fixture
def sales_builder(sales_user):
    """The `sales_user` (no Marketing contact access) with the Forms permissions."""
    return _may_build(sales_user)


@pytest.fixture
def marketing_builder(marketer):
    return _may_build(marketer)


def _setting(form: Form) -> bool:
    return creation_tool_setting_get(tool=CreationTool.HUBSPOT_FORM, source_id=form.source_id)


def _posted(name: str = "Webinar") -> dict:
    return {
        "name": name,
        "submit_text": "Register",
        "thank_you_message": "See you there.",
        "redirect_url": "",
        "fields-TOTAL_FORMS": "1",
        "fields-INITIAL_FORMS": "0",
        "fields-0-property": "email",
        "fields-0-label": "Email",
        "fields-0-required": "on",
        "fields-0-position": "0",
    }


def _status(contact) -> tuple:
    contact = Contact.objects.get(pk=contact.pk)
    return (contact.marketable_status, contact.marketable_until_renewal, contact.marketable_reason_type)


# --- The service ---------------------------------------------------------------------------------------


def test_r30_form_built_without_access_creates_non_marketing(subscription, sales_builder, frozen_clock):
    form = form_create(name="Webinar", fields=[FieldSpec("email")], actor=Actor.for_user(sales_builder))
    assert _setting(form) is False
    stored = CreationToolSetting.objects.get()
    assert (stored.tool, stored.source_id, stored.marketing_on_create, stored.updated_by) == (
        CreationTool.HUBSPOT_FORM,
        form.source_id,
        False,
        sales_builder,
    )
    change = CreationToolSettingChange.objects.get()
    assert (change.source_id, change.old_value, change.new_value, change.changed_by, change.changed_at) == (
        form.source_id,
        True,
        False,
        sales_builder,
        FROZEN_START,
    )
    submission = form_submit(form=form, values={"email": "visitor@example.com"})
    assert (submission.created, submission.upgraded) == (True, False)
    assert _status(submission.contact) == (False, False, "FORM_SUBMISSION")


def test_r30_form_built_with_access_keeps_the_default_on(subscription, marketing_builder):
    form = form_create(name="Webinar", fields=[FieldSpec("email")], actor=Actor.for_user(marketing_builder))
    assert _setting(form) is True
    assert (CreationToolSetting.objects.count(), CreationToolSettingChange.objects.count()) == (0, 0)
    submission = form_submit(form=form, values={"email": "visitor@example.com"})
    assert _status(submission.contact) == (True, False, "FORM_SUBMISSION")


def test_r30_starting_off_never_overwrites_a_stored_setting(subscription, marketer_actor):
    creation_tool_setting_start_off(tool=CreationTool.HUBSPOT_FORM, source_id="f-1", actor=marketer_actor)
    stored = creation_tool_setting_start_off(tool=CreationTool.HUBSPOT_FORM, source_id="f-1", actor=marketer_actor)
    assert stored is False
    assert CreationToolSettingChange.objects.count() == 1
    # Off by default already (chatflows, integrations): nothing to store.
    assert creation_tool_setting_start_off(tool=CreationTool.CHATFLOW, source_id="7", actor=marketer_actor) is False
    with pytest.raises(ValueError):
        creation_tool_setting_start_off(tool=CreationTool.NON_HUBSPOT_FORM, source_id="", actor=marketer_actor)
    assert CreationToolSetting.objects.count() == 1


# --- The builder's screens -----------------------------------------------------------------------------


def test_r30_builder_without_access_is_told_new_contacts_will_be_non_marketing(client, subscription, sales_builder):
    client.force_login(sales_builder)
    page = client.get(NEW).content.decode()
    assert f'<p id="marketing-setting-note"><strong>{NON_MARKETING_NOTE}</strong></p>' in page
    response = client.post(NEW, _posted(), follow=True)
    form = Form.objects.get()
    assert response.redirect_chain == [(reverse("leadforms:edit", args=[form.guid]), 302)]
    page = response.content.decode()
    assert f"Form “Webinar” created. {NON_MARKETING_NOTE}" in page
    assert '<strong id="marketing-setting-state">non-marketing contacts</strong>' in page
    assert f'<span class="muted" id="marketing-setting-why">{NON_MARKETING_NOTE}</span>' in page
    assert 'disabled aria-describedby="marketing-setting-why"' in page
    assert sales_builder.get_username() in page  # the history names who stored it off
    assert rule_ids_shown(page) == []


def test_r30_builder_with_access_is_told_the_form_is_on(client, subscription, marketing_builder):
    client.force_login(marketing_builder)
    assert 'id="marketing-setting-note"' not in client.get(NEW).content.decode()
    page = client.post(NEW, _posted(), follow=True).content.decode()
    assert "It creates marketing contacts unless you switch it off." in page
    assert '<strong id="marketing-setting-state">marketing contacts</strong>' in page
    assert 'id="marketing-setting-why"' not in page
    assert _setting(Form.objects.get()) is True


def test_r30_switching_on_a_form_built_without_access_is_refused_and_changes_nothing(
    client, subscription, sales_builder, db_state
):
    client.force_login(sales_builder)
    client.post(NEW, _posted())
    form = Form.objects.get()
    before = db_state()
    response = client.post(reverse("leadforms:marketing_setting", args=[form.guid]), {"value": "1"})
    assert response.status_code == 403
    assert "Marketing contact access" in response.content.decode()
    assert db_state() == before
    assert _setting(form) is False


def test_r30_a_marketer_may_switch_it_on_afterwards(client, subscription, sales_builder, marketing_builder):
    client.force_login(sales_builder)
    client.post(NEW, _posted())
    form = Form.objects.get()
    client.force_login(marketing_builder)
    response = client.post(reverse("leadforms:marketing_setting", args=[form.guid]), {"value": "1"})
    assert response.status_code == 302
    assert _setting(form) is True
    assert list(CreationToolSettingChange.objects.order_by("pk").values_list("new_value", "changed_by")) == [
        (False, sales_builder.pk),
        (True, marketing_builder.pk),
    ]


# --- The exploit, through the public submission endpoint -----------------------------------------------


def test_r30_visitor_submitting_a_form_built_without_access_leaves_a_non_marketing_contact_non_marketing(
    client, subscription, sales_builder, marketer_actor, history_of
):
    (contact,) = contacts_make(count=1, actor=marketer_actor, marketing=False)
    history = history_of(contact)
    client.force_login(sales_builder)
    assert client.post(NEW, _posted()).status_code == 302
    form = Form.objects.get()
    client.logout()  # the visitor
    response = post_json(client, submit_url(form), {"fields": fields(email=contact.email)})
    assert response.status_code == 200
    assert _status(contact) == (False, False, "USER_SET")
    assert history_of(contact) == history
    submission = FormSubmission.objects.get()
    assert (submission.contact_id, submission.created, submission.upgraded) == (contact.pk, False, False)


def test_r30_visitor_submitting_a_form_built_with_access_sets_the_contact_as_marketing(
    client, subscription, marketing_builder, marketer_actor
):
    (contact,) = contacts_make(count=1, actor=marketer_actor, marketing=False)
    client.force_login(marketing_builder)
    client.post(NEW, _posted())
    form = Form.objects.get()
    client.logout()
    response = post_json(client, submit_url(form), {"fields": fields(email=contact.email)})
    assert response.status_code == 200
    assert _status(contact) == (True, False, "FORM_SUBMISSION")
    assert Contact.objects.get(pk=contact.pk).marketable_reason_id == form.source_id
