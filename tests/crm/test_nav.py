"""The main navigation marks the entries a user cannot open (crm.context_processors): a lock, aria-disabled
and a "Needs …" title; they stay links, so that following one shows the refusal and whom to ask."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOCK = '<span class="lock" aria-hidden="true">🔒</span>'


def nav_of(client) -> str:
    page = client.get(reverse("contacts:index")).content.decode()
    return re.search(r'<nav aria-label="Main".*?</nav>', page, re.S).group(0)


def entry(nav: str, url: str) -> str:
    return re.search(rf'<a href="{re.escape(url)}"[^>]*>.*?</a>', nav, re.S).group(0)


def test_entries_a_plain_user_cannot_open_are_marked_with_what_they_need(client):
    client.force_login(UserFactory())
    nav = nav_of(client)
    assert entry(nav, reverse("accounts:users")) == (
        f'<a href="{reverse("accounts:users")}" class="locked" aria-disabled="true"'
        f' title="Needs permission to manage users">Users &amp; groups {LOCK}</a>'
    )
    assert 'title="Needs permission to view forms"' in entry(nav, reverse("leadforms:index"))
    assert 'title="Needs permission to view workflows"' in entry(nav, reverse("workflows:index"))
    assert 'title="Needs permission to view chatflows"' in entry(nav, reverse("conversations:index"))
    assert 'title="Needs permission to view integrations"' in entry(nav, reverse("integrations:index"))
    assert entry(nav, reverse("contacts:index")) == f'<a href="{reverse("contacts:index")}" class="active">Contacts</a>'
    assert entry(nav, reverse("capture:settings")) == f'<a href="{reverse("capture:settings")}">Lead capture</a>'


def test_r30_subscription_and_usage_open_but_say_changes_need_marketing_contact_access(client):
    client.force_login(UserFactory())
    nav = nav_of(client)
    for url in (reverse("billing:subscription"), reverse("billing:usage")):
        link = entry(nav, url)
        assert 'class="view-only" title="View only: changes need Marketing contact access"' in link
        assert "aria-disabled" not in link


def test_a_granted_permission_unlocks_its_entry_only(client):
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_form"))
    client.force_login(user)
    nav = nav_of(client)
    assert entry(nav, reverse("leadforms:index")) == f'<a href="{reverse("leadforms:index")}">Forms</a>'
    assert "locked" in entry(nav, reverse("workflows:index"))


def test_a_superuser_sees_no_marks(client):
    client.force_login(UserFactory(is_superuser=True))
    nav = nav_of(client)
    assert "locked" not in nav
    assert "view-only" not in nav
    assert LOCK not in nav


def test_a_locked_entry_leads_to_the_refusal_that_says_whom_to_ask(client):
    UserFactory(first_name="Ada", last_name="Admin", is_superuser=True)
    client.force_login(UserFactory())
    response = client.get(reverse("accounts:users"))
    assert response.status_code == 403
    page = response.content.decode()
    assert '<nav aria-label="Main"' in page
    assert "You need permission to manage users." in page
    assert "Ask Ada Admin for permission to manage users." in page
