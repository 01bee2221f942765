"""`POST /crm/v3/objects/contacts/search`: HubSpot's contact search (api/search.py, api/views/search.py).

The `people` fixture holds six live contacts and one archived one, created on a frozen clock at times
that do not follow their ids, so that sorts and the id tie-break are told apart.
"""

import datetime as dt
import json
import re
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import search
from contacts.models import Contact
from contacts.properties import DEFAULT_PROPERTIES, PROPERTIES, format_datetime
from contacts.services import contacts_archive
from integrations.scopes import CONTACTS_READ, CONTACTS_WRITE, MARKETING_WRITE
from marketing_status.actors import Actor
from marketing_status.creation import contacts_create
from marketing_status.policy import CreationTool
from marketing_status.services import contacts_set_non_marketing
from tests.api.test_base import assert_error
from tests.conftest import FROZEN_START
from tests.factories import contacts_make

URL = "/crm/v3/objects/contacts/search"
MARKETING_FIELDS = ("marketable_status", "marketable_until_renewal", "marketable_reason_type", "marketable_reason_id")


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.CRM_API_RATE_LIMIT_10S = 10**9
    settings.CRM_API_RATE_LIMIT_DAILY = 10**9


def minute(n: int) -> dt.datetime:
    return FROZEN_START + dt.timedelta(minutes=n)


def epoch_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture
def reader(db, frozen_subscription, make_client):
    """A token with the read scope only: all that search needs."""
    return make_client(scopes=(CONTACTS_READ,), name="Reader")


@pytest.fixture
def people(db, frozen_subscription, frozen_clock, marketer_actor, system_actor, make_client):
    """ada 12:03 marketing · alan 12:01 non-marketing, unsubscribed · grace 12:02 marketing pending since 12:05 ·
    nemo 12:01 no email, non-marketing, no reason id · ivy 12:04 marketing by import "Import-42" · iris 12:00
    marketing by an integration · gone 12:00 marketing, archived at 12:06. Ids follow that order."""

    def create(at: int, data: dict, *, tool=CreationTool.MANUAL, actor=marketer_actor, **kwargs) -> Contact:
        frozen_clock.move_to(minute(at))
        return contacts_create(data=[data], tool=tool, actor=actor, **kwargs)[0]

    made = SimpleNamespace(
        ada=create(
            3,
            {
                "email": "Ada@Example.com",
                "first_name": "Ada",
                "last_name": "Lovelace",
                "company": "Analytical Engines",
                "phone": "+44 20 7946 0000",
                "lifecycle_stage": "customer",
            },
            marketing=True,
        ),
        alan=create(
            1,
            {
                "email": "alan@turing.org",
                "first_name": "Alan",
                "last_name": "Turing",
                "company": "Bletchley Park",
                "phone": "555-0100",
                "lifecycle_stage": "lead",
                "email_subscription": "unsubscribed",
            },
        ),
        grace=create(2, {"email": "grace@example.com", "first_name": "Grace", "last_name": "Hopper"}, marketing=True),
        nemo=create(1, {"first_name": "Nemo"}, actor=system_actor),
        ivy=create(
            4,
            {"email": "ivy@example.org", "first_name": "Ivy", "last_name": "League", "company": "Example Org"},
            tool=CreationTool.IMPORT,
            source_id="Import-42",
            marketing=True,
        ),
    )
    integration = make_client(scopes=(CONTACTS_WRITE,), marketing_on_create=True, name="Forms sync").integration
    made.iris = create(
        0,
        {"email": "iris@example.net", "first_name": "Iris"},
        tool=CreationTool.INTEGRATION,
        source_id=str(integration.pk),
        actor=Actor.for_integration(integration.pk),
    )
    made.gone = create(0, {"email": "gone@example.com", "first_name": "Ada"}, marketing=True)
    frozen_clock.move_to(minute(5))
    contacts_set_non_marketing(contacts=[made.grace.pk], actor=marketer_actor)
    frozen_clock.move_to(minute(6))
    contacts_archive(contacts=[made.gone.pk], actor=marketer_actor)
    made.integration = integration
    for name in ("ada", "alan", "grace", "nemo", "ivy", "iris", "gone"):
        getattr(made, name).refresh_from_db()
    return made


def ids(*contacts: Contact) -> list[int]:
    return sorted(contact.pk for contact in contacts)


def found(response) -> list[int]:
    body = response.json()
    assert response.status_code == 200, body
    return [int(result["id"]) for result in body["results"]]


def post(client, body):
    """The body as JSON with `ensure_ascii`, as most clients send it (a lone surrogate stays escaped)."""
    return client.generic("POST", URL, json.dumps(body), content_type="application/json")


def one_filter(client, name: str, operator: str, value=None, /, **extra):
    item = {"propertyName": name, "operator": operator, **extra}
    if value is not None:
        item["value"] = value
    return post(client, {"filterGroups": [{"filters": [item]}], "limit": 200})


def where(client, name: str, operator: str, value=None, /, **extra) -> list[int]:
    return found(one_filter(client, name, operator, value, **extra))


# --- The fixture itself, so that the expectations below are read against known values -------------------


def test_people_have_the_marketing_properties_the_tests_rely_on(people, marketer):
    marketer_id = str(marketer.pk)
    assert [Contact.objects.values_list(*MARKETING_FIELDS).get(pk=c.pk) for c in (people.ada, people.alan)] == [
        (True, False, "USER_SET", marketer_id),
        (False, False, "USER_SET", marketer_id),
    ]
    assert Contact.objects.values_list(*MARKETING_FIELDS).get(pk=people.grace.pk) == (
        True,
        True,
        "USER_SET",
        marketer_id,
    )
    assert Contact.objects.values_list(*MARKETING_FIELDS).get(pk=people.nemo.pk) == (False, False, "USER_SET", "")
    assert Contact.objects.values_list(*MARKETING_FIELDS).get(pk=people.ivy.pk) == (
        True,
        False,
        "CONTACT_IMPORT",
        "Import-42",
    )
    assert Contact.objects.values_list(*MARKETING_FIELDS).get(pk=people.iris.pk) == (
        True,
        False,
        "INTEGRATOR_SET",
        str(people.integration.pk),
    )
    assert people.gone.archived_at == minute(6)


# --- The response -----------------------------------------------------------------------------------------


