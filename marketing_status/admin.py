from django.contrib import admin

from crm.admin import ReadOnlyAdmin
from marketing_status.models import CreationToolSetting, CreationToolSettingChange, MarketingStatusChange


@admin.register(MarketingStatusChange)
class MarketingStatusChangeAdmin(ReadOnlyAdmin):
    list_display = (
        "changed_at",
        "contact_id",
        "old_label",
        "new_label",
        "reason_type",
        "reason_id",
        "actor_type",
        "actor_id",
    )
    list_filter = ("reason_type", "actor_type")
    show_full_result_count = False


@admin.register(CreationToolSetting)
class CreationToolSettingAdmin(ReadOnlyAdmin):
    list_display = ("tool", "source_id", "marketing_on_create", "updated_by", "updated_at")


@admin.register(CreationToolSettingChange)
class CreationToolSettingChangeAdmin(ReadOnlyAdmin):
    list_display = ("changed_at", "tool", "source_id", "old_value", "new_value", "changed_by")
