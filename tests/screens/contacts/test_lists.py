"""Static lists: the lists page, a list's contacts, creating lists, removing contacts, and "Add to list"
from the index selection (picked ids or every contact matching the view; a job above 1,000)."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from contacts.models import ContactList, ContactListMembership
from contacts.services import contact_list_add, contacts_archive
from jobs.models import Job
from tests.factories import UserFactory, contacts_make

pytestmark = pytest.mark.django_db


def members(contact_list) -> list[int]:
    return sorted(ContactListMembership.objects.filter(contact_list=contact_list).values_list("contact_id", flat=True))


def lists_state() -> tuple:
    return (
        list(ContactList.objects.order_by("pk").values_list("pk", "name")),
        list(ContactListMembership.objects.order_by("pk").values_list("contact_list_id", "contact_id")),
        Job.objects.count(),
    )


@pytest.fixture
def viewer(db):
    """A signed-in user without any contact permission."""
    return UserFactory()


@pytest.fixture
def a_list(db):
    return ContactList.objects.create(name="Newsletter")


# --- Sign-in and permissions ---------------------------------------------------------------------------


def test_list_pages_send_anonymous_users_to_sign_in(client, a_list, subscription, marketer_actor):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    before = lists_state()
    for url in (reverse("contacts:lists"), reverse("contacts:list_detail", args=[a_list.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    for url, data in (
        (reverse("contacts:lists"), {"name": "Sneaky"}),
        (reverse("contacts:list_add"), {"ids": [contact.pk], "add_to_list": a_list.pk}),
        (reverse("contacts:list_remove", args=[a_list.pk]), {"ids": [contact.pk]}),
    ):
        response = client.post(url, data)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert lists_state() == before


def test_without_change_contact_lists_are_read_only(client, viewer, a_list, subscription, marketer_actor):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    contact_list_add(contact_list=a_list, contacts=[contact.pk], actor=marketer_actor)
    before = lists_state()
    client.force_login(viewer)
    html = client.get(reverse("contacts:lists")).content.decode()
    assert "Newsletter" in html and 'id="create-list"' not in html
    html = client.get(reverse("contacts:list_detail", args=[a_list.pk])).content.decode()
    assert contact.email in html and 'name="ids"' not in html
    assert client.post(reverse("contacts:lists"), {"name": "Sneaky"}).status_code == 403
    assert client.post(reverse("contacts:list_remove", args=[a_list.pk]), {"ids": [contact.pk]}).status_code == 403
    response = client.post(reverse("contacts:list_add"), {"ids": [contact.pk], "new_list_name": "Sneaky"})
    assert response.status_code == 403
    assert lists_state() == before


def test_unknown_list_is_404(client, marketer):
    client.force_login(marketer)
    assert client.get(reverse("contacts:list_detail", args=[999999])).status_code == 404
    assert client.post(reverse("contacts:list_remove", args=[999999]), {"ids": ["1"]}).status_code == 404


# --- Lists page and list detail --------------------------------------------------------------------------


def test_lists_page_shows_each_list_with_its_live_size(client, viewer, subscription, marketer_actor):
    contacts = contacts_make(count=3, actor=marketer_actor)
    big, empty = ContactList.objects.create(name="Big"), ContactList.objects.create(name="Empty")
    contact_list_add(contact_list=big, contacts=[contact.pk for contact in contacts], actor=marketer_actor)
    contacts_archive(contacts=[contacts[0].pk], actor=marketer_actor)  # R22: deleted contacts are not counted
    client.force_login(viewer)
    html = client.get(reverse("contacts:lists")).content.decode()
    rows = re.findall(r'<a href="/contacts/lists/(\d+)/">([^<]+)</a></td>\s*<td class="size">(\d+)</td>', html)
    assert rows == [(str(big.pk), "Big", "2"), (str(empty.pk), "Empty", "0")]


def test_create_list(client, marketer):
    client.force_login(marketer)
    response = client.post(reverse("contacts:lists"), {"name": "  Spring   launch "})
    created = ContactList.objects.get()
    assert (created.name, created.created_by) == ("Spring launch", marketer)
    assert response.status_code == 302 and response.url == reverse("contacts:list_detail", args=[created.pk])


def test_create_list_with_a_taken_or_empty_name_shows_an_error(client, marketer, a_list):
    client.force_login(marketer)
    before = lists_state()
    html = client.post(reverse("contacts:lists"), {"name": "Newsletter"}).content.decode()
    assert "A list named &#x27;Newsletter&#x27; already exists." in html
    html = client.post(reverse("contacts:lists"), {"name": "   "}).content.decode()
    assert 'data-error-for="name"' in html
    assert lists_state() == before


def test_list_detail_pages_its_live_contacts_and_links_to_the_index(
    client, viewer, a_list, subscription, marketer_actor
):
    contacts = contacts_make(count=52, actor=marketer_actor)
    contact_list_add(contact_list=a_list, contacts=[contact.pk for contact in contacts], actor=marketer_actor)
    contacts_archive(contacts=[contacts[-1].pk], actor=marketer_actor)
    client.force_login(viewer)
    url = reverse("contacts:list_detail", args=[a_list.pk])
    first = client.get(url).content.decode()
    assert f'href="/contacts/?list={a_list.pk}"' in first
    assert ">51 contacts<" in first
    assert contacts[0].email in first and contacts[49].email in first and contacts[50].email not in first
    second = client.get(url + "?page=2").content.decode()
    assert contacts[50].email in second and contacts[51].email not in second and contacts[0].email not in second
    assert "Page 2 of 2" in second


def test_list_detail_query_count_does_not_grow_with_contacts(
    client, viewer, a_list, subscription, marketer_actor, django_assert_max_num_queries
):
    (first,) = contacts_make(count=1, actor=marketer_actor)
    contact_list_add(contact_list=a_list, contacts=[first.pk], actor=marketer_actor)
    client.force_login(viewer)
    url = reverse("contacts:list_detail", args=[a_list.pk])
    with django_assert_max_num_queries(20) as baseline:
        client.get(url)
    more = contacts_make(count=30, actor=marketer_actor)
    contact_list_add(contact_list=a_list, contacts=[contact.pk for contact in more], actor=marketer_actor)
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        assert more[-1].email in client.get(url).content.decode()


def test_remove_contacts_from_a_list(client, marketer, a_list, subscription, marketer_actor):
    contacts = contacts_make(count=3, actor=marketer_actor)
    contact_list_add(contact_list=a_list, contacts=[contact.pk for contact in contacts], actor=marketer_actor)
    client.force_login(marketer)
    response = client.post(
        reverse("contacts:list_remove", args=[a_list.pk]), {"ids": [contacts[0].pk, contacts[2].pk]}, follow=True
    )
    assert members(a_list) == [contacts[1].pk]
    assert "Removed 2 contacts from Newsletter." in response.content.decode()
    assert ContactListMembership.objects.filter(contact=contacts[0]).count() == 0


def test_remove_without_a_selection_changes_nothing(client, marketer, a_list, subscription, marketer_actor):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    contact_list_add(contact_list=a_list, contacts=[contact.pk], actor=marketer_actor)
    before = lists_state()
    client.force_login(marketer)
    response = client.post(reverse("contacts:list_remove", args=[a_list.pk]), {"ids": ["x"]}, follow=True)
    assert "Select the contacts to remove" in response.content.decode()
    assert lists_state() == before


# --- Add to list from the index selection ---------------------------------------------------------------


def test_add_picked_contacts_to_an_existing_list(client, marketer, a_list, subscription, marketer_actor):
    contacts = contacts_make(count=3, actor=marketer_actor)
    contact_list_add(contact_list=a_list, contacts=[contacts[0].pk], actor=marketer_actor)
    client.force_login(marketer)
    response = client.post(
        reverse("contacts:list_add"),
        {"ids": [contact.pk for contact in contacts], "add_to_list": a_list.pk},
        follow=True,
    )
    assert members(a_list) == [contact.pk for contact in contacts]
    assert response.redirect_chain == [(reverse("contacts:list_detail", args=[a_list.pk]), 302)]
    assert "Added 2 contacts to Newsletter (1 were already in it)." in response.content.decode()


def test_a_list_can_be_made_from_the_index_selection(client, marketer, subscription, marketer_actor):
    contacts = contacts_make(count=2, actor=marketer_actor)
    client.force_login(marketer)
    response = client.post(
        reverse("contacts:list_add"), {"ids": [contact.pk for contact in contacts], "new_list_name": "From index"}
    )
    created = ContactList.objects.get(name="From index")
    assert members(created) == [contact.pk for contact in contacts]
    assert response.url == reverse("contacts:list_detail", args=[created.pk])


def test_add_every_contact_matching_the_view(client, marketer, a_list, subscription, marketer_actor):
    marketing = contacts_make(count=2, actor=marketer_actor, marketing=True)
    contacts_make(count=3, actor=marketer_actor)
    client.force_login(marketer)
    client.post(
        reverse("contacts:list_add"), {"select_all": "1", "query": "status=marketing", "add_to_list": a_list.pk}
    )
    assert members(a_list) == [contact.pk for contact in marketing]


def test_deleted_contacts_are_not_added(client, marketer, a_list, subscription, marketer_actor):
    live, deleted = contacts_make(count=2, actor=marketer_actor)
    contacts_archive(contacts=[deleted.pk], actor=marketer_actor)
    client.force_login(marketer)
    client.post(reverse("contacts:list_add"), {"ids": [live.pk, deleted.pk], "add_to_list": a_list.pk})
    assert members(a_list) == [live.pk]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"new_list_name": "Nothing picked"}, "Select at least one contact."),
        ({"select_all": "1", "query": "status=bogus", "new_list_name": "Bad filter"}, "Invalid filters"),
        ({"ids": ["1"]}, "Choose a list or enter the name of a new one."),
        (
            {"ids": ["1"], "add_to_list": "LIST", "new_list_name": "Both"},
            "Choose a list or enter the name of a new one.",
        ),
        ({"ids": ["1"], "new_list_name": "Newsletter"}, "already exists"),
    ],
)
def test_add_with_a_bad_selection_or_list_changes_nothing(client, marketer, a_list, subscription, data, message):
    data = {name: str(a_list.pk) if value == "LIST" else value for name, value in data.items()}
    before = lists_state()
    client.force_login(marketer)
    response = client.post(reverse("contacts:list_add"), data, HTTP_REFERER="http://testserver/contacts/?q=x")
    assert response.status_code == 302 and response.url == "http://testserver/contacts/?q=x"
    assert message in client.get(reverse("contacts:lists")).content.decode().replace("&#x27;", "'")
    assert lists_state() == before


def test_add_more_than_the_inline_limit_runs_as_a_job(
    client, marketer, a_list, subscription, marketer_actor, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("jobs.services.INLINE_LIMIT", 3)  # stands for 1,000 contacts
    contacts = contacts_make(count=4, actor=marketer_actor)
    client.force_login(marketer)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("contacts:list_add"), {"ids": [contact.pk for contact in contacts], "add_to_list": a_list.pk}
        )
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/"
    assert (job.kind, job.params, job.total, job.created_by) == (
        Job.Kind.ADD_TO_LIST,
        {"list_id": a_list.pk},
        4,
        marketer,
    )
    assert members(a_list) == []  # nothing added within the request
    for callback in callbacks:  # the worker's turn
        callback()
    assert members(a_list) == [contact.pk for contact in contacts]


# --- The index's "Add to list" control (_list_actions.html) ---------------------------------------------


def render_list_actions(user) -> str:
    request = RequestFactory().get("/contacts/")
    request.user = user
    return render_to_string("contacts/_list_actions.html", request=request)


def test_list_actions_post_the_index_selection_to_add_to_list(marketer, a_list):
    ContactList.objects.create(name="Another")
    html = render_list_actions(marketer)
    submit = re.search(r"<button[^>]*>Add selected to list</button>", html).group(0)
    assert 'form="selection"' in submit and f'formaction="{reverse("contacts:list_add")}"' in submit
    assert re.search(r'<select name="add_to_list" form="selection"', html)
    assert re.search(r'<input type="text" name="new_list_name" form="selection"', html)
    assert re.findall(r'<option value="(\d+)">([^<]+)</option>', html) == [
        (str(ContactList.objects.get(name="Another").pk), "Another"),
        (str(a_list.pk), "Newsletter"),
    ]


def test_list_actions_are_hidden_without_change_contact(viewer, a_list):
    assert "Add selected to list" not in render_list_actions(viewer)
    assert "Add selected to list" not in render_list_actions(AnonymousUser())
    viewer.user_permissions.add(Permission.objects.get(codename="change_contact"))
    assert "Add selected to list" in render_list_actions(type(viewer).objects.get(pk=viewer.pk))
