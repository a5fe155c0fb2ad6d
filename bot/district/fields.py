"""The typed values of the district file: what each key may hold, and the message when it does not.

Each type is an `Annotated` pydantic type whose failure reads as a sentence naming the value (the key path
and line are added by `bot.district.problems`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, StringConstraints

from bot.district.problems import problem

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def rule(ok: Callable[[Any], object], message: str) -> AfterValidator:
    """A check on a value; its failure reads `message`, where {value} is the value."""

    def check(value: Any) -> Any:
        if not ok(value):
            raise problem(message.format(value=value))
        return value

    return AfterValidator(check)


def _is_zone(name: str) -> bool:
    try:
        return bool(ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError):
        return False


def _schedule(value: str) -> str:
    """'Friday 9:30' -> 'fri 09:30'."""
    m = re.fullmatch(r"(\w{3})\w*\s+(\d{1,2}):(\d{2})", value.lower())
    if not m or m[1] not in DAYS or int(m[2]) > 23 or int(m[3]) > 59:
        raise problem(f"'{value}' is not a day and a 24-hour time such as 'fri 15:00'")
    return f"{m[1]} {int(m[2]):02d}:{m[3]}"


_strip = StringConstraints(strip_whitespace=True)
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Key = Annotated[str, _strip, rule(lambda v: re.fullmatch(r"[a-z][a-z0-9_]*", v),
                                   "'{value}' must be lower-case letters, digits and _")]  # fmt: skip
Percent = Annotated[float, rule(lambda v: 0 <= v <= 100, "must be a number from 0 to 100, not {value:g}")]
Tolerance = Annotated[float, rule(lambda v: 0 <= v <= 50, "must be a number from 0 to 50, not {value:g}")]
Year = Annotated[int, rule(lambda v: 1990 <= v <= 2100, "must be a year from 1990 to 2100, not {value!r}")]
TimeZone = Annotated[Text, rule(_is_zone, "'{value}' is not an IANA time zone such as 'America/Toronto'")]
ChannelId = Annotated[str, _strip, rule(lambda v: re.fullmatch(r"[CGD][A-Z0-9]{6,}", v),
                                         "'{value}' is not a Slack channel id such as 'C0123456789'")]  # fmt: skip
Schedule = Annotated[str, _strip, AfterValidator(_schedule)]
UserId = Annotated[str, _strip, rule(lambda v: re.fullmatch(r"[UW][A-Z0-9]{2,}", v),
                                      "'{value}' is not a Slack user id such as 'U0123456789'")]  # fmt: skip
Grade = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v),
                  _strip, rule(lambda v: v.upper() == "K" or (v.isdigit() and 1 <= int(v) <= 12),
                                "'{value}' is not a grade: \"K\" or \"1\" to \"12\"")]  # fmt: skip


def _minutes(value: object) -> int:
    """'4h' -> 240, '90m' -> 90, '1h30m' -> 90, '2d' -> 2880."""
    if not isinstance(value, str):
        raise problem(f"must be a duration in quotes such as '4h', not {value!r}")
    m = re.fullmatch(r"(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?", value.strip().lower())
    if not value.strip() or not m or not any(m.groups()):
        raise problem(f"'{value}' is not a duration such as '4h', '90m' or '1d'")
    days, hours, minutes = (int(g or 0) for g in m.groups())
    return days * 1440 + hours * 60 + minutes


Minutes = Annotated[int, BeforeValidator(_minutes)]  # written '4h', kept as minutes


MAX_CLOSURE_DAYS = 366


def _closure(value: object) -> str:
    """'2026-12-21' (a day, so its week) or '2027-03-15..2027-03-19' (every week it touches), as written; a
    TOML date (unquoted) is read as its day."""
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise problem(f"must be a date in quotes such as '2026-12-21', not {value!r}")
    start, dots, end = value.strip().partition("..")
    try:
        first = date.fromisoformat(start.strip())
        last = date.fromisoformat(end.strip()) if dots else first
    except ValueError:
        raise problem(
            f"'{value}' is not a date ('2026-12-21') or a range of dates ('2027-03-15..2027-03-19')"
        ) from None
    if last < first:
        raise problem(f"'{value}' ends before it starts")
    if (last - first).days >= MAX_CLOSURE_DAYS:
        raise problem(f"'{value}' is longer than a year; turn check-ins off instead (remove [checkins])")
    return f"{first}..{last}" if dots else first.isoformat()


Closure = Annotated[str, BeforeValidator(_closure)]  # weeks without a check-in: a day's week, or a range's


def closure_weeks(closure: str) -> list[str]:
    """The ISO weeks ('2026-W52') a closure touches."""
    start, _, end = closure.partition("..")
    first, last = date.fromisoformat(start), date.fromisoformat(end or start)
    mondays = range((first - timedelta(days=first.weekday())).toordinal(), last.toordinal() + 1, 7)
    return ["{}-W{:02d}".format(*date.fromordinal(d).isocalendar()[:2]) for d in mondays]


def channel_or_people(value: object, members: str) -> object:
    """ "channel" (kept as None: the channel's members) or a non-empty list of user ids, as written."""
    if value == "channel":
        return None
    if not (isinstance(value, list) and value):
        raise problem(f'must be "channel" ({members}) or a list of Slack user ids such as ["U0123456789"]')
    return value


def week_minute(schedule: str) -> int:
    """Minutes from Monday 00:00 to a 'mon 09:00' schedule."""
    day, time = schedule.split()
    hour, minute = map(int, time.split(":"))
    return DAYS.index(day) * 1440 + hour * 60 + minute
