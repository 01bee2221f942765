"""The marketing-status endpoints (B1) and usage (R23): R10–R13, R20, R21, R23, R24, R30, B4 through the API."""

import datetime as dt

import pytest
from drf_spectacular.generators import SchemaGenerator

from billing.models import Subscription, TierUpgrade
from billing.policy import BillingCycle, HubTier
from billing.selectors import marketing_count, update_moment
from billing.services import subscription_create, subscription_set_tier_guard
from contacts.models import Contact
from contacts.properties import format_datetime
from contacts.services import contacts_archive
from integrations.scopes import CONTACTS_READ, CONTACTS_WRITE, MARKETING_WRITE
from marketing_status.models import MarketingStatusChange
from tests.api.conftest import ALL
from tests.api.test_base import assert_error
from tests.conftest import FROZEN_START
from tests.factories import contacts_make

SET_MARKETING = "/marketing/v3/marketing-contacts/batch/set-marketing"
SET_NON_MARKETING = "/marketing/v3/marketing-contacts/batch/set-non-marketing"
USAGE = "/marketing/v3/marketing-contacts/usage"
NOW = "2026-03-10T12:00:00.000Z"  # FROZEN_START as HubSpot writes timestamps
# R20: the frozen subscription renews monthly on the 15th; on 2026-03-10 the next update date is 2026-03-15,
# which begins at midnight in the account's time zone (UTC in tests).
NEXT_UPDATE = dt.date(2026, 3, 15)
EFFECTIVE_AT = "2026-03-15T00:00:00.000Z"


@pytest.fixture
def mapi(make_client, db, frozen_subscription):
    """All scopes, marketing contacts enabled, the clock frozen at 2026-03-10 12:00 UTC."""
    return make_client(scopes=ALL)


def _inputs(*contacts) -> dict:
    return {"inputs": [{"id": str(getattr(contact, "pk", contact))} for contact in contacts]}


def _status(contact) -> tuple:
    contact = Contact.objects.get(pk=contact.pk)
    return (
        contact.marketable_status,
        contact.marketable_until_renewal,
        contact.marketable_reason_type,
        contact.marketable_reason_id,
    )


def _result(contact, *, status: str, until_renewal: str, changed: bool) -> dict:
    pending = until_renewal == "true"
    return {
        "id": str(contact.pk),
        "hs_marketable_status": status,
        "hs_marketable_until_renewal": until_renewal,
        "pending": pending,
        "changed": changed,
        "effectiveAt": EFFECTIVE_AT if pending else None,
    }


def _ok(results: list) -> dict:
    return {"status": "COMPLETE", "results": results, "startedAt": NOW, "completedAt": NOW}


def _integration_row(client, **change) -> dict:
    """A history row written by the API: INTEGRATOR_SET with the integration's id, acted by the integration."""
    integration_id = str(client.integration.pk)
    return {
        "changed_at": FROZEN_START,
        "reason_type": "INTEGRATOR_SET",
        "reason_id": integration_id,
        "actor_type": "INTEGRATION",
        "actor_id": integration_id,
        "actor_user": None,
        **change,
    }


# --- Transitions (R10–R12) -----------------------------------------------------------------------


def test_set_marketing_makes_non_marketing_contacts_marketing_at_once_R10_B1(mapi, marketer_actor, history_of):
    contacts = contacts_make(count=2, actor=marketer_actor)
    assert marketing_count() == 0

    response = mapi.post(SET_MARKETING, _inputs(*contacts))

    assert response.status_code == 200, response.json()
    assert response.json() == _ok([_result(c, status="true", until_renewal="false", changed=True) for c in contacts])
    integration_id = str(mapi.integration.pk)
    for contact in contacts:
        assert _status(contact) == (True, False, "INTEGRATOR_SET", integration_id)
        assert history_of(contact)[-1] == _integration_row(
            mapi, old_status=False, new_status=True, old_until_renewal=False, new_until_renewal=False
        )
    assert marketing_count() == 2  # R10, R21: it counts at once


