"""leadforms.builder: building forms (their definition and fields, the permissions to build them)."""

import pytest
from django.core.exceptions import PermissionDenied

from leadforms.builder import FieldSpec, FormInvalid, form_create, form_update
from leadforms.models import Form, FormField, FormSubmission
from leadforms.submissions import form_submit
from marketing_status.actors import Actor

pytestmark = pytest.mark.django_db


def _fields(form: Form) -> list[tuple]:
    return list(form.fields.values_list("name", "label", "required", "position"))


def _forms_state() -> tuple:
    return (
        list(Form.objects.order_by("pk").values_list("pk", "name", "submit_text", "thank_you_message", "redirect_url")),
        list(FormField.objects.order_by("pk").values_list("form_id", "name", "label", "required", "position")),
    )


# --- Building forms ------------------------------------------------------------------------------


def test_form_create_orders_fields_labels_them_and_always_requires_the_email(builder):
    form = form_create(
        name="  Demo   request ",
        fields=[FieldSpec("company", "", True, 5), FieldSpec("email", "Work email", False, 1), FieldSpec("phone")],
        thank_you_message="",
        actor=Actor.for_user(builder),
    )
    assert (form.name, form.submit_text, form.thank_you_message) == (
        "Demo request",
        "Submit",
        "Thanks for submitting the form.",
    )
    assert _fields(form) == [
        ("email", "Work email", True, 0),  # the email is required even when asked otherwise
        ("phone", "Phone number", False, 1),  # a blank label is the property's
        ("company", "Company name", True, 2),
    ]
    assert form.created_by == builder
    assert len(form.source_id) == 36


@pytest.mark.parametrize(
    ("arguments", "errors"),
    [
        ({"name": " ", "fields": [FieldSpec("email")]}, {"name": "Enter a name for the form."}),
        (
            {"name": "F", "fields": [FieldSpec("firstname")]},
            {"fields": "A form needs the Email field: contacts are created and matched by email."},
        ),
        (
            {"name": "F", "fields": [FieldSpec("email"), FieldSpec("hs_marketable_status")]},
            {"fields.1": "'hs_marketable_status' is not a contact property a form can fill."},
        ),
        (
            {"name": "F", "fields": [FieldSpec("email"), FieldSpec("email")]},
            {"fields.1": "Email is on the form twice."},
        ),
        (
            {"name": "F", "fields": [FieldSpec("email")], "redirect_url": "javascript:alert(1)"},
            {"redirect_url": "Enter a full http:// or https:// address, or leave it empty."},
        ),
    ],
)
def test_form_create_refuses_an_invalid_definition_and_writes_nothing(builder, arguments, errors):
    before = _forms_state()
    with pytest.raises(FormInvalid) as refused:
        form_create(**arguments, actor=Actor.for_user(builder))
    assert refused.value.errors == errors
    assert _forms_state() == before


def test_form_create_needs_the_add_permission(viewer):
    with pytest.raises(PermissionDenied):
        form_create(name="F", fields=[FieldSpec("email")], actor=Actor.for_user(viewer))
    assert Form.objects.count() == 0


def test_form_update_replaces_the_definition_and_keeps_past_submissions(subscription, builder, lead_form):
    form_submit(form=lead_form, values={"email": "a@example.com", "company": "Acme"})
    updated = form_update(
        form=lead_form,
        name="Newsletter 2",
        fields=[FieldSpec("email"), FieldSpec("lastname", "Surname", True)],
        submit_text="Join",
        redirect_url="https://example.com/thanks",
        actor=Actor.for_user(builder),
    )
    assert (updated.guid, updated.name, updated.submit_text, updated.redirect_url) == (
        lead_form.guid,
        "Newsletter 2",
        "Join",
        "https://example.com/thanks",
    )
    assert _fields(updated) == [("email", "Email", True, 0), ("lastname", "Surname", True, 1)]
    assert FormSubmission.objects.get().values == [
        {"name": "email", "value": "a@example.com"},
        {"name": "company", "value": "Acme"},
    ]


def test_form_update_needs_the_change_permission(lead_form, viewer):
    before = _forms_state()
    with pytest.raises(PermissionDenied):
        form_update(form=lead_form, name="X", fields=[FieldSpec("email")], actor=Actor.for_user(viewer))
    assert _forms_state() == before
