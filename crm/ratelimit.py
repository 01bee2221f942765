"""Rate limits: a rolling 10-second window and a daily allowance per key, counted in Redis or in memory.

A key (an integration, a visitor's address) may make `Limits.per_10s` requests in any rolling 10 seconds
and `Limits.daily` per calendar day in `TIME_ZONE` (the allowance resets at local midnight). A refused
request is not counted; its `RateLimitState` names the policy (TEN_SECONDLY_ROLLING or DAILY) and says
when to retry. The callers choose the keys and limits: the API per integration (`api.ratelimit`), the
public intake per source address (`capture.public`).

Counts live in Redis when `REDIS_URL` is set (one Lua round trip per request, shared by every web
process); otherwise in this process's memory, so each process then counts on its own. When Redis is
unreachable requests go through uncounted (fail open): a rate limit must never turn into an outage.
"""

import datetime as dt
import functools
import logging
import math
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings
from django.utils import timezone

from crm.redis import redis_client

logger = logging.getLogger(__name__)

WINDOW_MS = 10_000
TEN_SECONDLY_ROLLING = "TEN_SECONDLY_ROLLING"
DAILY = "DAILY"
# After a Redis failure, requests skip Redis this long instead of each waiting for a timeout.
REDIS_PAUSE_AFTER_FAILURE_MS = 5_000
# The daily counter outlives its day a little, for web servers whose clocks run slightly behind.
DAILY_TTL_MARGIN_S = 3600


@dataclass(frozen=True)
class Limits:
    per_10s: int
    daily: int


@dataclass(frozen=True)
class RateLimitState:
    """Requests counted for one integration, this one included when it was allowed; `refused_by` names
    the policy that refused it, and `retry_after` says in how many seconds it would be allowed."""

    limits: Limits
    used_10s: int
    used_daily: int
    refused_by: str | None = None
    retry_after: int = 0

    @property
    def allowed(self) -> bool:
        return self.refused_by is None

    def headers(self) -> dict[str, str]:
        return {
            "X-HubSpot-RateLimit-Max": str(self.limits.per_10s),
            "X-HubSpot-RateLimit-Remaining": str(max(0, self.limits.per_10s - self.used_10s)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(WINDOW_MS),
            "X-HubSpot-RateLimit-Daily": str(self.limits.daily),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.limits.daily - self.used_daily)),
        }


def _wall_clock() -> float:
    return time.time()


# --- The decision, shared by both limiters ---------------------------------------------------------


def _refusal(*, used_10s: int, used_daily: int, limits: Limits) -> str | None:
    """The policy refusing one more request, or None. The daily allowance is named first: it is the
    longer wait. `_HIT_SCRIPT` makes the same decision inside Redis."""
    if used_daily >= limits.daily:
        return DAILY
    if used_10s >= limits.per_10s:
        return TEN_SECONDLY_ROLLING
    return None


def _local_day(now_ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(now_ms / 1000, tz=timezone.get_default_timezone()).date()


def _next_midnight_ms(day: dt.date) -> int:
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=timezone.get_default_timezone())
    return round(midnight.timestamp() * 1000)


def _seconds_until(moment_ms: int, now_ms: int) -> int:
    return max(1, math.ceil((moment_ms - now_ms) / 1000))


def _state(
    *, limits: Limits, used_10s: int, used_daily: int, counted: bool, oldest_ms: int | None, now_ms: int
) -> RateLimitState:
    """The state after a hit, from the counts found before it. A refused request was not counted; it
    may retry when the oldest request leaves the window, or at local midnight for the daily allowance."""
    if counted:
        return RateLimitState(limits=limits, used_10s=used_10s + 1, used_daily=used_daily + 1)
    policy = _refusal(used_10s=used_10s, used_daily=used_daily, limits=limits)
    if policy == DAILY:
        retry_after = _seconds_until(_next_midnight_ms(_local_day(now_ms)), now_ms)
    else:
        retry_after = _seconds_until((now_ms if oldest_ms is None else oldest_ms) + WINDOW_MS, now_ms)
    return RateLimitState(
        limits=limits, used_10s=used_10s, used_daily=used_daily, refused_by=policy, retry_after=retry_after
    )


# --- In-process counts -----------------------------------------------------------------------------


class MemoryRateLimiter:
    """Counts in this process's memory (thread-safe). Each process counts on its own, so N web processes
    allow up to N times the limits, and a restart forgets the counts: set REDIS_URL in production."""

    def __init__(self, *, now: Callable[[], float] = _wall_clock):
        self._now = now
        self._lock = threading.Lock()
        self._windows: dict[str, deque[int]] = defaultdict(deque)
        self._days: dict[str, tuple[dt.date, int]] = {}

    def hit(self, *, key: str, limits: Limits) -> RateLimitState:
        """Count one request unless a limit refuses it."""
        now_ms = round(self._now() * 1000)
        day = _local_day(now_ms)
        with self._lock:
            window, used_daily = self._counts(key, now_ms, day)
            used_10s, oldest_ms = len(window), (window[0] if window else None)
            counted = _refusal(used_10s=used_10s, used_daily=used_daily, limits=limits) is None
            if counted:
                window.append(now_ms)
                self._days[key] = (day, used_daily + 1)
        return _state(
            limits=limits, used_10s=used_10s, used_daily=used_daily, counted=counted, oldest_ms=oldest_ms, now_ms=now_ms
        )

    def peek(self, *, key: str, limits: Limits) -> RateLimitState:
        """The counts as they stand, counting nothing."""
        now_ms = round(self._now() * 1000)
        with self._lock:
            window, used_daily = self._counts(key, now_ms, _local_day(now_ms))
            return RateLimitState(limits=limits, used_10s=len(window), used_daily=used_daily)

    def _counts(self, key: str, now_ms: int, day: dt.date) -> tuple[deque[int], int]:
        """The window without requests 10 seconds old or older, and today's count (0 on a new day)."""
        window = self._windows[key]
        while window and window[0] <= now_ms - WINDOW_MS:
            window.popleft()
        counted_day, used_daily = self._days.get(key, (day, 0))
        return window, (used_daily if counted_day == day else 0)


