from django import forms
from django.contrib import admin, messages

from contacts.models import Contact
from contacts.services import contacts_archive, contacts_restore, normalize_email
from marketing_status.actors import Actor, MarketingStatusPermissionDenied
from marketing_status.models import MarketingStatusChange
from marketing_status.services import (
    MarketingContactsNotEnabled,
    TierGuardRefused,
    contacts_set_marketing,
    contacts_set_non_marketing,
)

MARKETING_FIELDS = (
    "marketable_status",
    "marketable_until_renewal",
    "marketable_reason_type",
    "marketable_reason_id",
    "marketable_status_changed_at",
)


class ContactAdminForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = (
            "email",
            "first_name",
            "last_name",
            "company",
            "phone",
            "lifecycle_stage",
            "email_subscription",
            "email_hard_bounced",
        )

    def clean_email(self):
        return normalize_email(self.cleaned_data.get("email"))


class MarketingHistoryInline(admin.TabularInline):
    model = MarketingStatusChange
    extra = 0
    can_delete = False
    ordering = ("-changed_at", "-pk")
    fields = (
        "changed_at",
        "old_label",
        "new_label",
        "reason_type",
        "reason_id",
        "actor_type",
        "actor_id",
        "actor_user",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _run(modeladmin, request, action, success: str) -> None:
    try:
        result = action()
    except (MarketingStatusPermissionDenied, MarketingContactsNotEnabled, TierGuardRefused) as refusal:
        modeladmin.message_user(request, str(refusal), messages.ERROR)
        return
    modeladmin.message_user(request, success.format(result=result), messages.SUCCESS)


@admin.action(description="Set as marketing contacts")
def set_marketing(modeladmin, request, queryset):
    _run(
        modeladmin,
        request,
        lambda: contacts_set_marketing(
            contacts=queryset, actor=Actor.for_user(request.user), confirm_tier_upgrade=True
        ),
        "{result.changed} contact(s) set as marketing, {result.unchanged} unchanged.",
    )


@admin.action(description="Set as non-marketing contacts (at the next update date)")
def set_non_marketing(modeladmin, request, queryset):
    _run(
        modeladmin,
        request,
        lambda: contacts_set_non_marketing(contacts=queryset, actor=Actor.for_user(request.user)),
        "{result.changed} contact(s) become non-marketing at the next update date, {result.unchanged} unchanged.",
    )


@admin.action(description="Delete (archive) contacts")
def archive(modeladmin, request, queryset):
    _run(
        modeladmin,
        request,
        lambda: contacts_archive(contacts=queryset, actor=Actor.for_user(request.user)),
        "{result} contact(s) archived.",
    )


@admin.action(description="Restore archived contacts")
def restore(modeladmin, request, queryset):
    _run(
        modeladmin,
        request,
        lambda: contacts_restore(contacts=queryset, actor=Actor.for_user(request.user)),
        "{result.restored} contact(s) restored, {result.refused} refused.",
    )


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    """Contacts are created through the services (UI, API, tools); the admin edits plain properties
    and switches status only through the services' actions."""

    form = ContactAdminForm
    list_display = (
        "id",
        "email",
        "first_name",
        "last_name",
        "marketable_status",
        "marketable_until_renewal",
        "marketable_reason_type",
        "creation_tool",
        "created_at",
        "archived_at",
    )
    list_filter = ("marketable_status", "marketable_until_renewal", "marketable_reason_type", "creation_tool")
    search_fields = ("email",)
    show_full_result_count = False
    readonly_fields = (
        *MARKETING_FIELDS,
        "creation_tool",
        "creation_source_id",
        "created_at",
        "updated_at",
        "archived_at",
    )
    actions = (set_marketing, set_non_marketing, archive, restore)
    inlines = (MarketingHistoryInline,)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
