"""Who may change marketing status (R30) and who hears about the bill (R24): writes made by admins.

Every function takes the acting admin as an `Actor`; only a user with `auth.change_user` may call
them (`django.core.exceptions.PermissionDenied` otherwise, nothing changed). Each returns whether
anything changed, so that a repeat is a no-op the caller can report.
"""

import logging

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied

from billing.selectors import subscription_get
from marketing_status.actors import MARKETING_ACCESS_PERMISSION, Actor

logger = logging.getLogger(__name__)

ADMIN_PERMISSION = "auth.change_user"


class AccountChangeRefused(Exception):
    """The change cannot be made (no subscription yet, a billing contact without email). Nothing changed."""


def marketing_access_permission() -> Permission:
    """The *Marketing contact access* permission row (R30)."""
    app_label, codename = MARKETING_ACCESS_PERMISSION.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _ensure_admin(actor: Actor) -> None:
    if actor.user is None or not actor.user.is_active or not actor.user.has_perm(ADMIN_PERMISSION):
        raise PermissionDenied("Only administrators who may change users can do this.")


def user_marketing_access_set(*, user, granted: bool, actor: Actor) -> bool:
    """R30: grant or remove *Marketing contact access* directly on `user`.

    Access the user has through a group is left alone (see `group_marketing_access_set`).
    """
    _ensure_admin(actor)
    if not _permission_set(user.user_permissions, granted):
        return False
    logger.info("marketing contact access %s user %s by user %s", _verb(granted), user.pk, actor.user_id)
    return True


def group_marketing_access_set(*, group: Group, granted: bool, actor: Actor) -> bool:
    """R30: grant or remove *Marketing contact access* for every member of `group`."""
    _ensure_admin(actor)
    if not _permission_set(group.permissions, granted):
        return False
    logger.info("marketing contact access %s group %s by user %s", _verb(granted), group.pk, actor.user_id)
    return True


def _permission_set(permissions, granted: bool) -> bool:
    """Add or remove Marketing contact access on a user's or group's permissions; False if already so."""
    permission = marketing_access_permission()
    if permissions.filter(pk=permission.pk).exists() == granted:
        return False
    (permissions.add if granted else permissions.remove)(permission)
    return True


def billing_contact_set(*, user, billing_contact: bool, actor: Actor) -> bool:
    """R24: mark or unmark `user` as a billing contact, told when the count nears and exceeds the tier.

    A billing contact needs an email address to be told anything.
    """
    _ensure_admin(actor)
    subscription = subscription_get()
    if subscription is None:
        raise AccountChangeRefused("Set up a subscription before choosing billing contacts.")
    is_one = subscription.billing_contacts.filter(pk=user.pk).exists()
    if is_one == billing_contact:
        return False
    if billing_contact:
        if not user.email:
            raise AccountChangeRefused(f"{user.get_username()} has no email address to send billing notices to.")
        subscription.billing_contacts.add(user)
    else:
        subscription.billing_contacts.remove(user)
    logger.info("billing contact %s user %s by user %s", _verb(billing_contact), user.pk, actor.user_id)
    return True


def _verb(granted: bool) -> str:
    return "granted to" if granted else "removed from"
