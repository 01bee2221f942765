"""Access to the admin pages: who is not signed in goes to sign-in; who is, without the permission, gets 403
(the refusal page naming the permission) and changes nothing."""

from django.contrib.auth.decorators import login_required

from crm.refusals import permission_required


def requires(permission: str):
    """A view decorator: sign-in first, then `permission` (403 without it, saying which is missing)."""

    def decorate(view):
        return login_required(permission_required(permission)(view))

    return decorate
