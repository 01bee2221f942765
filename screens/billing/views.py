"""Usage & limits (R23, B3, B4). The Manage marketing contacts wizard it starts (R17) is `screens.wizard`.

The charts are inline SVG drawn on the server: the views compute the geometry (below), the
templates only place it, and every figure is also in a table next to its chart.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from billing.models import BillingPeriod, Subscription, TierUpgrade
from billing.policy import BillingCycle, HubTier, next_contract_renewal
from billing.selectors import billing_periods_recent, subscription_get, tier_upgrades_recent, usage_get
from billing.services import (
    SubscriptionExists,
    SubscriptionInvalid,
    subscription_change,
    subscription_set_tier_guard,
    tier_guard_may_change,
)
from contacts.models import Contact
from crm.refusals import refused
from crm.sources import SourceName, sources_resolve
from marketing_status.actors import MARKETING_ACCESS_PERMISSION, Actor, ActorKind, MarketingStatusPermissionDenied
from marketing_status.policy import ReasonType
from marketing_status.selectors import DailyAddition, marketing_additions_by_day
from marketing_status.services import account_setup, marketing_contacts_enable
from screens.billing.forms import SubscriptionForm, TierGuardForm

ADDITION_DAYS = 30


@login_required
def home(request):
    """The app's front door: an installation without a subscription sends whoever may set it up there."""
    if subscription_get() is None and request.user.has_perm(MARKETING_ACCESS_PERMISSION):
        return redirect("billing:subscription")
    return redirect("contacts:index")


def _form_values(form: SubscriptionForm) -> dict:
    data = form.cleaned_data
    return {
        "hub_tier": HubTier(data["hub_tier"]),
        "billing_cycle": BillingCycle(data["billing_cycle"]),
        "contract_start": data["contract_start"],
        "renewal_date": data["renewal_date"],
        "contact_tier_limit": data["contact_tier_limit"],
        "tier_block_size": data["tier_block_size"],
        "billing_contacts": list(data["billing_contacts"]),
    }


def _initial(subscription: Subscription | None) -> dict:
    if subscription is None:
        today = timezone.localdate()
        return {
            "hub_tier": HubTier.PROFESSIONAL.value,
            "billing_cycle": BillingCycle.MONTHLY.value,
            "contract_start": today,
            "renewal_date": next_contract_renewal(renewal_date=today, after=today),
        }
    return {
        "hub_tier": subscription.hub_tier,
        "billing_cycle": subscription.billing_cycle,
        "contract_start": subscription.contract_start,
        "renewal_date": subscription.renewal_date,
        "contact_tier_limit": subscription.contract_tier_limit,
        "tier_block_size": subscription.tier_block_size,
        "billing_contacts": list(subscription.billing_contacts.all()),
    }


@login_required
def subscription(request):
    """Account & Billing > Subscription: set up the subscription of a fresh installation, enable
    marketing contacts as a step of its own (R1), and later change the tier (recorded like an upgrade, R24).
    Changing anything needs the Marketing contact access permission (R30); a refusal changes nothing."""
    current = subscription_get()
    may_manage = request.user.has_perm(MARKETING_ACCESS_PERMISSION)
    form = SubscriptionForm(request.POST or None, initial=_initial(current))
    status = 200
    if request.method == "POST":
        if not may_manage:
            return _refused(request, "You need the Marketing contact access permission to change the subscription.")
        if form.is_valid():
            try:
                return _subscription_save(request, current, form)
            except SubscriptionInvalid as error:
                for name, message in error.errors.items():
                    form.add_error(name or None, message)
            except SubscriptionExists as error:
                form.add_error(None, str(error))
        status = 400
    context = {
        "title": "Subscription",
        "section": "billing",
        "subscription": current,
        "form": form,
        "may_manage": may_manage,
        "contact_count": Contact.objects.count() if current is None or not current.marketing_contacts_enabled else None,
        "time_zone": settings.TIME_ZONE,
        "tier_sizes": settings.CRM_TIER_INCLUDED_CONTACTS,
        "lower_limit_pending": current is not None and current.contract_tier_limit < current.contact_tier_limit,
    }
    return render(request, "billing/subscription.html", context, status=status)


def _subscription_save(request, current: Subscription | None, form: SubscriptionForm):
    actor = Actor.for_user(request.user)
    values = _form_values(form)
    if current is None:
        account_setup(actor=actor, **values)
        messages.success(request, "The subscription is set up. Enable marketing contacts to start.")
    else:
        changed = subscription_change(actor=actor, **values)
        messages.success(request, "The subscription is changed." if changed else "Nothing changed.")
    return redirect("billing:subscription")