# --- Counts in Redis -------------------------------------------------------------------------------

# KEYS[1]: the rolling window, a sorted set of request times (ms); KEYS[2]: today's counter.
# ARGV: now (ms), window (ms), 10-second limit, daily limit, counter TTL (s), a unique member.
# Counts the request only when both limits allow it (as `_refusal` decides) and answers the counts
# found before it, whether it was counted, and the time of the oldest request in the window.
_HIT_SCRIPT = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
local daily = tonumber(redis.call('GET', KEYS[2]) or '0')
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2] or false
if daily >= tonumber(ARGV[4]) or used >= tonumber(ARGV[3]) then
  return {0, used, daily, oldest}
end
redis.call('ZADD', KEYS[1], now, ARGV[6])
redis.call('PEXPIRE', KEYS[1], window)
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[5]))
return {1, used, daily, oldest}
"""


class RedisRateLimiter:
    """Counts in Redis, shared by every process: one script call per request, atomic, so concurrent
    requests cannot both take the last place. Fails open: with Redis unreachable `hit` and `peek`
    answer None (the request goes through uncounted), warn once per outage, and leave Redis alone for
    a few seconds before trying again."""

    def __init__(self, *, client: redis.Redis, prefix: str, now: Callable[[], float] = _wall_clock):
        self._client, self._prefix, self._now = client, prefix, now
        self._script = client.register_script(_HIT_SCRIPT)
        self._paused_until_ms = 0
        self._healthy = True

    def hit(self, *, key: str, limits: Limits) -> RateLimitState | None:
        """Count one request unless a limit refuses it; None when Redis could not be asked."""
        now_ms = round(self._now() * 1000)
        day = _local_day(now_ms)
        ttl_s = _seconds_until(_next_midnight_ms(day), now_ms) + DAILY_TTL_MARGIN_S
        args = [now_ms, WINDOW_MS, limits.per_10s, limits.daily, ttl_s, f"{now_ms}:{uuid.uuid4().hex}"]
        reply = self._ask(lambda: self._script(keys=self._keys(key, day), args=args), now_ms)
        if reply is None:
            return None
        counted, used_10s, used_daily, oldest = reply
        return _state(
            limits=limits,
            used_10s=int(used_10s),
            used_daily=int(used_daily),
            counted=bool(counted),
            oldest_ms=None if oldest is None else int(float(oldest)),
            now_ms=now_ms,
        )

    def peek(self, *, key: str, limits: Limits) -> RateLimitState | None:
        """The counts as they stand, counting nothing; None when Redis could not be asked."""
        now_ms = round(self._now() * 1000)
        window_key, daily_key = self._keys(key, _local_day(now_ms))
        pipeline = self._client.pipeline(transaction=False)
        pipeline.zcount(window_key, f"({now_ms - WINDOW_MS}", "+inf")
        pipeline.get(daily_key)
        reply = self._ask(pipeline.execute, now_ms)
        if reply is None:
            return None
        used_10s, used_daily = reply
        return RateLimitState(limits=limits, used_10s=int(used_10s), used_daily=int(used_daily or 0))

    def _keys(self, key: str, day: dt.date) -> list[str]:
        # The braces (a hash tag) keep both keys of an integration in one Redis Cluster slot.
        return [f"{self._prefix}:{{{key}}}:10s", f"{self._prefix}:{{{key}}}:day:{day.isoformat()}"]

    def _ask(self, command: Callable[[], list], now_ms: int) -> list | None:
        if now_ms < self._paused_until_ms:
            return None
        try:
            reply = command()
        except redis.RedisError as exc:
            self._paused_until_ms = now_ms + REDIS_PAUSE_AFTER_FAILURE_MS
            if self._healthy:
                logger.warning("Redis is unreachable; API rate limits are not enforced until it is back: %s", exc)
            self._healthy = False
            return None
        if not self._healthy:
            logger.info("Redis is reachable again; API rate limits are enforced.")
        self._healthy = True
        return reply


# --- Choosing the limiter --------------------------------------------------------------------------

_memory_limiter = MemoryRateLimiter()


@functools.cache
def _redis_limiter(url: str, prefix: str) -> RedisRateLimiter:
    return RedisRateLimiter(client=redis_client(url), prefix=prefix)


def rate_limiter() -> MemoryRateLimiter | RedisRateLimiter:
    """Redis when `REDIS_URL` is set (read now, so tests can switch), else this process's memory."""
    url = getattr(settings, "REDIS_URL", "")
    if url:
        return _redis_limiter(url, getattr(settings, "CRM_API_RATE_LIMIT_PREFIX", "crm:ratelimit"))
    return _memory_limiter
