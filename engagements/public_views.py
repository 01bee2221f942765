"""The public booking page of a meetings link: `GET /meetings/<slug>` shows the free slots, `POST` books one.

The POST is wrapped by `capture.public.public_endpoint` (CORS, 413 above `BOOKING_MAX_BYTES`, the
per-address rate limit, errors as HubSpot's JSON). It takes the page's form (answered with the page)
or JSON `{"name", "email", "start"}` (answered with JSON). The answer never depends on whether a
contact with that email exists, and a filled honeypot field is answered like a booking and stores
nothing. Contacts who book are non-marketing (R9, tool MEETINGS).
"""

from collections import defaultdict
from datetime import datetime, timedelta

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.csrf import csrf_exempt

from capture.public import HONEYPOT_FIELD, IntakeError, is_spam, json_body, public_endpoint
from engagements.forms import BookingForm
from engagements.models import MeetingLink
from engagements.selectors import link_free_slots
from engagements.services import EngagementInvalid, SlotTaken, SlotUnavailable, meeting_book, meeting_book_check

BOOKING_MAX_BYTES = 8 * 1024


class _Refused(Exception):
    def __init__(self, status: int, field: str | None, message: str, error_type: str):
        self.status, self.field, self.message, self.error_type = status, field, message, error_type
        super().__init__(message)


def _slot_days(link: MeetingLink) -> list[tuple[datetime, list[tuple[str, str]]]]:
    """Free slots grouped by local day: [(day, [(value, "09:30"), …]), …]."""
    days: dict = defaultdict(list)
    for slot in link_free_slots(link=link):
        local = timezone.localtime(slot)
        days[local.date()].append((slot.isoformat(), local.strftime("%H:%M")))
    return list(days.items())


def _render(request: HttpRequest, link: MeetingLink, form: BookingForm, *, status: int = 200, **extra):
    context = {
        "title": link.name,
        "link": link,
        "form": form,
        "days": _slot_days(link),
        "zone": timezone.get_current_timezone_name(),
        "honeypot_field": HONEYPOT_FIELD,
        **extra,
    }
    return render(request, "engagements/booking.html", context, status=status)


@csrf_exempt  # the POST is public_endpoint's, which is csrf-exempt and sends no cookies cross-site
def booking(request: HttpRequest, slug: str) -> HttpResponse:
    if request.method in ("GET", "HEAD"):
        link = get_object_or_404(MeetingLink.objects.select_related("owner"), slug=slug)
        return _render(request, link, BookingForm())
    return _booking_submit(request, slug)


def _form_refusal(form: BookingForm) -> _Refused:
    field, messages = next(iter(form.errors.items()))
    error_type = "REQUIRED_FIELD" if form[field].value() in (None, "") else "INVALID_VALUE"
    return _Refused(400, field, f"{field}: {' '.join(messages)}", error_type)


def _check(link: MeetingLink, form: BookingForm) -> dict:
    """The valid booking's values, or `_Refused` saying what is wrong."""
    if not form.is_valid():
        raise _form_refusal(form)
    values = {key: form.cleaned_data[key] for key in ("name", "email", "start")}
    try:
        meeting_book_check(link=link, **values)
    except EngagementInvalid as invalid:
        field, message = next(iter(invalid.errors.items()))
        raise _Refused(400, field, message, "INVALID_EMAIL" if field == "email" else "INVALID_VALUE") from None
    except SlotUnavailable as unavailable:
        raise _Refused(400, "start", str(unavailable), "SLOT_UNAVAILABLE") from None
    return values


def _book(link: MeetingLink, form: BookingForm) -> datetime:
    values = _check(link, form)
    if not is_spam({HONEYPOT_FIELD: form.cleaned_data["honeypot"]}):
        try:
            meeting_book(link=link, **values)
        except SlotTaken as taken:
            raise _Refused(409, "start", str(taken), "SLOT_TAKEN") from None
    return values["start"]


def _confirmation(link: MeetingLink, start: datetime) -> str:
    local = timezone.localtime(start)
    end = timezone.localtime(start + timedelta(minutes=link.duration_minutes))
    host = link.owner.get_full_name() or link.owner.get_username()
    when = (
        f"{local:%A} {date_format(local, 'DATETIME_FORMAT')}–{date_format(end, 'TIME_FORMAT')} "
        f"({timezone.get_current_timezone_name()})"
    )
    return f"Your meeting with {host} is booked for {when}."


@public_endpoint(methods=("POST",), max_bytes=BOOKING_MAX_BYTES)
def _booking_submit(request: HttpRequest, slug: str) -> HttpResponse:
    as_json = request.content_type == "application/json"
    link = MeetingLink.objects.select_related("owner").filter(slug=slug).first()
    if link is None:
        raise IntakeError(404, "This meetings link does not exist.")
    form = BookingForm(json_body(request) if as_json else request.POST)
    try:
        start = _book(link, form)
    except _Refused as refused:
        if as_json:
            raise IntakeError(refused.status, refused.message, [_error(refused)]) from None
        if refused.field in form.fields and refused.field not in form.errors:
            form.add_error(refused.field, refused.message)
        return _render(request, link, form, status=refused.status)
    message = _confirmation(link, start)
    if as_json:
        end = start + timedelta(minutes=link.duration_minutes)
        body = {"status": "booked", "start": start.isoformat(), "end": end.isoformat(), "message": message}
        return JsonResponse(body)
    return _render(request, link, BookingForm(), booked_message=message)


def _error(refused: _Refused) -> dict[str, str]:
    return {"message": refused.message, "errorType": refused.error_type, "name": refused.field or ""}
