"""Integrations' services: create (validation, token and its hash), revoke, R8's setting (R30), last use."""

import datetime as dt
import hashlib

import pytest

from integrations.models import Integration
from integrations.scopes import CONTACTS_READ, CONTACTS_WRITE, MARKETING_WRITE
from integrations.selectors import integration_for_token, integration_marketing_on_create, token_hash
from integrations.services import (
    IntegrationInvalid,
    integration_create,
    integration_marketing_on_create_set,
    integration_revoke,
    integration_touch,
)
from marketing_status.actors import Actor, MarketingStatusPermissionDenied
from marketing_status.models import CreationToolSetting, CreationToolSettingChange
from marketing_status.policy import CreationTool
from tests.conftest import FROZEN_START
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def state() -> tuple:
    return (
        list(Integration.objects.order_by("pk").values_list("pk", "name", "scopes", "revoked_at", "last_used_at")),
        list(CreationToolSetting.objects.values_list("tool", "source_id", "marketing_on_create")),
        list(CreationToolSettingChange.objects.values_list("pk", flat=True)),
    )


@pytest.fixture
def plain_user(db):
    """Signed in, but without Marketing contact access (R30)."""
    return UserFactory()


# --- integration_create ------------------------------------------------------------------------


def test_create_returns_a_token_of_which_only_the_sha256_and_prefix_are_stored(system_actor):
    integration, token = integration_create(name="  Shop sync  ", actor=system_actor)
    integration.refresh_from_db()
    assert token.startswith("pat-crm-") and len(token) == len("pat-crm-") + 43
    assert integration.name == "Shop sync"
    assert integration.token_hash == hashlib.sha256(token.encode()).hexdigest() == token_hash(token)
    assert integration.token_prefix == token[:12]
    assert token not in {str(value) for value in Integration.objects.values().get().values()}
    assert integration.scopes == [CONTACTS_READ, CONTACTS_WRITE]
    assert integration.created_by is None and integration.revoked_at is None
    assert integration_for_token(token) == integration


def test_every_token_is_new(system_actor):
    tokens = {integration_create(name=f"App {i}", actor=system_actor)[1] for i in range(5)}
    assert len(tokens) == 5
    assert Integration.objects.values("token_hash").distinct().count() == 5


def test_create_records_the_user_and_dedupes_and_sorts_scopes(marketer):
    integration, _ = integration_create(
        name="App", scopes=[MARKETING_WRITE, CONTACTS_READ, CONTACTS_READ], actor=Actor.for_user(marketer)
    )
    integration.refresh_from_db()
    assert integration.scopes == [CONTACTS_READ, MARKETING_WRITE]
    assert integration.created_by == marketer


@pytest.mark.parametrize(
    "name, scopes, message",
    [
        ("", [CONTACTS_READ], "Give the integration a name."),
        ("   ", [CONTACTS_READ], "Give the integration a name."),
        ("App", [CONTACTS_READ, "crm.objects.deals.read"], "Unknown scope(s): crm.objects.deals.read."),
    ],
)
def test_invalid_input_creates_nothing(system_actor, name, scopes, message):
    with pytest.raises(IntegrationInvalid) as raised:
        integration_create(name=name, scopes=scopes, actor=system_actor)
    assert str(raised.value) == message
    assert state() == ([], [], [])


def test_r8_integrations_create_non_marketing_contacts_by_default(system_actor):
    integration, _ = integration_create(name="App", actor=system_actor)
    assert integration_marketing_on_create(integration=integration) is False
    assert state()[1:] == ([], [])


def test_r8_r30_marketing_on_create_is_switched_on_and_recorded(frozen_clock, marketer):
    integration, _ = integration_create(name="App", marketing_on_create=True, actor=Actor.for_user(marketer))
    assert integration_marketing_on_create(integration=integration) is True
    assert list(
        CreationToolSettingChange.objects.values_list(
            "tool", "source_id", "old_value", "new_value", "changed_at", "changed_by"
        )
    ) == [(CreationTool.INTEGRATION, str(integration.pk), False, True, FROZEN_START, marketer.pk)]


def test_r30_marketing_on_create_without_marketing_access_creates_nothing(plain_user):
    with pytest.raises(MarketingStatusPermissionDenied):
        integration_create(name="App", marketing_on_create=True, actor=Actor.for_user(plain_user))
    assert state() == ([], [], [])


def test_r30_the_system_may_create_an_integration_that_creates_marketing_contacts():
    integration, _ = integration_create(name="App", marketing_on_create=True, actor=Actor.system("create_integration"))
    assert integration_marketing_on_create(integration=integration) is True
    assert CreationToolSettingChange.objects.get().changed_by is None


# --- R30: granting the marketing scope -----------------------------------------------


