"""Imports of contacts and their companies: upload, map, start, run as a resumable job (R4, R9, R10, R12, R30, B4).

- `import_upload` stores the files of a new import (a draft) and reads their headers, so that the
  columns can be mapped; `import_start` checks the mapping and the marketing checkbox (R4, R30, B4)
  and queues the job; `import_create` does both at once.
- `import_run` runs (or resumes) the job: each chunk of `CRM_IMPORT_CHUNK_ROWS` rows is read from
  the file at the checkpoint, checked (`imports.fields`), written set-based (`imports.writers`)
  and committed together with the new checkpoint and counts, with the import's row locked. A rerun
  after a kill, or a second worker woken by a duplicate message, resumes after the last committed
  chunk: no row is imported twice.
- `imports_resume_stalled` (beat, every minute) re-enqueues imports whose heartbeat stopped and
  removes what finished or abandoned imports leave behind.

R4: a single-file, single-object import offers "Set all contacts as marketing contacts". Checked,
the contacts it creates are marketing (`CONTACT_IMPORT`, reason id = the import's id) and the
existing contacts it updates are set as marketing (R10; pending ones stay marketing, R12).
Multi-object and multi-file imports always create non-marketing contacts (`MULTI_IMPORT`, R9).
Unchecked, every import leaves existing contacts' status alone.
"""

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from billing.selectors import marketing_contacts_enabled, subscription_get
from billing.services import subscription_check_tier
from contacts.services import ContactConflict
from crm.tasks import task_send, task_send_on_commit
from imports.chunks import Chunk, ChunkSource, ChunkUnreadable
from imports.fields import COMPANY_TARGETS, CONTACT_FIELDS, CONTACT_TARGETS, TARGETS, guess_mapping
from imports.models import Import, ImportFile, ImportRowError, ImportSeenEmail
from imports.reader import FileUnreadable, csv_preview, line_count, sniff_delimiter, xlsx_preview, xlsx_to_csv
from imports.writers import ChunkContext, ChunkResult, companies_chunk_write, contacts_chunk_write
from marketing_status.actors import Actor, ActorKind, MarketingStatusPermissionDenied
from marketing_status.policy import ReasonType
from marketing_status.selectors import new_contacts_billing_impact
from marketing_status.services import tier_guard_apply

logger = logging.getLogger(__name__)

IMPORT_PERMISSION = "imports.add_import"
IMPORT_RUN_TASK = "imports.tasks.import_run_task"
STALLED_AFTER = timedelta(minutes=5)
DRAFTS_KEPT = timedelta(days=1)
CHUNK_ATTEMPTS = 3  # a chunk that loses a race for an email (or a company domain) is read again
CONTACTS, COMPANIES = ImportFile.ObjectType.CONTACTS, ImportFile.ObjectType.COMPANIES
FILES_OF_KIND = {
    Import.Kind.SINGLE: (CONTACTS,),
    Import.Kind.MULTI_OBJECT: (CONTACTS,),
    Import.Kind.MULTI_FILE: (COMPANIES, CONTACTS),  # the order they are read in: companies first
}
COMPANY_NAME, COMPANY_DOMAIN = "company.name", "company.domain"
# The columns of an import, all its files together. HubSpot takes files of fewer than 1,000 columns; here the
# mapping step posts one field per column in one request, which Django refuses past
# DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) with a bare 400. 990 leaves room for the form's other fields
# (the CSRF token, the marketing checkbox, the tier confirmation: 3 today).
MAX_COLUMNS = 990


class ImportInvalid(Exception):
    """The files or the mapping cannot be imported; `errors` says why, per file ("contacts", "companies")
    or for the whole import (""). Nothing was stored or started."""

    def __init__(self, errors: Mapping[str, Sequence[str]] | str):
        self.errors = {"": [errors]} if isinstance(errors, str) else {key: list(value) for key, value in errors.items()}
        super().__init__("; ".join(message for messages in self.errors.values() for message in messages))


def _ensure_may_import(actor: Actor) -> None:
    if actor.kind != ActorKind.USER or actor.user is None or not actor.user.has_perm(IMPORT_PERMISSION):
        raise MarketingStatusPermissionDenied("You need permission to import contacts.")


def _storage() -> FileSystemStorage:
    return FileSystemStorage(location=settings.MEDIA_ROOT)