def test_empty_body_finds_every_live_contact_by_id_with_default_properties_R22(reader, people):
    response = post(reader, {})
    body = response.json()
    assert response.status_code == 200
    assert body["total"] == 6
    assert [int(r["id"]) for r in body["results"]] == ids(
        people.ada, people.alan, people.grace, people.nemo, people.ivy, people.iris
    )
    assert "paging" not in body
    assert body["results"][0] == {
        "id": str(people.ada.pk),
        "properties": {
            "createdate": "2026-03-10T12:03:00.000Z",
            "email": "ada@example.com",
            "firstname": "Ada",
            "hs_object_id": str(people.ada.pk),
            "lastmodifieddate": "2026-03-10T12:03:00.000Z",
            "lastname": "Lovelace",
        },
        "createdAt": "2026-03-10T12:03:00.000Z",
        "updatedAt": "2026-03-10T12:03:00.000Z",
        "archived": False,
    }
    assert sorted(body["results"][3]["properties"]) == sorted(DEFAULT_PROPERTIES)
    assert body["results"][3]["properties"]["email"] == ""  # nemo: a blank value is ""


def test_requested_properties_include_the_marketing_ones_and_ignore_unknown_names(reader, people):
    body = post(
        reader,
        {
            "properties": ["hs_marketable_status", "hs_marketable_until_renewal", "hs_marketable_reason_type", "nope"],
            "filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": "grace@example.com"}]}],
        },
    ).json()
    assert body == {
        "total": 1,
        "results": [
            {
                "id": str(people.grace.pk),
                "properties": {
                    "createdate": "2026-03-10T12:02:00.000Z",
                    "hs_marketable_reason_type": "USER_SET",
                    "hs_marketable_status": "true",
                    "hs_marketable_until_renewal": "true",
                    "hs_object_id": str(people.grace.pk),
                    "lastmodifieddate": "2026-03-10T12:05:00.000Z",
                },
                "createdAt": "2026-03-10T12:02:00.000Z",
                "updatedAt": "2026-03-10T12:05:00.000Z",
                "archived": False,
            }
        ],
    }


def test_archived_contacts_are_never_found_R22(reader, people):
    assert where(reader, "email", "EQ", "gone@example.com") == []
    assert where(reader, "firstname", "EQ", "ada") == [people.ada.pk]
    assert where(reader, "hs_object_id", "EQ", str(people.gone.pk)) == []
    assert found(post(reader, {"query": "gone"})) == []


# --- Operators, property by property ----------------------------------------------------------------------

# (property, operator, value or extra keys, the names of the contacts found)
CASES = [
    # EQ: strings ignore case; enumerations match their one spelling; booleans; "" is no value.
    ("email", "EQ", "ADA@example.COM", ["ada"]),
    ("email", "EQ", " grace@example.com ", ["grace"]),
    ("firstname", "EQ", "aLaN", ["alan"]),
    ("lastname", "EQ", "hopper", ["grace"]),
    ("company", "EQ", "bletchley park", ["alan"]),
    ("phone", "EQ", "555-0100", ["alan"]),
    ("lifecyclestage", "EQ", "CUSTOMER", ["ada"]),
    ("lifecyclestage", "EQ", "no-such-stage", []),
    ("hs_object_source", "EQ", "import", ["ivy"]),
    ("hs_object_source_id", "EQ", "import-42", ["ivy"]),
    ("hs_email_optout", "EQ", "true", ["alan"]),
    ("hs_email_optout", "EQ", "FALSE", ["ada", "grace", "nemo", "ivy", "iris"]),
    ("hs_marketable_status", "EQ", "true", ["ada", "grace", "ivy", "iris"]),
    ("hs_marketable_status", "EQ", "false", ["alan", "nemo"]),
    ("hs_marketable_status", "EQ", True, ["ada", "grace", "ivy", "iris"]),
    ("hs_marketable_until_renewal", "EQ", "true", ["grace"]),
    ("hs_marketable_until_renewal", "EQ", "false", ["ada", "alan", "nemo", "ivy", "iris"]),
    ("hs_marketable_reason_type", "EQ", "user_set", ["ada", "alan", "grace", "nemo"]),
    ("hs_marketable_reason_type", "EQ", "INTEGRATOR_SET", ["iris"]),
    ("hs_marketable_reason_id", "EQ", "IMPORT-42", ["ivy"]),
    ("company", "EQ", "", ["grace", "nemo", "iris"]),
    ("email", "EQ", "", ["nemo"]),
    # NEQ: the complement of EQ, contacts without a value included.
    ("email", "NEQ", "ada@example.com", ["alan", "grace", "nemo", "ivy", "iris"]),
    ("firstname", "NEQ", "ADA", ["alan", "grace", "nemo", "ivy", "iris"]),
    ("lifecyclestage", "NEQ", "lead", ["ada", "grace", "nemo", "ivy", "iris"]),
    ("hs_marketable_status", "NEQ", "true", ["alan", "nemo"]),
    ("hs_marketable_until_renewal", "NEQ", "false", ["grace"]),
    ("hs_marketable_reason_type", "NEQ", "USER_SET", ["ivy", "iris"]),
    ("hs_marketable_reason_id", "NEQ", "import-42", ["ada", "alan", "grace", "nemo", "iris"]),
    ("company", "NEQ", "", ["ada", "alan", "ivy"]),
    # IN / NOT_IN
    ("email", "IN", {"values": ["ALAN@turing.org", "ivy@example.org", "nobody@example.com"]}, ["alan", "ivy"]),
    ("firstname", "IN", {"values": ["grace", "IVY"]}, ["grace", "ivy"]),
    ("lifecyclestage", "IN", {"values": ["lead", "Customer"]}, ["ada", "alan"]),
    ("hs_marketable_reason_type", "IN", {"values": ["contact_import", "INTEGRATOR_SET"]}, ["ivy", "iris"]),
    ("hs_marketable_status", "IN", {"values": ["false"]}, ["alan", "nemo"]),
    (
        "hs_marketable_until_renewal",
        "IN",
        {"values": ["true", "false"]},
        ["ada", "alan", "grace", "nemo", "ivy", "iris"],
    ),
    ("company", "IN", {"values": ["", "example org"]}, ["grace", "nemo", "ivy", "iris"]),
    ("email", "NOT_IN", {"values": ["ada@example.com", "alan@turing.org"]}, ["grace", "nemo", "ivy", "iris"]),
    ("hs_marketable_reason_type", "NOT_IN", {"values": ["USER_SET"]}, ["ivy", "iris"]),
    ("hs_marketable_status", "NOT_IN", {"values": ["true"]}, ["alan", "nemo"]),
    # HAS_PROPERTY / NOT_HAS_PROPERTY: "not null and not empty"
    ("email", "HAS_PROPERTY", None, ["ada", "alan", "grace", "ivy", "iris"]),
    ("email", "NOT_HAS_PROPERTY", None, ["nemo"]),
    ("company", "HAS_PROPERTY", None, ["ada", "alan", "ivy"]),
    ("phone", "NOT_HAS_PROPERTY", None, ["grace", "nemo", "ivy", "iris"]),
    ("lifecyclestage", "HAS_PROPERTY", None, ["ada", "alan"]),
    ("hs_marketable_status", "HAS_PROPERTY", None, ["ada", "alan", "grace", "nemo", "ivy", "iris"]),
    ("hs_marketable_status", "NOT_HAS_PROPERTY", None, []),
    ("hs_marketable_until_renewal", "HAS_PROPERTY", None, ["ada", "alan", "grace", "nemo", "ivy", "iris"]),
    ("hs_marketable_reason_type", "NOT_HAS_PROPERTY", None, []),
    ("hs_marketable_reason_id", "HAS_PROPERTY", None, ["ada", "alan", "grace", "ivy", "iris"]),
    ("hs_marketable_reason_id", "NOT_HAS_PROPERTY", None, ["nemo"]),
    ("hs_object_id", "HAS_PROPERTY", None, ["ada", "alan", "grace", "nemo", "ivy", "iris"]),
    ("createdate", "NOT_HAS_PROPERTY", None, []),
    ("hs_email_optout", "HAS_PROPERTY", None, ["ada", "alan", "grace", "nemo", "ivy", "iris"]),
    # CONTAINS_TOKEN: a whole word, `*` within a word, any case
    ("email", "CONTAINS_TOKEN", "*@example.com", ["ada", "grace"]),
    ("email", "CONTAINS_TOKEN", "*@EXAMPLE.*", ["ada", "grace", "ivy", "iris"]),
    ("email", "CONTAINS_TOKEN", "example.com", []),
    ("company", "CONTAINS_TOKEN", "engines", ["ada"]),
    ("company", "CONTAINS_TOKEN", "engine", []),
    ("company", "CONTAINS_TOKEN", "eng*", ["ada"]),
    ("company", "CONTAINS_TOKEN", "*ark", ["alan"]),
    ("company", "CONTAINS_TOKEN", "analytical engines", ["ada"]),
    ("phone", "CONTAINS_TOKEN", "7946", ["ada"]),
    ("phone", "CONTAINS_TOKEN", "+44", ["ada"]),
    ("company", "CONTAINS_TOKEN", "*", ["ada", "alan", "ivy"]),
    ("hs_marketable_reason_type", "CONTAINS_TOKEN", "*_set", ["ada", "alan", "grace", "nemo", "iris"]),
    ("hs_marketable_reason_id", "CONTAINS_TOKEN", "import-*", ["ivy"]),
    ("lifecyclestage", "CONTAINS_TOKEN", "cust*", ["ada"]),
    ("email", "NOT_CONTAINS_TOKEN", "*@example.com", ["alan", "nemo", "ivy", "iris"]),
    ("hs_marketable_reason_type", "NOT_CONTAINS_TOKEN", "user*", ["ivy", "iris"]),
    # Ranges on strings leave out contacts without a value.
    ("lastname", "LT", "M", ["ada", "grace", "ivy"]),
    ("lastname", "GTE", "Lovelace", ["ada", "alan"]),
    ("email", "BETWEEN", {"value": "ALAN@", "highValue": "h"}, ["alan", "grace"]),
    ("hs_marketable_reason_type", "GT", "initial_state", ["ada", "alan", "grace", "nemo", "iris"]),
    ("hs_marketable_reason_type", "LTE", "CONTACT_IMPORT", ["ivy"]),
    ("hs_marketable_reason_id", "BETWEEN", {"value": "Import-1", "highValue": "Import-9"}, ["ivy"]),  # case-sensitive
]


