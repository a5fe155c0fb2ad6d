"""What a check-in button or form carries: made here and read back here; anything else is not Resolute's.

A value a person could have altered (a forged payload, a button from an older version) reads as None, and the
caller answers that the button no longer works: nothing is acted on.
"""

from __future__ import annotations

import re
from datetime import date

_ID = re.compile(r"[1-9][0-9]{0,9}")  # ASCII digits only (int() would take others, and spaces)
ID_MAX = 2**31 - 1  # ids are 32-bit integers on PostgreSQL: a larger one was never made
_WEEK = re.compile(r"(2[0-9]{3})-W([0-9]{2})")
_USER = re.compile(r"[UW][A-Z0-9]{1,40}")


def read_id(value: object) -> int | None:
    """An item's or a request's id as its button carries it; None for anything Resolute did not make."""
    if not isinstance(value, str) or not _ID.fullmatch(value) or int(value) > ID_MAX:
        return None
    return int(value)


def read_week(value: object) -> str | None:
    """A week key ('2026-W44') as a form carries it; None for anything Resolute did not make."""
    match = _WEEK.fullmatch(value) if isinstance(value, str) else None
    try:
        return value if match and date.fromisocalendar(int(match[1]), int(match[2]), 1) else None
    except ValueError:  # a 53rd week in a year of 52
        return None


def read_user(value: object) -> str | None:
    """A Slack user id as a person picker gives it; None for anything else."""
    return value if isinstance(value, str) and _USER.fullmatch(value) else None


def clear_value(week: str, count: int, newest: int) -> str:
    """What a clear button (or the confirmation over an emptied form) carries: the week and what it was shown."""
    return f"{week}/{count}/{newest}"


def read_clear(value: object) -> tuple[str, int, int] | None:
    """(week, count, newest) from `clear_value`; None for anything Resolute did not make."""
    parts = value.split("/") if isinstance(value, str) else []
    if len(parts) != 3:
        return None
    week, count, newest = read_week(parts[0]), read_id(parts[1]), read_id(parts[2])
    return (week, count, newest) if week and count and newest else None
