"""The demo's year, replayed: the account is set up ~11 months ago, then dated steps run in date order.

A few contacts exist before marketing contacts are enabled (R1); then contacts arrive week by week from every
creation tool (R2–R9); people, forms and a workflow switch statuses (R10–R12, R17, R18); the renewal runs at
every update date that has passed (R14); a few contacts are archived and one restored (R22).

Every row is written by the service that owns it, with the date it would have had: each service takes the
time it records as `now=`, which the demo's `Clock` gives from the step's moment.
"""

import calendar
import math
import random
import secrets
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as time_of_day

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.utils import timezone

from billing.policy import BillingCycle, HubTier, next_update_date
from billing.selectors import update_moment
from billing.services import subscription_create
from contacts.models import Contact, EmailSubscription
from contacts.services import contacts_archive
from conversations.services import agent_reply, chatflow_create, conversation_start, visitor_message_post
from demo.people import People
from demo.sources import (
    ADMIN_USERNAME,
    CUST,
    DEMO_USERS,
    MQL,
    OPP,
    OTHER,
    SAMPLE_CONTACTS,
    SOURCES,
    SQL,
    TOOL_ACTOR_KINDS,
    TOOL_SETTINGS,
    VISITOR_CONTACTS,
    S,
    Source,
    T,
)
from engagements.selectors import link_free_slots
from engagements.services import email_log, meeting_book, meeting_link_create, ticket_create
from engagements.slots import Window
from integrations.services import integration_create
from leadforms.builder import FieldSpec, form_create
from leadforms.submissions import form_submit
from marketing_status.actors import Actor, ActorKind
from marketing_status.creation import contacts_create, contacts_restore
from marketing_status.policy import CreationTool
from marketing_status.renewal import renewals_run
from marketing_status.services import (
    contacts_set_marketing,
    contacts_set_non_marketing,
    creation_tool_setting_set,
    marketing_contacts_enable,
)
from workflows.definitions import ActionSpec, workflow_create, workflow_enable
from workflows.models import ActionKind
from workflows.steps import workflows_run_inline

# --- Time ---------------------------------------------------------------------------------------------------


class Clock:
    """The replayed year's time: set to a step's moment, it keeps ticking from there, so that what one step
    writes one row after another stays in that order. The demo hands `now()` to every service it calls."""

    def __init__(self, moment: datetime):
        self.set(moment)

    def set(self, moment: datetime) -> None:
        self._moment, self._set_at = moment, time.monotonic()

    def now(self) -> datetime:
        return self._moment + timedelta(seconds=time.monotonic() - self._set_at)


def _years_before(day: date, years: int) -> date:
    year = day.year - years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def _allocate(total: int, shares: list[float]) -> list[int]:
    """Split `total` by `shares` (largest remainder), at least one each."""
    exact = [total * share / sum(shares) for share in shares]
    counts = [max(1, math.floor(x)) for x in exact]
    by_remainder = sorted(range(len(shares)), key=lambda i: exact[i] - math.floor(exact[i]), reverse=True)
    for i in by_remainder[: max(0, total - sum(counts))]:
        counts[i] += 1
    while sum(counts) > total:
        counts[counts.index(max(counts))] -= 1
    return counts


# --- The demo -----------------------------------------------------------------------------------------------


