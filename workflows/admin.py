"""Read-only admin for workflows: they are built, switched and run only through `workflows.definitions`,
`workflows.enrollment` and `workflows.steps`, which check R18 (tier), R30 (Marketing contact access) and keep
each step applied once (R19). The admin is for looking: definitions with their actions, enrollments with their
steps, the change log."""

from django.contrib import admin

from crm.admin import ReadOnly, ReadOnlyAdmin
from workflows.models import Enrollment, EnrollmentStep, Workflow, WorkflowAction, WorkflowChange


class ReadOnlyInline(ReadOnly, admin.TabularInline):
    extra = 0


class WorkflowActionInline(ReadOnlyInline):
    model = WorkflowAction
    fields = ("position", "kind", "params")


class WorkflowChangeInline(ReadOnlyInline):
    model = WorkflowChange
    fields = ("at", "by", "what")


@admin.register(Workflow)
class WorkflowAdmin(ReadOnlyAdmin):
    list_display = ("name", "is_enabled", "allow_reenrollment", "enabled_at", "updated_at")
    list_filter = ("is_enabled",)
    search_fields = ("name",)
    inlines = (WorkflowActionInline, WorkflowChangeInline)


class EnrollmentStepInline(ReadOnlyInline):
    model = EnrollmentStep
    fields = ("position", "kind", "outcome", "detail", "attempts", "finished_at")


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnlyAdmin):
    list_display = ("workflow", "contact", "number", "state", "next_position", "run_at", "attempts")
    list_filter = ("state", "workflow")
    list_select_related = ("workflow", "contact")
    raw_id_fields = ("contact",)
    inlines = (EnrollmentStepInline,)


@admin.register(WorkflowChange)
class WorkflowChangeAdmin(ReadOnlyAdmin):
    list_display = ("workflow", "at", "by", "what")
    list_select_related = ("workflow", "by")
    list_filter = ("workflow",)
