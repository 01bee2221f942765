"""The contacts object endpoints: list, create, read, update and archive (HubSpot CRM v3 shapes).

R2/R8 (status of contacts an integration creates), R10–R13 through PATCH, R22 (archive), R30 (scopes),
B4 (tier guard), and robustness: every input ends in HubSpot's error shape, never a 500.
"""

import datetime as dt
import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import Subscription, TierUpgrade
from billing.policy import BillingCycle, HubTier
from billing.selectors import marketing_count
from billing.services import subscription_create, subscription_set_tier_guard
from contacts.models import Contact
from contacts.properties import PROPERTIES
from integrations.scopes import CONTACTS_READ, CONTACTS_WRITE, MARKETING_WRITE
from integrations.services import integration_marketing_on_create_set
from marketing_status.models import MarketingStatusChange
from marketing_status.services import marketing_contacts_enable
from tests.api.test_base import assert_error
from tests.factories import contacts_make

URL = "/crm/v3/objects/contacts"
NOW = "2026-03-10T12:00:00.000Z"  # tests.conftest.FROZEN_START
ALL_SCOPES = (CONTACTS_READ, CONTACTS_WRITE, MARKETING_WRITE)
MARKETING_PROPERTIES = {"hs_marketable_status", "hs_marketable_until_renewal"}


@pytest.fixture(autouse=True)
def _rate_limits_out_of_the_way(settings):
    """Rate limits have their own tests (test_ratelimit.py); these make more requests than one window allows."""
    settings.CRM_API_RATE_LIMIT_10S = 1_000_000
    settings.CRM_API_RATE_LIMIT_DAILY = 1_000_000_000


def contact_url(contact_id) -> str:
    return f"{URL}/{contact_id}"


def status_of(contact) -> tuple:
    """(hs_marketable_status, hs_marketable_until_renewal, reason type, reason id) as stored."""
    return Contact.objects.values_list(
        "marketable_status", "marketable_until_renewal", "marketable_reason_type", "marketable_reason_id"
    ).get(pk=getattr(contact, "pk", contact))


def guarded_tier(*, system_actor, marketer_actor, limit: int = 2) -> Subscription:
    """B4: a subscription with a small tier (blocks of 2), marketing contacts enabled and the tier guard on."""
    subscription_create(
        hub_tier=HubTier.STARTER,
        billing_cycle=BillingCycle.MONTHLY,
        contract_start=dt.date(2026, 1, 15),
        renewal_date=dt.date(2027, 1, 15),
        contact_tier_limit=limit,
        tier_block_size=2,
    )
    marketing_contacts_enable(actor=system_actor)
    subscription_set_tier_guard(enabled=True, actor=marketer_actor)
    return Subscription.objects.get()


def make(api, **properties) -> dict:
    response = api.post(URL, {"properties": properties})
    assert response.status_code == 201, response.json()
    return response.json()


# --- List --------------------------------------------------------------------------------------------


def test_list_returns_default_properties_as_strings_without_paging(frozen_clock, api):
    first = make(api, email="ada@example.com", firstname="Ada")
    second = make(api, email="alan@example.com", lastname="Turing")
    response = api.get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "id": first["id"],
                "properties": {
                    "createdate": NOW,
                    "email": "ada@example.com",
                    "firstname": "Ada",
                    "hs_object_id": first["id"],
                    "lastmodifieddate": NOW,
                    "lastname": "",
                },
                "createdAt": NOW,
                "updatedAt": NOW,
                "archived": False,
            },
            {
                "id": second["id"],
                "properties": {
                    "createdate": NOW,
                    "email": "alan@example.com",
                    "firstname": "",
                    "hs_object_id": second["id"],
                    "lastmodifieddate": NOW,
                    "lastname": "Turing",
                },
                "createdAt": NOW,
                "updatedAt": NOW,
                "archived": False,
            },
        ]
    }


def test_list_pages_by_keyset_with_next_only_when_more_follow(api):
    ids = [make(api, email=f"p{n}@example.com")["id"] for n in range(5)]
    first = api.get(URL, {"limit": 2}).json()
    assert [obj["id"] for obj in first["results"]] == ids[:2]
    assert first["paging"]["next"]["after"] == ids[1]
    assert first["paging"]["next"]["link"] == f"http://testserver{URL}?limit=2&after={ids[1]}"
    second = api.get(URL, {"limit": 2, "after": ids[1]}).json()
    assert [obj["id"] for obj in second["results"]] == ids[2:4]
    third = api.get(URL, {"limit": 2, "after": second["paging"]["next"]["after"]}).json()
    assert [obj["id"] for obj in third["results"]] == ids[4:]
    assert "paging" not in third
    exact = api.get(URL, {"limit": 5}).json()
    assert len(exact["results"]) == 5
    assert "paging" not in exact


