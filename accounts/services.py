"""Who may change marketing status (R30), who hears about the bill (R24), and who the users and groups are:
writes made by admins.

Every function takes the acting admin as an `Actor`; only a user with `auth.change_user` may call
them (`django.core.exceptions.PermissionDenied` otherwise, nothing changed), and creating users or
changing groups needs Django's permission for that too. The switches return whether anything changed,
so that a repeat is a no-op the caller can report.
"""

import logging
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q

from accounts.invitations import invitation_email_send, invitation_token_generator
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


# --- Users and groups made in the app ------------------------------------------------------------------

ADD_USER_PERMISSION = "auth.add_user"
ADD_GROUP_PERMISSION = "auth.add_group"
CHANGE_GROUP_PERMISSION = "auth.change_group"
DELETE_GROUP_PERMISSION = "auth.delete_group"

REFUSALS = {
    ADD_USER_PERMISSION: "Inviting users needs the permission to add users.",
    ADD_GROUP_PERMISSION: "Creating groups needs the permission to add groups.",
    CHANGE_GROUP_PERMISSION: "Changing groups needs the permission to change groups.",
    DELETE_GROUP_PERMISSION: "Deleting groups needs the permission to delete groups.",
}


def ensure_account_permission(actor: Actor, permission: str) -> None:
    """An administrator (`ADMIN_PERMISSION`) who also holds `permission`; `PermissionDenied` saying so otherwise."""
    _ensure_admin(actor)
    if not actor.user.has_perm(permission):
        raise PermissionDenied(REFUSALS[permission])


def _email_taken(email: str, *, exclude_pk=None) -> bool:
    users = get_user_model().objects.filter(email__iexact=email)
    return users.exclude(pk=exclude_pk).exists() if exclude_pk else users.exists()


@transaction.atomic
def user_invite(
    *,
    email: str,
    username: str = "",
    first_name: str = "",
    last_name: str = "",
    groups: Iterable[Group] = (),
    marketing_access: bool = False,
    base_url: str,
    actor: Actor,
):
    """Create a user who signs in once they set a password through the emailed link (sent after commit).

    Email and username (the email unless given) are unique; Marketing contact access is granted through
    `user_marketing_access_set`, so it needs what that needs, and a refusal leaves no user behind.
    """
    ensure_account_permission(actor, ADD_USER_PERMISSION)
    username = username or email
    if _email_taken(email):
        raise AccountChangeRefused(f"A user with the email {email} already exists.")
    if get_user_model().objects.filter(username__iexact=username).exists():
        raise AccountChangeRefused(f"A user with the username {username} already exists.")
    user = get_user_model()(username=username, email=email, first_name=first_name, last_name=last_name)
    user.set_unusable_password()
    user.save()
    user.groups.set(groups)
    if marketing_access:
        user_marketing_access_set(user=user, granted=True, actor=actor)
    logger.info("user %s invited by user %s", user.pk, actor.user_id)
    _invitation_send_on_commit(user=user, actor=actor, base_url=base_url)
    return user


@transaction.atomic
def invitation_resend(*, user, base_url: str, actor: Actor) -> None:
    """Send a new invitation link; the earlier ones stop working. Only for active users who never set a password."""
    ensure_account_permission(actor, ADD_USER_PERMISSION)
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if user.has_usable_password():
        raise AccountChangeRefused(f"{user.get_username()} has already set a password.")
    if not user.is_active:
        raise AccountChangeRefused(f"{user.get_username()} is deactivated; reactivate them first.")
    if not user.email:
        raise AccountChangeRefused(f"{user.get_username()} has no email address to send the invitation to.")
    user.set_unusable_password()  # a new one: the links sent before no longer match
    user.save(update_fields=["password"])
    logger.info("invitation resent to user %s by user %s", user.pk, actor.user_id)
    _invitation_send_on_commit(user=user, actor=actor, base_url=base_url)


