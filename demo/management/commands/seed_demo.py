"""`manage.py seed_demo`: load a demo account once, through the services, with a year of history.

The demo replays the account's past year. The subscription starts ~11 months ago; a few contacts
exist before marketing contacts are enabled (R1); then contacts arrive week by week from every
creation tool (R2–R9); people, forms and a workflow switch statuses (R10–R12, R17); the renewal
runs at every update date that has passed (R14); a few contacts are archived and one restored (R22).

Every row is written by the service that owns it, with the date it would have had: the services read
the time from `django.utils.timezone.now`, which `_clock_at` shifts back for each step. The people,
sources and selections come from --seed (the statuses also depend on where today's update dates
fall); the passwords are random and are written to var/demo-credentials.txt.
"""

import calendar
import math
import random
import secrets
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.models import Subscription
from billing.policy import BillingCycle, HubTier, next_update_date
from billing.selectors import marketing_count, pending_count, subscription_get, update_moment
from billing.services import subscription_create
from contacts.models import Contact, EmailSubscription
from contacts.services import contacts_archive
from conversations.services import agent_reply, chatflow_create, conversation_start, visitor_message_post
from engagements.selectors import link_free_slots
from engagements.services import email_log, meeting_book, meeting_link_create, ticket_create
from engagements.slots import Window
from integrations.services import integration_create
from leadforms.services import FieldSpec, form_create, form_submit
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
from workflows.models import ActionKind
from workflows.services import ActionSpec, workflow_create, workflow_enable
from workflows.steps import workflows_run_inline

CREDENTIALS_FILE = "demo-credentials.txt"
ADMIN_USERNAME = "admin"
LOGIN_URL = "http://127.0.0.1:8000/"
MIN_CONTACTS = 50

S, L, MQL, SQL = "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead"
OPP, CUST, EVAN, OTHER = "opportunity", "customer", "evangelist", "other"


@dataclass(frozen=True)
class Source:
    """One thing that creates demo contacts: a form, a chatflow, an integration, an import, a person…"""

    tool: CreationTool
    source_id: str
    share: float  # of all contacts
    stages: tuple[str, ...]  # lifecycle stages its contacts get
    user: str = ""  # the demo user who creates them (manual creation, imports, sales tools)
    marketing: bool = False  # the creator's choice (R3) or the import's "Set all as marketing" box (R4)
    at: float | None = None  # an import happens once, at this fraction of the year; others spread out
    before_enable: bool = False  # created before marketing contacts were enabled (R1)
    no_email: float = 0.0  # share of its contacts that leave no email address


