"""Settings > Integrations: the list, creation (token shown once), revoke, R8's toggle and its history (R30),
with and without each permission; refusals change nothing. Also the read-only admin."""

import hashlib
import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from rest_framework.test import APIClient

from contacts.models import Contact
from integrations.models import Integration
from integrations.scopes import CONTACTS_READ, CONTACTS_WRITE, MARKETING_WRITE
from integrations.selectors import integration_for_token, integration_marketing_on_create
from integrations.services import integration_create, integration_marketing_on_create_set, integration_revoke
from marketing_status.actors import Actor
from marketing_status.models import CreationToolSetting, CreationToolSettingChange
from marketing_status.policy import CreationTool, ReasonType
from tests.conftest import FROZEN_START
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

API_CONTACTS = "/crm/v3/objects/contacts"
INDEX = reverse("integrations:index")
NEW = reverse("integrations:new")


def with_perms(*codenames: str, **fields):
    user = UserFactory(**fields)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def viewer(db):
    return with_perms("view_integration")


@pytest.fixture
def creator(db):
    """May create integrations, but lacks Marketing contact access (R30)."""
    return with_perms("view_integration", "add_integration")


@pytest.fixture
def marketing_creator(db):
    return with_perms("view_integration", "add_integration", "marketing_contact_access")


@pytest.fixture
def changer(db):
    """May revoke and change integrations, but lacks Marketing contact access (R30)."""
    return with_perms("view_integration", "change_integration")


@pytest.fixture
def marketing_changer(db):
    return with_perms("view_integration", "change_integration", "marketing_contact_access")


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def app(system_actor):
    """An active integration, created from the command line (no user), and its token."""
    return integration_create(name="Shop sync", actor=system_actor)


def state() -> tuple:
    return (
        list(
            Integration.objects.order_by("pk").values_list(
                "pk", "name", "scopes", "token_hash", "revoked_at", "revoked_by", "created_by"
            )
        ),
        list(CreationToolSetting.objects.order_by("pk").values_list("tool", "source_id", "marketing_on_create")),
        list(CreationToolSettingChange.objects.order_by("pk").values_list("pk", flat=True)),
    )


def api_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def row(html: str, integration: Integration) -> str:
    match = re.search(rf'<tr data-integration="{integration.pk}">(.*?)</tr>', html, re.S)
    assert match, f"{integration.name} not listed"
    return match.group(1)


def cell(row_html: str, name: str) -> str:
    return text(re.search(rf'<td class="{name}">(.*?)</td>', row_html, re.S).group(1))


def history_rows(html: str) -> list[str]:
    table = re.search(r'<table class="grid" id="setting-history">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [text(match) for match in re.findall(r"<tr>(.*?)</tr>", table, re.S)]


def create_data(**changes) -> dict:
    return {"name": "Shop sync", "scopes": [CONTACTS_READ, CONTACTS_WRITE], **changes}


def shown_token(html: str) -> str:
    return re.search(r'<input type="text" id="token" value="([^"]+)"', html).group(1)


def action_urls(integration: Integration) -> list[tuple[str, str, dict]]:
    return [
        ("post", NEW, create_data()),
        ("post", reverse("integrations:revoke", args=[integration.pk]), {"confirm": "yes"}),
        ("post", reverse("integrations:marketing_on_create", args=[integration.pk]), {"value": "1"}),
    ]


# --- Sign-in and permissions -----------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in_and_change_nothing(client, app):
    integration, _ = app
    before = state()
    pages = [INDEX, NEW, reverse("integrations:detail", args=[integration.pk])]
    pages.append(reverse("integrations:revoke", args=[integration.pk]))
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    for _, url, data in action_urls(integration):
        response = client.post(url, data)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    assert state() == before


def test_users_without_view_integration_get_403(client, app):
    integration, _ = app
    client.force_login(with_perms("marketing_contact_access", "add_contact"))
    assert client.get(INDEX).status_code == 403
    assert client.get(reverse("integrations:detail", args=[integration.pk])).status_code == 403


def test_a_viewer_sees_the_list_but_every_action_is_403_and_changes_nothing(client, app, viewer):
    integration, _ = app
    before = state()
    client.force_login(viewer)
    html = client.get(INDEX).content.decode()
    assert "Shop sync" in row(html, integration)
    assert 'id="create-integration"' not in html
    detail = client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert 'id="revoke"' not in detail and 'id="marketing-on-create-toggle"' not in detail
    assert client.get(NEW).status_code == 403
    assert client.get(reverse("integrations:revoke", args=[integration.pk])).status_code == 403
    for _, url, data in action_urls(integration):
        assert client.post(url, data).status_code == 403, url
    assert state() == before
    assert integration_for_token(app[1]) == integration


def test_a_creator_may_not_revoke_or_toggle(client, app, creator):
    integration, _ = app
    before = state()
    client.force_login(creator)
    for _, url, data in action_urls(integration)[1:]:
        assert client.post(url, data).status_code == 403, url
    assert state() == before


def test_a_changer_may_not_create(client, marketing_changer):
    client.force_login(marketing_changer)
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, create_data()).status_code == 403
    assert state() == ([], [], [])


