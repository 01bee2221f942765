"""`POST /crm/v3/objects/contacts/search`: HubSpot's contact search (see `api.search` for what it means).

The serializers below only describe the payloads for the schema; `api.search` parses the body itself,
so that every malformed part is a 400 naming it, and the view renders objects with `contacts.properties`.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from api import search
from api.openapi import SimplePublicObjectSerializer, error_responses
from api.views.base import ApiView
from contacts.properties import PROPERTIES, contact_object
from integrations.scopes import CONTACTS_READ

# --- Schema components ---------------------------------------------------------------------------------


class SearchFilterSerializer(serializers.Serializer):
    propertyName = serializers.ChoiceField(choices=sorted(PROPERTIES), help_text="The property to compare.")
    operator = serializers.ChoiceField(choices=[operator.value for operator in search.Operator])
    value = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The value (EQ, NEQ, LT, LTE, GT, GTE, CONTAINS_TOKEN) or BETWEEN's low end. Datetimes: epoch "
        'milliseconds or ISO 8601; booleans: "true"/"false"; "" (EQ, NEQ) is no value.',
    )
    highValue = serializers.CharField(required=False, help_text="BETWEEN's high end (inclusive).")
    values = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        min_length=1,
        max_length=search.MAX_VALUES,
        help_text="The values of IN and NOT_IN.",
    )


class SearchFilterGroupSerializer(serializers.Serializer):
    filters = serializers.ListField(
        child=SearchFilterSerializer(), min_length=1, max_length=search.MAX_FILTERS_PER_GROUP
    )


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "description": 'A property name, "-" first for descending: "-createdate".'},
            {
                "type": "object",
                "properties": {
                    "propertyName": {"type": "string", "enum": sorted(PROPERTIES)},
                    "direction": {"type": "string", "enum": ["ASCENDING", "DESCENDING"]},
                },
                "required": ["propertyName"],
            },
        ]
    }
)
class SearchSortField(serializers.JSONField):
    """A sort, as a string or as an object."""


class PublicObjectSearchRequestSerializer(serializers.Serializer):
    filterGroups = serializers.ListField(
        child=SearchFilterGroupSerializer(),
        required=False,
        max_length=search.MAX_GROUPS,
        help_text=f"ORed groups of ANDed filters; at most {search.MAX_FILTERS} filters in all.",
    )
    sorts = serializers.ListField(
        child=SearchSortField(),
        required=False,
        max_length=search.MAX_SORTS,
        help_text="Sort order; ties are broken by the record id. Default: the record id, ascending.",
    )
    query = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=search.MAX_TEXT,
        help_text="Text found (case-insensitively) in the email, first name, last name, company or phone.",
    )
    properties = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Properties to return; unknown names are ignored. Default: HubSpot's default contact properties.",
    )
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=search.LIMIT_MAX, default=search.LIMIT_DEFAULT
    )
    after = serializers.CharField(
        required=False,
        help_text=f"The offset of the page: `paging.next.after` of the previous page. `after + limit` may not "
        f"exceed {search.MAX_RESULTS}.",
    )


class SearchNextPageSerializer(serializers.Serializer):
    after = serializers.CharField()


class SearchForwardPagingSerializer(serializers.Serializer):
    next = SearchNextPageSerializer()


class CollectionResponseWithTotalSimplePublicObjectForwardPagingSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    results = SimplePublicObjectSerializer(many=True)
    paging = SearchForwardPagingSerializer(required=False, help_text="Present only when there is a next page.")


SEARCH_EXAMPLE = OpenApiExample(
    "Marketing contacts at example.com, newest first",
    value={
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": "hs_marketable_status", "operator": "EQ", "value": "true"},
                    {"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*@example.com"},
                ]
            }
        ],
        "sorts": ["-createdate"],
        "properties": ["email", "hs_marketable_status", "hs_marketable_until_renewal"],
        "limit": 100,
    },
    request_only=True,
)

# --- The view ------------------------------------------------------------------------------------------


class ContactSearchView(ApiView):
    required_scopes = {"POST": (CONTACTS_READ,)}

    @extend_schema(
        summary="Search contacts",
        description="Live contacts (archived ones are never found, R22) matching any filter group, each filter of a "
        "group, and the `query`; every contact property is searchable, the four `hs_marketable_*` ones included. "
        "Groups: at most 5, filters: 6 a group and 18 in all. `total` counts every match; `paging` is present only "
        "when there is a next page. Needs the crm.objects.contacts.read scope. 400 VALIDATION_ERROR names each bad "
        "filter (unknown property or operator, missing or mistyped value) or field.",
        request=PublicObjectSearchRequestSerializer,
        responses={
            200: CollectionResponseWithTotalSimplePublicObjectForwardPagingSerializer,
            **error_responses(400, 403),
        },
        examples=[SEARCH_EXAMPLE],
    )
    def post(self, request):
        """Parse the body (400 naming each bad part), then one page of live contacts (R22) and their total."""
        request_search = search.search_request_parse(request.data)
        page = search.contacts_search(search=request_search)
        properties = search.search_properties(request_search)
        body = {"total": page.total, "results": [contact_object(contact, properties) for contact in page.contacts]}
        if page.next_after is not None:
            body["paging"] = {"next": {"after": str(page.next_after)}}
        return Response(body)
