"""B3 and R24 on Usage & limits: additions per source and tier-upgrade causes name their form, workflow,
chatflow, import, integration or user, linked to it, with readable source types; one query per kind."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.services import subscription_change
from marketing_status.actors import MARKETING_WRITE_SCOPE, Actor, ActorKind
from marketing_status.creation import contacts_create
from marketing_status.policy import CreationTool
from marketing_status.services import contacts_set_marketing
from tests.crm.source_objects import source_objects_make
from tests.factories import contacts_make
from tests.screens.billing.test_usage import _rows

pytestmark = pytest.mark.django_db

USAGE = reverse("billing:usage")


def _add_from_every_kind(objects, marketer, *, prefix: str) -> None:
    """One marketing contact from each kind of source."""

    def email(kind):
        return [{"email": f"{prefix}-{kind}@example.com"}]

    form_id = objects.form.source_id
    contacts_create(
        data=email("form"), tool=CreationTool.HUBSPOT_FORM, source_id=form_id, actor=Actor(ActorKind.FORM, form_id)
    )
    import_id = str(objects.import_job.pk)
    importer = Actor(ActorKind.IMPORT, import_id)
    contacts_create(data=email("import"), tool=CreationTool.IMPORT, source_id=import_id, marketing=True, actor=importer)
    contacts_make(count=1, actor=Actor.for_user(marketer), marketing=True)
    switchers = [
        Actor(ActorKind.WORKFLOW, str(objects.workflow.pk)),
        Actor(ActorKind.CHATFLOW, objects.chatflow.source_id),
        Actor.for_integration(objects.integration.pk, scopes={MARKETING_WRITE_SCOPE}),
    ]
    for actor in switchers:
        (contact,) = contacts_make(count=1, actor=Actor.for_user(marketer))
        assert contacts_set_marketing(contacts=[contact.pk], actor=actor).changed == 1


@pytest.fixture
def objects(marketer):
    return source_objects_make(user=marketer)


def test_b3_additions_name_and_link_every_kind_of_source(client, frozen_subscription, marketer, objects):
    _add_from_every_kind(objects, marketer, prefix="a")
    client.force_login(marketer)
    response = client.get(USAGE)
    user = marketer.get_full_name() or marketer.username
    assert sorted(row[1:] for row in _rows(response, "additions-table")) == [
        ["Contact import", "leads.csv", "1"],
        ["Conversation", "Pricing chat", "1"],
        ["Form submission", "Newsletter signup", "1"],
        ["Set by a user", user, "1"],  # the manual contact; those created non-marketing are no addition
        ["Set by an integration", "Shop sync", "1"],
        ["Workflow", "Welcome series", "1"],
    ]
    table = re.search(r'id="additions-table">.*?</table>', response.content.decode(), re.S).group(0)
    for url, name in [
        (reverse("leadforms:edit", args=[objects.form.guid]), "Newsletter signup"),
        (reverse("workflows:edit", args=[objects.workflow.pk]), "Welcome series"),
        (reverse("conversations:edit", args=[objects.chatflow.pk]), "Pricing chat"),
        (reverse("imports:detail", args=[objects.import_job.pk]), "leads.csv"),
        (reverse("integrations:detail", args=[objects.integration.pk]), "Shop sync"),
        (reverse("accounts:users"), user),
    ]:
        assert f'<a href="{url}">{name}</a>' in table
    text = re.sub(r"<[^>]+>", "", table)  # the guid is only in the link
    assert objects.form.source_id not in text and "FORM_SUBMISSION" not in text


def test_b3_chart_titles_name_the_sources(client, frozen_subscription, marketer, objects):
    _add_from_every_kind(objects, marketer, prefix="a")
    client.force_login(marketer)
    html = client.get(USAGE).content.decode()
    assert "<title>10 Mar: 1 from Form submission: Newsletter signup</title>" in html
    assert "<title>10 Mar: 1 from Workflow: Welcome series</title>" in html


def test_b3_a_deleted_source_reads_deleted(client, frozen_subscription, marketer, objects):
    _add_from_every_kind(objects, marketer, prefix="a")
    objects.chatflow.delete()
    client.force_login(marketer)
    rows = _rows(client.get(USAGE), "additions-table")
    assert ["Conversation", "Deleted chatflow", "1"] in [row[1:] for row in rows]


def test_r24_a_change_of_tier_names_the_user_who_made_it(client, frozen_subscription, marketer):
    subscription_change(
        actor=Actor.for_user(marketer),
        hub_tier=frozen_subscription.hub_tier,
        billing_cycle=frozen_subscription.billing_cycle,
        contract_start=frozen_subscription.contract_start,
        renewal_date=frozen_subscription.renewal_date,
        contact_tier_limit=frozen_subscription.contract_tier_limit + 1000,
        tier_block_size=frozen_subscription.tier_block_size,
        billing_contacts=[],
    )
    client.force_login(marketer)
    response = client.get(USAGE)
    user = marketer.get_full_name() or marketer.username
    assert [row[3] for row in _rows(response, "upgrades-table")] == [f"Tier change: {user}"]
    assert "TIER_CHANGE" not in response.content.decode()


def test_b3_usage_queries_do_not_grow_with_sources(client, frozen_subscription, marketer, objects):
    """One query per kind of source, however many sources of that kind the additions name."""
    _add_from_every_kind(objects, marketer, prefix="a")
    client.force_login(marketer)
    client.get(USAGE)
    with CaptureQueriesContext(connection) as baseline:
        client.get(USAGE)
    _add_from_every_kind(source_objects_make(user=marketer), marketer, prefix="b")
    with CaptureQueriesContext(connection) as grown:
        response = client.get(USAGE)
    assert len(_rows(response, "additions-table")) == 11  # the user's row is shared
    assert len(grown.captured_queries) == len(baseline.captured_queries)