T = CreationTool
SOURCES = (
    Source(T.IMPORT, "import-01-legacy-crm", 0.010, (L, CUST, OTHER), user="admin", before_enable=True),
    Source(T.MANUAL, "", 0.020, (L, SQL, OTHER), user="marketer"),
    Source(T.MANUAL, "", 0.012, (MQL, SQL), user="marketer", marketing=True),
    Source(T.MANUAL, "", 0.030, (L, SQL, OPP, CUST), user="sales"),
    Source(T.IMPORT, "import-02-trade-show-nordics", 0.040, (L, MQL), user="marketer", marketing=True, at=0.12),
    Source(T.IMPORT, "import-03-partner-referrals", 0.030, (L, SQL), user="sales", at=0.27),
    Source(T.IMPORT, "import-04-webinar-attendees", 0.025, (L, MQL), user="marketer", marketing=True, at=0.58),
    Source(T.IMPORT, "import-05-prospect-list", 0.030, (L, OTHER), user="sales", at=0.74),
    Source(T.MULTI_IMPORT, "import-06-deals-and-contacts", 0.030, (OPP, CUST), user="sales", at=0.40),
    Source(T.MULTI_IMPORT, "import-07-helpdesk-migration", 0.020, (CUST,), user="admin", at=0.88),
    Source(T.HUBSPOT_FORM, "newsletter-signup", 0.100, (S,)),
    Source(T.HUBSPOT_FORM, "ebook-download", 0.070, (L, MQL)),
    Source(T.HUBSPOT_FORM, "webinar-registration", 0.050, (L, MQL)),
    Source(T.HUBSPOT_FORM, "demo-request", 0.040, (MQL, SQL)),
    Source(T.HUBSPOT_FORM, "careers-application", 0.020, (OTHER,)),
    Source(T.HUBSPOT_FORM, "support-request", 0.030, (CUST, EVAN)),
    Source(T.NON_HUBSPOT_FORM, "wordpress-contact-form", 0.050, (L, S)),
    Source(T.NON_HUBSPOT_FORM, "legacy-landing-page", 0.030, (S, L)),
    Source(T.CHATFLOW, "website-bot", 0.030, (L, OTHER), no_email=0.1),
    Source(T.CHATFLOW, "pricing-page-chat", 0.030, (L, MQL, SQL)),
    Source(T.CHATFLOW, "support-chat", 0.020, (CUST,)),
    Source(T.INTEGRATION, "salesforce-sync", 0.040, (SQL, OPP, CUST)),
    Source(T.INTEGRATION, "shopify-store", 0.030, (CUST, EVAN)),
    Source(T.INTEGRATION, "zapier-eventbrite", 0.020, (L, MQL)),
    Source(T.MOBILE_APP, "", 0.015, (L, SQL, OPP), user="sales"),
    Source(T.ONE_TO_ONE_EMAIL, "", 0.030, (L, SQL, OTHER), user="sales"),
    Source(T.TEAM_INBOX, "inbox-support", 0.020, (CUST, OTHER)),
    Source(T.DOCUMENT, "document-pricing-deck", 0.010, (L, SQL)),
    Source(T.MEETINGS, "meetings-sales-demo", 0.020, (SQL, OPP)),
    Source(T.EMAIL_EXTENSION, "", 0.015, (L, SQL), user="sales"),
    Source(T.TICKET, "ticket-pipeline", 0.015, (CUST,)),
    Source(T.DEAL, "", 0.010, (OPP, CUST), user="sales"),
)
# HubSpot puts two sample contacts in every new account.
SAMPLE_CONTACTS = (
    {"first_name": "Maria", "last_name": "Johnson (Sample Contact)", "email": "sample-maria@example.com"},
    {"first_name": "Brian", "last_name": "Halligan (Sample Contact)", "email": "sample-brian@example.com"},
)
# Contacts that `visitors_use_the_tools` creates through the tools' own front doors: two submissions of
# every form, a chat, a booking and a ticket.
VISITOR_CONTACTS = 2 * len({source.source_id for source in SOURCES if source.tool == CreationTool.HUBSPOT_FORM}) + 3
# "Set contacts created as marketing contacts", changed by the marketer after enabling (R5, R7, R8).
TOOL_SETTINGS = (
    (T.HUBSPOT_FORM, "careers-application", False),
    (T.HUBSPOT_FORM, "support-request", False),
    (T.CHATFLOW, "pricing-page-chat", True),
    (T.INTEGRATION, "zapier-eventbrite", True),
)
# username, first name, last name, permissions (None: a superuser has them all)
DEMO_USERS = (
    (ADMIN_USERNAME, "Alex", "Admin", None),
    (
        "marketer",
        "Maja",
        "Lindqvist",
        Q(
            content_type__app_label__in=[
                "contacts",
                "marketing_status",
                "leadforms",
                "conversations",
                "imports",
                "workflows",
            ]
        )
        | Q(content_type__app_label="billing", codename__startswith="view_"),
    ),
    (
        "sales",
        "Piotr",
        "Nowak",
        Q(content_type__app_label__in=["contacts", "engagements", "conversations"])
        | Q(content_type__app_label="marketing_status", codename__startswith="view_"),
    ),
)
_TOOL_ACTOR_KINDS = {
    T.HUBSPOT_FORM: ActorKind.FORM,
    T.NON_HUBSPOT_FORM: ActorKind.FORM,
    T.CHATFLOW: ActorKind.CHATFLOW,
    T.INTEGRATION: ActorKind.INTEGRATION,
    T.IMPORT: ActorKind.IMPORT,
    T.MULTI_IMPORT: ActorKind.IMPORT,
}


# --- People and companies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Locale:
    weight: float
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    company_suffix: str
    tld: str
    personal_domains: tuple[str, ...]
    phone: str  # "#" is a random digit


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(","))