@login_required
@require_POST
def marketing_contacts_enable_view(request):
    """R1 as an explicit step: every existing contact becomes non-marketing. Needs Marketing contact access."""
    current = subscription_get()
    if current is None:
        return _refused(request, "Set up the subscription first.", status=400)
    try:
        changed = marketing_contacts_enable(actor=Actor.for_user(request.user))
    except MarketingStatusPermissionDenied as refusal:
        return _refused(request, str(refusal))
    messages.success(
        request, f"Marketing contacts are enabled; {changed:,} existing contacts are now non-marketing contacts."
    )
    return redirect("billing:usage")


def _refused(request, message: str, *, status: int = 403, title: str = "Subscription"):
    """The refusal page; a 403 names Marketing contact access and whom to ask for it."""
    permission = MARKETING_ACCESS_PERMISSION if status == 403 else None
    back_url, back_label = reverse("billing:usage"), "Back to Usage & limits"
    return refused(
        request,
        message,
        status=status,
        permission=permission,
        title=title,
        section="billing",
        back_url=back_url,
        back_label=back_label,
    )


@dataclass(frozen=True)
class NamedAddition:
    """B3: one row of the additions table, its source type as a label and its source by name."""

    row: DailyAddition
    type_label: str
    source: SourceName | None


def _pair(row: DailyAddition) -> tuple[str, str]:
    return row.reason_type, row.reason_id


def _cause(upgrade: TierUpgrade) -> tuple[str, str]:
    """What a tier upgrade's cause names: the status source, or for a change of tier the user who made it."""
    if upgrade.cause_type == TierUpgrade.TIER_CHANGE and upgrade.cause_id.isdigit():
        return ActorKind.USER, upgrade.cause_id
    return upgrade.cause_type, upgrade.cause_id


@login_required
def usage(request):
    """R23: tier limit, marketing and pending counts, next update date, periods; B3 additions; B4 guard."""
    subscription = subscription_get()
    context = {"title": "Usage & limits", "section": "billing", "subscription": subscription}
    if subscription is None:
        return render(request, "billing/usage.html", context)
    usage = usage_get(subscription=subscription)
    periods = billing_periods_recent(subscription=subscription)
    now = timezone.now()
    additions = marketing_additions_by_day(days=ADDITION_DAYS, now=now)
    upgrades = tier_upgrades_recent(subscription=subscription)
    names = sources_resolve([*((row.reason_type, row.reason_id) for row in additions), *map(_cause, upgrades)])
    context |= {
        "usage": usage,
        "periods": periods,
        "period_chart": period_chart(periods, tier_limit=usage.tier_limit),
        "additions": [
            NamedAddition(row, ReasonType.label_of(row.reason_type), names.get(_pair(row))) for row in additions
        ],
        "additions_chart": additions_chart(additions, today=timezone.localdate(now), days=ADDITION_DAYS, names=names),
        "tier_upgrades": [(upgrade, names.get(_cause(upgrade))) for upgrade in upgrades],
        "may_change_guard": tier_guard_may_change(user=request.user),
        "may_manage": request.user.has_perm(MARKETING_ACCESS_PERMISSION),
    }
    return render(request, "billing/usage.html", context)


@login_required
@require_POST
def tier_guard(request):
    """B4: switch the tier guard on or off; 403 and nothing changed without permission."""
    form = TierGuardForm(request.POST)
    if not form.is_valid():
        return _refused(request, "Choose on or off.", status=400, title="Tier guard")
    try:
        subscription_set_tier_guard(enabled=form.enabled_value, actor=Actor.for_user(request.user))
    except MarketingStatusPermissionDenied as refusal:
        return _refused(request, str(refusal), title="Tier guard")
    state = "on" if form.enabled_value else "off"
    messages.success(request, f"The tier guard is {state}.")
    return redirect("billing:usage")


# --- Chart geometry -------------------------------------------------------------------------------

TOP, PLOT_HEIGHT, AXIS_WIDTH, LABEL_HEIGHT = 20, 160, 56, 28
MIN_PERIOD_SLOTS = 6  # so that a young account's chart is not a sliver
PERIOD_SERIES = (
    ("count_at_open", "Count at open", "#7c98b6"),
    ("peak_count", "Peak", "#ff7a59"),
    ("count_at_close", "Count at close", "#0091ae"),
)
SOURCE_COLOURS = ("#0091ae", "#ff7a59", "#00a38d", "#6a78d1", "#f5c26b", "#d94c53")
OTHER_COLOUR = "#cbd6e2"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class BarGroup:
    label: Label | None
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    title: str
    desc: str
    width: float
    height: float
    groups: list[BarGroup]
    grid: list[Label]  # horizontal lines at these y, labelled with their value
    legend: list[tuple[str, str]]  # (colour, name)
    limit: Label | None = None  # the dashed tier-limit line

    @property
    def plot_left(self) -> float:
        return AXIS_WIDTH

    @property
    def plot_right(self) -> float:
        return self.width - 4


BASELINE = TOP + PLOT_HEIGHT


def _height(value: int, maximum: int) -> float:
    return round(value * PLOT_HEIGHT / maximum, 1) if maximum else 0.0