def test_list_default_limit_is_10_and_max_100(api):
    api.post(URL + "/batch/create", {"inputs": [{"properties": {"email": f"l{n}@example.com"}} for n in range(100)]})
    make(api, email="last@example.com")
    assert len(api.get(URL).json()["results"]) == 10
    page = api.get(URL, {"limit": 100}).json()
    assert len(page["results"]) == 100
    assert page["paging"]["next"]["after"] == page["results"][-1]["id"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "abc"},
        {"limit": "-1"},
        {"limit": "1e3"},
        {"limit": "99999999999999999999999999"},
        {"after": "abc"},
        {"after": "-5"},
        {"after": "1.5"},
        {"after": "99999999999999999999999999"},
    ],
)
def test_list_bad_limit_or_cursor_is_400(api, params):
    body = assert_error(api.get(URL, params), 400, "VALIDATION_ERROR")
    assert body["errors"][0]["in"] == next(iter(params))


def test_list_properties_repeated_or_comma_separated_unknown_ignored(api):
    created = make(api, email="ada@example.com", company="Analytical")
    expected = {
        "company": "Analytical",
        "createdate": created["properties"]["createdate"],
        "hs_marketable_status": "false",
        "hs_object_id": created["id"],
        "lastmodifieddate": created["properties"]["lastmodifieddate"],
    }
    repeated = api.get(f"{URL}?properties=company&properties=hs_marketable_status&properties=nope").json()
    comma = api.get(URL, {"properties": "company,hs_marketable_status,nope"}).json()
    assert repeated["results"][0]["properties"] == expected
    assert comma["results"][0]["properties"] == expected


def test_list_archived_true_lists_only_archived_contacts_r22(frozen_clock, api):
    live = make(api, email="live@example.com")
    gone = make(api, email="gone@example.com")
    assert api.delete(contact_url(gone["id"])).status_code == 204
    assert [obj["id"] for obj in api.get(URL).json()["results"]] == [live["id"]]
    archived = api.get(URL, {"archived": "true"}).json()["results"]
    assert [(obj["id"], obj["archived"], obj["archivedAt"]) for obj in archived] == [(gone["id"], True, NOW)]


def test_list_needs_the_read_scope_r30(make_client, subscription):
    writer = make_client(scopes=(CONTACTS_WRITE,))
    body = assert_error(writer.get(URL), 403, "MISSING_SCOPES")
    assert body["errors"][0]["context"]["requiredGranularScopes"] == [CONTACTS_READ]


# --- Create ------------------------------------------------------------------------------------------


def test_create_is_201_with_written_and_default_properties_all_strings_r2(frozen_clock, api):
    response = api.post(
        URL,
        {
            "properties": {
                "email": " Ada@Example.COM ",
                "firstname": "Ada",
                "company": "Analytical",
                "phone": 5551234,
                "hs_email_optout": True,
            },
            "associations": [],
        },
    )
    assert response.status_code == 201
    contact = Contact.objects.get()
    assert response.json() == {
        "id": str(contact.pk),
        "properties": {
            "company": "Analytical",
            "createdate": NOW,
            "email": "ada@example.com",
            "firstname": "Ada",
            "hs_email_optout": "true",
            "hs_object_id": str(contact.pk),
            "lastmodifieddate": NOW,
            "lastname": "",
            "phone": "5551234",
        },
        "createdAt": NOW,
        "updatedAt": NOW,
        "archived": False,
    }
    assert (contact.email, contact.phone, contact.email_subscription) == ("ada@example.com", "5551234", "unsubscribed")


def test_r8_integration_creates_non_marketing_contacts_by_default(frozen_clock, api, history_of):
    contact_id = make(api, email="ada@example.com")["id"]
    integration_id = str(api.integration.pk)
    contact = Contact.objects.get(pk=contact_id)
    assert (contact.creation_tool, contact.creation_source_id) == ("INTEGRATION", integration_id)
    assert status_of(contact) == (False, False, "INTEGRATOR_SET", integration_id)
    (row,) = history_of(contact)
    assert (row["old_status"], row["new_status"], row["reason_type"], row["reason_id"]) == (
        None,
        False,
        "INTEGRATOR_SET",
        integration_id,
    )
    assert (row["actor_type"], row["actor_id"]) == ("INTEGRATION", integration_id)


def test_r8_integration_with_its_setting_on_creates_marketing_contacts(make_client, subscription, history_of):
    client = make_client(marketing_on_create=True)
    contact_id = make(client, email="ada@example.com")["id"]
    integration_id = str(client.integration.pk)
    assert status_of(contact_id) == (True, False, "INTEGRATOR_SET", integration_id)
    (row,) = history_of(contact_id)
    assert (row["new_status"], row["reason_type"], row["reason_id"]) == (True, "INTEGRATOR_SET", integration_id)
    assert marketing_count() == 1


