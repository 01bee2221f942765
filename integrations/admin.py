from django.contrib import admin

from crm.admin import ReadOnlyAdmin
from integrations.models import Integration


@admin.register(Integration)
class IntegrationAdmin(ReadOnlyAdmin):
    """Integrations are created, revoked and configured on Settings > Integrations (or with `create_integration`),
    through the services; here they are only shown. The token hash is never displayed."""

    list_display = ("name", "token_prefix", "scopes", "created_by", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "token_prefix")
    fields = ("name", "token_prefix", "scopes", "created_by", "created_at", "last_used_at", "revoked_at", "revoked_by")
    readonly_fields = fields
