"""Refusals answer inside the normal page (crm.refusals): the main navigation, the reason in words, whom to
ask for the missing permission, a way back, the refused status, and nothing changed. Missing pages (404)
and unreadable requests (400) keep the navigation too."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse

from billing.models import Subscription
from contacts.services import contacts_archive
from crm.refusals import ask_line, bad_request, permission_words
from tests.factories import UserFactory, contacts_make

pytestmark = pytest.mark.django_db

NAV = '<nav aria-label="Main"'
REFUSAL = re.compile(r'<p class="msg error" role="alert" id="refusal">(.*?)</p>', re.S)
ASK = re.compile(r'<p id="ask">(.*?)</p>', re.S)


def refusal_of(response) -> tuple[str, str]:
    """(the reason, whom to ask) as the refusal page shows them."""
    page = response.content.decode()
    assert NAV in page, page
    assert "Nothing was changed." in page
    ask = ASK.search(page)
    return REFUSAL.search(page).group(1), ask.group(1) if ask else ""


@pytest.fixture
def admin(db):
    return UserFactory(first_name="Ada", last_name="Admin", is_superuser=True, is_staff=True)


def test_r30_bulk_set_marketing_without_access_is_refused_inside_the_page(
    client, admin, subscription, sales_user, marketer_actor, db_state
):
    contacts = contacts_make(count=2, actor=marketer_actor)
    before = db_state()
    client.force_login(sales_user)
    response = client.post(
        reverse("contacts:bulk_set_marketing"), {"ids": [c.pk for c in contacts], "confirm_count": "2"}
    )
    assert response.status_code == 403
    assert refusal_of(response) == ("You need Marketing contact access.", "Ask Ada Admin for Marketing contact access.")
    assert db_state() == before


def test_r22_r30_recycle_bin_restore_of_a_marketing_contact_without_access_says_why(
    client, admin, subscription, sales_user, marketer_actor, db_state
):
    contacts = contacts_make(count=1, actor=marketer_actor, marketing=True)
    contacts_archive(contacts=[contacts[0].pk], actor=marketer_actor)
    before = db_state()
    client.force_login(sales_user)
    response = client.post(reverse("contacts:recycle_bin_restore"), {"ids": [contacts[0].pk]})
    assert response.status_code == 403
    reason, ask = refusal_of(response)
    assert "Marketing contact access" in reason
    assert ask == "Ask Ada Admin for Marketing contact access."
    assert db_state() == before


def test_a_missing_view_permission_is_named_in_words(client, admin):
    client.force_login(UserFactory())
    response = client.get(reverse("imports:index"))
    assert response.status_code == 403
    assert refusal_of(response) == (
        "You need permission to import contacts.",
        "Ask Ada Admin for permission to import contacts.",
    )


def test_without_anyone_who_grants_permissions_the_refusal_names_an_administrator(client):
    client.force_login(UserFactory())
    response = client.get(reverse("leadforms:index"))
    assert response.status_code == 403
    assert refusal_of(response) == (
        "You need permission to view forms.",
        "Ask an administrator for permission to view forms.",
    )


def test_several_grantors_are_named_and_inactive_ones_are_not(db):
    for name in ("Ada", "Bea", "Cy"):
        UserFactory(first_name=name, is_superuser=True)
    UserFactory(first_name="Gone", is_superuser=True, is_active=False)
    granter = UserFactory(username="grete")
    granter.user_permissions.add(Permission.objects.get(codename="change_user", content_type__app_label="auth"))
    assert ask_line(UserFactory(), "imports.add_import") == "Ask Ada, Bea or Cy for permission to import contacts."


def test_whoever_can_give_permissions_is_told_to_give_it_themselves(db):
    granter = UserFactory()
    granter.user_permissions.add(Permission.objects.get(codename="change_user", content_type__app_label="auth"))
    assert ask_line(granter, "marketing_status.marketing_contact_access") == (
        "You can give yourself Marketing contact access under Settings › Users & groups."
    )


def test_permissions_without_words_of_their_own_are_named_from_djangos_name(db):
    assert permission_words("engagements.add_ticket") == "permission to add ticket"
    assert permission_words("nope.nothing") == "a permission you do not have"


def test_b4_the_tier_guard_refusal_goes_back_to_usage_and_changes_nothing(client, admin, subscription, sales_user):
    before = Subscription.objects.values_list("tier_guard_enabled", flat=True).get()
    client.force_login(sales_user)
    response = client.post(reverse("billing:tier_guard"), {"enabled": "off" if before else "on"})
    assert response.status_code == 403
    reason, ask = refusal_of(response)
    assert "Marketing contact access" in reason
    assert ask == "Ask Ada Admin for Marketing contact access."
    assert f'<a href="{reverse("billing:usage")}">← Back to Usage &amp; limits</a>' in response.content.decode()
    assert Subscription.objects.values_list("tier_guard_enabled", flat=True).get() == before


def test_r17_the_wizard_without_marketing_contacts_enabled_keeps_its_409_without_an_ask_line(client, marketer):
    client.force_login(marketer)
    response = client.get(reverse("billing:manage"))
    assert response.status_code == 409
    assert refusal_of(response) == ("Marketing contacts are not enabled.", "")


def test_the_way_back_is_the_page_the_user_came_from(client, admin):
    client.force_login(UserFactory())
    response = client.get(reverse("workflows:index"), HTTP_REFERER="http://testserver/contacts/?q=ada")
    assert response.status_code == 403
    assert '<a href="http://testserver/contacts/?q=ada">← Back</a>' in response.content.decode()
    elsewhere = client.get(reverse("workflows:index"), HTTP_REFERER="https://evil.example/")
    assert '<a href="/">← Back to the start page</a>' in elsewhere.content.decode()


def test_a_missing_page_is_a_404_inside_the_normal_page(client, marketer):
    client.force_login(marketer)
    response = client.get("/contacts/999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert NAV in page
    assert "<h1>Not found</h1>" in page


def test_an_unreadable_request_is_a_400_inside_the_normal_page(marketer):
    request = RequestFactory().get("/contacts/")
    request.user = marketer
    response = bad_request(request)
    assert response.status_code == 400
    page = response.content.decode()
    assert NAV in page
    assert "This request could not be read" in page


def test_the_api_keeps_its_json_refusals(client, admin):
    client.force_login(UserFactory())
    response = client.get("/crm/v3/objects/contacts")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
