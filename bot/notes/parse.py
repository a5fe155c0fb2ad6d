"""`/note` and `/notes` as typed: `key:value` fields anywhere (values may be quoted), the rest is the text."""

from __future__ import annotations

import re

FIELDS = ("school", "student", "type", "tier", "priority", "follow_up")
FILTERS = ("school", "student", "type", "priority", "since", "author")
_ALIASES = {"followup": "follow_up", "follow-up": "follow_up", "due": "follow_up"}
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'"})
# key:"a value", key:'a value' or key:word, at the start or after a space
_FIELD = re.compile(r"""(?:^|(?<=\s))([A-Za-z_-]+):(?:"([^"]*)"|'([^']*)'|(\S*))""")


def _fields(text: str, known: tuple[str, ...]) -> dict[str, str]:
    text = text.translate(_QUOTES)
    found: dict[str, str] = {}
    kept: list[str] = []
    last = 0
    for m in _FIELD.finditer(text):
        key = _ALIASES.get(m[1].lower(), m[1].lower())
        if key not in known:
            continue  # "ratio:3" is part of the text
        kept.append(text[last : m.start()])
        last = m.end()
        found[key] = next(v for v in (m[2], m[3], m[4]) if v is not None).strip()
    kept.append(text[last:])
    found["text"] = " ".join("".join(kept).split())
    return found


def parse_note(text: str) -> dict[str, str]:
    """'/note school:RB01 type:tutoring Met with ...' -> {"school": "RB01", "type": "tutoring", "text": "Met with ..."}.

    Fields may come anywhere and in any order; a key that is not a field stays in the text."""
    return _fields(text, FIELDS)


def parse_filters(text: str) -> dict[str, str]:
    """'/notes school:"Maple PS" since:2026-09-01' -> the filters; any other words under "text"."""
    return _fields(text, FILTERS)
