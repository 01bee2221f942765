"""Contact-based workflows (R18, R19): definitions, enrollments and the steps they ran.

A `Workflow` has enrollment triggers (HubSpot's filter groups: property, list and form filters) and an
ordered list of `WorkflowAction`s. Contacts that newly meet the triggers are enrolled: an `Enrollment`
row holds where the contact is in the workflow (`next_position`), when its next step is due (`run_at`)
and its state. Each step that ran is one `EnrollmentStep` row, unique per (enrollment, position), and
written in the same transaction as the action it records and the enrollment's advance: so a step is
applied at most once, whatever the broker redelivers (R19). `WorkflowMatch` remembers which contacts met
the triggers when last evaluated, so that only contacts that *newly* meet them enroll.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

UNFINISHED_STATES = ("ACTIVE", "WAITING", "RETRYING")


class ActionKind(models.TextChoices):
    SET_MARKETING_STATUS = "SET_MARKETING_STATUS", "Set marketing contact status"
    SET_PROPERTY = "SET_PROPERTY", "Set a property value"
    ADD_TO_LIST = "ADD_TO_LIST", "Add to a static list"
    REMOVE_FROM_LIST = "REMOVE_FROM_LIST", "Remove from a static list"
    DELAY = "DELAY", "Delay"


class EnrollmentState(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"  # a step is due at run_at
    WAITING = "WAITING", "Waiting"  # in a delay until run_at
    RETRYING = "RETRYING", "Retrying"  # a transient failure; the next try is at run_at (R19)
    COMPLETED = "COMPLETED", "Completed"
    FAILED = "FAILED", "Failed"


class StepOutcome(models.TextChoices):
    DONE = "DONE", "Done"
    SKIPPED = "SKIPPED", "Skipped"
    FAILED = "FAILED", "Failed"


class Workflow(models.Model):
    """A contact-based workflow (R18).

    `triggers` is HubSpot's filterGroups shape, an OR of AND groups of property, list and form filters
    (validated by `workflows.triggers`). While `is_enabled`, contacts that newly meet them are enrolled.
    `matched_at` is when the contacts meeting the triggers were last recorded in full (`WorkflowMatch`):
    it is null between switching on and that record, while the change feed waits. `enroll_existing` is
    what the last switch-on asked; `existing_*` follow the job that enrolls those contacts.
    """

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_enabled = models.BooleanField(default=False)
    allow_reenrollment = models.BooleanField(default=False)
    triggers = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    enabled_at = models.DateTimeField(null=True, blank=True)
    enabled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    matched_at = models.DateTimeField(null=True, blank=True)
    enroll_existing = models.BooleanField(default=False)
    existing_total = models.PositiveIntegerField(default=0)
    existing_checkpoint = models.BigIntegerField(default=0)  # the last contact id the enroll-existing job took
    existing_enrolled = models.PositiveIntegerField(default=0)
    existing_done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def enrolling_existing(self) -> bool:
        """The job enrolling the contacts that met the triggers at switch-on is still running."""
        return self.is_enabled and self.enroll_existing and self.existing_done_at is None


class WorkflowAction(models.Model):
    """One action of a workflow, at `position` (0, 1, …). `params` by kind:
    SET_MARKETING_STATUS `{"marketing": bool}`, SET_PROPERTY `{"propertyName", "value"}`,
    ADD_TO_LIST / REMOVE_FROM_LIST `{"listId"}`, DELAY `{"seconds"}` or `{"until": ISO datetime}`."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="actions")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=24, choices=ActionKind.choices)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["workflow", "position"]
        constraints = [models.UniqueConstraint(fields=["workflow", "position"], name="workflow_action_position")]

    def __str__(self) -> str:
        return f"{self.workflow_id}#{self.position} {self.kind}"


class WorkflowMatch(models.Model):
    """A contact that met the workflow's triggers when last evaluated (the "matched before" record).

    Contacts enroll when they meet the triggers and have no row here; a row is removed when the contact
    stops meeting them, so meeting them again counts as new (re-enrollment). `enroll_pending` marks the
    contacts that met them at switch-on and are still to be enrolled by the enroll-existing job.
    """

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="+")
    # No database constraint: a foreign key check locks the contact's row for every match inserted (100,000 at
    # a switch-on); contacts are archived, not deleted, and a deletion through the ORM still cascades here.
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    enroll_pending = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workflow", "contact"], name="workflow_match_unique")]

    def __str__(self) -> str:
        return f"{self.contact_id} matches {self.workflow_id}"


class Enrollment(models.Model):
    """One contact's run through a workflow (`number` 1 for the first, 2… for re-enrollments).

    At most one unfinished enrollment per (workflow, contact). The engine advances it only in the
    transaction that applies its step and writes the `EnrollmentStep` row.
    """

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="enrollments")
    # No database constraint, as for WorkflowMatch: enrolling 100,000 contacts would lock each one's row.
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="workflow_enrollments", db_constraint=False
    )
    number = models.PositiveIntegerField(default=1)
    state = models.CharField(max_length=12, choices=EnrollmentState.choices, default=EnrollmentState.ACTIVE)
    next_position = models.PositiveIntegerField(default=0)
    run_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    enrolled_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-enrolled_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["workflow", "contact", "number"], name="enrollment_number_unique"),
            models.UniqueConstraint(
                fields=["workflow", "contact"],
                condition=Q(state__in=UNFINISHED_STATES),
                name="enrollment_one_unfinished",
            ),
        ]
        indexes = [
            # The engine's due sweep: unfinished enrollments of a workflow by due time.
            models.Index(
                fields=["workflow", "run_at"], condition=Q(state__in=UNFINISHED_STATES), name="enrollment_due"
            ),
            models.Index(fields=["contact", "workflow"], name="enrollment_contact"),
            models.Index(fields=["workflow", "state"], name="enrollment_workflow_state"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} in {self.workflow_id} #{self.number} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state not in UNFINISHED_STATES


class EnrollmentStep(models.Model):
    """One step an enrollment ran: what it did, or why not. Unique per (enrollment, position), so it is
    applied at most once. `workflow` repeats the enrollment's, for the workflow's history page."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="steps")
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=24, choices=ActionKind.choices)
    outcome = models.CharField(max_length=8, choices=StepOutcome.choices)
    detail = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=1)
    finished_at = models.DateTimeField()

    class Meta:
        ordering = ["enrollment", "position"]
        constraints = [models.UniqueConstraint(fields=["enrollment", "position"], name="enrollment_step_once")]
        indexes = [models.Index(fields=["workflow", "-finished_at", "-id"], name="enrollment_step_history")]

    def __str__(self) -> str:
        return f"{self.enrollment_id}#{self.position} {self.outcome}"


class WorkflowChange(models.Model):
    """The workflow's audit log: who created, edited, switched it on or off, and when."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    what = models.TextField()

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.workflow_id} {self.at:%Y-%m-%d %H:%M}: {self.what}"
