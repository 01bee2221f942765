"""Sign-in throttling (OWASP ASVS 2.2.1), on django-axes: the pieces `crm.settings` points axes at.

Failed sign-ins are counted per username and, separately, per client address (`AXES_LOCKOUT_PARAMETERS`
is "username OR address"): `AXES_FAILURE_LIMIT` failures of either within `AXES_COOLOFF_TIME` pause
signing in for that username, or from that address, until the cool-off has passed since the last
counted failure. Attempts made while paused are refused without being counted, so the pause ends on
time however long someone keeps trying; a successful sign-in clears the failures counted for it.

The address is the one the public intake's rate limit uses (`crm.addresses.client_address`: the
REMOTE_ADDR, or what the `CRM_TRUSTED_PROXIES` proxies in front recorded), so a client cannot pick
the address it is counted under by sending its own X-Forwarded-For.
"""

import ipaddress

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from crm.addresses import client_address

LOCKED_OUT_TEMPLATE = "registration/locked_out.html"


class SignInThrottleBackend(AxesStandaloneBackend):
    """First of AUTHENTICATION_BACKENDS: refuses every attempt while its username or address is paused.

    An `authenticate()` without an HTTP request (the shell, a test client's `login()`) is no sign-in
    from anywhere and is left to the next backend; every view that signs people in (the sign-in page,
    the admin's) passes its request, and is throttled.
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def sign_in_address(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the client address, or None when there is no valid one (axes stores an
    IP address field; a misconfigured proxy count could point at any text a client sent)."""
    address = client_address(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def cool_off_minutes() -> int:
    return max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def locked_out_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the page a paused sign-in gets, 429 with Retry-After. It reads the same
    whether or not the username exists."""
    minutes = cool_off_minutes()
    response = TemplateResponse(request, LOCKED_OUT_TEMPLATE, {"cool_off_minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response.render()
