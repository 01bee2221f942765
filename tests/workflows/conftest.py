"""Fixtures of the workflow engine's tests: people with and without the workflow permissions, subscriptions
of each tier, workflows built through the services, and `drain`, which runs the engine inline until it
has nothing left to do (ordinary tests run in one transaction, so no after-commit wake-up fires)."""

import pytest
from django.contrib.auth.models import Permission

from billing.models import Subscription
from billing.policy import HubTier
from marketing_status.actors import Actor
from tests.factories import UserFactory
from workflows.definitions import ActionSpec, workflow_create, workflow_enable
from workflows.models import Workflow
from workflows.steps import workflows_run_inline

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


drain = workflows_run_inline  # run the engine inline until it settles
