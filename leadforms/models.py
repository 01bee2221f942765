"""Forms built here (HubSpot forms, R5), forms captured on other sites (non-HubSpot forms, R6), and
their submissions.

A form's public id is its `guid` (HubSpot's formGuid). It is also the form's `source_id` for its
"create contacts as marketing" setting and the `hs_marketable_reason_id` of the contacts it sets,
so one id names the form everywhere. An external form has a guid too, used the same way (its
setting is account-wide, R6, but the reason id still names the form).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Form(models.Model):
    """A form built in the form builder: its fields, button, and what a visitor sees after submitting."""

    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    submit_text = models.CharField(max_length=100, default="Submit")
    thank_you_message = models.TextField(default="Thanks for submitting the form.")
    redirect_url = models.URLField(max_length=2000, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def source_id(self) -> str:
        """The id of this form in its setting, its contacts' reason id and its actor (R5)."""
        return str(self.guid)


class FormField(models.Model):
    """One field of a form, mapped to a contact property (`name` is HubSpot's property name)."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="fields")
    name = models.CharField(max_length=64)
    label = models.CharField(max_length=200)
    required = models.BooleanField(default=False)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["form", "name"], name="leadforms_field_unique")]

    def __str__(self) -> str:
        return f"{self.form_id}:{self.name}"


class ExternalForm(models.Model):
    """A form on another site whose submissions the collector script captures (R6).

    One row per page (URL without query or fragment) and form on it, named by the form's id
    attribute, else its name attribute, else its position among the page's forms. `key_hash` is the
    SHA-256 of that identity: URLs can be longer than an index allows.
    """

    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True)
    page_url = models.CharField(max_length=2000)
    page_title = models.CharField(max_length=500, blank=True)
    form_id_attr = models.CharField(max_length=200, blank=True)
    form_name_attr = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(null=True, blank=True)
    first_captured_at = models.DateTimeField()
    last_captured_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_captured_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.label} on {self.page_url}"

    @property
    def source_id(self) -> str:
        return str(self.guid)

    @property
    def label(self) -> str:
        if self.form_id_attr:
            return f"#{self.form_id_attr}"
        if self.form_name_attr:
            return self.form_name_attr
        return f"Form {self.position + 1 if self.position is not None else '?'}"


class FormSubmission(models.Model):
    """One accepted submission of a form or of an external form, and what it did to its contact.

    `values` is the list of submitted `{"name", "value"}` pairs in the visitor's order (honeypot
    excluded). `created`, `upgraded` and `held_by_tier_guard` are `capture.services.CaptureResult`'s.
    """

    form = models.ForeignKey(Form, null=True, blank=True, on_delete=models.CASCADE, related_name="submissions")
    external_form = models.ForeignKey(
        ExternalForm, null=True, blank=True, on_delete=models.CASCADE, related_name="submissions"
    )
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="form_submissions"
    )
    values = models.JSONField(default=list)
    page_uri = models.CharField(max_length=2000, blank=True)
    page_name = models.CharField(max_length=500, blank=True)
    submitted_at = models.DateTimeField()
    created = models.BooleanField(default=False)
    upgraded = models.BooleanField(default=False)
    held_by_tier_guard = models.BooleanField(default=False)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(form__isnull=False, external_form__isnull=True)
                | Q(form__isnull=True, external_form__isnull=False),
                name="leadforms_submission_one_form",
            )
        ]
        indexes = [
            models.Index(fields=["form", "-submitted_at"], name="leadforms_sub_form_idx"),
            models.Index(fields=["external_form", "-submitted_at"], name="leadforms_sub_external_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.form_id or self.external_form_id} at {self.submitted_at:%Y-%m-%d %H:%M}"
