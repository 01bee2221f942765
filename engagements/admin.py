from django.contrib import admin

from crm.admin import ReadOnlyAdmin
from engagements.models import AvailabilityWindow, Booking, EmailLog, EmailLogRecipient, MeetingLink, Ticket


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RecipientInline(_ReadOnlyInline):
    model = EmailLogRecipient
    fields = ("kind", "email", "contact")
    readonly_fields = fields


class WindowInline(_ReadOnlyInline):
    model = AvailabilityWindow
    fields = ("weekday", "start", "end")
    readonly_fields = fields


@admin.register(EmailLog)
class EmailLogAdmin(ReadOnlyAdmin):
    """Logged on contact records through `engagements.services.email_log`; shown here only."""

    list_display = ("subject", "sent_at", "logged_by", "logged_at")
    search_fields = ("subject", "recipients__email")
    inlines = [RecipientInline]


@admin.register(MeetingLink)
class MeetingLinkAdmin(ReadOnlyAdmin):
    """Created and edited under Sales > Meetings, through the services."""

    list_display = ("name", "slug", "owner", "duration_minutes", "days_ahead")
    search_fields = ("name", "slug")
    inlines = [WindowInline]


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    list_display = ("link", "start", "end", "name", "email", "contact", "booked_at")
    list_filter = ("link",)
    search_fields = ("email", "name")


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("subject", "stage", "requester", "created_by", "created_at")
    list_filter = ("stage",)
    search_fields = ("subject", "requester__email")
