"""The base of every API view: token auth, scopes, rate limit, JSON only, one error shape."""

from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from api.authentication import IntegrationTokenAuthentication
from api.errors import ApiError, correlation_id, validation_error
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

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, scopes and rate limit come first
        if request.method in BODY_METHODS:
            ensure_json_body(request)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["X-HubSpot-Correlation-Id"] = correlation_id(request)
        for header, value in rate_limit_headers(request).items():
            response[header] = value
        return response


BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def ensure_json_body(request) -> None:
    """Every write takes a JSON body. DRF reads an empty body, or one without a Content-Type, as `{}`,
    which a search would run as "everything"; both are refused instead. Nothing is read here."""
    if request.stream is None:  # no Content-Length, or 0
        message = "Invalid input JSON: the request body is empty."
        error = {"message": message, "in": "body", "code": "REQUIRED"}
        raise validation_error(message, [error], sub_category="INVALID_JSON")
    if not request.content_type:
        raise ApiError(
            status=415,
            category="UNSUPPORTED_MEDIA_TYPE",
            message="Send the body as JSON, with `Content-Type: application/json`.",
        )
