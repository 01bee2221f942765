"""Workflow pieces shown on other pages: `{% contact_workflows contact %}` (a contact record's enrollments,
with `workflows.view_workflow`), and `{{ action|action_summary }}` (one action in words)."""

import datetime as dt
from typing import Any

from django import template
from django.utils import formats, timezone

from contacts.properties import PROPERTIES
from workflows.models import ActionKind
from workflows.selectors import contact_enrollments

register = template.Library()

VIEW_PERMISSION = "workflows.view_workflow"


@register.inclusion_tag("workflows/_contact_enrollments.html", takes_context=True)
def contact_workflows(context, contact):
    may_view = context["request"].user.has_perm(VIEW_PERMISSION)
    return {
        "contact": contact,
        "may_view_workflows": may_view,
        "enrollments": contact_enrollments(contact=contact) if may_view else [],
    }


def _duration(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def _moment(text: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "DATETIME_FORMAT")


def summary(kind: str, params: dict[str, Any], list_names: dict[int, str] | None = None) -> str:
    """What an action does, in the editor's words."""
    list_names = list_names or {}
    if kind == ActionKind.SET_MARKETING_STATUS:
        return "Set as marketing contact" if params.get("marketing", True) else "Set as non-marketing contact"
    if kind == ActionKind.SET_PROPERTY:
        prop = PROPERTIES.get(params.get("propertyName", ""))
        label = prop.label if prop else params.get("propertyName", "")
        return f"Set {label} to “{params.get('value', '')}”"
    if kind in (ActionKind.ADD_TO_LIST, ActionKind.REMOVE_FROM_LIST):
        list_id = params.get("listId")
        name = list_names.get(list_id) or f"list {list_id}"
        return f"Add to {name}" if kind == ActionKind.ADD_TO_LIST else f"Remove from {name}"
    if kind == ActionKind.DELAY:
        if params.get("until"):
            return f"Delay until {_moment(str(params['until']))}"
        return f"Delay for {_duration(int(params.get('seconds') or 0))}"
    return str(kind)


@register.filter
def action_summary(action) -> str:
    return summary(action.kind, action.params)


@register.filter
def action_kind_label(kind: str) -> str:
    try:
        return ActionKind(kind).label
    except ValueError:
        return kind