@pytest.mark.parametrize(("name", "operator", "value", "expected"), CASES)
def test_operator_on_property(reader, people, name, operator, value, expected):
    extra = value if isinstance(value, dict) else {}
    value = None if isinstance(value, dict) else value
    assert where(reader, name, operator, value, **extra) == ids(*(getattr(people, who) for who in expected))


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("EQ", "{ada}", ["ada"]),
        ("NEQ", "{ada}", ["alan", "grace", "nemo", "ivy", "iris"]),
        ("LT", "{grace}", ["ada", "alan"]),
        ("LTE", "{grace}", ["ada", "alan", "grace"]),
        ("GT", "{nemo}", ["ivy", "iris"]),
        ("GTE", "{nemo}", ["nemo", "ivy", "iris"]),
        ("BETWEEN", ("{alan}", "{nemo}"), ["alan", "grace", "nemo"]),
        ("BETWEEN", ("{nemo}", "{alan}"), []),
        ("IN", ["{ada}", "{iris}", "{gone}", "999999999"], ["ada", "iris"]),
        ("NOT_IN", ["{ada}", "{iris}"], ["alan", "grace", "nemo", "ivy"]),
    ],
)
def test_record_id_compares_as_a_number(reader, people, operator, value, expected):
    def resolve(text: str) -> str:
        return str(getattr(people, text[1:-1]).pk) if text.startswith("{") else text

    if operator == "BETWEEN":
        extra = {"value": resolve(value[0]), "highValue": resolve(value[1])}
    elif operator in ("IN", "NOT_IN"):
        extra = {"values": [resolve(item) for item in value]}
    else:
        extra = {"value": resolve(value)}
    assert where(reader, "hs_object_id", operator, **extra) == ids(*(getattr(people, who) for who in expected))


