"""R17: the wizard's unengaged sample shows each contact's status source type as a label and its source by
name, linked to it, not `FORM_SUBMISSION` and a guid."""

import re

import pytest
from django.urls import reverse

from marketing_status.actors import Actor, ActorKind
from marketing_status.services import contacts_set_marketing
from tests.crm.source_objects import source_objects_make
from tests.factories import contacts_make

pytestmark = pytest.mark.django_db

MANAGE = reverse("billing:manage")


def _sample(response) -> list[list[str]]:
    table = re.search(r'id="unengaged-sample">.*?</table>', response.content.decode(), re.S).group(0)
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    return [re.findall(r"<td>(.*?)</td>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_r17_unengaged_sample_names_and_links_the_status_source(client, frozen_subscription, marketer):
    objects = source_objects_make(user=marketer)
    by_user = contacts_make(count=1, actor=Actor.for_user(marketer), marketing=True, email_hard_bounced=True)
    by_form, by_deleted = contacts_make(count=2, actor=Actor.for_user(marketer), email_hard_bounced=True)
    contacts_set_marketing(contacts=[by_form.pk], actor=Actor(ActorKind.FORM, objects.form.source_id))
    contacts_set_marketing(contacts=[by_deleted.pk], actor=Actor(ActorKind.WORKFLOW, str(objects.workflow.pk)))
    objects.workflow.delete()
    client.force_login(marketer)
    response = client.get(MANAGE, {"step": "unengaged"})
    form_url = reverse("leadforms:edit", args=[objects.form.guid])
    user = marketer.get_full_name() or marketer.username
    assert [row[3] for row in _sample(response)] == [
        f'Set by a user: <a href="{reverse("accounts:users")}">{user}</a>',
        f'Form submission: <a href="{form_url}">Newsletter signup</a>',
        'Workflow: <span class="muted">Deleted workflow</span>',
    ]
    assert len(by_user) == 1 and "FORM_SUBMISSION" not in response.content.decode()
