"""Fixtures of the workflow engine's tests: people with and without the workflow permissions, subscriptions
of each tier, workflows built through the services, and `drain`, which runs the engine inline until it
has nothing left to do (ordinary tests run in one transaction, so no after-commit wake-up fires)."""

import pytest
from django.contrib.auth.models import Permission

from billing.models import Subscription
from billing.policy import HubTier
from marketing_status.actors import Actor
from tests.factories import UserFactory
from workflows.models import Workflow
from workflows.services import (
    ActionSpec,
    contact_changes_process,
    workflow_create,
    workflow_enable,
    workflow_enroll_existing,
)
from workflows.steps import workflow_run

WORKFLOW_PERMISSIONS = ("view_workflow", "add_workflow", "change_workflow")
CONTACT_PERMISSIONS = ("add_contact", "change_contact", "delete_contact")
LEAD = [{"filters": [{"type": "property", "propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}]
SET_MARKETING = ActionSpec("SET_MARKETING_STATUS", {"marketing": True})
SET_NON_MARKETING = ActionSpec("SET_MARKETING_STATUS", {"marketing": False})


def with_perms(*codenames: str):
    user = UserFactory()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def automator(db):
    """Builds and switches workflows, with Marketing contact access (R30) and the contact permissions."""
    return with_perms(*WORKFLOW_PERMISSIONS, *CONTACT_PERMISSIONS, "marketing_contact_access")


@pytest.fixture
def automator_actor(automator) -> Actor:
    return Actor.for_user(automator)


@pytest.fixture
def builder(db):
    """Builds and switches workflows but lacks Marketing contact access (R30)."""
    return with_perms(*WORKFLOW_PERMISSIONS, *CONTACT_PERMISSIONS)


@pytest.fixture
def professional(subscription):
    """The Starter `subscription` fixture moved to Professional (R18 allows "Set as non-marketing")."""
    Subscription.objects.filter(pk=subscription.pk).update(hub_tier=HubTier.PROFESSIONAL)
    subscription.refresh_from_db()
    return subscription


def make_workflow(
    actor, *, triggers=None, actions=(SET_MARKETING,), enable=False, existing=False, **fields
) -> Workflow:
    workflow = workflow_create(
        name=fields.pop("name", "Nurture leads"),
        triggers=LEAD if triggers is None else triggers,
        actions=list(actions),
        actor=actor,
        **fields,
    )
    if enable:
        workflow_enable(workflow=workflow, enroll_existing=existing, actor=actor)
    workflow.refresh_from_db()
    return workflow


def drain(*, rounds: int = 20) -> int:
    """Run the engine inline as the worker would, until a round does nothing: the switch-on jobs, the change
    feed, then every enabled workflow's due steps. Returns how many enrollments advanced."""
    advanced = 0
    for _ in range(rounds):
        work = 0
        for workflow_id in Workflow.objects.filter(is_enabled=True).values_list("pk", flat=True):
            while workflow_enroll_existing(workflow_id=workflow_id):
                work += 1
        while batch := contact_changes_process():
            work += batch
        for workflow_id in Workflow.objects.filter(is_enabled=True).values_list("pk", flat=True):
            steps = workflow_run(workflow_id=workflow_id, max_chunks=1000)
            advanced += steps
            work += steps
        if not work:
            return advanced
    raise AssertionError("the engine never settled")
