"""The contact record, its status buttons (R10–R13, R30), editing and manual creation (R3)."""

import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils.formats import date_format

from billing.models import Subscription
from billing.selectors import next_update_date
from contacts.models import Contact, ContactList
from contacts.services import ContactInvalid, contact_list_add, contact_update, contacts_archive
from marketing_status.actors import MARKETING_WRITE_SCOPE, Actor, ActorKind, MarketingStatusPermissionDenied
from marketing_status.creation import contacts_create
from marketing_status.models import MarketingStatusChange
from marketing_status.policy import CreationTool
from marketing_status.services import contacts_set_marketing, contacts_set_non_marketing
from tests.factories import contacts_make

pytestmark = pytest.mark.django_db


def record_url(contact) -> str:
    return reverse("contacts:record", args=[contact.pk])


def status_url(contact) -> str:
    return reverse("contacts:record_status", args=[contact.pk])


def button(html: str, element_id: str) -> str:
    """The opening tag of the button with `element_id`, or '' when absent."""
    match = re.search(rf'<button[^>]*id="{element_id}"[^>]*>', html, re.S)
    return match.group(0) if match else ""


def property_value(html: str, name: str) -> str:
    match = re.search(rf'<dd data-property="{name}">(.*?)</dd>', html, re.S)
    assert match, f"{name} not shown"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1))).strip()


def field_error(html: str, name: str) -> str:
    """The error shown under field `name` (unescaped, links kept), or '' when none."""
    match = re.search(rf'data-error-for="{name}">(.*?)</span>', html, re.S)
    return unescape(match.group(1)) if match else ""


def contact_state(contact) -> tuple:
    contact = Contact.objects.get(pk=contact.pk)
    return (contact.marketable_status, contact.marketable_until_renewal, contact.marketable_reason_type)


@pytest.fixture
def update_day(frozen_subscription):
    """The next update date as the record shows it (2026-03-15 on the frozen clock, R20)."""
    return date_format(next_update_date(subscription=frozen_subscription))


# --- Sign-in and permissions ---------------------------------------------------------------------


