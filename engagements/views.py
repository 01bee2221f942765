"""Admin pages of the sales and service tools (R9): meetings links and their bookings, tickets, and
"Log email" on a contact record.

Every page needs sign-in and a permission on this app's models (`engagements.view_meetinglink`,
`add_meetinglink`, `change_meetinglink`, `view_booking`, `view_ticket`, `add_ticket`, `add_emaillog`);
creating a contact for a new ticket requester or email recipient also needs `contacts.add_contact`,
which the contact services check. A refusal is 403 and stores nothing; invalid input is shown on the
form with what was typed kept. Views parse, check and call `engagements.services` / `selectors`.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from contacts.models import Contact
from crm.addresses import public_base_url
from crm.decorators import requires
from engagements.forms import EmailLogForm, MeetingLinkForm, TicketForm
from engagements.models import MeetingLink, Ticket, TicketStage
from engagements.selectors import bookings_list, link_windows, meeting_links_list, tickets_list
from engagements.services import (
    EngagementInvalid,
    email_log,
    meeting_link_create,
    meeting_link_update,
    ticket_create,
)
from marketing_status.actors import Actor, MarketingStatusPermissionDenied

PER_PAGE = 50
WORKING_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
DEFAULT_LINK = {"duration_minutes": 30, "days_ahead": 14, **dict.fromkeys(WORKING_DAYS, "09:00-17:00")}


def _tabs(request, current: str) -> list[dict]:
    tabs = [
        ("meetings", "Meetings links", "engagements:index", "engagements.view_meetinglink"),
        ("bookings", "Bookings", "engagements:bookings", "engagements.view_booking"),
        ("tickets", "Tickets", "engagements:tickets", "engagements.view_ticket"),
    ]
    return [
        {"key": key, "label": label, "url": reverse(name), "current": key == current}
        for key, label, name, permission in tabs
        if request.user.has_perm(permission)
    ]


def _pager_keep(**filters) -> str:
    """The filters a list's pager links keep (`templates/_pager.html`): `name=value&` for each one set."""
    return "".join(f"{name}={value}&" for name, value in filters.items() if value)


def _page(request, template: str, tab: str, status: int = 200, **context):
    context = {"section": "sales", "tabs": _tabs(request, tab), **context}
    return render(request, template, context, status=status)


# --- Meetings links -----------------------------------------------------------------------------


@requires("engagements.view_meetinglink")
def index(request):
    """The meetings links, with their public booking addresses."""
    links = [
        {"link": link, "url": public_base_url(request) + reverse("engagements_public:booking", args=[link.slug])}
        for link in meeting_links_list()
    ]
    may_add = request.user.has_perm("engagements.add_meetinglink")
    may_change = request.user.has_perm("engagements.change_meetinglink")
    return _page(
        request,
        "engagements/index.html",
        "meetings",
        title="Meetings",
        links=links,
        may_add=may_add,
        may_change=may_change,
    )


def _link_saved(request, form: MeetingLinkForm, link: MeetingLink | None) -> MeetingLink | None:
    data, actor = form.cleaned_data, Actor.for_user(request.user)
    fields = {name: data[name] for name in ("name", "slug", "duration_minutes", "days_ahead")}
    try:
        if link is None:
            return meeting_link_create(owner=request.user, windows=data["windows"], actor=actor, **fields)
        return meeting_link_update(link=link, windows=data["windows"], actor=actor, **fields)
    except EngagementInvalid as invalid:
        form.add_service_errors(invalid.errors)
        return None


def _link_form_page(request, form: MeetingLinkForm, link: MeetingLink | None):
    if form.is_bound and form.is_valid():
        saved = _link_saved(request, form, link)
        if saved is not None:
            messages.success(request, f"{saved.name} is saved: visitors book it at /meetings/{saved.slug}.")
            return redirect("engagements:index")
    title = "New meetings link" if link is None else f"Edit {link.name}"
    status = 400 if form.is_bound else 200
    context = {"title": title, "form": form, "link": link, "zone": timezone.get_current_timezone_name()}
    return _page(request, "engagements/link_form.html", "meetings", status, **context)


@requires("engagements.add_meetinglink")
@require_http_methods(["GET", "POST"])
def meeting_link_new(request):
    form = MeetingLinkForm(request.POST if request.method == "POST" else None, initial=DEFAULT_LINK)
    return _link_form_page(request, form, None)