def test_r8_switching_the_setting_on_affects_only_contacts_created_after(api, marketer_actor):
    before = make(api, email="before@example.com")["id"]
    integration_marketing_on_create_set(integration=api.integration, marketing_on_create=True, actor=marketer_actor)
    after = make(api, email="after@example.com")["id"]
    integration_id = str(api.integration.pk)
    assert status_of(before) == (False, False, "INTEGRATOR_SET", integration_id)
    assert status_of(after) == (True, False, "INTEGRATOR_SET", integration_id)


def test_r8_one_integration_setting_does_not_affect_another(make_client, subscription):
    marketing = make_client(marketing_on_create=True, name="Marketing app")
    plain = make_client(name="Plain app")
    assert status_of(make(marketing, email="a@example.com")["id"])[0] is True
    assert status_of(make(plain, email="b@example.com")["id"])[0] is False


def test_r30_setting_status_on_create_without_marketing_scope_is_403_and_creates_nothing(api, db_state):
    before = db_state()
    response = api.post(URL, {"properties": {"email": "ada@example.com", "hs_marketable_status": "true"}})
    body = assert_error(response, 403, "MISSING_SCOPES")
    assert body["errors"][0]["context"]["requiredGranularScopes"] == sorted([CONTACTS_WRITE, MARKETING_WRITE])
    assert db_state() == before


def test_r30_status_without_scope_is_403_even_when_the_value_is_invalid(api, db_state):
    before = db_state()
    assert_error(api.post(URL, {"properties": {"hs_marketable_status": "maybe"}}), 403, "MISSING_SCOPES")
    assert db_state() == before


def test_create_with_status_true_makes_a_marketing_contact_r10(frozen_clock, marketing_api, history_of):
    response = marketing_api.post(URL, {"properties": {"email": "ada@example.com", "hs_marketable_status": "true"}})
    assert response.status_code == 201
    integration_id = str(marketing_api.integration.pk)
    properties = response.json()["properties"]
    assert {name: properties[name] for name in PROPERTIES if name.startswith("hs_marketable")} == {
        "hs_marketable_status": "true",
        "hs_marketable_until_renewal": "false",
        "hs_marketable_reason_type": "INTEGRATOR_SET",
        "hs_marketable_reason_id": integration_id,
    }
    contact_id = response.json()["id"]
    assert status_of(contact_id) == (True, False, "INTEGRATOR_SET", integration_id)
    # B1: the stated status is the contact's first status, not a switch after creation: one history row.
    assert [(row["old_status"], row["new_status"], row["reason_type"]) for row in history_of(contact_id)] == [
        (None, True, "INTEGRATOR_SET"),
    ]
    assert marketing_count() == 1


def test_create_with_status_false_makes_a_non_marketing_contact(marketing_api, history_of):
    contact_id = make(marketing_api, email="ada@example.com", hs_marketable_status="false")["id"]
    integration_id = str(marketing_api.integration.pk)
    assert status_of(contact_id) == (False, False, "INTEGRATOR_SET", integration_id)
    assert len(history_of(contact_id)) == 1


def test_create_with_status_true_through_a_marketing_integration_writes_one_history_row(make_client, subscription):
    client = make_client(scopes=ALL_SCOPES, marketing_on_create=True)
    contact_id = make(client, email="ada@example.com", hs_marketable_status="true")["id"]
    assert status_of(contact_id) == (True, False, "INTEGRATOR_SET", str(client.integration.pk))
    assert MarketingStatusChange.objects.filter(contact_id=contact_id).count() == 1


def test_b1_create_as_non_marketing_through_a_marketing_integration_overrides_its_setting(
    make_client, subscription, history_of
):
    """B1, R8: a stated "false" beats the integration's "create as marketing" setting; the contact is never
    marketing, so it is never billed (no pending switch, R11)."""
    client = make_client(scopes=ALL_SCOPES, marketing_on_create=True)
    response = client.post(URL, {"properties": {"email": "ada@example.com", "hs_marketable_status": "false"}})
    assert response.status_code == 201
    contact_id = response.json()["id"]
    assert status_of(contact_id) == (False, False, "INTEGRATOR_SET", str(client.integration.pk))
    assert [(row["old_status"], row["new_status"]) for row in history_of(contact_id)] == [(None, False)]
    assert marketing_count() == 0


