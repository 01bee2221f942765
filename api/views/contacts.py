"""HubSpot's CRM v3 contacts object endpoints: list, create, read, update, archive, and their batch forms.

Thin views: parse the request with `api.contacts_api`, check the marketing scope when an input sets
`hs_marketable_status` (R30), write through the services (R8, R10–R13, R22, B4), render objects with
`contacts.properties`. Every refusal is raised and shaped by `api.errors`.
"""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from api.contacts_api import (
    BatchInputSimplePublicObjectBatchInputForCreateSerializer,
    BatchInputSimplePublicObjectBatchInputSerializer,
    BatchInputSimplePublicObjectBatchInputUpsertSerializer,
    BatchInputSimplePublicObjectIdSerializer,
    BatchReadInputSimplePublicObjectIdSerializer,
    BatchResponseSimplePublicObjectSerializer,
    BatchResponseSimplePublicObjectWithErrorsSerializer,
    BatchResponseSimplePublicUpsertObjectSerializer,
    CollectionResponseSimplePublicObjectForwardPagingSerializer,
    SimplePublicObjectInputForCreateSerializer,
    SimplePublicObjectInputSerializer,
    batch_ids,
    batch_response,
    batch_write_inputs,
    confirm_tier_upgrade,
    conflict_batch_error,
    contact_find,
    contact_to_archive,
    contacts_archive_via_api,
    contacts_batch_create,
    contacts_create_via_api,
    contacts_find,
    contacts_page,
    contacts_update_via_api,
    contacts_upsert_via_api,
    ensure_may_set_status,
    id_property_param,
    json_object,
    next_page_link,
    not_found_error,
    page_request,
    property_names,
    raise_if_duplicates,
    update_targets,
    upsert_inputs,
    write_input,
    written_properties,
)
from api.lookups import ID_PROPERTIES
from api.openapi import ARCHIVED_PARAMETER, PROPERTIES_PARAMETER, SimplePublicObjectSerializer, error_responses
from api.parsers import StorableJSONParser
from api.properties import properties_param, raise_if_errors
from api.views.base import ApiView, flag
from contacts.properties import contact_object, requested_properties
from contacts.services import normalize_email
from integrations.scopes import CONTACTS_READ

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
CONFIRM_PARAMETER = OpenApiParameter(
    "confirmTierUpgrade",
    bool,
    description="B4: with the tier guard on, allow a change that takes the marketing count above the contact tier.",
)
CONTACT_ID_PARAMETER = OpenApiParameter(
    "contact_id", str, OpenApiParameter.PATH, description="The record id, or the email with `idProperty=email`."
)
PARTIAL = "Some inputs failed (their errors are listed); the others were applied."


class ContactsApiView(ApiView):
    """The contacts endpoints' base: bodies whose text the database cannot store are 400s."""

    parser_classes = [StorableJSONParser]


