"""Rate limits per integration: the rolling 10-second window, the daily allowance, HubSpot's 429 and headers.

The limiters are tested with a fake clock, in memory and in Redis (skipped when 127.0.0.1:6379 is
unreachable); the API tests run on whichever backend `settings.REDIS_URL` selects, each under its own
key prefix, through a probe view built on `ApiView` and the real contact routes.
"""

import contextlib
import datetime as dt
import logging
import uuid

import pytest
import redis
from django.urls import include, path
from redis.backoff import NoBackoff
from redis.retry import Retry
from rest_framework.response import Response

from api.ratelimit import integration_key
from api.views.base import ApiView
from contacts.models import Contact
from crm.ratelimit import (
    DAILY,
    TEN_SECONDLY_ROLLING,
    Limits,
    MemoryRateLimiter,
    RateLimitState,
    RedisRateLimiter,
    rate_limiter,
)
from integrations.scopes import CONTACTS_READ
from tests.api.test_base import assert_error
from tests.conftest import FROZEN_START

TEST_REDIS_URL = "redis://127.0.0.1:6379/5"
DOWN_REDIS_URL = "redis://127.0.0.1:1/0"
PROBE = "/ratelimit-probe"
CONTACTS = "/crm/v3/objects/contacts"
HEADERS = (
    "X-HubSpot-RateLimit-Max",
    "X-HubSpot-RateLimit-Remaining",
    "X-HubSpot-RateLimit-Interval-Milliseconds",
    "X-HubSpot-RateLimit-Daily",
    "X-HubSpot-RateLimit-Daily-Remaining",
)


class ProbeView(ApiView):
    """The smallest API view: authentication, scopes, the throttle and the headers, nothing else."""

    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        return Response({"ok": True}, status=201)


urlpatterns = [path(PROBE.lstrip("/"), ProbeView.as_view()), path("", include("crm.urls"))]
pytestmark = pytest.mark.urls(__name__)


class FakeClock:
    """The limiters' `now`: seconds since the epoch, moved by hand."""

    def __init__(self, moment: dt.datetime):
        self.seconds = moment.timestamp()

    def __call__(self) -> float:
        return self.seconds

    def advance(self, seconds: float) -> None:
        self.seconds += seconds

    def move_to(self, moment: dt.datetime) -> None:
        self.seconds = moment.timestamp()


def _delete_keys(client: redis.Redis, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(FROZEN_START)


@pytest.fixture(scope="module")
def redis_client():
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_timeout=1, socket_connect_timeout=1, decode_responses=True)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    return client


@pytest.fixture
def redis_prefix(redis_client):
    prefix = f"test:ratelimit:{uuid.uuid4().hex}"
    yield prefix
    _delete_keys(redis_client, prefix)


@pytest.fixture(params=["memory", "redis"])
def limiter(request, clock):
    if request.param == "memory":
        return MemoryRateLimiter(now=clock)
    prefix = request.getfixturevalue("redis_prefix")
    return RedisRateLimiter(client=request.getfixturevalue("redis_client"), prefix=prefix, now=clock)


@pytest.fixture(autouse=True)
def api_prefix(settings):
    """Each test counts under its own prefix on the configured backend, and leaves no keys behind."""
    prefix = f"test:ratelimit:{uuid.uuid4().hex}"
    settings.CRM_API_RATE_LIMIT_PREFIX = prefix
    url = settings.REDIS_URL
    yield prefix
    if url:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        with contextlib.suppress(redis.RedisError):  # the Redis-down test points REDIS_URL nowhere
            _delete_keys(client, prefix)
        client.close()


def limit(settings, *, per_10s: int, daily: int = 1000) -> None:
    settings.CRM_API_RATE_LIMIT_10S = per_10s
    settings.CRM_API_RATE_LIMIT_DAILY = daily


def rate_headers(response) -> dict[str, str]:
    return {header: response[header] for header in HEADERS if response.has_header(header)}


def expected_headers(*, per_10s: int, remaining: int, daily: int, daily_remaining: int) -> dict[str, str]:
    return {
        "X-HubSpot-RateLimit-Max": str(per_10s),
        "X-HubSpot-RateLimit-Remaining": str(remaining),
        "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        "X-HubSpot-RateLimit-Daily": str(daily),
        "X-HubSpot-RateLimit-Daily-Remaining": str(daily_remaining),
    }


# --- The limiters, in memory and in Redis ------------------------------------------------------------