def test_only_get_and_post(client, app, superuser):
    integration, _ = app
    client.force_login(superuser)
    assert client.get(reverse("integrations:marketing_on_create", args=[integration.pk])).status_code == 405
    assert client.delete(reverse("integrations:revoke", args=[integration.pk])).status_code == 405
    assert client.put(NEW).status_code == 405


def test_unknown_integration_is_404(client, superuser):
    client.force_login(superuser)
    assert client.get(reverse("integrations:detail", args=[999999])).status_code == 404
    assert client.get(reverse("integrations:revoke", args=[999999])).status_code == 404
    assert client.post(reverse("integrations:revoke", args=[999999]), {"confirm": "yes"}).status_code == 404
    assert client.post(reverse("integrations:marketing_on_create", args=[999999]), {"value": "1"}).status_code == 404


# --- The list --------------------------------------------------------------------------------------


def test_the_list_shows_each_integration(client, frozen_clock, app, marketing_creator, marketer):
    integration, _ = app
    other, _ = integration_create(
        name="Ads", scopes=[MARKETING_WRITE], marketing_on_create=True, actor=Actor.for_user(marketer)
    )
    integration_revoke(integration=other, actor=Actor.for_user(marketer))
    Integration.objects.filter(pk=integration.pk).update(last_used_at=FROZEN_START)
    client.force_login(marketing_creator)
    html = client.get(INDEX).content.decode()
    first, second = row(html, integration), row(html, other)
    assert f"<code>{integration.token_prefix}…</code>" in first
    assert cell(first, "scopes") == f"{CONTACTS_READ} {CONTACTS_WRITE}"
    assert cell(first, "status") == "Active"
    assert cell(first, "marketing-on-create") == "Off"
    assert cell(first, "last-used") == "10 Mar 2026, 12:00"
    assert "command line" in first
    assert cell(second, "scopes") == MARKETING_WRITE
    assert cell(second, "status") == "Revoked 10 Mar 2026"
    assert cell(second, "marketing-on-create") == "On"
    assert cell(second, "last-used") == "never"
    assert marketer.username in second
    assert 'id="create-integration"' in html
    assert html.index(f'data-integration="{other.pk}"') < html.index(f'data-integration="{integration.pk}"')


def test_the_list_query_count_does_not_grow_with_integrations(
    client, app, viewer, marketer, django_assert_max_num_queries
):
    client.force_login(viewer)
    with django_assert_max_num_queries(20) as baseline:
        client.get(INDEX)
    for number in range(10):
        integration, _ = integration_create(name=f"App {number}", actor=Actor.for_user(marketer))
        integration_marketing_on_create_set(
            integration=integration, marketing_on_create=True, actor=Actor.for_user(marketer)
        )
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        html = client.get(INDEX).content.decode()
    assert html.count("<tr data-integration=") == 11


def test_the_settings_menu_links_the_integrations_screen(client, viewer):
    client.force_login(viewer)
    html = client.get(INDEX).content.decode()
    nav = re.search(r"<nav.*?</nav>", html, re.S).group(0)
    assert f'<a href="{INDEX}">Integrations</a>' in nav
    # Users & groups needs auth.change_user, which a viewer lacks: the entry is marked, and still leads to why.
    users = reverse("accounts:users")
    assert f'<a href="{users}" class="locked" aria-disabled="true" title="Needs permission to manage users">' in nav
    assert re.search(r'<details class="menu active"><summary>Settings</summary>', nav)


