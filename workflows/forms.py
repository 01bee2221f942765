"""Inputs of the workflow editor. They only parse: `workflows.definitions` decides what a valid workflow is.

The editor posts three parts: the definition (name, description, re-enrollment), the trigger filter rows
(one formset; each row names its filter group, so groups are ORed and the rows of a group ANDed) and the
action rows (one formset, in order). `triggers_from_rows` / `actions_from_rows` turn valid rows into the
service's `triggers` JSON and `ActionSpec`s, with the row each part came from, so that the service's
errors go back on the inputs they concern; `filter_rows_initial` / `action_rows_initial` do the reverse.
Editor commands (add a filter or a group, remove a row, move an action) rewrite the posted rows without
saving: nothing typed is lost.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils import timezone

from contacts.properties import PROPERTIES
from contacts.search import LIST_OPERATORS, VALUELESS_OPERATORS, Operator
from workflows.definitions import SETTABLE_PROPERTIES, ActionSpec
from workflows.models import ActionKind

FILTERS_PREFIX, ACTIONS_PREFIX = "filters", "actions"

PROPERTY, LIST, FORM = "property", "list", "form"
FILTER_TYPES = [(PROPERTY, "Contact property"), (LIST, "List membership"), (FORM, "Form submission")]
OPERATOR_LABELS = {
    Operator.EQ: "is equal to",
    Operator.NEQ: "is not equal to",
    Operator.LT: "is less than",
    Operator.LTE: "is less than or equal to",
    Operator.GT: "is greater than",
    Operator.GTE: "is greater than or equal to",
    Operator.BETWEEN: "is between",
    Operator.IN: "is any of",
    Operator.NOT_IN: "is none of",
    Operator.HAS_PROPERTY: "is known",
    Operator.NOT_HAS_PROPERTY: "is unknown",
    Operator.CONTAINS_TOKEN: "contains the word",
    Operator.NOT_CONTAINS_TOKEN: "doesn't contain the word",
}
OPERATOR_CHOICES = [(operator.value, OPERATOR_LABELS[operator]) for operator in Operator]
LIST_OPERATOR_CHOICES = [("IS_MEMBER", "is a member of"), ("NOT_MEMBER", "is not a member of")]
FORM_OPERATOR = "HAS_SUBMITTED"
TRIGGER_PROPERTY_CHOICES = [(prop.name, prop.label) for prop in PROPERTIES.values()]
# What `workflows.definitions` lets an action set: the writable properties but the email (unique per contact)
# and the marketing status (its own action, R10, R11).
SETTABLE_PROPERTY_CHOICES = [(name, prop.label) for name, prop in SETTABLE_PROPERTIES.items()]
# Options of enumeration and boolean properties, offered as suggestions for a filter's value.
PROPERTY_OPTIONS = {prop.name: prop.options for prop in PROPERTIES.values() if prop.options}

TO_MARKETING, TO_NON_MARKETING = "true", "false"
MARKETING_CHOICES = [(TO_MARKETING, "Set as marketing"), (TO_NON_MARKETING, "Set as non-marketing")]
NON_MARKETING_NEEDS_TIER = "Set as non-marketing (needs a Professional or Enterprise subscription)"
DURATION, UNTIL = "duration", "until"
DELAY_MODES = [(DURATION, "for"), (UNTIL, "until")]
DELAY_UNITS = {"minutes": 60, "hours": 3600, "days": 86400}
DELAY_UNIT_CHOICES = [(unit, unit) for unit in DELAY_UNITS]
MAX_DELAY_AMOUNT = 100_000


class DefinitionForm(forms.Form):
    """A workflow's name, description and whether contacts can enroll again."""

    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    allow_reenrollment = forms.BooleanField(
        label="Contacts can enroll again",
        required=False,
        help_text="A contact whose enrollment finished enrolls again when it newly meets the triggers.",
    )

    @classmethod
    def for_workflow(cls, workflow, data=None) -> "DefinitionForm":
        if workflow is None:
            return cls(data)
        initial = {name: getattr(workflow, name) for name in ("name", "description", "allow_reenrollment")}
        return cls(data, initial=initial)


# --- Triggers ------------------------------------------------------------------------------------------


