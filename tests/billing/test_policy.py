"""Billing policy: update dates (R20) and tiers (R24), pure and exhaustive."""

import calendar
import datetime as dt

import pytest

from billing.policy import BillingCycle, check_tier, next_update_date, upgraded_limit

MONTHLY, ANNUAL = BillingCycle.MONTHLY, BillingCycle.ANNUAL


def _days(start: dt.date, end: dt.date):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def _is_update_date(day: dt.date, *, cycle: BillingCycle, renewal_date: dt.date) -> bool:
    """R20 read literally: is `day` one of the update dates?"""
    if cycle == MONTHLY:
        return day.day == min(renewal_date.day, calendar.monthrange(day.year, day.month)[1])
    return day.day == 1 or day == renewal_date


def _reference_next_update_date(*, cycle: BillingCycle, renewal_date: dt.date, today: dt.date) -> dt.date:
    """The first update date strictly after `today`, found by walking day by day."""
    day = today + dt.timedelta(days=1)
    while not _is_update_date(day, cycle=cycle, renewal_date=renewal_date):
        day += dt.timedelta(days=1)
    return day


# --- R20, monthly --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("renewal_day", "today", "expected"),
    [
        (15, dt.date(2026, 3, 10), dt.date(2026, 3, 15)),  # later this month
        (15, dt.date(2026, 3, 15), dt.date(2026, 4, 15)),  # on the update date: the next one
        (15, dt.date(2026, 3, 16), dt.date(2026, 4, 15)),
        (15, dt.date(2026, 12, 15), dt.date(2027, 1, 15)),  # December rollover
        (15, dt.date(2026, 12, 31), dt.date(2027, 1, 15)),
        (1, dt.date(2026, 12, 1), dt.date(2027, 1, 1)),
        (31, dt.date(2026, 1, 30), dt.date(2026, 1, 31)),
        (31, dt.date(2026, 1, 31), dt.date(2026, 2, 28)),  # February has no 31st: its last day
        (31, dt.date(2028, 1, 31), dt.date(2028, 2, 29)),  # leap year
        (31, dt.date(2026, 2, 28), dt.date(2026, 3, 31)),  # and back to the 31st
        (31, dt.date(2026, 3, 31), dt.date(2026, 4, 30)),
        (31, dt.date(2026, 4, 30), dt.date(2026, 5, 31)),
        (31, dt.date(2026, 12, 31), dt.date(2027, 1, 31)),
        (30, dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        (29, dt.date(2027, 2, 28), dt.date(2027, 3, 29)),
        (29, dt.date(2028, 2, 28), dt.date(2028, 2, 29)),
        (29, dt.date(2028, 2, 29), dt.date(2028, 3, 29)),
    ],
)
def test_r20_monthly_update_date_is_the_renewal_day_or_the_months_last_day(renewal_day, today, expected):
    renewal_date = dt.date(2026, 1, renewal_day)

    assert next_update_date(cycle=MONTHLY, renewal_date=renewal_date, today=today) == expected


def test_r20_monthly_uses_only_the_day_of_the_renewal_date():
    for renewal_date in (dt.date(2020, 5, 15), dt.date(2026, 1, 15), dt.date(2031, 11, 15)):
        assert next_update_date(cycle=MONTHLY, renewal_date=renewal_date, today=dt.date(2026, 6, 1)) == dt.date(
            2026, 6, 15
        )


@pytest.mark.parametrize("renewal_day", range(1, 32))
def test_r20_monthly_matches_a_day_by_day_walk_for_every_renewal_day(renewal_day):
    renewal_date = dt.date(2027, 1, renewal_day)
    for today in _days(dt.date(2027, 11, 1), dt.date(2028, 12, 31)):
        expected = _reference_next_update_date(cycle=MONTHLY, renewal_date=renewal_date, today=today)
        assert next_update_date(cycle=MONTHLY, renewal_date=renewal_date, today=today) == expected, today