def test_set_non_marketing_leaves_contacts_marketing_until_the_update_date_R11_R20(mapi, marketer_actor, history_of):
    contacts = contacts_make(count=2, actor=marketer_actor, marketing=True)

    response = mapi.post(SET_NON_MARKETING, _inputs(*contacts))

    assert response.status_code == 200, response.json()
    assert response.json() == _ok([_result(c, status="true", until_renewal="true", changed=True) for c in contacts])
    assert response.json()["results"][0]["effectiveAt"] == EFFECTIVE_AT == format_datetime(update_moment(NEXT_UPDATE))
    assert update_moment(NEXT_UPDATE) == dt.datetime(2026, 3, 15, tzinfo=dt.UTC)  # midnight in the test time zone
    for contact in contacts:
        assert _status(contact) == (True, True, "INTEGRATOR_SET", str(mapi.integration.pk))
        assert history_of(contact)[-1] == _integration_row(
            mapi, old_status=True, new_status=True, old_until_renewal=False, new_until_renewal=True
        )
    assert marketing_count() == 2  # R11, R21: pending contacts keep counting


def test_set_marketing_cancels_a_pending_switch_R12(mapi, marketer_actor, history_of):
    [contact] = contacts_make(count=1, actor=marketer_actor, pending=True)
    assert _status(contact)[:2] == (True, True)

    response = mapi.post(SET_MARKETING, _inputs(contact))

    assert response.status_code == 200, response.json()
    assert response.json() == _ok([_result(contact, status="true", until_renewal="false", changed=True)])
    assert _status(contact) == (True, False, "INTEGRATOR_SET", str(mapi.integration.pk))
    assert history_of(contact)[-1] == _integration_row(
        mapi, old_status=True, new_status=True, old_until_renewal=True, new_until_renewal=False
    )
    assert marketing_count() == 1


def test_mixed_batch_answers_per_contact_from_its_state_after_the_switch_R11_R13(mapi, marketer_actor):
    [marketing] = contacts_make(count=1, actor=marketer_actor, marketing=True)
    [pending] = contacts_make(count=1, actor=marketer_actor, pending=True)
    [non_marketing] = contacts_make(count=1, actor=marketer_actor)
    history = MarketingStatusChange.objects.count()

    response = mapi.post(SET_NON_MARKETING, _inputs(marketing, pending, non_marketing))

    assert response.status_code == 200, response.json()
    assert response.json() == _ok(
        [
            _result(marketing, status="true", until_renewal="true", changed=True),
            _result(pending, status="true", until_renewal="true", changed=False),
            _result(non_marketing, status="false", until_renewal="false", changed=False),
        ]
    )
    assert MarketingStatusChange.objects.count() == history + 1


# --- Idempotence (R13) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "make", "status", "until_renewal"),
    [
        (SET_MARKETING, {"marketing": True}, "true", "false"),
        (SET_NON_MARKETING, {}, "false", "false"),
        (SET_NON_MARKETING, {"pending": True}, "true", "true"),
    ],
    ids=["marketing-to-marketing", "non-marketing-to-non-marketing", "pending-to-non-marketing"],
)
def test_setting_the_status_a_contact_has_changes_nothing_R13(
    mapi, marketer_actor, db_state, url, make, status, until_renewal
):
    [contact] = contacts_make(count=1, actor=marketer_actor, **make)
    before = db_state()

    response = mapi.post(url, _inputs(contact))

    assert response.status_code == 200, response.json()
    assert response.json() == _ok([_result(contact, status=status, until_renewal=until_renewal, changed=False)])
    assert db_state() == before


@pytest.mark.parametrize("url", [SET_MARKETING, SET_NON_MARKETING])
def test_repeating_a_request_changes_nothing_the_second_time_R13(mapi, marketer_actor, db_state, url):
    contacts = contacts_make(count=2, actor=marketer_actor, marketing=url == SET_NON_MARKETING)
    first = mapi.post(url, _inputs(*contacts))
    assert [result["changed"] for result in first.json()["results"]] == [True, True]
    after_first = db_state()

    second = mapi.post(url, _inputs(*contacts))

    assert second.status_code == 200
    assert [result["changed"] for result in second.json()["results"]] == [False, False]
    assert [{**r, "changed": True} for r in second.json()["results"]] == first.json()["results"]
    assert db_state() == after_first


