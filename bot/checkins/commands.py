"""`/checkin` as typed, parsed into what to do; anything it cannot read says what is wrong."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

USAGE = (
    "`/checkin` opens your check-in · `/checkin literacy: what you did` adds an item under a priority · "
    "`/checkin other: what else took your time` · `/checkin support @person: what you need` · "
    "`/checkin skip` skips this week · `/checkin clear` withdraws everything you filed this week · "
    "`/checkin away YYYY-MM-DD` pauses prompts until then, `/checkin back` ends it sooner · "
    "`/checkin status` shows what you have filed · `/checkin history` your last weeks' items · "
    "`/checkin summary` shows the summary so far"
)
ECHO_CHARS = 200  # a refusal repeats at most this much of what was typed
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_WORDS = {"skip", "away", "back", "clear", "status", "history", "summary", "help"}
_DASHES = "-–—"


def echo(text: str) -> str:
    """What a refusal repeats of what was typed: its first ECHO_CHARS characters, an ellipsis if cut."""
    return text if len(text) <= ECHO_CHARS else text[: ECHO_CHARS - 1].rstrip() + "…"


def invisible(text: str) -> bool:
    """Nothing to read: only spaces and format characters (zero-width spaces and joiners, soft hyphens)."""
    return all(c.isspace() or unicodedata.category(c) == "Cf" for c in text)


class BadCommand(Exception):
    """What is wrong with a /checkin, in words for the person who typed it."""


@dataclass(frozen=True)
class Command:
    verb: str  # open | item | support | skip | away | back | clear | status | history | summary | help
    field: str | None = None  # did | other, for an item
    priority: str | None = None  # for an item filed under a priority
    person: str | None = None  # for support
    text: str = ""
    until: date | None = None  # for away


def parse(text: str, priority_keys: list[str], *, today: date) -> Command:
    """Read `/checkin` text; raises BadCommand with what is wrong."""
    text = " ".join(text.split())
    if not text:
        return Command("open")
    head, _, rest = text.partition(" ")
    word = head.lower()
    if word in _WORDS and ":" not in head:
        return _word(word, rest, today)
    if word.split(":")[0] == "support":  # `support @x: ...`, and `support: ...` that forgot the person
        return _support(text[len("support") :])
    key, colon, item = text.partition(":")
    key = key.strip().lower()
    bare = word.rstrip(_DASHES)
    if (not colon or " " in key) and bare in [*priority_keys, "other"] and rest.lstrip(_DASHES + " "):
        # `literacy - text`, `literacy text`: the colon is what files it
        meant = f"{bare}: {(head[len(bare) :] + ' ' + rest).lstrip(_DASHES + ' ')}"
        raise BadCommand(f"Did you mean `/checkin {echo(meant)}`? Put a colon after `{bare}`.")
    if not colon or " " in key:
        raise BadCommand(f"Resolute does not know `{echo(head)}`. {USAGE}")
    if key != "other" and key not in priority_keys:
        raise BadCommand(
            f"`{echo(key)}` is not one of the priorities ({', '.join(priority_keys)}) or `other`."
        )
    if invisible(item):
        raise BadCommand(f"Nothing to add after `{key}:`; write what you did, e.g. `/checkin {key}: ...`.")
    if key == "other":
        return Command("item", field="other", text=item.strip())
    return Command("item", field="did", priority=key, text=item.strip())


def _word(word: str, rest: str, today: date) -> Command:
    if word != "away":
        if rest:
            raise BadCommand(f"`/checkin {word}` takes nothing after it.")
        return Command(word)
    try:
        until = date.fromisoformat(rest.strip())
    except ValueError:
        raise BadCommand("`/checkin away` needs the date you are back, as YYYY-MM-DD, e.g. "
                         f"`/checkin away {today.replace(day=28).isoformat()}`.") from None  # fmt: skip
    if until <= today:
        raise BadCommand(
            f"{until.isoformat()} is not after today ({today.isoformat()}); give the date you are back."
        )
    try:
        latest = today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        latest = today + timedelta(days=365)
    if until > latest:
        raise BadCommand(f"{until.isoformat()} is more than a year away; give the date you are back, by "
                         f"{latest.isoformat()} at the latest (and `/checkin away` again then if need be).")  # fmt: skip
    return Command("away", until=until)


def _support(rest: str) -> Command:
    who, colon, what = rest.partition(":")
    people = _MENTION.findall(who)
    if not people:
        raise BadCommand("A support request needs the person you ask, picked from Slack's @ menu: "
                         "`/checkin support @person: what you need`.")  # fmt: skip
    if len(people) > 1:
        raise BadCommand("Ask one person per request: `/checkin support @person: what you need`.")
    if not colon or invisible(what):
        raise BadCommand("Say what you need after the person: `/checkin support @person: what you need`.")
    return Command("support", person=people[0], text=what.strip())
