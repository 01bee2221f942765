"""The import pages: upload, map (with R4's marketing checkbox and B4's confirmation), progress, errors.

Thin views: each parses the request, checks the permission (`imports.add_import`; the marketing
checkbox also needs Marketing contact access, R30, which the service checks again), calls a
service or selector and renders. Everything shown comes from the import's row, so a reload, or
another tab, shows the same state.

An import (its page, its status, its error files: rejected rows with their values) is visible to
the user who started it and to staff, as jobs are; to anyone else it does not exist (404, so that
import numbers tell nothing). A draft is its uploader's alone.
"""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from crm.refusals import permission_required, refused
from imports.fields import CONTACT, TARGETS
from imports.forms import UploadForm
from imports.models import Import
from imports.reader import MAX_LINE_BYTES
from imports.selectors import import_error_rows, import_errors_shown, import_get, imports_recent
from imports.services import (
    IMPORT_PERMISSION,
    ImportInvalid,
    allowed_targets,
    import_discard,
    import_start,
    import_upload,
)
from marketing_status.actors import MARKETING_ACCESS_PERMISSION, Actor, MarketingStatusPermissionDenied
from marketing_status.services import TierGuardRefused

NO_ACCESS = "You need the Marketing contact access permission to set contacts as marketing contacts."
LIMITS = f"Rows longer than {MAX_LINE_BYTES // 1024} KiB are reported as errors and not imported."


def _import_or_404(request, pk: int) -> Import:
    """The import if the user may see it (its starter, or staff); to anyone else it does not exist (404)."""
    try:
        return import_get(pk=pk, user=request.user)
    except Import.DoesNotExist:
        raise Http404("No such import.") from None


def _refused(request, message: str) -> HttpResponse:
    """R30: the refusal page, naming Marketing contact access, with a way back to the imports."""
    return refused(
        request,
        message,
        permission=MARKETING_ACCESS_PERMISSION,
        section="contacts",
        back_url=reverse("imports:index"),
        back_label="Imports",
    )


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT") if moment else ""


@login_required
@permission_required(IMPORT_PERMISSION)
def import_list(request):
    context = {"title": "Imports", "section": "contacts", "imports": imports_recent(user=request.user)}
    return render(request, "imports/index.html", context)


UPLOAD_FIELDS = {"contacts": "contacts_file", "companies": "companies_file"}  # ImportInvalid's keys