def allowed_targets(kind: str, object_type: str) -> tuple:
    """What the columns of a file may be mapped to, in the order a header is guessed."""
    if object_type == COMPANIES:
        return COMPANY_TARGETS
    if kind == Import.Kind.SINGLE:
        return CONTACT_TARGETS
    return COMPANY_TARGETS + CONTACT_TARGETS  # a company column is the company's, not the contact's text


# --- Upload ---------------------------------------------------------------------------------------


def _file_format(name: str, start: bytes) -> str:
    if start.startswith(b"PK\x03\x04"):
        return ImportFile.Format.XLSX
    if Path(name).suffix.lower() in (".xlsx", ".xlsm", ".xls", ".zip", ".ods", ".numbers"):
        raise ImportInvalid(f"{name}: only CSV and XLSX files can be imported.")
    return ImportFile.Format.CSV


def _store(upload: File, directory: str) -> tuple[str, str, int]:
    """Save an upload under MEDIA_ROOT; (stored name, format, size)."""
    name = Path(upload.name or "import.csv").name
    if upload.size is not None and upload.size > settings.CRM_IMPORT_MAX_BYTES:
        raise ImportInvalid(f"{name} is larger than {filesizeformat(settings.CRM_IMPORT_MAX_BYTES)}, the limit.")
    upload.seek(0)
    file_format = _file_format(name, upload.read(4))
    upload.seek(0)
    # Stored under a name of ours: the uploader's name is only shown, never used as a path.
    stored = _storage().save(f"imports/{directory}/{uuid.uuid4().hex}.{file_format}", upload)
    size = _storage().size(stored)
    if not size:
        _storage().delete(stored)
        raise ImportInvalid(f"{name} is empty.")
    return stored, file_format, size


def _file_create(imp: Import, position: int, object_type: str, upload: File, directory: str) -> ImportFile:
    try:
        stored, file_format, size = _store(upload, directory)
    except ImportInvalid as invalid:
        raise ImportInvalid({object_type: invalid.errors[""]}) from None  # said of this file
    path = _storage().path(stored)
    name = Path(upload.name or "import.csv").name
    try:
        if file_format == ImportFile.Format.XLSX:
            delimiter = ","
            headers, sample, estimate = xlsx_preview(path)
        else:
            delimiter = sniff_delimiter(path)
            headers, sample = csv_preview(path, delimiter=delimiter)
            estimate = line_count(path)
    except FileUnreadable as error:
        raise ImportInvalid({object_type: [f"{name}: {error}"]}) from error
    if not any(headers):
        raise ImportInvalid({object_type: [f"{name}: the first row must name the columns."]})
    mapping = guess_mapping(
        headers, allowed=allowed_targets(imp.kind, object_type), companies_file=object_type == COMPANIES
    )
    return ImportFile.objects.create(
        import_job=imp,
        position=position,
        object_type=object_type,
        original_name=name[:255],
        stored_name=stored,
        csv_name=stored if file_format == ImportFile.Format.CSV else "",
        format=file_format,
        size=size,
        delimiter=delimiter,
        headers=headers,
        sample=sample,
        mapping=mapping,
        rows_estimate=estimate,
    )


def import_upload(*, files: Mapping[str, File], kind: str, actor: Actor) -> Import:
    """Store the files of a new import and read their headers: a draft, to be mapped and started.

    `files` maps "contacts" (and, for a multi-file import, "companies") to an uploaded file. Each
    column's target is guessed from its header. Raises `ImportInvalid` (nothing kept) for a missing,
    empty, oversized or unreadable file.
    """
    _ensure_may_import(actor)
    try:
        kind = Import.Kind(kind)
    except ValueError:
        raise ImportInvalid("Choose what the import holds: contacts, contacts with companies, or two files.") from None
    needed = FILES_OF_KIND[kind]
    missing = [object_type for object_type in needed if not files.get(object_type)]
    if missing:
        raise ImportInvalid({object_type: [f"Choose the file of {object_type}."] for object_type in missing})
    directory = uuid.uuid4().hex
    try:
        with transaction.atomic():
            imp = Import.objects.create(kind=kind, created_by=actor.user, state=Import.State.DRAFT)
            created = [
                _file_create(imp, position, object_type, files[object_type], directory)
                for position, object_type in enumerate(needed)
            ]
            _ensure_columns_within_limit(created)
    except BaseException:
        _files_delete_directory(directory)
        raise
    return imp


