"""R22, R30: restoring archived marketing contacts adds them back to the bill, so it needs the Marketing
contact access permission; archived non-marketing contacts need only the delete permission."""

import pytest

from contacts.models import Contact
from contacts.services import contacts_archive
from marketing_status.actors import Actor, MarketingStatusPermissionDenied
from marketing_status.creation import contacts_restore
from tests.factories import contacts_make

pytestmark = pytest.mark.django_db

RESTORE = "/contacts/recycle-bin/restore/"


@pytest.fixture
def archived(subscription, marketer_actor):
    marketing = contacts_make(count=2, actor=marketer_actor, marketing=True)
    plain = contacts_make(count=1, actor=marketer_actor)
    contacts_archive(contacts=[c.pk for c in [*marketing, *plain]], actor=marketer_actor)
    return marketing, plain


def test_r22_r30_restoring_marketing_contacts_without_access_is_refused_and_changes_nothing(
    archived, sales_user, db_state
):
    marketing, plain = archived
    before = db_state()

    with pytest.raises(MarketingStatusPermissionDenied, match="adds them back to your bill"):
        contacts_restore(contacts=[c.pk for c in [*marketing, *plain]], actor=Actor.for_user(sales_user))

    assert db_state() == before


def test_r22_restoring_non_marketing_contacts_needs_only_the_delete_permission(archived, sales_user):
    _, plain = archived

    result = contacts_restore(contacts=[c.pk for c in plain], actor=Actor.for_user(sales_user))

    assert result.restored == 1
    assert Contact.objects.get(pk=plain[0].pk).archived_at is None


def test_r22_r30_recycle_bin_restore_without_access_is_403_and_changes_nothing(client, archived, sales_user, db_state):
    marketing, _ = archived
    client.force_login(sales_user)
    before = db_state()

    response = client.post(RESTORE, {"ids": [c.pk for c in marketing]})

    assert response.status_code == 403
    assert db_state() == before


def test_r22_r30_restoring_all_matching_without_access_is_refused_before_a_job_starts(
    client, archived, sales_user, db_state
):
    from jobs.models import Job

    client.force_login(sales_user)
    before = db_state()

    response = client.post(RESTORE, {"select_all": "1", "query": ""})

    assert response.status_code == 403
    assert db_state() == before
    assert not Job.objects.exists()


def test_r22_marketer_restores_marketing_contacts_back_onto_the_bill(client, archived, marketer):
    marketing, _ = archived
    client.force_login(marketer)

    client.post(RESTORE, {"ids": [c.pk for c in marketing]})

    assert Contact.objects.filter(pk__in=[c.pk for c in marketing], archived_at__isnull=True).count() == 2
