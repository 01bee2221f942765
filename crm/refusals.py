"""One answer to a refused request, inside the normal page: the navigation, the reason in words, who can
give the missing permission, and a way back. Nothing was changed.

Views raise `Refused` (or Django's `PermissionDenied` with a message) and `permission_denied`, the
project's `handler403`, renders `403.html`; views that answer a refusal themselves (a 409, a 400, or a
403 with a link back to where it happened) call `refused`. `crm.log_filters.RefusalLogFilter` turns Django's warning for
a refused request into one line that says why, without a traceback.
"""

from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

MARKETING_ACCESS = "marketing_status.marketing_contact_access"
GRANT_PERMISSION = "auth.change_user"  # who may change users gives permissions (Settings > Users & groups)
MAX_GRANTORS = 3

# The permissions the screens check, in the words a user reads; others are named from Django's own name.
PERMISSION_WORDS = {
    MARKETING_ACCESS: "Marketing contact access",
    GRANT_PERMISSION: "permission to manage users",
    "contacts.add_contact": "permission to create contacts",
    "contacts.change_contact": "permission to edit contacts",
    "contacts.delete_contact": "permission to delete contacts",
    "imports.add_import": "permission to import contacts",
    "leadforms.view_form": "permission to view forms",
    "leadforms.add_form": "permission to create forms",
    "leadforms.change_form": "permission to edit forms",
    "workflows.view_workflow": "permission to view workflows",
    "workflows.add_workflow": "permission to create workflows",
    "workflows.change_workflow": "permission to edit workflows",
    "conversations.view_chatflow": "permission to view chatflows",
    "conversations.add_chatflow": "permission to create chatflows",
    "conversations.change_chatflow": "permission to edit chatflows",
    "integrations.view_integration": "permission to view integrations",
    "integrations.add_integration": "permission to create integrations",
    "integrations.change_integration": "permission to edit integrations",
    "engagements.view_meetinglink": "permission to view meetings",
    "engagements.view_booking": "permission to view bookings",
    "engagements.view_ticket": "permission to view tickets",
}

TITLES = {400: "Not done", 403: "You can't do this here", 409: "Not done"}


class Refused(PermissionDenied):
    """A refusal whose reason a person reads; `permission`, when known, is what would allow the request."""

    def __init__(self, reason: str = "", *, permission: str | None = None):
        self.permission = permission
        super().__init__(reason or (f"You need {permission_words(permission)}." if permission else ""))

    @property
    def log_reason(self) -> str:
        return f"Needs {permission_words(self.permission)}" if self.permission else _short(str(self))


def permission_words(permission: str) -> str:
    """`leadforms.change_form` → "permission to edit forms"; unknown ones from their Django name."""
    if permission in PERMISSION_WORDS:
        return PERMISSION_WORDS[permission]
    app_label, _, codename = permission.partition(".")
    name = (
        Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        .values_list("name", flat=True)
        .first()
    )
    if not name:
        return "a permission you do not have"
    return "permission to " + (name[4:] if name.startswith("Can ") else name).lower()


def permission_required(permission: str):
    """A view decorator: without `permission`, raise `Refused` naming it (a 403 that says why)."""

    def decorate(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not request.user.has_perm(permission):
                raise Refused(permission=permission)
            return view(request, *args, **kwargs)

        return checked

    return decorate


def grantors(user) -> list[str]:
    """The names of up to three active people who may give permissions, other than `user`."""
    people = get_user_model().objects.with_perm(
        GRANT_PERMISSION, is_active=True, include_superusers=True, backend="django.contrib.auth.backends.ModelBackend"
    )
    if getattr(user, "pk", None) is not None:
        people = people.exclude(pk=user.pk)
    return [person.get_full_name() or person.get_username() for person in people.order_by("pk")[:MAX_GRANTORS]]


def ask_line(user, permission: str | None) -> str:
    """Whom to ask, for what: "Ask Ada Admin for Marketing contact access."; "an administrator" when nobody is
    known; the user's own way when they can give permissions themselves."""
    wanted = permission_words(permission) if permission else "this permission"
    if getattr(user, "is_authenticated", False) and user.has_perm(GRANT_PERMISSION):
        return f"You can give yourself {wanted} under Settings › Users & groups."
    names = grantors(user)
    who = " or ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else (names or ["an administrator"])[0]
    return f"Ask {who} for {wanted}."


def _back(request: HttpRequest) -> tuple[str, str]:
    referer = request.headers.get("referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure()):
        return referer, "Back"
    return reverse("home"), "Back to the start page"


def refused(
    request: HttpRequest,
    reason: str,
    *,
    status: int = 403,
    permission: str | None = None,
    title: str = "",
    section: str = "",
    back_url: str = "",
    back_label: str = "",
) -> HttpResponse:
    """The refusal page for `reason`, with whom to ask for `permission` on a 403, and a way back."""
    if not back_url:
        back_url, back_label = _back(request)
    request.refusal_log_reason = f"Needs {permission_words(permission)}" if permission else _short(reason)
    context = {
        "title": title or TITLES.get(status, "Not done"),
        "section": section,
        "reason": reason,
        "ask": ask_line(request.user, permission) if status == 403 else "",
        "back_url": back_url,
        "back_label": back_label or "Back",
    }
    return render(request, "403.html", context, status=status)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """`handler403`: the exception's message (or the missing permission in words) inside the page."""
    permission = getattr(exception, "permission", None)
    reason = str(exception or "") or "You don't have permission to open this page."
    return refused(request, reason, permission=permission)


def _short(reason: str) -> str:
    return reason.strip().rstrip(".") or "Permission denied"


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """`handler404`: the missing page inside the normal page."""
    return render(request, "404.html", {"title": "Not found"}, status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """`handler400`: Django's default renders without the request, so without the navigation; this does not."""
    return render(request, "400.html", {"title": "Bad request"}, status=400)