def _ensure_columns_within_limit(files: list[ImportFile]) -> None:
    """At most `MAX_COLUMNS` columns in all, so that the mapping step can post them; said of the contacts file."""
    total = sum(len(file.headers) for file in files)
    if total <= MAX_COLUMNS:
        return
    names = " and ".join(file.original_name for file in files)
    has = f"{names} has {total:,} columns" if len(files) == 1 else f"{names} have {total:,} columns together"
    raise ImportInvalid({CONTACTS: [f"{has}; an import takes at most {MAX_COLUMNS:,}."]})


def _files_delete_directory(directory: str) -> None:
    storage = _storage()
    folder = f"imports/{directory}"
    if storage.exists(folder):
        for name in storage.listdir(folder)[1]:
            storage.delete(f"{folder}/{name}")
        Path(storage.path(folder)).rmdir()


# --- Mapping and start ------------------------------------------------------------------------------


def _mapping_errors(imp: Import, files: list[ImportFile], mappings: dict[str, list[str]]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for file in files:
        problems = errors.setdefault(file.object_type, [])
        mapping = mappings[file.object_type]
        allowed = {target.key for target in allowed_targets(imp.kind, file.object_type)}
        if len(mapping) != len(file.headers):
            problems.append(f"Map each of the {len(file.headers)} columns (or choose “Don't import”).")
            continue
        for key in mapping:
            if key and key not in allowed:
                problems.append(f"{key!r} cannot be imported from this file.")
        mapped = [key for key in mapping if key]
        for key in sorted({key for key in mapped if mapped.count(key) > 1}):
            problems.append(f"{TARGETS[key].label} is mapped to more than one column.")
        if file.object_type == CONTACTS and "contact.email" not in mapped:
            problems.append("Map a column to Email: contacts are matched by their email.")
        if file.object_type == COMPANIES and not {COMPANY_NAME, COMPANY_DOMAIN} & set(mapped):
            problems.append("Map a column to Company name or Company Domain Name.")
        if imp.kind == Import.Kind.MULTI_OBJECT and not {COMPANY_NAME, COMPANY_DOMAIN} & set(mapped):
            problems.append("Map at least one column to a company property (Company name or Company Domain Name).")
    if imp.kind == Import.Kind.MULTI_FILE and not any(errors.values()):
        _join_errors(mappings, errors)
    return {key: value for key, value in errors.items() if value}


def _join_errors(mappings: dict[str, list[str]], errors: dict[str, list[str]]) -> None:
    """Multi-file: the files are joined by a common column, the company domain (or else the company name)."""
    contacts, companies = set(mappings[CONTACTS]), set(mappings[COMPANIES])
    if not ({COMPANY_DOMAIN, COMPANY_NAME} & contacts & companies):
        errors[""] = [
            "Map the common column in both files: Company Domain Name (or Company name) joins each contact to its "
            "company."
        ]


def _ensure_tier_guard(imp: Import, files: list[ImportFile], confirm_tier_upgrade: bool) -> None:
    """B4: a marketing import that could cross the tier must be confirmed; every row counts, to be safe."""
    if not marketing_contacts_enabled():
        return
    tier_guard_apply(
        subscription=subscription_get(),
        confirmed=confirm_tier_upgrade,
        attended=True,  # the person starting the import is asked
        impact=lambda: new_contacts_billing_impact(count=sum(file.rows_estimate for file in files)),
    )


def import_start(
    *,
    import_id: int,
    actor: Actor,
    mapping: Mapping[str, Sequence[str]] | None = None,
    marketing: bool = False,
    confirm_tier_upgrade: bool = False,
) -> Import:
    """Check a draft's mapping and marketing checkbox, then queue it (R4, R30, B4).

    `mapping` gives, per file ("contacts", "companies"), one target per column ("contact.email",
    "company.domain", "" for don't import); a file left out keeps its guessed mapping. `marketing`
    is R4's "Set all contacts as marketing contacts": only single-file, single-object imports offer
    it, and it needs Marketing contact access (R30). With the tier guard on, an import that could
    cross the tier raises `TierGuardRefused` unless `confirm_tier_upgrade` (B4). Refusals raise
    before anything changes; the job is enqueued after commit.
    """
    _ensure_may_import(actor)
    with transaction.atomic():
        imp = Import.objects.select_for_update().filter(pk=import_id, created_by=actor.user).first()
        if imp is None or imp.state != Import.State.DRAFT:
            raise ImportInvalid("This import has already been started, or does not exist.")
        files = list(imp.files.all())
        mappings = {file.object_type: list((mapping or {}).get(file.object_type) or file.mapping) for file in files}
        errors = _mapping_errors(imp, files, mappings)
        if errors:
            raise ImportInvalid(errors)
        if marketing:
            if not imp.offers_marketing:
                raise ImportInvalid("Imports of several objects or files always create non-marketing contacts.")
            actor.ensure_may_change_status()  # R30
            _ensure_tier_guard(imp, files, confirm_tier_upgrade)
        for file in files:
            file.mapping = mappings[file.object_type]
            file.save(update_fields=["mapping"])
        now = timezone.now()
        imp.marketing, imp.confirm_tier_upgrade = marketing, bool(marketing and confirm_tier_upgrade)
        imp.state, imp.heartbeat_at = Import.State.QUEUED, now
        imp.bytes_total = sum(file.size for file in files if file.format == ImportFile.Format.CSV)
        imp.save(update_fields=["marketing", "confirm_tier_upgrade", "state", "heartbeat_at", "bytes_total"])
        task_send_on_commit(IMPORT_RUN_TASK, imp.pk)
    return imp


def import_create(
    *,
    files: Mapping[str, File],
    kind: str,
    actor: Actor,
    mapping: Mapping[str, Sequence[str]] | None = None,
    marketing: bool = False,
    confirm_tier_upgrade: bool = False,
) -> Import:
    """Upload and start an import in one call (see `import_upload`, `import_start`); a refusal keeps nothing."""
    imp = import_upload(files=files, kind=kind, actor=actor)
    try:
        return import_start(
            import_id=imp.pk,
            actor=actor,
            mapping=mapping,
            marketing=marketing,
            confirm_tier_upgrade=confirm_tier_upgrade,
        )
    except BaseException:
        import_discard(imp)
        raise


def import_discard(imp: Import) -> None:
    """Delete a draft import and its stored files."""
    files = list(imp.files.all())
    Import.objects.filter(pk=imp.pk, state=Import.State.DRAFT).delete()
    _files_delete(files)


def _files_delete(files: list[ImportFile]) -> None:
    storage = _storage()
    folders = set()
    for file in files:
        for name in {file.stored_name, file.csv_name} - {""}:
            storage.delete(name)
            folders.add(str(Path(name).parent))
    for folder in folders:
        path = Path(storage.path(folder))
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()


# --- Run --------------------------------------------------------------------------------------------


class ImportFailed(Exception):
    """The import cannot go on; the message is shown on its page."""


def import_actor(imp: Import) -> Actor:
    """Who the import's history rows name: the import (its id) acting for the user who started it."""
    return Actor(ActorKind.IMPORT, str(imp.pk), user=imp.created_by)


class _Runner:
    """Runs one import's chunks in this process; its `ChunkSource` keeps the file open between chunks."""

    def __init__(self, import_id: int, chunk_rows: int, on_chunk: Callable[[Import], None] | None):
        self.import_id, self.chunk_rows, self.on_chunk = import_id, chunk_rows, on_chunk
        self.imp = Import.objects.select_related("created_by").get(pk=import_id)
        self.files = list(self.imp.files.all())
        self.source: ChunkSource | None = None

    def close(self) -> None:
        if self.source is not None:
            self.source.close()

    def prepare(self) -> None:
        """R30 again (the permission may have been removed since the start), then XLSX files to CSV."""
        if self.imp.marketing:
            if self.imp.created_by is None:
                raise ImportFailed("The user who started this import was deleted.")
            try:
                Actor.for_user(self.imp.created_by).ensure_may_change_status()
            except MarketingStatusPermissionDenied:
                raise ImportFailed(
                    "The user who started this import no longer has Marketing contact access, which setting all "
                    "contacts as marketing contacts needs."
                ) from None
        for file in self.files:
            if file.format == ImportFile.Format.XLSX and not (file.csv_name and _storage().exists(file.csv_name)):
                self._convert(file)
        total = sum(_storage().size(file.csv_name) for file in self.files)
        Import.objects.filter(pk=self.import_id).update(bytes_total=total, heartbeat_at=timezone.now())
        paths = [_storage().path(file.csv_name) for file in self.files]
        self.source = ChunkSource(files=self.files, paths=paths, chunk_rows=self.chunk_rows)

    def _convert(self, file: ImportFile) -> None:
        target = f"{file.stored_name}.csv"

        def beat(_rows: int) -> None:
            Import.objects.filter(pk=self.import_id).update(heartbeat_at=timezone.now())

        try:
            xlsx_to_csv(_storage().path(file.stored_name), _storage().path(target), on_rows=beat)
        except OSError as error:
            raise ImportFailed(f"{file.original_name} can no longer be read ({error.strerror}).") from error
        ImportFile.objects.filter(pk=file.pk).update(csv_name=target)
        file.csv_name = target

    def run(self) -> None:
        while self._chunk_with_retries():
            if self.on_chunk is not None:
                self.on_chunk(Import.objects.get(pk=self.import_id))

    def _chunk_with_retries(self) -> bool:
        for attempt in range(1, CHUNK_ATTEMPTS + 1):
            try:
                with transaction.atomic():
                    _commit_without_waiting_for_disk()
                    return self._chunk()
            except (IntegrityError, ContactConflict):  # a contact (or company) created meanwhile took a key
                self.source.reset()  # read the chunk again from the checkpoint
                if attempt == CHUNK_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def _chunk(self) -> bool:
        """One chunk and its checkpoint, in the caller's transaction; False once the import is finished."""
        imp = Import.objects.select_for_update().get(pk=self.import_id)
        if imp.state != Import.State.RUNNING:
            return False
        now = timezone.now()
        if imp.checkpoint_file >= len(self.files):
            Import.objects.filter(pk=imp.pk).update(state=Import.State.DONE, finished_at=now, heartbeat_at=now)
            return False
        file = self.files[imp.checkpoint_file]
        chunk = self.source.get(imp.checkpoint_file, imp.checkpoint_offset, imp.checkpoint_row)
        result = self._write(imp, file, chunk.parsed, now)
        self._errors_record(imp, file, chunk, result)
        finished = chunk.finished_file
        Import.objects.filter(pk=imp.pk).update(
            rows=F("rows") + len(chunk.parsed) + len(chunk.problems),
            created=F("created") + result.created,
            updated=F("updated") + result.updated,
            errors=F("errors") + len(chunk.problems) + len(result.duplicates),
            held=F("held") + result.held,
            companies_created=F("companies_created") + result.companies_created,
            companies_updated=F("companies_updated") + result.companies_updated,
            associations=F("associations") + result.associations,
            checkpoint_file=imp.checkpoint_file + 1 if finished else imp.checkpoint_file,
            checkpoint_offset=0 if finished else chunk.end_offset,
            checkpoint_row=0 if finished else chunk.end_row,
            bytes_done=F("bytes_done") + (_storage().size(file.csv_name) if finished else 0),
            heartbeat_at=now,
        )
        return True

    def _write(self, imp: Import, file: ImportFile, parsed, now: datetime) -> ChunkResult:
        mapped = {TARGETS[key].field for key in file.mapping if key.startswith("contact.") and key != "contact.email"}
        ctx = ChunkContext(
            import_id=imp.pk,
            tool=imp.creation_tool,
            actor=import_actor(self.imp),
            marketing=imp.marketing,
            confirm_tier_upgrade=imp.confirm_tier_upgrade,
            # a marketing chunk locks the subscription before its contacts (the lock order); B4 counts under it
            subscription=subscription_get(lock=imp.marketing),
            mapped_fields=tuple(name for name in CONTACT_FIELDS if name in mapped),
        )
        writer = contacts_chunk_write if file.object_type == CONTACTS else companies_chunk_write
        return writer(ctx=ctx, rows=parsed, now=now)

    @staticmethod
    def _errors_record(imp: Import, file: ImportFile, chunk: Chunk, result: ChunkResult) -> None:
        if not chunk.problems and not result.duplicates:
            return
        cells = {row.row_number: row.cells for row in chunk.raw} if result.duplicates else {}
        errors = [(problem.row_number, problem.reason, problem.cells) for problem in chunk.problems]
        errors += [(row.row_number, reason, cells[row.row_number]) for row, reason in result.duplicates]
        ImportRowError.objects.bulk_create(
            [
                ImportRowError(
                    import_job_id=imp.pk, file_position=file.position, row_number=number, reason=reason, values=values
                )
                for number, reason, values in sorted(errors)
            ]
        )


def _commit_without_waiting_for_disk() -> None:
    """This chunk's COMMIT returns before its WAL reaches the disk.

    Safe here because the chunk carries its own checkpoint: a server crash can lose only the last
    chunks' commits, all of a chunk or none of it, rows and checkpoint together, and the rerun
    imports them again. It never loses a chunk while keeping its checkpoint, nor the reverse.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _fail(import_id: int, message: str) -> None:
    now = timezone.now()
    Import.objects.filter(pk=import_id, state__in=[Import.State.QUEUED, Import.State.RUNNING]).update(
        state=Import.State.FAILED, error=message, finished_at=now, heartbeat_at=now
    )


def import_run(
    *, import_id: int, chunk_rows: int | None = None, on_chunk: Callable[[Import], None] | None = None
) -> Import:
    """Run (or resume) an import to its end; returns it. Safe to call twice at once: chunks serialise on its row.

    Transient database errors propagate (the task retries them; the checkpoint holds). A file that
    cannot be read, or a creator who lost the permission the import needs, fails the import with
    the reason on its page. `on_chunk` is called after each committed chunk.
    """
    now = timezone.now()
    claimed = Import.objects.filter(pk=import_id, state__in=[Import.State.QUEUED, Import.State.RUNNING]).update(
        state=Import.State.RUNNING, heartbeat_at=now
    )
    if not claimed:
        return Import.objects.get(pk=import_id)
    Import.objects.filter(pk=import_id, started_at__isnull=True).update(started_at=now)
    runner = _Runner(import_id, chunk_rows or settings.CRM_IMPORT_CHUNK_ROWS, on_chunk)
    try:
        runner.prepare()
        runner.run()
    except (ImportFailed, ChunkUnreadable, FileUnreadable) as error:
        _fail(import_id, str(error))
    except (OperationalError, InterfaceError):
        raise
    except Exception as error:
        logger.exception("import %s failed", import_id)
        _fail(import_id, f"The import stopped on an unexpected error ({type(error).__name__}: {error}).")
        raise
    finally:
        runner.close()
    imp = Import.objects.get(pk=import_id)
    if imp.finished:
        _import_finish(imp)
        imp.refresh_from_db()
    return imp


def _import_finish(imp: Import) -> None:
    """After the end: check the tier once (R24, as bulk switches do), then remove the files and seen emails."""
    if imp.state == Import.State.DONE and imp.marketing:
        subscription_check_tier(cause_type=ReasonType.CONTACT_IMPORT, cause_id=str(imp.pk))
    import_clean(imp)


def import_clean(imp: Import) -> None:
    """Remove a finished import's stored files, preview rows and seen emails (its counts and error rows stay)."""
    ImportSeenEmail.objects.filter(import_job_id=imp.pk).delete()
    _files_delete(list(imp.files.all()))
    ImportFile.objects.filter(import_job=imp).update(sample=[])  # the preview rows were for the mapping step
    Import.objects.filter(pk=imp.pk, cleaned_at__isnull=True).update(cleaned_at=timezone.now())


def imports_resume_stalled(*, now: datetime | None = None) -> list[int]:
    """Re-enqueue imports whose wake-up was lost (queued or running, no heartbeat for `STALLED_AFTER`).

    Their heartbeat is moved to now, so a busy worker gets one more message per period, not one per
    minute. Also cleans finished imports left uncleaned and drafts older than `DRAFTS_KEPT`.
    """
    now = now or timezone.now()
    with transaction.atomic():
        stalled = list(
            Import.objects.select_for_update(skip_locked=True)
            .filter(state__in=[Import.State.QUEUED, Import.State.RUNNING], heartbeat_at__lt=now - STALLED_AFTER)
            .values_list("pk", flat=True)
        )
        Import.objects.filter(pk__in=stalled).update(heartbeat_at=now)
    for import_id in stalled:
        logger.warning("re-enqueueing stalled import %s", import_id)
        task_send(IMPORT_RUN_TASK, import_id)
    for imp in Import.objects.filter(state__in=[Import.State.DONE, Import.State.FAILED], cleaned_at__isnull=True):
        import_clean(imp)
    for imp in Import.objects.filter(state=Import.State.DRAFT, created_at__lt=now - DRAFTS_KEPT):
        import_discard(imp)
    return stalled
