from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from contacts.models import Contact
from contacts.selection import Selection
from contacts.services import (
    EDITABLE_FIELDS,
    ContactConflict,
    ContactInvalid,
    contact_update,
    contact_update_validate,
    normalize_email,
)
from crm.actors import Actor
from jobs.models import Job
from jobs.services import bulk_change_start
from marketing_status.actors import MarketingStatusPermissionDenied
from marketing_status.models import MarketingStatusChange
from screens.contacts.bulk import DELETE, SET_MARKETING, SET_NON_MARKETING, BulkAction, confirmation_page
from screens.contacts.forms import ServiceErrorsMixin

MARKETING_FIELDS = (
    "marketable_status",
    "marketable_until_renewal",
    "marketable_reason_type",
    "marketable_reason_id",
    "marketable_status_changed_at",
)


class ContactAdminForm(ServiceErrorsMixin, forms.ModelForm):
    """The plain properties `contact_update` writes; its own checks (`contact_update_validate`) show on the
    fields, so that a refused edit is the form shown again with nothing written."""

    class Meta:
        model = Contact
        fields = EDITABLE_FIELDS

    def clean_email(self):
        return normalize_email(self.cleaned_data.get("email"))

    def changed_properties(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data if name in self.cleaned_data}

    def clean(self):
        cleaned = super().clean()
        if self.errors or self.instance.pk is None:
            return cleaned
        try:
            contact_update_validate(contact=self.instance, data=self.changed_properties())
        except ContactInvalid as invalid:
            self.add_service_errors(invalid.errors.get(0, {}))
        except ContactConflict as conflict:
            self.add_conflict(conflict)
        return cleaned


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


def _confirm(action: BulkAction):
    """An admin action that shows the contacts index's own confirmation for the picked contacts: the
    billing impact, the typed count and the tier guard (B2, B4, R15), and a job above 1,000 contacts.
    Nothing changes until that page is confirmed, and nothing confirms a tier upgrade for the user."""

    def run(modeladmin, request, queryset):
        try:
            return confirmation_page(request, action, list(queryset.values_list("pk", flat=True)))
        except PermissionDenied as refusal:
            modeladmin.message_user(request, str(refusal), messages.ERROR)
            return None

    return run


set_marketing = admin.action(description="Set as marketing contacts…")(_confirm(SET_MARKETING))
set_marketing.__name__ = "set_marketing"
set_non_marketing = admin.action(description="Set as non-marketing contacts (at the next update date)…")(
    _confirm(SET_NON_MARKETING)
)
set_non_marketing.__name__ = "set_non_marketing"
archive = admin.action(description="Delete (archive) contacts…")(_confirm(DELETE))
archive.__name__ = "archive"


@admin.action(description="Restore archived contacts")
def restore(modeladmin, request, queryset):
    """R22: through the recycle bin's path (a job above 1,000); restoring marketing contacts needs R30."""
    selection = Selection(ids=tuple(queryset.values_list("pk", flat=True)), archived=True)
    try:
        outcome = bulk_change_start(kind=Job.Kind.RESTORE, selection=selection, user=request.user)
    except MarketingStatusPermissionDenied as refusal:
        modeladmin.message_user(request, f"{refusal} Nothing was changed.", messages.ERROR)
        return None
    if outcome.job is not None:
        return redirect("jobs:detail", pk=outcome.job.pk)
    counts = outcome.counts
    modeladmin.message_user(
        request, f"{counts.changed} contact(s) restored, {counts.refused} refused.", messages.SUCCESS
    )
    return None


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    """Contacts are created through the services (UI, API, tools); the admin edits plain properties through
    `contact_update` (so the change feed and workflows see the edit) and switches status only through the
    services' actions. Marketing fields are read-only here."""

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

    def has_change_permission(self, request, obj=None):
        """A deleted contact (R22) is not edited, here as anywhere: it is shown, and restored by the action."""
        if obj is not None and obj.archived_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Through `contact_update`, with the acting user as actor: the edit records the contact in the change
        feed, so workflows evaluate it once it commits (R18), and never writes a marketing field. An edit that
        changes nothing writes nothing."""
        data = form.changed_properties()
        if data:
            contact_update(contact=obj, data=data, actor=Actor.for_user(request.user))
            obj.refresh_from_db()
