"""The contacts batch endpoints: read, create, update, upsert and archive (HubSpot CRM v3 shapes).

At most 100 inputs; partial failures are 207s listing errors, an invalid input refuses the whole batch.
R8 on create and upsert, R10–R13 on update and upsert, R22 on archive, R30 scopes, B4 tier guard.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import Subscription, TierUpgrade
from billing.selectors import marketing_count
from contacts.models import Contact
from contacts.properties import PROPERTIES
from integrations.scopes import CONTACTS_READ, CONTACTS_WRITE
from marketing_status.models import MarketingStatusChange
from tests.api.test_base import assert_error
from tests.api.test_contacts import ALL_SCOPES, NOW, URL, contact_url, guarded_tier, make, status_of
from tests.factories import contacts_make

READ, CREATE, UPDATE, UPSERT, ARCHIVE = (
    f"{URL}/batch/{name}" for name in ("read", "create", "update", "upsert", "archive")
)
BATCH_URLS = (READ, CREATE, UPDATE, UPSERT, ARCHIVE)
NOT_FOUND_MESSAGE = "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid."


@pytest.fixture(autouse=True)
def _rate_limits_out_of_the_way(settings):
    """Rate limits have their own tests (test_ratelimit.py); these make more requests than one window allows."""
    settings.CRM_API_RATE_LIMIT_10S = 1_000_000
    settings.CRM_API_RATE_LIMIT_DAILY = 1_000_000_000


def inputs(*properties: dict) -> dict:
    return {"inputs": [{"properties": props} for props in properties]}


def ids_of(response) -> list[str]:
    return [obj["id"] for obj in response.json()["results"]]


@pytest.fixture
def guarded(system_actor, marketer_actor):
    """Tier limit 2, already full with two marketing contacts, tier guard on (B4)."""
    subscription = guarded_tier(system_actor=system_actor, marketer_actor=marketer_actor)
    contacts_make(count=2, actor=marketer_actor, marketing=True)
    return subscription


# --- Shared input checks -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", BATCH_URLS)
def test_more_than_100_inputs_is_400_naming_the_limit(marketing_api, db_state, url):
    before = db_state()
    body = {"inputs": [{"id": f"a{n}@example.com", "properties": {}} for n in range(101)]}
    response = marketing_api.post(url, body)
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert "at most 100 inputs" in error["message"]
    assert error["errors"][0]["code"] == "TOO_MANY_INPUTS"
    assert db_state() == before


@pytest.mark.parametrize("url", BATCH_URLS)
@pytest.mark.parametrize("body", [{}, {"inputs": None}, {"inputs": {"id": "1"}}, {"inputs": "1,2"}, [], None])
def test_missing_or_non_list_inputs_is_400(marketing_api, db_state, url, body):
    before = db_state()
    response = marketing_api.generic("POST", url, json.dumps(body), content_type="application/json")
    assert_error(response, 400, "VALIDATION_ERROR")
    assert db_state() == before


@pytest.mark.parametrize("url", BATCH_URLS)
@pytest.mark.parametrize("item", [None, "1", 1, [], {"id": None}, {"id": {"n": 1}}, {"id": True}, {"id": " "}])
def test_an_input_of_the_wrong_shape_is_400(marketing_api, db_state, url, item):
    before = db_state()
    body = assert_error(marketing_api.post(url, {"inputs": [item]}), 400, "VALIDATION_ERROR")
    assert body["errors"][0]["context"]["inputIndex"] == ["0"]
    assert db_state() == before


# --- Read --------------------------------------------------------------------------------------------


def test_batch_read_is_200_with_objects_in_request_order(frozen_clock, api):
    first = make(api, email="ada@example.com", firstname="Ada")
    second = make(api, email="alan@example.com")
    response = api.post(READ, {"inputs": [{"id": second["id"]}, {"id": int(first["id"])}, {"id": second["id"]}]})
    assert response.status_code == 200
    assert response.json() == {
        "status": "COMPLETE",
        "results": [second, first],
        "startedAt": NOW,
        "completedAt": NOW,
    }


def test_batch_read_with_properties_and_emails(frozen_clock, api):
    created = make(api, email="ada@example.com", company="Analytical")
    response = api.post(
        READ,
        {
            "inputs": [{"id": "ADA@example.com"}],
            "idProperty": "email",
            "properties": ["company", "hs_marketable_status"],
        },
    )
    assert response.json()["results"][0]["properties"] == {
        "company": "Analytical",
        "createdate": NOW,
        "hs_marketable_status": "false",
        "hs_object_id": created["id"],
        "lastmodifieddate": NOW,
    }


def test_batch_read_with_missing_ids_is_207_listing_them(frozen_clock, api):
    created = make(api, email="ada@example.com")
    response = api.post(READ, {"inputs": [{"id": "999999"}, {"id": created["id"]}, {"id": "abc"}]})
    assert response.status_code == 207
    body = response.json()
    assert ids_of(response) == [created["id"]]
    assert body["numErrors"] == 1
    assert body["errors"] == [
        {
            "status": "error",
            "category": "OBJECT_NOT_FOUND",
            "message": NOT_FOUND_MESSAGE,
            "context": {"ids": ["999999", "abc"]},
            "errors": [],
            "links": {},
        }
    ]


def test_batch_read_archived_finds_only_archived_contacts_r22(api):
    live = make(api, email="live@example.com")["id"]
    gone = make(api, email="gone@example.com")["id"]
    api.delete(contact_url(gone))
    body = {"inputs": [{"id": live}, {"id": gone}]}
    default = api.post(READ, body)
    archived = api.post(f"{READ}?archived=true", body)
    assert (default.status_code, ids_of(default), default.json()["errors"][0]["context"]["ids"]) == (
        207,
        [live],
        [gone],
    )
    assert (archived.status_code, ids_of(archived), archived.json()["errors"][0]["context"]["ids"]) == (
        207,
        [gone],
        [live],
    )
    assert archived.json()["results"][0]["archived"] is True


def test_batch_read_with_empty_inputs_is_200_with_no_results(api):
    assert api.post(READ, {"inputs": []}).json()["results"] == []


@pytest.mark.parametrize("body", [{"properties": "company"}, {"properties": ["company", 3]}, {"properties": {"a": 1}}])
def test_batch_read_properties_must_be_names(api, body):
    created = make(api, email="ada@example.com", company="AE")
    response = api.post(READ, {"inputs": [{"id": created["id"]}], **body})
    if body["properties"] == "company":
        assert response.json()["results"][0]["properties"]["company"] == "AE"
    else:
        assert_error(response, 400, "VALIDATION_ERROR")


def test_batch_read_with_an_unknown_id_property_is_400(api):
    assert_error(api.post(READ, {"inputs": [{"id": "1"}], "idProperty": "phone"}), 400, "VALIDATION_ERROR")


def test_batch_read_needs_only_the_read_scope_r30(make_client, api):
    created = make(api, email="ada@example.com")
    reader = make_client(scopes=(CONTACTS_READ,))
    assert ids_of(reader.post(READ, {"inputs": [{"id": created["id"]}]})) == [created["id"]]
    writer = make_client(scopes=(CONTACTS_WRITE,))
    body = assert_error(writer.post(READ, {"inputs": [{"id": created["id"]}]}), 403, "MISSING_SCOPES")
    assert body["errors"][0]["context"]["requiredGranularScopes"] == [CONTACTS_READ]


# --- Create ------------------------------------------------------------------------------------------


def test_batch_create_is_201_with_every_object_in_input_order(frozen_clock, api):
    response = api.post(CREATE, inputs({"email": "ada@example.com", "company": "AE"}, {"firstname": "Alan"}))
    assert response.status_code == 201
    first, second = Contact.objects.order_by("pk")
    assert response.json() == {
        "status": "COMPLETE",
        "results": [
            {
                "id": str(first.pk),
                "properties": {
                    "company": "AE",
                    "createdate": NOW,
                    "email": "ada@example.com",
                    "firstname": "",
                    "hs_object_id": str(first.pk),
                    "lastmodifieddate": NOW,
                    "lastname": "",
                },
                "createdAt": NOW,
                "updatedAt": NOW,
                "archived": False,
            },
            {
                "id": str(second.pk),
                "properties": {
                    "createdate": NOW,
                    "email": "",
                    "firstname": "Alan",
                    "hs_object_id": str(second.pk),
                    "lastmodifieddate": NOW,
                    "lastname": "",
                },
                "createdAt": NOW,
                "updatedAt": NOW,
                "archived": False,
            },
        ],
        "startedAt": NOW,
        "completedAt": NOW,
    }


@pytest.mark.parametrize("marketing_on_create", [False, True])
def test_r8_batch_create_follows_the_integration_setting(make_client, subscription, marketing_on_create):
    client = make_client(marketing_on_create=marketing_on_create)
    response = client.post(CREATE, inputs(*({"email": f"b{n}@example.com"} for n in range(3))))
    integration_id = str(client.integration.pk)
    assert [status_of(contact_id) for contact_id in ids_of(response)] == [
        (marketing_on_create, False, "INTEGRATOR_SET", integration_id)
    ] * 3
    assert MarketingStatusChange.objects.filter(reason_id=integration_id).count() == 3
    assert marketing_count() == (3 if marketing_on_create else 0)


def test_batch_create_with_statuses_chosen_per_input(marketing_api):
    response = marketing_api.post(
        CREATE,
        inputs(
            {"email": "yes@example.com", "hs_marketable_status": "true"},
            {"email": "no@example.com", "hs_marketable_status": "false"},
            {"email": "default@example.com"},
        ),
    )
    assert response.status_code == 201
    integration_id = str(marketing_api.integration.pk)
    assert [status_of(contact_id) for contact_id in ids_of(response)] == [
        (True, False, "INTEGRATOR_SET", integration_id),
        (False, False, "INTEGRATOR_SET", integration_id),
        (False, False, "INTEGRATOR_SET", integration_id),
    ]
    results = response.json()["results"]
    assert [obj["properties"].get("hs_marketable_status") for obj in results] == ["true", "false", None]


def test_r30_batch_create_setting_status_without_marketing_scope_is_403_and_creates_nothing(api, db_state):
    before = db_state()
    response = api.post(
        CREATE, inputs({"email": "a@example.com"}, {"email": "b@example.com", "hs_marketable_status": "true"})
    )
    assert_error(response, 403, "MISSING_SCOPES")
    assert db_state() == before


def test_batch_create_with_an_invalid_input_refuses_the_whole_batch(api, db_state):
    before = db_state()
    response = api.post(
        CREATE,
        inputs({"email": "ok@example.com"}, {"email": "b@example.com", "shoe_size": "44"}, {"email": "not-an-email"}),
    )
    body = assert_error(response, 400, "VALIDATION_ERROR")
    assert [(error["in"], error["context"]["inputIndex"]) for error in body["errors"]] == [("shoe_size", ["1"])]
    assert db_state() == before
    # Checked by the service once the inputs' properties are valid: still named by input index.
    response = api.post(CREATE, inputs({"email": "ok@example.com"}, {"email": "b@example.com"}, {"email": "nope"}))
    body = assert_error(response, 400, "VALIDATION_ERROR")
    assert [(error["in"], error["code"], error["context"]["inputIndex"]) for error in body["errors"]] == [
        ("email", "INVALID_EMAIL", ["2"])
    ]
    assert db_state() == before


def test_batch_create_with_existing_or_repeated_emails_is_207_creating_the_others(frozen_clock, api):
    existing = make(api, email="taken@example.com")["id"]
    response = api.post(
        CREATE,
        inputs(
            {"email": "new@example.com"},
            {"email": "TAKEN@example.com"},
            {"email": "twice@example.com"},
            {"email": "Twice@example.com"},
        ),
    )
    assert response.status_code == 207
    body = response.json()
    new, twice = Contact.objects.get(email="new@example.com"), Contact.objects.get(email="twice@example.com")
    assert ids_of(response) == [str(new.pk), str(twice.pk)]
    assert body["numErrors"] == 2
    assert body["errors"] == [
        {
            "status": "error",
            "category": "CONFLICT",
            "message": f"Contact already exists. Existing ID: {existing}",
            "context": {"existingId": [existing], "inputIndex": ["1"]},
            "errors": [],
            "links": {},
        },
        {
            "status": "error",
            "category": "CONFLICT",
            "message": f"Contact already exists. Existing ID: {twice.pk}",
            "context": {"existingId": [str(twice.pk)], "inputIndex": ["3"]},
            "errors": [],
            "links": {},
        },
    ]
    assert Contact.objects.count() == 3


def test_batch_create_where_every_email_exists_is_207_with_no_results(api):
    existing = make(api, email="taken@example.com")["id"]
    response = api.post(CREATE, inputs({"email": "taken@example.com"}))
    assert (response.status_code, response.json()["results"]) == (207, [])
    assert response.json()["errors"][0]["context"]["existingId"] == [existing]
    assert Contact.objects.count() == 1


def test_batch_create_of_no_inputs_is_201_with_no_results(api):
    response = api.post(CREATE, {"inputs": []})
    assert (response.status_code, response.json()["results"]) == (201, [])


def test_batch_create_needs_the_write_scope_r30(make_client, subscription, db_state):
    reader = make_client(scopes=(CONTACTS_READ,))
    before = db_state()
    assert_error(reader.post(CREATE, inputs({"email": "a@example.com"})), 403, "MISSING_SCOPES")
    assert db_state() == before


def test_b4_batch_create_of_marketing_contacts_across_the_tier_needs_confirmation(guarded, make_client, db_state):
    client = make_client(marketing_on_create=True)
    before = db_state()
    response = client.post(CREATE, inputs({"email": "a@example.com"}, {"email": "b@example.com"}))
    body = assert_error(response, 400, "VALIDATION_ERROR")
    assert (body["subCategory"], body["context"]["countAfter"]) == ("TIER_UPGRADE_NOT_CONFIRMED", ["4"])
    assert db_state() == before
    confirmed = client.post(
        CREATE, {**inputs({"email": "a@example.com"}, {"email": "b@example.com"}), "confirmTierUpgrade": True}
    )
    assert confirmed.status_code == 201
    assert (marketing_count(), Subscription.objects.get().contact_tier_limit, TierUpgrade.objects.count()) == (4, 4, 1)


def test_batch_create_of_100_is_one_set_based_creation(api, make_client, django_assert_max_num_queries):
    body = inputs(*({"email": f"c{n}@example.com", "firstname": f"F{n}"} for n in range(100)))
    api.get(URL)  # the token's last use is recorded at most once a minute; not counted here
    with django_assert_max_num_queries(10):
        response = api.post(CREATE, body)
    assert (response.status_code, len(response.json()["results"])) == (201, 100)
    marketing = make_client(marketing_on_create=True)
    marketing.get(URL)
    body = inputs(*({"email": f"m{n}@example.com"} for n in range(100)))
    with django_assert_max_num_queries(15):  # + the tier check (R24)
        assert marketing.post(CREATE, body).status_code == 201
    assert Contact.objects.count() == 200
    assert marketing_count() == 100


# --- Update ------------------------------------------------------------------------------------------


def test_batch_update_is_200_with_the_updated_objects(frozen_clock, api):
    first = make(api, email="ada@example.com")["id"]
    second = make(api, email="alan@example.com")["id"]
    response = api.post(
        UPDATE,
        {
            "inputs": [
                {"id": second, "properties": {"lastname": "Turing"}},
                {"id": "ADA@example.com", "idProperty": "email", "properties": {"company": "AE"}},
            ]
        },
    )
    assert response.status_code == 200
    assert ids_of(response) == [second, first]
    assert response.json()["results"][1]["properties"] == {
        "company": "AE",
        "createdate": NOW,
        "email": "ada@example.com",
        "firstname": "",
        "hs_object_id": first,
        "lastmodifieddate": NOW,
        "lastname": "",
    }
    assert Contact.objects.get(pk=second).last_name == "Turing"
    assert Contact.objects.get(pk=first).company == "AE"


def test_batch_update_with_a_top_level_id_property(api):
    created = make(api, email="ada@example.com")["id"]
    response = api.post(
        UPDATE, {"idProperty": "email", "inputs": [{"id": "ada@example.com", "properties": {"phone": "1"}}]}
    )
    assert ids_of(response) == [created]


def test_batch_update_with_missing_ids_is_207_updating_the_others(api):
    created = make(api, email="ada@example.com")["id"]
    gone = make(api, email="gone@example.com")["id"]
    api.delete(contact_url(gone))
    response = api.post(
        UPDATE,
        {
            "inputs": [
                {"id": "999999", "properties": {"firstname": "X"}},
                {"id": created, "properties": {"firstname": "Ada"}},
                {"id": gone, "properties": {"firstname": "X"}},
            ]
        },
    )
    assert response.status_code == 207
    assert ids_of(response) == [created]
    assert response.json()["errors"][0]["context"] == {"ids": ["999999", gone]}
    assert Contact.objects.get(pk=created).first_name == "Ada"
    assert Contact.objects.get(pk=gone).first_name == ""


def test_batch_update_with_an_invalid_input_changes_nothing(api, db_state):
    first = make(api, email="ada@example.com", firstname="Ada")["id"]
    second = make(api, email="alan@example.com")["id"]
    before = db_state()
    body = {
        "inputs": [{"id": first, "properties": {"firstname": "X"}}, {"id": second, "properties": {"email": "nope"}}]
    }
    error = assert_error(api.post(UPDATE, body), 400, "VALIDATION_ERROR")
    assert [(e["in"], e["code"], e["context"]["inputIndex"]) for e in error["errors"]] == [
        ("email", "INVALID_EMAIL", ["1"])
    ]
    assert db_state() == before
    assert Contact.objects.get(pk=first).first_name == "Ada"
    body = {
        "inputs": [{"id": first, "properties": {"firstname": "X"}}, {"id": second, "properties": {"hs_object_id": "1"}}]
    }
    assert assert_error(api.post(UPDATE, body), 400, "VALIDATION_ERROR")["errors"][0]["code"] == "READ_ONLY_VALUE"
    assert db_state() == before


def test_batch_update_to_a_taken_email_is_409_and_changes_nothing(api, db_state):
    taken = make(api, email="taken@example.com")["id"]
    first = make(api, email="ada@example.com", firstname="Ada")["id"]
    before = db_state()
    body = {
        "inputs": [
            {"id": first, "properties": {"firstname": "X"}},
            {"id": "taken@example.com", "idProperty": "email", "properties": {"email": "ada@example.com"}},
        ]
    }
    response = api.post(UPDATE, body)
    assert assert_error(response, 409, "CONFLICT")["message"] == f"Contact already exists. Existing ID: {first}"
    assert db_state() == before
    assert Contact.objects.get(pk=taken).email == "taken@example.com"


def test_batch_update_naming_one_contact_twice_is_400(api, db_state):
    created = make(api, email="ada@example.com")["id"]
    before = db_state()
    body = {
        "inputs": [
            {"id": created, "properties": {"firstname": "A"}},
            {"id": "ada@example.com", "idProperty": "email", "properties": {"firstname": "B"}},
        ]
    }
    error = assert_error(api.post(UPDATE, body), 400, "VALIDATION_ERROR")
    assert error["errors"][0]["context"]["inputIndex"] == ["1"]
    assert db_state() == before


def test_batch_update_r10_r11_r12_r13_statuses(marketing_api, marketer_actor):
    non_marketing, marketing, pending, already = (
        contacts_make(count=1, actor=marketer_actor)[0],
        contacts_make(count=1, actor=marketer_actor, marketing=True)[0],
        contacts_make(count=1, actor=marketer_actor, pending=True)[0],
        contacts_make(count=1, actor=marketer_actor, marketing=True)[0],
    )
    already_status = status_of(already)
    history = MarketingStatusChange.objects.count()
    response = marketing_api.post(
        UPDATE,
        {
            "inputs": [
                {"id": str(non_marketing.pk), "properties": {"hs_marketable_status": "true"}},
                {"id": str(marketing.pk), "properties": {"hs_marketable_status": "false"}},
                {"id": str(pending.pk), "properties": {"hs_marketable_status": "true"}},
                {"id": str(already.pk), "properties": {"hs_marketable_status": "true"}},
            ]
        },
    )
    assert response.status_code == 200
    integration_id = str(marketing_api.integration.pk)
    assert status_of(non_marketing) == (True, False, "INTEGRATOR_SET", integration_id)  # R10
    assert status_of(marketing) == (True, True, "INTEGRATOR_SET", integration_id)  # R11
    assert status_of(pending) == (True, False, "INTEGRATOR_SET", integration_id)  # R12
    assert status_of(already) == already_status  # R13
    assert MarketingStatusChange.objects.count() == history + 3
    statuses = [
        (obj["properties"]["hs_marketable_status"], obj["properties"]["hs_marketable_until_renewal"])
        for obj in response.json()["results"]
    ]
    assert statuses == [("true", "false"), ("true", "true"), ("true", "false"), ("true", "false")]


def test_r30_batch_update_of_status_without_marketing_scope_is_403_and_changes_nothing(api, marketer_actor, db_state):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    before = db_state()
    body = {"inputs": [{"id": str(contact.pk), "properties": {"firstname": "X", "hs_marketable_status": "true"}}]}
    assert_error(api.post(UPDATE, body), 403, "MISSING_SCOPES")
    assert db_state() == before


def test_b4_batch_update_across_the_tier_changes_nothing_unless_confirmed(
    guarded, make_client, marketer_actor, db_state
):
    (contact,) = contacts_make(count=1, actor=marketer_actor, first_name="Ada")
    client = make_client(scopes=ALL_SCOPES)
    before = db_state()
    body = {"inputs": [{"id": str(contact.pk), "properties": {"firstname": "X", "hs_marketable_status": "true"}}]}
    assert (
        assert_error(client.post(UPDATE, body), 400, "VALIDATION_ERROR")["subCategory"] == "TIER_UPGRADE_NOT_CONFIRMED"
    )
    assert db_state() == before
    assert client.post(f"{UPDATE}?confirmTierUpgrade=true", body).status_code == 200
    assert (Contact.objects.get(pk=contact.pk).first_name, status_of(contact)[0]) == ("X", True)


# --- Upsert ------------------------------------------------------------------------------------------


def test_batch_upsert_creates_missing_and_updates_existing_contacts(frozen_clock, api):
    existing = make(api, email="ada@example.com", firstname="Ada")["id"]
    response = api.post(
        UPSERT,
        {
            "inputs": [
                {"idProperty": "email", "id": "Ada@Example.com", "properties": {"lastname": "Lovelace"}},
                {"idProperty": "email", "id": "alan@example.com", "properties": {"firstname": "Alan"}},
            ]
        },
    )
    assert response.status_code == 200
    new = Contact.objects.get(email="alan@example.com")
    body = response.json()
    assert (body["status"], body["startedAt"], body["completedAt"]) == ("COMPLETE", NOW, NOW)
    assert body["results"] == [
        {
            "id": existing,
            "properties": {
                "createdate": NOW,
                "email": "ada@example.com",
                "firstname": "Ada",
                "hs_object_id": existing,
                "lastmodifieddate": NOW,
                "lastname": "Lovelace",
            },
            "createdAt": NOW,
            "updatedAt": NOW,
            "archived": False,
            "new": False,
        },
        {
            "id": str(new.pk),
            "properties": {
                "createdate": NOW,
                "email": "alan@example.com",
                "firstname": "Alan",
                "hs_object_id": str(new.pk),
                "lastmodifieddate": NOW,
                "lastname": "",
            },
            "createdAt": NOW,
            "updatedAt": NOW,
            "archived": False,
            "new": True,
        },
    ]


def test_r8_batch_upsert_creates_as_the_integration_and_keeps_existing_statuses(
    make_client, subscription, marketer_actor
):
    (old,) = contacts_make(count=1, actor=marketer_actor)
    old_status = status_of(old)
    client = make_client(marketing_on_create=True)
    response = client.post(
        UPSERT,
        {
            "inputs": [
                {"idProperty": "email", "id": old.email, "properties": {"firstname": "Old"}},
                {"idProperty": "email", "id": "fresh@example.com", "properties": {}},
            ]
        },
    )
    assert [obj["new"] for obj in response.json()["results"]] == [False, True]
    assert status_of(old) == old_status
    fresh = Contact.objects.get(email="fresh@example.com")
    assert status_of(fresh) == (True, False, "INTEGRATOR_SET", str(client.integration.pk))
    assert (fresh.creation_tool, fresh.creation_source_id) == ("INTEGRATION", str(client.integration.pk))


def test_batch_upsert_with_status_follows_r10_r11(marketing_api, marketer_actor):
    (marketing,) = contacts_make(count=1, actor=marketer_actor, marketing=True)
    response = marketing_api.post(
        UPSERT,
        {
            "inputs": [
                {"idProperty": "email", "id": marketing.email, "properties": {"hs_marketable_status": "false"}},
                {"idProperty": "email", "id": "new@example.com", "properties": {"hs_marketable_status": "true"}},
            ]
        },
    )
    assert response.status_code == 200
    assert status_of(marketing)[:2] == (True, True)  # R11
    assert status_of(Contact.objects.get(email="new@example.com"))[:2] == (True, False)


def test_r30_batch_upsert_setting_status_without_marketing_scope_is_403(api, db_state):
    before = db_state()
    body = {"inputs": [{"idProperty": "email", "id": "a@example.com", "properties": {"hs_marketable_status": "true"}}]}
    assert_error(api.post(UPSERT, body), 403, "MISSING_SCOPES")
    assert db_state() == before


@pytest.mark.parametrize(
    "item",
    [
        {"idProperty": "hs_object_id", "id": "1", "properties": {}},
        {"idProperty": "email", "id": "a@example.com", "properties": {"email": "b@example.com"}},
        {"idProperty": "email", "id": "not-an-email", "properties": {}},
        {"idProperty": "email", "id": "a@example.com", "properties": {"shoe_size": "44"}},
        {"idProperty": "email", "id": "a@example.com"},
    ],
    ids=["by-record-id", "other-email", "invalid-email", "unknown-property", "no-properties"],
)
def test_batch_upsert_with_an_invalid_input_is_400_and_changes_nothing(api, db_state, item):
    make(api, email="ok@example.com")
    before = db_state()
    body = {"inputs": [{"idProperty": "email", "id": "ok@example.com", "properties": {"firstname": "X"}}, item]}
    error = assert_error(api.post(UPSERT, body), 400, "VALIDATION_ERROR")
    assert error["errors"][0]["context"]["inputIndex"] == ["1"]
    assert db_state() == before


def test_batch_upsert_naming_one_email_twice_is_400(api, db_state):
    before = db_state()
    body = {"inputs": [{"id": "a@example.com", "properties": {}}, {"id": "A@example.com ", "properties": {}}]}
    assert_error(api.post(UPSERT, body), 400, "VALIDATION_ERROR")
    assert db_state() == before


def test_batch_upsert_of_an_archived_contacts_email_creates_a_new_contact_r22(api):
    gone = make(api, email="ada@example.com")["id"]
    api.delete(contact_url(gone))
    response = api.post(UPSERT, {"inputs": [{"idProperty": "email", "id": "ada@example.com", "properties": {}}]})
    (result,) = response.json()["results"]
    assert (result["new"], result["id"] != gone) == (True, True)


def test_b4_batch_upsert_creating_marketing_contacts_across_the_tier_changes_nothing(
    guarded, make_client, marketer_actor, db_state
):
    (existing,) = contacts_make(count=1, actor=marketer_actor, first_name="Ada")
    client = make_client(marketing_on_create=True)
    before = db_state()
    body = {
        "inputs": [
            {"idProperty": "email", "id": existing.email, "properties": {"firstname": "X"}},
            {"idProperty": "email", "id": "new@example.com", "properties": {}},
        ]
    }
    assert (
        assert_error(client.post(UPSERT, body), 400, "VALIDATION_ERROR")["subCategory"] == "TIER_UPGRADE_NOT_CONFIRMED"
    )
    assert db_state() == before
    assert client.post(UPSERT, {**body, "confirmTierUpgrade": True}).status_code == 200
    assert Contact.objects.get(pk=existing.pk).first_name == "X"


# --- Archive -----------------------------------------------------------------------------------------


def test_batch_archive_is_204_and_leaves_the_billable_count_r22(make_client, subscription):
    client = make_client(marketing_on_create=True)
    kept, first, second = (make(client, email=f"{name}@example.com")["id"] for name in ("kept", "first", "second"))
    response = client.post(
        ARCHIVE, {"inputs": [{"id": first}, {"id": second}, {"id": "999999"}, {"id": "abc"}, {"id": first}]}
    )
    assert (response.status_code, response.content) == (204, b"")
    assert set(Contact.objects.filter(archived_at__isnull=False).values_list("pk", flat=True)) == {
        int(first),
        int(second),
    }
    assert marketing_count() == 1
    assert client.post(ARCHIVE, {"inputs": [{"id": first}]}).status_code == 204
    assert Contact.objects.get(pk=kept).archived_at is None


def test_batch_archive_needs_the_write_scope_r30(make_client, api):
    created = make(api, email="ada@example.com")["id"]
    reader = make_client(scopes=(CONTACTS_READ,))
    assert_error(reader.post(ARCHIVE, {"inputs": [{"id": created}]}), 403, "MISSING_SCOPES")
    assert Contact.objects.get(pk=created).archived_at is None


# --- Never a 500 -------------------------------------------------------------------------------------

JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["1", "true", "false", "ada@example.com", "email", "hs_object_id", ""]),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
INPUTS = st.fixed_dictionaries(
    {},
    optional={
        "id": JSON_LEAVES,
        "idProperty": JSON_LEAVES,
        "properties": st.dictionaries(
            st.sampled_from([*PROPERTIES, "x"]) | st.text(max_size=8), JSON_VALUES, max_size=4
        )
        | JSON_VALUES,
        "associations": JSON_VALUES,
    },
)
BODIES = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries(
        {"inputs": st.lists(INPUTS | JSON_VALUES, max_size=4)},
        optional={"idProperty": JSON_LEAVES, "properties": JSON_VALUES, "confirmTierUpgrade": JSON_VALUES},
    ),
)
OK = {READ: {200, 207}, CREATE: {201, 207}, UPDATE: {200, 207}, UPSERT: {200}, ARCHIVE: {204}}


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(url=st.sampled_from(BATCH_URLS), body=BODIES)
def test_batch_endpoints_never_answer_500(marketing_api, system_actor, url, body):
    if not Contact.objects.exists():
        contacts_make(count=2, actor=system_actor)
    response = marketing_api.post(url, body)
    assert response.status_code in OK[url] | {400, 403, 404, 409}, response.content
    if response.status_code >= 400:
        assert_error(response, response.status_code, response.json()["category"])
