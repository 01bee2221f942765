"""engagements.slots: a meetings link's slots from its weekly availability, pure and on a frozen `now`."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from engagements.slots import Window, WindowsInvalid, horizon_days, is_scheduled, schedule_slots, windows_check

UTC = dt.UTC
TUESDAY_NOON = dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def slots(windows, *, duration=30, days=1, now=TUESDAY_NOON, zone=UTC):
    return schedule_slots(windows=windows, duration_minutes=duration, days_ahead=days, now=now, zone=zone)


def test_slots_start_after_now_and_fit_inside_the_window():
    found = slots([Window(1, dt.time(9), dt.time(14))], duration=45)
    # Tuesday 09:00–14:00 in 45-minute slots: 09:00 … 12:45; only those after 12:00 are offered.
    assert found == [dt.datetime(2026, 3, 10, 12, 45, tzinfo=UTC)]


def test_slots_cover_today_and_the_days_ahead_on_the_windows_weekdays():
    found = slots([Window(2, dt.time(9), dt.time(10)), Window(4, dt.time(9), dt.time(10))], duration=60, days=9)
    assert found == [
        dt.datetime(2026, 3, 11, 9, tzinfo=UTC),  # Wednesday
        dt.datetime(2026, 3, 13, 9, tzinfo=UTC),  # Friday
        dt.datetime(2026, 3, 18, 9, tzinfo=UTC),  # Wednesday, 8 days on
    ]  # Friday 20 March is 10 days on: beyond the horizon


def test_availability_is_wall_clock_time_across_a_daylight_saving_change():
    # Europe/Stockholm moves from UTC+1 to UTC+2 on Sunday 2026-03-29.
    now = dt.datetime(2026, 3, 27, 12, tzinfo=UTC)  # Friday
    found = slots([Window(0, dt.time(9), dt.time(10))], duration=60, days=7, now=now, zone=STOCKHOLM)
    assert found == [dt.datetime(2026, 3, 30, 7, tzinfo=UTC)]  # Monday 09:00 in Stockholm, summer time


def test_a_time_skipped_by_the_clock_change_is_not_offered():
    now = dt.datetime(2026, 3, 28, 12, tzinfo=UTC)
    found = slots([Window(6, dt.time(1, 30), dt.time(3, 30))], duration=30, days=1, now=now, zone=STOCKHOLM)
    # 02:00–02:59 does not exist on 29 March in Stockholm.
    local = [slot.astimezone(STOCKHOLM).strftime("%H:%M") for slot in found]
    assert local == ["01:30", "03:00"]


def test_is_scheduled_agrees_with_the_slot_list():
    windows = [Window(weekday, dt.time(9), dt.time(17)) for weekday in range(5)]
    offered = slots(windows, duration=30, days=3)
    args = {"windows": windows, "duration_minutes": 30, "days_ahead": 3, "now": TUESDAY_NOON, "zone": UTC}
    assert all(is_scheduled(start=slot, **args) for slot in offered)
    assert not is_scheduled(start=dt.datetime(2026, 3, 10, 11, 30, tzinfo=UTC), **args)  # past
    assert not is_scheduled(start=dt.datetime(2026, 3, 10, 12, 15, tzinfo=UTC), **args)  # off the grid
    assert not is_scheduled(start=dt.datetime(2026, 3, 10, 16, 45, tzinfo=UTC), **args)  # ends after 17:00
    assert not is_scheduled(start=dt.datetime(2026, 3, 14, 10, tzinfo=UTC), **args)  # Saturday
    assert not is_scheduled(start=dt.datetime(2026, 3, 16, 10, tzinfo=UTC), **args)  # beyond 3 days
    assert is_scheduled(start=dt.datetime(2026, 3, 11, 11, tzinfo=ZoneInfo("Europe/Paris")), **args)  # 10:00 UTC


def test_horizon_is_today_and_the_next_days_in_the_account_time_zone():
    late = dt.datetime(2026, 3, 10, 23, 30, tzinfo=UTC)  # already Wednesday in Stockholm
    assert horizon_days(now=late, days_ahead=1, zone=STOCKHOLM) == [dt.date(2026, 3, 11), dt.date(2026, 3, 12)]


@pytest.mark.parametrize(
    ("windows", "message"),
    [
        ([Window(0, dt.time(10), dt.time(9))], "Monday: 10:00 is not before 09:00."),
        (
            [Window(2, dt.time(9), dt.time(12)), Window(2, dt.time(11), dt.time(13))],
            "Wednesday: 09:00–12:00 and 11:00–13:00 overlap.",
        ),
        ([Window(7, dt.time(9), dt.time(10))], "7 is not a weekday (0 Monday … 6 Sunday)."),
    ],
)
def test_invalid_windows_are_refused(windows, message):
    with pytest.raises(WindowsInvalid) as refused:
        windows_check(windows)
    assert str(refused.value) == message


def test_adjacent_windows_are_allowed_and_sorted():
    windows = [Window(0, dt.time(13), dt.time(17)), Window(0, dt.time(9), dt.time(13))]
    assert windows_check(windows) == [Window(0, dt.time(9), dt.time(13)), Window(0, dt.time(13), dt.time(17))]
