"""`POST /extensions/v1/contacts`: contacts sent by the mobile app and the email extension (R9).

    {"source": "EMAIL_EXTENSION" | "MOBILE_APP", "properties": {"email": "...", "firstname": "...", ...}}

Authenticated, unlike the public intake: either an integration's bearer token with the
`crm.objects.contacts.write` scope (rate-limited like the API), or a signed-in session sending its
CSRF token, whose user needs `contacts.add_contact`. Properties use the API's names (`contacts.properties`);
`hs_marketable_status` cannot be sent, since these tools always create non-marketing contacts.
Answers 201 with the new contact, or 200 with the existing one it matched by email (the caller is
authenticated, so it may know). Errors are the API's HubSpot-shaped JSON (`api.errors`).
"""

from dataclasses import dataclass
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response

from api.authentication import IntegrationPrincipal, IntegrationTokenAuthentication
from api.errors import validation_error
from api.inputs import RequestSerializer, json_object, write_input
from api.openapi import PropertiesField, SimplePublicObjectSerializer, error_responses
from api.parsers import StorableJSONParser
from api.permissions import HasScopes
from api.properties import raise_if_errors
from api.schema_extensions import SECURITY_SCHEME
from api.views.base import ApiView
from contacts.properties import DEFAULT_PROPERTIES, MARKETING_STATUS
from engagements.services import EXTENSION_TOOLS, EngagementInvalid, extension_contact_capture
from integrations.scopes import CONTACTS_WRITE
from marketing_status.actors import Actor

ANSWER_PROPERTIES = (*DEFAULT_PROPERTIES, "hs_object_source", "hs_object_source_id", MARKETING_STATUS)


@dataclass(frozen=True)
class ExtensionContact:
    source: str
    properties: dict[str, Any]


class TokenOrSessionUser(permissions.BasePermission):
    """A token needs the contacts write scope (403 MISSING_SCOPES); a session user `contacts.add_contact`."""

    def has_permission(self, request, view) -> bool:
        if isinstance(request.user, IntegrationPrincipal):
            return HasScopes().has_permission(request, view)
        if not request.user or not request.user.is_authenticated:
            return False
        if not request.user.has_perm("contacts.add_contact"):
            raise exceptions.PermissionDenied("You need permission to create contacts.")
        return True


class ExtensionContactView(ApiView):
    authentication_classes = [IntegrationTokenAuthentication, SessionAuthentication]
    permission_classes = [TokenOrSessionUser]
    parser_classes = [StorableJSONParser]
    required_scopes = {"POST": (CONTACTS_WRITE,)}

    class InputSerializer(RequestSerializer):
        """The request body, for the OpenAPI schema; the view validates it as the contacts API does."""

        source = serializers.ChoiceField(choices=EXTENSION_TOOLS)
        properties = PropertiesField()

        class Meta:
            ref_name = "ExtensionContactInput"

        def parse(self, data: Any) -> ExtensionContact:
            body = json_object(data)
            source = body.get("source")
            if not isinstance(source, str) or source not in EXTENSION_TOOLS:
                raise validation_error(
                    f"source must be one of {', '.join(EXTENSION_TOOLS)}.",
                    [{"message": "Unknown source.", "in": "source", "code": "INVALID_OPTION"}],
                )
            parsed, errors = write_input(body, index=None)
            raise_if_errors(errors)
            if parsed.contact.marketing is not None:
                message = (
                    f"{MARKETING_STATUS} cannot be set here: contacts from the mobile app and the email extension "
                    "are non-marketing."  # R9
                )
                error = {"message": message, "in": MARKETING_STATUS, "code": "READ_ONLY_VALUE"}
                raise validation_error(message, [error])
            return ExtensionContact(source, parsed.contact.data)

    @property
    def actor(self) -> Actor:
        user = self.request.user
        return user.actor if isinstance(user, IntegrationPrincipal) else Actor.for_user(user)

    @extend_schema(
        summary="Create or match a contact from the mobile app or the email extension",
        description="R9: a new contact is non-marketing, with the tool recorded (201); an existing contact with "
        "the same email is matched and keeps its status (200). `hs_marketable_status` cannot be sent.",
        request=InputSerializer,
        auth=[{SECURITY_SCHEME: []}],  # the in-app extension's signed-in session is not part of the public API
        responses={201: SimplePublicObjectSerializer, 200: SimplePublicObjectSerializer, **error_responses(400, 403)},
    )
    def post(self, request):
        contact = self.InputSerializer.validated(request.data)
        try:
            result = extension_contact_capture(source=contact.source, properties=contact.properties, actor=self.actor)
        except EngagementInvalid as invalid:
            errors = [{"message": text, "in": name, "code": "INVALID_EMAIL"} for name, text in invalid.errors.items()]
            raise validation_error(str(invalid), errors) from None
        body = SimplePublicObjectSerializer(result.contact, context={"properties": ANSWER_PROPERTIES}).data
        return Response(body, status=201 if result.created else 200)
