from django.conf import settings
from django.db import models
from django.db.models import Q

from marketing_status.actors import ActorKind
from marketing_status.policy import CONFIGURABLE_TOOL_DEFAULTS, ReasonType

REASON_CHOICES = ReasonType.choices()
ACTOR_CHOICES = ActorKind.choices()
CONFIGURABLE_TOOL_CHOICES = [(tool.value, tool.label) for tool in CONFIGURABLE_TOOL_DEFAULTS]


class MarketingStatusChange(models.Model):
    """One change of a contact's marketing properties: the property history of the spec.

    Append-only. Rows are inserted by the same SQL statement that changes the contact, so a change
    and its history commit together or not at all, and a guarded repeat writes neither (R13, R14).
    `old_status` is null for a contact's first status (its creation, or R1).
    """

    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="marketing_history")
    changed_at = models.DateTimeField()
    old_status = models.BooleanField(null=True)
    new_status = models.BooleanField(null=True)
    old_until_renewal = models.BooleanField(default=False)
    new_until_renewal = models.BooleanField(default=False)
    reason_type = models.CharField(max_length=24, choices=REASON_CHOICES, blank=True)
    reason_id = models.CharField(max_length=64, blank=True)
    actor_type = models.CharField(max_length=16, choices=ACTOR_CHOICES)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        permissions = [("marketing_contact_access", "Marketing contact access")]
        indexes = [
            models.Index(fields=["contact", "changed_at"], name="mshistory_contact_idx"),
            # B3: marketing contacts added per day and source.
            models.Index(fields=["changed_at"], condition=Q(new_status=True), name="mshistory_added_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.old_label} → {self.new_label}"

    @staticmethod
    def _label(status: bool | None, until_renewal: bool) -> str:
        if status is None:
            return "(none)"
        if until_renewal:
            return "Marketing until next update"
        return "Marketing" if status else "Non-marketing"

    @property
    def old_label(self) -> str:
        return self._label(self.old_status, self.old_until_renewal)

    @property
    def new_label(self) -> str:
        return self._label(self.new_status, self.new_until_renewal)


class CreationToolSetting(models.Model):
    """R5–R8: the stored "create contacts as marketing" setting of one form, chatflow or integration.

    `source_id` names the form, chatflow or integration; it is empty for the account-wide setting of
    non-HubSpot forms (R6). A tool without a row has its default (`CONFIGURABLE_TOOL_DEFAULTS`).
    """

    tool = models.CharField(max_length=24, choices=CONFIGURABLE_TOOL_CHOICES)
    source_id = models.CharField(max_length=64, blank=True)
    marketing_on_create = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tool", "source_id"], name="creation_tool_setting_unique")]

    def __str__(self) -> str:
        return f"{self.tool}:{self.source_id or 'account'} = {self.marketing_on_create}"


class CreationToolSettingChange(models.Model):
    """Who changed a creation tool's setting, when, and from what to what."""

    tool = models.CharField(max_length=24, choices=CONFIGURABLE_TOOL_CHOICES)
    source_id = models.CharField(max_length=64, blank=True)
    old_value = models.BooleanField()
    new_value = models.BooleanField()
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self) -> str:
        return f"{self.tool}:{self.source_id or 'account'} {self.old_value} → {self.new_value}"
