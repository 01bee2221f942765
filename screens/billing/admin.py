from django.contrib import admin

from billing.models import BillingPeriod, Subscription, TierNotice, TierUpgrade
from crm.admin import ReadOnlyAdmin
from crm.refusals import Refused
from marketing_status.actors import MARKETING_ACCESS_PERMISSION


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Billing contacts are a setting; limits, dates, the tier guard (B4, which needs Marketing contact
    access) and enabling change only through the billing services (Account & Billing > Subscription)."""

    list_display = ("hub_tier", "billing_cycle", "contact_tier_limit", "renewal_date", "marketing_contacts_enabled_at")
    fields = (
        "hub_tier",
        "billing_cycle",
        "contract_start",
        "renewal_date",
        "contact_tier_limit",
        "contract_tier_limit",
        "tier_block_size",
        "marketing_contacts_enabled_at",
        "tier_guard_enabled",
        "billing_contacts",
    )
    readonly_fields = tuple(name for name in fields if name != "billing_contacts")  # the one setting edited here
    filter_horizontal = ("billing_contacts",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # R30: the subscription is the bill; its billing contacts change only with Marketing contact access.
        return super().has_change_permission(request, obj) and request.user.has_perm(MARKETING_ACCESS_PERMISSION)

    def has_delete_permission(self, request, obj=None):
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A change posted without Marketing contact access is refused with the permission named (R30)."""
        if request.method == "POST" and not request.user.has_perm(MARKETING_ACCESS_PERMISSION):
            raise Refused(
                "You need Marketing contact access to change the subscription's billing contacts.",
                permission=MARKETING_ACCESS_PERMISSION,
            )
        return super().changeform_view(request, object_id, form_url, extra_context)


@admin.register(BillingPeriod)
class BillingPeriodAdmin(ReadOnlyAdmin):
    list_display = (
        "starts_at",
        "update_date",
        "count_at_open",
        "peak_count",
        "count_at_close",
        "flipped_count",
        "closed_at",
    )


@admin.register(TierUpgrade)
class TierUpgradeAdmin(ReadOnlyAdmin):
    list_display = ("happened_at", "old_limit", "new_limit", "marketing_count", "cause_type", "cause_id")


@admin.register(TierNotice)
class TierNoticeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "limit", "threshold", "marketing_count", "sent_at")
