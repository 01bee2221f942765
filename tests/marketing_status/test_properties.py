"""R1, R10–R14, R21, R22 as properties: random sequences of operations against a pure-Python model.

Each example sets up a monthly subscription (update dates on the 15th) on a frozen clock, creates a
few contacts before enabling marketing contacts, enables them, then runs random creations, switches,
archives, restores, clock advances and renewals, in chunks of 3. After every step it compares each
contact's status, pending flag, archive state and number of history rows, and the billable count,
with the model; it also checks that each contact's history is an unbroken chain ending in its
current status. Every example runs in a transaction that is rolled back.
"""

import datetime as dt
import itertools
from dataclasses import dataclass, field

import time_machine
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from billing.models import BillingPeriod
from billing.policy import BillingCycle, HubTier
from billing.selectors import marketing_count, pending_count
from billing.services import subscription_create
from contacts.models import Contact
from contacts.services import contacts_archive
from marketing_status.actors import Actor
from marketing_status.creation import RestoreResult, contacts_create, contacts_restore
from marketing_status.models import MarketingStatusChange
from marketing_status.policy import CreationTool
from marketing_status.renewal import renewals_run
from marketing_status.services import (
    contacts_set_marketing,
    contacts_set_non_marketing,
    creation_tool_setting_set,
    marketing_contacts_enable,
)

START = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
RESTORE_WINDOW = dt.timedelta(days=90)
CHUNK = 3
# The spec's defaults for tools with a setting (R5–R8); None: the creator chooses (R3, R4) or never (R9).
SETTING_DEFAULTS = {
    CreationTool.HUBSPOT_FORM: True,
    CreationTool.NON_HUBSPOT_FORM: True,
    CreationTool.CHATFLOW: False,
    CreationTool.INTEGRATION: False,
}
CHOOSING = {CreationTool.MANUAL, CreationTool.IMPORT}


# --- The reference model ---------------------------------------------------------------------------------


@dataclass
class ModelContact:
    marketing: bool | None
    pending: bool = False
    changed_at: dt.datetime | None = None
    archived_at: dt.datetime | None = None
    history: int = 0


def _update_moment(year: int, month: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, 15))


@dataclass
class Model:
    now: dt.datetime
    contacts: dict[int, ModelContact] = field(default_factory=dict)
    settings: dict[tuple[CreationTool, str], bool] = field(default_factory=dict)
    next_update: dt.datetime = field(default_factory=lambda: _update_moment(2026, 3))

    def billable(self) -> int:
        return sum(1 for c in self.contacts.values() if c.marketing and c.archived_at is None)

    def setting_key(self, tool: CreationTool, source: str) -> tuple[CreationTool, str]:
        return (tool, "" if tool == CreationTool.NON_HUBSPOT_FORM else source)  # R6: account-wide

    def new_status(self, tool: CreationTool, source: str, requested: bool) -> bool:
        if tool in CHOOSING:
            return requested
        if tool in SETTING_DEFAULTS:
            return self.settings.get(self.setting_key(tool, source), SETTING_DEFAULTS[tool])
        return False

    def change(self, contact: ModelContact, *, marketing: bool, pending: bool) -> None:
        contact.marketing, contact.pending, contact.changed_at = marketing, pending, self.now
        contact.history += 1

    def set_marketing(self, pks: set[int]) -> int:
        changed = 0
        for contact in (self.contacts[pk] for pk in pks):
            if contact.archived_at is None and (contact.marketing is False or contact.pending):
                self.change(contact, marketing=True, pending=False)  # R10, R12
                changed += 1
        return changed

    def set_non_marketing(self, pks: set[int]) -> int:
        changed = 0
        for contact in (self.contacts[pk] for pk in pks):
            if contact.archived_at is None and contact.marketing and not contact.pending:
                self.change(contact, marketing=True, pending=True)  # R11
                changed += 1
        return changed

    def renew(self) -> list[tuple[int, int]]:
        """R14: (flipped, count at close) for every update moment that has come, in order."""
        outcomes = []
        while self.next_update <= self.now:
            count_at_close = self.billable()
            flipped = 0
            for contact in self.contacts.values():
                if contact.pending and contact.changed_at <= self.next_update:
                    self.change(contact, marketing=False, pending=False)
                    flipped += 1
            outcomes.append((flipped, count_at_close))
            month = self.next_update.month
            year = self.next_update.year + (month == 12)
            self.next_update = _update_moment(year, month % 12 + 1)
        return outcomes

    def archive(self, pks: set[int]) -> int:
        archived = [self.contacts[pk] for pk in pks if self.contacts[pk].archived_at is None]
        for contact in archived:
            contact.archived_at = self.now
        return len(archived)

    def restore(self, pks: set[int]) -> RestoreResult:
        result = RestoreResult()
        for contact in (self.contacts[pk] for pk in pks):
            if contact.archived_at is None:
                continue
            if contact.archived_at >= self.now - RESTORE_WINDOW:  # R22
                contact.archived_at = None
                result.restored += 1
            else:
                result.refused += 1
        return result