def test_duplicated_ids_are_applied_once_B1(mapi, marketer_actor, history_of):
    [contact] = contacts_make(count=1, actor=marketer_actor)
    body = {"inputs": [{"id": str(contact.pk)}, {"id": contact.pk}, {"id": f" {contact.pk} "}]}

    response = mapi.post(SET_MARKETING, body)

    assert response.status_code == 200, response.json()
    assert response.json() == _ok([_result(contact, status="true", until_renewal="false", changed=True)])
    assert len(history_of(contact)) == 2  # its creation, then one switch


# --- idProperty=email ----------------------------------------------------------------------------


def test_contacts_can_be_named_by_email_B1(mapi, marketer_actor, history_of):
    first, second = contacts_make(count=2, actor=marketer_actor)
    body = {
        "inputs": [{"id": first.email.upper()}, {"id": second.email}, {"id": first.email}],
        "idProperty": "email",
    }

    response = mapi.post(SET_MARKETING, body)

    assert response.status_code == 200, response.json()
    assert response.json() == _ok(
        [_result(c, status="true", until_renewal="false", changed=True) for c in (first, second)]
    )
    assert [len(history_of(c)) for c in (first, second)] == [2, 2]


def test_a_record_id_does_not_match_an_email_B1(mapi, marketer_actor, db_state):
    [contact] = contacts_make(count=1, actor=marketer_actor)
    before = db_state()

    response = mapi.post(SET_MARKETING, {"inputs": [{"id": contact.email}]})

    assert response.status_code == 207
    assert response.json()["errors"][0]["context"] == {"ids": [contact.email]}
    assert db_state() == before


# --- Not found: 207 ------------------------------------------------------------------------------


def test_ids_not_found_are_reported_and_the_others_applied_207_R22(mapi, marketer_actor, history_of):
    live, archived = contacts_make(count=2, actor=marketer_actor)
    contacts_archive(contacts=[archived.pk], actor=marketer_actor)
    archived_history = history_of(archived)
    missing = ["999999999", "abc", str(archived.pk), "99999999999999999999999999999", "-1", "1.5"]

    response = mapi.post(SET_MARKETING, {"inputs": [{"id": i} for i in (missing[0], str(live.pk), *missing[1:])]})

    assert response.status_code == 207, response.json()
    body = response.json()
    assert body["status"] == "COMPLETE"
    assert body["results"] == [_result(live, status="true", until_renewal="false", changed=True)]
    assert body["numErrors"] == 1
    [error] = body["errors"]
    assert error == {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": error["message"],
        "context": {"ids": missing},
        "errors": [],
        "links": {},
    }
    assert "999999999, abc" in error["message"]
    assert (body["startedAt"], body["completedAt"]) == (NOW, NOW)
    assert _status(live)[:2] == (True, False)
    assert history_of(archived) == archived_history  # R22: an archived contact is not switched


@pytest.mark.parametrize("url", [SET_MARKETING, SET_NON_MARKETING])
def test_no_id_found_is_207_with_no_results(mapi, marketer_actor, db_state, url):
    contacts_make(count=1, actor=marketer_actor, marketing=True)
    before = db_state()

    response = mapi.post(url, {"inputs": [{"id": "123456789"}, {"id": 123456789}]})

    assert response.status_code == 207
    assert response.json()["results"] == []
    assert response.json()["errors"][0]["context"] == {"ids": ["123456789"]}
    assert db_state() == before


# --- Input validation -----------------------------------------------------------------------------


def test_a_hundred_inputs_are_accepted_B1(mapi, marketer_actor):
    contacts = contacts_make(count=100, actor=marketer_actor)

    response = mapi.post(SET_MARKETING, _inputs(*contacts))

    assert response.status_code == 200
    assert len(response.json()["results"]) == 100
    assert marketing_count() == 100