# --- R20, annual ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("renewal_date", "today", "expected"),
    [
        (dt.date(2027, 1, 15), dt.date(2026, 3, 10), dt.date(2026, 4, 1)),  # first of next month
        (dt.date(2027, 1, 15), dt.date(2026, 3, 1), dt.date(2026, 4, 1)),
        (dt.date(2027, 1, 15), dt.date(2026, 12, 20), dt.date(2027, 1, 1)),  # December rollover
        (dt.date(2027, 1, 15), dt.date(2027, 1, 1), dt.date(2027, 1, 15)),  # renewal before the next 1st
        (dt.date(2027, 1, 15), dt.date(2027, 1, 14), dt.date(2027, 1, 15)),
        (dt.date(2027, 1, 15), dt.date(2027, 1, 15), dt.date(2027, 2, 1)),  # on the renewal date
        (dt.date(2027, 1, 15), dt.date(2027, 1, 20), dt.date(2027, 2, 1)),  # renewal date passed
        (dt.date(2027, 1, 31), dt.date(2027, 1, 30), dt.date(2027, 1, 31)),
        (dt.date(2027, 1, 1), dt.date(2026, 12, 31), dt.date(2027, 1, 1)),  # renewal on the 1st itself
        (dt.date(2026, 12, 31), dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
        (dt.date(2026, 12, 31), dt.date(2026, 12, 31), dt.date(2027, 1, 1)),
        (dt.date(2028, 2, 29), dt.date(2028, 2, 1), dt.date(2028, 2, 29)),
        (dt.date(2028, 2, 29), dt.date(2028, 2, 29), dt.date(2028, 3, 1)),
    ],
)
def test_r20_annual_update_date_is_the_first_of_the_month_or_the_renewal_date_if_sooner(renewal_date, today, expected):
    assert next_update_date(cycle=ANNUAL, renewal_date=renewal_date, today=today) == expected


@pytest.mark.parametrize(
    "renewal_date",
    [dt.date(2027, 1, 1), dt.date(2027, 1, 15), dt.date(2027, 2, 28), dt.date(2027, 12, 31), dt.date(2028, 2, 29)],
)
def test_r20_annual_matches_a_day_by_day_walk(renewal_date):
    for today in _days(dt.date(2026, 11, 1), dt.date(2028, 12, 31)):
        expected = _reference_next_update_date(cycle=ANNUAL, renewal_date=renewal_date, today=today)
        assert next_update_date(cycle=ANNUAL, renewal_date=renewal_date, today=today) == expected, today


@pytest.mark.parametrize("cycle", list(BillingCycle))
def test_r20_next_update_date_is_always_strictly_after_today_and_at_most_a_month_away(cycle):
    renewal_date = dt.date(2027, 1, 31)
    for today in _days(dt.date(2026, 1, 1), dt.date(2028, 12, 31)):
        update = next_update_date(cycle=cycle, renewal_date=renewal_date, today=today)
        assert today < update <= today + dt.timedelta(days=31), today


# --- R24: tiers --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "block", "count", "expected"),
    [
        (1000, 1000, 0, 1000),
        (1000, 1000, 999, 1000),
        (1000, 1000, 1000, 1000),  # full, not over
        (1000, 1000, 1001, 2000),
        (1000, 1000, 2000, 2000),
        (1000, 1000, 2001, 3000),
        (1000, 1000, 5500, 6000),
        (2000, 5000, 2001, 7000),
        (3, 2, 4, 5),
        (3, 2, 6, 7),
    ],
)
def test_r24_upgraded_limit_grows_by_whole_blocks(limit, block, count, expected):
    assert upgraded_limit(limit=limit, block_size=block, count=count) == expected


@pytest.mark.parametrize(
    ("count", "alerts", "new_limit"),
    [
        (0, (), 1000),
        (899, (), 1000),
        (900, (90,), 1000),  # R24: approaching, 90%
        (1000, (90,), 1000),  # at the limit: not exceeded
        (1001, (90, 100), 2000),  # exceeded: upgrade
        (2500, (90, 100), 3000),
    ],
)
def test_r24_check_tier_alerts_at_90_and_upgrades_above_100_percent(count, alerts, new_limit):
    check = check_tier(limit=1000, block_size=1000, count=count)

    assert (check.alerts, check.new_limit, check.upgrades) == (alerts, new_limit, 100 in alerts)


def test_r24_ninety_percent_rounds_up_for_limits_not_divisible_by_ten():
    assert check_tier(limit=15, block_size=5, count=13).alerts == ()  # 86.7%
    assert check_tier(limit=15, block_size=5, count=14).alerts == (90,)  # 93.3%
