"""The API's OpenAPI 3 schema and its documentation pages, behind authentication.

- `/api/schema/`: JSON by default (`?format=yaml` or `Accept: application/yaml` for YAML), for a
  signed-in user's session or any integration's bearer token; anyone else gets 401 in HubSpot's shape.
- `/api/docs/` (Swagger UI) and `/api/redoc/` (ReDoc), served from drf-spectacular-sidecar's static
  files: signed-in users only; signed-out visitors are sent to the login page.

The schema covers only the API's own routes (`api.urls`: crm/v3 and marketing/v3).
"""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib.auth.decorators import login_required
from django.urls import path
from django.utils.decorators import method_decorator
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated

from api.authentication import IntegrationTokenAuthentication
from api.errors import correlation_id

SCHEMA_URL_NAME = "api:schema"


class SchemaView(SpectacularAPIView):
    """The OpenAPI document. The token authenticator comes first so that a missing credential is a 401
    with `WWW-Authenticate: Bearer` rather than a 403."""

    authentication_classes = [IntegrationTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    renderer_classes = [OpenApiJsonRenderer2, OpenApiJsonRenderer, OpenApiYamlRenderer2, OpenApiYamlRenderer]
    urlconf = "api.urls"

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["X-HubSpot-Correlation-Id"] = correlation_id(request)  # as on every API response
        return response


# Both draw icons from data: images. ReDoc also writes its styles into <style> elements it creates, which
# no nonce can cover, and searches in a worker it starts from a blob: URL; its footer logo from
# cdn.redoc.ly stays blocked, like every other origin.
SWAGGER_POLICY = {"img-src": [SELF, "data:"]}
REDOC_POLICY = {**SWAGGER_POLICY, "style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]}


@method_decorator(csp_replace(SWAGGER_POLICY), name="dispatch")
class SwaggerDocsView(SpectacularSwaggerSplitView):
    """Swagger UI; "Authorize" takes an integration token to try the endpoints. The split view serves its
    set-up script at `?script`, so the page runs under the site's Content-Security-Policy unchanged."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]
    template_name = "api/swagger_ui.html"
    url_name = SCHEMA_URL_NAME
    title = "CRM API"


@method_decorator(csp_replace(REDOC_POLICY), name="dispatch")
class RedocView(SpectacularRedocView):
    """ReDoc, from drf-spectacular-sidecar's files, without the Google Fonts drf-spectacular's page loads."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]
    template_name = "api/redoc.html"
    url_name = SCHEMA_URL_NAME
    title = "CRM API"


urlpatterns = [
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", login_required(SwaggerDocsView.as_view()), name="docs"),
    path("api/redoc/", login_required(RedocView.as_view()), name="redoc"),
]
