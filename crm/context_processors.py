"""What the navigation shows each user: the entries they cannot open are marked, with what they need."""

from django.utils.functional import SimpleLazyObject

from crm.refusals import GRANT_PERMISSION, MARKETING_ACCESS, permission_words

# Each menu entry and the permission its page needs (the view's decorator); entries open to every
# signed-in user are not listed.
NAV_PERMISSIONS = {
    "chatflows": "conversations.view_chatflow",
    "forms": "leadforms.view_form",
    "meetings": "engagements.view_meetinglink",
    "bookings": "engagements.view_booking",
    "tickets": "engagements.view_ticket",
    "workflows": "workflows.view_workflow",
    "users": GRANT_PERMISSION,
    "integrations": "integrations.view_integration",
}
# Entries that open for everyone but whose changes need a permission: shown as view only.
NAV_VIEW_ONLY = {"subscription": MARKETING_ACCESS, "usage": MARKETING_ACCESS}


def nav_locks(user) -> dict[str, str]:
    """Entry → "Needs …" for the entries `user` cannot open."""
    if not user.is_authenticated:
        return {}
    return {key: f"Needs {permission_words(perm)}" for key, perm in NAV_PERMISSIONS.items() if not user.has_perm(perm)}


def nav_view_only(user) -> dict[str, str]:
    """Entry → "View only: …" for the entries `user` can open but not change."""
    if not user.is_authenticated:
        return {}
    return {
        key: f"View only: changes need {permission_words(perm)}"
        for key, perm in NAV_VIEW_ONLY.items()
        if not user.has_perm(perm)
    }


def navigation(request) -> dict:
    """The marks of base.html's menu, computed only when a page draws the navigation."""
    return {
        "nav_locks": SimpleLazyObject(lambda: nav_locks(request.user)),
        "nav_view_only": SimpleLazyObject(lambda: nav_view_only(request.user)),
    }
