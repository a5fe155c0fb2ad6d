"""`/note` and `/notes` as typed: the fields, then the text, kept as written.

Where a field is read (everything else is the note's text, word for word, with its quotes and line breaks):

- **A leading run**: from the start, known fields one after another, each `key:value`, `key: value`, or
  quoted `key: "two words"` (straight or smart quotes), optionally followed by a comma. The run ends at
  the first word that is not a known field; the rest is the text.
- **Anywhere after it**: `key:value` or `key:"two words"` with no space after the colon.

So "student: discussed the plan" inside the text stays text (a space after the colon, past the run), and
"Ratio 3:1" or "note:this" stays text (not a known field). A field given twice, a field with no value and
an unclosed quote are refused (NoteProblem), with what was typed.
"""

from __future__ import annotations

import re

from bot.notes.model import NoteProblem

FIELDS = ("school", "student", "type", "tier", "priority", "follow_up")
FILTERS = ("school", "student", "type", "priority", "since", "author")
_KNOWN = (*FIELDS, *FILTERS)
_ALIASES = {"followup": "follow_up", "follow-up": "follow_up", "due": "follow_up"}
# what opens a quoted value, and what may close it: people's keyboards and phones turn " into “ or ”
_DOUBLE, _SINGLE = '"\u201c\u201d\u201e\u201f', "'\u2018\u2019\u201a\u201b"
_KEY = re.compile(r"([A-Za-z][A-Za-z_-]*):")
_GAP = re.compile(r"[ \t]*")  # between a key's colon and its value: on the same line
_WORD = re.compile(r"[^\s,;]+(?:[,;]+[^\s,;]+)*")  # a value word; a comma right after it only separates
_SEPARATOR = re.compile(r"[ \t]*[,;]?")
_CUT = "\x00"  # where a field was (Slack never sends NUL)
_LINE_START = re.compile(r"^(?:[ \t]*\x00)+[ \t]*")
_CUT_OUT = re.compile(r"[ \t]*\x00")
_INLINE = re.compile(r"(?:^|(?<=\s))([A-Za-z][A-Za-z_-]*):(?=\S)")


def _key(typed: str, known: tuple[str, ...]) -> str | None:
    key = typed.lower()
    key = _ALIASES.get(key, key)
    return key if key in known else None


def _value(text: str, at: int, key: str, problems: list[str]) -> tuple[str | None, int]:
    """The value starting at `at` (quoted, or one word) and where it ends; None (and a problem) for none."""
    first = text[at : at + 1]
    for quotes in (_DOUBLE, _SINGLE):
        if first and first in quotes:
            close = next((i for i in range(at + 1, len(text)) if text[i] in quotes), -1)
            if close < 0:
                problems.append(f"{key}: the quote after '{key}:' is not closed")
                return None, len(text)
            value = text[at + 1 : close].strip()
            if value:
                return value, close + 1
            problems.append(f"{key}: the quotes after '{key}:' hold nothing")
            return None, close + 1
    word = _WORD.match(text, at)
    key_next = _KEY.match(word[0]) if word else None
    if word is None or (key_next and _key(key_next[1], _KNOWN)):  # `school: student:X`: no value
        problems.append(f"{key}: no value after '{key}:' (write {key}:VALUE; a value of several words "
                        f'goes in quotes, {key}:"two words")')  # fmt: skip
        return None, at
    return word[0], word.end()


def _fields(text: str, known: tuple[str, ...]) -> dict[str, str]:
    problems: list[str] = []
    given: dict[str, list[str]] = {}
    # the leading run: `key: value` with a space is a field only here
    at = len(text) - len(text.lstrip())
    while (m := _KEY.match(text, at)) and (key := _key(m[1], known)):
        value, at = _value(text, _GAP.match(text, m.end()).end(), key, problems)
        if value is not None:
            given.setdefault(key, []).append(value)
        at = _SEPARATOR.match(text, at).end()
        at += len(text[at:]) - len(text[at:].lstrip())
    prose = text[at:]
    # after it: `key:value` with no space, anywhere; each is cut out with the spaces around it, and a
    # line that held only fields goes with it
    kept: list[str] = []
    last = 0
    for m in _INLINE.finditer(prose):
        key = _key(m[1], known)
        if key is None or m.start() < last:
            continue  # "ratio:3" is part of the text
        value, end = _value(prose, m.end(), key, problems)
        if value is None:
            continue
        given.setdefault(key, []).append(value)
        kept += [prose[last : m.start()], _CUT]
        last = end
    kept.append(prose[last:])
    lines = [_LINE_START.sub("", line) for line in "".join(kept).split("\n")
             if _CUT not in line or line.replace(_CUT, "").strip()]  # fmt: skip
    for key, values in given.items():
        if len(values) > 1:
            shown = " and ".join(f"'{v}'" for v in values)
            problems.append(f"{key}: given {len(values)} times ({shown}); keep one")
    if problems:
        raise NoteProblem(problems)
    found = {key: values[0] for key, values in given.items()}
    found["text"] = _CUT_OUT.sub("", "\n".join(lines)).strip()
    return found


def parse_note(text: str) -> dict[str, str]:
    """'/note school: RB01 type:tutoring Met with ...' -> {"school": "RB01", "type": "tutoring", "text":
    "Met with ..."}: the fields (see the module's rules) and the text as typed; NoteProblem for a field
    given twice, with no value or with an unclosed quote."""
    return _fields(text, FIELDS)


def parse_filters(text: str) -> dict[str, str]:
    """'/notes school:"Hillcrest Elementary" since: 2026-09-01' -> the filters; any other words under "text"."""
    return _fields(text, FILTERS)
