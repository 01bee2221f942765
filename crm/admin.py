"""Mixins shared by the apps' Django admin (not an app's admin module: `crm` registers no models)."""

from django.contrib import admin


class ReadOnly:
    """For admins and inlines of rows that change only through the services: shown, never added, changed or
    deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    """History and settings change only through the services."""