def test_create_with_status_before_marketing_contacts_are_enabled_is_400(make_client, db_state):
    client = make_client(scopes=ALL_SCOPES)  # no subscription: marketing contacts not enabled (R1)
    before = db_state()
    response = client.post(URL, {"properties": {"email": "ada@example.com", "hs_marketable_status": "false"}})
    assert assert_error(response, 400, "VALIDATION_ERROR")["subCategory"] == "MARKETING_CONTACTS_NOT_ENABLED"
    assert db_state() == before


@pytest.mark.parametrize(
    ("properties", "where", "code"),
    [
        ({"email": "not-an-email"}, "email", "INVALID_EMAIL"),
        ({"email": "a@example.com", "shoe_size": "44"}, "shoe_size", "PROPERTY_DOESNT_EXIST"),
        ({"email": "a@example.com", "createdate": "2020-01-01"}, "createdate", "READ_ONLY_VALUE"),
        ({"email": "a@example.com", "hs_object_id": "7"}, "hs_object_id", "READ_ONLY_VALUE"),
        ({"lifecyclestage": "nope"}, "lifecyclestage", "INVALID_OPTION"),
        ({"hs_email_optout": "maybe"}, "hs_email_optout", "INVALID_OPTION"),
        ({"firstname": "x" * 101}, "firstname", "INVALID_VALUE"),
        ({"email": "a" * 250 + "@example.com"}, "email", "INVALID_VALUE"),
        ({"firstname": {"nested": "object"}}, "firstname", "INVALID_VALUE"),
    ],
)
def test_create_with_invalid_property_is_400_with_per_property_errors(api, db_state, properties, where, code):
    before = db_state()
    body = assert_error(api.post(URL, {"properties": properties}), 400, "VALIDATION_ERROR")
    assert [(error["in"], error["code"]) for error in body["errors"]] == [(where, code)]
    assert db_state() == before


def test_r30_read_only_status_properties_cannot_be_written_even_with_the_scope(marketing_api, db_state):
    before = db_state()
    response = marketing_api.post(URL, {"properties": {"hs_marketable_until_renewal": "true"}})
    body = assert_error(response, 400, "VALIDATION_ERROR")
    assert body["errors"][0]["code"] == "READ_ONLY_VALUE"
    assert db_state() == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"properties": None},
        {"properties": ["email"]},
        {"properties": "email=a@example.com"},
        {"properties": {}, "associations": {"to": 1}},
        [],
        "text",
        17,
        None,
    ],
)
def test_create_with_a_malformed_body_is_400(api, db_state, body):
    before = db_state()
    response = api.generic("POST", URL, json.dumps(body), content_type="application/json")
    assert_error(response, 400, "VALIDATION_ERROR")
    assert db_state() == before


def test_create_with_an_existing_email_is_409_conflict(api, db_state):
    existing = make(api, email="ada@example.com")["id"]
    before = db_state()
    body = assert_error(api.post(URL, {"properties": {"email": "ADA@example.com"}}), 409, "CONFLICT")
    assert body["message"] == f"Contact already exists. Existing ID: {existing}"
    assert db_state() == before


def test_create_with_the_email_of_an_archived_contact_is_allowed_r22(api):
    gone = make(api, email="ada@example.com")["id"]
    api.delete(contact_url(gone))
    assert make(api, email="ada@example.com")["id"] != gone


def test_create_needs_the_write_scope_r30(make_client, subscription, db_state):
    reader = make_client(scopes=(CONTACTS_READ,))
    before = db_state()
    assert_error(reader.post(URL, {"properties": {"email": "a@example.com"}}), 403, "MISSING_SCOPES")
    assert db_state() == before


def test_create_without_email_is_allowed(api):
    created = make(api, firstname="Nameless")
    assert created["properties"]["email"] == ""
    assert Contact.objects.get(pk=created["id"]).email is None


def test_create_single_contact_query_count(api, make_client, django_assert_max_num_queries):
    api.get(URL)  # the token's last use is recorded at most once a minute; not counted here
    with django_assert_max_num_queries(8):  # of which one is the workflows change feed's check (R18)
        assert api.post(URL, {"properties": {"email": "a@example.com"}}).status_code == 201
    marketing = make_client(marketing_on_create=True)
    marketing.get(URL)
    with django_assert_max_num_queries(13):  # + the tier check (R24)
        assert marketing.post(URL, {"properties": {"email": "b@example.com"}}).status_code == 201


# --- B4: the tier guard on create --------------------------------------------------------------------


@pytest.fixture
def guarded(system_actor, marketer_actor):
    """Tier limit 2, already full with two marketing contacts, tier guard on."""
    subscription = guarded_tier(system_actor=system_actor, marketer_actor=marketer_actor)
    contacts_make(count=2, actor=marketer_actor, marketing=True)
    return subscription