# --- Operations ----------------------------------------------------------------------------------------------

picks = st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=7)
# HubSpot forms first: the simplest example (and what shrinking aims for) then creates marketing contacts.
TOOLS = [CreationTool.HUBSPOT_FORM, *(tool for tool in CreationTool if tool != CreationTool.HUBSPOT_FORM)]
switches = st.tuples(st.sampled_from(["set_marketing", "set_non_marketing"]), picks, st.booleans())
operations = st.one_of(
    st.tuples(
        st.just("create"),
        st.sampled_from(TOOLS),
        st.sampled_from(["s1", "s2"]),
        st.one_of(st.none(), st.booleans()),  # change the tool's setting first, or leave it
        st.booleans(),  # the creator's choice (R3, R4)
        st.integers(min_value=1, max_value=4),
    ),
    switches,
    switches,  # twice as likely as the others: pending contacts are what the renewal needs
    st.tuples(st.sampled_from(["archive", "restore"]), picks, st.booleans()),
    st.tuples(st.just("advance"), st.integers(min_value=1, max_value=24 * 35)),
    # Move the clock to the open period's update moment plus 0 to 48 hours (if not past it yet), then renew.
    st.tuples(st.just("renewal"), st.integers(min_value=0, max_value=48)),
    st.tuples(st.just("renewal"), st.integers(min_value=0, max_value=48)),
)


class Run:
    def __init__(self, clock, actor: Actor):
        self.clock, self.actor = clock, actor
        self.model = Model(now=START)
        self.emails = (f"p{n}@example.com" for n in itertools.count())
        self.pks: list[int] = []

    def create(self, tool, source, setting, requested, count) -> None:
        if setting is not None and tool in SETTING_DEFAULTS:
            creation_tool_setting_set(tool=tool, source_id=source, marketing_on_create=setting, actor=self.actor)
            self.model.settings[self.model.setting_key(tool, source)] = setting
        data = [{"email": next(self.emails)} for _ in range(count)]
        created = contacts_create(data=data, tool=tool, actor=self.actor, source_id=source, marketing=requested)
        marketing = self.model.new_status(tool, source, requested)
        for contact in created:
            self.model.contacts[contact.pk] = ModelContact(marketing, changed_at=self.model.now, history=1)
            self.pks.append(contact.pk)

    def advance_to(self, moment: dt.datetime) -> None:
        self.clock.move_to(moment)
        self.model.now = moment
        assert timezone.now() == moment

    def selection(self, picked: list[int], as_queryset: bool):
        pks = {self.pks[i % len(self.pks)] for i in picked}
        return pks, (Contact.objects.filter(pk__in=pks) if as_queryset else sorted(pks, reverse=True))

    def step(self, operation: tuple) -> None:
        name, *args = operation
        if name == "create":
            self.create(*args)
        elif name == "advance":
            self.advance_to(self.model.now + dt.timedelta(hours=args[0]))
        elif name == "renewal":
            update_at = BillingPeriod.objects.get(closed_at__isnull=True).update_at
            assert update_at == self.model.next_update  # R20: the 15th of each month
            self.advance_to(max(self.model.now, update_at + dt.timedelta(hours=args[0])))
            outcomes = renewals_run(chunk_size=CHUNK)
            assert [(o.flipped, o.count_at_close) for o in outcomes] == self.model.renew()
        elif self.pks:
            self.bulk(name, *args)

    def bulk(self, name: str, picked: list[int], as_queryset: bool) -> None:
        pks, selection = self.selection(picked, as_queryset)
        if name == "set_marketing":
            result = contacts_set_marketing(contacts=selection, actor=self.actor, chunk_size=CHUNK)
            assert (result.considered, result.changed) == (len(pks), self.model.set_marketing(pks))
        elif name == "set_non_marketing":
            result = contacts_set_non_marketing(contacts=selection, actor=self.actor, chunk_size=CHUNK)
            assert (result.considered, result.changed) == (len(pks), self.model.set_non_marketing(pks))
        elif name == "archive":
            assert contacts_archive(contacts=selection, actor=self.actor) == self.model.archive(pks)
        elif name == "restore":
            assert contacts_restore(contacts=selection, actor=self.actor) == self.model.restore(pks)

    def check(self) -> None:
        """The database agrees with the model, and every history is a chain ending in the current status."""
        rows = Contact.objects.order_by("pk").values_list(
            "pk", "marketable_status", "marketable_until_renewal", "archived_at"
        )
        actual = {pk: (status, pending, archived_at) for pk, status, pending, archived_at in rows}
        expected = {pk: (c.marketing, c.pending, c.archived_at) for pk, c in self.model.contacts.items()}
        assert actual == expected
        assert marketing_count() == self.model.billable()  # R21, R22
        assert pending_count() == sum(1 for c in self.model.contacts.values() if c.pending and c.archived_at is None)
        chains: dict[int, list[tuple]] = {pk: [] for pk in actual}
        history = MarketingStatusChange.objects.order_by("pk").values_list(
            "contact_id", "old_status", "old_until_renewal", "new_status", "new_until_renewal"
        )
        for contact_id, *values in history:
            chains[contact_id].append(tuple(values))
        assert {pk: len(chain) for pk, chain in chains.items()} == {
            pk: c.history for pk, c in self.model.contacts.items()
        }
        for pk, chain in chains.items():
            states = [(None, False)] + [(new, new_pending) for _, _, new, new_pending in chain]
            assert [(old, old_pending) for old, old_pending, _, _ in chain] == states[:-1], pk
            assert states[-1] == ((actual[pk][0], actual[pk][1]) if chain else (None, False)), pk


