"""Reads for the Users & groups page: who has Marketing contact access (R30) and who is a billing contact (R24)."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, QuerySet

from accounts.services import marketing_access_permission
from billing.selectors import subscription_get


@dataclass(frozen=True)
class UserAccess:
    user: object
    direct: bool  # the permission is on the user itself
    via_groups: tuple[str, ...]  # names of the user's groups that have it
    billing_contact: bool

    @property
    def has_access(self) -> bool:
        """What `user.has_perm(MARKETING_ACCESS_PERMISSION)` answers."""
        return self.user.is_active and (self.user.is_superuser or self.direct or bool(self.via_groups))


@dataclass(frozen=True)
class GroupAccess:
    group: Group
    member_count: int
    has_access: bool


def users_ordered() -> QuerySet:
    return get_user_model().objects.order_by("username").prefetch_related("groups")


def users_access(*, users) -> list[UserAccess]:
    """Marketing contact access and billing contact flags of `users` (a page of them), in a fixed number of queries."""
    permission = marketing_access_permission()
    direct_ids = set(permission.user_set.values_list("pk", flat=True))
    group_ids = set(permission.group_set.values_list("pk", flat=True))
    subscription = subscription_get()
    billing_ids = set(subscription.billing_contacts.values_list("pk", flat=True)) if subscription else set()
    return [
        UserAccess(
            user=user,
            direct=user.pk in direct_ids,
            via_groups=tuple(sorted(group.name for group in user.groups.all() if group.pk in group_ids)),
            billing_contact=user.pk in billing_ids,
        )
        for user in users
    ]


def groups_access() -> list[GroupAccess]:
    permission = marketing_access_permission()
    group_ids = set(permission.group_set.values_list("pk", flat=True))
    groups = Group.objects.annotate(member_count=Count("user")).order_by("name")
    return [
        GroupAccess(group=group, member_count=group.member_count, has_access=group.pk in group_ids) for group in groups
    ]


def group_members(*, group: Group) -> QuerySet:
    """The group's members by username: what the delete confirmation lists."""
    return group.user_set.order_by("username")
