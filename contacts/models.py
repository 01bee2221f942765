import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.db.models.functions import Lower, Now

from contacts.vocabulary import CreationTool, ReasonType
from crm.tasks import task_send
from crm.transactions import on_commit_once

logger = logging.getLogger(__name__)


class LifecycleStage(models.TextChoices):
    SUBSCRIBER = "subscriber", "Subscriber"
    LEAD = "lead", "Lead"
    MARKETING_QUALIFIED_LEAD = "marketingqualifiedlead", "Marketing qualified lead"
    SALES_QUALIFIED_LEAD = "salesqualifiedlead", "Sales qualified lead"
    OPPORTUNITY = "opportunity", "Opportunity"
    CUSTOMER = "customer", "Customer"
    EVANGELIST = "evangelist", "Evangelist"
    OTHER = "other", "Other"


class EmailSubscription(models.TextChoices):
    NOT_SPECIFIED = "not_specified", "Not specified"
    SUBSCRIBED = "subscribed", "Subscribed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed from all email"


class Contact(models.Model):
    """A person in the CRM, with its marketing status (R2–R22).

    The four `marketable_*` fields are HubSpot's `hs_marketable_*` properties. They are written only
    by the services of `marketing_status` (creation, switches, the renewal: one write path, guarded
    set-based updates), and every change of them leaves a `MarketingStatusChange` row written in the
    same statement; `contacts.services` writes the plain properties only.
    `marketable_status` is null only until marketing contacts are enabled for the account (R1).

    Emails are stored lower-cased, so the unique constraint makes them unique case-insensitively
    among contacts that are not archived; an archived contact keeps its email for a restore (R22).
    """

    email = models.EmailField(max_length=254, null=True, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    company = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    lifecycle_stage = models.CharField(max_length=32, choices=LifecycleStage.choices, blank=True)
    email_subscription = models.CharField(
        max_length=16, choices=EmailSubscription.choices, default=EmailSubscription.NOT_SPECIFIED
    )
    email_hard_bounced = models.BooleanField(default=False)

    creation_tool = models.CharField(max_length=24, choices=CreationTool.choices())
    creation_source_id = models.CharField(max_length=64, blank=True)

    marketable_status = models.BooleanField("Marketing contact status", null=True)
    marketable_until_renewal = models.BooleanField("Marketing contact until next update", default=False)
    marketable_reason_type = models.CharField(
        "Marketing contact status source type",
        max_length=24,
        choices=ReasonType.choices(),
        blank=True,
    )
    marketable_reason_id = models.CharField("Marketing contact status source name", max_length=64, blank=True)
    marketable_status_changed_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["email"], condition=Q(archived_at__isnull=True), name="contact_email_unique"
            ),
            models.CheckConstraint(condition=Q(email=Lower("email")), name="contact_email_lowercase"),
            models.CheckConstraint(
                condition=Q(marketable_until_renewal=False) | Q(marketable_status=True),
                name="contact_pending_is_marketing",
            ),
        ]
        indexes = [
            # R21: the billable count is an index-only scan of this partial index.
            models.Index(
                fields=["id"],
                condition=Q(marketable_status=True, archived_at__isnull=True),
                name="contact_billable_idx",
            ),
            # R14: the renewal sweep reads only pending contacts.
            models.Index(fields=["id"], condition=Q(marketable_until_renewal=True), name="contact_pending_idx"),
            models.Index(fields=["archived_at"], condition=Q(archived_at__isnull=False), name="contact_archived_idx"),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email or f"Contact {self.pk}"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def hs_marketable_properties(self) -> dict[str, str]:
        """The four marketing properties with HubSpot's names and string values."""
        return {
            "hs_marketable_status": "" if self.marketable_status is None else str(self.marketable_status).lower(),
            "hs_marketable_until_renewal": str(self.marketable_until_renewal).lower(),
            "hs_marketable_reason_type": self.marketable_reason_type,
            "hs_marketable_reason_id": self.marketable_reason_id,
        }


class SavedView(models.Model):
    """A user's named view of the contacts index: its filters, sort and columns."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=100)
    query = models.TextField(blank=True, help_text="The ContactFilterSet query string.")
    sort = models.CharField(max_length=40, blank=True)
    columns = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_view_name_unique")]

    def __str__(self) -> str:
        return self.name


class ContactList(models.Model):
    """A static list of contacts, made by hand or from an index selection; usable as a filter (R17)."""

    name = models.CharField(max_length=200, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    contacts = models.ManyToManyField(Contact, through="ContactListMembership", related_name="lists")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ContactListMembership(models.Model):
    contact_list = models.ForeignKey(ContactList, on_delete=models.CASCADE, related_name="memberships")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="list_memberships")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact_list", "contact"], name="list_membership_unique")]

    def __str__(self) -> str:
        return f"{self.contact_id} in {self.contact_list_id}"


# --- Change feed ----------------------------------------------------------------------------------------
# Contacts that were created or changed, written in the same transaction as the change (an outbox), for
# consumers that must see every change after it commits (contact-based workflows). A Celery message is
# only the wake-up: the row is the fact. Nothing is written while no consumer is active, so the feed
# costs writers one short query then.
#
# Switching a consumer on races with changes in flight: a writer that saw the feed off must have
# committed before the consumer takes its first look at the contacts. Writers take an advisory lock
# shared (`feeding`), held to their commit; `ContactChangeConsumer.objects.lock_writers` takes it exclusively,
# so it waits for every writer that may have seen the feed off, and writers that come after it see it on.

CHANGE_FEED_LOCK = 0x636F6E7461637473  # pg_advisory_xact_lock key of the change feed ("contacts")


class ContactChangeQuerySet(models.QuerySet):
    def wake_reset(self, task: str) -> None:
        """The consumer `task` starts: call before it reads the feed, so that writes from now on wake it again."""
        if not settings.REDIS_URL:
            return
        from crm.redis import redis_client

        try:
            redis_client(settings.REDIS_URL).delete(_wake_key(task))
        except Exception:  # Redis away: its key expires by itself
            logger.warning("could not reset the wake-up flag of %s", task, exc_info=True)

    def feeding(self) -> list[str]:
        """The Celery task names of the active consumers (none: the feed is off). Call inside the writer's
        transaction; it holds the feed's shared lock until that transaction ends."""
        consumers = connection.ops.quote_name(ContactChangeConsumer._meta.db_table)
        select = f"SELECT task FROM {consumers} WHERE active"  # a table name from _meta
        with connection.cursor() as cursor:
            # One round trip; the SELECT is its own statement, so its snapshot is taken after the lock.
            cursor.execute(f"SELECT pg_advisory_xact_lock_shared({CHANGE_FEED_LOCK}); {select}")
            cursor.nextset()
            return [task for (task,) in cursor.fetchall()]

    def record(self, ids: Iterable[int], *, tasks: list[str] | None = None) -> bool:
        """Contacts `ids` changed: write them to the feed, when it is on, and wake its consumers after commit.

        Call inside the transaction that changed them. `tasks` is what `feeding()` returned, when the
        caller asked already. Returns whether anything was written.
        """
        ids = sorted({int(pk) for pk in ids})
        if not ids:
            return False
        tasks = self.feeding() if tasks is None else tasks
        if not tasks:
            return False
        table = connection.ops.quote_name(self.model._meta.db_table)
        with connection.cursor() as cursor:
            # The ids as one array literal: a single short parameter instead of thousands of adapted values.
            array = "{" + ",".join(map(str, ids)) + "}"
            cursor.execute(f"INSERT INTO {table} (contact_id) SELECT unnest(%s::bigint[])", [array])
        on_commit_once(("contact-changes", tuple(tasks)), lambda: _wake(tasks))
        return True


def _wake(tasks: list[str]) -> None:
    """Send each consumer's task by name (the contacts app imports no consumer), unless a wake-up of it is
    already waiting (`_wake_claim`): one queued message per consumer, however many writes commit."""
    for task in tasks:
        if not _wake_claim(task):
            continue
        try:
            task_send(task)
        except Exception:  # a lost wake-up only delays: the consumer's sweeper finds the rows
            logger.warning("could not wake %s for contact changes", task, exc_info=True)
            ContactChange.objects.wake_reset(task)


# A consumer's wake-up is "waiting" from the write that sent it until the consumer starts; meanwhile other
# writes send none. The flag is a Redis key (shared by every process), set after the writer's commit and
# deleted by the consumer *before* it reads the feed, so a write whose flag check found it set committed
# before that read and is seen by it. It expires after WAKE_TTL_SECONDS, in case its message was lost.
# Without Redis (the embedded defaults) every write sends its wake-up.
WAKE_TTL_SECONDS = 60


def _wake_key(task: str) -> str:
    return f"{settings.CRM_FEED_WAKE_PREFIX}:{task}"


def _wake_claim(task: str) -> bool:
    """Whether this write should send `task`'s wake-up: no other is waiting (or Redis cannot tell)."""
    if not settings.REDIS_URL:
        return True
    from crm.redis import redis_client

    try:
        return bool(redis_client(settings.REDIS_URL).set(_wake_key(task), "1", nx=True, ex=WAKE_TTL_SECONDS))
    except Exception:  # Redis away: send, as without Redis
        return True


class ContactChange(models.Model):
    """One change of a contact, waiting for the feed's consumer (see `ContactChangeQuerySet.record`)."""

    contact_id = models.BigIntegerField()
    changed_at = models.DateTimeField(db_default=Now())

    objects = ContactChangeQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.contact_id} changed at {self.changed_at}"


class ContactChangeConsumerQuerySet(models.QuerySet):
    def lock_writers(self) -> None:
        """Take the change feed's lock exclusively, before switching a consumer on or off (see above).

        Call inside the transaction that writes `active`: it waits for writers in flight, which may have
        seen the feed off, to commit, and makes new writers wait until this transaction ends, so that they
        see what it wrote.
        """
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT pg_advisory_xact_lock({CHANGE_FEED_LOCK})")


class ContactChangeConsumer(models.Model):
    """Who reads the change feed: while a consumer is active, writers record every change of contacts."""

    name = models.CharField(max_length=64, unique=True)
    task = models.CharField(max_length=200)
    active = models.BooleanField(default=False)

    objects = ContactChangeConsumerQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.name} ({'on' if self.active else 'off'})"
