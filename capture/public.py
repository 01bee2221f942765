"""What every public intake endpoint (forms, non-HubSpot forms, chat, meeting booking) shares.

These endpoints are the only ones without authentication, so each is wrapped by `public_endpoint`:

- **CORS**: pages on other sites post to them, so any origin may, without cookies (no credentials
  are allowed, so a visitor's session is never sent along and CSRF has nothing to ride on).
- **Size**: a body above `max_bytes` is refused with 413 before it is read.
- **Rate**: at most `CRM_INTAKE_RATE_LIMIT_10S` requests per source address in any rolling 10 seconds
  and `CRM_INTAKE_RATE_LIMIT_DAILY` per day, counted where the API counts (Redis when configured).
  The source address is `REMOTE_ADDR`, or, with `CRM_TRUSTED_PROXIES` hops of reverse proxy in
  front, the address those proxies saw.
- **Errors** in HubSpot's shape: `{"status": "error", "message", "correlationId", "errors": [...]}`.

Spam: forms carry a hidden honeypot field (`HONEYPOT_FIELD`) that people never see and bots fill in.
A submission with it filled is answered exactly like an accepted one and stored nowhere
(`is_spam`). Answers never depend on whether a contact with the submitted email exists.
"""

import functools
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from crm.addresses import client_address
from crm.ratelimit import Limits, rate_limiter

logger = logging.getLogger(__name__)

HONEYPOT_FIELD = "crm_website_confirm"
DEFAULT_MAX_BYTES = 64 * 1024
SCRIPT_MAX_AGE = 300  # embed and widget scripts: a deploy reaches every site within five minutes


class IntakeError(Exception):
    """A refused public request: answered with `status` and HubSpot's error JSON; nothing was stored."""

    def __init__(self, status: int, message: str, errors: list[dict[str, str]] | None = None):
        self.status, self.message, self.errors = status, message, errors or []
        super().__init__(message)


def error_response(status: int, message: str, errors: list[dict[str, str]] | None = None) -> JsonResponse:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "errors": errors or []}
    return JsonResponse(body, status=status)


def intake_limits() -> Limits:
    return Limits(
        per_10s=getattr(settings, "CRM_INTAKE_RATE_LIMIT_10S", 20),
        daily=getattr(settings, "CRM_INTAKE_RATE_LIMIT_DAILY", 2_000),
    )


def _cors(response: HttpResponse, methods: str) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = methods
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Access-Control-Max-Age"] = "600"
    response.setdefault("Cache-Control", "no-store")  # answers are per visitor; scripts set their own
    return response


def script_response(static_path: str) -> HttpResponse:
    """A script from the static files at a stable address for snippets on other sites (collected static
    names are hashed in production), cacheable for `SCRIPT_MAX_AGE` seconds."""
    found = finders.find(static_path)
    if not found:
        raise Http404(static_path)
    response = HttpResponse(Path(found).read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={SCRIPT_MAX_AGE}"
    return response


def _refusal(request: HttpRequest, max_bytes: int) -> JsonResponse | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return error_response(400, "The Content-Length header is not a number.")
    if length > max_bytes:
        return error_response(413, f"The request body is larger than {max_bytes:,} bytes.")
    if len(request.body) > max_bytes:  # a body sent without (or with a wrong) Content-Length
        return error_response(413, f"The request body is larger than {max_bytes:,} bytes.")
    key = f"{getattr(settings, 'CRM_INTAKE_RATE_LIMIT_PREFIX', 'intake')}:{client_address(request)}"
    state = rate_limiter().hit(key=key, limits=intake_limits())
    if state is not None and not state.allowed:
        response = error_response(429, "Too many submissions from this address. Try again later.")
        response["Retry-After"] = str(state.retry_after)
        return response
    return None


def public_endpoint(
    *,
    methods: tuple[str, ...] = ("POST",),
    max_bytes: int = DEFAULT_MAX_BYTES,
    counted: bool | Callable[[HttpRequest], bool] = True,
):
    """Wrap a public view: CORS, OPTIONS preflight, method check, size limit, per-address rate limit
    and `IntakeError` as HubSpot's error JSON. `counted` (or a function of the request answering it)
    says whether the request counts against the rate limit: scripts, form definitions and chat polls
    don't, submissions do."""
    allowed = ", ".join((*methods, "OPTIONS"))

    def decorate(view: Callable[..., HttpResponse]):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "OPTIONS":
                return _cors(HttpResponse(status=204), allowed)
            if request.method not in methods:
                response = error_response(405, f"Use {' or '.join(methods)}.")
                response["Allow"] = allowed
                return _cors(response, allowed)
            refusal = _refusal(request, max_bytes) if (counted(request) if callable(counted) else counted) else None
            if refusal is not None:
                return _cors(refusal, allowed)
            try:
                response = view(request, *args, **kwargs)
            except IntakeError as exc:
                response = error_response(exc.status, exc.message, exc.errors)
            return _cors(response, allowed)

        return wrapper

    return decorate


def json_body(request: HttpRequest) -> Mapping[str, Any]:
    """The request's JSON object, or `IntakeError` 400."""
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise IntakeError(400, "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise IntakeError(400, "The request body must be a JSON object.")
    return data


def is_spam(values: Mapping[str, Any]) -> bool:
    """The honeypot field is filled in: a bot. Answer as if accepted, store nothing."""
    value = values.get(HONEYPOT_FIELD)
    return bool(str(value).strip()) if value is not None else False
