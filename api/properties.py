"""What only the API does with contact properties: read `?properties=` and answer invalid values with a 400.

The property vocabulary itself (`PROPERTIES`, `contact_object`, `contact_input`…) is `contacts.properties`.
"""

from typing import Any

from api.errors import validation_error


def properties_param(query_params) -> list[str]:
    """`properties` given repeated (`?properties=a&properties=b`) or comma-separated (`?properties=a,b`)."""
    return [name for value in query_params.getlist("properties") for name in value.split(",")]


def raise_if_errors(errors: list[dict[str, Any]]) -> None:
    if errors:
        raise validation_error(
            "Property values were not valid: " + "; ".join(error["message"] for error in errors), errors
        )
