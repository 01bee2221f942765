"""One error shape for the whole API, as HubSpot shapes it.

    {"status": "error", "message": "...", "correlationId": "<uuid>", "category": "VALIDATION_ERROR",
     "errors": [{"message": "...", "in": "email", "code": "INVALID_EMAIL", "context": {...}}]}

Every refusal raises `ApiError` (or a DRF or domain exception that `exception_handler` maps), so
views never build error bodies themselves. Nothing the client sends may produce a 500.
"""

import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response

from contacts.services import ContactConflict, ContactInvalid
from marketing_status.actors import MarketingStatusPermissionDenied
from marketing_status.services import MarketingContactsNotEnabled, TierGuardRefused

logger = logging.getLogger(__name__)

VALIDATION_ERROR = "VALIDATION_ERROR"
MAX_BATCH_INPUTS = 100


class ApiError(Exception):
    """An error answered in HubSpot's shape with `status`; `errors` are per-field or per-input details."""

    def __init__(
        self,
        *,
        status: int,
        category: str,
        message: str,
        errors: list[dict[str, Any]] | None = None,
        context: dict[str, Any] | None = None,
        sub_category: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.status, self.category, self.message = status, category, message
        self.errors, self.context, self.sub_category = errors or [], context or {}, sub_category
        self.headers, self.extra = headers or {}, extra or {}

    def body(self, correlation_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": "error",
            "message": self.message,
            "correlationId": correlation_id,
            "category": self.category,
        }
        if self.sub_category:
            body["subCategory"] = self.sub_category
        if self.errors:
            body["errors"] = self.errors
        if self.context:
            body["context"] = self.context
        body.update(self.extra)
        return body


def validation_error(message: str, errors: list[dict[str, Any]] | None = None, **kwargs) -> ApiError:
    return ApiError(status=400, category=VALIDATION_ERROR, message=message, errors=errors, **kwargs)


def too_large_error() -> ApiError:
    """413, as HubSpot answers a body above its limit; here the limit is `DATA_UPLOAD_MAX_MEMORY_SIZE`."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return ApiError(
        status=413,
        category=VALIDATION_ERROR,
        sub_category="REQUEST_BODY_TOO_LARGE",
        message=f"Request Entity Too Large: the body must be at most {limit:,} bytes.",
        context={"maxBytes": [str(limit)]},
    )


def not_found(message: str = "Object not found.", **kwargs) -> ApiError:
    return ApiError(status=404, category="OBJECT_NOT_FOUND", message=message, **kwargs)


def correlation_id(request) -> str:
    """One id per request, in the error body and the `X-HubSpot-Correlation-Id` header."""
    request = getattr(request, "_request", request)
    if not hasattr(request, "correlation_id"):
        request.correlation_id = str(uuid.uuid4())
    return request.correlation_id


def contact_invalid_error(exc: ContactInvalid, *, index_offset: int = 0) -> ApiError:
    """ContactInvalid → 400, one error per bad property, naming the input it came from in a batch."""
    errors = [
        {
            "message": message,
            "in": field,
            "code": "INVALID_EMAIL" if field == "email" else "INVALID_PROPERTY",
            "context": {"inputIndex": [str(index + index_offset)], "propertyName": [field]},
        }
        for index, fields in sorted(exc.errors.items())
        for field, message in sorted(fields.items())
    ]
    return validation_error("Property values were not valid: " + "; ".join(e["message"] for e in errors), errors)


def conflict_error(exc: ContactConflict) -> ApiError:
    return ApiError(
        status=409,
        category="CONFLICT",
        message=f"Contact already exists. Existing ID: {exc.existing_id}",
        context={"existingId": [str(exc.existing_id)]},
    )


def tier_guard_error(exc: TierGuardRefused) -> ApiError:
    """B4: the tier guard refuses an unconfirmed change that would cross the tier; send confirmTierUpgrade."""
    impact = exc.impact
    return validation_error(
        str(exc),
        sub_category="TIER_UPGRADE_NOT_CONFIRMED",
        context={
            "becomingMarketing": [str(impact.becoming_marketing)],
            "countNow": [str(impact.count_now)],
            "countAfter": [str(impact.count_after)],
            "tierLimit": [str(impact.tier_limit)],
        },
    )


def _from_exception(exc: Exception) -> ApiError | None:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, RequestDataTooBig):
        return too_large_error()
    if isinstance(exc, ContactInvalid):
        return contact_invalid_error(exc)
    if isinstance(exc, ContactConflict):
        return conflict_error(exc)
    if isinstance(exc, TierGuardRefused):
        return tier_guard_error(exc)
    if isinstance(exc, MarketingStatusPermissionDenied):
        return ApiError(status=403, category="MISSING_SCOPES", message=str(exc))
    if isinstance(exc, MarketingContactsNotEnabled):
        return validation_error(str(exc), sub_category="MARKETING_CONTACTS_NOT_ENABLED")
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return ApiError(status=401, category="INVALID_AUTHENTICATION", message=str(exc.detail))
    if isinstance(exc, exceptions.PermissionDenied):
        return ApiError(status=403, category="MISSING_SCOPES", message=str(exc.detail))
    if isinstance(exc, Http404 | exceptions.NotFound):
        return not_found()
    if isinstance(exc, exceptions.MethodNotAllowed):
        return ApiError(status=405, category="METHOD_NOT_ALLOWED", message=str(exc.detail))
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return ApiError(status=415, category="UNSUPPORTED_MEDIA_TYPE", message=str(exc.detail))
    if isinstance(exc, exceptions.ParseError):
        return validation_error(f"Invalid input JSON: {exc.detail}", sub_category="INVALID_JSON")
    if isinstance(exc, exceptions.ValidationError):
        return validation_error("Invalid input.", _drf_errors(exc.detail))
    if isinstance(exc, exceptions.NotAcceptable):
        return ApiError(status=406, category="NOT_ACCEPTABLE", message=str(exc.detail))
    if isinstance(exc, exceptions.APIException):
        return ApiError(status=exc.status_code, category="ERROR", message=str(exc.detail))
    return None


def _drf_errors(detail, path: str = "") -> list[dict[str, Any]]:
    if isinstance(detail, dict):
        return [error for key, value in detail.items() for error in _drf_errors(value, f"{path}.{key}".lstrip("."))]
    if isinstance(detail, list):
        return [error for item in detail for error in _drf_errors(item, path)]
    return [{"message": str(detail), "in": path or "body", "code": str(getattr(detail, "code", "invalid")).upper()}]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every known failure becomes HubSpot's error JSON; anything else is a 500
    in the same shape (and logged), never Django's HTML page."""
    request = context.get("request")
    error = _from_exception(exc)
    if error is None:
        logger.exception("Unhandled API error", exc_info=exc)
        error = ApiError(status=500, category="INTERNAL_ERROR", message="Internal error.")
    response = Response(error.body(correlation_id(request)), status=error.status, headers=error.headers)
    if error.status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


@csrf_exempt
def json_not_found(request, *args, **kwargs) -> JsonResponse:
    """Unknown paths under the API prefixes answer HubSpot-shaped JSON, not the HTML 404 page, whatever
    the method: API callers send no CSRF token, so a POST must not meet Django's HTML 403 first. The body
    is never read."""
    error = ApiError(status=404, category="OBJECT_NOT_FOUND", message=f"No endpoint matches {request.path}.")
    response = JsonResponse(error.body(correlation_id(request)), status=404)
    response["X-HubSpot-Correlation-Id"] = correlation_id(request)
    return response
