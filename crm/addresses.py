"""Where a request comes from and where visitors reach this app; shared by the public intake's rate limit
(`capture.public`), sign-in throttling (`accounts.sign_in`) and the screens that show public links."""

from django.conf import settings
from django.http import HttpRequest


def public_base_url(request: HttpRequest) -> str:
    """Where visitors reach this app (embed codes, widget tags, booking and hosted-form links):
    `CRM_PUBLIC_URL`, else the host this request came to."""
    return settings.CRM_PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")


def client_address(request: HttpRequest) -> str:
    """The visitor's address: REMOTE_ADDR, or the one `CRM_TRUSTED_PROXIES` proxies in front recorded."""
    hops = getattr(settings, "CRM_TRUSTED_PROXIES", 0)
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "") or "unknown"
