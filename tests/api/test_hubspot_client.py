"""End to end with the official `hubspot-api-client`, unchanged, against a real server (pytest-django's
live_server): what an existing HubSpot integration does must work here as it does at HubSpot."""

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import (
    ApiException,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchResponseSimplePublicObject,
    CollectionResponseWithTotalSimplePublicObjectForwardPaging,
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObject,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
    SimplePublicObjectWithAssociations,
)

from contacts.models import Contact
from contacts.properties import format_datetime
from integrations.scopes import CONTACTS_READ, CONTACTS_WRITE
from marketing_status.models import MarketingStatusChange
from tests.api.conftest import ALL

MARKETING_FIELDS = ("marketable_status", "marketable_until_renewal", "marketable_reason_type", "marketable_reason_id")


@pytest.fixture
def connect(live_server, make_client, subscription, settings):
    """`connect(scopes=..., marketing_on_create=...)` → (the official client for a new integration, its Integration)."""
    settings.CRM_API_RATE_LIMIT_10S = 10**6
    settings.CRM_API_RATE_LIMIT_DAILY = 10**6

    def _connect(**integration):
        token_client = make_client(**integration)
        return HubSpot(access_token=token_client.token, host=live_server.url), token_client.integration

    return _connect


def marketing_fields(contact_id) -> tuple:
    return Contact.objects.values_list(*MARKETING_FIELDS).get(pk=contact_id)


def search_marketable(client: HubSpot, value: str, *, limit: int, after: str | None = None):
    request = PublicObjectSearchRequest(
        filter_groups=[FilterGroup(filters=[Filter(property_name="hs_marketable_status", operator="EQ", value=value)])],
        properties=["email", "hs_marketable_status"],
        limit=limit,
        after=after,
    )
    return client.crm.contacts.search_api.do_search(public_object_search_request=request)


def test_create_read_update_archive_one_contact_R8_R10_R22(connect):
    client, integration = connect(scopes=ALL)
    basic = client.crm.contacts.basic_api

    created = basic.create(
        simple_public_object_input_for_create=SimplePublicObjectInputForCreate(
            properties={"email": "ada@example.com", "firstname": "Ada"}
        )
    )
    assert isinstance(created, SimplePublicObject)
    contact = Contact.objects.get(email="ada@example.com")
    assert created.id == str(contact.pk)
    assert created.archived is False
    assert created.properties == {  # HubSpot's defaults plus what was written, every value a string
        "createdate": format_datetime(contact.created_at),
        "email": "ada@example.com",
        "firstname": "Ada",
        "hs_object_id": created.id,
        "lastmodifieddate": format_datetime(contact.updated_at),
        "lastname": "",
    }
    # R8: an integration creates non-marketing contacts unless its own setting says otherwise.
    assert marketing_fields(contact.pk) == (False, False, "INTEGRATOR_SET", str(integration.pk))
    assert (contact.creation_tool, contact.creation_source_id) == ("INTEGRATION", str(integration.pk))

    fetched = basic.get_by_id(contact_id=created.id, properties=["email", "hs_marketable_status"])
    assert isinstance(fetched, SimplePublicObjectWithAssociations)
    assert fetched.id == created.id
    assert fetched.properties == {
        "createdate": format_datetime(contact.created_at),
        "email": "ada@example.com",
        "hs_marketable_status": "false",
        "hs_object_id": created.id,
        "lastmodifieddate": format_datetime(contact.updated_at),
    }

    # R10: the API sets a non-marketing contact as marketing at once (needs marketing-contacts.write, R30).
    updated = basic.update(
        contact_id=created.id,
        simple_public_object_input=SimplePublicObjectInput(
            properties={"lastname": "Lovelace", "hs_marketable_status": "true"}
        ),
    )
    assert (updated.id, updated.properties["lastname"], updated.properties["hs_marketable_status"]) == (
        created.id,
        "Lovelace",
        "true",
    )
    assert Contact.objects.get(pk=contact.pk).last_name == "Lovelace"
    assert marketing_fields(contact.pk) == (True, False, "INTEGRATOR_SET", str(integration.pk))
    latest = MarketingStatusChange.objects.filter(contact_id=contact.pk).latest("pk")
    assert (latest.old_status, latest.new_status, latest.actor_type, latest.actor_id) == (
        False,
        True,
        "INTEGRATION",
        str(integration.pk),
    )

    # R22: archiving answers 204 (None from the client); the contact is then not found.
    assert basic.archive(contact_id=created.id) is None
    assert Contact.objects.get(pk=contact.pk).archived_at is not None
    with pytest.raises(ApiException) as refused:
        basic.get_by_id(contact_id=created.id)
    assert refused.value.status == 404


