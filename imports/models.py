from django.conf import settings
from django.db import models

from marketing_status.policy import CreationTool


class Import(models.Model):
    """An import of contacts (and their companies) from uploaded files: R4, R9, R10, R12, B4.

    PostgreSQL holds its truth: who started it and when, its files and their column mapping, its
    kind and marketing checkbox, its state and counts, and a checkpoint (the file being read, the
    byte offset after the last row done, and that row's number). Every chunk of rows commits with
    the checkpoint in one transaction, so a rerun after a kill resumes exactly after the last
    committed chunk and never imports a row twice. A Celery message only wakes it up; a sweeper
    re-enqueues imports whose heartbeat stopped.
    """

    class Kind(models.TextChoices):
        SINGLE = "single", "One file, one object (contacts)"
        MULTI_OBJECT = "multi_object", "One file, contacts with their companies"
        MULTI_FILE = "multi_file", "Two files: contacts and companies"

    class State(models.TextChoices):
        DRAFT = "draft", "Uploaded, not mapped yet"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    marketing = models.BooleanField("Set all contacts as marketing contacts", default=False)
    confirm_tier_upgrade = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    # Counts, each advanced in the transaction of the chunk it counts.
    rows = models.PositiveBigIntegerField(default=0)  # data rows read (blank rows not counted)
    created = models.PositiveBigIntegerField(default=0)  # contacts created
    updated = models.PositiveBigIntegerField(default=0)  # existing contacts updated
    errors = models.PositiveBigIntegerField(default=0)  # rows not imported, each with an ImportRowError
    held = models.PositiveBigIntegerField(default=0)  # B4: would have become marketing, kept non-marketing
    companies_created = models.PositiveBigIntegerField(default=0)
    companies_updated = models.PositiveBigIntegerField(default=0)
    associations = models.PositiveBigIntegerField(default=0)

    # The checkpoint: the file being read (its position), the byte offset after the last row done in
    # it, and that row's number in the file (the header is row 1).
    checkpoint_file = models.PositiveSmallIntegerField(default=0)
    checkpoint_offset = models.PositiveBigIntegerField(default=0)
    checkpoint_row = models.PositiveBigIntegerField(default=0)
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)  # in files before the current one
    cleaned_at = models.DateTimeField(null=True, blank=True)  # files and seen emails removed once finished

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "heartbeat_at"], name="import_state_idx")]

    def __str__(self) -> str:
        return f"Import #{self.pk} ({self.state})"

    @property
    def creation_tool(self) -> CreationTool:
        """R4: a single-file single-object import is IMPORT; the others are MULTI_IMPORT (R9)."""
        return CreationTool.IMPORT if self.kind == self.Kind.SINGLE else CreationTool.MULTI_IMPORT

    @property
    def offers_marketing(self) -> bool:
        """R4: only single-file, single-object imports offer "Set all contacts as marketing contacts"."""
        return self.kind == self.Kind.SINGLE

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.bytes_total:
            return 0
        return min(99, 100 * (self.bytes_done + self.checkpoint_offset) // self.bytes_total)


class ImportFile(models.Model):
    """One uploaded file of an import, in the order the import reads them (companies before contacts).

    `headers` and `sample` (the first rows) are read at upload for the mapping step; `mapping` holds
    one target per column: "contact.<field>", "company.<field>" or "" (don't import). An XLSX file is
    converted to CSV by the job (`csv_name`), so that every file is read the same way, by byte offset.
    """

    class ObjectType(models.TextChoices):
        CONTACTS = "contacts", "Contacts"
        COMPANIES = "companies", "Companies"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    import_job = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveSmallIntegerField()
    object_type = models.CharField(max_length=12, choices=ObjectType.choices)
    original_name = models.CharField(max_length=255)
    stored_name = models.CharField(max_length=255)  # in MEDIA_ROOT
    csv_name = models.CharField(max_length=255, blank=True)  # in MEDIA_ROOT; the file the job reads
    format = models.CharField(max_length=8, choices=Format.choices)
    size = models.PositiveBigIntegerField()
    delimiter = models.CharField(max_length=1, default=",")
    headers = models.JSONField(default=list)
    sample = models.JSONField(default=list)
    mapping = models.JSONField(default=list)
    rows_estimate = models.PositiveBigIntegerField(default=0)  # data rows, counted by line ends at upload

    class Meta:
        ordering = ["import_job", "position"]
        constraints = [models.UniqueConstraint(fields=["import_job", "position"], name="import_file_position_unique")]

    def __str__(self) -> str:
        return self.original_name


class ImportRowError(models.Model):
    """A row an import did not import, with its row number in its file (header = row 1), the reason,
    and the row's original values (for the downloadable error file)."""

    import_job = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="row_errors")
    file_position = models.PositiveSmallIntegerField()
    row_number = models.PositiveBigIntegerField()
    reason = models.TextField()
    values = models.JSONField(default=list)

    class Meta:
        ordering = ["import_job", "file_position", "row_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["import_job", "file_position", "row_number"], name="import_row_error_unique"
            )
        ]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.reason}"


class ImportSeenEmail(models.Model):
    """An email an import already imported from an earlier row of its files.

    A later row with the same email is a duplicate (reported, not imported). Written in each
    chunk's transaction, so it survives a kill exactly as far as the checkpoint does; deleted when
    the import is done.
    """

    pk = models.CompositePrimaryKey("import_job", "email")
    # No foreign-key constraint: a deferred check per row would cost more than the row; `import_clean`
    # deletes an import's rows when it finishes, and the sweeper those of any it missed.
    import_job = models.ForeignKey(
        Import, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    email = models.CharField(max_length=254)
    row_number = models.PositiveBigIntegerField()  # the row that imported it, named in the duplicate's reason

    def __str__(self) -> str:
        return self.email