LOCALES = (
    Locale(
        0.35,
        _names(
            "Daan, Sem, Lucas, Bram, Thijs, Jeroen, Maarten, Ruben, Pieter, Joost, Emma, Julia, Sophie, Tess, "
            "Anna, Fleur, Sanne, Lotte, Eva, Noor, Femke, Ingrid"
        ),
        _names(
            "de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Visser, Smit, Meijer, de Boer, "
            "Mulder, de Groot, Bos, Vos, Peters, Hendriks, van Leeuwen, Dekker, Brouwer"
        ),
        " B.V.",
        "nl",
        ("gmail.com", "ziggo.nl", "kpnmail.nl", "outlook.com"),
        "+31 6 #### ####",
    ),
    Locale(
        0.25,
        _names(
            "Erik, Lars, Karl, Johan, Anders, Oskar, Nils, Elias, Björn, Astrid, Karin, Elsa, Maja, Linnea, "
            "Sofia, Ebba, Freja, Saga, Åsa, Ingrid"
        ),
        _names(
            "Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Olsson, Persson, Svensson, "
            "Gustafsson, Lindqvist, Lindberg, Sjöberg, Holm, Ekström, Wallin, Lund, Åberg, Forsberg"
        ),
        " AB",
        "se",
        ("gmail.com", "telia.com", "hotmail.se", "outlook.com"),
        "+46 70 ### ## ##",
    ),
    Locale(
        0.2,
        _names(
            "Jakub, Kacper, Szymon, Michał, Piotr, Tomasz, Łukasz, Paweł, Krzysztof, Wojciech, Anna, "
            "Katarzyna, Małgorzata, Agnieszka, Zofia, Julia, Magdalena, Joanna, Ewa, Marta"
        ),
        _names(
            "Nowak, Kowalski, Wiśniewski, Wójcik, Kowalczyk, Kamiński, Lewandowski, Zieliński, Mazur, "
            "Szymański, Woźniak, Dąbrowski, Kozłowski, Jankowski, Kwiatkowski, Krawczyk, Grabowski"
        ),
        " Sp. z o.o.",
        "pl",
        ("gmail.com", "wp.pl", "onet.pl", "o2.pl"),
        "+48 5## ### ###",
    ),
    Locale(
        0.2,
        _names(
            "James, Oliver, Jack, Harry, George, Noah, Michael, David, Daniel, Emily, Olivia, Amelia, Isla, "
            "Ava, Grace, Sarah, Laura, Rachel, Hannah, Chloe"
        ),
        _names(
            "Smith, Jones, Taylor, Brown, Williams, Wilson, Johnson, Davies, Robinson, Wright, Thompson, "
            "Evans, Walker, White, Roberts, Green, Hall, Wood, Clarke, Hughes"
        ),
        " Ltd",
        "co.uk",
        ("gmail.com", "outlook.com", "yahoo.co.uk", "icloud.com"),
        "+44 7### ######",
    ),
)
COMPANY_STEMS = _names(
    "Nord, Blue, Bright, Green, Silver, Oak, Pine, Harbor, Summit, Polar, Amber, Iron, Clear, Swift, Atlas, Delta, "
    "Nova, Vista, Falcon, Maple, Cedar, River, Stone, Cloud, Orbit, Pixel, Lumen, Vector, Zenith, Tulip"
)
COMPANY_KINDS = _names(
    "Logistics, Analytics, Software, Foods, Energy, Consulting, Health, Robotics, Retail, Media, Labs, Systems, "
    "Bikes, Coffee, Architects, Finance, Marine, Textiles, Print, Security"
)
_TO_ASCII = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "ß": "ss"})


def _ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.translate(_TO_ASCII))
    return "".join(ch for ch in folded.lower() if ch.isascii() and ch.isalnum())


@dataclass(frozen=True)
class Company:
    name: str
    domain: str
    locale: Locale


