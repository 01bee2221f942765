"""What the seed_demo tests share: running the command and counting what it wrote."""

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command

from billing.models import BillingPeriod, Subscription
from contacts.models import Contact
from marketing_status.models import CreationToolSettingChange, MarketingStatusChange

CONTACTS = 80


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", contacts=CONTACTS, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "subscriptions": Subscription.objects.count(),
        "contacts": Contact.objects.count(),
        "history": MarketingStatusChange.objects.count(),
        "periods": BillingPeriod.objects.count(),
        "tool_setting_changes": CreationToolSettingChange.objects.count(),
    }
