"""Enrollment triggers (R18): every property operator of the search API, list membership and form
submission, each proven end to end: a contact created or changed after the switch-on enrolls exactly
when it newly meets the triggers."""

import datetime as dt

import pytest

from contacts.models import ContactList
from contacts.services import contact_list_add, contact_list_remove, contact_update, contacts_archive
from leadforms.builder import FieldSpec, form_create
from leadforms.models import ExternalForm
from leadforms.submissions import CapturedField, external_form_capture, form_submit
from marketing_status.creation import contacts_restore
from marketing_status.services import contacts_set_marketing
from tests.factories import contacts_make
from tests.workflows.conftest import drain, make_workflow
from workflows.models import Enrollment
from workflows.triggers import matching_contacts, triggers_clean


def _property(name: str, operator: str, **values) -> list[dict]:
    return [{"filters": [{"type": "property", "propertyName": name, "operator": operator, **values}]}]


def _enrolled(workflow) -> set[int]:
    return set(Enrollment.objects.filter(workflow=workflow).values_list("contact_id", flat=True))


PEOPLE = [  # (first name, company, lifecycle stage)
    ("Ada", "Acme", "lead"),
    ("Bob", "", "customer"),
    ("Cy", "Acme Labs", ""),
    ("Di", "Beta", "subscriber"),
]
OPERATOR_CASES = [
    (_property("lifecyclestage", "EQ", value="lead"), {"Ada"}),
    (_property("lifecyclestage", "NEQ", value="lead"), {"Bob", "Cy", "Di"}),  # no value matches NEQ
    (_property("lifecyclestage", "IN", values=["lead", "customer"]), {"Ada", "Bob"}),
    (_property("lifecyclestage", "NOT_IN", values=["lead", "customer"]), {"Cy", "Di"}),
    (_property("company", "HAS_PROPERTY"), {"Ada", "Cy", "Di"}),
    (_property("company", "NOT_HAS_PROPERTY"), {"Bob"}),
    (_property("company", "EQ", value="ACME"), {"Ada"}),  # case-insensitive, as the search API
    (_property("company", "CONTAINS_TOKEN", value="acme"), {"Ada", "Cy"}),
    (_property("company", "NOT_CONTAINS_TOKEN", value="acme"), {"Bob", "Di"}),
    (_property("firstname", "CONTAINS_TOKEN", value="*y"), {"Cy"}),
    (_property("firstname", "LT", value="Bz"), {"Ada", "Bob"}),
    (_property("firstname", "LTE", value="Cy"), {"Ada", "Bob", "Cy"}),
    (_property("firstname", "GT", value="Cy"), {"Di"}),
    (_property("firstname", "GTE", value="Cy"), {"Cy", "Di"}),
    (_property("firstname", "BETWEEN", value="Ada", highValue="Bob"), {"Ada", "Bob"}),
    (  # OR of AND groups
        [
            {
                "filters": [
                    _property("company", "CONTAINS_TOKEN", value="acme")[0]["filters"][0],
                    _property("lifecyclestage", "EQ", value="lead")[0]["filters"][0],
                ]
            },
            {"filters": [_property("firstname", "EQ", value="di")[0]["filters"][0]]},
        ],
        {"Ada", "Di"},
    ),
]


@pytest.mark.parametrize(("triggers", "expected"), OPERATOR_CASES)
def test_property_operators_enroll_the_contacts_created_after_the_switch_on_that_meet_them(
    subscription, automator_actor, triggers, expected
):
    workflow = make_workflow(automator_actor, triggers=triggers, enable=True)
    names = {}
    for first, company, stage in PEOPLE:
        (contact,) = contacts_make(
            count=1, actor=automator_actor, first_name=first, company=company, lifecycle_stage=stage
        )
        names[contact.pk] = first
    drain()
    assert {names[pk] for pk in _enrolled(workflow)} == expected
    # The same filters as the search API: what matches now is what enrolled.
    assert {names[pk] for pk in matching_contacts(workflow.triggers).values_list("pk", flat=True)} == expected


def test_datetime_operators_on_the_create_date(db, frozen_subscription, frozen_clock, automator_actor):
    cutoff = dt.datetime(2026, 3, 10, 12, 30, tzinfo=dt.UTC)
    before = make_workflow(
        automator_actor, name="Before", triggers=_property("createdate", "LT", value=cutoff.isoformat()), enable=True
    )
    after = make_workflow(
        automator_actor,
        name="After",
        triggers=_property("createdate", "GTE", value=str(int(cutoff.timestamp() * 1000))),
        enable=True,
    )
    (early,) = contacts_make(count=1, actor=automator_actor)
    frozen_clock.move_to(cutoff)
    (late,) = contacts_make(count=1, actor=automator_actor)
    drain()
    assert (_enrolled(before), _enrolled(after)) == ({early.pk}, {late.pk})


