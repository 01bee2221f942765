"""Billing policy: pure date and tier arithmetic, no database (R20, R24, R25)."""

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class HubTier(StrEnum):
    STARTER = "starter"
    PROFESSIONAL = "professional"
    ENTERPRISE = "enterprise"


class BillingCycle(StrEnum):
    MONTHLY = "monthly"
    ANNUAL = "annual"


ALERT_THRESHOLDS = (90, 100)  # R24: percent of the tier limit at which billing contacts hear of it


def _clamped(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def next_update_date(*, cycle: BillingCycle, renewal_date: date, today: date) -> date:
    """R20: the first update date strictly after `today`.

    Monthly: the renewal day of each month, or the month's last day when it has no such day.
    Annual: the first day of each month, or the contract renewal date when that comes first.
    """
    if cycle == BillingCycle.MONTHLY:
        candidate = _clamped(today.year, today.month, renewal_date.day)
        if candidate <= today:
            candidate = _clamped(*_next_month(today.year, today.month), renewal_date.day)
        return candidate
    first_of_next = date(*_next_month(today.year, today.month), 1)
    if today < renewal_date < first_of_next:
        return renewal_date
    return first_of_next


def next_contract_renewal(*, renewal_date: date, after: date) -> date:
    """The contract renewal that follows `after`: `renewal_date` moved on by whole contract years
    (a 29 February renewal falls on 28 February in other years)."""
    years = max(0, after.year - renewal_date.year)
    candidate = _clamped(renewal_date.year + years, renewal_date.month, renewal_date.day)
    while candidate <= after:
        years += 1
        candidate = _clamped(renewal_date.year + years, renewal_date.month, renewal_date.day)
    return candidate


def upgraded_limit(*, limit: int, block_size: int, count: int) -> int:
    """R24: the smallest limit, grown from `limit` by whole blocks, that holds `count` contacts."""
    if count <= limit:
        return limit
    blocks = -(-(count - limit) // block_size)
    return limit + blocks * block_size


@dataclass(frozen=True)
class TierCheck:
    new_limit: int
    alerts: tuple[int, ...]  # thresholds (percent of the limit in force before any upgrade) reached

    @property
    def upgrades(self) -> bool:
        return 100 in self.alerts


def check_tier(*, limit: int, block_size: int, count: int) -> TierCheck:
    """R24: the tier a count needs and which alert thresholds of the current limit it has reached.

    "Exceeds the limit" is strictly more contacts than the tier includes; at exactly the limit the
    account is full, not over.
    """
    alerts = tuple(
        threshold
        for threshold in ALERT_THRESHOLDS
        if (count > limit if threshold == 100 else count * 100 >= limit * threshold)
    )
    return TierCheck(new_limit=upgraded_limit(limit=limit, block_size=block_size, count=count), alerts=alerts)
