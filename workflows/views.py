"""Automation > Workflows: the list, the editor (triggers and actions), switching on and off, and each
workflow's history (R18, R19).

Viewing needs `workflows.view_workflow`, creating `workflows.add_workflow`, editing and switching
`workflows.change_workflow`; an action that sets marketing status also needs Marketing contact access
(R30), and so do switching on a workflow that has one and changing its triggers, re-enrollment or actions;
"Set as non-marketing" needs a Professional or Enterprise subscription (R18). The services check both;
the editor only stops offering what would be refused, and says why. Refusals are 403 (permissions) or 400
(invalid input, shown on the fields with everything typed kept) and change nothing. Views parse input,
check permissions and call services and selectors.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from crm.decorators import requires
from crm.refusals import refused
from marketing_status.actors import MARKETING_ACCESS_PERMISSION, Actor, MarketingStatusPermissionDenied
from workflows import forms as editor
from workflows.definitions import (
    ActionSpec,
    WorkflowInvalid,
    sets_status,
    workflow_create,
    workflow_disable,
    workflow_enable,
    workflow_update,
)
from workflows.models import ActionKind, Workflow
from workflows.selectors import (
    editor_choices,
    non_marketing_offered,
    workflow_changes,
    workflow_counts,
    workflow_enrollments_retrying,
    workflow_history,
    workflow_matching_count,
    workflows_page,
)
from workflows.templatetags.workflows import summary

VIEW_PERMISSION = "workflows.view_workflow"
ADD_PERMISSION = "workflows.add_workflow"
CHANGE_PERMISSION = "workflows.change_workflow"
PER_PAGE = 50
SECTION = "automation"
NO_CHANGE = "You need permission to edit workflows."
# Shown where a person without Marketing contact access (R30) meets a workflow that sets marketing status.
STATUS_LOCKED = (
    "This workflow sets marketing contact status: changing its triggers, re-enrollment or actions, or switching it "
    "on, needs the Marketing contact access permission. You can still rename it, describe it or switch it off."
)


def _workflow_or_404(pk: int) -> Workflow:
    workflow = Workflow.objects.filter(pk=pk).first()
    if workflow is None:
        raise Http404("No such workflow.")
    return workflow


def _refused(request, message: str, *, permission: str = MARKETING_ACCESS_PERMISSION):
    """The refusal page naming `permission` (by default R30's Marketing contact access)."""
    return refused(request, message, permission=permission, section=SECTION)


# --- List ----------------------------------------------------------------------------------------------


@requires(VIEW_PERMISSION)
def index(request):
    """Workflows with their on/off state, enrollment counts and last change."""
    page = Paginator(workflows_page(), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "title": "Workflows",
        "section": SECTION,
        "page": page,
        "may_add": request.user.has_perm(ADD_PERMISSION),
    }
    return render(request, "workflows/index.html", context)


# --- Editor --------------------------------------------------------------------------------------------


class Editor:
    """The three parts of the editor form, bound or not, and the errors that belong to no single input."""

    def __init__(self, *, definition, filters, actions, choices, locked_actions=None, status_locked=False):
        self.definition, self.filters, self.actions, self.choices = definition, filters, actions, choices
        # The stored actions, shown read-only while the workflow is on, or while status_locked.
        self.locked_actions = locked_actions
        # R30: the workflow sets marketing status and this person may not: its triggers, re-enrollment and
        # actions are shown disabled and saved as they are stored; only the name and description are read.
        self.status_locked = status_locked
        self.trigger_errors: list[str] = []
        self.action_errors: list[str] = []
        self.refusal = ""

    def is_valid(self) -> bool:
        valid = [self.definition.is_valid()]
        if not self.status_locked:
            valid.append(self.filters.is_valid())
        if self.locked_actions is None:
            valid.append(self.actions.is_valid())
        return all(valid)


def _stored_actions(workflow: Workflow) -> list:
    return list(workflow.actions.order_by("position"))


def _status_locked(request, workflow: Workflow | None, stored: list) -> bool:
    """R30: does this workflow set marketing status while this person may not change statuses?"""
    return workflow is not None and sets_status(stored) and not Actor.for_user(request.user).may_change_status()


def _editor(request, workflow: Workflow | None, *, data=None, filter_initial=None, action_initial=None) -> Editor:
    """The editor of `workflow` (None: a new one), bound to `data` or showing the given or stored rows."""
    choices = editor_choices()
    offer = non_marketing_offered()
    is_on = workflow is not None and workflow.is_enabled
    stored = _stored_actions(workflow) if workflow is not None else []
    status_locked = _status_locked(request, workflow, stored)
    locked = stored if is_on or status_locked else None
    if status_locked or (filter_initial is None and data is None):
        filter_initial = editor.filter_rows_initial(workflow.triggers if workflow else None)
    if action_initial is None and data is None:
        action_initial = editor.action_rows_initial(stored)
    filters = editor.filter_rows(
        None if status_locked else data, initial=filter_initial, list_choices=choices.lists, form_choices=choices.forms
    )
    definition = editor.DefinitionForm.for_workflow(workflow, data)
    if status_locked:
        editor.disable_rows(filters)
        definition.fields["allow_reenrollment"].disabled = True  # saved as stored
    may_set_status = Actor.for_user(request.user).may_change_status()
    return Editor(
        definition=definition,
        filters=filters,
        actions=editor.action_rows(
            data,
            initial=action_initial,
            list_choices=choices.lists,
            offer_non_marketing=offer,
            offer_status=may_set_status,
        ),
        choices=choices,
        locked_actions=locked,
        status_locked=status_locked,
    )


def _put_back(invalid: WorkflowInvalid, form: Editor, origins: editor.Triggers, action_origins: list[int]) -> None:
    """Show the service's refusal on the inputs it concerns (`name`, `triggers.<g>.<f>`, `actions.<i>`…)."""
    for key, message in invalid.errors.items():
        head, *rest = key.split(".")
        numbers = [int(part) for part in rest if part.isdigit()]
        if head in form.definition.fields and not rest:
            form.definition.add_error(head, message)
        elif head == "triggers":
            _trigger_error(form, origins, numbers, message)
        elif head == "actions":
            _action_error(form, action_origins, numbers, message)
        else:
            form.definition.add_error(None, message)


def _trigger_error(form: Editor, origins: editor.Triggers, numbers: list[int], message: str) -> None:
    if len(numbers) >= 2 and numbers[0] < len(origins.origins) and numbers[1] < len(origins.origins[numbers[0]]):
        form.filters.forms[origins.origins[numbers[0]][numbers[1]]].add_error(None, message)
    elif numbers:
        form.trigger_errors.append(f"Filter group {numbers[0] + 1}: {message}")
    else:
        form.trigger_errors.append(message)


def _action_error(form: Editor, origins: list[int], numbers: list[int], message: str) -> None:
    if form.locked_actions is not None or not numbers or numbers[0] >= len(origins):
        prefix = f"Action {numbers[0] + 1}: " if numbers else ""
        form.action_errors.append(prefix + message)
        return
    row = form.actions.forms[origins[numbers[0]]]
    field = "marketing" if row.cleaned_data.get("kind") == ActionKind.SET_MARKETING_STATUS else None
    row.add_error(field, message)


def _save(request, workflow: Workflow | None) -> tuple[Workflow | None, Editor, int]:
    """Validate the posted editor and call the service: (saved workflow or None, editor, status)."""
    form = _editor(request, workflow, data=request.POST)
    if not form.is_valid():
        return None, form, 400
    if form.status_locked:
        triggers = editor.Triggers(groups=workflow.triggers, origins=[])
    else:
        triggers = editor.triggers_from_rows(form.filters)
    if form.locked_actions is not None:
        specs = [ActionSpec(kind=action.kind, params=action.params) for action in form.locked_actions]
        action_origins: list[int] = []
    else:
        specs, action_origins = editor.actions_from_rows(form.actions)
    arguments = {
        **form.definition.cleaned_data,
        "triggers": triggers.groups,
        "actions": specs,
        "actor": Actor.for_user(request.user),
    }
    try:
        saved = workflow_create(**arguments) if workflow is None else workflow_update(workflow=workflow, **arguments)
    except WorkflowInvalid as invalid:
        _put_back(invalid, form, triggers, action_origins)
        return None, form, 400
    except MarketingStatusPermissionDenied as refusal:  # R30, or a missing workflows permission
        form.refusal = str(refusal)
        return None, form, 403
    return saved, form, 200


def _after_command(request, workflow: Workflow | None) -> Editor:
    """Apply an editor command (add a filter or a group, remove a row, move an action) to the posted rows."""
    command = editor.parse_command(request.POST.get("command"))
    posted = _editor(request, workflow, data=request.POST)
    filters, actions = editor.posted_rows(posted.filters), editor.posted_rows(posted.actions)
    if command is not None:
        name, argument = command
        if not posted.status_locked:
            filters = editor.filters_command(filters, name, argument)
        if posted.locked_actions is None:
            actions = editor.actions_command(actions, name, argument)
    form = _editor(request, workflow, filter_initial=filters, action_initial=actions)
    typed = {name: posted.definition[name].value() for name in posted.definition.fields}
    form.definition = editor.DefinitionForm(initial=typed)
    return form


def _render_editor(request, workflow: Workflow | None, form: Editor, *, status: int = 200):
    groups: dict[int, list] = {}
    for row in form.filters.forms:
        groups.setdefault(editor.group_of({"group": row["group"].value()}), []).append(row)
    list_names = {int(pk): name for pk, name in form.choices.lists}
    locked = form.locked_actions or []
    context = {
        "title": workflow.name if workflow else "Create workflow",
        "section": SECTION,
        "workflow": workflow,
        "editor": form,
        "filter_groups": [groups[number] for number in sorted(groups)],
        "locked_summaries": [summary(action.kind, action.params, list_names) for action in locked],
        "counts": workflow_counts(workflow=workflow) if workflow else None,
        "may_change": workflow is None or request.user.has_perm(CHANGE_PERMISSION),
        "may_retarget": (workflow is None or request.user.has_perm(CHANGE_PERMISSION)) and not form.status_locked,
        "may_change_status": Actor.for_user(request.user).may_change_status(),
        "status_locked_message": STATUS_LOCKED,
        "offer_non_marketing": non_marketing_offered(),
        "property_options": editor.PROPERTY_OPTIONS,
    }
    return render(request, "workflows/edit.html", context, status=status)


@requires(ADD_PERMISSION)
@require_http_methods(["GET", "POST"])
def new(request):
    if request.method == "GET":
        return _render_editor(request, None, _editor(request, None))
    if "command" in request.POST:
        return _render_editor(request, None, _after_command(request, None))
    saved, form, status = _save(request, None)
    if saved is None:
        return _render_editor(request, None, form, status=status)
    messages.success(request, f"Workflow “{saved.name}” created. It is off: switch it on to enroll contacts.")
    return redirect("workflows:edit", pk=saved.pk)


@requires(VIEW_PERMISSION)
@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    """The editor (read-only without `change_workflow`); while the workflow is on, its actions are locked."""
    workflow = _workflow_or_404(pk)
    if request.method == "GET":
        return _render_editor(request, workflow, _editor(request, workflow))
    if not request.user.has_perm(CHANGE_PERMISSION):
        return _refused(request, NO_CHANGE, permission=CHANGE_PERMISSION)
    if "command" in request.POST:
        return _render_editor(request, workflow, _after_command(request, workflow))
    saved, form, status = _save(request, workflow)
    if saved is None:
        return _render_editor(request, workflow, form, status=status)
    messages.success(request, f"Workflow “{saved.name}” saved.")
    return redirect("workflows:edit", pk=saved.pk)


# --- On and off ----------------------------------------------------------------------------------------


def _render_switch_on(request, workflow: Workflow, *, errors=(), enroll_existing=False, status=200):
    context = {
        "title": f"Switch on {workflow.name}",
        "section": SECTION,
        "workflow": workflow,
        "matching": workflow_matching_count(workflow=workflow),
        "enroll_existing": enroll_existing,
        "errors": list(errors),
        "status_locked": _status_locked(request, workflow, _stored_actions(workflow)),
        "status_locked_message": STATUS_LOCKED,
    }
    return render(request, "workflows/switch_on.html", context, status=status)


@requires(CHANGE_PERMISSION)
@require_http_methods(["GET", "POST"])
def switch_on(request, pk: int):
    """Switch on, optionally enrolling the contacts that meet the triggers now (shown with their count)."""
    workflow = _workflow_or_404(pk)
    if request.method == "GET":
        return _render_switch_on(request, workflow)
    enroll_existing = request.POST.get("enroll_existing") in ("1", "on", "true")
    try:
        result = workflow_enable(workflow=workflow, enroll_existing=enroll_existing, actor=Actor.for_user(request.user))
    except WorkflowInvalid as invalid:
        errors = list(invalid.errors.values())
        return _render_switch_on(request, workflow, errors=errors, enroll_existing=enroll_existing, status=400)
    except MarketingStatusPermissionDenied as refusal:
        return _refused(request, str(refusal))
    if enroll_existing:
        messages.success(
            request, f"“{workflow.name}” is on, enrolling the {result.enrolled:,} contacts that meet the triggers now."
        )
    else:
        messages.success(request, f"“{workflow.name}” is on: contacts enroll when they newly meet the triggers.")
    return redirect("workflows:edit", pk=workflow.pk)


@requires(CHANGE_PERMISSION)
@require_POST
def switch_off(request, pk: int):
    """Switch off: unfinished enrollments stop where they are and resume if it is switched on again."""
    workflow = _workflow_or_404(pk)
    try:
        workflow_disable(workflow=workflow, actor=Actor.for_user(request.user))
    except MarketingStatusPermissionDenied as refusal:
        return _refused(request, str(refusal))
    messages.success(request, f"“{workflow.name}” is off: enrollments in progress wait until it is on again.")
    return redirect("workflows:edit", pk=workflow.pk)


# --- History -------------------------------------------------------------------------------------------


@requires(VIEW_PERMISSION)
def history(request, pk: int):
    """The steps the workflow ran (newest first, paginated) with outcome and detail, the enrollments being
    retried (R19), and the workflow's change log."""
    workflow = _workflow_or_404(pk)
    steps = Paginator(workflow_history(workflow=workflow), PER_PAGE).get_page(request.GET.get("page"))
    changes = Paginator(workflow_changes(workflow=workflow), PER_PAGE).get_page(request.GET.get("changes_page"))
    context = {
        "title": f"History of {workflow.name}",
        "section": SECTION,
        "workflow": workflow,
        "steps": steps,
        "changes": changes,
        "retrying": workflow_enrollments_retrying(workflow=workflow, limit=PER_PAGE),
        "counts": workflow_counts(workflow=workflow),
    }
    return render(request, "workflows/history.html", context)
