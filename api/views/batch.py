"""HubSpot's CRM v3 contacts batch endpoints: read, create, update, upsert and archive up to 100 at once.

Thin views, as `api.views.contacts`: each reads its body with its own `InputSerializer`, checks the
marketing scope (R30), calls a selector or service, and renders HubSpot's batch response (200 or 201,
207 when some inputs failed) with its `OutputSerializer`. The serializers keep HubSpot's component
names (`Meta.ref_name`) in the schema.
"""

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.errors import MAX_BATCH_INPUTS
from api.inputs import (
    ContactWrites,
    RequestSerializer,
    WriteInput,
    batch_ids,
    batch_writes,
    confirm_tier_upgrade,
    flag,
    id_property_param,
    json_object,
    property_names,
    raise_if_duplicates,
    upsert_writes,
)
from api.lookups import ID_PROPERTIES
from api.openapi import (
    ARCHIVED_PARAMETER,
    BatchResponseSerializer,
    BatchResult,
    PropertiesField,
    SimplePublicObjectSerializer,
    error_responses,
)
from api.permissions import ensure_may_set_status
from api.selectors import contacts_find, update_targets
from api.services import (
    contacts_archive_via_api,
    contacts_batch_create,
    contacts_update_via_api,
    contacts_upsert_via_api,
)
from api.views.contacts import CONFIRM_HELP, CONFIRM_PARAMETER, ContactsApiView, contact_body, written_properties
from contacts.models import Contact
from contacts.properties import requested_properties
from contacts.services import normalize_email
from integrations.scopes import CONTACTS_READ

PARTIAL = "Some inputs failed (their errors are listed); the others were applied."


# --- Errors a batch reports per input (HubSpot's StandardError) -------------------------------------------


class StandardErrorSerializer(serializers.Serializer):
    status = serializers.CharField()
    category = serializers.CharField()
    message = serializers.CharField()
    context = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    errors = serializers.ListField(child=serializers.DictField())
    links = serializers.DictField(child=serializers.CharField())


def not_found_error(ids: list[str]) -> dict[str, Any]:
    """HubSpot's batch error for ids that name no contact."""
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.",
        "context": {"ids": ids},
        "errors": [],
        "links": {},
    }


def conflict_error(item: WriteInput, existing_id: int) -> dict[str, Any]:
    return {
        "status": "error",
        "category": "CONFLICT",
        "message": f"Contact already exists. Existing ID: {existing_id}",
        "context": {"existingId": [str(existing_id)], "inputIndex": [str(item.index)]},
        "errors": [],
        "links": {},
    }


# --- Components the endpoints share -------------------------------------------------------------------------


class SimplePublicObjectIdSerializer(serializers.Serializer):
    id = serializers.CharField()


class BatchResponseSimplePublicObjectSerializer(BatchResponseSerializer):
    # Results are (contact, the properties it shows).
    status = serializers.ChoiceField(choices=["COMPLETE"])
    results = SimplePublicObjectSerializer(many=True)
    startedAt = serializers.DateTimeField()
    completedAt = serializers.DateTimeField()

    def result(self, item: tuple[Contact, list[str]]) -> dict[str, Any]:
        return contact_body(*item)


class BatchResponseSimplePublicObjectWithErrorsSerializer(BatchResponseSimplePublicObjectSerializer):
    # The 207's shape, for the schema: `BatchResponseSimplePublicObjectSerializer` renders both.
    numErrors = serializers.IntegerField()
    errors = StandardErrorSerializer(many=True)


class SimplePublicObjectBatchInputForCreateSerializer(serializers.Serializer):
    properties = PropertiesField()
    associations = serializers.ListField(child=serializers.DictField(), required=False, help_text="Ignored.")


class SimplePublicObjectBatchInputSerializer(serializers.Serializer):
    id = serializers.CharField()
    idProperty = serializers.ChoiceField(choices=ID_PROPERTIES, required=False)
    properties = PropertiesField()


class SimplePublicObjectBatchInputUpsertSerializer(serializers.Serializer):
    idProperty = serializers.CharField(required=False, help_text='Upserts match by email: "email" (the default).')
    id = serializers.CharField(help_text="The contact's email.")
    properties = PropertiesField()


class SimplePublicUpsertObjectSerializer(SimplePublicObjectSerializer):
    new = serializers.BooleanField(help_text="True when the upsert created the contact.")


