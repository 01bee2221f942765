"""Shared fixtures. Tests use the real database of the run (SQLite or PostgreSQL) and real services."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission

from billing.policy import BillingCycle, HubTier
from billing.services import subscription_create
from crm.celery import app as celery_app
from marketing_status.actors import Actor, ActorKind
from marketing_status.services import marketing_contacts_enable
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _celery_eager():
    """Run tasks inline in ordinary tests; tests/integration starts a real worker instead."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def marketer(db):
    """A user with the Marketing contact access permission (R30) and contact permissions."""
    user = UserFactory()
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["marketing_contact_access", "add_contact", "change_contact", "delete_contact"]
        )
    )
    return user


@pytest.fixture
def sales_user(db):
    """A user who may create and delete contacts but lacks Marketing contact access (R30)."""
    user = UserFactory()
    user.user_permissions.add(*Permission.objects.filter(codename__in=["add_contact", "change_contact", "delete_contact"]))
    return user


@pytest.fixture
def marketer_actor(marketer) -> Actor:
    return Actor.for_user(marketer)


@pytest.fixture
def system_actor() -> Actor:
    return Actor(ActorKind.SYSTEM, "tests")


@pytest.fixture
def subscription(db, system_actor):
    """A Starter subscription, monthly, renewing on the 15th, with marketing contacts enabled (R1)."""
    subscription = subscription_create(
        hub_tier=HubTier.STARTER,
        billing_cycle=BillingCycle.MONTHLY,
        contract_start=dt.date(2026, 1, 15),
        renewal_date=dt.date(2027, 1, 15),
        contact_tier_limit=1000,
        tier_block_size=1000,
    )
    marketing_contacts_enable(actor=system_actor)
    subscription.refresh_from_db()
    return subscription