class People:
    """Deterministic, realistic-looking names, companies, emails and phones (no Faker at runtime)."""

    def __init__(self, rng: random.Random, *, total: int):
        self.rng = rng
        self.emails: set[str] = set()
        self.companies = self._companies(max(10, min(600, total // 8)))

    def _companies(self, count: int) -> list[Company]:
        companies: dict[str, Company] = {}
        while len(companies) < count:
            locale = self.rng.choices(LOCALES, weights=[locale.weight for locale in LOCALES])[0]
            stem, kind = self.rng.choice(COMPANY_STEMS), self.rng.choice(COMPANY_KINDS)
            domain = f"{_ascii_slug(stem + kind)}.{locale.tld}"
            companies.setdefault(domain, Company(f"{stem} {kind}{locale.company_suffix}", domain, locale))
        return list(companies.values())

    def contact(self, source: Source) -> dict:
        """One contact's properties: ~8% unsubscribed and ~3% hard-bounced (R17, R26, R29)."""
        rng = self.rng
        company = rng.choice(self.companies)
        first, last = self._name(company.locale)
        row = {"first_name": first, "last_name": last, "company": company.name}
        row["lifecycle_stage"] = rng.choice(source.stages)
        if rng.random() >= source.no_email:
            row["email"] = self._email(first, last, company)
            row["email_hard_bounced"] = rng.random() < 0.03
        roll = rng.random()
        row["email_subscription"] = (
            EmailSubscription.UNSUBSCRIBED
            if roll < 0.08
            else EmailSubscription.SUBSCRIBED
            if roll < 0.55
            else EmailSubscription.NOT_SPECIFIED
        )
        if rng.random() < 0.4:
            row["phone"] = "".join(str(rng.randrange(10)) if ch == "#" else ch for ch in company.locale.phone)
        return row

    def _name(self, locale: Locale) -> tuple[str, str]:
        first, last = self.rng.choice(locale.first_names), self.rng.choice(locale.last_names)
        if locale.tld == "pl" and first.endswith("a") and last.endswith("ki"):
            last = last[:-1] + "a"  # Polish surnames agree in gender: Kowalski, Kowalska
        return first, last

    def _email(self, first: str, last: str, company: Company) -> str:
        f, la = _ascii_slug(first), _ascii_slug(last)
        if self.rng.random() < 0.25:
            domain = self.rng.choice(company.locale.personal_domains)
            local = self.rng.choice((f"{f}.{la}", f"{f}{la}{self.rng.randrange(60, 100)}", f"{f[0]}{la}"))
        else:
            domain, local = company.domain, self.rng.choice((f"{f}.{la}", f"{f[0]}{la}", f, f"{f}.{la[0]}"))
        email, n = f"{local}@{domain}", 1
        while email in self.emails:
            n += 1
            email = f"{local}{n}@{domain}"
        self.emails.add(email)
        return email


# --- Time ---------------------------------------------------------------------------------------------------


@contextmanager
def _clock_at(moment: datetime) -> Iterator[None]:
    """Run the services as if it were `moment`; the clock keeps ticking from there.

    Only for replaying the demo's history in one process: the services read the time from
    `django.utils.timezone.now`, so every row gets the date it would have had.
    """
    real_now = timezone.now
    offset = moment - real_now()
    with mock.patch.object(timezone, "now", lambda: real_now() + offset):
        yield


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
        self.now = timezone.now()
        self.renewal_date = timezone.localdate(self.now) + timedelta(days=25)
        self.contract_start = _years_before(self.renewal_date, 1)
        self.set_up_at = timezone.make_aware(datetime.combine(self.contract_start, time_of_day(9)))
        self.enabled_at = self.set_up_at + timedelta(days=6, hours=1)
        self.first_at = self.enabled_at + timedelta(days=1)
        self.end_at = self.now - timedelta(hours=1)
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
            self.step(moment, renewals_run)
        self.plan_history()
        for moment, _, action in sorted(self.steps, key=lambda step: step[:2]):
            with _clock_at(moment):
                action()
                workflows_run_inline()  # what the worker does right after each change (R18)

    # --- Account ----------------------------------------------------------------------------------------

    def set_up_account(self) -> None:
        """Users, the Professional subscription, the admin as billing contact, HubSpot's sample contacts."""
        self._users_create()
        subscription = subscription_create(
            hub_tier=HubTier.PROFESSIONAL,
            billing_cycle=BillingCycle.MONTHLY,
            contract_start=self.contract_start,
            renewal_date=self.renewal_date,
        )
        subscription.billing_contacts.add(self.users["admin"])
        contacts_create(data=list(SAMPLE_CONTACTS), tool=T.SAMPLE, actor=Actor.system("sample-contacts"))
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
                date_joined=timezone.now(),
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
                form = form_create(name=_title(source.source_id), fields=fields, actor=admin)
                self.tool_ids[key], self.forms[source.source_id] = form.source_id, form
            elif source.tool == T.CHATFLOW and key not in self.tool_ids:
                chatflow = chatflow_create(
                    name=_title(source.source_id),
                    welcome_message="Hi! How can we help?",
                    email_prompt="What email address can we reach you at?",
                    thanks_message="Thanks! Someone from our team will get back to you.",
                    actor=admin,
                )
                self.tool_ids[key], self.chatflows[source.source_id] = str(chatflow.pk), chatflow
            elif source.tool == T.INTEGRATION and key not in self.tool_ids:
                # Listed under Settings > Integrations; its token is not needed, the demo writes as it directly.
                integration, _token = integration_create(name=_title(source.source_id), actor=admin)
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
        )
        self.tool_ids[(T.MEETINGS, "meetings-sales-demo")] = str(self.meeting_link.pk)

    def source_id(self, tool: CreationTool, source_id: str) -> str:
        return self.tool_ids.get((tool, source_id), source_id)

    def _password(self, username: str) -> str:
        self.passwords[username] = secrets.token_urlsafe(12)
        return self.passwords[username]

    def enable_marketing_contacts(self) -> None:
        """R1 for the contacts made so far, then the marketer's choices of creation-tool settings."""
        marketing_contacts_enable(actor=Actor.for_user(self.users["admin"]))
        for tool, source_id, marketing_on_create in TOOL_SETTINGS:
            creation_tool_setting_set(
                tool=tool,
                source_id=self.source_id(tool, source_id),
                marketing_on_create=marketing_on_create,
                actor=Actor.for_user(self.users["marketer"]),
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
            )

        return create

    def _actor(self, source: Source) -> Actor:
        user = self.users.get(source.user)
        kind = _TOOL_ACTOR_KINDS.get(source.tool)
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
        contacts_set_marketing(contacts=self._sample(leads, 0.6, 1), actor=Actor.for_user(self.users["marketer"]))

    def marketer_cleans_up_unengaged(self) -> None:
        """R17: unsubscribed and hard-bounced marketing contacts become non-marketing at the next update."""
        unengaged = _active(marketable_status=True, marketable_until_renewal=False).filter(
            Q(email_subscription=EmailSubscription.UNSUBSCRIBED) | Q(email_hard_bounced=True)
        )
        contacts_set_non_marketing(contacts=unengaged, actor=Actor.for_user(self.users["marketer"]))

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
        )
        workflow_enable(workflow=workflow, enroll_existing=True, actor=marketer)

    def marketer_sets_cold_contacts_non_marketing(self) -> None:
        """R11: some subscribers and others become pending; they flip at the next update date."""
        cold = _active(marketable_status=True, marketable_until_renewal=False, lifecycle_stage__in=[S, OTHER])
        self.pending_ids = self._sample(cold, 0.08, 3)
        contacts_set_non_marketing(contacts=self.pending_ids, actor=Actor.for_user(self.users["marketer"]))

    def marketer_cancels_a_pending_switch(self) -> None:
        """R12: setting a pending contact as marketing again keeps it marketing."""
        contacts_set_marketing(contacts=self.pending_ids[:1], actor=Actor.for_user(self.users["marketer"]))

    def form_resubmissions_upgrade(self) -> None:
        """R5: existing non-marketing contacts submit a form whose setting is on, and become marketing."""
        tools = [T.INTEGRATION, T.MANUAL, T.MULTI_IMPORT, T.ONE_TO_ONE_EMAIL]
        returning = _active(marketable_status=False, creation_tool__in=tools)
        form_id = self.source_id(T.HUBSPOT_FORM, "webinar-registration")
        contacts_set_marketing(contacts=self._sample(returning, 0.1, 1), actor=Actor(ActorKind.FORM, form_id))

    def sales_archives_some(self) -> None:
        """R22: sales deletes a few contacts (duplicates, spam); they stop counting at once."""
        contacts_archive(contacts=self._sample(_active(), 0.003, 2), actor=Actor.for_user(self.users["sales"]))

    def sales_restores_one(self) -> None:
        """R22: one archived contact is restored with the status it had: a non-marketing one by sales, who
        may not put marketing contacts back on the bill (R30); a marketing one by the marketer."""
        archived = Contact.objects.filter(archived_at__isnull=False).order_by("-archived_at", "-pk")
        for user, marketing in (("sales", False), ("marketer", True)):
            latest = list(archived.filter(marketable_status=marketing).values_list("pk", flat=True)[:1])
            contacts_restore(contacts=latest, actor=Actor.for_user(self.users[user]))

    def visitors_use_the_tools(self) -> None:
        """Lately, through the tools' own front doors: form submissions (R5), a chat (R7), a booked meeting,
        a ticket and a logged email (R9), so that each admin page has something to show."""
        for slug, form in self.forms.items():
            source = next(source for source in SOURCES if source.source_id == slug)
            for _ in range(2):
                person = self.people.contact(source)
                values = {"email": person["email"], "firstname": person["first_name"], "lastname": person["last_name"]}
                form_submit(form=form, values=values, context={"pageUri": f"https://www.example.com/{slug}"})
        chatflow = self.chatflows["pricing-page-chat"]
        chat = conversation_start(chatflow=chatflow).conversation
        visitor = self.people.contact(SOURCES[0])
        visitor_message_post(conversation=chat, text="Hi, is there a discount for yearly plans?")
        visitor_message_post(conversation=chat, text=visitor["email"])
        sales = Actor.for_user(self.users["sales"])
        agent_reply(conversation=chat, text="Yes: two months free. I'll send you the details.", actor=sales)
        booker = self.people.contact(SOURCES[0])
        slot = link_free_slots(link=self.meeting_link)[0]
        meeting_book(
            link=self.meeting_link,
            start=slot,
            name=f"{booker['first_name']} {booker['last_name']}",
            email=booker["email"],
        )
        requester = self.people.contact(SOURCES[0])
        ticket_create(subject="Cannot export my invoices", requester_email=requester["email"], actor=sales)
        customer = _active(lifecycle_stage=CUST).exclude(email=None).order_by("pk").first()
        email_log(
            to=[customer.email],
            subject="Your renewal",
            body="Hi, a quick note about your renewal.",
            sent_at=timezone.now(),
            actor=sales,
            logged_on=customer,
        )


def _title(slug: str) -> str:
    return slug.replace("-", " ").capitalize()


def _active(**filters):
    return Contact.objects.filter(archived_at__isnull=True, **filters)


# --- The command --------------------------------------------------------------------------------------------


def _credentials_write(path: Path, passwords: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"Admin login: {ADMIN_USERNAME} / {passwords['admin']} at {LOGIN_URL}\n"
        f"Marketer (has Marketing contact access): marketer / {passwords['marketer']}\n"
        f"Sales (no Marketing contact access): sales / {passwords['sales']}\n"
    )
    path.chmod(0o600)


def _admin_login_line(path: Path) -> str:
    if path.exists():
        for line in path.read_text().splitlines():
            if line.startswith("Admin login:"):
                return line
    return (
        f"Admin login: {ADMIN_USERNAME} at {LOGIN_URL} (the password was set at the first seed; "
        f"set a new one with `python manage.py changepassword {ADMIN_USERNAME}`)"
    )


class Command(BaseCommand):
    help = (
        "Load the demo account once: an admin, a marketer and a sales user, a Professional subscription and "
        "contacts from every creation tool with a year of marketing-status history. Does nothing if already loaded."
    )

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, default=3000, help=f"contacts to create (>= {MIN_CONTACTS})")
        parser.add_argument("--seed", type=int, default=42, help="random seed of the generated data")

    def handle(self, *args, contacts: int, seed: int, **options):
        credentials = Path(settings.VAR_DIR) / CREDENTIALS_FILE
        if get_user_model().objects.filter(username=ADMIN_USERNAME).exists():
            self.stdout.write("Demo data is already loaded; nothing to do.")
            self.stdout.write(_admin_login_line(credentials))
            return
        if Subscription.objects.exists() or Contact.objects.exists():
            self.stdout.write("This installation already has data; seed_demo loads demo data only into an empty one.")
            return
        if contacts < MIN_CONTACTS:
            raise CommandError(f"--contacts must be at least {MIN_CONTACTS}, so that every creation tool has some")
        started = time.monotonic()
        with transaction.atomic():
            demo = Demo(total=contacts, rng=random.Random(seed))
            demo.run()
            _credentials_write(credentials, demo.passwords)
        self.stdout.write(self._summary(time.monotonic() - started))
        self.stdout.write(f"Logins are in {credentials}.")
        self.stdout.write(_admin_login_line(credentials))

    def _summary(self, seconds: float) -> str:
        subscription = subscription_get()
        active = Contact.objects.filter(archived_at__isnull=True)
        return (
            f"Loaded the demo in {seconds:.1f} s: {active.count():,} contacts, {marketing_count():,} marketing "
            f"({pending_count():,} until the next update), tier {subscription.contact_tier_limit:,}, "
            f"{subscription.periods.count()} billing periods."
        )