def batch_responses(success: int) -> dict[int, Any]:
    return {
        success: BatchResponseSimplePublicObjectSerializer,
        207: OpenApiResponse(BatchResponseSimplePublicObjectWithErrorsSerializer, description=PARTIAL),
    }


# --- The endpoints ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchRead:
    ids: list[str]
    id_property: str
    properties: list[str]


class BatchReadView(ContactsApiView):
    required_scopes = {"POST": (CONTACTS_READ,)}

    class InputSerializer(RequestSerializer):
        inputs = SimplePublicObjectIdSerializer(many=True, max_length=MAX_BATCH_INPUTS)
        properties = serializers.ListField(child=serializers.CharField(), required=False)
        propertiesWithHistory = serializers.ListField(
            child=serializers.CharField(), required=False, help_text="Ignored."
        )
        idProperty = serializers.ChoiceField(choices=ID_PROPERTIES, required=False)

        class Meta:
            ref_name = "BatchReadInputSimplePublicObjectId"

        def parse(self, data: Any) -> BatchRead:
            body = json_object(data)
            ids = batch_ids(body)
            id_property = id_property_param(body.get("idProperty"))
            return BatchRead(ids, id_property, requested_properties(property_names(body.get("properties"))))

    OutputSerializer = BatchResponseSimplePublicObjectSerializer

    @extend_schema(
        summary="Read a batch of contacts",
        description="Up to 100 ids (record ids, or emails with `idProperty=email`); ids that name no contact "
        "are listed in a 207's errors.",
        parameters=[ARCHIVED_PARAMETER],
        request=InputSerializer,
        responses={**batch_responses(200), **error_responses(400, 403)},
    )
    def post(self, request):
        started_at = timezone.now()
        read = self.InputSerializer.validated(request.data)
        archived = flag(request.query_params.get("archived"))
        found = contacts_find(read.ids, id_property=read.id_property, archived=archived)
        contacts = {contact.pk: contact for raw in read.ids if (contact := found.get(raw))}  # each once, in order
        missing = [raw for raw in read.ids if raw not in found]
        result = BatchResult(
            results=[(contact, read.properties) for contact in contacts.values()],
            errors=[not_found_error(missing)] if missing else [],
            started_at=started_at,
        )
        return Response(self.OutputSerializer(result).data, status=result.http_status)


class BatchCreateView(ContactsApiView):
    class InputSerializer(RequestSerializer):
        inputs = SimplePublicObjectBatchInputForCreateSerializer(many=True, max_length=MAX_BATCH_INPUTS)
        confirmTierUpgrade = serializers.BooleanField(required=False, help_text=CONFIRM_HELP)

        class Meta:
            ref_name = "BatchInputSimplePublicObjectBatchInputForCreate"

        def parse(self, data: Any) -> ContactWrites:
            return batch_writes(data)

    OutputSerializer = BatchResponseSimplePublicObjectSerializer

    @extend_schema(
        summary="Create a batch of contacts",
        description="Up to 100 contacts, created together as the integration (R8). An invalid input refuses "
        "the whole batch (400); an input whose email a contact already has (or an earlier input has) is "
        "reported as a CONFLICT in a 207 and the others are created.",
        parameters=[CONFIRM_PARAMETER],
        request=InputSerializer,
        responses={**batch_responses(201), **error_responses(400, 403, 409)},
    )
    def post(self, request):
        started_at = timezone.now()
        writes = self.InputSerializer.validated(request.data)
        ensure_may_set_status(actor=self.actor, inputs=writes.inputs)
        writes.raise_if_invalid()
        outcome = contacts_batch_create(
            inputs=writes.inputs,
            integration=request.auth,
            actor=self.actor,
            confirm_tier_upgrade=confirm_tier_upgrade(request),
        )
        result = BatchResult(
            results=[(contact, written_properties(item)) for item, contact in outcome.created],
            errors=[conflict_error(item, existing_id) for item, existing_id in outcome.conflicts],
            started_at=started_at,
            status=201,
        )
        return Response(self.OutputSerializer(result).data, status=result.http_status)