def test_b4_creating_a_marketing_contact_across_the_tier_needs_confirmation(guarded, make_client, db_state):
    client = make_client(marketing_on_create=True)
    before = db_state()
    body = assert_error(client.post(URL, {"properties": {"email": "a@example.com"}}), 400, "VALIDATION_ERROR")
    assert body["subCategory"] == "TIER_UPGRADE_NOT_CONFIRMED"
    assert body["context"] == {
        "becomingMarketing": ["1"],
        "countNow": ["2"],
        "countAfter": ["3"],
        "tierLimit": ["2"],
    }
    assert db_state() == before


@pytest.mark.parametrize("where", ["query", "body"])
def test_b4_confirmed_creation_across_the_tier_upgrades_it(guarded, make_client, where):
    client = make_client(marketing_on_create=True)
    body = {"properties": {"email": "a@example.com"}}
    if where == "body":
        response = client.post(URL, {**body, "confirmTierUpgrade": True})
    else:
        response = client.post(f"{URL}?confirmTierUpgrade=true", body)
    assert response.status_code == 201
    assert marketing_count() == 3
    assert Subscription.objects.get().contact_tier_limit == 4
    assert TierUpgrade.objects.count() == 1


def test_b4_status_true_on_create_across_the_tier_creates_nothing(guarded, make_client, db_state):
    client = make_client(scopes=ALL_SCOPES)  # its setting is off: the requested status is a switch
    before = db_state()
    response = client.post(URL, {"properties": {"email": "a@example.com", "hs_marketable_status": "true"}})
    assert assert_error(response, 400, "VALIDATION_ERROR")["subCategory"] == "TIER_UPGRADE_NOT_CONFIRMED"
    assert db_state() == before
    confirmed = client.post(
        URL, {"properties": {"email": "a@example.com", "hs_marketable_status": "true"}, "confirmTierUpgrade": True}
    )
    assert confirmed.status_code == 201
    assert status_of(confirmed.json()["id"])[0] is True


def test_b4_the_guard_does_not_stop_non_marketing_contacts(guarded, make_client):
    client = make_client()
    assert client.post(URL, {"properties": {"email": "a@example.com"}}).status_code == 201
    assert marketing_count() == 2


# --- Read --------------------------------------------------------------------------------------------


def test_read_by_id_is_200_with_default_properties(frozen_clock, api):
    created = make(api, email="ada@example.com", firstname="Ada", company="Analytical")
    response = api.get(contact_url(created["id"]))
    assert response.status_code == 200
    assert response.json() == {
        "id": created["id"],
        "properties": {
            "createdate": NOW,
            "email": "ada@example.com",
            "firstname": "Ada",
            "hs_object_id": created["id"],
            "lastmodifieddate": NOW,
            "lastname": "",
        },
        "createdAt": NOW,
        "updatedAt": NOW,
        "archived": False,
    }


def test_read_with_properties_and_by_email(frozen_clock, api):
    created = make(api, email="ada@example.com", company="Analytical")
    integration_id = str(api.integration.pk)
    response = api.get(
        contact_url("ADA@example.com"),
        {"idProperty": "email", "properties": "company,hs_marketable_reason_type,hs_marketable_reason_id"},
    )
    assert response.json()["properties"] == {
        "company": "Analytical",
        "createdate": NOW,
        "hs_marketable_reason_id": integration_id,
        "hs_marketable_reason_type": "INTEGRATOR_SET",
        "hs_object_id": created["id"],
        "lastmodifieddate": NOW,
    }


@pytest.mark.parametrize("contact_id", ["999999", "abc", "1.5", "-1", "99999999999999999999999", "%00", "1%00"])
def test_read_unknown_or_non_numeric_id_is_404(api, contact_id):
    make(api, email="ada@example.com")
    assert_error(api.get(contact_url(contact_id)), 404, "OBJECT_NOT_FOUND")


def test_read_archived_contact_is_404_unless_archived_is_asked_r22(frozen_clock, api):
    created = make(api, email="ada@example.com")
    api.delete(contact_url(created["id"]))
    assert_error(api.get(contact_url(created["id"])), 404, "OBJECT_NOT_FOUND")
    archived = api.get(contact_url(created["id"]), {"archived": "true"}).json()
    assert (archived["id"], archived["archived"], archived["archivedAt"]) == (created["id"], True, NOW)
    assert_error(api.get(contact_url("ada@example.com"), {"idProperty": "email"}), 404, "OBJECT_NOT_FOUND")
    live = make(api, email="other@example.com")["id"]
    assert_error(api.get(contact_url(live), {"archived": "true"}), 404, "OBJECT_NOT_FOUND")