def _grid(maximum: int) -> list[Label]:
    values = sorted({0, maximum // 2, maximum}) if maximum else [0]
    return [Label(AXIS_WIDTH - 6, BASELINE - _height(value, maximum), f"{value:,}") for value in values]


def _short(day: date) -> str:
    return date_format(day, "MONTH_DAY_FORMAT")  # the chart's axis: the short form, "5 Mar"


def period_chart(periods: list[BillingPeriod], *, tier_limit: int) -> Chart:
    """R23: one group per billing period: bars for its count at open, peak and count at close (none while open)."""
    bar, gap, group_gap = 16, 2, 28
    step = 3 * bar + 2 * gap + group_gap
    values = [getattr(period, name) for period in periods for name, _, _ in PERIOD_SERIES]
    maximum = max([tier_limit, *(value for value in values if value is not None)])
    groups = []
    for index, period in enumerate(periods):
        left = AXIS_WIDTH + group_gap / 2 + index * step
        bars = []
        for offset, (name, label, colour) in enumerate(PERIOD_SERIES):
            value = getattr(period, name)
            if value is not None:
                height = _height(value, maximum)
                x = left + offset * (bar + gap)
                bars.append(Bar(x, BASELINE - height, bar, height, colour, f"{label}: {value:,}"))
        starts = timezone.localdate(period.starts_at)
        text = f"{_short(starts)} – {_short(period.update_date)}"
        groups.append(BarGroup(Label(left + (3 * bar + 2 * gap) / 2, BASELINE + 16, text), bars))
    return Chart(
        title="Marketing contacts per billing period",
        desc=(
            f"For each of the last {len(periods)} billing periods, the marketing-contact count when it opened, "
            f"its peak and the count when it closed. The dashed line is the contact tier limit, {tier_limit:,}."
        ),
        width=AXIS_WIDTH + max(len(periods), MIN_PERIOD_SLOTS) * step + 8,
        height=BASELINE + LABEL_HEIGHT,
        groups=groups,
        grid=_grid(maximum),
        legend=[(colour, label) for _, label, colour in PERIOD_SERIES],
        limit=Label(AXIS_WIDTH, BASELINE - _height(tier_limit, maximum), f"Tier limit {tier_limit:,}"),
    )


def _source_name(row: DailyAddition, names: dict) -> str:
    """The source as plain text for the chart: "Form submission: Newsletter signup"."""
    source = names.get(_pair(row))
    label = ReasonType.label_of(row.reason_type) or "No source"
    return f"{label}: {source.name}" if source else label


def _source_colours(additions: list[DailyAddition], names: dict) -> dict[str, str]:
    """The largest sources get their own colour, the rest share one."""
    totals: dict[str, int] = defaultdict(int)
    for row in additions:
        totals[_source_name(row, names)] += row.added
    ranked = sorted(totals, key=lambda name: (-totals[name], name))
    return {name: SOURCE_COLOURS[i] if i < len(SOURCE_COLOURS) else OTHER_COLOUR for i, name in enumerate(ranked)}


def additions_chart(additions: list[DailyAddition], *, today: date, days: int, names: dict | None = None) -> Chart:
    """B3: one stacked bar per day, a segment per source, so that a spike from one source stands out.
    `names` are the sources' names (`crm.sources.sources_resolve`)."""
    bar, step = 12, 16
    names = names or {}
    colours = _source_colours(additions, names)
    by_day: dict[date, list[DailyAddition]] = defaultdict(list)
    for row in additions:
        by_day[row.day].append(row)
    maximum = max([sum(row.added for row in rows) for rows in by_day.values()], default=0)
    groups = []
    for index in range(days):
        day = today - timedelta(days=days - 1 - index)
        x, top = AXIS_WIDTH + 4 + index * step, float(BASELINE)
        bars = []
        for row in sorted(by_day[day], key=lambda row: (-row.added, row.reason_type, row.reason_id)):
            name, height = _source_name(row, names), _height(row.added, maximum)
            top -= height
            bars.append(Bar(x, round(top, 1), bar, height, colours[name], f"{_short(day)}: {row.added:,} from {name}"))
        label = Label(x + bar / 2, BASELINE + 16, _short(day)) if (days - 1 - index) % 7 == 0 else None
        groups.append(BarGroup(label, bars))
    legend = [(colour, name) for name, colour in colours.items() if colour != OTHER_COLOUR]
    if OTHER_COLOUR in colours.values():
        legend.append((OTHER_COLOUR, "Other sources"))
    return Chart(
        title=f"Marketing contacts added per day, last {days} days",
        desc=(
            f"One stacked bar per day from {_short(today - timedelta(days=days - 1))} to {_short(today)}; each "
            f"segment is one source (status source type and name). {sum(row.added for row in additions):,} added."
        ),
        width=AXIS_WIDTH + 4 + days * step + 8,
        height=BASELINE + LABEL_HEIGHT,
        groups=groups,
        grid=_grid(maximum),
        legend=legend,
    )
