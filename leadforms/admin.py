"""Read-only admin pages: forms are built in Marketing > Forms, submissions arrive through the public endpoints."""

from django.contrib import admin

from leadforms.models import ExternalForm, Form, FormField, FormSubmission


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class FormFieldInline(admin.TabularInline):
    model = FormField
    extra = 0
    can_delete = False
    readonly_fields = ("name", "label", "required", "position")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Form)
class FormAdmin(ReadOnlyAdmin):
    list_display = ("name", "guid", "created_at", "updated_at")
    search_fields = ("name", "guid")
    inlines = [FormFieldInline]


@admin.register(ExternalForm)
class ExternalFormAdmin(ReadOnlyAdmin):
    list_display = ("label", "page_url", "first_captured_at", "last_captured_at")
    search_fields = ("page_url", "form_id_attr", "form_name_attr")


@admin.register(FormSubmission)
class FormSubmissionAdmin(ReadOnlyAdmin):
    list_display = ("submitted_at", "form", "external_form", "contact", "created", "upgraded", "held_by_tier_guard")
    list_select_related = ("form", "external_form", "contact")
    raw_id_fields = ("contact",)