def test_read_with_an_unknown_id_property_is_400(api):
    created = make(api, email="ada@example.com")
    body = assert_error(api.get(contact_url(created["id"]), {"idProperty": "phone"}), 400, "VALIDATION_ERROR")
    assert body["errors"][0]["code"] == "INVALID_ID_PROPERTY"


# --- Update ------------------------------------------------------------------------------------------


def test_update_plain_properties_is_200_with_the_object(frozen_clock, api):
    created = make(api, email="ada@example.com", firstname="Ada")
    frozen_clock.shift(dt.timedelta(minutes=5))
    response = api.patch(contact_url(created["id"]), {"properties": {"lastname": "Lovelace", "firstname": "Augusta"}})
    assert response.status_code == 200
    assert response.json() == {
        "id": created["id"],
        "properties": {
            "createdate": NOW,
            "email": "ada@example.com",
            "firstname": "Augusta",
            "hs_object_id": created["id"],
            "lastmodifieddate": "2026-03-10T12:05:00.000Z",
            "lastname": "Lovelace",
        },
        "createdAt": NOW,
        "updatedAt": "2026-03-10T12:05:00.000Z",
        "archived": False,
    }
    contact = Contact.objects.get(pk=created["id"])
    assert (contact.first_name, contact.last_name) == ("Augusta", "Lovelace")


def test_update_by_email(api):
    created = make(api, email="ada@example.com")
    response = api.patch(f"{contact_url('Ada@Example.com')}?idProperty=email", {"properties": {"company": "AE"}})
    assert response.status_code == 200
    assert response.json()["id"] == created["id"]
    assert Contact.objects.get(pk=created["id"]).company == "AE"


@pytest.mark.parametrize("contact_id", ["999999", "abc", "%00"])
def test_update_unknown_contact_is_404(api, contact_id):
    assert_error(api.patch(contact_url(contact_id), {"properties": {"firstname": "X"}}), 404, "OBJECT_NOT_FOUND")


def test_update_archived_contact_is_404_r22(api, db_state):
    created = make(api, email="ada@example.com")
    api.delete(contact_url(created["id"]))
    before = db_state()
    assert_error(api.patch(contact_url(created["id"]), {"properties": {"firstname": "X"}}), 404, "OBJECT_NOT_FOUND")
    assert db_state() == before


@pytest.mark.parametrize(
    ("properties", "code"),
    [
        ({"email": "not-an-email", "firstname": "X"}, "INVALID_EMAIL"),
        ({"lifecyclestage": "nope", "firstname": "X"}, "INVALID_OPTION"),
        ({"hs_marketable_reason_type": "USER_SET"}, "READ_ONLY_VALUE"),
        ({"lastmodifieddate": "2020-01-01"}, "READ_ONLY_VALUE"),
        ({"firstname": "X", "shoe_size": "44"}, "PROPERTY_DOESNT_EXIST"),
    ],
)
def test_update_with_invalid_property_is_400_and_changes_nothing(api, db_state, properties, code):
    created = make(api, email="ada@example.com", firstname="Ada")
    before = db_state()
    body = assert_error(api.patch(contact_url(created["id"]), {"properties": properties}), 400, "VALIDATION_ERROR")
    assert [error["code"] for error in body["errors"]] == [code]
    assert db_state() == before
    assert Contact.objects.get(pk=created["id"]).first_name == "Ada"


def test_update_to_an_email_another_contact_has_is_409_and_changes_nothing(api, db_state):
    taken = make(api, email="taken@example.com")["id"]
    created = make(api, email="ada@example.com", firstname="Ada")
    before = db_state()
    response = api.patch(contact_url(created["id"]), {"properties": {"email": "Taken@example.com", "firstname": "X"}})
    assert assert_error(response, 409, "CONFLICT")["message"] == f"Contact already exists. Existing ID: {taken}"
    assert db_state() == before


def test_update_needs_the_write_scope_r30(make_client, api, db_state):
    created = make(api, email="ada@example.com")
    reader = make_client(scopes=(CONTACTS_READ,))
    before = db_state()
    assert_error(reader.patch(contact_url(created["id"]), {"properties": {"firstname": "X"}}), 403, "MISSING_SCOPES")
    assert db_state() == before


def test_r30_update_of_status_without_marketing_scope_is_403_and_changes_nothing(api, marketer_actor, db_state):
    (contact,) = contacts_make(count=1, actor=marketer_actor, first_name="Ada")
    before = db_state()
    response = api.patch(contact_url(contact.pk), {"properties": {"firstname": "X", "hs_marketable_status": "true"}})
    assert_error(response, 403, "MISSING_SCOPES")
    assert db_state() == before
    assert Contact.objects.get(pk=contact.pk).first_name == "Ada"