def test_more_than_a_hundred_inputs_is_400_and_changes_nothing_B1(mapi, marketer_actor, db_state):
    contacts = contacts_make(count=101, actor=marketer_actor)
    before = db_state()

    body = assert_error(mapi.post(SET_MARKETING, _inputs(*contacts)), 400, "VALIDATION_ERROR")

    assert body["errors"] == [
        {"message": "Ensure this field has no more than 100 elements.", "in": "inputs", "code": "MAX_LENGTH"}
    ]
    assert db_state() == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"inputs": []},
        {"inputs": None},
        {"inputs": "1"},
        {"inputs": {"id": "1"}},
        {"inputs": [1]},
        {"inputs": [None]},
        {"inputs": [{}]},
        {"inputs": [{"id": None}]},
        {"inputs": [{"id": ""}]},
        {"inputs": [{"id": "  "}]},
        {"inputs": [{"id": True}]},
        {"inputs": [{"id": [1]}]},
        {"inputs": [{"id": {"id": 1}}]},
        {"inputs": [{"id": "1\u0000"}]},
        {"inputs": [{"id": "1"}], "idProperty": "firstname"},
        {"inputs": [{"id": "1"}], "idProperty": None},
        {"inputs": [{"id": "1"}], "idProperty": 5},
        {"inputs": [{"id": "1"}], "confirmTierUpgrade": "maybe"},
        {"inputs": [{"id": "1"}], "confirmTierUpgrade": None},
        {"inputs": [{"id": "1"}], "confirmTierUpgrade": [True]},
        [],
        [{"id": "1"}],
        "inputs",
        12,
        None,
    ],
)
@pytest.mark.parametrize("url", [SET_MARKETING, SET_NON_MARKETING])
def test_bad_bodies_are_400_and_change_nothing_B1(mapi, marketer_actor, db_state, url, body):
    contacts_make(count=1, actor=marketer_actor, marketing=url == SET_NON_MARKETING)
    before = db_state()

    response = assert_error(mapi.post(url, body), 400, "VALIDATION_ERROR")

    assert response["errors"]
    assert db_state() == before


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b'{"inputs": [{"id": NaN}]}',
        b"\xff",
        b'{"inputs": [{"id": "a\\ud800@example.com"}], "idProperty": "email"}',  # a lone surrogate
    ],
)
def test_unparsable_or_unstorable_json_is_400(mapi, raw):
    response = mapi.generic("POST", SET_MARKETING, raw, content_type="application/json")
    assert_error(response, 400, "VALIDATION_ERROR")


def test_only_json_is_accepted(mapi):
    response = mapi.generic("POST", SET_MARKETING, "inputs=1", content_type="application/x-www-form-urlencoded")
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_get_on_a_switch_is_405(mapi):
    assert_error(mapi.get(SET_MARKETING), 405, "METHOD_NOT_ALLOWED")


def test_numeric_ids_as_json_numbers_are_accepted(mapi, marketer_actor):
    [contact] = contacts_make(count=1, actor=marketer_actor)

    response = mapi.post(SET_MARKETING, {"inputs": [{"id": contact.pk}], "idProperty": "hs_object_id"})

    assert response.status_code == 200
    assert response.json()["results"][0]["id"] == str(contact.pk)


# --- Scopes (R30) ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [SET_MARKETING, SET_NON_MARKETING])
def test_switching_needs_the_marketing_write_scope_R30(make_client, frozen_subscription, marketer_actor, db_state, url):
    contacts = contacts_make(count=2, actor=marketer_actor, marketing=url == SET_NON_MARKETING)
    client = make_client(scopes=(CONTACTS_READ, CONTACTS_WRITE))
    before = db_state()

    body = assert_error(client.post(url, _inputs(*contacts)), 403, "MISSING_SCOPES")

    assert body["errors"][0]["context"]["requiredGranularScopes"] == [MARKETING_WRITE]
    assert db_state() == before


def test_the_marketing_scope_alone_may_switch_R30(make_client, frozen_subscription, marketer_actor):
    [contact] = contacts_make(count=1, actor=marketer_actor)
    client = make_client(scopes=(MARKETING_WRITE,))

    response = client.post(SET_MARKETING, _inputs(contact))

    assert response.status_code == 200
    assert _status(contact) == (True, False, "INTEGRATOR_SET", str(client.integration.pk))


def test_usage_needs_the_contacts_read_scope(make_client, frozen_subscription):
    body = assert_error(make_client(scopes=(MARKETING_WRITE,)).get(USAGE), 403, "MISSING_SCOPES")
    assert body["errors"][0]["context"]["requiredGranularScopes"] == [CONTACTS_READ]


def test_switching_needs_a_token(client, db, frozen_subscription, marketer_actor, db_state):
    [contact] = contacts_make(count=1, actor=marketer_actor)
    before = db_state()

    response = client.post(SET_MARKETING, _inputs(contact), content_type="application/json")

    assert_error(response, 401, "INVALID_AUTHENTICATION")
    assert db_state() == before