def test_record_id_accepts_a_json_number(reader, people):
    assert where(reader, "hs_object_id", "EQ", people.ivy.pk) == [people.ivy.pk]
    assert where(reader, "hs_object_id", "GT", float(people.ivy.pk)) == [people.iris.pk]


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        # Epoch milliseconds (as HubSpot sends them), as a string or a JSON number.
        ("EQ", str(epoch_ms(minute(1))), ["alan", "nemo"]),
        ("EQ", epoch_ms(minute(3)), ["ada"]),
        ("NEQ", str(epoch_ms(minute(1))), ["ada", "grace", "ivy", "iris"]),
        ("LT", str(epoch_ms(minute(2))), ["alan", "nemo", "iris"]),
        ("LTE", str(epoch_ms(minute(2))), ["alan", "grace", "nemo", "iris"]),
        ("GT", str(epoch_ms(minute(3))), ["ivy"]),
        ("GTE", str(epoch_ms(minute(3))), ["ada", "ivy"]),
        ("GT", str(epoch_ms(minute(3)) - 1), ["ada", "ivy"]),
        # ISO 8601, with or without an offset (none is UTC), or a date.
        ("EQ", "2026-03-10T12:02:00.000Z", ["grace"]),
        ("EQ", "2026-03-10T13:02:00+01:00", ["grace"]),
        ("LT", "2026-03-10T12:01:00", ["iris"]),
        ("GTE", "2026-03-10", ["ada", "alan", "grace", "nemo", "ivy", "iris"]),
        ("LT", "2026-03-10", []),
        (
            "BETWEEN",
            {"value": "2026-03-10T12:01:00Z", "highValue": str(epoch_ms(minute(3)))},
            ["ada", "alan", "grace", "nemo"],
        ),
        ("IN", {"values": [str(epoch_ms(minute(0))), "2026-03-10T12:04:00Z"]}, ["ivy", "iris"]),
        ("NOT_IN", {"values": [str(epoch_ms(minute(1)))]}, ["ada", "grace", "ivy", "iris"]),
    ],
)
def test_createdate_takes_epoch_milliseconds_or_iso_8601(reader, people, operator, value, expected):
    extra = value if isinstance(value, dict) else {"value": value}
    assert where(reader, "createdate", operator, **extra) == ids(*(getattr(people, who) for who in expected))


def test_lastmodifieddate_follows_changes_R11(reader, people):
    """grace was set as non-marketing at 12:05 (R11): her last modification is then."""
    assert where(reader, "lastmodifieddate", "GTE", "2026-03-10T12:05:00Z") == [people.grace.pk]
    assert where(reader, "lastmodifieddate", "EQ", format_datetime(people.grace.updated_at)) == [people.grace.pk]


def test_every_property_is_searchable(reader, people):
    for name in PROPERTIES:
        assert len(where(reader, name, "HAS_PROPERTY")) + len(where(reader, name, "NOT_HAS_PROPERTY")) == 6, name


def test_status_with_no_value_before_marketing_contacts_are_enabled_R1(db, make_client, system_actor):
    """Before R1 runs contacts have no marketing status: they have no hs_marketable_status value."""
    reader = make_client(scopes=(CONTACTS_READ,))
    contact = contacts_create(data=[{"email": "early@example.com"}], tool=CreationTool.MANUAL, actor=system_actor)[0]
    assert Contact.objects.values_list(*MARKETING_FIELDS).get(pk=contact.pk) == (None, False, "", "")
    assert where(reader, "hs_marketable_status", "NOT_HAS_PROPERTY") == [contact.pk]
    assert where(reader, "hs_marketable_status", "EQ", "") == [contact.pk]
    assert where(reader, "hs_marketable_status", "HAS_PROPERTY") == []
    assert where(reader, "hs_marketable_status", "EQ", "false") == []
    assert where(reader, "hs_marketable_status", "NEQ", "true") == [contact.pk]
    assert where(reader, "hs_marketable_reason_type", "NOT_HAS_PROPERTY") == [contact.pk]
    assert where(reader, "hs_marketable_reason_id", "HAS_PROPERTY") == []


# --- Groups, query, sorts ----------------------------------------------------------------------------------


def test_filters_in_a_group_are_anded_and_groups_are_ored(reader, people):
    marketing_at_example = {
        "filters": [
            {"propertyName": "hs_marketable_status", "operator": "EQ", "value": "true"},
            {"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*@example.com"},
            {"propertyName": "hs_marketable_until_renewal", "operator": "EQ", "value": "false"},
        ]
    }
    unsubscribed = {"filters": [{"propertyName": "hs_email_optout", "operator": "EQ", "value": "true"}]}
    assert found(post(reader, {"filterGroups": [marketing_at_example]})) == [people.ada.pk]
    assert found(post(reader, {"filterGroups": [marketing_at_example, unsubscribed]})) == ids(people.ada, people.alan)


def test_filters_combine_with_the_query(reader, people):
    body = {
        "query": "example",
        "filterGroups": [{"filters": [{"propertyName": "hs_marketable_status", "operator": "EQ", "value": "true"}]}],
    }
    assert found(post(reader, body)) == ids(people.ada, people.grace, people.ivy, people.iris)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lovelace", ["ada"]),  # last name
        ("EXAMPLE.COM", ["ada", "grace"]),  # email
        ("bletch", ["alan"]),  # company
        ("7946", ["ada"]),  # phone
        ("ne", ["ada", "nemo", "iris"]),  # Analytical Engines, Nemo, iris@example.net
        ("  Grace  ", ["grace"]),
        ("", ["ada", "alan", "grace", "nemo", "ivy", "iris"]),
        ("zebra", []),
        ("%", []),  # LIKE wildcards are literal
        ("_", []),
    ],
)
def test_query_is_a_case_insensitive_contains_on_the_text_properties(reader, people, query, expected):
    assert found(post(reader, {"query": query})) == ids(*(getattr(people, who) for who in expected))


def test_query_does_not_search_other_properties(reader, people):
    assert found(post(reader, {"query": "USER_SET"})) == []
    assert found(post(reader, {"query": "customer"})) == []


def in_order(*contacts: Contact) -> list[int]:
    return [contact.pk for contact in contacts]


@pytest.mark.parametrize(
    "sorts",
    [["createdate"], [{"propertyName": "createdate", "direction": "ASCENDING"}], [{"propertyName": "createdate"}]],
)
def test_sort_ascending_in_both_syntaxes_breaks_ties_by_id(reader, people, sorts):
    p = people
    assert found(post(reader, {"sorts": sorts})) == in_order(p.iris, p.alan, p.nemo, p.grace, p.ada, p.ivy)


@pytest.mark.parametrize("sorts", [["-createdate"], [{"propertyName": "createdate", "direction": "DESCENDING"}]])
def test_sort_descending_in_both_syntaxes_breaks_ties_by_id_in_the_same_direction(reader, people, sorts):
    p = people
    assert found(post(reader, {"sorts": sorts})) == in_order(p.ivy, p.ada, p.grace, p.nemo, p.alan, p.iris)