def test_every_record_page_sends_anonymous_users_to_sign_in(client, subscription, marketer_actor, db_state):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    before = db_state()
    for url in (record_url(contact), reverse("contacts:edit", args=[contact.pk]), reverse("contacts:create")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    response = client.post(status_url(contact), {"to": "marketing"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    response = client.post(reverse("contacts:create"), {"email": "new@example.com", "marketing": "true"})
    assert response.status_code == 302
    assert db_state() == before


def test_unknown_contact_is_404(client, marketer):
    client.force_login(marketer)
    assert client.get("/contacts/999999/").status_code == 404
    assert client.post("/contacts/999999/marketing-status/", {"to": "marketing"}).status_code == 404
    assert client.get("/contacts/999999/edit/").status_code == 404


# --- The record ------------------------------------------------------------------------------------


def test_record_shows_plain_and_marketing_properties_with_spec_labels(client, subscription, marketer, marketer_actor):
    (contact,) = contacts_make(count=1, actor=marketer_actor, first_name="Ada", last_name="Lovelace", company="Engines")
    contacts_set_marketing(contacts=[contact.pk], actor=marketer_actor)
    client.force_login(marketer)
    html = client.get(record_url(contact)).content.decode()
    assert "<h1" in html and "Ada Lovelace" in html
    assert "Engines" in html and contact.email in html
    for label in (
        "Marketing contact status",
        "Marketing contact until next update",
        "Marketing contact status source type",
        "Marketing contact status source name",
    ):
        assert f">{label}</dt>" in html
    assert property_value(html, "hs_marketable_status") == "Marketing contact"
    assert property_value(html, "hs_marketable_until_renewal") == ""
    assert property_value(html, "hs_marketable_reason_type") == "Set by a user"
    assert property_value(html, "hs_marketable_reason_id") == (marketer.get_full_name() or marketer.username)


def test_non_marketing_record_shows_non_marketing_contact(client, subscription, marketer, marketer_actor):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    client.force_login(marketer)
    html = client.get(record_url(contact)).content.decode()
    assert property_value(html, "hs_marketable_status") == "Non-marketing contact"


def test_pending_record_shows_yes_and_the_update_date_R11(client, frozen_subscription, marketer, update_day):
    (contact,) = contacts_make(count=1, actor=Actor.for_user(marketer), pending=True)
    client.force_login(marketer)
    html = client.get(record_url(contact)).content.decode()
    assert property_value(html, "hs_marketable_status") == "Marketing contact"
    assert property_value(html, "hs_marketable_until_renewal") == f"Yes — becomes non-marketing on {update_day}"
    assert update_day == "15 Mar 2026"


def test_history_is_newest_first_with_source_and_actor(client, subscription, marketer, marketer_actor):
    (contact,) = contacts_create(
        data=[{"email": "imported@example.com"}],
        tool=CreationTool.IMPORT,
        actor=Actor(ActorKind.IMPORT, "import-9"),
        source_id="import-9",
    )
    contacts_set_marketing(contacts=[contact.pk], actor=Actor.for_integration("app-3", scopes={MARKETING_WRITE_SCOPE}))
    contacts_set_non_marketing(contacts=[contact.pk], actor=marketer_actor)
    client.force_login(marketer)
    html = client.get(record_url(contact)).content.decode()
    history = html[html.index('id="history"') :]
    rows = re.findall(r"<tr>\s*<td>.*?</tr>", history, re.S)
    cells = [[re.sub(r"\s+", " ", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in rows]
    user = f'<a href="/settings/users/">{marketer.get_full_name() or marketer.username}</a>'
    assert [row[1:] for row in cells] == [
        ["Marketing → Marketing until next update", "Set by a user", user, user],
        ["Non-marketing → Marketing", "Set by an integration", *['<span class="muted">Deleted integration</span>'] * 2],
        ["(none) → Non-marketing", "Contact import", *['<span class="muted">Deleted import</span>'] * 2],
    ]


def test_record_lists_its_list_memberships(client, subscription, marketer, marketer_actor):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    vip = ContactList.objects.create(name="VIP customers")
    ContactList.objects.create(name="Not this one")
    contact_list_add(contact_list=vip, contacts=[contact.pk], actor=marketer_actor)
    client.force_login(marketer)
    html = client.get(record_url(contact)).content.decode()
    lists = html[html.index('id="lists"') : html.index('id="marketing-properties"')]
    assert f'href="{reverse("contacts:list_detail", args=[vip.pk])}"' in lists
    assert "VIP customers" in lists and "Not this one" not in lists


def test_archived_contact_shows_deleted_with_recycle_bin_and_no_actions(client, subscription, marketer, db_state):
    actor = Actor.for_user(marketer)
    (contact,) = contacts_make(count=1, actor=actor, marketing=True)
    contacts_archive(contacts=[contact.pk], actor=actor)
    client.force_login(marketer)
    html = client.get(record_url(contact)).content.decode()
    assert 'id="deleted-notice"' in html
    assert 'href="/contacts/recycle-bin/"' in html
    assert 'id="record-actions"' not in html
    assert button(html, "set-marketing") == button(html, "set-non-marketing") == ""
    assert reverse("contacts:edit", args=[contact.pk]) not in html
    before = db_state()
    assert client.post(status_url(contact), {"to": "non_marketing"}).status_code == 404
    assert client.get(reverse("contacts:edit", args=[contact.pk])).status_code == 404
    assert db_state() == before


# --- Status buttons (R10–R13, R30) -----------------------------------------------------------------


def test_buttons_follow_the_current_status(client, subscription, marketer, marketer_actor):
    non_marketing, marketing, pending = (
        contacts_make(count=1, actor=marketer_actor)[0],
        contacts_make(count=1, actor=marketer_actor, marketing=True)[0],
        contacts_make(count=1, actor=marketer_actor, pending=True)[0],
    )
    client.force_login(marketer)
    html = client.get(record_url(non_marketing)).content.decode()
    assert button(html, "set-marketing") and "disabled" not in button(html, "set-marketing")
    assert not button(html, "set-non-marketing")
    html = client.get(record_url(marketing)).content.decode()
    assert not button(html, "set-marketing")
    assert button(html, "set-non-marketing") and "disabled" not in button(html, "set-non-marketing")
    html = client.get(record_url(pending)).content.decode()  # R12: cancelling is setting as marketing again
    assert button(html, "set-marketing") and not button(html, "set-non-marketing")


def test_buttons_are_disabled_without_marketing_contact_access_R30(client, subscription, sales_user, marketer_actor):
    non_marketing = contacts_make(count=1, actor=marketer_actor)[0]
    marketing = contacts_make(count=1, actor=marketer_actor, marketing=True)[0]
    client.force_login(sales_user)
    assert "disabled" in button(client.get(record_url(non_marketing)).content.decode(), "set-marketing")
    html = client.get(record_url(marketing)).content.decode()
    assert "disabled" in button(html, "set-non-marketing")
    assert 'id="confirm-non-marketing"' not in html
    assert "Marketing contact access permission" in html


@pytest.mark.parametrize("to", ["marketing", "non_marketing"])
def test_status_change_without_permission_is_refused_and_changes_nothing_R30(
    client, subscription, sales_user, marketer_actor, db_state, to
):
    (contact,) = contacts_make(count=1, actor=marketer_actor, marketing=to == "non_marketing")
    before = db_state()
    client.force_login(sales_user)
    response = client.post(status_url(contact), {"to": to})
    assert response.status_code == 403
    assert "Marketing contact access permission" in response.content.decode()
    assert db_state() == before


def test_set_as_marketing_is_immediate_R10(client, subscription, marketer, marketer_actor, history_of):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    client.force_login(marketer)
    response = client.post(status_url(contact), {"to": "marketing"}, follow=True)
    assert response.redirect_chain == [(record_url(contact), 302)]
    assert contact_state(contact) == (True, False, "USER_SET")
    assert history_of(contact)[-1]["old_status"] is False and history_of(contact)[-1]["new_status"] is True
    assert history_of(contact)[-1]["actor_user"] == marketer.pk
    html = response.content.decode()
    assert "Set as a marketing contact." in html
    assert property_value(html, "hs_marketable_status") == "Marketing contact"


def test_confirmation_names_the_next_update_date(client, frozen_subscription, marketer, update_day):
    (contact,) = contacts_make(count=1, actor=Actor.for_user(marketer), marketing=True)
    client.force_login(marketer)
    html = client.get(record_url(contact)).content.decode()
    dialog = html[html.index('<dialog id="confirm-non-marketing"') : html.index("</dialog>")]
    assert f'<strong id="confirm-update-date">{update_day}</strong>' in dialog
    assert '<dialog id="confirm-non-marketing">' in html  # closed until the button opens it
    # Without JavaScript the button asks for ?confirm=non_marketing, which shows the dialog open.
    html = client.get(record_url(contact) + "?confirm=non_marketing").content.decode()
    assert '<dialog id="confirm-non-marketing" open>' in html


def test_set_as_non_marketing_is_deferred_to_the_update_date_R11(
    client, frozen_subscription, marketer, history_of, update_day
):
    (contact,) = contacts_make(count=1, actor=Actor.for_user(marketer), marketing=True)
    client.force_login(marketer)
    response = client.post(status_url(contact), {"to": "non_marketing"}, follow=True)
    assert contact_state(contact) == (True, True, "USER_SET")
    assert [(row["old_until_renewal"], row["new_until_renewal"]) for row in history_of(contact)][-1] == (False, True)
    html = response.content.decode()
    assert f"stays a marketing contact until the next update date, {update_day}" in html
    assert property_value(html, "hs_marketable_until_renewal") == f"Yes — becomes non-marketing on {update_day}"


def test_set_as_marketing_again_cancels_the_pending_switch_R12(client, subscription, marketer, history_of):
    (contact,) = contacts_make(count=1, actor=Actor.for_user(marketer), pending=True)
    rows = len(history_of(contact))
    client.force_login(marketer)
    response = client.post(status_url(contact), {"to": "marketing"}, follow=True)
    assert contact_state(contact) == (True, False, "USER_SET")
    assert len(history_of(contact)) == rows + 1
    assert "The switch to non-marketing was cancelled" in response.content.decode()


@pytest.mark.parametrize(
    ("make", "to", "message"),
    [
        ({"marketing": True}, "marketing", "already a marketing contact"),
        ({"pending": True}, "non_marketing", "already becomes non-marketing on"),
        ({}, "non_marketing", "already a non-marketing contact"),
    ],
)
def test_repeating_a_status_writes_no_history_R13(client, subscription, marketer, db_state, make, to, message):
    (contact,) = contacts_make(count=1, actor=Actor.for_user(marketer), **make)
    before = db_state()
    client.force_login(marketer)
    response = client.post(status_url(contact), {"to": to}, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert db_state() == before


def test_unknown_target_status_is_a_bad_request(client, subscription, marketer, marketer_actor, db_state):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    before = db_state()
    client.force_login(marketer)
    assert client.post(status_url(contact), {"to": "maybe"}).status_code == 400
    assert client.get(status_url(contact)).status_code == 405
    assert db_state() == before


def test_tier_guard_asks_for_confirmation_before_upgrading_B4(client, subscription, marketer, db_state):
    actor = Actor.for_user(marketer)
    contacts_make(count=1, actor=actor, marketing=True)
    (contact,) = contacts_make(count=1, actor=actor)
    Subscription.objects.update(contact_tier_limit=1, tier_guard_enabled=True)
    before = db_state()
    client.force_login(marketer)
    response = client.post(status_url(contact), {"to": "marketing"})
    assert response.status_code == 409
    assert 'id="confirm-tier"' in response.content.decode()
    assert db_state() == before
    client.post(status_url(contact), {"to": "marketing", "confirm_tier_upgrade": "1"})
    assert contact_state(contact) == (True, False, "USER_SET")


# --- Edit --------------------------------------------------------------------------------------------


def edit_data(**overrides) -> dict:
    data = {
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "company": "",
        "phone": "",
        "lifecycle_stage": "lead",
        "email_subscription": "subscribed",
    }
    return {**data, **overrides}


def test_edit_needs_change_contact_permission(client, subscription, marketer_actor, user_with, db_state):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    client.force_login(user_with("add_contact", "marketing_contact_access"))
    before = db_state()
    assert client.get(reverse("contacts:edit", args=[contact.pk])).status_code == 403
    assert client.post(reverse("contacts:edit", args=[contact.pk]), edit_data()).status_code == 403
    assert db_state() == before


def test_edit_saves_plain_properties_with_a_normalized_email(client, subscription, marketer, history_of):
    (contact,) = contacts_make(count=1, actor=Actor.for_user(marketer), pending=True)
    history = history_of(contact)
    client.force_login(marketer)
    url = reverse("contacts:edit", args=[contact.pk])
    assert f'value="{contact.email}"' in client.get(url).content.decode()
    response = client.post(url, edit_data(email="  Ada@Example.COM ", email_hard_bounced="on"))
    assert response.status_code == 302 and response.url == record_url(contact)
    saved = Contact.objects.get(pk=contact.pk)
    assert (saved.email, saved.first_name, saved.lifecycle_stage, saved.email_subscription) == (
        "ada@example.com",
        "Ada",
        "lead",
        "subscribed",
    )
    assert saved.email_hard_bounced is True
    # Marketing properties are not editable here, and their history is untouched.
    assert contact_state(saved) == (True, True, "USER_SET")
    assert history_of(contact) == history


def test_edit_ignores_posted_marketing_fields(client, subscription, marketer, marketer_actor):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    client.force_login(marketer)
    client.post(
        reverse("contacts:edit", args=[contact.pk]),
        edit_data(marketable_status="true", marketing="true", hs_marketable_status="true"),
    )
    assert Contact.objects.get(pk=contact.pk).first_name == "Ada"
    assert contact_state(contact) == (False, False, "USER_SET")


def test_edit_with_invalid_values_shows_field_errors_and_changes_nothing(
    client, subscription, marketer, marketer_actor, db_state
):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    before = db_state()
    client.force_login(marketer)
    response = client.post(reverse("contacts:edit", args=[contact.pk]), edit_data(email="not an email"))
    html = response.content.decode()
    assert response.status_code == 200
    assert field_error(html, "email") == "Email address 'not an email' is invalid."
    response = client.post(
        reverse("contacts:edit", args=[contact.pk]), edit_data(email="", first_name="", last_name="")
    )
    assert "Enter an email address or a name." in response.content.decode()
    assert db_state() == before


def test_edit_to_a_taken_email_names_the_existing_contact(client, subscription, marketer, marketer_actor, db_state):
    existing, contact = contacts_make(count=2, actor=marketer_actor, first_name="Grace")
    before = db_state()
    client.force_login(marketer)
    response = client.post(reverse("contacts:edit", args=[contact.pk]), edit_data(email=existing.email.upper()))
    html = response.content.decode()
    error = field_error(html, "email")
    assert f'<a href="{record_url(existing)}">Grace</a> (ID {existing.pk})' in error
    assert db_state() == before


def test_edit_keeps_its_own_email(client, subscription, marketer, marketer_actor):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    client.force_login(marketer)
    response = client.post(reverse("contacts:edit", args=[contact.pk]), edit_data(email=contact.email.upper()))
    assert response.status_code == 302
    assert Contact.objects.get(pk=contact.pk).first_name == "Ada"


def test_contact_update_service_refuses_without_permission_or_when_deleted(
    subscription, marketer_actor, user_with, db_state
):
    live, deleted = contacts_make(count=2, actor=marketer_actor)
    contacts_archive(contacts=[deleted.pk], actor=marketer_actor)
    before = db_state()
    with pytest.raises(MarketingStatusPermissionDenied):
        contact_update(contact=live, data={"first_name": "X"}, actor=Actor.for_user(user_with("add_contact")))
    with pytest.raises(Contact.DoesNotExist):
        contact_update(contact=deleted, data={"first_name": "X"}, actor=marketer_actor)
    with pytest.raises(ContactInvalid) as invalid:
        contact_update(contact=live, data={"marketable_status": True}, actor=marketer_actor)
    assert invalid.value.errors == {0: {"marketable_status": "Property 'marketable_status' does not exist."}}
    assert db_state() == before


def test_contact_update_service_changes_only_the_given_properties(subscription, marketer_actor):
    (contact,) = contacts_make(count=1, actor=marketer_actor, first_name="Ada", company="Engines")
    updated = contact_update(contact=contact, data={"company": "Analytical"}, actor=marketer_actor)
    assert (updated.email, updated.first_name, updated.company) == (contact.email, "Ada", "Analytical")
    assert updated.updated_at >= contact.updated_at


# --- Create (R3) ---------------------------------------------------------------------------------------


def create_data(**overrides) -> dict:
    return {"email": "new@example.com", "first_name": "New", "last_name": "Person", "lifecycle_stage": "", **overrides}


def radio(html: str, value: str) -> str:
    match = re.search(rf'<input type="radio" name="marketing" value="{value}"[^>]*>', html)
    assert match, f"no radio {value}"
    return match.group(0)


def test_create_needs_add_contact_permission(client, subscription, user_with, db_state):
    client.force_login(user_with("change_contact", "marketing_contact_access"))
    before = db_state()
    assert client.get(reverse("contacts:create")).status_code == 403
    assert client.post(reverse("contacts:create"), create_data(marketing="true")).status_code == 403
    assert db_state() == before


def test_create_form_defaults_to_non_marketing_and_enables_marketing_with_permission_R3(client, subscription, marketer):
    client.force_login(marketer)
    html = client.get(reverse("contacts:create")).content.decode()
    assert "checked" in radio(html, "false")
    assert "checked" not in radio(html, "true") and "disabled" not in radio(html, "true")


def test_create_form_disables_marketing_without_permission_R3(client, subscription, sales_user):
    client.force_login(sales_user)
    html = client.get(reverse("contacts:create")).content.decode()
    assert "disabled" in radio(html, "true")
    assert "disabled" not in radio(html, "false")


def test_create_as_non_marketing_by_default_R3(client, subscription, sales_user, history_of):
    client.force_login(sales_user)
    response = client.post(reverse("contacts:create"), create_data(email=" New@Example.com "))
    contact = Contact.objects.get(email="new@example.com")
    assert response.status_code == 302 and response.url == record_url(contact)
    assert (contact.creation_tool, contact.first_name) == ("MANUAL", "New")
    assert contact_state(contact) == (False, False, "USER_SET")
    assert [(row["new_status"], row["actor_user"]) for row in history_of(contact)] == [(False, sales_user.pk)]


def test_create_as_marketing_with_permission_R3(client, subscription, marketer, history_of):
    client.force_login(marketer)
    response = client.post(reverse("contacts:create"), create_data(marketing="true"), follow=True)
    contact = Contact.objects.get(email="new@example.com")
    assert contact_state(contact) == (True, False, "USER_SET")
    assert contact.marketable_reason_id == str(marketer.pk)
    assert [(row["old_status"], row["new_status"], row["actor_user"]) for row in history_of(contact)] == [
        (None, True, marketer.pk)
    ]
    assert property_value(response.content.decode(), "hs_marketable_status") == "Marketing contact"


def test_create_as_marketing_without_permission_is_refused_and_creates_nothing_R3_R30(
    client, subscription, sales_user, db_state
):
    client.force_login(sales_user)
    before = db_state()
    response = client.post(reverse("contacts:create"), create_data(marketing="true"))
    assert response.status_code == 403
    html = response.content.decode()
    assert field_error(html, "marketing").startswith("You need the Marketing contact access permission")
    assert db_state() == before


def test_create_with_an_invalid_email_creates_nothing(client, subscription, marketer, db_state):
    client.force_login(marketer)
    before = db_state()
    response = client.post(reverse("contacts:create"), create_data(email="nope@", marketing="true"))
    assert response.status_code == 200
    assert field_error(response.content.decode(), "email") == "Email address 'nope@' is invalid."
    assert db_state() == before


def test_create_with_a_taken_email_names_the_existing_contact(client, subscription, marketer, marketer_actor, db_state):
    (existing,) = contacts_make(count=1, actor=marketer_actor, first_name="Grace", last_name="Hopper")
    client.force_login(marketer)
    before = db_state()
    response = client.post(reverse("contacts:create"), create_data(email=f" {existing.email.upper()} "))
    error = field_error(response.content.decode(), "email")
    assert f'<a href="{record_url(existing)}">Grace Hopper</a> (ID {existing.pk})' in error
    assert db_state() == before


def test_create_without_email_or_name_creates_nothing(client, subscription, marketer, db_state):
    client.force_login(marketer)
    before = db_state()
    response = client.post(reverse("contacts:create"), {"company": "Nobody Inc"})
    assert "Enter an email address or a name." in response.content.decode()
    assert db_state() == before


def test_create_as_marketing_over_a_guarded_tier_asks_for_confirmation_B4(client, subscription, marketer, db_state):
    Subscription.objects.update(contact_tier_limit=0, tier_guard_enabled=True)
    client.force_login(marketer)
    before = db_state()
    response = client.post(reverse("contacts:create"), create_data(marketing="true"))
    assert response.status_code == 409
    assert 'name="confirm_tier_upgrade"' in response.content.decode()
    assert db_state() == before
    response = client.post(reverse("contacts:create"), create_data(marketing="true", confirm_tier_upgrade="1"))
    assert response.status_code == 302
    assert contact_state(Contact.objects.get(email="new@example.com")) == (True, False, "USER_SET")


def test_record_page_query_count_does_not_grow_with_history_or_lists(
    client, subscription, marketer, marketer_actor, django_assert_max_num_queries
):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    contacts_set_marketing(contacts=[contact.pk], actor=marketer_actor)
    client.force_login(marketer)
    with django_assert_max_num_queries(30) as baseline:
        client.get(record_url(contact))
    for index in range(5):
        contacts_set_non_marketing(contacts=[contact.pk], actor=marketer_actor)
        contacts_set_marketing(contacts=[contact.pk], actor=marketer_actor)
        contact_list_add(
            contact_list=ContactList.objects.create(name=f"List {index}"), contacts=[contact.pk], actor=marketer_actor
        )
    assert MarketingStatusChange.objects.filter(contact=contact).count() == 12
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        html = client.get(record_url(contact)).content.decode()
    assert html.count("Marketing → Marketing until next update") == 5
