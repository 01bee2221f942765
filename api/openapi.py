"""Schema components shared by the API views' `@extend_schema` declarations (drf-spectacular).

Errors are described here and built by `api.errors`. `SimplePublicObjectSerializer` also renders:
a contact as HubSpot's object, with the properties its context names.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from contacts.models import Contact
from contacts.properties import contact_object, format_datetime


class ErrorDetailSerializer(serializers.Serializer):
    message = serializers.CharField()
    code = serializers.CharField(required=False)
    context = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    # "in" is a Python keyword; the field is declared under that name below.


ErrorDetailSerializer._declared_fields["in"] = serializers.CharField(required=False)


class ErrorSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    correlationId = serializers.CharField()
    category = serializers.CharField()
    subCategory = serializers.CharField(required=False)
    errors = ErrorDetailSerializer(many=True, required=False)
    context = serializers.DictField(required=False)


class PropertiesField(serializers.DictField):
    """`{"name": "value"}`: every value a string."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.CharField(allow_blank=True), **kwargs)


class SimplePublicObjectSerializer(serializers.Serializer):
    # A contact as HubSpot's SimplePublicObject, with the properties `context["properties"]` names. (A comment,
    # not a docstring: drf-spectacular would publish a docstring as the component's description.)
    id = serializers.CharField()
    properties = PropertiesField()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    archived = serializers.BooleanField()
    archivedAt = serializers.DateTimeField(required=False)

    def to_representation(self, instance: Contact) -> dict[str, Any]:
        return contact_object(instance, self.context["properties"])


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """The error responses an endpoint can give, besides 401 and 429 which every endpoint can."""
    described = {
        400: "Invalid input (VALIDATION_ERROR)",
        401: "Missing, unknown or revoked token (INVALID_AUTHENTICATION)",
        403: "The token lacks a scope (MISSING_SCOPES)",
        404: "No such contact (OBJECT_NOT_FOUND)",
        409: "A contact with this email exists (CONFLICT)",
        429: "Rate limit reached (RATE_LIMIT)",
    }
    return {status: OpenApiResponse(ErrorSerializer, description=described[status]) for status in (*statuses, 401, 429)}


PROPERTIES_PARAMETER = OpenApiParameter(
    "properties",
    str,
    many=True,
    description="Properties to return, repeated or comma-separated. Unknown names are ignored.",
)
ARCHIVED_PARAMETER = OpenApiParameter("archived", bool, description="Return only archived contacts.")


@dataclass(frozen=True)
class BatchResult:
    """What a batch endpoint answers: its results, the per-input errors (then it is a 207), when it started
    and completed (now, when rendered, unless given), and its status when nothing failed."""

    results: list[Any]
    errors: list[dict[str, Any]]
    started_at: datetime
    completed_at: datetime | None = None
    status: int = 200

    @property
    def http_status(self) -> int:
        return 207 if self.errors else self.status


class BatchResponseSerializer(serializers.Serializer):
    # Renders a `BatchResult` as HubSpot's batch response: `numErrors` and `errors` only when some input
    # failed. Subclasses declare the fields for the schema and render each result with `result`.

    def result(self, item: Any) -> dict[str, Any]:
        return item

    def to_representation(self, instance: BatchResult) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": "COMPLETE",
            "results": [self.result(item) for item in instance.results],
            "startedAt": format_datetime(instance.started_at),
            "completedAt": format_datetime(instance.completed_at or timezone.now()),
        }
        if instance.errors:
            body |= {"numErrors": len(instance.errors), "errors": instance.errors}
        return body