# --- Tier guard (B4) and tier upgrades (R24) ------------------------------------------------------


@pytest.fixture
def guarded(frozen_subscription, marketer_actor):
    """Limit 3 with the tier guard on (B4); two marketing contacts and two non-marketing ones."""
    Subscription.objects.filter(pk=frozen_subscription.pk).update(contact_tier_limit=3)
    assert subscription_set_tier_guard(enabled=True, actor=marketer_actor)
    return {
        "marketing": contacts_make(count=2, actor=marketer_actor, marketing=True),
        "non_marketing": contacts_make(count=2, actor=marketer_actor),
    }


def test_tier_guard_refuses_an_unconfirmed_change_that_crosses_the_tier_B4(mapi, guarded, db_state):
    before = db_state()

    for body in (
        _inputs(*guarded["non_marketing"]),
        {**_inputs(*guarded["non_marketing"]), "confirmTierUpgrade": False},
    ):
        error = assert_error(mapi.post(SET_MARKETING, body), 400, "VALIDATION_ERROR")

        assert error["subCategory"] == "TIER_UPGRADE_NOT_CONFIRMED"
        assert error["context"] == {
            "becomingMarketing": ["2"],
            "countNow": ["2"],
            "countAfter": ["4"],
            "tierLimit": ["3"],
        }
        assert "from 2 to 4, above your tier of 3" in error["message"]
        assert db_state() == before


def test_a_confirmed_change_crosses_the_tier_and_upgrades_it_B4_R24(mapi, guarded):
    response = mapi.post(SET_MARKETING, {**_inputs(*guarded["non_marketing"]), "confirmTierUpgrade": True})

    assert response.status_code == 200, response.json()
    assert [result["changed"] for result in response.json()["results"]] == [True, True]
    assert marketing_count() == 4
    upgrade = TierUpgrade.objects.get()
    assert (
        upgrade.happened_at,
        upgrade.old_limit,
        upgrade.new_limit,
        upgrade.marketing_count,
        upgrade.cause_type,
        upgrade.cause_id,
    ) == (FROZEN_START, 3, 1003, 4, "INTEGRATOR_SET", str(mapi.integration.pk))
    assert Subscription.objects.get().contact_tier_limit == 1003


def test_tier_guard_lets_a_change_within_the_tier_through_B4(mapi, guarded):
    response = mapi.post(SET_MARKETING, _inputs(guarded["non_marketing"][0]))

    assert response.status_code == 200, response.json()
    assert marketing_count() == 3
    assert TierUpgrade.objects.count() == 0


def test_tier_guard_never_refuses_setting_non_marketing_B4_R11(mapi, guarded):
    Subscription.objects.update(contact_tier_limit=1)  # already over: lowering the count is always allowed

    response = mapi.post(SET_NON_MARKETING, _inputs(*guarded["marketing"]))

    assert response.status_code == 200, response.json()
    assert [result["pending"] for result in response.json()["results"]] == [True, True]


def test_without_the_guard_crossing_the_tier_upgrades_silently_R24(mapi, guarded, marketer_actor):
    assert subscription_set_tier_guard(enabled=False, actor=marketer_actor)

    response = mapi.post(SET_MARKETING, _inputs(*guarded["non_marketing"]))

    assert response.status_code == 200, response.json()
    assert TierUpgrade.objects.get().new_limit == 1003


# --- Marketing contacts not enabled (R1) ----------------------------------------------------------


def _subscription_not_enabled() -> Subscription:
    return subscription_create(
        hub_tier=HubTier.STARTER,
        billing_cycle=BillingCycle.MONTHLY,
        contract_start=dt.date(2026, 1, 15),
        renewal_date=dt.date(2027, 1, 15),
    )


@pytest.mark.parametrize("url", [SET_MARKETING, SET_NON_MARKETING])
@pytest.mark.parametrize("has_subscription", [True, False], ids=["not-enabled", "no-subscription"])
def test_switching_before_marketing_contacts_are_enabled_is_400_R1(make_client, db_state, url, has_subscription):
    if has_subscription:
        _subscription_not_enabled()
    client = make_client(scopes=ALL)
    before = db_state()

    body = assert_error(client.post(url, {"inputs": [{"id": "1"}]}), 400, "VALIDATION_ERROR")

    assert body["subCategory"] == "MARKETING_CONTACTS_NOT_ENABLED"
    assert db_state() == before


