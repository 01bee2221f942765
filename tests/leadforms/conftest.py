"""Fixtures of the forms tests: users with and without the Forms permissions, a form, and posting helpers."""

import pytest
from django.contrib.auth.models import Permission

from leadforms.builder import FieldSpec, form_create
from tests.factories import UserFactory

FORM_PERMISSIONS = ("view_form", "add_form", "change_form")


def with_perms(*codenames: str):
    user = UserFactory()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def viewer(db):
    return with_perms("view_form")


@pytest.fixture
def builder(db):
    """May build and edit forms, but lacks Marketing contact access (R30)."""
    return with_perms(*FORM_PERMISSIONS)


@pytest.fixture
def form_marketer(db):
    return with_perms(*FORM_PERMISSIONS, "marketing_contact_access")


@pytest.fixture
def lead_form(db, system_actor):
    """ "Newsletter": email (required), first name, company (required), lifecycle stage."""
    return form_create(
        name="Newsletter",
        fields=[
            FieldSpec("email", "Email", True),
            FieldSpec("firstname", "First name"),
            FieldSpec("company", "Company", True),
            FieldSpec("lifecyclestage", "Stage"),
        ],
        thank_you_message="Thanks, see you soon!",
        actor=system_actor,
    )
