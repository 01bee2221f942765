"""The record names its sources, not their ids: history "Source" and "By", the status source name, the
creation tool and creation source, each linked to its page; a deleted one reads "Deleted …"."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketing_status.actors import MARKETING_WRITE_SCOPE, Actor, ActorKind
from marketing_status.creation import contacts_create
from marketing_status.policy import CreationTool
from marketing_status.services import contacts_set_marketing, contacts_set_non_marketing
from tests.crm.source_objects import source_objects_make
from tests.screens.contacts.test_record import property_value, record_url

pytestmark = pytest.mark.django_db


def _link(name: str, url: str) -> str:
    return f'<a href="{url}">{name}</a>'


def _history(html: str) -> list[list[str]]:
    """(change, source type, source, by) of each history row, newest first."""
    history = html[html.index('id="history"') :]
    rows = re.findall(r"<tr>\s*<td>.*?</tr>", history, re.S)
    return [
        [re.sub(r"\s+", " ", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)][1:] for row in rows
    ]


def _plain_property(html: str, label: str) -> str:
    match = re.search(rf"<dt>{label}</dt><dd>(.*?)</dd>", html, re.S)
    assert match, f"{label} not shown"
    return match.group(1).strip()


def _walk_through_every_kind(contact, objects, marketer):
    """Each kind of actor changes the contact's status once, alternating so that every call changes it."""
    steps = [
        (contacts_set_non_marketing, Actor(ActorKind.WORKFLOW, str(objects.workflow.pk))),
        (contacts_set_marketing, Actor(ActorKind.CHATFLOW, objects.chatflow.source_id)),
        (
            contacts_set_non_marketing,
            Actor.for_integration(objects.integration.pk, scopes={MARKETING_WRITE_SCOPE}),
        ),
        (contacts_set_marketing, Actor(ActorKind.IMPORT, str(objects.import_job.pk))),
        (contacts_set_non_marketing, Actor.for_user(marketer)),
        (contacts_set_marketing, Actor(ActorKind.FORM, objects.external_form.source_id)),
    ]
    for switch, actor in steps:
        assert switch(contacts=[contact.pk], actor=actor).changed == 1


@pytest.fixture
def objects(marketer):
    return source_objects_make(user=marketer)


@pytest.fixture
def form_contact(subscription, objects):
    (contact,) = contacts_create(
        data=[{"email": "ada@example.com"}],
        tool=CreationTool.HUBSPOT_FORM,
        source_id=objects.form.source_id,
        actor=Actor(ActorKind.FORM, objects.form.source_id),
    )
    return contact


def test_history_names_and_links_every_kind_of_source_and_actor(client, marketer, objects, form_contact):
    _walk_through_every_kind(form_contact, objects, marketer)
    client.force_login(marketer)
    html = client.get(record_url(form_contact)).content.decode()
    form = _link("Newsletter signup", reverse("leadforms:edit", args=[objects.form.guid]))
    external = _link(
        "#contact on https://example.com/contact",
        reverse("leadforms:external_submissions", args=[objects.external_form.guid]),
    )
    workflow = _link("Welcome series", reverse("workflows:edit", args=[objects.workflow.pk]))
    chatflow = _link("Pricing chat", reverse("conversations:edit", args=[objects.chatflow.pk]))
    integration = _link("Shop sync", reverse("integrations:detail", args=[objects.integration.pk]))
    leads = _link("leads.csv", reverse("imports:detail", args=[objects.import_job.pk]))
    user = _link(marketer.get_full_name() or marketer.username, reverse("accounts:users"))
    pending, marketing = "Marketing → Marketing until next update", "Marketing until next update → Marketing"
    created = "(none) → Marketing"
    assert _history(html) == [
        [marketing, "Form submission", external, external],
        [pending, "Set by a user", user, user],
        [marketing, "Contact import", leads, leads],
        [pending, "Set by an integration", integration, integration],
        [marketing, "Conversation", chatflow, chatflow],
        [pending, "Workflow", workflow, workflow],
        [created, "Form submission", form, form],
    ]
    assert "FORM_SUBMISSION" not in html and str(objects.form.guid) not in re.sub(r'href="[^"]*"', "", html)


def test_status_source_and_creation_source_are_named_and_linked(client, marketer, objects, form_contact):
    client.force_login(marketer)
    html = client.get(record_url(form_contact)).content.decode()
    assert property_value(html, "hs_marketable_reason_type") == "Form submission"
    assert property_value(html, "hs_marketable_reason_id") == "Newsletter signup"
    form = _link("Newsletter signup", reverse("leadforms:edit", args=[objects.form.guid]))
    assert f'<dd data-property="hs_marketable_reason_id">{form}' in html
    assert _plain_property(html, "Creation tool") == "Form"
    assert _plain_property(html, "Creation source") == form


def test_a_manual_contact_names_its_creator(client, subscription, marketer):
    (contact,) = contacts_create(
        data=[{"email": "manual@example.com"}], tool=CreationTool.MANUAL, actor=Actor.for_user(marketer)
    )
    client.force_login(marketer)
    html = client.get(record_url(contact)).content.decode()
    assert _plain_property(html, "Creation tool") == "Created by a user"
    assert _plain_property(html, "Creation source") == _link(
        marketer.get_full_name() or marketer.username, reverse("accounts:users")
    )


def test_deleted_sources_read_deleted_without_ids(client, marketer, objects, form_contact):
    _walk_through_every_kind(form_contact, objects, marketer)
    guid, workflow_id = objects.form.source_id, objects.workflow.pk
    objects.form.delete()
    objects.workflow.delete()
    client.force_login(marketer)
    html = client.get(record_url(form_contact)).content.decode()
    history = _history(html)
    assert history[-1][2:] == ['<span class="muted">Deleted form</span>'] * 2
    assert history[-2][2:] == ['<span class="muted">Deleted workflow</span>'] * 2
    assert _plain_property(html, "Creation source") == '<span class="muted">Deleted form</span>'
    assert guid not in html and f"Workflow {workflow_id}" not in html


def test_record_queries_do_not_grow_with_its_history(client, marketer, objects, form_contact):
    """One query per kind of source, not per history row."""
    _walk_through_every_kind(form_contact, objects, marketer)
    client.force_login(marketer)
    client.get(record_url(form_contact))
    with CaptureQueriesContext(connection) as baseline:
        client.get(record_url(form_contact))
    _walk_through_every_kind(form_contact, source_objects_make(user=marketer), marketer)
    with CaptureQueriesContext(connection) as grown:
        html = client.get(record_url(form_contact)).content.decode()
    assert len(_history(html)) == 13
    assert len(grown.captured_queries) == len(baseline.captured_queries)
