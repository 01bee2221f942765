"""Enrollment triggers: HubSpot's filterGroups (an OR of AND groups) of property, list and form filters.

    [{"filters": [{"type": "property", "propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"},
                  {"type": "list", "listId": 3, "operator": "IS_MEMBER"},
                  {"type": "form", "formId": "<form guid>", "operator": "HAS_SUBMITTED"}]}]

Property filters are exactly the search API's (the contacts filter grammar, `contacts.search`): the same
property names, operators, value parsing and semantics, so a workflow enrolls the contacts a search with
the same filters finds.
`triggers_clean` validates and normalises; `triggers_condition` compiles to a WHERE condition on
contacts; `matching_contacts` applies it to live contacts (R22: deleted contacts never match).
"""

import uuid
from collections.abc import Iterable, Mapping
from functools import reduce
from operator import and_, or_
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from contacts.models import Contact, ContactList, ContactListMembership
from contacts.search import Invalid, filter_condition, filter_parse
from leadforms.models import ExternalForm, Form, FormSubmission

PROPERTY, LIST, FORM = "property", "list", "form"
IS_MEMBER, NOT_MEMBER = "IS_MEMBER", "NOT_MEMBER"
HAS_SUBMITTED = "HAS_SUBMITTED"
MAX_GROUPS, MAX_FILTERS = 20, 100
VALUE_KEYS = ("value", "values", "highValue")


def _property_filter(raw: Mapping[str, Any]) -> dict[str, Any]:
    parsed = filter_parse(raw)  # the filter grammar the search API uses: raises Invalid with its message
    cleaned = {"type": PROPERTY, "propertyName": parsed.prop, "operator": parsed.operator.value}
    return cleaned | {key: raw[key] for key in VALUE_KEYS if key in raw}


def _list_filter(raw: Mapping[str, Any]) -> dict[str, Any]:
    operator = str(raw.get("operator") or IS_MEMBER).strip().upper()
    if operator not in (IS_MEMBER, NOT_MEMBER):
        raise Invalid(f"A list filter's operator is {IS_MEMBER} or {NOT_MEMBER}.")
    list_id = raw.get("listId")
    if isinstance(list_id, str) and list_id.strip().isdigit():
        list_id = int(list_id)
    if not isinstance(list_id, int) or isinstance(list_id, bool) or not ContactList.objects.filter(pk=list_id).exists():
        raise Invalid("Choose a list that exists.")
    return {"type": LIST, "listId": list_id, "operator": operator}


def _form_id(raw: Any) -> str | None:
    try:
        return str(uuid.UUID(str(raw).strip()))
    except ValueError:
        return None


def _form_filter(raw: Mapping[str, Any]) -> dict[str, Any]:
    if str(raw.get("operator") or HAS_SUBMITTED).strip().upper() != HAS_SUBMITTED:
        raise Invalid(f"A form filter's operator is {HAS_SUBMITTED}.")
    form_id = _form_id(raw.get("formId"))
    known = form_id and (
        Form.objects.filter(guid=form_id).exists() or ExternalForm.objects.filter(guid=form_id).exists()
    )
    if not known:
        raise Invalid("Choose a form that exists.")
    return {"type": FORM, "formId": form_id, "operator": HAS_SUBMITTED}


_CLEANERS = {PROPERTY: _property_filter, LIST: _list_filter, FORM: _form_filter}


def _filter_clean(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise Invalid("A filter must be an object.")
    kind = str(raw.get("type") or PROPERTY).strip().lower()
    if kind not in _CLEANERS:
        raise Invalid(f"Unknown filter type {kind!r}: use property, list or form.")
    return _CLEANERS[kind](raw)


def triggers_clean(raw: Any) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """(normalised triggers, errors keyed `triggers`, `triggers.<g>` or `triggers.<g>.<f>`)."""
    if raw in (None, ""):
        return [], {}
    if not isinstance(raw, list) or not all(isinstance(group, Mapping) for group in raw):
        return [], {"triggers": "Triggers must be a list of filter groups."}
    if len(raw) > MAX_GROUPS or sum(len(group.get("filters") or ()) for group in raw) > MAX_FILTERS:
        return [], {"triggers": f"A workflow takes at most {MAX_GROUPS} filter groups and {MAX_FILTERS} filters."}
    errors: dict[str, str] = {}
    groups = []
    for g, group in enumerate(raw):
        filters = group.get("filters")
        if not isinstance(filters, list) or not filters:
            errors[f"triggers.{g}"] = "A filter group needs at least one filter."
            continue
        cleaned = []
        for f, item in enumerate(filters):
            try:
                cleaned.append(_filter_clean(item))
            except Invalid as problem:
                errors[f"triggers.{g}.{f}"] = problem.message
        groups.append({"filters": cleaned})
    return groups, errors


# --- Compiling -------------------------------------------------------------------------------------------


def _form_submitted(form_id: str) -> Q:
    form = Form.objects.filter(guid=form_id).values_list("pk", flat=True).first()
    if form is not None:
        submissions = FormSubmission.objects.filter(form_id=form)
    else:
        external = ExternalForm.objects.filter(guid=form_id).values_list("pk", flat=True).first()
        submissions = FormSubmission.objects.filter(external_form_id=external)
    return Q(Exists(submissions.filter(contact_id=OuterRef("pk"))))


def filter_q(item: Mapping[str, Any]) -> Q:
    """The WHERE condition of one normalised filter."""
    kind = item.get("type", PROPERTY)
    if kind == LIST:
        member = Q(
            Exists(ContactListMembership.objects.filter(contact_id=OuterRef("pk"), contact_list_id=item["listId"]))
        )
        return member if item["operator"] == IS_MEMBER else ~member
    if kind == FORM:
        return _form_submitted(item["formId"])
    return filter_condition(filter_parse(item))


def triggers_condition(triggers: Iterable[Mapping[str, Any]]) -> Q | None:
    """Any group (all of its filters); None when there are no triggers (nothing matches)."""
    groups = [reduce(and_, map(filter_q, group["filters"])) for group in triggers if group.get("filters")]
    return reduce(or_, groups) if groups else None


def matching_contacts(triggers: Iterable[Mapping[str, Any]]) -> QuerySet:
    """Live contacts that meet the triggers now."""
    condition = triggers_condition(triggers)
    live = Contact.objects.filter(archived_at__isnull=True)
    return live.filter(condition) if condition is not None else live.none()
