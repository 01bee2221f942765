"""Reads of workflows shared by the screens: counts of enrollments, history, a contact's enrollments."""

from dataclasses import dataclass

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.urls import reverse

from billing.selectors import subscription_get
from capture.sources import SWITCHED_ON, WORKFLOW, StatusTool
from contacts.models import ContactList
from leadforms.models import ExternalForm, Form
from workflows import policy
from workflows.models import (
    ActionKind,
    Enrollment,
    EnrollmentState,
    EnrollmentStep,
    Workflow,
    WorkflowAction,
    WorkflowChange,
)
from workflows.triggers import matching_contacts


def _counts(prefix: str = "") -> dict:
    """The enrollment counts as aggregates; `prefix` is the relation from the queried model to enrollments."""

    def count(*states: str) -> Count:
        return Count(f"{prefix}pk", filter=Q(**{f"{prefix}state__in": states}) if states else None)

    return {
        "enrolled_count": count(),
        "active_count": count(EnrollmentState.ACTIVE, EnrollmentState.WAITING),
        "completed_count": count(EnrollmentState.COMPLETED),
        "failed_count": count(EnrollmentState.FAILED),
        "retrying_count": count(EnrollmentState.RETRYING),
    }


def workflows_named(ids: list[str]) -> dict[str, tuple[str, str]]:
    """Workflow id -> (name, editor URL), for histories that name a workflow by id (`crm.sources`)."""
    rows = Workflow.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()]).values_list("pk", "name")
    return {str(pk): (name, reverse("workflows:edit", args=[pk])) for pk, name in rows}


def workflows_list() -> QuerySet:
    """Every workflow with `enrolled_count`, `active_count` (active or waiting in a delay), `completed_count`,
    `failed_count` and `retrying_count` (R19), by name. One query."""
    return Workflow.objects.annotate(**_counts("enrollments__")).order_by("name", "pk")


@dataclass(frozen=True)
class WorkflowCounts:
    enrolled_count: int = 0
    active_count: int = 0
    completed_count: int = 0
    failed_count: int = 0
    retrying_count: int = 0


def workflow_counts(*, workflow: Workflow) -> WorkflowCounts:
    """One workflow's enrollment counts (as `workflows_list` annotates them)."""
    return WorkflowCounts(**Enrollment.objects.filter(workflow=workflow).aggregate(**_counts()))


def workflow_history(*, workflow: Workflow) -> QuerySet:
    """The steps the workflow ran, newest first, each with its enrollment and contact."""
    return (
        EnrollmentStep.objects.filter(workflow=workflow)
        .select_related("enrollment__contact")
        .order_by("-finished_at", "-pk")
    )


def workflow_changes(*, workflow: Workflow) -> QuerySet:
    """The workflow's change log (created, edited, switched on or off), newest first."""
    return WorkflowChange.objects.filter(workflow=workflow).select_related("by").order_by("-at", "-pk")


def workflow_enrollments_retrying(*, workflow: Workflow, limit: int = 50) -> list[Enrollment]:
    """R19: enrollments whose step failed for a transient reason and waits for its next try, soonest first."""
    retrying = Enrollment.objects.filter(workflow=workflow, state=EnrollmentState.RETRYING)
    return list(retrying.select_related("contact").order_by("run_at", "pk")[:limit])


def workflow_matching_count(*, workflow: Workflow) -> int:
    """How many live contacts meet the workflow's triggers now (what "enroll existing" would enroll, at most)."""
    return matching_contacts(workflow.triggers).count()


def contact_enrollments(*, contact) -> list[Enrollment]:
    """A contact's enrollments, newest first, with their workflow and steps."""
    return list(
        Enrollment.objects.filter(contact=contact)
        .select_related("workflow")
        .prefetch_related(Prefetch("steps", queryset=EnrollmentStep.objects.order_by("position")))
        .order_by("-enrolled_at", "-pk")
    )


def non_marketing_offered() -> bool:
    """R18: may this account's workflows set contacts as non-marketing (Professional and Enterprise)?"""
    subscription = subscription_get()
    return policy.non_marketing_allowed(subscription.hub_tier if subscription else None)


# --- Page reads of the screens ------------------------------------------------------------------------------


def workflows_page() -> QuerySet:
    """`workflows_list` with each workflow's last change: `last_change_at`, `last_change_what`, `last_change_by`
    (who made it: the user's full name, else their username)."""
    last = WorkflowChange.objects.filter(workflow=OuterRef("pk")).order_by("-at", "-pk")
    full_name = Trim(Concat("by__first_name", Value(" "), "by__last_name"))
    by = last.annotate(who=Coalesce(NullIf(full_name, Value("")), "by__username")).values("who")[:1]
    return workflows_list().annotate(
        last_change_at=Subquery(last.values("at")[:1]),
        last_change_what=Subquery(last.values("what")[:1]),
        last_change_by=Subquery(by),
    )


@dataclass(frozen=True)
class EditorChoices:
    lists: list[tuple[str, str]]  # (list id, name)
    forms: list[tuple[str, str]]  # (form guid, name): forms built here, then forms captured on other sites


def editor_choices() -> EditorChoices:
    """The static lists and forms a trigger or an action can name."""
    lists = [(str(pk), name) for pk, name in ContactList.objects.order_by("name").values_list("pk", "name")]
    forms = [(str(form.guid), form.name) for form in Form.objects.order_by("name", "pk")]
    forms += [
        (str(external.guid), f"{external.label} on {external.page_url}")
        for external in ExternalForm.objects.order_by("page_url", "pk")
    ]
    return EditorChoices(lists=lists, forms=forms)


def workflows_setting_status() -> list[StatusTool]:
    """R18 for Settings > Lead capture: the workflows that are on and have a *Set marketing contact status*
    action, with who switched each on. Two queries."""
    status_actions = WorkflowAction.objects.filter(kind=ActionKind.SET_MARKETING_STATUS).order_by("position")
    workflows = (
        Workflow.objects.filter(is_enabled=True, actions__kind=ActionKind.SET_MARKETING_STATUS)
        .distinct()
        .select_related("enabled_by")
        .prefetch_related(Prefetch("actions", queryset=status_actions, to_attr="status_actions"))
        .order_by("name", "pk")
    )
    return [_workflow_status(workflow) for workflow in workflows]


def _status_effect(actions: list[WorkflowAction]) -> str:
    targets = {bool(action.params.get("marketing", True)) for action in actions}
    if targets == {True}:
        return "Sets the contacts it enrolls as marketing."
    if targets == {False}:
        return "Sets the contacts it enrolls as non-marketing (from the next update date)."
    return "Sets the contacts it enrolls as marketing and as non-marketing."


def _workflow_status(workflow: Workflow) -> StatusTool:
    url = reverse("workflows:edit", args=[workflow.pk])
    return StatusTool(
        key=f"workflow:{workflow.pk}",
        kind=WORKFLOW,
        name=workflow.name,
        url=url,
        switch_url=url + "#workflow-actions",
        effect=_status_effect(workflow.status_actions),
        person=workflow.enabled_by,
        person_did=SWITCHED_ON,
        at=workflow.enabled_at,
    )
