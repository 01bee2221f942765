"""Invitation links: a one-time token to set a first password, and the email that carries it.

The token is Django's password-reset token with its own salt, so that a reset link is no invitation and an
invitation no reset link. It is valid for `PASSWORD_RESET_TIMEOUT`, for an active user who has not set a
password yet; setting one (or a resend, which draws a new unusable password) spends every earlier link.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

logger = logging.getLogger(__name__)


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "accounts.invitations.InvitationTokenGenerator"

    def check_token(self, user, token) -> bool:
        if user is None or not user.is_active or user.has_usable_password():
            return False
        return super().check_token(user, token)

    def _make_hash_value(self, user, timestamp) -> str:
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}"


invitation_token_generator = InvitationTokenGenerator()


def invitation_path(user) -> str:
    """The accept page's path for `user`, with a fresh token."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = invitation_token_generator.make_token(user)
    return reverse("invitation_accept", kwargs={"uidb64": uidb64, "token": token})


def invitation_email_send(*, user_id: int, inviter_name: str, base_url: str) -> None:
    """Email the invitation to the user (run after the commit that created or reset them)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.has_usable_password() or not user.email:
        return
    context = {
        "user": user,
        "inviter_name": inviter_name,
        "accept_url": f"{base_url.rstrip('/')}{invitation_path(user)}",
        "expires_hours": _timeout_hours(),
    }
    subject = "You're invited to the CRM"
    body = render_to_string("registration/invitation_email.txt", context)
    send_mail(subject, body, None, [user.email])
    logger.info("invitation sent to user %s", user.pk)


def _timeout_hours() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)
