"""The Manage marketing contacts wizard (R17), started from Usage & limits.

Introduction → *Unengaged contacts* → *Filters and lists* → *Review and update* → *Update contacts*.
Every step but the last is a GET whose query string carries the choices so far: `unengaged`
("1": the hard-bounced and unsubscribed marketing contacts, pre-selected) and `query` (the Filters
and lists choice, as a ContactFilterSet query string; empty when skipped). So nothing is written,
not even a session row, before the POST of the last step, and any step can be reloaded or shared.

The last step sets the chosen contacts as non-marketing (R11: they become pending and are billed
until the next update date) through `jobs.services.bulk_change_start`. The choice is a union, which
one ContactFilterSet query cannot express (its filters are ANDed; "hard-bounced or unsubscribed"
is an OR), so it is resolved here, among the contacts the switch changes (marketing, not pending):
- up to `ID_LIMIT` contacts (10,000, the cap on picked ids): their ids, as one bulk change (inline up
  to 1,000 contacts, else one job);
- above that: one all-matching bulk change per part of the union (hard-bounced, unsubscribed, the
  filters), each re-evaluated by its job. The parts may overlap, which is safe: a contact an earlier
  part made pending is not changed again (R13), so each contact changes, and is recorded, once.
"""

from dataclasses import dataclass
from functools import reduce
from operator import or_
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods

from billing.selectors import MarketingContactsNotEnabled, next_update_date, subscription_require_enabled, usage_get
from contacts.filters import ContactFilterSet
from contacts.selection import MAX_PICKED_IDS, InvalidSelection, Selection
from crm.refusals import refused
from crm.sources import sources_resolve
from jobs.models import Job
from jobs.services import REFUSALS, BulkOutcome, bulk_change_start
from marketing_status.actors import MARKETING_ACCESS_PERMISSION, Actor, MarketingStatusPermissionDenied
from marketing_status.selectors import (
    UNENGAGED,
    status_forecast_get,
    switchable_to_non_marketing,
    unengaged_marketing_contacts,
)

STEPS = (
    ("intro", "Introduction"),
    ("unengaged", "Unengaged contacts"),
    ("filters", "Filters and lists"),
    ("review", "Review and update"),
    ("done", "Update contacts"),
)
# The ContactFilterSet filters offered on *Filters and lists*: properties and static lists. The
# status filters are left out: the wizard always works on marketing contacts not yet pending.
FILTER_FIELDS = (
    "list",
    "lifecycle_stage",
    "creation_tool",
    "source_type",
    "unsubscribed",
    "hard_bounced",
    "created_after",
    "created_before",
    "q",
)
SWITCHABLE_QUERY = "status=marketing&pending=false"
UNENGAGED_QUERIES = ("hard_bounced=true", "unsubscribed=true")
ID_LIMIT = MAX_PICKED_IDS
SAMPLE_SIZE = 10


def _filters_query(data: QueryDict) -> str:
    """The filters of `data` that filter something, as a query string; InvalidSelection if any is invalid."""
    raw = QueryDict(mutable=True)
    for name in FILTER_FIELDS:
        if values := [value for value in data.getlist(name) if value]:
            raw.setlist(name, values)
    cleaned = Selection(query=raw.urlencode(), all_matching=True).filterset().form.cleaned_data
    chosen = QueryDict(mutable=True)
    for name in FILTER_FIELDS:
        if cleaned.get(name) not in (None, ""):  # "unknown" in a yes/no filter filters nothing
            chosen.setlist(name, raw.getlist(name))
    return chosen.urlencode()


@dataclass(frozen=True)
class Choice:
    """What the wizard will set as non-marketing: the unengaged contacts or not, and the filters-and-lists query."""

    unengaged: bool = True
    query: str = ""

    @classmethod
    def from_data(cls, data: QueryDict) -> "Choice":
        """From a step's query string (filters as fields, or as `query`) or the last step's POST."""
        filters = QueryDict(data["query"]) if "query" in data else data
        return cls(unengaged=data.get("unengaged") == "1", query=_filters_query(filters))

    @property
    def is_empty(self) -> bool:
        return not self.unengaged and not self.query

    def params(self) -> str:
        return urlencode({"unengaged": "1" if self.unengaged else "0", "query": self.query})

    def _matching(self) -> Q:
        return Q(pk__in=Selection(query=self.query, all_matching=True).queryset().values("pk"))

    def filtered(self) -> QuerySet:
        """The contacts the switch changes among those the filters and lists choose."""
        return switchable_to_non_marketing().filter(self._matching())

    def contacts(self) -> QuerySet:
        """The union of both choices, among the contacts the switch changes."""
        parts = [*([UNENGAGED] if self.unengaged else []), *([self._matching()] if self.query else [])]
        switchable = switchable_to_non_marketing()
        return switchable.filter(reduce(or_, parts)) if parts else switchable.none()

    def selections(self) -> list[Selection]:
        """One all-matching selection per part of the union, each limited to contacts the switch changes."""
        parts = [*(UNENGAGED_QUERIES if self.unengaged else ()), *([self.query] if self.query else [])]
        return [Selection(query=f"{part}&{SWITCHABLE_QUERY}", all_matching=True) for part in parts]


