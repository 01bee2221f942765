"""Users & groups: Marketing contact access per user and group (R30) and billing contacts (R24)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.services import (
    AccountChangeRefused,
    billing_contact_set,
    group_marketing_access_set,
    marketing_access_permission,
    user_marketing_access_set,
)
from billing.models import Subscription
from marketing_status.actors import MARKETING_ACCESS_PERMISSION, Actor
from tests.factories import UserFactory, contacts_make

pytestmark = pytest.mark.django_db
User = get_user_model()


def fresh(user):
    """Refetch the user: Django caches permissions on the instance that asked first."""
    return User.objects.get(pk=user.pk)


def has_access(user) -> bool:
    return fresh(user).has_perm(MARKETING_ACCESS_PERMISSION)


def state(subscription=None) -> tuple:
    permission = marketing_access_permission()
    return (
        sorted(permission.user_set.values_list("pk", flat=True)),
        sorted(permission.group_set.values_list("pk", flat=True)),
        sorted(subscription.billing_contacts.values_list("pk", flat=True)) if subscription else None,
    )


@pytest.fixture
def admin_user(db):
    """A staff administrator: may change users (auth.change_user), nothing else."""
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_user", content_type__app_label="auth"))
    return user


@pytest.fixture
def member(db):
    return UserFactory(first_name="Mia", last_name="Member")


@pytest.fixture
def group(db):
    return Group.objects.create(name="Marketing team")


def user_row(html: str, user) -> str:
    match = re.search(rf'<tr data-user="{user.username}">(.*?)</tr>', html, re.S)
    assert match, f"{user.username} not listed"
    return match.group(1)


def group_row(html: str, group) -> str:
    match = re.search(rf'<tr data-group="{group.name}">(.*?)</tr>', html, re.S)
    assert match, f"{group.name} not listed"
    return match.group(1)


def text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def access_cell(row: str) -> str:
    return text(re.search(r'<td class="access">(.*?)</td>', row, re.S).group(1))


# --- Sign-in and permission ------------------------------------------------------------------------------


def post_urls(member, group) -> list[tuple[str, dict]]:
    return [
        (reverse("accounts:user_marketing_access", args=[member.pk]), {"value": "1"}),
        (reverse("accounts:group_marketing_access", args=[group.pk]), {"value": "1"}),
        (reverse("accounts:user_billing_contact", args=[member.pk]), {"value": "1"}),
    ]


def test_anonymous_users_are_sent_to_sign_in(client, member, group, subscription):
    before = state(subscription)
    response = client.get(reverse("accounts:users"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    for url, data in post_urls(member, group):
        response = client.post(url, data)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert state(subscription) == before


@pytest.mark.parametrize("who", ["plain", "marketer"])
def test_users_without_change_user_get_403_and_change_nothing(
    client, member, group, subscription, marketer, who, db_state
):
    user = marketer if who == "marketer" else UserFactory()
    before = state(subscription), db_state()
    client.force_login(user)
    assert client.get(reverse("accounts:users")).status_code == 403
    for url, data in post_urls(member, group):
        assert client.post(url, data).status_code == 403
    assert (state(subscription), db_state()) == before
    assert not has_access(member)


def test_services_refuse_non_admin_actors(member, group, subscription, marketer):
    actor = Actor.for_user(marketer)
    before = state(subscription)
    with pytest.raises(PermissionDenied):
        user_marketing_access_set(user=member, granted=True, actor=actor)
    with pytest.raises(PermissionDenied):
        group_marketing_access_set(group=group, granted=True, actor=actor)
    with pytest.raises(PermissionDenied):
        billing_contact_set(user=member, billing_contact=True, actor=actor)
    assert state(subscription) == before


def test_an_inactive_admin_is_refused(member, admin_user, subscription):
    admin_user.is_active = False
    admin_user.save()
    with pytest.raises(PermissionDenied):
        user_marketing_access_set(user=member, granted=True, actor=Actor.for_user(fresh(admin_user)))
    assert not has_access(member)


def test_get_only_endpoints_are_post(client, admin_user, member):
    client.force_login(admin_user)
    assert client.get(reverse("accounts:user_marketing_access", args=[member.pk])).status_code == 405


def test_unknown_user_or_group_is_404(client, admin_user):
    client.force_login(admin_user)
    assert client.post(reverse("accounts:user_marketing_access", args=[999999]), {"value": "1"}).status_code == 404
    assert client.post(reverse("accounts:group_marketing_access", args=[999999]), {"value": "1"}).status_code == 404
    assert client.post(reverse("accounts:user_billing_contact", args=[999999]), {"value": "1"}).status_code == 404


def test_a_bad_value_is_a_bad_request(client, admin_user, member, subscription):
    client.force_login(admin_user)
    before = state(subscription)
    response = client.post(reverse("accounts:user_marketing_access", args=[member.pk]), {"value": "yes"})
    assert response.status_code == 400
    assert state(subscription) == before


# --- The page ------------------------------------------------------------------------------------------------


def test_page_shows_access_directly_via_group_or_none_and_billing_contacts(
    client, admin_user, member, group, subscription
):
    direct, via_group, superuser = UserFactory(), UserFactory(), UserFactory(is_superuser=True)
    direct.user_permissions.add(marketing_access_permission())
    group.permissions.add(marketing_access_permission())
    via_group.groups.add(group)
    Group.objects.create(name="Sales team")
    subscription.billing_contacts.add(direct)
    client.force_login(admin_user)
    html = client.get(reverse("accounts:users")).content.decode()
    assert access_cell(user_row(html, direct)) == "Yes directly"
    assert access_cell(user_row(html, via_group)) == "Yes via Marketing team"
    assert access_cell(user_row(html, superuser)) == "Yes as superuser"
    assert access_cell(user_row(html, member)) == "No"
    assert "Member" in user_row(html, member)
    assert "Billing contact</span>" in user_row(html, direct) and "Unmark billing contact" in user_row(html, direct)
    assert "Mark as billing contact" in user_row(html, member)
    assert "Remove access" in user_row(html, direct) and "Grant access" in user_row(html, via_group)
    assert access_cell(group_row(html, group)) == "Yes"
    assert "Remove access" in group_row(html, group)
    assert access_cell(group_row(html, Group.objects.get(name="Sales team"))) == "No"
    # What the page says is what the permission check answers.
    for user in (direct, via_group, superuser):
        assert has_access(user)
    assert not has_access(member)


def test_page_query_count_does_not_grow_with_users(client, admin_user, group, django_assert_max_num_queries):
    client.force_login(admin_user)
    with django_assert_max_num_queries(30) as baseline:
        client.get(reverse("accounts:users"))
    for _ in range(10):
        UserFactory().groups.add(group)
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        html = client.get(reverse("accounts:users")).content.decode()
    assert html.count("<tr data-user=") == 11


# --- Marketing contact access (R30) -------------------------------------------------------------------------


def test_grant_and_remove_access_for_a_user_R30(client, admin_user, member):
    client.force_login(admin_user)
    url = reverse("accounts:user_marketing_access", args=[member.pk])
    response = client.post(url, {"value": "1"}, follow=True)
    assert has_access(member)
    assert f"Marketing contact access granted to {member.username}." in response.content.decode()
    assert access_cell(user_row(response.content.decode(), member)) == "Yes directly"
    response = client.post(url, {"value": "0"}, follow=True)
    assert not has_access(member)
    assert access_cell(user_row(response.content.decode(), member)) == "No"


def test_grant_and_remove_access_for_a_group_R30(client, admin_user, member, group):
    member.groups.add(group)
    client.force_login(admin_user)
    url = reverse("accounts:group_marketing_access", args=[group.pk])
    response = client.post(url, {"value": "1"}, follow=True)
    assert has_access(member)
    assert "Marketing contact access granted to group Marketing team." in response.content.decode()
    client.post(url, {"value": "0"})
    assert not has_access(member)
    assert not marketing_access_permission().group_set.exists()


def test_removing_direct_access_says_a_group_still_gives_it(client, admin_user, member, group):
    member.user_permissions.add(marketing_access_permission())
    group.permissions.add(marketing_access_permission())
    member.groups.add(group)
    client.force_login(admin_user)
    response = client.post(reverse("accounts:user_marketing_access", args=[member.pk]), {"value": "0"}, follow=True)
    assert "They still have it through Marketing team." in response.content.decode()
    assert not member.user_permissions.exists()
    assert has_access(member)


def test_granting_twice_changes_nothing(client, admin_user, member):
    member.user_permissions.add(marketing_access_permission())
    client.force_login(admin_user)
    response = client.post(reverse("accounts:user_marketing_access", args=[member.pk]), {"value": "1"}, follow=True)
    assert "Nothing changed" in response.content.decode()
    assert list(member.user_permissions.all()) == [marketing_access_permission()]


def test_granted_access_lets_the_user_change_marketing_status(client, admin_user, member, subscription, marketer):
    """End to end: R30 is what the status services check."""
    (contact,) = contacts_make(count=1, actor=Actor.for_user(marketer))
    member.user_permissions.add(Permission.objects.get(codename="change_contact"))
    client.force_login(member)
    assert client.post(reverse("contacts:record_status", args=[contact.pk]), {"to": "marketing"}).status_code == 403
    client.force_login(admin_user)
    client.post(reverse("accounts:user_marketing_access", args=[member.pk]), {"value": "1"})
    client.force_login(member)
    assert client.post(reverse("contacts:record_status", args=[contact.pk]), {"to": "marketing"}).status_code == 302
    contact.refresh_from_db()
    assert contact.marketable_status is True


# --- Billing contacts (R24) -----------------------------------------------------------------------------------


def test_mark_and_unmark_a_billing_contact_R24(client, admin_user, member, subscription):
    client.force_login(admin_user)
    url = reverse("accounts:user_billing_contact", args=[member.pk])
    response = client.post(url, {"value": "1", "page": "1"}, follow=True)
    assert response.redirect_chain == [(reverse("accounts:users") + "?page=1", 302)]
    assert list(Subscription.objects.get().billing_contacts.all()) == [member]
    assert f"{member.username} is now a billing contact." in response.content.decode()
    client.post(url, {"value": "0"})
    assert not Subscription.objects.get().billing_contacts.exists()


def test_a_user_without_email_cannot_be_a_billing_contact(client, admin_user, subscription):
    no_email = UserFactory(email="")
    client.force_login(admin_user)
    response = client.post(reverse("accounts:user_billing_contact", args=[no_email.pk]), {"value": "1"}, follow=True)
    assert "has no email address" in response.content.decode()
    assert not subscription.billing_contacts.exists()


def test_billing_contacts_need_a_subscription(admin_user, member):
    with pytest.raises(AccountChangeRefused):
        billing_contact_set(user=member, billing_contact=True, actor=Actor.for_user(admin_user))
    assert not Subscription.objects.exists()


def test_billing_contact_button_is_disabled_without_a_subscription(client, admin_user, member):
    client.force_login(admin_user)
    html = client.get(reverse("accounts:users")).content.decode()
    assert re.search(r"<button[^>]*disabled[^>]*>Mark as billing contact</button>", user_row(html, member))
