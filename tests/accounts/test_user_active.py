"""Deactivate and reactivate users from Settings > Users & groups: never oneself, never the last admin."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts.services import AccountChangeRefused, user_active_set
from marketing_status.actors import Actor
from tests.accounts.conftest import with_permissions
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "correct horse battery staple"  # the factory's


def active(user) -> bool:
    return User.objects.get(pk=user.pk).is_active


def test_deactivate_ends_sign_in_and_reactivate_restores_it(client, manager):
    member = UserFactory()
    session = Client()
    session.force_login(member)
    client.force_login(manager)
    url = reverse("accounts:user_active", args=[member.pk])
    response = client.post(url, {"value": "0"}, follow=True)
    assert f"{member.username} is deactivated: they can no longer sign in." in response.content.decode()
    assert not active(member)
    assert not Client().login(username=member.username, password=PASSWORD)
    assert session.get(reverse("home")).status_code == 302  # their open session no longer counts
    response = client.post(url, {"value": "1"}, follow=True)
    assert f"{member.username} is active again and can sign in." in response.content.decode()
    assert Client().login(username=member.username, password=PASSWORD)


def test_nobody_deactivates_themselves(client, manager):
    client.force_login(manager)
    response = client.post(reverse("accounts:user_active", args=[manager.pk]), {"value": "0"}, follow=True)
    assert "You can&#x27;t deactivate yourself." in response.content.decode()
    assert active(manager)


def test_the_last_active_admin_stays(manager):
    """Two admins deactivating each other: the second, acting on what it read before, is refused."""
    other = with_permissions("change_user")
    stale_other = User.objects.get(pk=other.pk)
    assert user_active_set(user=other, active=False, actor=Actor.for_user(manager)) is True
    with pytest.raises(AccountChangeRefused, match="last active administrator"):
        user_active_set(user=manager, active=False, actor=Actor.for_user(stale_other))
    assert active(manager)


def test_deactivating_twice_changes_nothing(manager):
    member = UserFactory(is_active=False)
    assert user_active_set(user=member, active=False, actor=Actor.for_user(manager)) is False
    assert not active(member)


def test_deactivating_needs_change_user(client, db):
    member = UserFactory()
    client.force_login(with_permissions("add_user"))
    assert client.post(reverse("accounts:user_active", args=[member.pk]), {"value": "0"}).status_code == 403
    assert active(member)


def test_a_bad_value_is_a_bad_request(client, manager):
    member = UserFactory()
    client.force_login(manager)
    assert client.post(reverse("accounts:user_active", args=[member.pk]), {"value": "no"}).status_code == 400
    assert active(member)


def test_the_page_offers_deactivate_but_not_for_oneself(client, manager):
    import re

    member = UserFactory()
    client.force_login(manager)
    page = client.get(reverse("accounts:users")).content.decode()
    rows = dict(re.findall(r'<tr data-user="([^"]+)">(.*?)</tr>', page, re.S))
    assert "Deactivate" in rows[member.username]
    assert "Deactivate" not in rows[manager.username]
