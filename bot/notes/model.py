"""What a note is, what finding notes takes, and the ways a request about notes is refused."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

NOTES_CORPUS = "notes"  # the private corpus notes are searched in; never the public one
NOTE_SOURCE = "note:"  # the source of a note's passage in that corpus: "note:42"
# the one refusal, the same words whatever was asked: no count, no hint whether anything matches
REFUSAL = (
    "Intervention notes are private to the people the district has entitled to them, and you are not "
    "one of them. If you need access, ask the person who runs Resolute for your district."
)
JSON_KEYS = (
    "id",
    "school",
    "student",
    "type",
    "tier",
    "tier_from",
    "priority",
    "text",
    "follow_up",
    "author",
    "created_at",
)


@dataclass(frozen=True)
class Note:
    """A stored intervention note."""

    id: int
    school: str | None  # a school id
    student: str | None  # a local student code or initials
    type: str
    tier: int | None
    priority: str | None
    text: str
    follow_up: date | None
    author: str  # a Slack user id
    created_at: datetime  # UTC
    updated_at: datetime | None = None
    updated_by: str | None = None
    tier_from: int | None = None  # the tier the student moved from ("tier: 2->3"); None: no move recorded

    def as_dict(self) -> dict:
        """JSON-ready form, with exactly the keys of `resolute notes list --json`."""
        return {
            "id": self.id, "school": self.school, "student": self.student, "type": self.type, "tier": self.tier,
            "tier_from": self.tier_from, "priority": self.priority, "text": self.text,
            "follow_up": self.follow_up.isoformat() if self.follow_up else None,
            "author": self.author, "created_at": self.created_at.isoformat(),
        }  # fmt: skip


def fields_hash(*, author: str, created_at: datetime, draft: Draft | Note) -> str:
    """A one-way hash of a note's every field: what a deleted note leaves behind (note_tombstones), so an
    import can recognise it without anything readable being kept, and how an import knows a stored note.

    It is the note as it comes back from a spreadsheet: its time at the whole second, in UTC (a
    spreadsheet saves 10:00:00 for 10:00:00.123456), its text with line endings as \\n and no whitespace
    at the end of a line (a spreadsheet may save \\r\\n, or drop trailing spaces); every other field
    exactly as it is."""
    second = created_at.astimezone(UTC).replace(microsecond=0)
    held = [author, second.isoformat(), draft.school, draft.student, draft.type, draft.tier, draft.priority,
            _lines(draft.text), draft.follow_up.isoformat() if draft.follow_up else None]  # fmt: skip
    if draft.tier_from is not None:  # a note without a move hashes as it did before moves were recorded
        held.append(draft.tier_from)
    return hashlib.sha256(json.dumps(held, ensure_ascii=False).encode()).hexdigest()


def _lines(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


@dataclass(frozen=True)
class Draft:
    """The validated fields of a new or edited note."""

    text: str
    school: str | None = None
    student: str | None = None
    type: str = "other"
    tier: int | None = None
    priority: str | None = None
    follow_up: date | None = None
    tier_from: int | None = None


@dataclass(frozen=True)
class Filters:
    """What a listing or an export is narrowed to (all optional)."""

    school: str | None = None
    student: str | None = None
    type: str | None = None
    priority: str | None = None
    since: date | None = None
    author: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of a listing, newest first; `more` is the cursor of the next page (None at the end)."""

    notes: list[Note]
    more: str | None


class NotEntitled(Exception):
    """The person is not entitled to notes; says only the one refusal."""

    def __init__(self) -> None:
        super().__init__(REFUSAL)


class NotesOff(Exception):
    """Notes are not turned on (no [notes] section, or no district data loaded); says how to turn them on."""


class NoteProblem(ValueError):
    """Bad input; `problems` says each thing wrong, where."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))
