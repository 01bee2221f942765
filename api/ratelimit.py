"""Rate limits per integration: a rolling 10-second window and a daily allowance, with HubSpot's headers.

(Filled in by the rate-limit work: `IntegrationRateThrottle` decides; `rate_limit_headers` reports.)
"""

from rest_framework.throttling import BaseThrottle


class IntegrationRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        return True


def rate_limit_headers(request) -> dict[str, str]:
    """The X-HubSpot-RateLimit-* headers for this request's integration, or {} when none was counted."""
    return {}
