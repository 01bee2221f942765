"""Chatflows for the conversations tests, created through the service."""

import pytest
from django.contrib.auth.models import Permission

from conversations.services import chatflow_create
from tests.factories import UserFactory


def with_perms(*codenames: str, **fields):
    user = UserFactory(**fields)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def chatflow(db, system_actor):
    """A switched-on chatflow with R7's default setting (off)."""
    return chatflow_create(
        name="Pricing page",
        welcome_message="Hi! How can we help?",
        email_prompt="What is your email?",
        thanks_message="Thanks, we will be in touch.",
        actor=system_actor,
    )
