"""R5 and R6, table-driven, through the public endpoints: each toggle state × a new contact and an
existing marketing / non-marketing / pending contact; status, pending flag, reason type and id, history."""

import pytest

from contacts.models import Contact
from leadforms.builder import FieldSpec, form_create
from leadforms.models import ExternalForm, FormSubmission
from marketing_status.policy import CreationTool
from marketing_status.services import creation_tool_setting_set
from tests.factories import contacts_make
from tests.leadforms.helpers import captured, collect_url, fields, post_json, submit_url

EMAIL = "visitor@example.com"
NEW, MARKETING, NON_MARKETING, PENDING = "new", "marketing", "non_marketing", "pending"
FORM = "FORM"  # the reason id is the form's guid: filled in by the test

# (before, toggle on) → (status, until_renewal, reason type, reason id, created, upgraded, history rows added)
EXPECTED = {
    (NEW, True): (True, False, "FORM_SUBMISSION", FORM, True, False, 1),
    (NEW, False): (False, False, "FORM_SUBMISSION", FORM, True, False, 1),
    (MARKETING, True): (True, False, "USER_SET", "user", False, False, 0),  # R13
    (MARKETING, False): (True, False, "USER_SET", "user", False, False, 0),
    (NON_MARKETING, True): (True, False, "FORM_SUBMISSION", FORM, False, True, 1),  # R5/R6 upgrade (R10)
    (NON_MARKETING, False): (False, False, "USER_SET", "user", False, False, 0),
    (PENDING, True): (True, False, "FORM_SUBMISSION", FORM, False, True, 1),  # R12: the pending switch is cancelled
    (PENDING, False): (True, True, "USER_SET", "user", False, False, 0),
}
CASES = [pytest.param(before, on, id=f"{before}-toggle-{'on' if on else 'off'}") for before, on in EXPECTED]


def _existing(before: str, actor) -> Contact | None:
    if before == NEW:
        return None
    (contact,) = contacts_make(
        count=1, actor=actor, marketing=before == MARKETING, pending=before == PENDING, email=EMAIL, first_name="Kim"
    )
    return contact


def _check(before, on, marketer, history_of, *, reason_id: str, response, existing):
    expected = EXPECTED[(before, on)]
    contact = Contact.objects.get(email=EMAIL)
    assert response.status_code == 200
    assert Contact.objects.count() == 1  # matched by email, never duplicated
    status, pending, reason_type, expected_id, created, upgraded, added = expected
    expected_id = reason_id if expected_id == FORM else str(marketer.pk)
    assert (
        contact.marketable_status,
        contact.marketable_until_renewal,
        contact.marketable_reason_type,
        contact.marketable_reason_id,
    ) == (status, pending, reason_type, expected_id)
    submission = FormSubmission.objects.get()
    assert (submission.contact_id, submission.created, submission.upgraded) == (contact.pk, created, upgraded)
    history = history_of(contact)
    rows_before = 0 if existing is None else (2 if before == PENDING else 1)
    assert len(history) == rows_before + added
    if added:
        assert history[-1] | {"changed_at": None} == {
            "changed_at": None,
            "old_status": None if before == NEW else (before != NON_MARKETING),
            "new_status": status,
            "old_until_renewal": before == PENDING,
            "new_until_renewal": False,
            "reason_type": "FORM_SUBMISSION",
            "reason_id": reason_id,
            "actor_type": "FORM",
            "actor_id": reason_id,
            "actor_user": None,
        }


@pytest.mark.parametrize(("before", "on"), CASES)
def test_r5_hubspot_form_submission(client, subscription, marketer, marketer_actor, history_of, lead_form, before, on):
    if not on:
        creation_tool_setting_set(
            tool=CreationTool.HUBSPOT_FORM,
            source_id=lead_form.source_id,
            marketing_on_create=False,
            actor=marketer_actor,
        )
    existing = _existing(before, marketer_actor)
    response = post_json(
        client, submit_url(lead_form), {"fields": fields(email=EMAIL.upper(), firstname="Ada", company="Acme")}
    )
    _check(before, on, marketer, history_of, reason_id=lead_form.source_id, response=response, existing=existing)
    contact = Contact.objects.get(email=EMAIL)
    assert (contact.first_name, contact.company) == ("Ada", "Acme")  # submitted values are stored either way
    if existing is None:
        assert (contact.creation_tool, contact.creation_source_id) == (CreationTool.HUBSPOT_FORM, lead_form.source_id)


@pytest.mark.parametrize(("before", "on"), CASES)
def test_r6_non_hubspot_form_submission(client, subscription, marketer, marketer_actor, history_of, before, on):
    if not on:
        creation_tool_setting_set(tool=CreationTool.NON_HUBSPOT_FORM, marketing_on_create=False, actor=marketer_actor)
    existing = _existing(before, marketer_actor)
    response = post_json(client, collect_url(), captured(email=EMAIL, first_name="Ada", message="Hello"))
    external = ExternalForm.objects.get()
    _check(before, on, marketer, history_of, reason_id=external.source_id, response=response, existing=existing)
    if existing is None:
        contact = Contact.objects.get(email=EMAIL)
        assert (contact.creation_tool, contact.creation_source_id) == (
            CreationTool.NON_HUBSPOT_FORM,
            external.source_id,
        )


def test_r5_each_form_has_its_own_setting(client, subscription, marketer_actor, lead_form, system_actor):
    """Switching one form off leaves the others creating marketing contacts."""
    other = form_create(name="Demo request", fields=[FieldSpec("email")], actor=system_actor)
    creation_tool_setting_set(
        tool=CreationTool.HUBSPOT_FORM, source_id=lead_form.source_id, marketing_on_create=False, actor=marketer_actor
    )
    post_json(client, submit_url(lead_form), {"fields": fields(email="off@example.com", company="Acme")})
    post_json(client, submit_url(other), {"fields": fields(email="on@example.com")})
    statuses = dict(Contact.objects.values_list("email", "marketable_status"))
    assert statuses == {"off@example.com": False, "on@example.com": True}