def test_a_contact_changed_later_enrolls_when_it_newly_meets_the_triggers(subscription, automator_actor):
    (contact,) = contacts_make(count=1, actor=automator_actor, lifecycle_stage="subscriber")
    workflow = make_workflow(automator_actor, enable=True)
    drain()
    assert _enrolled(workflow) == set()
    contact_update(contact=contact, data={"lifecycle_stage": "lead"}, actor=automator_actor)
    drain()
    assert _enrolled(workflow) == {contact.pk}


def test_a_contact_that_met_the_triggers_at_switch_on_does_not_enroll_on_an_unrelated_change(
    subscription, automator_actor
):
    (contact,) = contacts_make(count=1, actor=automator_actor, lifecycle_stage="lead")
    workflow = make_workflow(automator_actor, enable=True, existing=False)
    contact_update(contact=contact, data={"company": "Acme"}, actor=automator_actor)
    drain()
    assert _enrolled(workflow) == set()  # HubSpot's behaviour without "enroll existing"


def test_marketing_status_is_a_trigger_property(subscription, automator_actor):
    (contact,) = contacts_make(count=1, actor=automator_actor)
    workflow = make_workflow(
        automator_actor, triggers=_property("hs_marketable_status", "EQ", value="true"), actions=[_delay()], enable=True
    )
    contacts_set_marketing(contacts=[contact.pk], actor=automator_actor)
    drain()
    assert _enrolled(workflow) == {contact.pk}


def _delay():
    from workflows.definitions import ActionSpec

    return ActionSpec("DELAY", {"seconds": 60})


def test_r22_deleted_contacts_never_match_and_a_restored_one_is_evaluated(subscription, automator_actor):
    (contact,) = contacts_make(count=1, actor=automator_actor, lifecycle_stage="lead")
    contacts_archive(contacts=[contact.pk], actor=automator_actor)
    workflow = make_workflow(automator_actor, enable=True, existing=True)
    drain()
    assert _enrolled(workflow) == set()
    contacts_restore(contacts=[contact.pk], actor=automator_actor)
    drain()
    assert _enrolled(workflow) == {contact.pk}


def test_list_membership_triggers(subscription, automator_actor):
    newsletter = ContactList.objects.create(name="Newsletter")
    one, two = contacts_make(count=2, actor=automator_actor)
    contact_list_add(contact_list=newsletter, contacts=[two.pk], actor=automator_actor)
    member = make_workflow(
        automator_actor,
        name="Members",
        enable=True,
        triggers=[{"filters": [{"type": "list", "listId": newsletter.pk, "operator": "IS_MEMBER"}]}],
    )
    leaver = make_workflow(
        automator_actor,
        name="Left",
        enable=True,
        triggers=[{"filters": [{"type": "list", "listId": str(newsletter.pk), "operator": "NOT_MEMBER"}]}],
    )
    contact_list_add(contact_list=newsletter, contacts=[one.pk], actor=automator_actor)
    contact_list_remove(contact_list=newsletter, contacts=[two.pk], actor=automator_actor)
    drain()
    assert _enrolled(member) == {one.pk}
    assert _enrolled(leaver) == {two.pk}
    assert leaver.triggers[0]["filters"][0]["listId"] == newsletter.pk  # normalised to the id


def test_form_submission_triggers_for_new_and_returning_contacts(subscription, automator_actor, system_actor):
    fair = form_create(name="Fair", fields=[FieldSpec("email", "Email", True)], actor=system_actor)
    other = form_create(name="Other", fields=[FieldSpec("email", "Email", True)], actor=system_actor)
    (returning,) = contacts_make(count=1, actor=automator_actor)
    workflow = make_workflow(
        automator_actor,
        enable=True,
        actions=[_delay()],
        triggers=[{"filters": [{"type": "form", "formId": str(fair.guid).upper(), "operator": "HAS_SUBMITTED"}]}],
    )
    assert workflow.triggers[0]["filters"][0]["formId"] == str(fair.guid)
    form_submit(form=other, values={"email": "elsewhere@example.com"})
    form_submit(form=fair, values={"email": returning.email})
    form_submit(form=fair, values={"email": "new@example.com"})
    drain()
    new = type(returning).objects.get(email="new@example.com")
    assert _enrolled(workflow) == {returning.pk, new.pk}


def test_non_hubspot_form_submission_triggers(subscription, automator_actor):
    external_form_capture(page_url="https://example.com/contact", fields=[CapturedField("email", "first@example.com")])
    external = ExternalForm.objects.get()
    workflow = make_workflow(
        automator_actor,
        enable=True,
        actions=[_delay()],
        triggers=[{"filters": [{"type": "form", "formId": str(external.guid), "operator": "HAS_SUBMITTED"}]}],
    )
    external_form_capture(page_url="https://example.com/contact", fields=[CapturedField("email", "second@example.com")])
    drain()
    assert {e.contact.email for e in Enrollment.objects.filter(workflow=workflow)} == {"second@example.com"}


def test_triggers_clean_normalises_operator_case_and_property_name_spacing():
    cleaned, errors = triggers_clean(
        [{"filters": [{"propertyName": " lifecyclestage ", "operator": "eq", "value": "lead"}]}]
    )
    assert errors == {}
    assert cleaned == [
        {"filters": [{"type": "property", "propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}
    ]
