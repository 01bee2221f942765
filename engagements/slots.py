"""Meeting slots: pure functions of a weekly availability, a duration, a horizon and the current time.

Availability is wall-clock time in the account time zone (`TIME_ZONE`), so a 09:00 window stays at
09:00 across daylight-saving changes. A slot that does not exist on the clock (inside a spring-forward
gap) is skipped; slots are returned in UTC, sorted.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, order=True)
class Window:
    """Weekly availability: `weekday` 0 (Monday) … 6 (Sunday), from `start` to `end` (wall-clock times)."""

    weekday: int
    start: time
    end: time


class WindowsInvalid(ValueError):
    """The windows overlap, are empty or name no weekday."""


def windows_check(windows: Iterable[Window]) -> list[Window]:
    """The windows sorted; `WindowsInvalid` when one is empty or two on the same day overlap."""
    ordered = sorted(windows)
    for index, window in enumerate(ordered):
        if not 0 <= window.weekday <= 6:
            raise WindowsInvalid(f"{window.weekday} is not a weekday (0 Monday … 6 Sunday).")
        if window.end <= window.start:
            raise WindowsInvalid(f"{WEEKDAYS[window.weekday]}: {window.start:%H:%M} is not before {window.end:%H:%M}.")
        previous = ordered[index - 1] if index else None
        if previous and previous.weekday == window.weekday and window.start < previous.end:
            raise WindowsInvalid(
                f"{WEEKDAYS[window.weekday]}: {previous.start:%H:%M}–{previous.end:%H:%M} and "
                f"{window.start:%H:%M}–{window.end:%H:%M} overlap."
            )
    return ordered


def _on_clock(day: date, moment: time, zone: tzinfo) -> datetime | None:
    """`day` at wall-clock `moment` in `zone`, in UTC; None when a clock change skips that time. A time
    that happens twice (clocks going back) is its first occurrence."""
    local = datetime.combine(day, moment, tzinfo=zone)
    moment_utc = local.astimezone(UTC)
    if moment_utc.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return moment_utc


def _day_slots(day: date, windows: Sequence[Window], duration: timedelta, zone: tzinfo) -> Iterator[datetime]:
    for window in windows:
        if window.weekday != day.weekday():
            continue
        start = datetime.combine(day, window.start)
        last = datetime.combine(day, window.end) - duration
        while start <= last:
            slot = _on_clock(day, start.time(), zone)
            if slot is not None:
                yield slot
            start += duration


def horizon_days(*, now: datetime, days_ahead: int, zone: tzinfo) -> list[date]:
    """Today (in `zone`) and the next `days_ahead` days: the days a link offers."""
    today = now.astimezone(zone).date()
    return [today + timedelta(days=offset) for offset in range(days_ahead + 1)]


def schedule_slots(
    *, windows: Sequence[Window], duration_minutes: int, days_ahead: int, now: datetime, zone: tzinfo
) -> list[datetime]:
    """Every slot the schedule offers after `now`, up to the end of the last day of the horizon."""
    duration = timedelta(minutes=duration_minutes)
    return [
        slot
        for day in horizon_days(now=now, days_ahead=days_ahead, zone=zone)
        for slot in _day_slots(day, windows, duration, zone)
        if slot > now
    ]


def is_scheduled(
    *, start: datetime, windows: Sequence[Window], duration_minutes: int, days_ahead: int, now: datetime, zone: tzinfo
) -> bool:
    """Is `start` one of the schedule's slots after `now` (computing only that day's slots)?"""
    if start <= now:
        return False
    day = start.astimezone(zone).date()
    if day not in horizon_days(now=now, days_ahead=days_ahead, zone=zone):
        return False
    return start in set(_day_slots(day, windows, timedelta(minutes=duration_minutes), zone))
