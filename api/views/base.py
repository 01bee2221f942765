"""The base of every API view: token auth, scopes, rate limit, JSON only, one error shape."""

from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from api.authentication import IntegrationTokenAuthentication
from api.errors import correlation_id
from api.parsers import JSONBodyParser
from api.permissions import HasScopes
from api.ratelimit import IntegrationRateThrottle, rate_limit_headers


class ApiView(APIView):
    """Subclasses set `required_scopes = {"POST": (CONTACTS_READ,)}` where the default (read for GET,
    write otherwise) is wrong, and call services and selectors; they never write models themselves."""

    authentication_classes = [IntegrationTokenAuthentication]
    permission_classes = [HasScopes]
    throttle_classes = [IntegrationRateThrottle]
    parser_classes = [JSONBodyParser]
    renderer_classes = [JSONRenderer]
    required_scopes: dict[str, tuple[str, ...]] = {}

    @property
    def actor(self):
        return self.request.user.actor

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["X-HubSpot-Correlation-Id"] = correlation_id(request)
        for header, value in rate_limit_headers(request).items():
            response[header] = value
        return response


def flag(value: object) -> bool:
    """A query-string or JSON boolean: true/True/1 is true, anything else false."""
    return str(value).strip().lower() in ("true", "1")