@requires("engagements.change_meetinglink")
@require_http_methods(["GET", "POST"])
def meeting_link_edit(request, pk: int):
    link = get_object_or_404(MeetingLink, pk=pk)
    initial = MeetingLinkForm.initial_for(link, link_windows(link=link))
    form = MeetingLinkForm(request.POST if request.method == "POST" else None, initial=initial)
    return _link_form_page(request, form, link)


@requires("engagements.view_booking")
def bookings(request):
    """Every booking, soonest first; `?link=<id>` for one link's, `?upcoming=1` for those still ahead."""
    link = None
    if request.GET.get("link", "").isdigit():
        link = get_object_or_404(MeetingLink, pk=int(request.GET["link"]))
    upcoming = request.GET.get("upcoming") == "1"
    page = Paginator(bookings_list(link=link, upcoming=upcoming), PER_PAGE).get_page(request.GET.get("page"))
    return _page(
        request,
        "engagements/bookings.html",
        "bookings",
        title="Bookings",
        page=page,
        link=link,
        upcoming=upcoming,
        links=MeetingLink.objects.order_by("name", "pk"),
        pager_keep=_pager_keep(link=link.pk if link else None, upcoming=1 if upcoming else None),
    )


# --- Tickets ------------------------------------------------------------------------------------


@requires("engagements.view_ticket")
def tickets(request):
    stage = request.GET.get("stage", "")
    stage = stage if stage in TicketStage.values else ""
    page = Paginator(tickets_list(stage=stage), PER_PAGE).get_page(request.GET.get("page"))
    return _page(
        request,
        "engagements/tickets.html",
        "tickets",
        title="Tickets",
        page=page,
        stage=stage,
        stages=TicketStage.choices,
        pager_keep=_pager_keep(stage=stage),
        may_add=request.user.has_perm("engagements.add_ticket"),
    )


@requires("engagements.add_ticket")
@require_http_methods(["GET", "POST"])
def ticket_new(request):
    """Create a ticket; a requester without a contact gets a non-marketing one (R9)."""
    form = TicketForm(request.POST if request.method == "POST" else None)
    status = 400 if form.is_bound else 200
    if form.is_bound and form.is_valid():
        try:
            result = ticket_create(**form.cleaned_data, actor=Actor.for_user(request.user))
        except MarketingStatusPermissionDenied as refusal:
            form.add_error("requester_email", f"{refusal} {form.cleaned_data['requester_email']} has no contact yet.")
            status = 403
        except EngagementInvalid as invalid:
            form.add_service_errors(invalid.errors)
        else:
            requester = result.ticket.requester
            if result.contact_created:
                messages.success(request, f"Ticket created; {requester.email} is a new non-marketing contact.")
            else:
                messages.success(request, f"Ticket created for {requester}.")
            return redirect("engagements:ticket", pk=result.ticket.pk)
    return _page(request, "engagements/ticket_form.html", "tickets", status, title="New ticket", form=form)


@requires("engagements.view_ticket")
def ticket_detail(request, pk: int):
    ticket = get_object_or_404(Ticket.objects.select_related("requester", "created_by"), pk=pk)
    return _page(request, "engagements/ticket.html", "tickets", title=ticket.subject, ticket=ticket)


# --- Logging a one-to-one email -----------------------------------------------------------------


def _log_email_initial(contact: Contact) -> dict:
    now = timezone.localtime().replace(second=0, microsecond=0)
    return {"to": contact.email or "", "sent_at": now}


@requires("engagements.add_emaillog")
@require_http_methods(["GET", "POST"])
def log_email(request, pk: int):
    """Log an email on a contact record: associated with every recipient's contact, new ones created
    non-marketing (R9); nothing is sent."""
    contact = get_object_or_404(Contact, pk=pk, archived_at__isnull=True)
    form = EmailLogForm(request.POST if request.method == "POST" else None, initial=_log_email_initial(contact))
    status = 400 if form.is_bound else 200
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            result = email_log(**data, actor=Actor.for_user(request.user), logged_on=contact)
        except MarketingStatusPermissionDenied as refusal:
            form.add_error(None, f"{refusal} Some recipients have no contact yet; nothing was logged.")
            status = 403
        except EngagementInvalid as invalid:
            form.add_service_errors(invalid.errors)
        else:
            created = result.contacts_created
            note = f" {created} new non-marketing contact{'s' if created != 1 else ''} created." if created else ""
            messages.success(request, f"Email logged.{note}")
            return redirect("contacts:record", pk=contact.pk)
    context = {"title": f"Log email · {contact}", "contact": contact, "form": form}
    return render(request, "engagements/log_email.html", {"section": "contacts", **context}, status=status)