def test_r10_status_true_makes_a_non_marketing_contact_marketing_at_once(
    frozen_clock, marketing_api, marketer_actor, history_of
):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    response = marketing_api.patch(contact_url(contact.pk), {"properties": {"hs_marketable_status": "true"}})
    assert response.status_code == 200
    integration_id = str(marketing_api.integration.pk)
    assert response.json()["properties"] == {
        "createdate": NOW,
        "email": contact.email,
        "firstname": "",
        "hs_marketable_reason_id": integration_id,
        "hs_marketable_reason_type": "INTEGRATOR_SET",
        "hs_marketable_status": "true",
        "hs_marketable_until_renewal": "false",
        "hs_object_id": str(contact.pk),
        "lastmodifieddate": NOW,
        "lastname": "",
    }
    assert status_of(contact) == (True, False, "INTEGRATOR_SET", integration_id)
    last = history_of(contact)[-1]
    assert (last["old_status"], last["new_status"], last["actor_type"], last["actor_id"]) == (
        False,
        True,
        "INTEGRATION",
        integration_id,
    )
    assert marketing_count() == 1


def test_r11_status_false_leaves_a_marketing_contact_marketing_until_the_update_date(marketing_api, marketer_actor):
    (contact,) = contacts_make(count=1, actor=marketer_actor, marketing=True)
    response = marketing_api.patch(contact_url(contact.pk), {"properties": {"hs_marketable_status": "false"}})
    assert response.status_code == 200
    properties = response.json()["properties"]
    assert (properties["hs_marketable_status"], properties["hs_marketable_until_renewal"]) == ("true", "true")
    assert status_of(contact) == (True, True, "INTEGRATOR_SET", str(marketing_api.integration.pk))
    assert marketing_count() == 1  # R21: still billed until the update date


def test_r12_status_true_on_a_pending_contact_cancels_the_switch(marketing_api, marketer_actor, history_of):
    (contact,) = contacts_make(count=1, actor=marketer_actor, pending=True)
    response = marketing_api.patch(contact_url(contact.pk), {"properties": {"hs_marketable_status": "true"}})
    properties = response.json()["properties"]
    assert (properties["hs_marketable_status"], properties["hs_marketable_until_renewal"]) == ("true", "false")
    assert status_of(contact)[:2] == (True, False)
    last = history_of(contact)[-1]
    assert (last["old_until_renewal"], last["new_until_renewal"], last["new_status"]) == (True, False, True)


@pytest.mark.parametrize(
    ("setup", "value"),
    [({"marketing": True}, "true"), ({"pending": True}, "false"), ({}, "false")],
    ids=["marketing-true", "pending-false", "non-marketing-false"],
)
def test_r13_setting_the_status_a_contact_has_changes_nothing(marketing_api, marketer_actor, setup, value):
    (contact,) = contacts_make(count=1, actor=marketer_actor, **setup)
    history = MarketingStatusChange.objects.count()
    status = status_of(contact)
    response = marketing_api.patch(contact_url(contact.pk), {"properties": {"hs_marketable_status": value}})
    assert response.status_code == 200
    assert status_of(contact) == status
    assert MarketingStatusChange.objects.count() == history


def test_update_plain_properties_keeps_the_status(marketing_api, marketer_actor):
    (contact,) = contacts_make(count=1, actor=marketer_actor, marketing=True)
    status = status_of(contact)
    marketing_api.patch(contact_url(contact.pk), {"properties": {"firstname": "Ada"}})
    assert status_of(contact) == status


def test_b4_status_true_with_plain_properties_across_the_tier_changes_nothing(
    guarded, make_client, marketer_actor, db_state
):
    (contact,) = contacts_make(count=1, actor=marketer_actor, first_name="Ada")
    client = make_client(scopes=ALL_SCOPES)
    before = db_state()
    body = {"properties": {"firstname": "Augusta", "hs_marketable_status": "true"}}
    response = client.patch(contact_url(contact.pk), body)
    assert assert_error(response, 400, "VALIDATION_ERROR")["subCategory"] == "TIER_UPGRADE_NOT_CONFIRMED"
    assert db_state() == before
    assert Contact.objects.get(pk=contact.pk).first_name == "Ada"
    confirmed = client.patch(contact_url(contact.pk), {**body, "confirmTierUpgrade": True})
    assert confirmed.status_code == 200
    assert Contact.objects.get(pk=contact.pk).first_name == "Augusta"
    assert status_of(contact)[0] is True
    assert Subscription.objects.get().contact_tier_limit == 4