class ContactCollectionView(ContactsApiView):
    @extend_schema(
        summary="List contacts",
        description="Contacts in id order, `limit` per page; `paging.next` is present only when more follow. "
        "`archived=true` lists only archived (deleted) contacts (R22).",
        parameters=[LIMIT_PARAMETER, AFTER_PARAMETER, PROPERTIES_PARAMETER, ARCHIVED_PARAMETER],
        responses={200: CollectionResponseSimplePublicObjectForwardPagingSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        page = page_request(request.query_params)
        names = requested_properties(properties_param(request.query_params))
        contacts, more = contacts_page(page=page, archived=flag(request.query_params.get("archived")))
        body = {"results": [contact_object(contact, names) for contact in contacts]}
        if more:
            body["paging"] = {"next": next_page_link(request, str(contacts[-1].pk))}
        return Response(body)

    @extend_schema(
        summary="Create a contact",
        description="Created as the integration (R8): marketing when its setting is on, else non-marketing. "
        '`hs_marketable_status` "true"/"false" chooses instead and needs marketing-contacts.write (R30).',
        parameters=[CONFIRM_PARAMETER],
        request=SimplePublicObjectInputForCreateSerializer,
        responses={201: SimplePublicObjectSerializer, **error_responses(400, 403, 409)},
    )
    def post(self, request):
        item, errors = write_input(json_object(request.data), index=None)
        ensure_may_set_status(actor=self.actor, inputs=[item])
        raise_if_errors(errors)
        (contact,) = contacts_create_via_api(
            inputs=[item],
            integration=request.auth,
            actor=self.actor,
            confirm_tier_upgrade=confirm_tier_upgrade(request),
        )
        return Response(contact_object(contact, written_properties(item)), status=201)


class ContactDetailView(ContactsApiView):
    @extend_schema(
        summary="Read a contact",
        parameters=[CONTACT_ID_PARAMETER, ID_PROPERTY_PARAMETER, PROPERTIES_PARAMETER, ARCHIVED_PARAMETER],
        responses={200: SimplePublicObjectSerializer, **error_responses(400, 403, 404)},
    )
    def get(self, request, contact_id: str):
        id_property = id_property_param(request.query_params.get("idProperty"))
        archived = flag(request.query_params.get("archived"))
        contact = contact_find(contact_id, id_property=id_property, archived=archived)
        return Response(contact_object(contact, requested_properties(properties_param(request.query_params))))

    @extend_schema(
        summary="Update a contact",
        description='`hs_marketable_status` needs marketing-contacts.write (R30): "true" makes a non-marketing '
        'contact marketing at once (R10) or cancels a pending switch (R12); "false" leaves a marketing contact '
        'marketing until the next update date, with `hs_marketable_until_renewal` "true" (R11); the status it '
        "already has changes nothing (R13). A refusal changes nothing.",
        parameters=[CONTACT_ID_PARAMETER, ID_PROPERTY_PARAMETER, CONFIRM_PARAMETER],
        request=SimplePublicObjectInputSerializer,
        responses={200: SimplePublicObjectSerializer, **error_responses(400, 403, 404, 409)},
    )
    def patch(self, request, contact_id: str):
        id_property = id_property_param(request.query_params.get("idProperty"))
        item, errors = write_input(json_object(request.data), index=None)
        ensure_may_set_status(actor=self.actor, inputs=[item])
        raise_if_errors(errors)
        contact = contact_find(contact_id, id_property=id_property)
        updated = contacts_update_via_api(
            targets=[(contact, item)], actor=self.actor, confirm_tier_upgrade=confirm_tier_upgrade(request)
        )
        return Response(contact_object(updated[contact.pk], written_properties(item)))

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


class BatchReadView(ContactsApiView):
    required_scopes = {"POST": (CONTACTS_READ,)}

    @extend_schema(
        summary="Read a batch of contacts",
        description="Up to 100 ids (record ids, or emails with `idProperty=email`); ids that name no contact "
        "are listed in a 207's errors.",
        parameters=[ARCHIVED_PARAMETER],
        request=BatchReadInputSimplePublicObjectIdSerializer,
        responses={
            200: BatchResponseSimplePublicObjectSerializer,
            207: OpenApiResponse(BatchResponseSimplePublicObjectWithErrorsSerializer, description=PARTIAL),
            **error_responses(400, 403),
        },
    )
    def post(self, request):
        started_at = timezone.now()
        body = json_object(request.data)
        ids = batch_ids(body)
        id_property = id_property_param(body.get("idProperty"))
        names = requested_properties(property_names(body.get("properties")))
        found = contacts_find(ids, id_property=id_property, archived=flag(request.query_params.get("archived")))
        contacts = {contact.pk: contact for raw in ids if (contact := found.get(raw))}  # each once, in order
        missing = [raw for raw in ids if raw not in found]
        response, status = batch_response(
            results=[contact_object(contact, names) for contact in contacts.values()],
            errors=[not_found_error(missing)] if missing else [],
            started_at=started_at,
        )
        return Response(response, status=status)


class BatchCreateView(ContactsApiView):
    @extend_schema(
        summary="Create a batch of contacts",
        description="Up to 100 contacts, created together as the integration (R8). An invalid input refuses "
        "the whole batch (400); an input whose email a contact already has (or an earlier input has) is "
        "reported as a CONFLICT in a 207 and the others are created.",
        parameters=[CONFIRM_PARAMETER],
        request=BatchInputSimplePublicObjectBatchInputForCreateSerializer,
        responses={
            201: BatchResponseSimplePublicObjectSerializer,
            207: OpenApiResponse(BatchResponseSimplePublicObjectWithErrorsSerializer, description=PARTIAL),
            **error_responses(400, 403, 409),
        },
    )
    def post(self, request):
        started_at = timezone.now()
        inputs, errors = batch_write_inputs(request.data)
        ensure_may_set_status(actor=self.actor, inputs=inputs)
        raise_if_errors(errors)
        outcome = contacts_batch_create(
            inputs=inputs,
            integration=request.auth,
            actor=self.actor,
            confirm_tier_upgrade=confirm_tier_upgrade(request),
        )
        response, status = batch_response(
            results=[contact_object(contact, written_properties(item)) for item, contact in outcome.created],
            errors=[conflict_batch_error(item, existing_id) for item, existing_id in outcome.conflicts],
            started_at=started_at,
            status=201,
        )
        return Response(response, status=status)


class BatchUpdateView(ContactsApiView):
    @extend_schema(
        summary="Update a batch of contacts",
        description="Up to 100 updates, each naming its contact by record id or, with `idProperty=email`, by "
        "email. Ids that name no live contact are listed in a 207's errors; the others are updated. "
        "`hs_marketable_status` follows R10–R13 as in a single update; an invalid input changes nothing.",
        parameters=[CONFIRM_PARAMETER],
        request=BatchInputSimplePublicObjectBatchInputSerializer,
        responses={
            200: BatchResponseSimplePublicObjectSerializer,
            207: OpenApiResponse(BatchResponseSimplePublicObjectWithErrorsSerializer, description=PARTIAL),
            **error_responses(400, 403, 409),
        },
    )
    def post(self, request):
        started_at = timezone.now()
        id_property = json_object(request.data).get("idProperty") or "hs_object_id"
        inputs, errors = batch_write_inputs(request.data, with_id=True, id_property=id_property)
        ensure_may_set_status(actor=self.actor, inputs=inputs)
        raise_if_errors(errors)
        targets, missing = update_targets(inputs)
        raise_if_duplicates((item, contact.pk) for contact, item in targets)
        updated = contacts_update_via_api(
            targets=targets, actor=self.actor, confirm_tier_upgrade=confirm_tier_upgrade(request)
        )
        response, status = batch_response(
            results=[contact_object(updated[contact.pk], written_properties(item)) for contact, item in targets],
            errors=[not_found_error(missing)] if missing else [],
            started_at=started_at,
        )
        return Response(response, status=status)


class BatchUpsertView(ContactsApiView):
    @extend_schema(
        summary="Create or update a batch of contacts by email",
        description="Up to 100 inputs with `idProperty` email: existing contacts are updated and keep their "
        "marketing status unless the input sets `hs_marketable_status` (R10–R13); the others are created "
        "as the integration (R8). Each result says whether it is `new`.",
        parameters=[CONFIRM_PARAMETER],
        request=BatchInputSimplePublicObjectBatchInputUpsertSerializer,
        responses={200: BatchResponseSimplePublicUpsertObjectSerializer, **error_responses(400, 403, 409)},
    )
    def post(self, request):
        started_at = timezone.now()
        inputs, errors = upsert_inputs(request.data)
        ensure_may_set_status(actor=self.actor, inputs=inputs)
        raise_if_errors(errors)
        raise_if_duplicates((item, normalize_email(item.id)) for item in inputs)
        rows = contacts_upsert_via_api(
            inputs=inputs,
            integration=request.auth,
            actor=self.actor,
            confirm_tier_upgrade=confirm_tier_upgrade(request),
        )
        results = [{**contact_object(contact, written_properties(item)), "new": new} for item, contact, new in rows]
        response, status = batch_response(results=results, errors=[], started_at=started_at)
        return Response(response, status=status)


class BatchArchiveView(ContactsApiView):
    @extend_schema(
        summary="Archive a batch of contacts",
        description="Archives (deletes) up to 100 contacts by record id (R22); ids that name no live contact "
        "are ignored.",
        request=BatchInputSimplePublicObjectIdSerializer,
        responses={204: OpenApiResponse(description="Archived."), **error_responses(400, 403)},
    )
    def post(self, request):
        found = contacts_find(batch_ids(request.data), id_property="hs_object_id")
        contacts_archive_via_api(contacts=found.values(), actor=self.actor)
        return Response(status=204)