def test_r30_granting_the_marketing_scope_needs_marketing_access(plain_user):
    with pytest.raises(MarketingStatusPermissionDenied):
        integration_create(
            name="App",
            scopes=[CONTACTS_READ, MARKETING_WRITE],
            marketing_on_create=False,
            actor=Actor.for_user(plain_user),
        )
    assert state() == ([], [], [])


def test_r30_a_marketer_may_grant_the_marketing_scope(marketer):
    integration, token = integration_create(
        name="App", scopes=[MARKETING_WRITE], marketing_on_create=False, actor=Actor.for_user(marketer)
    )
    assert integration.scopes == [MARKETING_WRITE]
    assert integration_for_token(token) == integration


def test_without_the_marketing_scope_no_marketing_access_is_needed(plain_user):
    integration, _ = integration_create(
        name="App", scopes=[CONTACTS_READ], marketing_on_create=False, actor=Actor.for_user(plain_user)
    )
    assert Integration.objects.get().pk == integration.pk


def test_create_with_the_marketing_scope_still_validates(marketer):
    with pytest.raises(IntegrationInvalid):
        integration_create(name=" ", scopes=[MARKETING_WRITE], marketing_on_create=True, actor=Actor.for_user(marketer))
    assert state() == ([], [], [])


# --- integration_revoke --------------------------------------------------------------------------


def test_revoke_once_then_again_changes_nothing(frozen_clock, system_actor, marketer):
    integration, token = integration_create(name="App", actor=system_actor)
    assert integration_revoke(integration=integration, actor=Actor.for_user(marketer)) is True
    frozen_clock.shift(dt.timedelta(hours=1))
    other = UserFactory()
    assert integration_revoke(integration=integration, actor=Actor.for_user(other)) is False
    integration.refresh_from_db()
    assert (integration.revoked_at, integration.revoked_by) == (FROZEN_START, marketer)
    assert integration.is_active is False
    assert integration_for_token(token) is None


def test_revoking_one_integration_leaves_the_others(system_actor):
    first, first_token = integration_create(name="First", actor=system_actor)
    second, second_token = integration_create(name="Second", actor=system_actor)
    integration_revoke(integration=first, actor=system_actor)
    assert integration_for_token(first_token) is None
    assert integration_for_token(second_token) == second


def test_an_unknown_token_finds_nothing(system_actor):
    _, token = integration_create(name="App", actor=system_actor)
    assert integration_for_token(token + "x") is None
    assert integration_for_token("") is None


# --- R8's setting ----------------------------------------------------------------------------------


def test_r8_setting_switched_on_and_off_is_recorded_and_repeats_write_nothing(frozen_clock, system_actor, marketer):
    integration, _ = integration_create(name="App", actor=system_actor)
    actor = Actor.for_user(marketer)
    integration_marketing_on_create_set(integration=integration, marketing_on_create=True, actor=actor)
    integration_marketing_on_create_set(integration=integration, marketing_on_create=True, actor=actor)
    frozen_clock.shift(dt.timedelta(minutes=5))
    integration_marketing_on_create_set(integration=integration, marketing_on_create=False, actor=actor)
    assert integration_marketing_on_create(integration=integration) is False
    assert list(
        CreationToolSettingChange.objects.order_by("pk").values_list(
            "source_id", "old_value", "new_value", "changed_at"
        )
    ) == [
        (str(integration.pk), False, True, FROZEN_START),
        (str(integration.pk), True, False, FROZEN_START + dt.timedelta(minutes=5)),
    ]


def test_r8_setting_is_per_integration(system_actor, marketer):
    first, _ = integration_create(name="First", actor=system_actor)
    second, _ = integration_create(name="Second", actor=system_actor)
    integration_marketing_on_create_set(integration=first, marketing_on_create=True, actor=Actor.for_user(marketer))
    assert integration_marketing_on_create(integration=first) is True
    assert integration_marketing_on_create(integration=second) is False


def test_r30_r8_setting_refused_without_marketing_access(system_actor, plain_user):
    integration, _ = integration_create(name="App", actor=system_actor)
    before = state()
    with pytest.raises(MarketingStatusPermissionDenied):
        integration_marketing_on_create_set(
            integration=integration, marketing_on_create=True, actor=Actor.for_user(plain_user)
        )
    assert state() == before
    assert integration_marketing_on_create(integration=integration) is False


# --- integration_touch -----------------------------------------------------------------------------


def test_touch_records_the_last_use_at_most_once_a_minute(frozen_clock, system_actor):
    integration, _ = integration_create(name="App", actor=system_actor)
    integration_touch(integration=integration)
    frozen_clock.shift(dt.timedelta(seconds=59))
    integration_touch(integration=integration)
    assert Integration.objects.get().last_used_at == FROZEN_START
    frozen_clock.shift(dt.timedelta(seconds=1))
    integration_touch(integration=integration)
    assert Integration.objects.get().last_used_at == FROZEN_START + dt.timedelta(seconds=60)
