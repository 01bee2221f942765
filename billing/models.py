from django.conf import settings
from django.db import models
from django.db.models import Q

from billing.policy import BillingCycle, HubTier
from contacts.vocabulary import ReasonType


class Subscription(models.Model):
    """The account's marketing subscription (one per installation).

    Contracts run for a year: `renewal_date` is the next contract renewal, and moves on by a year at
    it. `contract_tier_limit` is what the contract includes (R25, or what an admin chose); the contact
    tier limit in force, `contact_tier_limit`, grows by blocks when the marketing count exceeds it
    (R24), is not reduced before the contract renewal, and is reset there to the contract's limit
    (grown by blocks if the count then needs it). `marketing_contacts_enabled_at` is set once, by R1.
    `tier_guard_enabled` (B4) makes a change that would cross the limit ask for confirmation.
    """

    hub_tier = models.CharField(max_length=16, choices=[(tier.value, tier.name.title()) for tier in HubTier])
    billing_cycle = models.CharField(
        max_length=8, choices=[(cycle.value, cycle.name.title()) for cycle in BillingCycle]
    )
    contract_start = models.DateField()
    renewal_date = models.DateField()
    contact_tier_limit = models.PositiveIntegerField()
    contract_tier_limit = models.PositiveIntegerField()
    tier_block_size = models.PositiveIntegerField()
    marketing_contacts_enabled_at = models.DateTimeField(null=True, blank=True)
    tier_guard_enabled = models.BooleanField(default=False)
    billing_contacts = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.get_hub_tier_display()} ({self.get_billing_cycle_display()}), {self.contact_tier_limit} contacts"

    @property
    def marketing_contacts_enabled(self) -> bool:
        return self.marketing_contacts_enabled_at is not None


class BillingPeriod(models.Model):
    """The span between two update dates (R20), with its marketing-contact counts (R23).

    Exactly one period is open at a time. The renewal job (R14) marks it started (recording the
    billed count), flips its due pending contacts in chunks (counting them in `flipped_count`), then
    closes it and opens the next one in one transaction.
    """

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="periods")
    starts_at = models.DateTimeField()
    update_date = models.DateField()
    update_at = models.DateTimeField(help_text="Midnight at the start of the update date, in the account's time zone.")
    count_at_open = models.PositiveIntegerField(default=0)
    peak_count = models.PositiveIntegerField(default=0)
    count_at_close = models.PositiveIntegerField(null=True, blank=True)
    flipped_count = models.PositiveIntegerField(default=0)
    renewal_started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription"], condition=Q(closed_at__isnull=True), name="billing_one_open_period"
            ),
            models.UniqueConstraint(fields=["subscription", "starts_at"], name="billing_period_start_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d} → {self.update_date:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class TierUpgrade(models.Model):
    """R24: the contact tier changed, when, from what to what, and what caused it.

    Mostly upgrades caused by a change of the marketing count (`cause_type` is the status source
    type); also an admin's change of tier (`TIER_CHANGE`, `cause_id` the user) and the reset at the
    contract renewal (`CONTRACT_RENEWAL`).
    """

    TIER_CHANGE = "TIER_CHANGE"
    CONTRACT_RENEWAL = "CONTRACT_RENEWAL"
    CAUSE_LABELS = {TIER_CHANGE: "Tier change", CONTRACT_RENEWAL: "Contract renewal"}

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="tier_upgrades")
    happened_at = models.DateTimeField()
    old_limit = models.PositiveIntegerField()
    new_limit = models.PositiveIntegerField()
    marketing_count = models.PositiveIntegerField()
    cause_type = models.CharField(max_length=24)
    cause_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-happened_at"]

    def __str__(self) -> str:
        return f"{self.old_limit} → {self.new_limit} at {self.happened_at:%Y-%m-%d %H:%M}"

    @property
    def cause_label(self) -> str:
        """What screens show for `cause_type`: its own two causes, else the status source type's label."""
        if self.cause_type in self.CAUSE_LABELS:
            return self.CAUSE_LABELS[self.cause_type]
        try:
            return ReasonType(self.cause_type).label
        except ValueError:
            return self.cause_type


class TierNotice(models.Model):
    """R24: billing contacts were told that the count reached `threshold`% of `limit` (at most once each)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="tier_notices")
    limit = models.PositiveIntegerField()
    threshold = models.PositiveSmallIntegerField()
    marketing_count = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "limit", "threshold"], name="tier_notice_once"),
        ]

    def __str__(self) -> str:
        return f"{self.threshold}% of {self.limit}"
