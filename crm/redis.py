"""The Redis client shared by what keeps small, short-lived state there (API rate limits, change-feed
wake-ups). Redis must answer fast or not at all: callers treat an error as "Redis is away" and carry on
without it."""

import functools

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

REDIS_TIMEOUT_S = 0.25


@functools.cache
def redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per process and URL, created on first use; no retries."""
    return redis.Redis.from_url(
        url,
        socket_timeout=REDIS_TIMEOUT_S,
        socket_connect_timeout=REDIS_TIMEOUT_S,
        retry=Retry(NoBackoff(), 0),
        decode_responses=True,
    )