def test_sorts_on_strings_booleans_and_ids(reader, people):
    p = people
    # Blank values sort first ascending (nemo has no email), last descending.
    assert found(post(reader, {"sorts": ["email"]})) == in_order(p.nemo, p.ada, p.alan, p.grace, p.iris, p.ivy)
    assert found(post(reader, {"sorts": ["-email"]})) == in_order(p.ivy, p.iris, p.grace, p.alan, p.ada, p.nemo)
    assert found(post(reader, {"sorts": [{"propertyName": "lastname", "direction": "descending"}]})) == in_order(
        p.alan, p.ada, p.ivy, p.grace, p.iris, p.nemo
    )
    assert found(post(reader, {"sorts": ["hs_marketable_status"]})) == in_order(
        p.alan, p.nemo, p.ada, p.grace, p.ivy, p.iris
    )
    assert found(post(reader, {"sorts": ["-hs_email_optout"]})) == in_order(
        p.alan, p.iris, p.ivy, p.nemo, p.grace, p.ada
    )
    assert found(post(reader, {"sorts": ["-hs_object_id", "createdate"]})) == in_order(
        p.iris, p.ivy, p.nemo, p.grace, p.alan, p.ada
    )
    # Two sorts: status, then newest first within each status.
    assert found(post(reader, {"sorts": ["-hs_marketable_status", "-createdate"]})) == in_order(
        p.ivy, p.ada, p.grace, p.iris, p.nemo, p.alan
    )


# --- Paging and total -----------------------------------------------------------------------------------


def test_paging_by_offset_with_a_constant_total(reader, people):
    p = people
    body = {"sorts": ["-createdate"], "limit": 4, "properties": ["email"]}
    first = post(reader, body).json()
    assert (first["total"], first["paging"]) == (6, {"next": {"after": "4"}})
    assert [int(r["id"]) for r in first["results"]] == in_order(p.ivy, p.ada, p.grace, p.nemo)
    second = post(reader, {**body, "after": first["paging"]["next"]["after"]}).json()
    assert second["total"] == 6
    assert "paging" not in second
    assert [int(r["id"]) for r in second["results"]] == in_order(p.alan, p.iris)


def test_a_full_last_page_has_no_next_page(reader, people):
    body = post(reader, {"limit": 3, "after": "3"}).json()
    assert (body["total"], len(body["results"]), "paging" in body) == (6, 3, False)


def test_after_past_the_end_is_empty_with_the_total(reader, people):
    assert post(reader, {"after": "50"}).json() == {"total": 6, "results": []}
    assert post(reader, {"after": 6, "limit": 1}).json() == {"total": 6, "results": []}