@pytest.mark.parametrize("has_subscription", [True, False], ids=["not-enabled", "no-subscription"])
def test_usage_before_marketing_contacts_are_enabled_is_400_R1(make_client, has_subscription):
    if has_subscription:
        _subscription_not_enabled()

    body = assert_error(make_client().get(USAGE), 400, "VALIDATION_ERROR")

    assert body["subCategory"] == "MARKETING_CONTACTS_NOT_ENABLED"


# --- Usage (R23) ----------------------------------------------------------------------------------


def _period(*, count_at_open: int, peak_count: int) -> dict:
    return {
        "startsAt": NOW,
        "updateDate": "2026-03-15",
        "updateAt": EFFECTIVE_AT,
        "countAtOpen": count_at_open,
        "peakCount": peak_count,
        "countAtClose": None,
        "closedAt": None,
    }


def test_usage_shows_the_exact_figures_R23_R21_R20(mapi, marketer_actor):
    contacts_make(count=3, actor=marketer_actor, marketing=True)
    contacts_make(count=2, actor=marketer_actor, pending=True)
    contacts_make(count=1, actor=marketer_actor)
    [archived] = contacts_make(count=1, actor=marketer_actor, marketing=True)
    contacts_archive(contacts=[archived.pk], actor=marketer_actor)  # R22: it no longer counts

    response = mapi.get(USAGE)

    assert response.status_code == 200, response.json()
    # The period opened empty when marketing contacts were enabled; its peak was 6, before the archive.
    current = _period(count_at_open=0, peak_count=6)
    assert response.json() == {
        "tierLimit": 1000,
        "marketingCount": 5,
        "pendingCount": 2,
        "nextUpdateDate": "2026-03-15",
        "nextUpdateAt": EFFECTIVE_AT,
        "currentPeriod": current,
        "periods": [current],
        "hubTier": "starter",
        "billingCycle": "monthly",
        "renewalDate": "2027-01-15",
        "tierBlockSize": 1000,
        "tierGuardEnabled": False,
    }


def test_usage_follows_switches_made_through_the_api_R10_R11_R23(mapi, marketer_actor):
    contacts = contacts_make(count=3, actor=marketer_actor)
    mapi.post(SET_MARKETING, _inputs(*contacts))
    mapi.post(SET_NON_MARKETING, _inputs(contacts[0]))

    usage = mapi.get(USAGE).json()

    assert (usage["marketingCount"], usage["pendingCount"]) == (3, 1)
    assert usage["currentPeriod"]["peakCount"] == 3


def test_usage_shows_the_tier_guard_B4(mapi, marketer_actor):
    subscription_set_tier_guard(enabled=True, actor=marketer_actor)
    assert mapi.get(USAGE).json()["tierGuardEnabled"] is True


def test_the_next_update_date_moves_with_the_clock_R20(mapi, marketer_actor, frozen_clock):
    [contact] = contacts_make(count=1, actor=marketer_actor, marketing=True)
    frozen_clock.move_to(dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC))  # past the 15th: next is 2026-04-15

    result = mapi.post(SET_NON_MARKETING, _inputs(contact)).json()["results"][0]

    assert result["effectiveAt"] == "2026-04-15T00:00:00.000Z"
    assert mapi.get(USAGE).json()["nextUpdateDate"] == "2026-04-15"


# --- Schema ---------------------------------------------------------------------------------------


def test_schema_declares_what_the_endpoints_return():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]

    for url in (SET_MARKETING, SET_NON_MARKETING):
        operation = paths[url]["post"]
        assert set(operation["responses"]) == {"200", "207", "400", "401", "403", "413", "415", "429"}
        request = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert request == "#/components/schemas/MarketingSwitchInput"
    assert set(paths[USAGE]["get"]["responses"]) == {"200", "400", "401", "403", "429"}
    usage = schema["components"]["schemas"]["MarketingUsage"]
    assert set(usage["required"]) == {
        "tierLimit",
        "marketingCount",
        "pendingCount",
        "nextUpdateDate",
        "nextUpdateAt",
        "currentPeriod",
        "periods",
        "hubTier",
        "billingCycle",
        "renewalDate",
        "tierBlockSize",
        "tierGuardEnabled",
    }