def _invitation_send_on_commit(*, user, actor: Actor, base_url: str) -> None:
    inviter = actor.user.get_full_name() or actor.user.get_username()
    transaction.on_commit(
        lambda: invitation_email_send(user_id=user.pk, inviter_name=inviter, base_url=base_url), robust=True
    )


@transaction.atomic
def invitation_accept(*, user, token: str, password: str):
    """Set the invited user's first password if `token` is still good (then it is spent): the user, else None.

    `password` must already have passed the password validators (`SetPasswordForm`).
    """
    user = get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    if not invitation_token_generator.check_token(user, token):
        return None
    user.set_password(password)
    user.save(update_fields=["password"])
    logger.info("invitation accepted by user %s", user.pk)
    return user


@transaction.atomic
def user_active_set(*, user, active: bool, actor: Actor) -> bool:
    """Deactivate (they can no longer sign in, and their sessions end) or reactivate `user`.

    Nobody deactivates themselves, and the last active administrator stays. False if already so.
    """
    _ensure_admin(actor)
    admins = list(_active_admins().select_for_update().values_list("pk", flat=True))
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if user.is_active == active:
        return False
    if not active and user.pk == actor.user_id:
        raise AccountChangeRefused("You can't deactivate yourself.")
    if not active and admins == [user.pk]:
        raise AccountChangeRefused(f"{user.get_username()} is the last active administrator.")
    user.is_active = active
    user.save(update_fields=["is_active"])
    logger.info("user %s %s by user %s", user.pk, "reactivated" if active else "deactivated", actor.user_id)
    return True


def _active_admins():
    """Active users who may change users: superusers, and those with `ADMIN_PERMISSION` directly or via a group."""
    app_label, codename = ADMIN_PERMISSION.split(".")
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    has_it = Q(is_superuser=True) | Q(user_permissions=permission) | Q(groups__permissions=permission)
    ids = get_user_model().objects.filter(has_it).values("pk")
    return get_user_model().objects.filter(is_active=True, pk__in=ids).order_by("pk")


def _group_name_taken(name: str, *, exclude_pk=None) -> bool:
    return Group.objects.filter(name__iexact=name).exclude(pk=exclude_pk).exists()


@transaction.atomic
def group_create(*, name: str, members: Iterable = (), marketing_access: bool = False, actor: Actor) -> Group:
    """A group with unique `name` and its members; Marketing contact access through `group_marketing_access_set`."""
    ensure_account_permission(actor, ADD_GROUP_PERMISSION)
    if _group_name_taken(name):
        raise AccountChangeRefused(f"A group named {name} already exists.")
    group = Group.objects.create(name=name)
    group.user_set.set(members)
    if marketing_access:
        group_marketing_access_set(group=group, granted=True, actor=actor)
    logger.info("group %s created by user %s", group.pk, actor.user_id)
    return group


@transaction.atomic
def group_update(*, group: Group, name: str, members: Iterable, actor: Actor) -> bool:
    """Rename `group` (names stay unique) and set its members; False if nothing changed."""
    ensure_account_permission(actor, CHANGE_GROUP_PERMISSION)
    group = Group.objects.select_for_update().get(pk=group.pk)
    if _group_name_taken(name, exclude_pk=group.pk):
        raise AccountChangeRefused(f"A group named {name} already exists.")
    member_ids = {member.pk for member in members}
    changed = group.name != name or set(group.user_set.values_list("pk", flat=True)) != member_ids
    if changed:
        group.name = name
        group.save(update_fields=["name"])
        group.user_set.set(member_ids)
        logger.info("group %s changed by user %s", group.pk, actor.user_id)
    return changed


@transaction.atomic
def group_delete(*, group: Group, actor: Actor) -> None:
    """Delete `group`; its members lose what they had through it (Marketing contact access included)."""
    ensure_account_permission(actor, DELETE_GROUP_PERMISSION)
    pk = group.pk
    Group.objects.filter(pk=pk).delete()
    logger.info("group %s deleted by user %s", pk, actor.user_id)
