"""Static lists: the lists with their sizes, a list's contacts, creating lists, removing contacts, and
"Add to list" from the index selection (picked ids or every contact matching the view).

Adding a selection runs at once up to `jobs.services.INLINE_LIMIT` contacts and as a job above it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from contacts.models import Contact, ContactList
from contacts.selection import InvalidSelection, Selection
from contacts.services import ContactListInvalid, contact_list_create, contact_list_remove
from crm.refusals import permission_required
from jobs.models import Job
from jobs.services import bulk_change_start
from marketing_status.actors import Actor, MarketingStatusPermissionDenied
from screens.contacts.forms import AddToListForm, ContactListForm

LISTS_PER_PAGE = 50
CONTACTS_PER_PAGE = 50
EDIT_PERMISSION = "contacts.change_contact"


def _lists_with_sizes():
    """Each list with the number of its contacts that are not deleted (as the index's ?list= filter counts)."""
    live = Q(memberships__contact__archived_at__isnull=True)
    return ContactList.objects.annotate(size=Count("memberships", filter=live)).order_by("name")


@login_required
def lists(request):
    """The lists with their sizes; POST creates a list (needs `contacts.change_contact`)."""
    form = ContactListForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not request.user.has_perm(EDIT_PERMISSION):
            messages.error(request, "You need permission to edit contacts to create lists.")
            status = 403
        elif form.is_valid():
            try:
                contact_list = contact_list_create(name=form.cleaned_data["name"], actor=Actor.for_user(request.user))
            except ContactListInvalid as invalid:
                form.add_error("name", str(invalid))
            else:
                messages.success(request, f"List {contact_list.name} created.")
                return redirect("contacts:list_detail", pk=contact_list.pk)
    page = Paginator(_lists_with_sizes(), LISTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "title": "Lists",
        "section": "contacts",
        "page": page,
        "form": form,
        "may_edit": request.user.has_perm(EDIT_PERMISSION),
    }
    return render(request, "contacts/lists.html", context, status=status)


@login_required
def list_detail(request, pk: int):
    contact_list = get_object_or_404(_lists_with_sizes(), pk=pk)
    contacts = Contact.objects.filter(list_memberships__contact_list=contact_list, archived_at__isnull=True)
    page = Paginator(contacts.order_by("pk"), CONTACTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "title": contact_list.name,
        "section": "contacts",
        "contact_list": contact_list,
        "page": page,
        "index_url": f"{reverse('contacts:index')}?list={contact_list.pk}",
        "may_edit": request.user.has_perm(EDIT_PERMISSION),
    }
    return render(request, "contacts/lists_detail.html", context)


@login_required
@permission_required(EDIT_PERMISSION)
@require_POST
def list_remove(request, pk: int):
    contact_list = get_object_or_404(ContactList, pk=pk)
    ids = request.POST.getlist("ids")
    if not ids or not all(value.isdigit() for value in ids):
        messages.error(request, "Select the contacts to remove from the list.")
        return redirect("contacts:list_detail", pk=pk)
    removed = contact_list_remove(
        contact_list=contact_list, contacts=[int(value) for value in ids], actor=Actor.for_user(request.user)
    )
    messages.success(request, f"Removed {removed:,} contact{'s' if removed != 1 else ''} from {contact_list.name}.")
    return redirect("contacts:list_detail", pk=pk)


def _back_to_index(request):
    """Back where the selection came from (the index with its filters), else the index."""
    referer = request.headers.get("referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure()):
        return redirect(referer)
    return redirect("contacts:index")


def _job_url(job: Job) -> str:
    try:
        return reverse("jobs:detail", args=[job.pk])
    except NoReverseMatch:
        return f"/jobs/{job.pk}/"


def _target_list(request, form: AddToListForm) -> ContactList:
    if form.cleaned_data["add_to_list"]:
        return form.cleaned_data["add_to_list"]
    return contact_list_create(name=form.cleaned_data["new_list_name"], actor=Actor.for_user(request.user))


@login_required
@permission_required(EDIT_PERMISSION)
@require_POST
def list_add(request):
    """Add the index's selection (`ids`, or `select_all=1` with `query`) to a list, or to a new one."""
    form = AddToListForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("__all__", [])) or "Choose a list.")
        return _back_to_index(request)
    try:
        selection = Selection.from_post(request.POST)
        contact_list = _target_list(request, form)
        outcome = bulk_change_start(
            kind=Job.Kind.ADD_TO_LIST, selection=selection, user=request.user, params={"list_id": contact_list.pk}
        )
    except (InvalidSelection, ContactListInvalid, MarketingStatusPermissionDenied) as refusal:
        messages.error(request, str(refusal))
        return _back_to_index(request)
    if outcome.job is not None:
        messages.info(request, f"Adding {outcome.total:,} contacts to {contact_list.name} in the background.")
        return redirect(_job_url(outcome.job))
    already = outcome.counts.unchanged
    messages.success(
        request,
        f"Added {outcome.counts.changed:,} contacts to {contact_list.name}"
        + (f" ({already:,} were already in it)." if already else "."),
    )
    return redirect("contacts:list_detail", pk=contact_list.pk)
