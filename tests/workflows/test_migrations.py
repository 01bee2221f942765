"""Data migrations of workflows: step details stored before they stopped naming rules (R10–R13, R1)."""

import importlib

import pytest
from django.apps import apps

from tests.factories import contacts_make
from tests.workflows.conftest import drain, make_workflow
from workflows.models import EnrollmentStep
from workflows.policy import _SWITCH_DETAILS

pytestmark = pytest.mark.django_db

step_details = importlib.import_module("workflows.migrations.0002_step_details_without_rule_ids")


def test_stored_details_that_named_a_rule_read_as_the_new_ones(subscription, automator_actor):
    contacts_make(count=3, actor=automator_actor, lifecycle_stage="lead")
    workflow = make_workflow(automator_actor, enable=True, existing=True)
    drain()
    first, second, third = EnrollmentStep.objects.filter(workflow=workflow).order_by("pk")
    EnrollmentStep.objects.filter(pk=first.pk).update(detail="Set as marketing (R10)")
    EnrollmentStep.objects.filter(pk=second.pk).update(detail="Already non-marketing or pending (R13)")
    EnrollmentStep.objects.filter(pk=third.pk).update(detail="Contact deleted")

    step_details.rename_details(apps, None)

    assert list(EnrollmentStep.objects.order_by("pk").values_list("detail", flat=True)) == [
        "Set as marketing",
        "Already non-marketing or pending",
        "Contact deleted",
    ]


def test_every_new_detail_is_one_the_policy_writes():
    renamed = set(step_details.RENAMED.values())
    assert set(_SWITCH_DETAILS.values()) <= renamed
    assert all("(R" not in detail for detail in renamed)