def test_b4_status_false_is_never_stopped_by_the_guard(guarded, make_client):
    client = make_client(scopes=ALL_SCOPES)
    contact = Contact.objects.filter(marketable_status=True).first()
    assert client.patch(contact_url(contact.pk), {"properties": {"hs_marketable_status": "false"}}).status_code == 200
    assert status_of(contact)[:2] == (True, True)


# --- Archive -----------------------------------------------------------------------------------------


def test_archive_is_204_and_leaves_the_billable_count_at_once_r22(make_client, subscription):
    client = make_client(marketing_on_create=True)
    created = make(client, email="ada@example.com")
    assert marketing_count() == 1
    response = client.delete(contact_url(created["id"]))
    assert response.status_code == 204
    assert response.content == b""
    assert Contact.objects.get(pk=created["id"]).archived_at is not None
    assert marketing_count() == 0


def test_archive_of_an_archived_contact_is_204_again(api):
    created = make(api, email="ada@example.com")
    assert api.delete(contact_url(created["id"])).status_code == 204
    archived_at = Contact.objects.get(pk=created["id"]).archived_at
    assert api.delete(contact_url(created["id"])).status_code == 204
    assert Contact.objects.get(pk=created["id"]).archived_at == archived_at


@pytest.mark.parametrize("contact_id", ["999999", "abc", "%00", "99999999999999999999999"])
def test_archive_of_a_contact_that_never_existed_is_404(api, contact_id):
    assert_error(api.delete(contact_url(contact_id)), 404, "OBJECT_NOT_FOUND")


def test_archive_needs_the_write_scope_r30(make_client, api):
    created = make(api, email="ada@example.com")
    reader = make_client(scopes=(CONTACTS_READ,))
    assert_error(reader.delete(contact_url(created["id"])), 403, "MISSING_SCOPES")
    assert Contact.objects.get(pk=created["id"]).archived_at is None


# --- Never a 500 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        '{"properties": {"firstname": "\\ud800"}}',
        '{"properties": {"\\udfff": "x"}}',
        '{"properties": {"firstname": "a\\u0000b"}}',
        '{"properties": {"email": "a\\u0000@example.com"}}',
        "[" * 50_000 + "]" * 50_000,
        '{"properties": {"firstname": ' + "9" * 5000 + "}}",
        '{"properties": {"firstname": NaN}}',
        "{not json",
        "",
    ],
    ids=["surrogate", "surrogate-key", "nul", "nul-email", "deep", "huge-int", "nan", "broken", "empty"],
)
def test_create_with_hostile_json_is_400(api, db_state, raw):
    before = db_state()
    response = api.generic("POST", URL, raw, content_type="application/json")
    assert_error(response, 400, "VALIDATION_ERROR")
    assert db_state() == before


def test_update_with_hostile_json_is_400(api, db_state):
    created = make(api, email="ada@example.com")
    before = db_state()
    raw = '{"properties": {"lastname": "\\ud83d"}}'
    assert_error(
        api.generic("PATCH", contact_url(created["id"]), raw, content_type="application/json"), 400, "VALIDATION_ERROR"
    )
    assert db_state() == before


JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["true", "false", "ada@example.com", "lead", "", " "]),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
PROPERTY_NAMES = st.sampled_from([*PROPERTIES, "shoe_size", ""]) | st.text(max_size=10)
BODIES = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries(
        {"properties": st.dictionaries(PROPERTY_NAMES, JSON_VALUES, max_size=5)},
        optional={"associations": JSON_VALUES, "confirmTierUpgrade": JSON_VALUES},
    ),
)
# 405: a generated id can name another endpoint's path (`…/contacts/search` takes only POST).
ERROR_STATUSES = {400, 403, 404, 405, 409}


def _assert_handled(response, ok: int) -> None:
    assert response.status_code in {ok} | ERROR_STATUSES, response.content
    if response.status_code != ok:
        assert_error(response, response.status_code, response.json()["category"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES)
def test_create_never_answers_500(marketing_api, body):
    _assert_handled(marketing_api.post(URL, body), 201)


PATH_IDS = st.sampled_from(["1", "2", "0", "-3", "ada@example.com", "%00"]) | st.text(
    alphabet=string.ascii_letters + string.digits + "@._-+", min_size=1, max_size=24
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES, contact_id=PATH_IDS, id_property=st.sampled_from([None, "email", "hs_object_id", "phone"]))
def test_update_never_answers_500(marketing_api, system_actor, body, contact_id, id_property):
    if not Contact.objects.exists():
        contacts_make(count=2, actor=system_actor)
    query = f"?idProperty={id_property}" if id_property else ""
    response = marketing_api.generic(
        "PATCH", contact_url(contact_id) + query, json.dumps(body), content_type="application/json"
    )
    _assert_handled(response, 200)