class FilterRowForm(forms.Form):
    """One filter of one group: a property compared with a value, a list membership or a form submission."""

    group = forms.IntegerField(min_value=0, max_value=99, required=False, widget=forms.HiddenInput)
    type = forms.ChoiceField(label="Filter type", choices=FILTER_TYPES, required=False)
    property = forms.ChoiceField(
        label="Property", choices=[("", "— property —"), *TRIGGER_PROPERTY_CHOICES], required=False
    )
    operator = forms.ChoiceField(label="Operator", choices=OPERATOR_CHOICES, required=False)
    value = forms.CharField(label="Value", max_length=3000, required=False)
    high_value = forms.CharField(label="and", max_length=3000, required=False)
    contact_list = forms.ChoiceField(label="List", required=False)
    list_operator = forms.ChoiceField(label="Membership", choices=LIST_OPERATOR_CHOICES, required=False)
    form = forms.ChoiceField(label="Form", required=False)

    def __init__(self, *args, list_choices=(), form_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_list"].choices = [("", "— list —"), *list_choices]
        self.fields["form"].choices = [("", "— form —"), *form_choices]

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("type") or PROPERTY
        if kind == PROPERTY and not cleaned.get("property") and (cleaned.get("value") or cleaned.get("high_value")):
            self.add_error("property", "Choose the property this filter compares.")
        if kind == LIST and not cleaned.get("contact_list"):
            self.add_error("contact_list", "Choose a list.")
        if kind == FORM and not cleaned.get("form"):
            self.add_error("form", "Choose a form.")
        return cleaned


FilterRowFormSet = forms.formset_factory(FilterRowForm, extra=0, max_num=60, validate_max=True)


def filter_rows(data=None, *, initial=None, list_choices=(), form_choices=()):
    """The trigger rows: posted (read without initial values), or from `initial`."""
    kwargs = {"prefix": FILTERS_PREFIX, "form_kwargs": {"list_choices": list_choices, "form_choices": form_choices}}
    if data is not None:
        return FilterRowFormSet(data, **kwargs)
    return FilterRowFormSet(initial=initial or [blank_filter(0)], **kwargs)


def disable_rows(formset) -> None:
    """Show a formset's rows with every input disabled: a disabled input is not posted, and its stored value is
    what is saved (R30: the triggers of a workflow that sets marketing status, for someone without access)."""
    for form in formset.forms:
        for field in form.fields.values():
            field.disabled = True


def blank_filter(group: int) -> dict[str, Any]:
    return {"group": group, "type": PROPERTY, "operator": Operator.EQ.value}


def _split_values(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _property_filter(data: dict[str, Any]) -> dict[str, Any]:
    operator = data.get("operator") or Operator.EQ.value
    result: dict[str, Any] = {"type": PROPERTY, "propertyName": data["property"], "operator": operator}
    if operator in VALUELESS_OPERATORS:
        return result
    if operator in LIST_OPERATORS:
        return result | {"values": _split_values(data.get("value") or "")}
    result["value"] = data.get("value") or ""
    if operator == Operator.BETWEEN:
        result["highValue"] = data.get("high_value") or ""
    return result


def row_filter(data: dict[str, Any]) -> dict[str, Any] | None:
    """The trigger filter a valid row states, or None for a row left empty."""
    kind = data.get("type") or PROPERTY
    if kind == LIST:
        return {"type": LIST, "listId": int(data["contact_list"]), "operator": data.get("list_operator") or "IS_MEMBER"}
    if kind == FORM:
        return {"type": FORM, "formId": data["form"], "operator": FORM_OPERATOR}
    return _property_filter(data) if data.get("property") else None


@dataclass(frozen=True)
class Triggers:
    """The service's `triggers` and, for each filter, the formset row it came from (`origins[g][f]`)."""

    groups: list[dict[str, list[dict[str, Any]]]]
    origins: list[list[int]]


def triggers_from_rows(rows) -> Triggers:
    """Filter groups in the order of their group numbers (renumbered from 0), filters in row order."""
    by_group: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for index, form in enumerate(rows.forms):
        data = form.cleaned_data
        found = row_filter(data) if data else None
        if found is not None:
            by_group.setdefault(data.get("group") or 0, []).append((index, found))
    ordered = [by_group[number] for number in sorted(by_group)]
    return Triggers(
        groups=[{"filters": [found for _, found in group]} for group in ordered],
        origins=[[index for index, _ in group] for group in ordered],
    )


def _filter_row(group: int, found: dict[str, Any]) -> dict[str, Any]:
    kind = found.get("type", PROPERTY)
    if kind == LIST:
        return {"group": group, "type": LIST, "contact_list": str(found.get("listId", "")), **_list_op(found)}
    if kind == FORM:
        return {"group": group, "type": FORM, "form": str(found.get("formId", ""))}
    values = found.get("values")
    return {
        "group": group,
        "type": PROPERTY,
        "property": found.get("propertyName", ""),
        "operator": found.get("operator", Operator.EQ.value),
        "value": ", ".join(map(str, values)) if isinstance(values, list) else str(found.get("value", "")),
        "high_value": str(found.get("highValue", "")),
    }


def _list_op(found: dict[str, Any]) -> dict[str, str]:
    return {"list_operator": found.get("operator", "IS_MEMBER")}


def filter_rows_initial(triggers: Sequence[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The editor rows of stored triggers (one empty row when there are none)."""
    rows = [
        _filter_row(number, found) for number, group in enumerate(triggers or []) for found in group.get("filters", [])
    ]
    return rows or [blank_filter(0)]


# --- Actions -------------------------------------------------------------------------------------------


class SelectWithDisabled(forms.Select):
    """A select whose options in `disabled_values` cannot be chosen (the service refuses them anyway)."""

    def __init__(self, *args, disabled_values: frozenset[str] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled_values = disabled_values

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.disabled_values and not selected:
            option["attrs"]["disabled"] = True
        return option


class ActionRowForm(forms.Form):
    """One action, its fields by kind. On Starter, "Set as non-marketing" is not offered (R18), and without
    Marketing contact access (R30) "Set marketing contact status" cannot be chosen; both are still read when
    posted, so that the service's refusal is what the user sees."""

    kind = forms.ChoiceField(
        label="Action", choices=[("", "— choose an action —"), *ActionKind.choices], required=False
    )
    marketing = forms.ChoiceField(label="Status", choices=MARKETING_CHOICES, required=False)
    property_name = forms.ChoiceField(
        label="Property", choices=[("", "— property —"), *SETTABLE_PROPERTY_CHOICES], required=False
    )
    property_value = forms.CharField(label="Value", max_length=3000, required=False)
    contact_list = forms.ChoiceField(label="List", required=False)
    delay_mode = forms.ChoiceField(label="Delay", choices=DELAY_MODES, required=False)
    delay_amount = forms.IntegerField(label="Amount", min_value=1, max_value=MAX_DELAY_AMOUNT, required=False)
    delay_unit = forms.ChoiceField(label="Unit", choices=DELAY_UNIT_CHOICES, required=False)
    delay_until = forms.DateTimeField(
        label="Until", required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args, list_choices=(), offer_non_marketing=True, offer_status=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_list"].choices = [("", "— list —"), *list_choices]
        if not offer_non_marketing:
            self._hide_non_marketing()
        if not offer_status:
            kind = self.fields["kind"]
            kind.widget = SelectWithDisabled(
                choices=kind.choices, disabled_values=frozenset({ActionKind.SET_MARKETING_STATUS.value})
            )

    def _hide_non_marketing(self) -> None:
        """Starter (R18): offer only "Set as marketing", unless this row already says non-marketing (a stored
        action from a higher tier), which is shown as it is so that saving does not silently change it."""
        shown = self["marketing"].value()
        offered = [MARKETING_CHOICES[0]]
        if shown == TO_NON_MARKETING:
            offered.append((TO_NON_MARKETING, NON_MARKETING_NEEDS_TIER))
        self.fields["marketing"].widget.choices = offered

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        required = {
            ActionKind.SET_PROPERTY: [("property_name", "Choose the property to set.")],
            ActionKind.ADD_TO_LIST: [("contact_list", "Choose a list.")],
            ActionKind.REMOVE_FROM_LIST: [("contact_list", "Choose a list.")],
        }.get(kind, [])
        if kind == ActionKind.DELAY:
            required = [("delay_until", "Enter the date and time to wait until.")]
            if (cleaned.get("delay_mode") or DURATION) == DURATION:
                required = [("delay_amount", "Enter how long to wait.")]
        for name, message in required:
            if cleaned.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, message)
        return cleaned


ActionRowFormSet = forms.formset_factory(ActionRowForm, extra=0, max_num=50, validate_max=True)


def action_rows(data=None, *, initial=None, list_choices=(), offer_non_marketing=True, offer_status=True):
    form_kwargs = {"list_choices": list_choices, "offer_non_marketing": offer_non_marketing}
    kwargs = {"prefix": ACTIONS_PREFIX, "form_kwargs": form_kwargs | {"offer_status": offer_status}}
    if data is not None:
        return ActionRowFormSet(data, **kwargs)
    return ActionRowFormSet(initial=initial or [blank_action()], **kwargs)


def blank_action() -> dict[str, Any]:
    return {"kind": "", "marketing": TO_MARKETING, "delay_mode": DURATION, "delay_unit": "days"}


def _delay_params(data: dict[str, Any]) -> dict[str, Any]:
    if (data.get("delay_mode") or DURATION) == UNTIL:
        return {"until": data["delay_until"].isoformat()}
    return {"seconds": data["delay_amount"] * DELAY_UNITS[data.get("delay_unit") or "days"]}


def row_action(data: dict[str, Any]) -> ActionSpec | None:
    """The action a valid row states, or None for a row left empty."""
    kind = data.get("kind")
    if not kind:
        return None
    if kind == ActionKind.SET_MARKETING_STATUS:
        params: dict[str, Any] = {"marketing": (data.get("marketing") or TO_MARKETING) == TO_MARKETING}
    elif kind == ActionKind.SET_PROPERTY:
        params = {"propertyName": data["property_name"], "value": data.get("property_value") or ""}
    elif kind in (ActionKind.ADD_TO_LIST, ActionKind.REMOVE_FROM_LIST):
        params = {"listId": int(data["contact_list"])}
    else:
        params = _delay_params(data)
    return ActionSpec(kind=kind, params=params)


def actions_from_rows(rows) -> tuple[list[ActionSpec], list[int]]:
    """The actions valid rows state, in row order, and the row each came from."""
    specs, origins = [], []
    for index, form in enumerate(rows.forms):
        spec = row_action(form.cleaned_data) if form.cleaned_data else None
        if spec is not None:
            specs.append(spec)
            origins.append(index)
    return specs, origins


def _delay_row(params: dict[str, Any]) -> dict[str, Any]:
    if params.get("until"):
        until = dt.datetime.fromisoformat(str(params["until"]))
        local = timezone.localtime(until) if timezone.is_aware(until) else until
        return {"delay_mode": UNTIL, "delay_until": local.strftime("%Y-%m-%dT%H:%M")}
    seconds = int(params.get("seconds") or 0)
    unit = next((name for name in ("days", "hours") if seconds and seconds % DELAY_UNITS[name] == 0), "minutes")
    return {"delay_mode": DURATION, "delay_amount": max(1, seconds // DELAY_UNITS[unit]), "delay_unit": unit}


def action_row(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """The editor row of a stored action."""
    row = blank_action() | {"kind": kind}
    if kind == ActionKind.SET_MARKETING_STATUS:
        return row | {"marketing": TO_MARKETING if params.get("marketing", True) else TO_NON_MARKETING}
    if kind == ActionKind.SET_PROPERTY:
        return row | {"property_name": params.get("propertyName", ""), "property_value": params.get("value", "")}
    if kind in (ActionKind.ADD_TO_LIST, ActionKind.REMOVE_FROM_LIST):
        return row | {"contact_list": str(params.get("listId", ""))}
    if kind == ActionKind.DELAY:
        return row | _delay_row(params)
    return row


def action_rows_initial(actions: Iterable[Any]) -> list[dict[str, Any]]:
    return [action_row(action.kind, action.params) for action in actions] or [blank_action()]


# --- Editor commands -----------------------------------------------------------------------------------


def posted_rows(formset) -> list[dict[str, Any]]:
    """The rows of a posted formset as typed (valid or not), to render again after a command."""
    return [{name: form[name].value() for name in form.fields} for form in formset.forms]


def group_of(row: dict[str, Any]) -> int:
    try:
        return int(row.get("group") or 0)
    except (TypeError, ValueError):
        return 0


def _renumbered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    numbers = {number: new for new, number in enumerate(sorted({group_of(row) for row in rows}))}
    return [row | {"group": numbers[group_of(row)]} for row in rows]


def filters_command(rows: list[dict[str, Any]], command: str, argument: int | None) -> list[dict[str, Any]]:
    """`add_filter` (to group `argument`), `add_group`, `remove_filter` (row `argument`)."""
    if command == "add_filter" and argument is not None:
        last = max((index for index, row in enumerate(rows) if group_of(row) == argument), default=len(rows) - 1)
        return _renumbered([*rows[: last + 1], blank_filter(argument), *rows[last + 1 :]])
    if command == "add_group":
        return _renumbered([*rows, blank_filter(max(map(group_of, rows), default=-1) + 1)])
    if command == "remove_filter" and argument is not None and 0 <= argument < len(rows):
        rest = _renumbered(rows[:argument] + rows[argument + 1 :])
        return rest or [blank_filter(0)]
    return rows


def actions_command(rows: list[dict[str, Any]], command: str, argument: int | None) -> list[dict[str, Any]]:
    """`add_action`, `remove_action`, `up_action`, `down_action` (row `argument`)."""
    if command == "add_action":
        return [*rows, blank_action()]
    if argument is None or not 0 <= argument < len(rows):
        return rows
    if command == "remove_action":
        return rows[:argument] + rows[argument + 1 :] or [blank_action()]
    other = {"up_action": argument - 1, "down_action": argument + 1}.get(command)
    if other is None or not 0 <= other < len(rows):
        return rows
    moved = list(rows)
    moved[argument], moved[other] = moved[other], moved[argument]
    return moved


def parse_command(raw: str | None) -> tuple[str, int | None] | None:
    """`"remove_filter:3"` → `("remove_filter", 3)`; None when no command was posted."""
    if not raw:
        return None
    name, _, number = raw.partition(":")
    return name, int(number) if number.isdigit() else None