def _subscription_enabled_after(run: Run, before: int) -> None:
    subscription_create(
        hub_tier=HubTier.STARTER,
        billing_cycle=BillingCycle.MONTHLY,
        contract_start=dt.date(2026, 1, 15),
        renewal_date=dt.date(2027, 1, 15),
        contact_tier_limit=1000,
        tier_block_size=1000,
    )
    if before:
        run.create(CreationTool.MANUAL, "", None, False, before)
        for pk in run.pks:  # R1: no status before enabling, and no history
            run.model.contacts[pk] = ModelContact(None)
        run.check()
    assert marketing_contacts_enable(actor=run.actor, chunk_size=CHUNK) == before
    for contact in run.model.contacts.values():
        run.model.change(contact, marketing=False, pending=False)  # R1
    run.check()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(  # R14 late pending switch, R22 archived pending flipped then restored, restore after 90 days refused
    before=2,
    ops=[
        ("create", CreationTool.HUBSPOT_FORM, "s1", None, False, 3),
        ("set_non_marketing", [2, 3], False),
        ("archive", [3, 0], True),
        ("advance", 24 * 5),
        ("set_non_marketing", [4], False),
        ("renewal", 0),
        ("restore", [3], False),
        ("renewal", 0),
        ("advance", 24 * 35),
        ("advance", 24 * 35),
        ("advance", 24 * 35),
        ("restore", [0], True),
        ("set_marketing", [0, 1, 2, 3, 4], True),
        ("renewal", 48),
    ],
)
@example(  # chunks of 3 across every switch, settings per source, the renewal at its exact moment
    before=4,
    ops=[
        ("create", CreationTool.IMPORT, "s1", None, True, 4),
        ("create", CreationTool.CHATFLOW, "s1", True, False, 2),
        ("create", CreationTool.CHATFLOW, "s2", None, False, 2),
        ("create", CreationTool.NON_HUBSPOT_FORM, "s2", False, False, 2),
        ("create", CreationTool.NON_HUBSPOT_FORM, "s1", None, False, 1),
        ("set_non_marketing", list(range(15)), True),
        ("set_marketing", [4, 5, 6], False),
        ("renewal", 0),
        ("set_marketing", list(range(15)), False),
        ("set_non_marketing", list(range(0, 15, 2)), True),
        ("renewal", 1),
        ("archive", list(range(15)), True),
        ("restore", list(range(15)), False),
    ],
)
@given(before=st.integers(min_value=1, max_value=4), ops=st.lists(operations, min_size=8, max_size=20))
def test_r1_r10_to_r14_r21_r22_random_operations_agree_with_the_model(marketer_actor, before, ops):
    with (
        time_machine.travel(START, tick=False) as clock,
        override_settings(CRM_BULK_CHUNK_SIZE=CHUNK),
        transaction.atomic(),
    ):
        try:
            run = Run(clock, marketer_actor)
            _subscription_enabled_after(run, before)
            for operation in ops:
                run.step(operation)
                run.check()
        finally:
            transaction.set_rollback(True)
