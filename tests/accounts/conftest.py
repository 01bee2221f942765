"""Fixtures for Users & groups: administrators with and without the permissions to add users and groups."""

import pytest
from django.contrib.auth.models import Permission

from tests.factories import UserFactory

ACCOUNT_PERMISSIONS = ("change_user", "add_user", "add_group", "change_group", "delete_group")


def with_permissions(*codenames: str, **fields):
    """A staff user holding the `auth` permissions `codenames` (nothing else)."""
    user = UserFactory(is_staff=True, **fields)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="auth", codename__in=codenames))
    return user


@pytest.fixture
def manager(db):
    """An administrator who may change users, invite users and create, change and delete groups."""
    return with_permissions(*ACCOUNT_PERMISSIONS, first_name="Ada", last_name="Admin")


@pytest.fixture
def change_only_admin(db):
    """An administrator who may change users (the page) but neither add users nor touch groups."""
    return with_permissions("change_user")
