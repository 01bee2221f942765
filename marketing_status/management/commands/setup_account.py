"""Set up, or check, the account of a fresh installation without the demo: its subscription and R1.

    python manage.py setup_account --hub-tier professional --billing annual --enable-marketing-contacts

Idempotent: run again with the same values it changes nothing and exits 0. On an existing
subscription only the options given are compared; a different value is refused (exit 1, nothing
changed) unless `--change` says to change it, which goes through `subscription_change` (a higher
limit is recorded like a tier upgrade).
"""

from datetime import date

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.models import Subscription
from billing.policy import BillingCycle, HubTier
from billing.selectors import subscription_get
from billing.services import SubscriptionInvalid, subscription_change
from marketing_status.actors import Actor
from marketing_status.services import account_setup, marketing_contacts_enable

ACTOR = Actor.system("setup_account")


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"{value!r} is not a date in the form YYYY-MM-DD") from error


class Command(BaseCommand):
    help = "Set up the account's subscription (hub tier, billing, contract dates, tier) and enable marketing contacts."

    def add_arguments(self, parser):
        parser.add_argument("--hub-tier", choices=[tier.value for tier in HubTier], required=True)
        parser.add_argument("--billing", choices=[cycle.value for cycle in BillingCycle], required=True)
        parser.add_argument("--contract-start", type=_date, help="YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--renewal-date",
            type=_date,
            help="YYYY-MM-DD, the contract renewal; a date not after the start renews on that day each year "
            "(default: the contract start, so the first renewal is a year on)",
        )
        parser.add_argument("--tier-limit", type=int, help="marketing contacts included (default: the hub tier's)")
        parser.add_argument("--block-size", type=int, help="contacts per tier block (default: the hub tier's)")
        parser.add_argument(
            "--billing-contact",
            action="append",
            default=None,
            metavar="USERNAME",
            help="a user told when the count nears or passes the tier (repeatable)",
        )
        parser.add_argument(
            "--enable-marketing-contacts",
            action="store_true",
            help="enable marketing contacts: every existing contact becomes non-marketing",
        )
        parser.add_argument("--change", action="store_true", help="change an existing subscription to these values")

    def handle(self, *args, **options):
        values = {
            "hub_tier": HubTier(options["hub_tier"]),
            "billing_cycle": BillingCycle(options["billing"]),
            "contract_start": options["contract_start"],
            "renewal_date": options["renewal_date"],
            "contact_tier_limit": options["tier_limit"],
            "tier_block_size": options["block_size"],
        }
        contacts = self._billing_contacts(options["billing_contact"])
        subscription = subscription_get()
        try:
            if subscription is None:
                subscription = self._create(values, contacts, options["enable_marketing_contacts"])
            else:
                self._check_or_change(subscription, values, contacts, change=options["change"])
                if options["enable_marketing_contacts"] and not subscription.marketing_contacts_enabled:
                    changed = marketing_contacts_enable(actor=ACTOR)
                    self.stdout.write(f"Marketing contacts enabled: {changed:,} contacts set as non-marketing.")
        except SubscriptionInvalid as error:
            raise CommandError(str(error)) from error
        self._describe(subscription_get())

    def _billing_contacts(self, usernames: list[str] | None):
        if usernames is None:
            return None
        users = list(get_user_model().objects.filter(username__in=usernames))
        missing = sorted(set(usernames) - {user.username for user in users})
        if missing:
            raise CommandError(f"No user named {', '.join(missing)}; create it first (manage.py createsuperuser).")
        return users

    def _create(self, values: dict, contacts, enable: bool) -> Subscription:
        today = timezone.localdate()
        start = values["contract_start"] or today
        subscription = account_setup(
            actor=ACTOR,
            **{**values, "contract_start": start, "renewal_date": values["renewal_date"] or start},
            billing_contacts=contacts or (),
            enable_marketing_contacts=enable,
        )
        self.stdout.write("Subscription set up.")
        if enable:
            self.stdout.write("Marketing contacts enabled: every existing contact is non-marketing.")
        return subscription

    def _describe(self, subscription: Subscription) -> None:
        enabled = "enabled" if subscription.marketing_contacts_enabled else "not enabled (--enable-marketing-contacts)"
        self.stdout.write(
            f"{subscription.get_hub_tier_display()}, {subscription.get_billing_cycle_display().lower()} billing; "
            f"contract from {subscription.contract_start:%Y-%m-%d}, renews {subscription.renewal_date:%Y-%m-%d}; "
            f"tier {subscription.contact_tier_limit:,} marketing contacts, "
            f"in blocks of {subscription.tier_block_size:,}; "
            f"marketing contacts {enabled}."
        )

    def _check_or_change(self, subscription: Subscription, values: dict, contacts, *, change: bool) -> None:
        differences = _differences(subscription, values, contacts)
        if not differences:
            self.stdout.write("The subscription already has these values; nothing changed.")
            return
        if not change:
            listed = "; ".join(f"{name} is {old}, not {new}" for name, old, new in differences)
            raise CommandError(
                f"This installation already has a subscription ({listed}). Nothing changed. "
                "Run again with --change to change it."
            )
        changed = subscription_change(actor=ACTOR, billing_contacts=contacts, **values)
        self.stdout.write(f"Subscription changed: {', '.join(changed)}.")


def _differences(subscription: Subscription, values: dict, contacts) -> list[tuple[str, object, object]]:
    """The options given whose value differs from the subscription's: (name, current, asked)."""
    current = {
        "hub_tier": subscription.hub_tier,
        "billing_cycle": subscription.billing_cycle,
        "contract_start": subscription.contract_start,
        "renewal_date": subscription.renewal_date,
        "contact_tier_limit": subscription.contract_tier_limit,
        "tier_block_size": subscription.tier_block_size,
    }
    differences = [
        (name.replace("_", " "), current[name], value)
        for name, value in values.items()
        if value is not None and str(value) != str(current[name])
    ]
    if contacts is not None:
        usernames = sorted(user.username for user in contacts)
        existing = sorted(subscription.billing_contacts.values_list("username", flat=True))
        if usernames != existing:
            differences.append(("billing contacts", ", ".join(existing) or "none", ", ".join(usernames)))
    return differences
