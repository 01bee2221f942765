"""`manage.py create_integration`: scopes, R8's default, the token printed once, errors that create nothing."""

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from integrations.models import Integration
from integrations.scopes import CONTACTS_READ, CONTACTS_WRITE, MARKETING_WRITE
from integrations.selectors import integration_for_token, integration_marketing_on_create
from marketing_status.models import CreationToolSetting, CreationToolSettingChange
from marketing_status.policy import CreationTool

pytestmark = pytest.mark.django_db

ONCE = "This token is shown only once: store it now. Only its SHA-256 hash is kept."


def run(*args) -> list[str]:
    out = StringIO()
    call_command("create_integration", *args, stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


def nothing_created() -> bool:
    return not (
        Integration.objects.exists()
        or CreationToolSetting.objects.exists()
        or CreationToolSettingChange.objects.exists()
    )


def test_default_scopes_are_contacts_read_and_write_and_the_token_is_printed_once():
    lines = run("--name", "Shop sync")
    integration = Integration.objects.get()
    summary, token, notice = lines
    assert summary == (
        f"Created integration {integration.pk} (Shop sync) with scopes {CONTACTS_READ}, {CONTACTS_WRITE}; "
        "creates non-marketing contacts."
    )
    assert notice == ONCE
    assert token.startswith("pat-crm-") and token == token.strip()
    assert sum(token in line for line in lines) == 1
    assert integration.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert integration.scopes == [CONTACTS_READ, CONTACTS_WRITE]
    assert integration.created_by is None
    assert integration_for_token(token) == integration


def test_r8_integrations_from_the_command_create_non_marketing_contacts_by_default():
    run("--name", "App")
    assert integration_marketing_on_create(integration=Integration.objects.get()) is False
    assert not CreationToolSettingChange.objects.exists()


def test_r8_marketing_default_switches_the_setting_on_as_the_system():
    lines = run("--name", "App", "--marketing-default")
    integration = Integration.objects.get()
    assert lines[0].endswith("creates marketing contacts.")
    assert integration_marketing_on_create(integration=integration) is True
    assert list(
        CreationToolSettingChange.objects.values_list("tool", "source_id", "old_value", "new_value", "changed_by")
    ) == [(CreationTool.INTEGRATION, str(integration.pk), False, True, None)]


def test_chosen_scopes_are_stored_without_blanks_or_repeats():
    run("--name", "App", "--scopes", f" {MARKETING_WRITE}, {CONTACTS_READ},,{CONTACTS_READ}")
    assert Integration.objects.get().scopes == [CONTACTS_READ, MARKETING_WRITE]


def test_quiet_prints_only_the_token():
    (token,) = run("--name", "App", "-v", "0")
    assert integration_for_token(token) == Integration.objects.get()


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--name", "App", "--scopes", f"{CONTACTS_READ},crm.objects.deals.read"],
            "Unknown scope(s): crm.objects.deals.read. Known scopes: "
            f"{CONTACTS_READ}, {CONTACTS_WRITE}, {MARKETING_WRITE}.",
        ),
        (["--name", "App", "--scopes", " , "], "Give at least one scope with --scopes."),
        (["--name", "   "], "Give the integration a name."),
        (["--name", "x" * 101], "The name is longer than 100 characters."),
    ],
    ids=["unknown-scope", "no-scope", "blank-name", "long-name"],
)
def test_bad_arguments_are_command_errors_and_create_nothing(args, message):
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("create_integration", *args, stdout=out)
    assert str(raised.value) == message
    assert out.getvalue() == ""
    assert nothing_created()


def test_name_is_required():
    with pytest.raises(CommandError, match="--name"):
        call_command("create_integration")
    assert nothing_created()
