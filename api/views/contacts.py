"""HubSpot's CRM v3 contacts object endpoints, one at a time: list, create, read, update, archive.

Thin views: each endpoint reads its request with its own input serializer (`api.inputs`), checks the
marketing scope when an input sets `hs_marketable_status` (R30), calls a selector (`api.selectors`) or
a service (`api.services`: R8, R10–R13, R22, B4), and renders with its own output serializer. Every
refusal is raised and shaped by `api.errors`. The serializers keep HubSpot's component names
(`Meta.ref_name`) in the schema. The batch forms are `api.views.batch`.
"""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.inputs import (
    ContactWrites,
    RequestSerializer,
    WriteInput,
    confirm_tier_upgrade,
    flag,
    id_property_param,
    page_request,
    single_write,
)
from api.lookups import ID_PROPERTIES
from api.openapi import (
    ARCHIVED_PARAMETER,
    PROPERTIES_PARAMETER,
    PropertiesField,
    SimplePublicObjectSerializer,
    error_responses,
)
from api.parsers import StorableJSONParser
from api.permissions import ensure_may_set_status
from api.properties import properties_param
from api.selectors import contact_find, contact_to_archive, contacts_page
from api.services import contacts_archive_via_api, contacts_create_via_api, contacts_update_via_api
from api.views.base import ApiView
from contacts.models import Contact
from contacts.properties import DEFAULT_PROPERTIES, MARKETING_STATUS, PROPERTIES, requested_properties

MARKETING_PROPERTIES = (
    MARKETING_STATUS,
    "hs_marketable_until_renewal",
    "hs_marketable_reason_type",
    "hs_marketable_reason_id",
)
CONFIRM_HELP = "B4: with the tier guard on, allow a change that takes the marketing count above the contact tier."
LIMIT_PARAMETER = OpenApiParameter(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
    description="Results per page, 1 to 100.",
)
AFTER_PARAMETER = OpenApiParameter(
    "after", str, description="The cursor of the next page: `paging.next.after` of the previous response."
)
ID_PROPERTY_PARAMETER = OpenApiParameter(
    "idProperty", str, enum=ID_PROPERTIES, description="What the id names: the record id (default) or the email."
)
CONFIRM_PARAMETER = OpenApiParameter("confirmTierUpgrade", bool, description=CONFIRM_HELP)
CONTACT_ID_PARAMETER = OpenApiParameter(
    "contact_id", str, OpenApiParameter.PATH, description="The record id, or the email with `idProperty=email`."
)


def written_properties(item: WriteInput) -> list[str]:
    """What a write answers with: HubSpot's default properties and those the input wrote; all four
    marketing properties when it set the status, so that a pending switch (R11) shows."""
    names = {*DEFAULT_PROPERTIES, *(name for name in item.names if name in PROPERTIES)}
    if item.sets_status:
        names.update(MARKETING_PROPERTIES)
    return sorted(names)


def contact_body(contact: Contact, properties: list[str]) -> dict[str, Any]:
    return SimplePublicObjectSerializer(contact, context={"properties": properties}).data


class ContactsApiView(ApiView):
    """The contacts endpoints' base: bodies whose text the database cannot store are 400s."""

    parser_classes = [StorableJSONParser]


class NextPageSerializer(serializers.Serializer):
    after = serializers.CharField(help_text="Pass as `after` to get the next page.")
    link = serializers.CharField()


class ForwardPagingSerializer(serializers.Serializer):
    next = NextPageSerializer()