def test_remaining_counts_down_exactly(limiter):
    limits = Limits(per_10s=3, daily=10)
    states = [limiter.hit(key="a", limits=limits) for _ in range(3)]
    assert states == [
        RateLimitState(limits=limits, used_10s=1, used_daily=1),
        RateLimitState(limits=limits, used_10s=2, used_daily=2),
        RateLimitState(limits=limits, used_10s=3, used_daily=3),
    ]
    assert [state.headers()["X-HubSpot-RateLimit-Remaining"] for state in states] == ["2", "1", "0"]
    assert [state.headers()["X-HubSpot-RateLimit-Daily-Remaining"] for state in states] == ["9", "8", "7"]


def test_request_over_the_window_is_refused_and_not_counted(limiter, clock):
    limits = Limits(per_10s=3, daily=10)
    for _ in range(3):
        limiter.hit(key="a", limits=limits)
    clock.advance(4)
    refused = RateLimitState(limits=limits, used_10s=3, used_daily=3, refused_by=TEN_SECONDLY_ROLLING, retry_after=6)
    assert limiter.hit(key="a", limits=limits) == refused
    assert limiter.hit(key="a", limits=limits) == refused
    assert limiter.peek(key="a", limits=limits) == RateLimitState(limits=limits, used_10s=3, used_daily=3)


def test_window_rolls(limiter, clock):
    limits = Limits(per_10s=3, daily=100)
    limiter.hit(key="a", limits=limits)
    clock.advance(4)
    limiter.hit(key="a", limits=limits)
    limiter.hit(key="a", limits=limits)
    clock.advance(5.999)
    assert limiter.hit(key="a", limits=limits).retry_after == 1
    clock.advance(0.001)  # 10 s after the first request, which leaves the window
    assert limiter.hit(key="a", limits=limits) == RateLimitState(limits=limits, used_10s=3, used_daily=4)
    clock.advance(3.5)
    assert limiter.hit(key="a", limits=limits) == RateLimitState(
        limits=limits, used_10s=3, used_daily=4, refused_by=TEN_SECONDLY_ROLLING, retry_after=1
    )
    clock.advance(0.5)  # the two requests at 4 s leave together
    assert limiter.hit(key="a", limits=limits) == RateLimitState(limits=limits, used_10s=2, used_daily=5)


def test_daily_limit_refuses_until_local_midnight(limiter, clock, settings):
    settings.TIME_ZONE = "Europe/Paris"  # 12:00 UTC is 13:00 in Paris, whose midnight is 23:00 UTC
    limits = Limits(per_10s=5, daily=2)
    limiter.hit(key="a", limits=limits)
    clock.advance(60)
    limiter.hit(key="a", limits=limits)
    clock.advance(60)
    refused = RateLimitState(limits=limits, used_10s=0, used_daily=2, refused_by=DAILY, retry_after=11 * 3600 - 120)
    assert limiter.hit(key="a", limits=limits) == refused
    clock.move_to(dt.datetime(2026, 3, 10, 22, 59, 59, 500_000, tzinfo=dt.UTC))
    assert limiter.hit(key="a", limits=limits).retry_after == 1
    clock.move_to(dt.datetime(2026, 3, 10, 23, 0, tzinfo=dt.UTC))
    assert limiter.hit(key="a", limits=limits) == RateLimitState(limits=limits, used_10s=1, used_daily=1)


def test_daily_limit_is_named_when_both_are_reached(limiter):
    limits = Limits(per_10s=2, daily=2)
    limiter.hit(key="a", limits=limits)
    limiter.hit(key="a", limits=limits)
    assert limiter.hit(key="a", limits=limits) == RateLimitState(
        limits=limits, used_10s=2, used_daily=2, refused_by=DAILY, retry_after=12 * 3600
    )


def test_integrations_are_counted_separately(limiter):
    limits = Limits(per_10s=1, daily=10)
    assert limiter.hit(key="a", limits=limits).allowed
    assert limiter.hit(key="a", limits=limits).refused_by == TEN_SECONDLY_ROLLING
    assert limiter.hit(key="b", limits=limits) == RateLimitState(limits=limits, used_10s=1, used_daily=1)
    assert limiter.peek(key="c", limits=limits) == RateLimitState(limits=limits, used_10s=0, used_daily=0)


