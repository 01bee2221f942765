"""Rate limits per integration, with HubSpot's headers: the API's use of the limiter in `crm.ratelimit`.

Each integration may make `CRM_API_RATE_LIMIT_10S` requests in any rolling 10 seconds and
`CRM_API_RATE_LIMIT_DAILY` per calendar day in `TIME_ZONE` (the allowance resets at local midnight).
Settings are read on every request. A refused request is answered 429 in HubSpot's shape
(`policyName` TEN_SECONDLY_ROLLING or DAILY, `Retry-After`) and is not counted.

`IntegrationRateThrottle` decides and stores its state on the Django request; `rate_limit_headers`
reports it as the X-HubSpot-RateLimit-* headers on every authenticated response, the 429 included.
"""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from api.errors import ApiError
from crm.ratelimit import Limits, RateLimitState, rate_limiter
from integrations.models import Integration

STATE_ATTRIBUTE = "crm_rate_limit"


def current_limits() -> Limits:
    """The limits as configured now (read per request, so tests and operators can change them)."""
    return Limits(
        per_10s=getattr(settings, "CRM_API_RATE_LIMIT_10S", 190),
        daily=getattr(settings, "CRM_API_RATE_LIMIT_DAILY", 625_000),
    )


def integration_key(integration: Integration) -> str:
    """Counts are per integration. The start of the token hash keeps a new integration from inheriting
    the counts of an old one when ids are reused (a recreated or restored database) while Redis keeps
    a day's counts."""
    return f"{integration.pk}.{integration.token_hash[:12]}"


# --- DRF ---------------------------------------------------------------------------------------------


def rate_limit_error(state: RateLimitState) -> ApiError:
    """HubSpot's 429: `policyName` says which limit was reached, `Retry-After` when to try again."""
    return ApiError(
        status=429,
        category="RATE_LIMITS",
        message=f"You have reached your {state.refused_by.lower()} limit.",
        extra={"errorType": "RATE_LIMIT", "policyName": state.refused_by},
        headers={"Retry-After": str(state.retry_after)},
    )


class IntegrationRateThrottle(BaseThrottle):
    """Counts each authenticated request against its integration's limits; raises the 429 `ApiError`
    itself (so the body is HubSpot's), after storing the state the response headers report."""

    def allow_request(self, request, view) -> bool:
        integration = request.auth
        if not isinstance(integration, Integration):
            return True
        state = rate_limiter().hit(key=integration_key(integration), limits=current_limits())
        if state is None:
            return True
        setattr(request._request, STATE_ATTRIBUTE, state)
        if not state.allowed:
            raise rate_limit_error(state)
        return True


def rate_limit_headers(request) -> dict[str, str]:
    """The X-HubSpot-RateLimit-* headers for this request's integration, or {} when there is none (or
    Redis is unreachable). A request refused before the throttle ran (a missing scope) reports the
    counts as they stand, without being counted."""
    django_request = getattr(request, "_request", request)
    state = getattr(django_request, STATE_ATTRIBUTE, None)
    if state is None:
        # DRF copies `auth` onto the Django request once authentication ran; never authenticate here.
        integration = getattr(django_request, "auth", None)
        if isinstance(integration, Integration):
            state = rate_limiter().peek(key=integration_key(integration), limits=current_limits())
    return state.headers() if state else {}