class Demo:
    """Builds the account, then replays its year as a list of dated steps, in date order."""

    def __init__(self, *, total: int, rng: random.Random):
        self.total, self.rng = total, rng
        self.people = People(rng, total=total)
        today_now = timezone.now()
        self.renewal_date = timezone.localdate(today_now) + timedelta(days=25)
        self.contract_start = _years_before(self.renewal_date, 1)
        self.set_up_at = timezone.make_aware(datetime.combine(self.contract_start, time_of_day(9)))
        self.enabled_at = self.set_up_at + timedelta(days=6, hours=1)
        self.first_at = self.enabled_at + timedelta(days=1)
        self.end_at = today_now - timedelta(hours=1)
        self.clock = Clock(self.set_up_at)
        self.renewals_at = self._renewal_moments()
        self.current_period_at = self.renewals_at[-1] if self.renewals_at else self.first_at
        self.steps: list[tuple[datetime, int, Callable[[], object]]] = []
        self.users: dict[str, object] = {}
        self.passwords: dict[str, str] = {}
        self.pending_ids: list[int] = []
        self.tool_ids: dict[tuple[CreationTool, str], str] = {}  # a source's name -> the id of its real form, chatflow…
        self.forms: dict[str, object] = {}
        self.chatflows: dict[str, object] = {}

    def at(self, fraction: float) -> datetime:
        """A moment of the replayed year: 0 just after enabling, 1 an hour ago."""
        return self.first_at + (self.end_at - self.first_at) * fraction

    def in_current_period(self, fraction: float) -> datetime:
        return self.current_period_at + (self.end_at - self.current_period_at) * fraction

    def _renewal_moments(self) -> list[datetime]:
        """Five minutes after every update date (R20) that has passed: when beat would have run R14."""
        moments, day = [], timezone.localdate(self.enabled_at)
        while True:
            day = next_update_date(cycle=BillingCycle.MONTHLY, renewal_date=self.renewal_date, today=day)
            moment = update_moment(day) + timedelta(minutes=5)
            if moment >= self.end_at:
                return moments
            moments.append(moment)

    def step(self, moment: datetime, action: Callable[[], object]) -> None:
        self.steps.append((moment, len(self.steps), action))

    def run(self) -> None:
        self.step(self.set_up_at, self.set_up_account)
        self.step(self.enabled_at, self.enable_marketing_contacts)
        self.plan_contacts()
        for moment in self.renewals_at:
            self.step(moment, self.renewal_runs)
        self.plan_history()
        for moment, _, action in sorted(self.steps, key=lambda step: step[:2]):
            self.clock.set(moment)
            action()
            workflows_run_inline(now=self.now())  # what the worker does right after each change (R18)

    def now(self) -> datetime:
        """The time of the step being replayed, for the services' `now=`."""
        return self.clock.now()

    def renewal_runs(self) -> None:
        """R14: what beat does five minutes after an update date."""
        renewals_run(now=self.now())

    # --- Account ----------------------------------------------------------------------------------------

    def set_up_account(self) -> None:
        """Users, the Professional subscription, the admin as billing contact, HubSpot's sample contacts."""
        self._users_create()
        subscription = subscription_create(
            hub_tier=HubTier.PROFESSIONAL,
            billing_cycle=BillingCycle.MONTHLY,
            contract_start=self.contract_start,
            renewal_date=self.renewal_date,
            now=self.now(),
        )
        subscription.billing_contacts.add(self.users["admin"])
        contacts_create(
            data=list(SAMPLE_CONTACTS), tool=T.SAMPLE, actor=Actor.system("sample-contacts"), now=self.now()
        )
        self.set_up_tools()

    def _users_create(self) -> None:
        """The admin; a marketer with Marketing contact access (R30); a sales user without it."""
        User = get_user_model()
        for username, first_name, last_name, permissions in DEMO_USERS:
            create = User.objects.create_superuser if username == ADMIN_USERNAME else User.objects.create_user
            user = create(
                username,
                f"{username}@example.com",
                self._password(username),
                first_name=first_name,
                last_name=last_name,
                is_staff=True,
                date_joined=self.now(),
            )
            if permissions is not None:
                user.user_permissions.add(*Permission.objects.filter(permissions))
        # Fresh instances: Django caches a user's permissions on the instance.
        self.users = {user.username: user for user in User.objects.filter(username__in=[u[0] for u in DEMO_USERS])}

    def set_up_tools(self) -> None:
        """Real forms, chatflows, integrations and a meetings link behind the demo's sources: their ids become the
        creation source and reason ids of the contacts they create, so the admin links them up."""
        admin = Actor.for_user(self.users["admin"])
        for source in SOURCES:
            key = (source.tool, source.source_id)
            if source.tool == T.HUBSPOT_FORM and key not in self.tool_ids:
                fields = [FieldSpec("email", required=True), FieldSpec("firstname"), FieldSpec("lastname")]
                form = form_create(name=_title(source.source_id), fields=fields, actor=admin, now=self.now())
                self.tool_ids[key], self.forms[source.source_id] = form.source_id, form
            elif source.tool == T.CHATFLOW and key not in self.tool_ids:
                chatflow = chatflow_create(
                    name=_title(source.source_id),
                    welcome_message="Hi! How can we help?",
                    email_prompt="What email address can we reach you at?",
                    thanks_message="Thanks! Someone from our team will get back to you.",
                    actor=admin,
                    now=self.now(),
                )
                self.tool_ids[key], self.chatflows[source.source_id] = str(chatflow.pk), chatflow
            elif source.tool == T.INTEGRATION and key not in self.tool_ids:
                # Listed under Settings > Integrations; its token is not needed, the demo writes as it directly.
                integration, _token = integration_create(name=_title(source.source_id), actor=admin, now=self.now())
                self.tool_ids[key] = str(integration.pk)
        sales = self.users["sales"]
        weekdays = [Window(day, time_of_day(9), time_of_day(17)) for day in range(5)]
        self.meeting_link = meeting_link_create(
            owner=sales,
            name="Sales demo",
            slug="sales-demo",
            duration_minutes=30,
            days_ahead=14,
            windows=weekdays,
            actor=admin,
            now=self.now(),
        )
        self.tool_ids[(T.MEETINGS, "meetings-sales-demo")] = str(self.meeting_link.pk)

    def source_id(self, tool: CreationTool, source_id: str) -> str:
        return self.tool_ids.get((tool, source_id), source_id)

    def _password(self, username: str) -> str:
        self.passwords[username] = secrets.token_urlsafe(12)
        return self.passwords[username]

    def enable_marketing_contacts(self) -> None:
        """R1 for the contacts made so far, then the marketer's choices of creation-tool settings."""
        marketing_contacts_enable(actor=Actor.for_user(self.users["admin"]), now=self.now())
        for tool, source_id, marketing_on_create in TOOL_SETTINGS:
            creation_tool_setting_set(
                tool=tool,
                source_id=self.source_id(tool, source_id),
                marketing_on_create=marketing_on_create,
                actor=Actor.for_user(self.users["marketer"]),
                now=self.now(),
            )

    # --- Contacts -----------------------------------------------------------------------------------------

    def plan_contacts(self) -> None:
        """One `contacts_create` per source and week (an import: one, on its day), from every tool."""
        planned = self.total - len(SAMPLE_CONTACTS) - VISITOR_CONTACTS
        counts = _allocate(planned, [source.share for source in SOURCES])
        for source, count in zip(SOURCES, counts, strict=True):
            batches: dict[int, list[datetime]] = defaultdict(list)
            for _ in range(count):
                moment = self._creation_moment(source)
                batches[(moment - self.first_at).days // 7].append(moment)
            for moments in batches.values():
                rows = [self.people.contact(source) for _ in moments]
                self.step(min(moments), self._creator(source, rows))

    def _creation_moment(self, source: Source) -> datetime:
        if source.before_enable:
            return self.set_up_at + timedelta(days=2)
        if source.at is not None:
            return self.at(source.at)
        return self.at(math.sqrt(self.rng.random()))  # a growing account: more contacts lately

    def _creator(self, source: Source, rows: list[dict]) -> Callable[[], object]:
        def create():
            contacts_create(
                data=rows,
                tool=source.tool,
                actor=self._actor(source),
                source_id=self.source_id(source.tool, source.source_id),
                marketing=source.marketing,
                now=self.now(),
            )

        return create

    def _actor(self, source: Source) -> Actor:
        user = self.users.get(source.user)
        kind = TOOL_ACTOR_KINDS.get(source.tool)
        if kind is not None:
            return Actor(kind, self.source_id(source.tool, source.source_id), user=user)
        if user is not None:
            return Actor.for_user(user)
        return Actor.system(source.source_id)

    # --- History --------------------------------------------------------------------------------------------

    def plan_history(self) -> None:
        """Switches made over the year; the renewals flip what was pending at each update date (R14)."""
        self.step(self.at(0.30), self.marketer_sets_qualified_leads)
        self.step(self.at(0.45), self.marketer_cleans_up_unengaged)
        self.step(self.at(0.75), self.workflow_nurtures_chat_leads)
        self.step(self.at(0.64), self.marketer_sets_cold_contacts_non_marketing)
        self.step(self.at(0.64) + timedelta(hours=3), self.marketer_cancels_a_pending_switch)
        self.step(self.at(0.80), self.form_resubmissions_upgrade)
        self.step(self.at(0.86), self.sales_archives_some)
        # The current billing period: pending switches that wait for the next update date.
        self.step(self.in_current_period(0.3), self.marketer_cleans_up_unengaged)
        self.step(self.in_current_period(0.4), self.marketer_sets_cold_contacts_non_marketing)
        self.step(self.in_current_period(0.5), self.marketer_cancels_a_pending_switch)
        self.step(self.in_current_period(0.6), self.sales_archives_some)
        self.step(self.in_current_period(0.7), self.sales_restores_one)
        self.step(self.in_current_period(0.8), self.visitors_use_the_tools)

    def _sample(self, queryset, share: float, minimum: int) -> list[int]:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        return self.rng.sample(ids, min(len(ids), max(minimum, round(len(ids) * share))))

    def marketer_sets_qualified_leads(self) -> None:
        """R10: the marketer sets most non-marketing qualified leads as marketing."""
        leads = _active(marketable_status=False, lifecycle_stage__in=[MQL, SQL, OPP])
        marketer = Actor.for_user(self.users["marketer"])
        contacts_set_marketing(contacts=self._sample(leads, 0.6, 1), actor=marketer, now=self.now())

    def marketer_cleans_up_unengaged(self) -> None:
        """R17: unsubscribed and hard-bounced marketing contacts become non-marketing at the next update."""
        unengaged = _active(marketable_status=True, marketable_until_renewal=False).filter(
            Q(email_subscription=EmailSubscription.UNSUBSCRIBED) | Q(email_hard_bounced=True)
        )
        contacts_set_non_marketing(contacts=unengaged, actor=Actor.for_user(self.users["marketer"]), now=self.now())

    def workflow_nurtures_chat_leads(self) -> None:
        """R18: the marketer builds a workflow that sets the contacts chatflows created as marketing and
        switches it on for those already there; from then on new chat contacts enroll as they arrive."""
        marketer = Actor.for_user(self.users["marketer"])
        chat_contacts = {"type": "property", "propertyName": "hs_object_source", "operator": "EQ", "value": "CHATFLOW"}
        workflow = workflow_create(
            name="Nurture chat leads",
            description="Contacts who started a chat are worth marketing to.",
            triggers=[{"filters": [chat_contacts]}],
            actions=[ActionSpec(ActionKind.SET_MARKETING_STATUS, {"marketing": True})],
            actor=marketer,
            now=self.now(),
        )
        workflow_enable(workflow=workflow, enroll_existing=True, actor=marketer, now=self.now())

    def marketer_sets_cold_contacts_non_marketing(self) -> None:
        """R11: some subscribers and others become pending; they flip at the next update date."""
        cold = _active(marketable_status=True, marketable_until_renewal=False, lifecycle_stage__in=[S, OTHER])
        self.pending_ids = self._sample(cold, 0.08, 3)
        marketer = Actor.for_user(self.users["marketer"])
        contacts_set_non_marketing(contacts=self.pending_ids, actor=marketer, now=self.now())

    def marketer_cancels_a_pending_switch(self) -> None:
        """R12: setting a pending contact as marketing again keeps it marketing."""
        marketer = Actor.for_user(self.users["marketer"])
        contacts_set_marketing(contacts=self.pending_ids[:1], actor=marketer, now=self.now())

    def form_resubmissions_upgrade(self) -> None:
        """R5: existing non-marketing contacts submit a form whose setting is on, and become marketing."""
        tools = [T.INTEGRATION, T.MANUAL, T.MULTI_IMPORT, T.ONE_TO_ONE_EMAIL]
        returning = _active(marketable_status=False, creation_tool__in=tools)
        form_id = self.source_id(T.HUBSPOT_FORM, "webinar-registration")
        form = Actor(ActorKind.FORM, form_id)
        contacts_set_marketing(contacts=self._sample(returning, 0.1, 1), actor=form, now=self.now())

    def sales_archives_some(self) -> None:
        """R22: sales deletes a few contacts (duplicates, spam); they stop counting at once."""
        sales = Actor.for_user(self.users["sales"])
        contacts_archive(contacts=self._sample(_active(), 0.003, 2), actor=sales, now=self.now())

    def sales_restores_one(self) -> None:
        """R22: one archived contact is restored with the status it had: a non-marketing one by sales, who
        may not put marketing contacts back on the bill (R30); a marketing one by the marketer."""
        archived = Contact.objects.filter(archived_at__isnull=False).order_by("-archived_at", "-pk")
        for user, marketing in (("sales", False), ("marketer", True)):
            latest = list(archived.filter(marketable_status=marketing).values_list("pk", flat=True)[:1])
            contacts_restore(contacts=latest, actor=Actor.for_user(self.users[user]), now=self.now())

    def visitors_use_the_tools(self) -> None:
        """Lately, through the tools' own front doors: form submissions (R5), a chat (R7), a booked meeting,
        a ticket and a logged email (R9), so that each admin page has something to show."""
        for slug, form in self.forms.items():
            source = next(source for source in SOURCES if source.source_id == slug)
            for _ in range(2):
                person = self.people.contact(source)
                values = {"email": person["email"], "firstname": person["first_name"], "lastname": person["last_name"]}
                context = {"pageUri": f"https://www.example.com/{slug}"}
                form_submit(form=form, values=values, context=context, now=self.now())
        chatflow = self.chatflows["pricing-page-chat"]
        chat = conversation_start(chatflow=chatflow, now=self.now()).conversation
        visitor = self.people.contact(SOURCES[0])
        visitor_message_post(conversation=chat, text="Hi, is there a discount for yearly plans?", now=self.now())
        visitor_message_post(conversation=chat, text=visitor["email"], now=self.now())
        sales = Actor.for_user(self.users["sales"])
        reply = "Yes: two months free. I'll send you the details."
        agent_reply(conversation=chat, text=reply, actor=sales, now=self.now())
        booker = self.people.contact(SOURCES[0])
        slot = link_free_slots(link=self.meeting_link, now=self.now())[0]
        meeting_book(
            link=self.meeting_link,
            start=slot,
            name=f"{booker['first_name']} {booker['last_name']}",
            email=booker["email"],
            now=self.now(),
        )
        requester = self.people.contact(SOURCES[0])
        ticket_create(
            subject="Cannot export my invoices", requester_email=requester["email"], actor=sales, now=self.now()
        )
        customer = _active(lifecycle_stage=CUST).exclude(email=None).order_by("pk").first()
        email_log(
            to=[customer.email],
            subject="Your renewal",
            body="Hi, a quick note about your renewal.",
            sent_at=self.now(),
            actor=sales,
            logged_on=customer,
            now=self.now(),
        )


def _title(slug: str) -> str:
    return slug.replace("-", " ").capitalize()


def _active(**filters):
    return Contact.objects.filter(archived_at__isnull=True, **filters)