def test_status_change_without_marketing_scope_is_refused_and_changes_nothing_R30(connect):
    client, _ = connect(scopes=(CONTACTS_READ, CONTACTS_WRITE))
    created = client.crm.contacts.basic_api.create(
        simple_public_object_input_for_create=SimplePublicObjectInputForCreate(properties={"email": "a@example.com"})
    )
    before = (marketing_fields(created.id), MarketingStatusChange.objects.count())

    with pytest.raises(ApiException) as refused:
        client.crm.contacts.basic_api.update(
            contact_id=created.id,
            simple_public_object_input=SimplePublicObjectInput(properties={"hs_marketable_status": "true"}),
        )

    assert refused.value.status == 403
    assert '"category":"MISSING_SCOPES"' in refused.value.body.replace(" ", "")
    assert (marketing_fields(created.id), MarketingStatusChange.objects.count()) == before


def test_batch_create_100_then_search_by_marketing_status_R8_R10(connect):
    # An integration whose "create as marketing" setting is on (R8) creates 100 marketing contacts.
    auto, auto_integration = connect(marketing_on_create=True)
    emails = [f"bulk{number:03d}@example.com" for number in range(100)]
    batch = auto.crm.contacts.batch_api.create(
        batch_input_simple_public_object_batch_input_for_create=BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[SimplePublicObjectBatchInputForCreate(properties={"email": email}) for email in emails]
        )
    )
    assert isinstance(batch, BatchResponseSimplePublicObject)
    assert batch.status == "COMPLETE"
    assert sorted(result.properties["email"] for result in batch.results) == emails
    bulk = dict(Contact.objects.filter(email__in=emails).values_list("email", "pk"))
    assert sorted(result.id for result in batch.results) == sorted(str(pk) for pk in bulk.values())
    assert set(Contact.objects.filter(pk__in=bulk.values()).values_list(*MARKETING_FIELDS)) == {
        (True, False, "INTEGRATOR_SET", str(auto_integration.pk))
    }

    # Another integration (setting off) creates two non-marketing contacts and sets one as marketing (R10).
    manual, _ = connect(scopes=ALL)
    basic = manual.crm.contacts.basic_api
    ada, alan = (
        basic.create(simple_public_object_input_for_create=SimplePublicObjectInputForCreate(properties={"email": e}))
        for e in ("ada@example.com", "alan@example.com")
    )
    basic.update(
        contact_id=ada.id,
        simple_public_object_input=SimplePublicObjectInput(properties={"hs_marketable_status": "true"}),
    )
    # Archived contacts are never found by a search.
    basic.archive(contact_id=str(bulk["bulk000@example.com"]))

    expected = sorted([int(ada.id), *(pk for email, pk in bulk.items() if email != "bulk000@example.com")])
    first = search_marketable(manual, "true", limit=60)
    assert isinstance(first, CollectionResponseWithTotalSimplePublicObjectForwardPaging)
    assert first.total == 100
    assert [int(result.id) for result in first.results] == expected[:60]
    assert first.paging.next.after
    second = search_marketable(manual, "true", limit=60, after=first.paging.next.after)
    assert second.total == 100
    assert [int(result.id) for result in second.results] == expected[60:]
    assert second.paging is None
    assert {result.properties["hs_marketable_status"] for result in [*first.results, *second.results]} == {"true"}
    assert expected == sorted(
        Contact.objects.filter(marketable_status=True, archived_at__isnull=True).values_list("pk", flat=True)
    )

    non_marketing = search_marketable(manual, "false", limit=10)
    assert (non_marketing.total, [result.id for result in non_marketing.results]) == (1, [alan.id])
    assert non_marketing.results[0].properties["email"] == "alan@example.com"
