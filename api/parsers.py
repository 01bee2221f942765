"""The API's one request parser: JSON that the database can store, and a 400 (never a 500) otherwise."""

from collections.abc import Mapping
from typing import Any

from rest_framework import parsers

from api.errors import validation_error


def storable(text: str) -> bool:
    """PostgreSQL refuses NUL characters and every database refuses unpaired surrogates (which JSON's
    `\\ud800` escapes produce); such text is refused as input, never sent to the database."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def ensure_storable_json(data: Any) -> None:
    """400 when any key or string anywhere in a JSON body is text that cannot be stored or echoed back.

    Walks iteratively: the parser accepts nesting as deep as Python's recursion limit.
    """
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, Mapping):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str) and not storable(value):
            raise validation_error(
                "Invalid input JSON: text must be valid Unicode without NUL characters.", sub_category="INVALID_JSON"
            )


class JSONBodyParser(parsers.JSONParser):
    """DRF's JSON parser, except that a body nested deeper than the parser can follow is a 400, not a 500.

    Every API view uses it; each view validates the text it reads (search names the filter at fault).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise validation_error("Invalid input JSON: nested too deeply.", sub_category="INVALID_JSON") from None


class StorableJSONParser(JSONBodyParser):
    """For views that store what they are sent (the contact objects): refuses text the database cannot hold."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        ensure_storable_json(data)
        return data
