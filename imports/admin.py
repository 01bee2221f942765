from django.contrib import admin

from imports.models import Import, ImportFile, ImportRowError


class ImportFileInline(admin.TabularInline):
    model = ImportFile
    fields = ("position", "object_type", "original_name", "format", "size", "rows_estimate", "mapping")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Import)
class ImportAdmin(admin.ModelAdmin):
    """Read-only: imports are started and run only through imports.services."""

    list_display = (
        "pk",
        "kind",
        "state",
        "marketing",
        "rows",
        "created",
        "updated",
        "errors",
        "created_by",
        "created_at",
    )
    list_filter = ("state", "kind", "marketing")
    inlines = (ImportFileInline,)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportRowError)
class ImportRowErrorAdmin(admin.ModelAdmin):
    list_display = ("import_job", "file_position", "row_number", "reason")
    list_filter = ("import_job",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
