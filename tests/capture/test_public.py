"""capture.public: what every unauthenticated intake endpoint shares (CORS, size, rate, errors, honeypot)."""

import json

import pytest
from django.http import JsonResponse
from django.test import RequestFactory

from capture.public import HONEYPOT_FIELD, IntakeError, is_spam, json_body, public_endpoint
from crm.addresses import client_address

calls = []


@public_endpoint(max_bytes=100)
def echo(request):
    data = json_body(request)
    if data.get("fail"):
        raise IntakeError(400, "The request is not valid", [{"message": "bad", "errorType": "INVALID_EMAIL"}])
    calls.append(data)
    return JsonResponse({"ok": True})


@pytest.fixture(autouse=True)
def _calls():
    calls.clear()


def post(body, **extra):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return echo(RequestFactory().post("/intake", raw, content_type="application/json", **extra))


def test_accepted_request_reaches_the_view_with_cors_headers():
    response = post({"a": 1})
    assert (response.status_code, json.loads(response.content), calls) == (200, {"ok": True}, [{"a": 1}])
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response  # no cookies ride along: nothing for CSRF to abuse
    assert response["Cache-Control"] == "no-store"  # answers are per visitor


def test_preflight_answers_without_calling_the_view():
    response = echo(RequestFactory().options("/intake"))
    assert (response.status_code, response["Access-Control-Allow-Methods"], calls) == (204, "POST, OPTIONS", [])


def test_other_methods_are_refused_with_the_error_shape():
    response = echo(RequestFactory().get("/intake"))
    body = json.loads(response.content)
    assert (response.status_code, body["status"], response["Allow"], calls) == (405, "error", "POST, OPTIONS", [])


def test_oversized_body_is_refused_before_the_view():
    response = post({"text": "x" * 200})
    body = json.loads(response.content)
    assert (response.status_code, body["message"], calls) == (413, "The request body is larger than 100 bytes.", [])
    assert set(body) == {"status", "message", "correlationId", "errors"}


def test_bad_json_is_a_400_in_hubspot_shape():
    response = post(b"{not json")
    body = json.loads(response.content)
    assert (response.status_code, body["message"], calls) == (400, "The request body is not valid JSON.", [])


def test_intake_error_becomes_its_status_and_errors():
    response = post({"fail": True})
    body = json.loads(response.content)
    assert (response.status_code, body["errors"], calls) == (
        400,
        [{"message": "bad", "errorType": "INVALID_EMAIL"}],
        [],
    )


def test_rate_limit_per_source_address(settings):
    settings.CRM_INTAKE_RATE_LIMIT_10S = 2
    assert [post({"n": n}, REMOTE_ADDR="203.0.113.5").status_code for n in range(3)] == [200, 200, 429]
    refused = post({"n": 9}, REMOTE_ADDR="203.0.113.5")
    assert (refused.status_code, int(refused["Retry-After"]) >= 1) == (429, True)
    assert post({"n": 4}, REMOTE_ADDR="198.51.100.7").status_code == 200  # another address has its own count
    assert [call["n"] for call in calls] == [0, 1, 4]


def test_client_address_trusts_forwarded_for_only_behind_configured_proxies(settings):
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.9")
    assert client_address(request) == "10.0.0.1"
    settings.CRM_TRUSTED_PROXIES = 1
    assert client_address(request) == "198.51.100.9"  # the address our one proxy saw, not what the client claims


def test_honeypot():
    assert (is_spam({HONEYPOT_FIELD: " http://spam "}), is_spam({HONEYPOT_FIELD: ""}), is_spam({})) == (
        True,
        False,
        False,
    )
