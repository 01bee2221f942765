"""Reading the contacts endpoints' bodies by hand (api/inputs.py): what the input serializers parse, and
why a write's per-input errors wait for the scope check (R30). No database: parsing reads no rows."""

import pytest

from api.errors import MAX_BATCH_INPUTS, ApiError
from api.inputs import (
    RequestSerializer,
    batch_ids,
    batch_writes,
    id_property_param,
    single_write,
    upsert_writes,
)


def _refusal(call, *args) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args)
    return caught.value


def test_a_single_write_keeps_its_errors_for_later_and_names_what_it_sets():
    writes = single_write({"properties": {"email": "ada@example.com", "hs_marketable_status": "maybe"}})
    (item,) = writes.inputs
    assert (item.index, item.names, item.sets_status) == (0, ("email", "hs_marketable_status"), True)
    assert item.contact.data == {"email": "ada@example.com"}
    assert [(error["in"], error["code"]) for error in writes.errors] == [("hs_marketable_status", "INVALID_OPTION")]
    refusal = _refusal(writes.raise_if_invalid)
    assert (refusal.status, refusal.category) == (400, "VALIDATION_ERROR")


def test_a_body_that_is_no_object_is_refused_at_once():
    refusal = _refusal(single_write, ["not", "an", "object"])
    assert (refusal.status, refusal.message) == (400, "The request body must be a JSON object.")
    assert refusal.errors == [
        {"message": "The request body must be a JSON object.", "in": "body", "code": "INVALID_INPUT"}
    ]


def test_a_batch_above_the_limit_is_refused_at_once():
    refusal = _refusal(batch_writes, {"inputs": [{"properties": {}}] * (MAX_BATCH_INPUTS + 1)})
    assert [error["code"] for error in refusal.errors] == ["TOO_MANY_INPUTS"]


def test_batch_errors_name_their_input():
    writes = batch_writes({"inputs": [{"properties": {"email": "a@example.com"}}, {"properties": {"nope": "x"}}]})
    assert [item.index for item in writes.inputs] == [0, 1]
    assert [(error["code"], error["context"]["inputIndex"]) for error in writes.errors] == [
        ("PROPERTY_DOESNT_EXIST", ["1"])
    ]


def test_an_upsert_email_property_must_be_its_id():
    writes = upsert_writes({"inputs": [{"id": "ada@example.com", "properties": {"email": "alan@example.com"}}]})
    assert [(error["in"], error["code"]) for error in writes.errors] == [("email", "INVALID_VALUE")]


def test_batch_ids_are_distinct_in_request_order():
    assert batch_ids({"inputs": [{"id": "2"}, {"id": " 1 "}, {"id": "2"}]}) == ["2", "1"]


def test_id_property_defaults_to_the_record_id_and_refuses_others():
    assert id_property_param(None) == id_property_param("") == "hs_object_id"
    assert id_property_param("email") == "email"
    assert [error["code"] for error in _refusal(id_property_param, "phone").errors] == ["INVALID_ID_PROPERTY"]


def test_a_request_serializer_validates_with_its_parse():
    class Doubled(RequestSerializer):
        def parse(self, data):
            return data * 2

    serializer = Doubled(data=21)
    assert serializer.is_valid(raise_exception=True) is True
    assert serializer.validated_data == 42
    assert Doubled.validated(4) == 8
