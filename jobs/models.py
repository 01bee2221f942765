from django.conf import settings
from django.db import models


class Job(models.Model):
    """A long bulk operation. PostgreSQL holds its truth: state, counts and a checkpoint (the last
    contact id done, the selection being walked in id order). A Celery message only wakes it; a
    sweeper re-enqueues jobs whose heartbeat stopped, and a rerun resumes after the checkpoint,
    with every chunk guarded so nothing is changed twice."""

    class Kind(models.TextChoices):
        SET_MARKETING = "set_marketing", "Set as marketing contacts"
        SET_NON_MARKETING = "set_non_marketing", "Set as non-marketing contacts"
        ARCHIVE = "archive", "Delete contacts"
        RESTORE = "restore", "Restore contacts"
        ADD_TO_LIST = "add_to_list", "Add to list"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    selection = models.JSONField(help_text="contacts.selection.Selection.to_dict()")
    params = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    checkpoint_id = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "heartbeat_at"], name="job_state_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.state})"

    @property
    def percent(self) -> int:
        return 100 if self.state == self.State.DONE else (100 * self.processed // self.total if self.total else 0)
