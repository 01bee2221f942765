"""Actors: who asks for a change, and the permission a person needs for it (R30)."""

import pytest
from django.core.exceptions import PermissionDenied

from marketing_status.actors import Actor, ActorKind, ActorPermissionDenied, MarketingStatusPermissionDenied


def test_a_person_without_the_permission_is_refused_with_the_message(sales_user):
    with pytest.raises(ActorPermissionDenied, match=r"You need permission to build forms\."):
        Actor.for_user(sales_user).ensure_permission("leadforms.add_form", "You need permission to build forms.")


def test_the_refusal_is_both_djangos_and_the_engines(sales_user):
    """Views that answer Django's PermissionDenied and views that answer the engine's refusal both see it."""
    with pytest.raises(PermissionDenied):
        Actor.for_user(sales_user).ensure_permission("leadforms.add_form", "no")
    with pytest.raises(MarketingStatusPermissionDenied):
        Actor.for_user(sales_user).ensure_permission("leadforms.add_form", "no")


def test_a_person_with_the_permission_passes(marketer):
    Actor.for_user(marketer).ensure_permission("contacts.add_contact", "no")


@pytest.mark.parametrize("kind", [ActorKind.FORM, ActorKind.CHATFLOW, ActorKind.INTEGRATION, ActorKind.SYSTEM])
def test_tools_act_under_settings_made_by_permitted_people(kind):
    Actor(kind, "x").ensure_permission("contacts.add_contact", "no")


def test_a_user_actor_without_a_user_is_refused():
    with pytest.raises(ActorPermissionDenied):
        Actor(ActorKind.USER, "7").ensure_permission("contacts.add_contact", "no")
