"""The API's OpenAPI 3 schema and its documentation pages, behind authentication.

- `/api/schema/`: JSON by default (`?format=yaml` or `Accept: application/yaml` for YAML), for a
  signed-in user's session or any integration's bearer token; anyone else gets 401 in HubSpot's shape.
- `/api/docs/` (Swagger UI) and `/api/redoc/` (ReDoc), served from drf-spectacular-sidecar's static
  files: signed-in users only; signed-out visitors are sent to the login page.

The schema covers only the API's own routes (`api.urls`: crm/v3 and marketing/v3).
"""

from django.contrib.auth.decorators import login_required
from django.urls import path
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
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


class SwaggerDocsView(SpectacularSwaggerView):
    """Swagger UI; "Authorize" takes an integration token to try the endpoints."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]
    url_name = SCHEMA_URL_NAME
    title = "CRM API"


class RedocView(SpectacularRedocView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]
    url_name = SCHEMA_URL_NAME
    title = "CRM API"


urlpatterns = [
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", login_required(SwaggerDocsView.as_view()), name="docs"),
    path("api/redoc/", login_required(RedocView.as_view()), name="redoc"),
]
