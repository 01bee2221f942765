"""Inviting a user from Settings > Users & groups, the emailed link, and choosing a first password."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.services import AccountChangeRefused, invitation_resend, user_invite
from marketing_status.actors import MARKETING_ACCESS_PERMISSION, Actor
from tests.accounts.conftest import with_permissions
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
INVITE_URL = "/settings/users/invite/"
GOOD_PASSWORD = "plum-orchard-lantern-42"


def invite_data(**overrides) -> dict:
    return {"email": "new.person@example.com", "first_name": "Nia", "last_name": "New", "username": ""} | overrides


def accept_path(message) -> str:
    match = re.search(r"http://testserver(/invitation/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def users_state() -> list[tuple]:
    return list(User.objects.order_by("pk").values_list("pk", "username", "email", "password", "is_active"))


def invite(client, django_capture_on_commit_callbacks, **overrides):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(INVITE_URL, invite_data(**overrides))


def test_invite_creates_a_user_without_password_and_emails_one_working_link(
    client, manager, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    response = invite(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:users")
    user = User.objects.get(email="new.person@example.com")
    assert (user.username, user.first_name, user.last_name, user.is_active) == (
        "new.person@example.com",
        "Nia",
        "New",
        True,
    )
    assert not user.has_usable_password()
    assert len(mailoutbox) == 1
    (message,) = mailoutbox
    assert message.to == ["new.person@example.com"]
    assert "Ada Admin invited you" in message.body and "Your username is new.person@example.com" in message.body

    visitor = Client()
    response = visitor.get(accept_path(message))
    assert response.status_code == 302 and response["Location"].endswith("/set-password/")
    page = visitor.get(response["Location"]).content.decode()
    assert "You sign in as <strong>new.person@example.com</strong>" in page
    response = visitor.post(response["Location"], {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert User.objects.get(pk=user.pk).check_password(GOOD_PASSWORD)
    assert int(visitor.session["_auth_user_id"]) == user.pk


def test_the_email_is_sent_only_after_commit(client, manager, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(INVITE_URL, invite_data())
    assert mailoutbox == [] and len(callbacks) == 1
    callbacks[0]()
    assert [message.to for message in mailoutbox] == [["new.person@example.com"]]


def test_invite_with_username_groups_and_marketing_access(
    client, manager, mailoutbox, django_capture_on_commit_callbacks
):
    team, other = Group.objects.create(name="Marketing team"), Group.objects.create(name="Sales team")
    client.force_login(manager)
    invite(client, django_capture_on_commit_callbacks, username="nia", groups=[team.pk], marketing_access="on")
    user = User.objects.get(username="nia")
    assert list(user.groups.all()) == [team]
    assert user.has_perm(MARKETING_ACCESS_PERMISSION)
    assert user.user_permissions.filter(codename="marketing_contact_access").exists()
    assert not other.user_set.exists()


@pytest.mark.parametrize(
    ("taken", "data", "field", "message"),
    [
        (
            {"email": "Taken@Example.com"},
            {"email": "taken@example.com"},
            "email",
            "A user with this email already exists.",
        ),
        ({"username": "nia"}, {"username": "nia"}, "username", "A user with the username nia already exists"),
        (
            {"username": "new.person@example.com", "email": "other@example.com"},
            {},
            "username",
            "A user with the username new.person@example.com already exists",
        ),
    ],
)
def test_duplicate_email_or_username_is_a_field_error_and_keeps_what_was_typed(
    client, manager, mailoutbox, django_capture_on_commit_callbacks, taken, data, field, message
):
    UserFactory(**taken)
    client.force_login(manager)
    before = users_state()
    response = invite(client, django_capture_on_commit_callbacks, **data)
    assert response.status_code == 400
    page = response.content.decode()
    error = re.search(rf'data-error-for="{field}">([^<]*)<', page)
    assert error and message in error.group(1)
    assert 'value="Nia"' in page and 'value="New"' in page
    assert users_state() == before and mailoutbox == []


def test_email_is_required_and_must_be_an_address(client, manager, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(manager)
    before = users_state()
    for email, message in (("", "This field is required."), ("not-an-email", "Enter a valid email address.")):
        page = invite(client, django_capture_on_commit_callbacks, email=email).content.decode()
        assert f'data-error-for="email">{message}<' in page
    assert users_state() == before and mailoutbox == []


def test_an_email_too_long_for_a_username_asks_for_one(client, manager, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(manager)
    before = users_state()
    email = f"{'a' * 150}@example.com"
    page = invite(client, django_capture_on_commit_callbacks, email=email).content.decode()
    assert 'data-error-for="username">Usernames have at most 150 characters; choose one.<' in page
    assert f'value="{email}"' in page
    assert users_state() == before and mailoutbox == []


# --- Refusals: permission, CSRF -------------------------------------------------------------------------


def test_inviting_needs_add_user(client, change_only_admin, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(change_only_admin)
    before = users_state()
    response = client.get(INVITE_URL)
    assert response.status_code == 403
    assert "Inviting users needs the permission to add users." in response.content.decode()
    assert invite(client, django_capture_on_commit_callbacks, marketing_access="on").status_code == 403
    assert users_state() == before and mailoutbox == []
    assert 'id="invite-user"' not in client.get(reverse("accounts:users")).content.decode()


def test_add_user_without_change_user_cannot_open_the_page(client, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(with_permissions("add_user"))
    before = users_state()
    assert client.get(INVITE_URL).status_code == 403
    assert invite(client, django_capture_on_commit_callbacks).status_code == 403
    assert users_state() == before and mailoutbox == []


def test_anonymous_visitors_are_sent_to_sign_in(client, mailoutbox):
    before = users_state()
    for response in (client.get(INVITE_URL), client.post(INVITE_URL, invite_data())):
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert users_state() == before and mailoutbox == []


def test_the_invite_form_keeps_csrf(manager, mailoutbox):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    before = users_state()
    assert client.post(INVITE_URL, invite_data()).status_code == 403
    assert users_state() == before and mailoutbox == []
    assert 'name="csrfmiddlewaretoken"' in client.get(INVITE_URL).content.decode()


def test_a_refused_marketing_grant_leaves_no_user_and_sends_nothing(
    manager, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    """The grant is the one decision of `user_marketing_access_set`; when it refuses, the invitation is undone."""

    def refuse(**kwargs):
        raise PermissionDenied("no")

    monkeypatch.setattr(services, "user_marketing_access_set", refuse)
    before = users_state()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        user_invite(
            email="n@example.com", marketing_access=True, base_url="http://testserver", actor=Actor.for_user(manager)
        )
    assert users_state() == before and mailoutbox == []


def test_the_service_refuses_actors_without_add_user(change_only_admin, mailoutbox):
    before = users_state()
    with pytest.raises(PermissionDenied):
        user_invite(email="n@example.com", base_url="http://testserver", actor=Actor.for_user(change_only_admin))
    assert users_state() == before and mailoutbox == []


# --- The accept page -------------------------------------------------------------------------------------


@pytest.fixture
def invited(manager, mailoutbox, django_capture_on_commit_callbacks):
    """An invited user and the path of the link their email carries."""
    with django_capture_on_commit_callbacks(execute=True):
        user = user_invite(
            email="invitee@example.com", first_name="Ivy", base_url="http://testserver", actor=Actor.for_user(manager)
        )
    return user, accept_path(mailoutbox[-1])


def accept(path: str, password: str = GOOD_PASSWORD, again: str | None = None):
    visitor = Client()
    response = visitor.get(path)
    if response.status_code != 302:
        return visitor, response
    form_url = response["Location"]
    return visitor, visitor.post(form_url, {"new_password1": password, "new_password2": again or password})


def assert_link_refused(response, user) -> None:
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="invalid-link"' in page and "new_password1" not in page
    assert user.username not in page and user.email not in page
    assert not User.objects.get(pk=user.pk).has_usable_password()


def test_a_bad_token_shows_nothing_and_changes_nothing(invited):
    user, path = invited
    uidb64 = path.split("/")[2]
    for bad in (f"/invitation/{uidb64}/abc-123/", "/invitation/Zm9v/abc-123/", f"/invitation/{uidb64}/set-password/"):
        visitor, response = accept(bad)
        assert_link_refused(response, user)
        assert "_auth_user_id" not in visitor.session


def test_an_expired_link_changes_nothing(invited, settings):
    user, path = invited
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)):
        _, response = accept(path)
    assert_link_refused(response, user)


def test_a_used_link_changes_nothing(invited):
    user, path = invited
    accept(path)
    password = User.objects.get(pk=user.pk).password
    _, response = Client().get(path), Client().get(path)
    assert 'id="invalid-link"' in response.content.decode()
    assert User.objects.get(pk=user.pk).password == password


def test_a_password_reset_token_is_no_invitation(invited):
    from django.contrib.auth.tokens import default_token_generator

    user, path = invited
    reset_token = default_token_generator.make_token(user)
    _, response = accept(path.rsplit("/", 2)[0] + f"/{reset_token}/")
    assert_link_refused(response, user)


def test_a_deactivated_user_cannot_accept(invited):
    user, path = invited
    User.objects.filter(pk=user.pk).update(is_active=False)
    _, response = accept(path)
    page = response.content.decode()
    assert 'id="invalid-link"' in page
    assert not User.objects.get(pk=user.pk).has_usable_password()


@pytest.mark.parametrize(
    ("password", "again", "field", "message"),
    [
        ("password123", None, "new_password2", "This password is too common."),
        ("short", None, "new_password2", "This password is too short."),
        (GOOD_PASSWORD, "something-else-entirely", "new_password2", "The two password fields didn’t match."),
    ],
)
def test_the_password_validators_apply(invited, password, again, field, message):
    user, path = invited
    visitor, response = accept(path, password, again)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.get(pk=user.pk).has_usable_password()
    assert "_auth_user_id" not in visitor.session


def test_the_accept_form_keeps_csrf(invited):
    user, path = invited
    visitor = Client(enforce_csrf_checks=True)
    form_url = visitor.get(path)["Location"]
    assert visitor.post(form_url, {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD}).status_code == 403
    assert not User.objects.get(pk=user.pk).has_usable_password()


# --- Resend -----------------------------------------------------------------------------------------------


def test_resend_sends_a_new_link_and_spends_the_old_one(
    client, manager, invited, mailoutbox, django_capture_on_commit_callbacks
):
    user, old_path = invited
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:resend_invitation", args=[user.pk]), follow=True)
    assert "A new invitation is on its way to invitee@example.com" in response.content.decode()
    assert len(mailoutbox) == 2
    _, response = accept(old_path)
    assert 'id="invalid-link"' in response.content.decode()
    _, response = accept(accept_path(mailoutbox[-1]))
    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).check_password(GOOD_PASSWORD)


def test_resend_is_offered_only_to_users_who_never_set_a_password(client, manager, invited):
    user, _ = invited
    client.force_login(manager)
    page = client.get(reverse("accounts:users")).content.decode()
    rows = dict(re.findall(r'<tr data-user="([^"]+)">(.*?)</tr>', page, re.S))
    assert "Resend invitation" in rows[user.username] and "Invited" in rows[user.username]
    assert "Resend invitation" not in rows[manager.username]


def test_resend_is_refused_once_a_password_is_set(manager, mailoutbox, django_capture_on_commit_callbacks):
    member = UserFactory()
    password = member.password
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AccountChangeRefused):
        invitation_resend(user=member, base_url="http://testserver", actor=Actor.for_user(manager))
    assert User.objects.get(pk=member.pk).password == password and mailoutbox == []


def test_resend_needs_add_user(client, change_only_admin, invited, mailoutbox, django_capture_on_commit_callbacks):
    user, _ = invited
    sent, password = len(mailoutbox), User.objects.get(pk=user.pk).password
    client.force_login(change_only_admin)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("accounts:resend_invitation", args=[user.pk])).status_code == 403
    assert len(mailoutbox) == sent and User.objects.get(pk=user.pk).password == password