def test_raised_limit_applies_at_once(limiter):
    limiter.hit(key="a", limits=Limits(per_10s=1, daily=10))
    assert limiter.hit(key="a", limits=Limits(per_10s=1, daily=10)).refused_by == TEN_SECONDLY_ROLLING
    assert limiter.hit(key="a", limits=Limits(per_10s=2, daily=10)).allowed


def test_redis_keeps_two_expiring_keys_per_integration(redis_client, redis_prefix, clock):
    limiter = RedisRateLimiter(client=redis_client, prefix=redis_prefix, now=clock)
    limiter.hit(key="7.abc", limits=Limits(per_10s=5, daily=10))
    window_key, daily_key = f"{redis_prefix}:{{7.abc}}:10s", f"{redis_prefix}:{{7.abc}}:day:2026-03-10"
    assert sorted(redis_client.scan_iter(match=f"{redis_prefix}:*")) == sorted([window_key, daily_key])
    assert redis_client.zcard(window_key) == 1
    assert redis_client.get(daily_key) == "1"
    assert 0 < redis_client.pttl(window_key) <= 10_000
    # Until midnight (12 h from the fake noon) plus an hour's margin.
    assert 12 * 3600 + 3600 - 5 <= redis_client.ttl(daily_key) <= 12 * 3600 + 3600