def test_no_match_is_an_empty_page(reader, people):
    body = {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": "no@example.com"}]}]}
    assert post(reader, body).json() == {"total": 0, "results": []}


def test_limit_defaults_to_ten_and_accepts_two_hundred(reader, marketer_actor):
    made = contacts_make(count=205, actor=marketer_actor)
    default = post(reader, {}).json()
    assert (default["total"], len(default["results"]), default["paging"]) == (205, 10, {"next": {"after": "10"}})
    assert [int(r["id"]) for r in default["results"]] == [c.pk for c in made[:10]]
    biggest = post(reader, {"limit": 200, "after": "1"}).json()
    assert [int(r["id"]) for r in biggest["results"]] == [c.pk for c in made[1:201]]
    assert biggest["paging"] == {"next": {"after": "201"}}


def test_the_last_page_within_ten_thousand_results_is_allowed(reader, people):
    assert post(reader, {"after": "9990", "limit": 10}).json() == {"total": 6, "results": []}


def test_selector_counts_only_when_the_page_cannot_tell_the_total(people, django_assert_num_queries):
    """The page is one query; the total a COUNT on the same filtered queryset, skipped on a last page."""
    with django_assert_num_queries(2):
        page = search.contacts_search(search=search.SearchRequest(limit=2))
    assert (page.total, page.next_after) == (6, 2)
    with django_assert_num_queries(1):
        page = search.contacts_search(search=search.SearchRequest(limit=4, after=4))
    assert (page.total, page.next_after, len(page.contacts)) == (6, None, 2)
    with django_assert_num_queries(1):
        assert search.contacts_search(search=search.SearchRequest()).total == 6


def test_queries_do_not_grow_with_the_page(reader, marketer_actor):
    """No N+1: a page of 200 contacts costs the queries a page of 2 does."""
    contacts_make(count=201, actor=marketer_actor, marketing=True)
    body = {"properties": list(PROPERTIES)}
    post(reader, body)  # the token's first use may record it
    with CaptureQueriesContext(connection) as small:
        assert len(post(reader, {**body, "limit": 2}).json()["results"]) == 2
    with CaptureQueriesContext(connection) as large:
        assert len(post(reader, {**body, "limit": 200}).json()["results"]) == 200
    contact_queries = [q["sql"] for q in large.captured_queries if "contacts_contact" in q["sql"]]
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(contact_queries) == 2  # the page and the count


# --- Scopes -------------------------------------------------------------------------------------------------


def test_search_needs_the_read_scope_R30(make_client, people):
    writer = make_client(scopes=(CONTACTS_WRITE, MARKETING_WRITE))
    body = assert_error(post(writer, {}), 403, "MISSING_SCOPES")
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.objects.contacts.read"]


def test_search_without_a_token_is_401(client, people):
    assert_error(client.post(URL, {}, content_type="application/json"), 401, "INVALID_AUTHENTICATION")


def test_search_is_read_only(reader, people, db_state):
    before = db_state()
    assert len(found(post(reader, {"query": "e", "sorts": ["-createdate"]}))) == 6
    assert db_state() == before


# --- 400 VALIDATION_ERROR -----------------------------------------------------------------------------------


def filter_error(response, *, group: int = 0, index: int = 0, code: str) -> dict:
    body = assert_error(response, 400, "VALIDATION_ERROR")
    error = body["errors"][0]
    assert error["in"] == f"filterGroups[{group}].filters[{index}]"
    assert error["code"] == code
    assert error["context"]["filterGroupIndex"] == [str(group)]
    assert error["context"]["filterIndex"] == [str(index)]
    return error


BAD_FILTERS = [
    ({"propertyName": "favourite_colour", "operator": "EQ", "value": "x"}, "PROPERTY_DOESNT_EXIST"),
    ({"propertyName": "email", "operator": "LIKE", "value": "x"}, "INVALID_OPERATOR"),
    ({"propertyName": "email", "operator": 7, "value": "x"}, "INVALID_OPERATOR"),
    ({"propertyName": "email", "value": "x"}, "MISSING_OPERATOR"),
    ({"operator": "EQ", "value": "x"}, "MISSING_PROPERTY"),
    ({"propertyName": ["email"], "operator": "EQ", "value": "x"}, "INVALID_INPUT"),
    ({"propertyName": "email", "operator": "EQ"}, "MISSING_VALUE"),
    ({"propertyName": "email", "operator": "EQ", "value": None}, "MISSING_VALUE"),
    ({"propertyName": "email", "operator": "GT", "value": ""}, "MISSING_VALUE"),
    ({"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "  "}, "MISSING_VALUE"),
    ({"propertyName": "email", "operator": "EQ", "value": {"a": 1}}, "INVALID_INPUT"),
    ({"propertyName": "email", "operator": "EQ", "value": ["a"]}, "INVALID_INPUT"),
    ({"propertyName": "createdate", "operator": "GT", "value": "abc"}, "INVALID_VALUE"),
    ({"propertyName": "createdate", "operator": "EQ", "value": "2026-02-30"}, "INVALID_VALUE"),
    ({"propertyName": "createdate", "operator": "GT", "value": "9" * 16}, "INVALID_VALUE"),
    ({"propertyName": "createdate", "operator": "GT", "value": "0001-01-01T00:00:00+14:00"}, "INVALID_VALUE"),
    ({"propertyName": "lastmodifieddate", "operator": "LT", "value": "12.5"}, "INVALID_VALUE"),
    ({"propertyName": "hs_object_id", "operator": "EQ", "value": "abc"}, "INVALID_VALUE"),
    ({"propertyName": "hs_object_id", "operator": "GT", "value": "1.5"}, "INVALID_VALUE"),
    ({"propertyName": "hs_object_id", "operator": "EQ", "value": 10**30}, "INVALID_VALUE"),
    ({"propertyName": "hs_object_id", "operator": "LT", "value": str(2**63)}, "INVALID_VALUE"),
    ({"propertyName": "hs_marketable_status", "operator": "EQ", "value": "yes"}, "INVALID_VALUE"),
    ({"propertyName": "hs_marketable_until_renewal", "operator": "EQ", "value": 1}, "INVALID_VALUE"),
    ({"propertyName": "hs_email_optout", "operator": "IN", "values": ["true", "maybe"]}, "INVALID_VALUE"),
    ({"propertyName": "hs_marketable_status", "operator": "GT", "value": "true"}, "INVALID_OPERATOR"),
    ({"propertyName": "createdate", "operator": "CONTAINS_TOKEN", "value": "2026"}, "INVALID_OPERATOR"),
    ({"propertyName": "hs_object_id", "operator": "NOT_CONTAINS_TOKEN", "value": "1"}, "INVALID_OPERATOR"),
    ({"propertyName": "createdate", "operator": "BETWEEN", "value": "2026-03-10"}, "MISSING_VALUE"),
    ({"propertyName": "hs_object_id", "operator": "BETWEEN", "value": "1", "highValue": ""}, "MISSING_VALUE"),
    ({"propertyName": "hs_object_id", "operator": "BETWEEN", "highValue": "5"}, "MISSING_VALUE"),
    ({"propertyName": "email", "operator": "IN", "value": "a@example.com"}, "MISSING_VALUE"),
    ({"propertyName": "email", "operator": "IN", "values": "a@example.com"}, "MISSING_VALUE"),
    ({"propertyName": "email", "operator": "NOT_IN", "values": []}, "MISSING_VALUE"),
    ({"propertyName": "email", "operator": "IN", "values": [None]}, "MISSING_VALUE"),
    ({"propertyName": "email", "operator": "IN", "values": [f"{n}@x.org" for n in range(101)]}, "TOO_MANY_VALUES"),
    ({"propertyName": "email", "operator": "EQ", "value": "a\x00b"}, "INVALID_VALUE"),
    ({"propertyName": "email", "operator": "EQ", "value": "\ud800"}, "INVALID_VALUE"),
    ({"propertyName": "email", "operator": "EQ", "value": "x" * 3001}, "INVALID_VALUE"),
    ({"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*a*b*c*d"}, "INVALID_VALUE"),
    ("email", "INVALID_INPUT"),
    (None, "INVALID_INPUT"),
]


@pytest.mark.parametrize(("item", "code"), BAD_FILTERS)
def test_bad_filter_is_400_naming_it(reader, people, db_state, item, code):
    before = db_state()
    good = {"propertyName": "email", "operator": "HAS_PROPERTY"}
    response = post(reader, {"filterGroups": [{"filters": [good]}, {"filters": [good, item]}]})
    error = filter_error(response, group=1, index=1, code=code)
    assert error["message"]
    if isinstance(item, dict) and isinstance(item.get("propertyName"), str):
        assert error["context"]["propertyName"] == [item["propertyName"]]
    assert db_state() == before


def test_every_bad_filter_is_listed(reader, people):
    filters = [
        {"propertyName": "nope", "operator": "EQ", "value": "x"},
        {"propertyName": "email", "operator": "HAS_PROPERTY"},
        {"propertyName": "createdate", "operator": "EQ", "value": "yesterday"},
    ]
    body = assert_error(post(reader, {"filterGroups": [{"filters": filters}], "limit": 0}), 400, "VALIDATION_ERROR")
    assert [(e["in"], e["code"]) for e in body["errors"]] == [
        ("filterGroups[0].filters[0]", "PROPERTY_DOESNT_EXIST"),
        ("filterGroups[0].filters[2]", "INVALID_VALUE"),
        ("limit", "INVALID_LIMIT"),
    ]
    assert body["errors"][0]["message"] == 'Property "nope" does not exist'
    assert body["errors"][1]["context"] == {
        "filterGroupIndex": ["0"],
        "filterIndex": ["2"],
        "propertyName": ["createdate"],
    }


def test_client_text_echoed_in_errors_always_renders(reader, people):
    """A lone surrogate or a NUL character in a name is shown escaped, never a 500; in a value it is refused."""
    bad_name = {"propertyName": "\ud800", "operator": "EQ", "value": "x"}
    body = assert_error(post(reader, {"filterGroups": [{"filters": [bad_name]}]}), 400, "VALIDATION_ERROR")
    assert body["errors"][0]["message"] == 'Property "\\ud800" does not exist'
    assert body["errors"][0]["context"]["propertyName"] == ["\\ud800"]
    body = assert_error(post(reader, {"sorts": ["a\x00"]}), 400, "VALIDATION_ERROR")
    assert body["errors"] == [
        {"message": 'Property "a\x00" does not exist', "in": "sorts[0]", "code": "PROPERTY_DOESNT_EXIST"}
    ]
    bad_value = {"propertyName": "email", "operator": "EQ", "value": "\ud800"}
    body = assert_error(post(reader, {"filterGroups": [{"filters": [bad_value]}]}), 400, "VALIDATION_ERROR")
    assert body["errors"][0]["message"] == "value is not valid Unicode."
    operator = {"propertyName": "email", "operator": "\udfff"}
    body = assert_error(post(reader, {"filterGroups": [{"filters": [operator]}]}), 400, "VALIDATION_ERROR")
    assert body["errors"][0]["message"].startswith('Unknown operator "\\udfff": use one of EQ, NEQ,')


def has_email(count: int) -> dict:
    return {"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * count}


@pytest.mark.parametrize(
    "groups",
    [
        [has_email(1)] * 6,  # six groups
        [has_email(7)],  # seven filters in a group
        [has_email(5)] * 4,  # twenty filters in all
    ],
)
def test_too_many_filters_is_400(reader, people, groups):
    body = assert_error(post(reader, {"filterGroups": groups}), 400, "VALIDATION_ERROR")
    assert [(e["in"], e["code"]) for e in body["errors"]] == [("filterGroups", "TOO_MANY_FILTERS")]


def test_hubspot_limits_on_filters_are_allowed(reader, people):
    assert len(found(post(reader, {"filterGroups": [has_email(6)] * 3}))) == 5  # 18 filters
    assert len(found(post(reader, {"filterGroups": [has_email(3)] * 5}))) == 5  # 5 groups


@pytest.mark.parametrize(
    ("body", "at", "code"),
    [
        ({"filterGroups": {"filters": []}}, "filterGroups", "INVALID_INPUT"),
        ({"filterGroups": "email"}, "filterGroups", "INVALID_INPUT"),
        ({"filterGroups": [None]}, "filterGroups[0]", "INVALID_INPUT"),
        ({"filterGroups": [{"filters": []}]}, "filterGroups[0]", "INVALID_INPUT"),
        ({"filterGroups": [{"filters": {"propertyName": "email"}}]}, "filterGroups[0]", "INVALID_INPUT"),
        ({"filterGroups": [{}]}, "filterGroups[0]", "INVALID_INPUT"),
        ({"sorts": "createdate"}, "sorts", "INVALID_SORT"),
        ({"sorts": ["a", "b", "c", "d", "e", "f"]}, "sorts", "INVALID_SORT"),
        ({"sorts": ["favourite_colour"]}, "sorts[0]", "PROPERTY_DOESNT_EXIST"),
        ({"sorts": ["-"]}, "sorts[0]", "PROPERTY_DOESNT_EXIST"),
        ({"sorts": [{"propertyName": "email", "direction": "UP"}]}, "sorts[0]", "INVALID_SORT"),
        ({"sorts": [{"direction": "ASCENDING"}]}, "sorts[0]", "MISSING_PROPERTY"),
        ({"sorts": [42]}, "sorts[0]", "INVALID_INPUT"),
        ({"query": 42}, "query", "INVALID_INPUT"),
        ({"query": ["ada"]}, "query", "INVALID_INPUT"),
        ({"query": "a\x00"}, "query", "INVALID_VALUE"),
        ({"properties": "email"}, "properties", "INVALID_INPUT"),
        ({"properties": ["email", 3]}, "properties", "INVALID_INPUT"),
        ({"limit": 0}, "limit", "INVALID_LIMIT"),
        ({"limit": 201}, "limit", "INVALID_LIMIT"),
        ({"limit": -1}, "limit", "INVALID_LIMIT"),
        ({"limit": "ten"}, "limit", "INVALID_LIMIT"),
        ({"limit": True}, "limit", "INVALID_LIMIT"),
        ({"limit": 10.5}, "limit", "INVALID_LIMIT"),
        ({"limit": 10**40}, "limit", "INVALID_LIMIT"),
        ({"after": "-1"}, "after", "INVALID_AFTER"),
        ({"after": "abc"}, "after", "INVALID_AFTER"),
        ({"after": {"offset": 1}}, "after", "INVALID_AFTER"),
        ({"after": "10000"}, "after", "INVALID_AFTER"),
        ({"after": "9" * 5000}, "after", "INVALID_AFTER"),
        ({"after": "9991", "limit": 10}, "after", "INVALID_AFTER"),
        ({"after": 9999}, "after", "INVALID_AFTER"),
    ],
)
def test_malformed_request_is_400_naming_the_field(reader, people, body, at, code):
    response = post(reader, body)
    errors = assert_error(response, 400, "VALIDATION_ERROR")["errors"]
    assert [(e["in"], e["code"]) for e in errors] == [(at, code)]


@pytest.mark.parametrize("body", [[], ["filterGroups"], "search", 42, None])
def test_a_body_that_is_not_an_object_is_400(reader, people, body):
    response = post(reader, body)
    errors = assert_error(response, 400, "VALIDATION_ERROR")["errors"]
    assert [(e["in"], e["code"]) for e in errors] == [("body", "INVALID_INPUT")]


def test_invalid_json_is_400(reader, people):
    response = reader.generic("POST", URL, '{"filterGroups": [', content_type="application/json")
    assert assert_error(response, 400, "VALIDATION_ERROR")["subCategory"] == "INVALID_JSON"


def test_hubspot_accepts_numbers_and_strings_for_paging(reader, people):
    assert len(found(post(reader, {"limit": "2", "after": 1}))) == 2
    assert len(found(post(reader, {"limit": 2.0, "after": " 1 "}))) == 2
    assert len(found(post(reader, {"limit": 2, "after": ""}))) == 2
    assert len(found(post(reader, {"limit": None, "after": None, "sorts": None, "filterGroups": None}))) == 6


# --- Never a 500 ----------------------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["", "*", "**@*", "true", "\x00", "\ud800", "9" * 25, "2026-03-10T12:00:00Z", "1773144000000"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
junk_text = st.sampled_from(["\ud800", "a\x00", "x" * 200, "-", " ", "é"])  # echoed in errors: must render
names = st.sampled_from(sorted(PROPERTIES)) | junk_text | json_values
operators = (
    st.sampled_from([operator.value for operator in search.Operator] + ["eq", " BETWEEN "]) | junk_text | json_values
)
filters = st.fixed_dictionaries(
    {"propertyName": names, "operator": operators},
    optional={"value": json_values, "highValue": json_values, "values": st.lists(json_scalars, max_size=5)},
)
groups = st.fixed_dictionaries({"filters": st.lists(filters, max_size=7) | json_values})
sort_items = (
    st.sampled_from(sorted(PROPERTIES)).flatmap(lambda name: st.sampled_from([name, f"-{name}"]))
    | junk_text
    | (st.fixed_dictionaries({"propertyName": names}, optional={"direction": json_values}))
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "filterGroups": st.lists(groups, max_size=6) | json_values,
        "sorts": st.lists(sort_items, max_size=3) | json_values,
        "query": st.text(max_size=10) | json_values,
        "properties": st.lists(names, max_size=4) | json_values,
        "limit": st.integers(min_value=-5, max_value=250) | json_values,
        "after": st.integers(min_value=-5, max_value=10_050).map(str) | json_values,
    },
)


def assert_200_or_400(response) -> None:
    body = response.json()
    assert response.status_code in (200, 400), body
    if response.status_code == 200:
        assert set(body) <= {"total", "results", "paging"}
        assert body["total"] >= len(body["results"])
        return
    assert_error(response, 400, "VALIDATION_ERROR")
    for error in body.get("errors", []):
        assert isinstance(error["message"], str)
        assert all(isinstance(value, list) for value in error.get("context", {}).values())


HYPOTHESIS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HYPOTHESIS
@given(body=bodies)
def test_search_shaped_bodies_answer_200_or_400(reader, people, body):
    assert_200_or_400(post(reader, body))


@HYPOTHESIS
@given(body=json_values)
def test_any_json_body_answers_200_or_400(reader, people, body):
    assert_200_or_400(post(reader, body))


# --- Indexes (PostgreSQL) ---------------------------------------------------------------------------------------

# Rows written straight into the table, only to give the planner a table of realistic size and spread: no
# service runs, so they have no history, which a query plan does not read.
LARGE_TABLE_SQL = """
INSERT INTO contacts_contact (
    email, first_name, last_name, company, phone, lifecycle_stage, email_subscription, email_hard_bounced,
    creation_tool, creation_source_id, marketable_status, marketable_until_renewal, marketable_reason_type,
    marketable_reason_id, created_at, updated_at, archived_at
)
SELECT
    'c' || i || '@example.com', 'First' || i %% 5000, 'Last' || i %% 7000, 'Company ' || i %% 300, '555' || i,
    CASE WHEN i %% 1000 = 0 THEN 'evangelist' ELSE (ARRAY['lead', 'customer', 'subscriber', ''])[i %% 4 + 1] END,
    'subscribed', false, 'MANUAL', '', i %% 3 = 0, i %% 300 = 0,
    CASE WHEN i %% 1000 = 1 THEN 'AD' ELSE (ARRAY['USER_SET', 'CONTACT_IMPORT', 'FORM_SUBMISSION'])[i %% 3 + 1] END,
    (i %% 50)::text, now() - i * interval '1 minute', now() - i * interval '1 minute',
    CASE WHEN i %% 20 = 0 THEN now() END
FROM generate_series(1, %s) AS i
"""


def eq(name: str, value: str) -> dict:
    return {"filterGroups": [{"filters": [{"propertyName": name, "operator": "EQ", "value": value}]}]}


# A sorted page is read from an index on (key, id) in order, with no sort of every match.
# (The plain `created_at` index, finished by an incremental sort of each run of equal times, costs the same.)
CREATED = ("contact_ix_created", "contacts_contact_created_at_")
SORTED_PAGES = [
    ({}, "contacts_contact_pkey"),
    ({"sorts": ["-hs_object_id"], "after": "9000"}, "contacts_contact_pkey"),
    ({"sorts": ["-createdate"]}, CREATED),
    ({"sorts": ["createdate"], "after": "5000"}, CREATED),
    ({"sorts": [{"propertyName": "email", "direction": "ASCENDING"}]}, "contact_ix_email_sort"),
]
# A Sort node sorts every match; an Incremental Sort (whose "Sort Key" line this must not match) does not.
FULL_SORT = re.compile(r"(^|->)\s*Sort\s+\(cost", re.MULTILINE)
# Selective filters find their matches (what the total counts, and a page is taken from) through an index (one of
# those named, when several fit).
SELECTIVE_FILTERS = [
    (eq("email", "C77@Example.com"), ("contact_email_unique", "contact_ix_email_prefix")),
    (eq("firstname", "first77"), "contact_ix_first_prefix"),
    (eq("lastname", "LAST77"), "contact_ix_last_prefix"),
    (eq("phone", "55577"), "contact_ix_phone_prefix"),
    (eq("lifecyclestage", "Evangelist"), "contact_ix_lifecycle"),
    (eq("hs_marketable_reason_type", "ad"), "contact_ix_reason"),
    (eq("hs_marketable_until_renewal", "true"), "contact_pending_idx"),
    (eq("createdate", "2026-03-10T12:03:00Z"), ("contact_ix_created", "contacts_contact_created_at_")),
    (eq("hs_object_id", "77"), "contacts_contact_pkey"),
]


def _names(index: str | tuple[str, ...]) -> tuple[str, ...]:
    return (index,) if isinstance(index, str) else index


def test_searches_use_the_indexes_on_a_large_table(db):
    with connection.cursor() as cursor:
        cursor.execute(LARGE_TABLE_SQL, [60_000])
        cursor.execute("ANALYZE contacts_contact")

    def plan(body: dict, *, ordered: bool) -> str:
        request = search.search_request_parse(body)
        queryset = search.contacts_search_queryset(search=request)
        if not ordered:
            return queryset.explain()
        ordering = search.search_ordering(request.sorts)
        return queryset.order_by(*ordering)[request.after : request.after + request.limit].explain()

    misses = []
    for body, index in SORTED_PAGES:  # read in order from the index, with no sort of every match
        sorted_plan = plan(body, ordered=True)
        if not any(f"using {name}" in sorted_plan for name in _names(index)) or FULL_SORT.search(sorted_plan):
            misses.append((body, index, sorted_plan))
    for body, index in SELECTIVE_FILTERS:
        filter_plan = plan(body, ordered=False)
        if not any(name in filter_plan for name in _names(index)):
            misses.append((body, index, filter_plan))
    assert misses == [], "\n\n".join(f"{body} wants {index}:\n{p}" for body, index, p in misses)