@login_required
@permission_required(IMPORT_PERMISSION)
def import_new(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            imp = import_upload(
                files=form.files_by_object(), kind=form.cleaned_data["kind"], actor=Actor.for_user(request.user)
            )
        except ImportInvalid as invalid:
            for key, problems in invalid.errors.items():
                for problem in problems:
                    form.add_error(UPLOAD_FIELDS.get(key), problem)  # under its file's field, else the form's
        else:
            return redirect("imports:map", pk=imp.pk)
    context = {"title": "Import", "section": "contacts", "form": form, "limits": LIMITS}
    return render(request, "imports/new.html", context, status=400 if form.errors else 200)


# --- Mapping ----------------------------------------------------------------------------------------


def _posted_mapping(request, imp: Import) -> dict[str, list[str]]:
    return {
        file.object_type: [request.POST.get(f"map-{file.position}-{column}", "") for column in range(len(file.headers))]
        for file in imp.files.all()
    }


def _mapping_tables(imp: Import, mapping: dict[str, list[str]], errors: dict[str, list[str]]) -> list[dict]:
    """Per file: its columns with their samples, the chosen target and the choices, grouped by object."""
    tables = []
    for file in imp.files.all():
        targets = allowed_targets(imp.kind, file.object_type)
        groups = [
            (label, [target for target in targets if target.object == obj])
            for obj, label in ((CONTACT, "Contact properties"), ("company", "Company properties"))
        ]
        chosen = mapping.get(file.object_type, file.mapping)
        columns = [
            {
                "index": index,
                "header": header or f"(column {index + 1})",
                "samples": [row[index] for row in file.sample if index < len(row) and row[index].strip()][:3],
                "chosen": chosen[index] if index < len(chosen) else "",
                "field_name": f"map-{file.position}-{index}",
            }
            for index, header in enumerate(file.headers)
        ]
        groups = [(label, group) for label, group in groups if group]
        tables.append({"file": file, "columns": columns, "groups": groups, "errors": errors.get(file.object_type, [])})
    return tables


@login_required
@permission_required(IMPORT_PERMISSION)
def import_map(request, pk: int):
    imp = _import_or_404(request, pk)
    if imp.state != Import.State.DRAFT:
        return redirect("imports:detail", pk=imp.pk)
    if imp.created_by_id != request.user.pk:
        raise Http404("No such import.")  # a draft is its uploader's own
    may_set_marketing = Actor.for_user(request.user).may_change_status()
    mapping = {file.object_type: file.mapping for file in imp.files.all()}
    marketing = False
    errors: dict[str, list[str]] = {}
    tier_refusal = None
    if request.method == "POST":
        mapping = _posted_mapping(request, imp)
        marketing = request.POST.get("marketing") == "1"
        try:
            import_start(
                import_id=imp.pk,
                actor=Actor.for_user(request.user),
                mapping=mapping,
                marketing=marketing,
                confirm_tier_upgrade=request.POST.get("confirm_tier_upgrade") == "1",
            )
        except MarketingStatusPermissionDenied as refusal:
            return _refused(request, str(refusal))  # R30: nothing was started
        except ImportInvalid as invalid:
            errors = invalid.errors
        except TierGuardRefused as refusal:
            tier_refusal = refusal  # B4: the confirm step
        else:
            messages.success(request, "Import started.")
            return redirect("imports:detail", pk=imp.pk)
    context = {
        "title": f"Map the columns of import #{imp.pk}",
        "section": "contacts",
        "imp": imp,
        "tables": _mapping_tables(imp, mapping, errors),
        "import_errors": errors.get("", []),
        "marketing": marketing,
        "may_set_marketing": may_set_marketing,
        "no_access_message": NO_ACCESS,
        "tier_refusal": tier_refusal,
        "limits": LIMITS,
        "target_labels": {key: target.label for key, target in TARGETS.items()},
    }
    status = 400 if errors else 409 if tier_refusal else 200
    return render(request, "imports/map.html", context, status=status)


@login_required
@permission_required(IMPORT_PERMISSION)
@require_POST
def import_cancel(request, pk: int):
    imp = _import_or_404(request, pk)
    if imp.state != Import.State.DRAFT or imp.created_by_id != request.user.pk:
        raise Http404("No such draft import.")
    import_discard(imp)
    messages.info(request, "The import was cancelled; its files were deleted.")
    return redirect("imports:index")


# --- Progress and errors --------------------------------------------------------------------------------


def import_payload(imp: Import) -> dict:
    """What the import page polls: state, progress and counts."""
    return {
        "id": imp.pk,
        "state": imp.state,
        "state_label": imp.get_state_display(),
        "finished": imp.finished,
        "percent": imp.percent,
        "rows": imp.rows,
        "created": imp.created,
        "updated": imp.updated,
        "errors": imp.errors,
        "held": imp.held,
        "companies_created": imp.companies_created,
        "companies_updated": imp.companies_updated,
        "associations": imp.associations,
        "error": imp.error,
        "started_at": _when(imp.started_at),
        "finished_at": _when(imp.finished_at),
    }


@login_required
@permission_required(IMPORT_PERMISSION)
def import_detail(request, pk: int):
    imp = _import_or_404(request, pk)
    if imp.state == Import.State.DRAFT:
        return redirect("imports:map", pk=imp.pk)
    context = {
        "title": f"Import #{imp.pk}",
        "section": "contacts",
        "imp": imp,
        "errors_shown": import_errors_shown(imp=imp),
        "limits": LIMITS,
    }
    return render(request, "imports/detail.html", context)


@login_required
@permission_required(IMPORT_PERMISSION)
def import_status(request, pk: int):
    imp = _import_or_404(request, pk)
    return JsonResponse(import_payload(imp), headers={"Cache-Control": "no-store"})


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@permission_required(IMPORT_PERMISSION)
def import_errors_csv(request, pk: int, position: int):
    """The error file of one of the import's files: Row, Reason, then the row's original values."""
    imp = _import_or_404(request, pk)
    if not any(file.position == position for file in imp.files.all()):
        raise Http404("No such file in this import.")
    writer = csv.writer(_Echo())
    lines = (writer.writerow(row) for row in import_error_rows(imp=imp, position=position))
    response = StreamingHttpResponse(_with_bom(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{imp.pk}-file-{position + 1}-errors.csv"'
    return response


def _with_bom(lines):
    yield "\ufeff"  # so that spreadsheet programs read the file as UTF-8
    yield from lines
