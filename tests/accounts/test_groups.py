"""Groups made in Settings > Users & groups: create (name, members, Marketing contact access), rename, delete."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from accounts.services import AccountChangeRefused, group_create, group_update, marketing_access_permission
from marketing_status.actors import MARKETING_ACCESS_PERMISSION, Actor
from tests.accounts.conftest import with_permissions
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
NEW_URL = "/settings/users/groups/new/"


def groups_state() -> list[tuple]:
    return [
        (group.pk, group.name, sorted(group.user_set.values_list("pk", flat=True)), group.permissions.count())
        for group in Group.objects.order_by("pk")
    ]


def has_access(user) -> bool:
    return User.objects.get(pk=user.pk).has_perm(MARKETING_ACCESS_PERMISSION)


@pytest.fixture
def ann(db):
    return UserFactory(username="ann", first_name="Ann", last_name="Andrews")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


@pytest.fixture
def team(manager, ann):
    return group_create(name="Marketing team", members=[ann], marketing_access=True, actor=Actor.for_user(manager))


def test_create_a_group_with_members_and_marketing_access(client, manager, ann, bob):
    client.force_login(manager)
    page = client.get(NEW_URL).content.decode()
    assert "Ann Andrews (ann)" in page  # members by name, not id
    response = client.post(NEW_URL, {"name": "Marketing team", "members": [ann.pk], "marketing_access": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:users")
    group = Group.objects.get(name="Marketing team")
    assert list(group.user_set.all()) == [ann]
    assert list(group.permissions.all()) == [marketing_access_permission()]
    assert has_access(ann) and not has_access(bob)
    page = client.get(reverse("accounts:users")).content.decode()
    assert "Group Marketing team is created." in page
    assert re.search(r'<tr data-group="Marketing team">\s*<td>Marketing team</td>\s*<td>1</td>', page)


def test_a_group_without_access_gives_none(client, manager, ann):
    client.force_login(manager)
    client.post(NEW_URL, {"name": "Sales team", "members": [ann.pk]})
    assert Group.objects.get(name="Sales team").permissions.count() == 0
    assert not has_access(ann)


@pytest.mark.parametrize("name", ["Marketing team", "marketing TEAM", "  Marketing team "])
def test_a_taken_name_is_a_field_error_and_keeps_the_members_ticked(client, manager, team, bob, name):
    client.force_login(manager)
    before = groups_state()
    response = client.post(NEW_URL, {"name": name, "members": [bob.pk]})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-error-for="name">A group with this name already exists.<' in page
    assert re.search(rf'<input type="checkbox" name="members" value="{bob.pk}"[^>]*checked', page)
    assert groups_state() == before


def test_a_name_is_required(client, manager):
    client.force_login(manager)
    response = client.post(NEW_URL, {"name": ""})
    assert response.status_code == 400
    assert 'data-error-for="name">This field is required.<' in response.content.decode()
    assert not Group.objects.exists()


def test_rename_and_change_members(client, manager, team, ann, bob):
    client.force_login(manager)
    url = reverse("accounts:group_edit", args=[team.pk])
    page = client.get(url).content.decode()
    assert 'value="Marketing team"' in page
    assert re.search(rf'value="{ann.pk}"[^>]*checked', page)
    response = client.post(url, {"name": "Growth team", "members": [bob.pk]}, follow=True)
    assert "Group Growth team is saved." in response.content.decode()
    team.refresh_from_db()
    assert team.name == "Growth team" and list(team.user_set.all()) == [bob]
    assert has_access(bob) and not has_access(ann)  # the group keeps its access


def test_saving_unchanged_says_nothing_changed(client, manager, team, ann):
    client.force_login(manager)
    response = client.post(reverse("accounts:group_edit", args=[team.pk]), {"name": team.name, "members": [ann.pk]})
    assert "Nothing changed for group Marketing team." in client.get(response["Location"]).content.decode()


def test_renaming_to_a_taken_name_changes_nothing(client, manager, team):
    other = Group.objects.create(name="Sales team")
    client.force_login(manager)
    before = groups_state()
    response = client.post(reverse("accounts:group_edit", args=[other.pk]), {"name": "Marketing team"})
    assert response.status_code == 400
    assert 'data-error-for="name">A group with this name already exists.<' in response.content.decode()
    assert groups_state() == before


def test_the_service_refuses_a_taken_name(manager, team):
    before = groups_state()
    with pytest.raises(AccountChangeRefused):
        group_create(name="MARKETING TEAM", actor=Actor.for_user(manager))
    other = Group.objects.create(name="Sales team")
    with pytest.raises(AccountChangeRefused):
        group_update(group=other, name="marketing team", members=[], actor=Actor.for_user(manager))
    assert groups_state()[: len(before)] == before and Group.objects.get(pk=other.pk).name == "Sales team"


def test_delete_says_what_members_lose_then_deletes(client, manager, team, ann):
    client.force_login(manager)
    url = reverse("accounts:group_delete", args=[team.pk])
    page = re.sub(r"\s+", " ", client.get(url).content.decode())
    assert "Its 1 member loses what the group gives them, <strong>Marketing contact access</strong> included" in page
    assert "<li>ann <span" in page
    assert has_access(ann)
    response = client.post(url, {"confirm": "yes"}, follow=True)
    assert "Group Marketing team is deleted." in response.content.decode()
    assert not Group.objects.exists()
    assert User.objects.filter(pk=ann.pk).exists() and not has_access(ann)


def test_delete_without_the_confirmation_changes_nothing(client, manager, team):
    client.force_login(manager)
    before = groups_state()
    response = client.post(reverse("accounts:group_delete", args=[team.pk]), {})
    assert response.status_code == 400
    assert "Confirm that you want to delete this group." in response.content.decode()
    assert groups_state() == before


# --- Refusals ------------------------------------------------------------------------------------------------


@pytest.fixture
def requests_(team, ann):
    """Each group path with a change it would make: (codename it needs, method, url, data)."""
    return [
        ("add_group", "post", NEW_URL, {"name": "Another team", "members": [ann.pk], "marketing_access": "on"}),
        ("change_group", "post", reverse("accounts:group_edit", args=[team.pk]), {"name": "Renamed", "members": []}),
        ("delete_group", "post", reverse("accounts:group_delete", args=[team.pk]), {"confirm": "yes"}),
    ]


MESSAGES = {
    "add_group": "Creating groups needs the permission to add groups.",
    "change_group": "Changing groups needs the permission to change groups.",
    "delete_group": "Deleting groups needs the permission to delete groups.",
}


def test_each_group_path_needs_its_permission(requests_, db):
    """An administrator holding every permission but the one a path needs is refused it, with the reason."""
    for codename, method, url, data in requests_:
        others = [name for name in ("change_user", "add_group", "change_group", "delete_group") if name != codename]
        client = Client()
        client.force_login(with_permissions(*others))
        before = groups_state()
        for response in (client.get(url), getattr(client, method)(url, data)):
            assert response.status_code == 403, url
            assert MESSAGES[codename] in response.content.decode()
        assert groups_state() == before


def test_group_permissions_without_change_user_are_refused(requests_):
    client = Client()
    client.force_login(with_permissions("add_group", "change_group", "delete_group"))
    before = groups_state()
    for _, method, url, data in requests_:
        assert getattr(client, method)(url, data).status_code == 403
    assert groups_state() == before


def test_anonymous_visitors_are_sent_to_sign_in(client, requests_):
    before = groups_state()
    for _, method, url, data in requests_:
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert groups_state() == before


def test_the_service_refuses_without_add_group(change_only_admin, ann):
    with pytest.raises(PermissionDenied):
        group_create(name="Team", members=[ann], marketing_access=True, actor=Actor.for_user(change_only_admin))
    assert not Group.objects.exists()


def test_the_group_forms_keep_csrf(manager, team):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    before = groups_state()
    assert client.post(NEW_URL, {"name": "Another team"}).status_code == 403
    assert client.post(reverse("accounts:group_delete", args=[team.pk]), {"confirm": "yes"}).status_code == 403
    assert groups_state() == before


def test_buttons_show_only_what_the_admin_may_do(client, change_only_admin, team):
    client.force_login(change_only_admin)
    page = client.get(reverse("accounts:users")).content.decode()
    assert 'id="create-group"' not in page
    assert f'href="{reverse("accounts:group_edit", args=[team.pk])}"' not in page
    assert f'href="{reverse("accounts:group_delete", args=[team.pk])}"' not in page