# --- Create ----------------------------------------------------------------------------------------


def test_the_create_form_defaults_to_contacts_read_and_write_and_r8_off(client, marketing_creator):
    client.force_login(marketing_creator)
    html = client.get(NEW).content.decode()
    assert re.search(rf'<input type="checkbox" name="scopes" value="{CONTACTS_READ}"[^>]* checked', html)
    assert re.search(rf'<input type="checkbox" name="scopes" value="{CONTACTS_WRITE}"[^>]* checked', html)
    marketing_scope = re.search(rf'<input type="checkbox" name="scopes" value="{MARKETING_WRITE}"[^>]*>', html).group(0)
    assert "checked" not in marketing_scope and "disabled" not in marketing_scope
    box = re.search(r'<input type="checkbox" name="marketing_on_create"[^>]*>', html).group(0)
    assert "checked" not in box and "disabled" not in box


def test_without_marketing_access_the_marketing_choices_are_disabled_R30(client, creator):
    client.force_login(creator)
    html = client.get(NEW).content.decode()
    assert "disabled" in re.search(
        rf'<input type="checkbox" name="scopes" value="{MARKETING_WRITE}"[^>]*>', html
    ).group(0)
    assert "disabled" in re.search(r'<input type="checkbox" name="marketing_on_create"[^>]*>', html).group(0)
    assert "You need the Marketing contact access permission" in html


def test_create_shows_the_token_once_and_stores_only_its_sha256(client, creator):
    client.force_login(creator)
    response = client.post(NEW, create_data(name="  Shop sync "))
    html = response.content.decode()
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    token = shown_token(html)
    integration = Integration.objects.get()
    assert (integration.name, integration.scopes, integration.created_by) == (
        "Shop sync",
        [CONTACTS_READ, CONTACTS_WRITE],
        creator,
    )
    assert integration.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert integration.token_prefix == token[:12]
    assert integration_for_token(token) == integration
    assert html.count(token) == 1
    assert "it won&#x27;t be shown again" in html or "it won't be shown again" in html
    assert 'data-copy="token"' in html
    assert integration_marketing_on_create(integration=integration) is False
    # Never shown again, nor kept anywhere but as its hash.
    assert token not in client.get(INDEX).content.decode()
    assert token not in client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert token not in str(dict(client.session.items()))
    assert token not in str(list(Integration.objects.values()))


def test_r8_r30_a_marketer_may_create_an_integration_that_creates_marketing_contacts(
    client, frozen_clock, marketing_creator
):
    client.force_login(marketing_creator)
    data = create_data(scopes=[CONTACTS_WRITE, MARKETING_WRITE], marketing_on_create="on")
    assert client.post(NEW, data).status_code == 201
    integration = Integration.objects.get()
    assert integration.scopes == [CONTACTS_WRITE, MARKETING_WRITE]
    assert integration_marketing_on_create(integration=integration) is True
    assert list(CreationToolSettingChange.objects.values_list("source_id", "old_value", "new_value", "changed_by")) == [
        (str(integration.pk), False, True, marketing_creator.pk)
    ]


@pytest.mark.parametrize(
    "data, field",
    [
        (create_data(marketing_on_create="on"), "marketing_on_create"),
        (create_data(scopes=[CONTACTS_READ, MARKETING_WRITE]), "scopes"),
    ],
    ids=["marketing-on-create", "marketing-scope"],
)
def test_r30_without_marketing_access_creating_with_marketing_is_403_and_creates_nothing(client, creator, data, field):
    client.force_login(creator)
    response = client.post(NEW, data)
    assert response.status_code == 403
    error = re.search(rf'<span class="errors" data-error-for="{field}">(.*?)</span>', response.content.decode()).group(
        1
    )
    assert error == "You need the Marketing contact access permission to change marketing contact status."
    assert state() == ([], [], [])