class ContactCollectionView(ContactsApiView):
    class ListOutputSerializer(serializers.Serializer):
        # Renders (the page's contacts, whether more follow) with the properties and request in its context.
        results = SimplePublicObjectSerializer(many=True)
        paging = ForwardPagingSerializer(required=False, help_text="Only when another page follows.")

        class Meta:
            ref_name = "CollectionResponseSimplePublicObjectForwardPaging"

        def to_representation(self, instance: tuple[list[Contact], bool]) -> dict[str, Any]:
            contacts, more = instance
            body: dict[str, Any] = {"results": self.fields["results"].to_representation(contacts)}
            if more:
                body["paging"] = {"next": self.next_page(str(contacts[-1].pk))}
            return body

        def next_page(self, after: str) -> dict[str, str]:
            request = self.context["request"]
            query = request.query_params.copy()
            query["after"] = after
            return {"after": after, "link": request.build_absolute_uri(f"{request.path}?{query.urlencode()}")}

    class CreateInputSerializer(RequestSerializer):
        properties = PropertiesField(
            help_text="HubSpot property names and string values. `hs_marketable_status` needs marketing-contacts.write."
        )
        associations = serializers.ListField(child=serializers.DictField(), required=False, help_text="Ignored.")
        confirmTierUpgrade = serializers.BooleanField(required=False, help_text=CONFIRM_HELP)

        class Meta:
            ref_name = "SimplePublicObjectInputForCreate"

        def parse(self, data: Any) -> ContactWrites:
            return single_write(data)

    @extend_schema(
        summary="List contacts",
        description="Contacts in id order, `limit` per page; `paging.next` is present only when more follow. "
        "`archived=true` lists only archived (deleted) contacts (R22).",
        parameters=[LIMIT_PARAMETER, AFTER_PARAMETER, PROPERTIES_PARAMETER, ARCHIVED_PARAMETER],
        responses={200: ListOutputSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        page = page_request(request.query_params)
        names = requested_properties(properties_param(request.query_params))
        contacts, more = contacts_page(page=page, archived=flag(request.query_params.get("archived")))
        context = {"properties": names, "request": request}
        return Response(self.ListOutputSerializer((contacts, more), context=context).data)

    @extend_schema(
        summary="Create a contact",
        description="Created as the integration (R8): marketing when its setting is on, else non-marketing. "
        '`hs_marketable_status` "true"/"false" chooses instead and needs marketing-contacts.write (R30).',
        parameters=[CONFIRM_PARAMETER],
        request=CreateInputSerializer,
        responses={201: SimplePublicObjectSerializer, **error_responses(400, 403, 409)},
    )
    def post(self, request):
        writes = self.CreateInputSerializer.validated(request.data)
        ensure_may_set_status(actor=self.actor, inputs=writes.inputs)
        writes.raise_if_invalid()
        (contact,) = contacts_create_via_api(
            inputs=writes.inputs,
            integration=request.auth,
            actor=self.actor,
            confirm_tier_upgrade=confirm_tier_upgrade(request),
        )
        return Response(contact_body(contact, written_properties(writes.inputs[0])), status=201)


class ContactDetailView(ContactsApiView):
    class UpdateInputSerializer(RequestSerializer):
        properties = PropertiesField(
            help_text="Properties to change. `hs_marketable_status` needs marketing-contacts.write and follows R10–R13."
        )
        confirmTierUpgrade = serializers.BooleanField(required=False, help_text=CONFIRM_HELP)

        class Meta:
            ref_name = "SimplePublicObjectInput"

        def parse(self, data: Any) -> ContactWrites:
            return single_write(data)

    @extend_schema(
        summary="Read a contact",
        parameters=[CONTACT_ID_PARAMETER, ID_PROPERTY_PARAMETER, PROPERTIES_PARAMETER, ARCHIVED_PARAMETER],
        responses={200: SimplePublicObjectSerializer, **error_responses(400, 403, 404)},
    )
    def get(self, request, contact_id: str):
        id_property = id_property_param(request.query_params.get("idProperty"))
        archived = flag(request.query_params.get("archived"))
        contact = contact_find(contact_id, id_property=id_property, archived=archived)
        return Response(contact_body(contact, requested_properties(properties_param(request.query_params))))

    @extend_schema(
        summary="Update a contact",
        description='`hs_marketable_status` needs marketing-contacts.write (R30): "true" makes a non-marketing '
        'contact marketing at once (R10) or cancels a pending switch (R12); "false" leaves a marketing contact '
        'marketing until the next update date, with `hs_marketable_until_renewal` "true" (R11); the status it '
        "already has changes nothing (R13). A refusal changes nothing.",
        parameters=[CONTACT_ID_PARAMETER, ID_PROPERTY_PARAMETER, CONFIRM_PARAMETER],
        request=UpdateInputSerializer,
        responses={200: SimplePublicObjectSerializer, **error_responses(400, 403, 404, 409)},
    )
    def patch(self, request, contact_id: str):
        id_property = id_property_param(request.query_params.get("idProperty"))
        writes = self.UpdateInputSerializer.validated(request.data)
        ensure_may_set_status(actor=self.actor, inputs=writes.inputs)
        writes.raise_if_invalid()
        contact = contact_find(contact_id, id_property=id_property)
        (item,) = writes.inputs
        updated = contacts_update_via_api(
            targets=[(contact, item)], actor=self.actor, confirm_tier_upgrade=confirm_tier_upgrade(request)
        )
        return Response(contact_body(updated[contact.pk], written_properties(item)))

    @extend_schema(
        summary="Archive a contact",
        description="Archives (deletes) the contact; it leaves the billable count at once (R22). "
        "Archiving an archived contact again is a 204 too.",
        parameters=[CONTACT_ID_PARAMETER],
        responses={204: OpenApiResponse(description="Archived."), **error_responses(403, 404)},
    )
    def delete(self, request, contact_id: str):
        contact = contact_to_archive(contact_id)
        if contact is not None:
            contacts_archive_via_api(contacts=[contact], actor=self.actor)
        return Response(status=204)
