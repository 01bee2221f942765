"""drf-spectacular extensions: the bearer-token security scheme, and HubSpot's operation names and tags.

Imported by `ApiConfig.ready()`, so both `/api/schema/` and `manage.py spectacular` see them.

Views declare what they take and return with `@extend_schema`; this module names every operation
(operationId, tag) the way HubSpot's CRM v3 documentation groups them ("Basic", "Batch", "Search")
and records the scopes each one needs (R30) as `x-hubspot-required-scopes`, read from the view's own
`required_scopes`, so the schema cannot drift from what `HasScopes` enforces.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiViewExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.views import APIView

from api.permissions import scopes_required

SECURITY_SCHEME = "private_app_token"

BASIC, BATCH, SEARCH, MARKETING = "Basic", "Batch", "Search", "Marketing contacts"
EXTENSIONS = "Mobile app and email extension"

# view class name -> {HTTP method: (operationId, tag)}. operationIds are unique across the document.
OPERATIONS: dict[str, dict[str, tuple[str, str]]] = {
    "ContactCollectionView": {"get": ("getPage", BASIC), "post": ("create", BASIC)},
    "ContactDetailView": {
        "get": ("getById", BASIC),
        "patch": ("update", BASIC),
        "delete": ("archive", BASIC),
    },
    "BatchReadView": {"post": ("batchRead", BATCH)},
    "BatchCreateView": {"post": ("batchCreate", BATCH)},
    "BatchUpdateView": {"post": ("batchUpdate", BATCH)},
    "BatchUpsertView": {"post": ("batchUpsert", BATCH)},
    "BatchArchiveView": {"post": ("batchArchive", BATCH)},
    "ContactSearchView": {"post": ("doSearch", SEARCH)},
    "SetMarketingView": {"post": ("setMarketing", MARKETING)},
    "SetNonMarketingView": {"post": ("setNonMarketing", MARKETING)},
    "UsageView": {"get": ("getUsage", MARKETING)},
    "ExtensionContactView": {"post": ("createFromExtension", EXTENSIONS)},
}


class IntegrationTokenScheme(OpenApiAuthenticationExtension):
    """`Authorization: Bearer <token>`: an integration's private-app token (see Settings > Integrations)."""

    target_class = "api.authentication.IntegrationTokenAuthentication"
    name = SECURITY_SCHEME

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer")
        scheme["description"] = (
            "An integration's private-app token (`pat-crm-…`), created under Settings > Integrations "
            "or with `manage.py create_integration`. Each operation lists the scopes it needs in "
            "`x-hubspot-required-scopes` (R30)."
        )
        return scheme


class HubSpotOperationNames(OpenApiViewExtension):
    """Names each API operation as `OPERATIONS` says and lists its required scopes (R30)."""

    target_class = "api.views.base.ApiView"
    match_subclasses = True

    def view_replacement(self) -> type[APIView]:
        # "" rather than None: drf-spectacular would otherwise describe the view with ApiView's docstring
        named = type(self.target.__name__, (self.target,), {"__doc__": self.target.__doc__ or ""})
        annotations = {
            method: extend_schema(
                operation_id=operation_id,
                tags=[tag],
                extensions={"x-hubspot-required-scopes": sorted(scopes_required(named, method.upper()))},
            )
            for method, (operation_id, tag) in OPERATIONS.get(self.target.__name__, {}).items()
            # a stub, or a view that does not answer this method: nothing to name
            if hasattr(named, method)
        }
        # extend_schema_view annotates copies of the handlers, keeping the view's own @extend_schema as base
        return extend_schema_view(**annotations)(named)


def declare_body_errors(result, generator, request, public):
    """A POSTPROCESSING_HOOK: every operation that takes a body can answer 413 (larger than
    `DATA_UPLOAD_MAX_MEMORY_SIZE`) and 415 (not sent as JSON), in the error shape its 400 has."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            responses = operation.get("responses", {}) if isinstance(operation, dict) else {}
            if "requestBody" not in operation or "400" not in responses:
                continue
            content = responses["400"].get("content", {})
            responses.setdefault(
                "413", {"description": "Request body too large (VALIDATION_ERROR)", "content": content}
            )
            responses.setdefault(
                "415", {"description": "Body not sent as JSON (UNSUPPORTED_MEDIA_TYPE)", "content": content}
            )
    return result
