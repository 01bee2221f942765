"""Shared fixtures. Tests use the real database of the run (PostgreSQL: the embedded server or DATABASE_URL's)
and real services."""

import datetime as dt
import os
import uuid

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission

from billing.policy import BillingCycle, HubTier
from billing.services import subscription_create
from crm import embedded_db
from crm.celery import app as celery_app
from marketing_status.actors import Actor, ActorKind
from marketing_status.services import marketing_contacts_enable
from tests.factories import UserFactory


def pytest_configure(config):
    """Without DATABASE_URL, the session runs on the embedded PostgreSQL server: start it once, in the main
    process (pytest-xdist's workers find it running), and stop it at the end if this session started it."""
    if os.environ.get("DATABASE_URL") or hasattr(config, "workerinput"):
        return
    config._embedded_db_started = embedded_db.ensure_running(settings.VAR_DIR)


def pytest_unconfigure(config):
    if getattr(config, "_embedded_db_started", False):
        embedded_db.stop(settings.VAR_DIR)


@pytest.fixture(autouse=True)
def _celery_eager():
    """Run tasks inline in ordinary tests; tests/integration starts a real worker instead."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _fresh_intake_counts(settings):
    """Each test counts public-intake requests (per source address) from zero, in memory or in Redis."""
    settings.CRM_INTAKE_RATE_LIMIT_PREFIX = f"intake-test:{uuid.uuid4().hex}"


@pytest.fixture(autouse=True)
def _fresh_feed_wakes(settings):
    """No change-feed wake-up is "waiting" from an earlier test (the flag lives in Redis when it is used)."""
    settings.CRM_FEED_WAKE_PREFIX = f"feed-wake-test:{uuid.uuid4().hex}"


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
def user_with(db):
    """`user_with(*codenames)`: a user holding exactly these permissions."""

    def _user_with(*codenames):
        user = UserFactory()
        user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
        return user

    return _user_with


@pytest.fixture
def sales_user(db):
    """A user who may create and delete contacts but lacks Marketing contact access (R30)."""
    user = UserFactory()
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_contact", "change_contact", "delete_contact"])
    )
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
    return _starter_subscription(system_actor)


def _starter_subscription(system_actor):
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


# --- Rule-suite helpers (tests/marketing_status, tests/billing, tests/contacts) ---------------------

FROZEN_START = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen_clock():
    """The clock frozen (not ticking) at `FROZEN_START`, 2026-03-10 12:00 UTC; move it with
    `.move_to()` or `.shift()`."""
    import time_machine

    with time_machine.travel(FROZEN_START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def frozen_subscription(frozen_clock, system_actor):
    """The `subscription` fixture set up on the frozen clock: monthly, renewing on the 15th, limit 1000,
    enabled at `FROZEN_START`; its open period runs to the update date 2026-03-15 (R20)."""
    return _starter_subscription(system_actor)


def _db_state() -> dict:
    from billing.models import BillingPeriod, Subscription, TierNotice, TierUpgrade
    from contacts.models import Contact
    from marketing_status.models import CreationToolSetting, CreationToolSettingChange, MarketingStatusChange

    return {
        "contacts": list(
            Contact.objects.order_by("pk").values_list(
                "pk",
                "email",
                "marketable_status",
                "marketable_until_renewal",
                "marketable_reason_type",
                "marketable_reason_id",
                "marketable_status_changed_at",
                "archived_at",
                "updated_at",
            )
        ),
        "history": list(MarketingStatusChange.objects.order_by("pk").values_list("pk", flat=True)),
        "tool_settings": list(
            CreationToolSetting.objects.order_by("pk").values_list("tool", "source_id", "marketing_on_create")
        ),
        "tool_setting_changes": CreationToolSettingChange.objects.count(),
        "subscriptions": list(
            Subscription.objects.order_by("pk").values_list("pk", "contact_tier_limit", "marketing_contacts_enabled_at")
        ),
        "periods": list(BillingPeriod.objects.order_by("pk").values()),
        "tier_upgrades": TierUpgrade.objects.count(),
        "tier_notices": TierNotice.objects.count(),
    }


@pytest.fixture
def db_state():
    """A function returning everything a refused change must leave as it was (R30, B4, R1, invalid input)."""
    return _db_state


def _history_of(contact) -> list[dict]:
    from marketing_status.models import MarketingStatusChange

    return list(
        MarketingStatusChange.objects.filter(contact_id=getattr(contact, "pk", contact))
        .order_by("pk")
        .values(
            "changed_at",
            "old_status",
            "new_status",
            "old_until_renewal",
            "new_until_renewal",
            "reason_type",
            "reason_id",
            "actor_type",
            "actor_id",
            "actor_user",
        )
    )


@pytest.fixture
def history_of():
    """A function returning a contact's history rows, oldest first, as dicts of every recorded field."""
    return _history_of