def choice_apply(*, choice: Choice, user) -> list[BulkOutcome]:
    """R17 *Update contacts*: set the chosen contacts as non-marketing (R11); see the module docstring.

    Refuses (R30) before any part runs, so a refusal changes nothing.
    """
    Actor.for_user(user).ensure_may_change_status()
    ids = list(choice.contacts().order_by("pk").values_list("pk", flat=True)[: ID_LIMIT + 1])
    selections = [Selection(ids=tuple(ids))] if len(ids) <= ID_LIMIT else choice.selections()
    return [bulk_change_start(kind=Job.Kind.SET_NON_MARKETING, selection=part, user=user) for part in selections]


def job_url(job_id: int) -> str:
    return reverse("jobs:detail", args=[job_id])


# --- Views -------------------------------------------------------------------------------------------


def _render(request, step: str, context: dict, status: int = 200):
    context = {
        "title": "Manage marketing contacts",
        "section": "billing",
        "step": step,
        "steps": STEPS,
        "may_update": request.user.has_perm(MARKETING_ACCESS_PERMISSION),
        **context,
    }
    return render(request, f"marketing_status/wizard_{step}.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def manage(request):
    """R17: the wizard's steps (GET `?step=…`) and its last step, *Update contacts* (POST)."""
    try:
        subscription = subscription_require_enabled()
    except MarketingContactsNotEnabled:
        return refused(request, "Marketing contacts are not enabled.", status=409, section="billing")
    if request.method == "POST":
        return _update(request, subscription)
    step = request.GET.get("step", "intro")
    if step not in _STEP_VIEWS:
        raise Http404("No such step.")
    return _STEP_VIEWS[step](request, subscription)


def _intro(request, subscription):
    return _render(request, "intro", {"usage": usage_get(subscription=subscription)})


def _unengaged(request, subscription):
    contacts = unengaged_marketing_contacts()
    sample = list(contacts.order_by("pk")[:SAMPLE_SIZE])
    names = sources_resolve((contact.marketable_reason_type, contact.marketable_reason_id) for contact in sample)
    return _render(
        request,
        "unengaged",
        {
            "count": contacts.count(),
            "sample": sample,
            # each sampled contact with its status source by name (one query per kind of source)
            "sample_rows": [
                (contact, names.get((contact.marketable_reason_type, contact.marketable_reason_id)))
                for contact in sample
            ],
            "checked": request.GET.get("unengaged") != "0",
        },
    )


def _filters(request, subscription, *, invalid: bool = False):
    """Bound to the filters chosen so far, so that going back keeps them and invalid ones show their errors."""
    form = ContactFilterSet(QueryDict(request.GET["query"]) if "query" in request.GET else request.GET).form
    return _render(
        request,
        "filters",
        {"fields": [form[name] for name in FILTER_FIELDS], "unengaged": request.GET.get("unengaged") == "1"},
        status=400 if invalid else 200,
    )


def _review(request, subscription):
    try:
        choice = Choice.from_data(request.GET)
    except InvalidSelection:
        return _filters(request, subscription, invalid=True)
    changing = choice.contacts().count()
    return _render(
        request,
        "review",
        {
            "choice": choice,
            "unengaged_count": unengaged_marketing_contacts().count() if choice.unengaged else None,
            "filtered_count": choice.filtered().count() if choice.query else None,
            "changing": changing,
            "forecast": status_forecast_get(changing=changing),
            "update_date": next_update_date(subscription=subscription),
        },
    )


def _done(request, subscription):
    job_ids = [int(value) for value in request.GET.get("jobs", "").split(",") if value.isdigit()]
    jobs = Job.objects.filter(pk__in=job_ids, created_by=request.user).order_by("pk")
    return _render(
        request,
        "done",
        {"usage": usage_get(subscription=subscription), "jobs": [(job, job_url(job.pk)) for job in jobs]},
    )


_STEP_VIEWS = {"intro": _intro, "unengaged": _unengaged, "filters": _filters, "review": _review, "done": _done}


def _update(request, subscription):
    try:
        choice = Choice.from_data(request.POST)
    except InvalidSelection as error:
        return refused(request, str(error), status=400, section="billing")
    if choice.is_empty:
        messages.error(request, "Choose unengaged contacts or filters and lists first.")
        return redirect(f"{reverse('billing:manage')}?step=review&{choice.params()}")
    try:
        outcomes = choice_apply(choice=choice, user=request.user)
    except MarketingStatusPermissionDenied as refusal:
        return refused(request, str(refusal), permission=MARKETING_ACCESS_PERMISSION, section="billing")
    except REFUSALS as refusal:
        return refused(request, str(refusal), status=409, section="billing")
    return _after_update(request, subscription, outcomes)


def _after_update(request, subscription, outcomes: list[BulkOutcome]):
    """Tell what changed now (inline) and send the user to the job page when one job does the work."""
    update_date = next_update_date(subscription=subscription)
    inline = [outcome for outcome in outcomes if outcome.job is None]
    jobs = [outcome.job for outcome in outcomes if outcome.job is not None]
    if inline:
        changed, unchanged = sum(o.counts.changed for o in inline), sum(o.counts.unchanged for o in inline)
        text = (
            f"{changed:,} contacts set as non-marketing. They stay marketing contacts, and count toward your "
            f"bill, until the update date, {date_format(update_date, 'DATE_FORMAT')}."
        )
        messages.success(request, text + (f" {unchanged:,} were already pending." if unchanged else ""))
    if jobs and not inline and len(jobs) == 1:
        messages.info(request, f"Setting {jobs[0].total:,} contacts as non-marketing in the background.")
        return redirect(job_url(jobs[0].pk))
    params = urlencode({"step": "done", **({"jobs": ",".join(str(job.pk) for job in jobs)} if jobs else {})})
    return redirect(f"{reverse('billing:manage')}?{params}")
