"""Workflows in a real browser (R18, R10): build a workflow in the editor — trigger "lifecycle stage is lead",
action "set as marketing" — switch it on enrolling the contacts that meet the triggers now, and see those
contacts become marketing contacts. Celery runs eagerly in tests, so the work happens within the requests."""

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from contacts.models import Contact
from marketing_status.actors import Actor
from tests.factories import UserFactory, contacts_make
from workflows.models import EnrollmentStep, Workflow

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def automator(db):
    user = UserFactory(first_name="Ava", last_name="Tomate")
    codenames = ["view_workflow", "add_workflow", "change_workflow", "marketing_contact_access", "add_contact"]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_r18_build_a_workflow_switch_it_on_and_see_leads_become_marketing(
    page, sign_in, screenshot, subscription, automator
):
    actor = Actor.for_user(automator)
    leads = contacts_make(count=3, actor=actor, lifecycle_stage="lead", first_name="Lead")
    customer = contacts_make(count=1, actor=actor, lifecycle_stage="customer", first_name="Customer")[0]
    sign_in(automator)

    page.goto("/automation/workflows/")
    page.click("#create-workflow")
    page.fill("input[name=name]", "Nurture leads")
    page.select_option("select[name=filters-0-property]", "lifecyclestage")
    page.select_option("select[name=filters-0-operator]", "EQ")
    value = page.locator("input[name=filters-0-value]")
    expect(value).to_have_attribute("list", "wf-options-lifecyclestage")  # the stage's options are suggested
    value.fill("lead")
    expect(page.locator("select[name=filters-0-contact_list]")).to_be_hidden()  # only the property filter's inputs

    status = page.locator("select[name=actions-0-marketing]")
    expect(status).to_be_hidden()
    page.select_option("select[name=actions-0-kind]", "SET_MARKETING_STATUS")
    expect(status).to_be_visible()
    assert status.locator("option").all_inner_texts() == ["Set as marketing"]  # Starter: R18
    page.click("#add-action")  # a server round trip: what was typed stays
    expect(page.locator("input[name=name]")).to_have_value("Nurture leads")
    expect(page.locator("input[name=filters-0-value]")).to_have_value("lead")
    expect(page.locator("select[name=actions-0-kind]")).to_have_value("SET_MARKETING_STATUS")
    page.locator("[data-action-row=actions-1] button.remove").click()
    expect(page.locator("[data-action-row]")).to_have_count(1)
    screenshot("workflow-editor")
    page.click("#save-workflow")

    expect(page.locator("#workflow-state")).to_have_text("Off")
    workflow = Workflow.objects.get()
    assert workflow.triggers == [
        {"filters": [{"type": "property", "propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}
    ]
    assert list(workflow.actions.values_list("kind", "params")) == [("SET_MARKETING_STATUS", {"marketing": True})]

    page.click("#switch-on")
    expect(page.locator("#matching-count strong")).to_have_text("3")
    page.check("#enroll-existing")
    page.click("#confirm-switch-on")
    expect(page.locator("#workflow-state")).to_have_text("On")
    expect(page.locator('[data-count="completed"] .value')).to_have_text("3")
    screenshot("workflow-on")

    page.goto(f"/contacts/{leads[0].pk}/")
    expect(page.locator('[data-property="hs_marketable_status"]')).to_have_text("Marketing contact")
    expect(page.locator('[data-property="hs_marketable_reason_type"]')).to_have_text("Workflow")
    expect(page.locator('[data-property="hs_marketable_reason_id"] a')).to_have_text("Nurture leads")
    enrollment = page.locator("#workflow-enrollments [data-enrollment]")
    expect(enrollment).to_contain_text("Nurture leads")
    expect(enrollment.locator("[data-state]")).to_have_text("Completed")

    page.goto(f"/automation/workflows/{workflow.pk}/history/")
    expect(page.locator("#steps tbody tr[data-step]")).to_have_count(3)
    expect(page.locator("#changes")).to_contain_text("Switched on")

    assert set(Contact.objects.filter(marketable_status=True).values_list("pk", flat=True)) == {c.pk for c in leads}
    assert set(
        Contact.objects.filter(pk__in=[c.pk for c in leads]).values_list(
            "marketable_reason_type", "marketable_reason_id"
        )
    ) == {("WORKFLOW", str(workflow.pk))}
    assert Contact.objects.get(pk=customer.pk).marketable_status is False
    assert EnrollmentStep.objects.filter(outcome="DONE").count() == 3