def test_redis_down_lets_requests_through_and_warns_once(clock, caplog):
    client = redis.Redis.from_url(DOWN_REDIS_URL, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    limiter = RedisRateLimiter(client=client, prefix="test:ratelimit:down", now=clock)
    limits = Limits(per_10s=1, daily=1)
    with caplog.at_level(logging.WARNING, logger="crm.ratelimit"):
        assert limiter.hit(key="a", limits=limits) is None
        assert limiter.hit(key="a", limits=limits) is None
        clock.advance(60)  # past the pause: Redis is asked again, still down, and no second warning
        assert limiter.hit(key="a", limits=limits) is None
        assert limiter.peek(key="a", limits=limits) is None
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert "Redis is unreachable" in caplog.records[0].getMessage()


def test_backend_follows_redis_url(settings):
    settings.REDIS_URL = ""
    assert isinstance(rate_limiter(), MemoryRateLimiter)
    assert rate_limiter() is rate_limiter()
    settings.REDIS_URL = TEST_REDIS_URL
    assert isinstance(rate_limiter(), RedisRateLimiter)
    assert rate_limiter() is rate_limiter()


# --- Through the API, on the configured backend ------------------------------------------------------


def test_every_response_reports_the_limits_counting_down(api, settings):
    limit(settings, per_10s=3, daily=10)
    responses = [api.get(PROBE) for _ in range(3)]
    assert [response.status_code for response in responses] == [200, 200, 200]
    assert [rate_headers(response) for response in responses] == [
        expected_headers(per_10s=3, remaining=2, daily=10, daily_remaining=9),
        expected_headers(per_10s=3, remaining=1, daily=10, daily_remaining=8),
        expected_headers(per_10s=3, remaining=0, daily=10, daily_remaining=7),
    ]


def test_api_counts_on_the_backend_redis_url_selects(api, settings, api_prefix):
    limit(settings, per_10s=5)
    api.get(PROBE)
    key = integration_key(api.integration)
    if settings.REDIS_URL:
        client = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
        assert client.zcard(f"{api_prefix}:{{{key}}}:10s") == 1
        client.close()
    else:
        assert isinstance(rate_limiter(), MemoryRateLimiter)
        assert rate_limiter().peek(key=key, limits=Limits(per_10s=5, daily=1000)).used_10s == 1


def test_191st_request_within_10_seconds_is_429(api, settings, frozen_clock):
    limit(settings, per_10s=190, daily=625_000)
    statuses = [api.get(PROBE).status_code for _ in range(190)]
    assert statuses == [200] * 190
    response = api.get(PROBE)
    body = assert_error(response, 429, "RATE_LIMITS")
    assert body == {
        "status": "error",
        "message": "You have reached your ten_secondly_rolling limit.",
        "correlationId": response["X-HubSpot-Correlation-Id"],
        "category": "RATE_LIMITS",
        "errorType": "RATE_LIMIT",
        "policyName": "TEN_SECONDLY_ROLLING",
    }
    assert response["Retry-After"] == "10"
    assert rate_headers(response) == expected_headers(
        per_10s=190, remaining=0, daily=625_000, daily_remaining=625_000 - 190
    )


def test_refused_create_creates_nothing(api, settings, frozen_clock, db_state):
    limit(settings, per_10s=1)
    assert api.get(PROBE).status_code == 200
    before = db_state()
    response = api.post(CONTACTS, {"properties": {"email": "refused@example.com", "firstname": "Refused"}})
    assert_error(response, 429, "RATE_LIMITS")
    assert db_state() == before
    assert not Contact.objects.filter(email="refused@example.com").exists()
    assert rate_headers(response) == expected_headers(per_10s=1, remaining=0, daily=1000, daily_remaining=999)


def test_window_rolls_through_the_api(api, settings, frozen_clock):
    limit(settings, per_10s=1)
    assert api.get(PROBE).status_code == 200
    frozen_clock.shift(9)
    response = api.get(PROBE)
    assert_error(response, 429, "RATE_LIMITS")
    assert response["Retry-After"] == "1"
    frozen_clock.shift(1)
    response = api.get(PROBE)
    assert response.status_code == 200
    assert rate_headers(response) == expected_headers(per_10s=1, remaining=0, daily=1000, daily_remaining=998)


def test_daily_limit_resets_at_midnight_through_the_api(api, settings, frozen_clock):
    settings.TIME_ZONE = "UTC"
    limit(settings, per_10s=100, daily=2)
    assert [api.get(PROBE).status_code for _ in range(2)] == [200, 200]
    frozen_clock.shift(3600)
    response = api.get(PROBE)
    body = assert_error(response, 429, "RATE_LIMITS")
    assert (body["message"], body["errorType"], body["policyName"]) == (
        "You have reached your daily limit.",
        "RATE_LIMIT",
        "DAILY",
    )
    assert response["Retry-After"] == str(11 * 3600)
    assert rate_headers(response) == expected_headers(per_10s=100, remaining=100, daily=2, daily_remaining=0)
    frozen_clock.move_to(dt.datetime(2026, 3, 11, 0, 0, tzinfo=dt.UTC))
    response = api.get(PROBE)
    assert response.status_code == 200
    assert rate_headers(response) == expected_headers(per_10s=100, remaining=99, daily=2, daily_remaining=1)


def test_two_integrations_are_counted_separately_through_the_api(make_client, subscription, settings, frozen_clock):
    limit(settings, per_10s=1)
    first, second = make_client(name="First"), make_client(name="Second")
    assert first.get(PROBE).status_code == 200
    assert_error(first.get(PROBE), 429, "RATE_LIMITS")
    response = second.get(PROBE)
    assert response.status_code == 200
    assert rate_headers(response) == expected_headers(per_10s=1, remaining=0, daily=1000, daily_remaining=999)


def test_missing_scope_reports_the_limits_without_counting(make_client, subscription, settings, frozen_clock):
    limit(settings, per_10s=2)
    reader = make_client(scopes=(CONTACTS_READ,))
    assert reader.get(PROBE).status_code == 200
    response = reader.post(PROBE, {})
    assert_error(response, 403, "MISSING_SCOPES")
    assert rate_headers(response) == expected_headers(per_10s=2, remaining=1, daily=1000, daily_remaining=999)
    response = reader.get(PROBE)
    assert response.status_code == 200
    assert rate_headers(response) == expected_headers(per_10s=2, remaining=0, daily=1000, daily_remaining=998)


def test_client_errors_carry_the_headers(api, settings):
    limit(settings, per_10s=5)
    response = api.get(f"{CONTACTS}/batch/read")  # a POST-only route: 405 once the view exists, counted either way
    assert response.status_code == 405
    assert rate_headers(response) == expected_headers(per_10s=5, remaining=4, daily=1000, daily_remaining=999)


def test_unauthenticated_request_reports_no_limits(client, db, settings):
    limit(settings, per_10s=1)
    for _ in range(2):
        response = client.get(PROBE)
        assert_error(response, 401, "INVALID_AUTHENTICATION")
        assert rate_headers(response) == {}


def test_redis_down_lets_requests_through(api, settings, caplog):
    settings.REDIS_URL = DOWN_REDIS_URL
    limit(settings, per_10s=1)
    with caplog.at_level(logging.WARNING, logger="crm.ratelimit"):
        responses = [api.get(PROBE) for _ in range(3)]
    assert [response.status_code for response in responses] == [200, 200, 200]
    assert [rate_headers(response) for response in responses] == [{}, {}, {}]
    assert [record.levelname for record in caplog.records if record.name == "crm.ratelimit"] == ["WARNING"]
