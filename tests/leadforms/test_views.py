"""Marketing > Forms: the builder, the per-form toggle (R5, R30) and its history, embed codes, and the
submissions lists, with and without each permission; refusals change nothing."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from leadforms.models import Form, FormField
from leadforms.submissions import CapturedField, external_form_capture, form_submit
from marketing_status.models import CreationToolSetting, CreationToolSettingChange
from marketing_status.policy import CreationTool
from marketing_status.selectors import creation_tool_setting_get
from marketing_status.services import creation_tool_setting_set
from tests.conftest import FROZEN_START
from tests.factories import UserFactory, contacts_make

pytestmark = pytest.mark.django_db
INDEX = reverse("leadforms:index")
NEW = reverse("leadforms:new")


def _url(name: str, form) -> str:
    return reverse(f"leadforms:{name}", args=[form.guid])


def _forms_state() -> tuple:
    return (
        list(Form.objects.order_by("pk").values_list("pk", "name", "submit_text", "thank_you_message", "updated_at")),
        list(FormField.objects.order_by("pk").values_list("form_id", "name", "label", "required", "position")),
    )


def _posted(name="Webinar", rows=(("email", "Email", True, 0), ("firstname", "", False, 1)), **definition) -> dict:
    data = {
        "name": name,
        "submit_text": "Register",
        "thank_you_message": "See you there.",
        "redirect_url": "",
        "fields-TOTAL_FORMS": str(len(rows)),
        "fields-INITIAL_FORMS": "0",
        **definition,
    }
    for index, (prop, label, required, position) in enumerate(rows):
        data |= {f"fields-{index}-property": prop, f"fields-{index}-label": label, f"fields-{index}-position": position}
        if required:
            data[f"fields-{index}-required"] = "on"
    return data


# --- Permissions -------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["index", "new", "edit", "embed", "submissions"])
def test_pages_need_sign_in(client, lead_form, page):
    url = {"index": INDEX, "new": NEW}.get(page) or _url(page, lead_form)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("page", ["index", "new", "edit", "embed", "submissions"])
def test_pages_need_the_forms_permissions(client, lead_form, page):
    client.force_login(UserFactory())
    url = {"index": INDEX, "new": NEW}.get(page) or _url(page, lead_form)
    assert client.get(url).status_code == 403


def test_viewer_sees_the_editor_read_only_and_cannot_post_it(client, viewer, lead_form):
    client.force_login(viewer)
    page = client.get(_url("edit", lead_form)).content.decode()
    assert 'id="read-only"' in page and 'id="save-form"' not in page
    before = _forms_state()
    response = client.post(_url("edit", lead_form), _posted(name="Hijacked"))
    assert response.status_code == 403
    assert _forms_state() == before
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, _posted()).status_code == 403
    assert Form.objects.count() == 1


# --- Builder -----------------------------------------------------------------------------------------


def test_new_form_starts_with_a_required_email(client, builder):
    client.force_login(builder)
    response = client.get(NEW)
    rows = response.context["rows"]
    assert response.status_code == 200
    assert [(row.initial["property"], row.initial["required"]) for row in rows.forms[:3]] == [
        ("email", True),
        ("firstname", False),
        ("lastname", False),
    ]


def test_create_form_then_land_on_its_editor(client, builder):
    client.force_login(builder)
    response = client.post(NEW, _posted())
    form = Form.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("edit", form)
    assert (form.name, form.submit_text, form.thank_you_message, form.created_by) == (
        "Webinar",
        "Register",
        "See you there.",
        builder,
    )
    assert list(form.fields.values_list("name", "label", "required")) == [
        ("email", "Email", True),
        ("firstname", "First name", False),
    ]


def test_invalid_form_shows_errors_keeps_the_input_and_creates_nothing(client, builder):
    client.force_login(builder)
    response = client.post(NEW, _posted(name="", rows=(("firstname", "Your name", False, 0),)))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter a name for the form." in page or "This field is required." in page
    assert Form.objects.count() == 0
    response = client.post(NEW, _posted(name="Webinar", rows=(("firstname", "Your name", False, 0),)))
    page = response.content.decode()
    assert response.status_code == 400
    assert "A form needs the Email field" in page
    assert 'value="Your name"' in page and 'value="Webinar"' in page  # nothing typed is lost
    assert Form.objects.count() == 0


def test_duplicate_property_error_is_shown_on_its_row(client, builder):
    client.force_login(builder)
    rows = (("email", "", True, 0), ("company", "", False, 1), ("company", "Firm", False, 2))
    response = client.post(NEW, _posted(rows=rows))
    assert response.status_code == 400
    assert response.context["rows"].forms[2].errors["property"] == ["Company name is on the form twice."]
    assert Form.objects.count() == 0


def test_edit_form_reorders_and_removes_fields(client, builder, lead_form):
    client.force_login(builder)
    rows = (("email", "E-mail", True, 1), ("lastname", "Surname", True, 0))
    data = _posted(name="Newsletter (EN)", rows=rows)
    data |= {"fields-2-property": "company", "fields-2-DELETE": "on", "fields-TOTAL_FORMS": "3"}
    response = client.post(_url("edit", lead_form), data)
    assert response.status_code == 302
    lead_form.refresh_from_db()
    assert lead_form.name == "Newsletter (EN)"
    assert list(lead_form.fields.values_list("name", "label", "required", "position")) == [
        ("lastname", "Surname", True, 0),
        ("email", "E-mail", True, 1),
    ]


# --- R5 toggle (R30) ---------------------------------------------------------------------------------


def _toggle(client, form, value: str):
    return client.post(_url("marketing_setting", form), {"value": value})


def test_r5_editor_shows_the_toggle_on_by_default(client, builder, lead_form):
    client.force_login(builder)
    page = client.get(_url("edit", lead_form)).content.decode()
    assert "Set contacts created as marketing contacts" in page
    assert '<strong id="marketing-setting-state">marketing contacts</strong>' in page
    assert "Never changed: on by default." in page
    assert 'id="marketing-setting-why"' in page  # no Marketing contact access: the button is disabled


def test_r30_toggle_without_marketing_contact_access_is_refused_and_changes_nothing(
    client, builder, lead_form, db_state
):
    client.force_login(builder)
    before = db_state()
    response = _toggle(client, lead_form, "0")
    assert response.status_code == 403
    assert "Marketing contact access" in response.content.decode()
    assert db_state() == before
    assert creation_tool_setting_get(tool=CreationTool.HUBSPOT_FORM, source_id=lead_form.source_id) is True


def test_r30_toggle_without_change_permission_is_refused(client, viewer, lead_form, db_state):
    viewer.user_permissions.add(*Permission.objects.filter(codename="marketing_contact_access"))
    client.force_login(viewer)
    before = db_state()
    assert _toggle(client, lead_form, "0").status_code == 403
    assert db_state() == before


def test_r5_toggle_records_who_when_old_and_new(client, form_marketer, lead_form, frozen_clock):
    client.force_login(form_marketer)
    response = _toggle(client, lead_form, "0")
    assert response.status_code == 302
    assert response["Location"] == _url("edit", lead_form) + "#marketing-setting"
    assert creation_tool_setting_get(tool=CreationTool.HUBSPOT_FORM, source_id=lead_form.source_id) is False
    change = CreationToolSettingChange.objects.get()
    assert (
        change.tool,
        change.source_id,
        change.changed_by,
        change.old_value,
        change.new_value,
        change.changed_at,
    ) == (
        CreationTool.HUBSPOT_FORM,
        lead_form.source_id,
        form_marketer,
        True,
        False,
        FROZEN_START,
    )
    page = client.get(_url("edit", lead_form)).content.decode()
    assert '<strong id="marketing-setting-state">non-marketing contacts</strong>' in page
    history = page[page.index('id="marketing-setting-history"') :]
    assert form_marketer.get_username() in history
    assert "<td>On</td>" in history and "<td>Off</td>" in history
    assert _toggle(client, lead_form, "0").status_code == 302  # the same value again: nothing recorded
    assert CreationToolSettingChange.objects.count() == 1
    assert CreationToolSetting.objects.get().marketing_on_create is False


def test_r5_index_lists_forms_with_counts_setting_and_the_r6_section(
    client, viewer, lead_form, subscription, marketer_actor, django_assert_max_num_queries
):
    form_submit(form=lead_form, values={"email": "a@example.com", "company": "A"})
    form_submit(form=lead_form, values={"email": "b@example.com", "company": "B"})
    external_form_capture(
        page_url="https://shop.example.com/c",
        form_id_attr="c",
        fields=[CapturedField("email", "c@example.com", "email")],
    )
    creation_tool_setting_set(
        tool=CreationTool.HUBSPOT_FORM, source_id=lead_form.source_id, marketing_on_create=False, actor=marketer_actor
    )
    client.force_login(viewer)
    with django_assert_max_num_queries(12):
        response = client.get(INDEX)
    page = response.content.decode()
    row = page[page.index(f'data-form="{lead_form.guid}"') :]
    assert '<td class="submission-count"><a href' in row and ">2</a>" in row
    assert '<span class="badge">Off</span>' in row[: row.index("</tr>")]
    assert "#c" in page and "https://shop.example.com/c" in page
    assert '<strong id="non-hubspot-state">marketing contacts</strong>' in page
    assert "collected-forms/v1/collector.js" in page and "data-portal-id=&quot;1&quot;" in page
    assert 'id="create-form"' not in page  # a viewer can't add forms


# --- Embed and submissions ---------------------------------------------------------------------------


def test_embed_codes_use_crm_public_url_or_the_request_host(client, viewer, lead_form, settings):
    client.force_login(viewer)
    settings.CRM_PUBLIC_URL = ""
    page = client.get(_url("embed", lead_form)).content.decode()
    assert "http://testserver/forms/embed/v2.js" in page
    assert f"formId: &quot;{lead_form.guid}&quot;" in page
    settings.CRM_PUBLIC_URL = "https://crm.example.com"
    page = client.get(_url("embed", lead_form)).content.decode()
    assert "https://crm.example.com/forms/embed/v2.js" in page
    assert f"action=&quot;https://crm.example.com/forms/{lead_form.guid}/&quot;" in page  # the plain-HTML form
    assert f"https://crm.example.com/submissions/v3/integration/submit/1/{lead_form.guid}" in page


def test_submissions_list_shows_contact_values_and_outcome(
    client, viewer, lead_form, subscription, marketer_actor, django_assert_max_num_queries
):
    (known,) = contacts_make(count=1, actor=marketer_actor, email="known@example.com")
    form_submit(form=lead_form, values={"email": "new@example.com", "company": "Acme"})
    form_submit(form=lead_form, values={"email": "known@example.com", "company": "Known Ltd"})
    client.force_login(viewer)
    with django_assert_max_num_queries(8):
        response = client.get(_url("submissions", lead_form))
    page = response.content.decode()
    assert response.status_code == 200
    assert f'href="{reverse("contacts:record", args=[known.pk])}"' in page
    assert "Known Ltd" in page and "Acme" in page
    assert page.count("Set as marketing") == 1 and page.count(">Created<") == 1
    assert "2 submissions." in page


def test_submissions_list_is_paginated(client, viewer, lead_form, subscription):
    for number in range(51):
        form_submit(form=lead_form, values={"email": f"v{number}@example.com", "company": "A"})
    client.force_login(viewer)
    first = client.get(_url("submissions", lead_form))
    second = client.get(_url("submissions", lead_form) + "?page=2")
    assert len(first.context["page"].object_list) == 50
    assert [submission.contact.email for submission in second.context["page"]] == ["v0@example.com"]


def test_r6_external_form_submissions_page(client, viewer, subscription):
    submission = external_form_capture(
        page_url="https://shop.example.com/contact",
        form_id_attr="contact",
        fields=[CapturedField("email", "a@example.com", "email"), CapturedField("message", "Hi")],
    )
    client.force_login(viewer)
    url = reverse("leadforms:external_submissions", args=[submission.external_form.guid])
    page = client.get(url).content.decode()
    assert "https://shop.example.com/contact" in page and "a@example.com" in page and "Hi" in page
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403