@pytest.mark.parametrize(
    "data, field, message",
    [
        (create_data(name="   "), "name", "This field is required."),
        (create_data(name="x" * 101), "name", "Ensure this value has at most 100 characters (it has 101)."),
        ({"name": "App"}, "scopes", "Choose at least one scope."),
        (
            create_data(scopes=["crm.objects.deals.read"]),
            "scopes",
            "Select a valid choice. crm.objects.deals.read is not one of the available choices.",
        ),
    ],
    ids=["blank-name", "long-name", "no-scope", "unknown-scope"],
)
def test_form_errors_show_on_their_field_and_create_nothing(client, marketing_creator, data, field, message):
    client.force_login(marketing_creator)
    response = client.post(NEW, data)
    assert response.status_code == 200
    error = re.search(rf'<span class="errors" data-error-for="{field}">(.*?)</span>', response.content.decode()).group(
        1
    )
    assert error == message
    assert 'id="token"' not in response.content.decode()
    assert state() == ([], [], [])


# --- Revoke ----------------------------------------------------------------------------------------


def test_revoke_asks_for_confirmation_first(client, app, changer):
    integration, token = app
    before = state()
    client.force_login(changer)
    response = client.get(reverse("integrations:revoke", args=[integration.pk]))
    assert response.status_code == 200
    assert 'id="confirm-revoke"' in response.content.decode()
    unconfirmed = client.post(reverse("integrations:revoke", args=[integration.pk]))
    assert unconfirmed.status_code == 400
    assert "Confirm that you want to revoke this token." in unconfirmed.content.decode()
    assert state() == before
    assert integration_for_token(token) == integration


def test_a_revoked_token_gets_401_from_the_api(client, frozen_clock, app, changer, subscription):
    integration, token = app
    assert api_client(token).get(API_CONTACTS).status_code == 200
    client.force_login(changer)
    response = client.post(reverse("integrations:revoke", args=[integration.pk]), {"confirm": "yes"}, follow=True)
    assert response.redirect_chain == [(reverse("integrations:detail", args=[integration.pk]), 302)]
    assert "Shop sync is revoked: requests with its token are refused from now on." in response.content.decode()
    integration.refresh_from_db()
    assert (integration.revoked_at, integration.revoked_by) == (FROZEN_START, changer)
    denied = api_client(token).get(API_CONTACTS)
    assert denied.status_code == 401
    assert denied.json()["category"] == "INVALID_AUTHENTICATION"
    assert (
        api_client(token).post(API_CONTACTS, {"properties": {"email": "a@example.com"}}, format="json").status_code
        == 401
    )
    assert not Contact.objects.exists()


def test_revoking_twice_changes_nothing(client, frozen_clock, app, changer, marketing_changer):
    integration, _ = app
    client.force_login(changer)
    client.post(reverse("integrations:revoke", args=[integration.pk]), {"confirm": "yes"})
    before = state()
    client.force_login(marketing_changer)
    response = client.post(reverse("integrations:revoke", args=[integration.pk]), {"confirm": "yes"}, follow=True)
    assert "Shop sync was already revoked: nothing changed." in response.content.decode()
    assert state() == before
    assert Integration.objects.get().revoked_by == changer
    page = client.get(reverse("integrations:revoke", args=[integration.pk])).content.decode()
    assert 'id="confirm-revoke"' not in page and "It was revoked on" in page


# --- R8 toggle and its history -------------------------------------------------------------------------


def toggle(client, integration: Integration, value: str, **kwargs):
    return client.post(reverse("integrations:marketing_on_create", args=[integration.pk]), {"value": value}, **kwargs)


def test_r30_the_toggle_without_marketing_access_is_disabled_and_refused(client, app, changer):
    integration, _ = app
    before = state()
    client.force_login(changer)
    html = client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert re.search(r'<button type="submit" id="marketing-on-create-toggle"\s+disabled', html)
    response = toggle(client, integration, "1")
    assert response.status_code == 403
    page = response.content.decode()
    assert (
        '<p class="msg error" role="alert" id="refusal">You need the Marketing contact access permission to change'
        " marketing contact status.</p>" in page
    )
    assert "Nothing was changed." in page
    assert state() == before
    assert integration_marketing_on_create(integration=integration) is False