class BatchUpdateView(ContactsApiView):
    class InputSerializer(RequestSerializer):
        inputs = SimplePublicObjectBatchInputSerializer(many=True, max_length=MAX_BATCH_INPUTS)
        idProperty = serializers.ChoiceField(choices=ID_PROPERTIES, required=False)
        confirmTierUpgrade = serializers.BooleanField(required=False, help_text=CONFIRM_HELP)

        class Meta:
            ref_name = "BatchInputSimplePublicObjectBatchInput"

        def parse(self, data: Any) -> ContactWrites:
            id_property = json_object(data).get("idProperty") or "hs_object_id"  # each input may name its own
            return batch_writes(data, with_id=True, id_property=id_property)

    OutputSerializer = BatchResponseSimplePublicObjectSerializer

    @extend_schema(
        summary="Update a batch of contacts",
        description="Up to 100 updates, each naming its contact by record id or, with `idProperty=email`, by "
        "email. Ids that name no live contact are listed in a 207's errors; the others are updated. "
        "`hs_marketable_status` follows R10–R13 as in a single update; an invalid input changes nothing.",
        parameters=[CONFIRM_PARAMETER],
        request=InputSerializer,
        responses={**batch_responses(200), **error_responses(400, 403, 409)},
    )
    def post(self, request):
        started_at = timezone.now()
        writes = self.InputSerializer.validated(request.data)
        ensure_may_set_status(actor=self.actor, inputs=writes.inputs)
        writes.raise_if_invalid()
        targets, missing = update_targets(writes.inputs)
        raise_if_duplicates((item, contact.pk) for contact, item in targets)
        updated = contacts_update_via_api(
            targets=targets, actor=self.actor, confirm_tier_upgrade=confirm_tier_upgrade(request)
        )
        result = BatchResult(
            results=[(updated[contact.pk], written_properties(item)) for contact, item in targets],
            errors=[not_found_error(missing)] if missing else [],
            started_at=started_at,
        )
        return Response(self.OutputSerializer(result).data, status=result.http_status)


class BatchUpsertView(ContactsApiView):
    class InputSerializer(RequestSerializer):
        inputs = SimplePublicObjectBatchInputUpsertSerializer(many=True, max_length=MAX_BATCH_INPUTS)
        confirmTierUpgrade = serializers.BooleanField(required=False, help_text=CONFIRM_HELP)

        class Meta:
            ref_name = "BatchInputSimplePublicObjectBatchInputUpsert"

        def parse(self, data: Any) -> ContactWrites:
            return upsert_writes(data)

    class OutputSerializer(BatchResponseSimplePublicObjectSerializer):
        # Results are (contact, the properties it shows, whether the upsert created it).
        results = SimplePublicUpsertObjectSerializer(many=True)

        class Meta:
            ref_name = "BatchResponseSimplePublicUpsertObject"

        def result(self, item: tuple[Contact, list[str], bool]) -> dict[str, Any]:
            contact, properties, new = item
            return {**contact_body(contact, properties), "new": new}

    @extend_schema(
        summary="Create or update a batch of contacts by email",
        description="Up to 100 inputs with `idProperty` email: existing contacts are updated and keep their "
        "marketing status unless the input sets `hs_marketable_status` (R10–R13); the others are created "
        "as the integration (R8). Each result says whether it is `new`.",
        parameters=[CONFIRM_PARAMETER],
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 403, 409)},
    )
    def post(self, request):
        started_at = timezone.now()
        writes = self.InputSerializer.validated(request.data)
        ensure_may_set_status(actor=self.actor, inputs=writes.inputs)
        writes.raise_if_invalid()
        raise_if_duplicates((item, normalize_email(item.id)) for item in writes.inputs)
        rows = contacts_upsert_via_api(
            inputs=writes.inputs,
            integration=request.auth,
            actor=self.actor,
            confirm_tier_upgrade=confirm_tier_upgrade(request),
        )
        result = BatchResult(
            results=[(contact, written_properties(item), new) for item, contact, new in rows],
            errors=[],
            started_at=started_at,
        )
        return Response(self.OutputSerializer(result).data, status=result.http_status)


class BatchArchiveView(ContactsApiView):
    class InputSerializer(RequestSerializer):
        inputs = SimplePublicObjectIdSerializer(many=True, max_length=MAX_BATCH_INPUTS)

        class Meta:
            ref_name = "BatchInputSimplePublicObjectId"

        def parse(self, data: Any) -> list[str]:
            return batch_ids(data)

    @extend_schema(
        summary="Archive a batch of contacts",
        description="Archives (deletes) up to 100 contacts by record id (R22); ids that name no live contact "
        "are ignored.",
        request=InputSerializer,
        responses={204: OpenApiResponse(description="Archived."), **error_responses(400, 403)},
    )
    def post(self, request):
        found = contacts_find(self.InputSerializer.validated(request.data), id_property="hs_object_id")
        contacts_archive_via_api(contacts=found.values(), actor=self.actor)
        return Response(status=204)
