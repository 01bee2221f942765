"""Schema components shared by the API views' `@extend_schema` declarations (drf-spectacular).

These serializers only describe payloads for the OpenAPI schema; views build their bodies with
`api.properties` and `api.errors`.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers


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
    id = serializers.CharField()
    properties = PropertiesField()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    archived = serializers.BooleanField()
    archivedAt = serializers.DateTimeField(required=False)


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