def test_r8_toggle_is_recorded_in_the_history(client, frozen_clock, app, marketing_changer):
    integration, _ = app
    client.force_login(marketing_changer)
    detail = reverse("integrations:detail", args=[integration.pk])
    assert history_rows(client.get(detail).content.decode()) == ["Never changed: off by default."]
    response = toggle(client, integration, "1", follow=True)
    assert response.redirect_chain == [(detail, 302)]
    assert "Shop sync now creates marketing contacts (from now on)." in response.content.decode()
    assert integration_marketing_on_create(integration=integration) is True
    frozen_clock.shift(3600)
    response = toggle(client, integration, "0", follow=True)
    assert "Shop sync now creates non-marketing contacts (from now on)." in response.content.decode()
    who = marketing_changer.username
    assert history_rows(response.content.decode()) == [
        f"10 Mar 2026, 13:00 {who} On Off",
        f"10 Mar 2026, 12:00 {who} Off On",
    ]
    assert list(
        CreationToolSettingChange.objects.order_by("pk").values_list("tool", "source_id", "old_value", "new_value")
    ) == [
        (CreationTool.INTEGRATION, str(integration.pk), False, True),
        (CreationTool.INTEGRATION, str(integration.pk), True, False),
    ]


def test_r8_toggling_to_the_current_value_changes_nothing(client, app, marketing_changer):
    integration, _ = app
    before = state()
    client.force_login(marketing_changer)
    response = toggle(client, integration, "0", follow=True)
    assert "Nothing changed: it was already off." in response.content.decode()
    assert state() == before


def test_a_bad_toggle_value_is_a_bad_request(client, app, marketing_changer):
    integration, _ = app
    before = state()
    client.force_login(marketing_changer)
    assert toggle(client, integration, "yes").status_code == 400
    assert client.post(reverse("integrations:marketing_on_create", args=[integration.pk])).status_code == 400
    assert state() == before


def test_a_revoked_integration_cannot_be_toggled(client, app, marketing_changer, system_actor):
    integration, _ = app
    integration_revoke(integration=integration, actor=system_actor)
    before = state()
    client.force_login(marketing_changer)
    response = toggle(client, integration, "1")
    assert response.status_code == 409
    page = response.content.decode()
    assert '<p class="msg error" role="alert" id="refusal">This integration is revoked.</p>' in page
    assert "Nothing was changed." in page
    assert state() == before


def test_r8_the_toggle_affects_only_contacts_created_afterwards(client, app, marketing_changer, subscription):
    integration, token = app
    api = api_client(token)
    before = api.post(API_CONTACTS, {"properties": {"email": "before@example.com"}}, format="json")
    assert before.status_code == 201, before.content
    assert Contact.objects.get(pk=before.json()["id"]).marketable_status is False
    client.force_login(marketing_changer)
    toggle(client, integration, "1")
    after = api.post(API_CONTACTS, {"properties": {"email": "after@example.com"}}, format="json")
    assert after.status_code == 201, after.content
    assert list(
        Contact.objects.order_by("email").values_list(
            "email", "marketable_status", "marketable_reason_type", "marketable_reason_id"
        )
    ) == [
        ("after@example.com", True, ReasonType.INTEGRATOR_SET, str(integration.pk)),
        ("before@example.com", False, ReasonType.INTEGRATOR_SET, str(integration.pk)),
    ]


# --- Superusers ------------------------------------------------------------------------------------


def test_a_superuser_may_do_everything(client, superuser, subscription):
    client.force_login(superuser)
    response = client.post(NEW, create_data(scopes=[MARKETING_WRITE], marketing_on_create="on"))
    assert response.status_code == 201
    integration = Integration.objects.get()
    assert toggle(client, integration, "0").status_code == 302
    assert integration_marketing_on_create(integration=integration) is False
    assert client.post(reverse("integrations:revoke", args=[integration.pk]), {"confirm": "yes"}).status_code == 302
    assert integration_for_token(shown_token(response.content.decode())) is None


# --- Django admin: read-only, no token hash -------------------------------------------------------


def test_admin_lists_integrations_read_only_without_the_token_hash(client, app, superuser):
    integration, token = app
    client.force_login(superuser)
    changelist = client.get(reverse("admin:integrations_integration_changelist")).content.decode()
    assert "Shop sync" in changelist and integration.token_prefix in changelist
    change = client.get(reverse("admin:integrations_integration_change", args=[integration.pk]))
    assert change.status_code == 200
    for html in (changelist, change.content.decode()):
        assert integration.token_hash not in html and token not in html
    assert client.get(reverse("admin:integrations_integration_add")).status_code == 403
    before = state()
    response = client.post(reverse("admin:integrations_integration_change", args=[integration.pk]), {"name": "New"})
    assert response.status_code == 403
    delete = client.post(reverse("admin:integrations_integration_delete", args=[integration.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert state() == before
