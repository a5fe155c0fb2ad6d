"""When a week's check-in happens: each member's prompt at their own local time, the reminder, the close.

A check-in week is an ISO week ('2026-W48'). The prompt is at the schedule's day and time in each
member's own time zone, so 09:00 is 09:00 for everyone, across daylight-saving changes (zoneinfo
gives each date its own offset); the close is in the district's time zone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.district.config import DAYS, CheckinsConfig


def week_of(moment: datetime) -> str:
    """ISO week key of a moment, as its own clock reads it: '2026-W48'."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def monday(week: str) -> date:
    """The Monday that starts an ISO week key."""
    return date.fromisocalendar(int(week[:4]), int(week[6:]), 1)


def label(week: str) -> str:
    """'2026-W48' -> 'Mon 23 Nov', how the team names a week."""
    return f"{monday(week):%a %d %b}"


def shift(week: str, weeks: int) -> str:
    """The week key `weeks` later (or earlier)."""
    return week_of(datetime.combine(monday(week) + timedelta(weeks=weeks), time()))


def at(week: str, schedule: str, tz: str) -> datetime:
    """A 'mon 09:00' schedule in `week`, as a moment in time zone `tz`."""
    day, hhmm = schedule.split()
    hour, minute = map(int, hhmm.split(":"))
    when = monday(week) + timedelta(days=DAYS.index(day))
    return datetime.combine(when, time(hour, minute), tzinfo=ZoneInfo(tz))


def prompt_at(config: CheckinsConfig, week: str, tz: str) -> datetime:
    """When a member in time zone `tz` is prompted."""
    return at(week, config.prompt, tz)


def reminder_at(config: CheckinsConfig, week: str, tz: str) -> datetime:
    """When a member in time zone `tz` who has not answered is reminded."""
    return prompt_at(config, week, tz) + timedelta(minutes=config.reminder_minutes)


def close_at(config: CheckinsConfig, week: str, district_tz: str) -> datetime:
    """When the week's check-in closes and its summary goes out."""
    return at(week, config.close, district_tz)


def current_week(now: datetime, district_tz: str) -> str:
    """The week `now` falls in, on the district's clock."""
    return week_of(now.astimezone(ZoneInfo(district_tz)))


def is_open(config: CheckinsConfig, week: str, now: datetime, district_tz: str) -> bool:
    """True until the week's close."""
    return now < close_at(config, week, district_tz)
