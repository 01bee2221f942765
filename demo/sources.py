"""Who and what the demo's contacts come from: its creation sources (every creation tool, R2–R9), HubSpot's
sample contacts, the marketer's tool settings and the demo's users."""

from dataclasses import dataclass

from django.db.models import Q

from marketing_status.actors import ActorKind
from marketing_status.policy import CreationTool

ADMIN_USERNAME = "admin"

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
TOOL_ACTOR_KINDS = {
    T.HUBSPOT_FORM: ActorKind.FORM,
    T.NON_HUBSPOT_FORM: ActorKind.FORM,
    T.CHATFLOW: ActorKind.CHATFLOW,
    T.INTEGRATION: ActorKind.INTEGRATION,
    T.IMPORT: ActorKind.IMPORT,
    T.MULTI_IMPORT: ActorKind.IMPORT,
}
