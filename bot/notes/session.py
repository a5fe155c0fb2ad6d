"""What an entitled reader (or the operator) does with notes: the session every request goes through.

A `Session` exists only for an entitled reader or the operator at the command line (bot.notes.service
makes them), so no caller can forget the check; everything it does is kept in the audit, without the
notes' text. Here are also the rules a note's fields keep: a student reference that reads as a name is
refused, a follow-up date is not in the past, a text fits Slack's form.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from bot.csvcells import csv_text
from bot.district.config import DistrictConfig, NotesConfig
from bot.notes.model import JSON_KEYS, Draft, Filters, Note, NotEntitled, NoteProblem, Page

if TYPE_CHECKING:
    from bot.district.service import District
    from bot.notes.store import NotesStore


class NotesService(Protocol):
    """What a session asks of the notes service (`bot.notes.service.Notes`, which makes sessions)."""

    store: NotesStore
    district: District

    def settings(self) -> tuple[DistrictConfig, NotesConfig]: ...
    def config(self) -> NotesConfig: ...
    def forget_deleted(self, *, pending_only: bool = False) -> bool: ...
    def index(self, notes: list[Note]) -> None: ...
    def unindex(self, ids: list[int]) -> None: ...


log = logging.getLogger(__name__)

MAX_TEXT = 3000  # what Slack's form holds, so every note can be edited there
MAX_STUDENT = 100
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|@?([UW][A-Z0-9]{2,})")


def looks_like_a_name(ref: str) -> bool:
    """A student reference that reads like a name: one of its words (a run of letters, an apostrophe
    inside it: "O'Brien"; digits, spaces and punctuation part them) is a name's. Such a word has three
    letters or more and a vowel (y counts), and is not all capitals unless it has four letters or more:
    "Eva", "Amy 10", "jane10", "JANE10", "JaneDoe10", "Jane_Doe_10" are names; "S1234", "RB01-0042",
    "ZX-4417", "J.K.", "JK 10", "JKL", "STU1234" are codes or initials. A letter outside A to Z, accents
    aside (another alphabet), counts as a vowel; in a script without capitals (Chinese, Arabic, ...) two
    letters make a name."""
    return any(_a_name(word) for word in _WORDS.findall(ref))


_WORDS = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")


def _a_name(word: str) -> bool:
    letters = [ch for ch in word if ch.isalpha()]
    if not any(ch.isupper() or ch.islower() for ch in letters):  # no capitals to write initials or codes in
        return len(letters) >= 2
    if len(letters) < 3 or (word.isupper() and len(letters) < 4):  # initials, or a code's letters
        return False
    bare = [ch for ch in unicodedata.normalize("NFD", word.lower()) if ch.isalpha()]
    return any(ch in "aeiouy" or not "a" <= ch <= "z" for ch in bare)


def fields_of(note: Note | Draft) -> dict:
    """A note's fields without its text: what the audit keeps."""
    kept = {"school": note.school, "student": note.student, "type": note.type, "tier": note.tier,
            "tier_from": note.tier_from,
            "priority": note.priority, "follow_up": note.follow_up.isoformat() if note.follow_up else None}  # fmt: skip
    return {k: v for k, v in kept.items() if v is not None}


class Session:
    """What an entitled reader (or the operator) does with notes: each call checks what it must and is audited."""

    def __init__(self, notes: NotesService, *, actor: str, admin: bool, operator: bool = False,
                 schools: frozenset[str] | None = None) -> None:  # fmt: skip
        self.notes = notes
        self.actor = actor
        self.admin = admin
        self.operator = operator
        # a school reader's schools: every note of another school (or of none) is as if it did not exist,
        # and asking for one by its id, school or form gets the one refusal; None: every school's notes
        self.schools = schools

    def sees(self, note: Note) -> bool:
        """Whether this session may read `note` at all (a school reader: only their schools' notes)."""
        return self.schools is None or note.school in self.schools

    def _visible(self, note_id: int) -> Note | None:
        """The note, None when it is gone; NotEntitled for a school reader when it is not one of their
        schools' or is gone: whether another school's note exists is no business of theirs."""
        note = self.notes.store.get(note_id)
        if self.schools is not None and (note is None or not self.sees(note)):
            raise NotEntitled()
        return note

    def _within(self, school: str | None) -> None:
        """A school reader names only their own schools (in a filter, or as a note's school)."""
        if self.schools is not None and school not in self.schools:
            raise NotEntitled()

    # -- validating ----------------------------------------------------------------------------------
    def _today(self, now: datetime) -> date:
        config, _ = self.notes.settings()
        return now.astimezone(ZoneInfo(config.timezone)).date()

    def school(self, typed: str) -> str:
        """A school id from an id or a name (any case); NoteProblem for neither."""
        schools = self.notes.district.store.schools()
        wanted = typed.strip().lower()
        for sid, school in schools.items():
            if wanted in (sid.lower(), school.name.lower()):
                return sid
        shown = ", ".join(f"{sid} ({s.name})" for sid, s in list(schools.items())[:4])
        raise NoteProblem(
            f"school: '{typed}' is not a school; use an id or a name such as {shown or 'none loaded'}"
        )

    def _choice(self, field: str, typed: str, choices: Iterable[str], what: str) -> str:
        choices = list(choices)
        for choice in choices:
            if typed.strip().lower() == choice.lower():
                return choice
        raise NoteProblem(f"{field}: '{typed}' is not {what} ({', '.join(choices)})")

    def draft(self, fields: dict[str, str], *, now: datetime, past_ok: bool = False) -> Draft:
        """A note's fields as typed, checked: NoteProblem lists everything wrong at once."""
        _, n = self.notes.settings()
        problems: list[str] = []
        text = (fields.get("text") or "").strip()
        if not text:
            problems.append("the note is empty: write what was done after the fields")
        elif len(text) > MAX_TEXT:
            problems.append(f"the note is {len(text):,} characters; keep it under {MAX_TEXT:,}")
        values = _checked(fields, problems, {
            "school": self.school,
            "student": lambda s: self._student(s, n),
            "type": self._type,
            "tier": _tier,
            "tier_from": _one_tier,
            "priority": self._priority,
            "follow_up": lambda s: self._follow_up(s, now, past_ok),
        })  # fmt: skip
        if "type" not in values and not (fields.get("type") or "").strip():
            if "other" in n.types:
                values["type"] = "other"
            else:
                problems.append(f"type: missing; say which ({', '.join(n.types)})")
        if isinstance(values.get("tier"), tuple):  # "tier: 2->3"
            moved, values["tier"] = values["tier"]
            if values.setdefault("tier_from", moved) != moved:
                problems.append(f"tier_from: {values['tier_from']} but tier says the move was from {moved}")
        if values.get("tier_from") is not None and values.get("tier") is None:
            problems.append("tier: missing; a move needs the tier it was to (tier: 2->3)")
        elif values.get("tier_from") is not None and values["tier_from"] == values["tier"]:
            problems.append(
                f"tier: {values['tier']}->{values['tier']} is no move; write tier: {values['tier']}"
            )
        if problems:
            raise NoteProblem(problems)
        if self.schools is not None and "school" not in values:  # a school reader's note is their school's
            if len(self.schools) > 1:
                raise NoteProblem(f"school: missing; say which ({', '.join(sorted(self.schools))})")
            values["school"] = next(iter(self.schools))
        self._within(values.get("school"))
        return Draft(text=text, **values)

    def _type(self, typed: str) -> str:
        return self._choice("type", typed, self.notes.config().types, "a note type")

    def _priority(self, typed: str) -> str:
        config, _ = self.notes.settings()
        return self._choice("priority", typed, [p.key for p in config.priorities], "a priority")

    @staticmethod
    def _student(ref: str, n: NotesConfig) -> str:
        if len(ref) > MAX_STUDENT:
            raise NoteProblem(f"student: keep the reference under {MAX_STUDENT} characters")
        if not n.allow_student_names and looks_like_a_name(ref):
            raise NoteProblem(
                f"student: '{ref}' looks like a name; use the student's code or initials "
                "(the district keeps names out of notes)"
            )
        return ref

    def _follow_up(self, typed: str, now: datetime, past_ok: bool) -> date:
        try:
            day = date.fromisoformat(typed)
        except ValueError:
            raise NoteProblem(f"follow_up: '{typed}' is not a date such as 2026-12-01") from None
        today = self._today(now)
        if day < today and not past_ok:
            raise NoteProblem(f"follow_up: {typed} is in the past (today is {today.isoformat()})")
        return day

    def filters(self, fields: dict[str, str]) -> Filters:
        """`/notes` filters as typed, checked: NoteProblem for an unknown school, type, priority, date or word."""
        problems: list[str] = []
        rest = (fields.get("text") or "").strip()
        if rest:
            problems.append(
                f"'{rest}' is not a filter; use school:, student:, type:, priority:, since: or author:"
            )
        values = _checked(fields, problems, {
            "school": self.school, "student": lambda s: s, "type": self._type, "priority": self._priority,
            "since": _since, "author": _author,
        })  # fmt: skip
        if problems:
            raise NoteProblem(problems)
        if "school" in values:
            self._within(values["school"])
        return Filters(**values)

    # -- changing ------------------------------------------------------------------------------------
    def log(self, draft: Draft, *, now: datetime) -> Note:
        """Store a new note and make it searchable at once (audited, without its text)."""
        note = self.notes.store.add(draft, self.actor, now, audit=(self.actor, fields_of(draft)))
        try:
            self.notes.index([note])
        except Exception:  # not searchable means not kept: nothing half-written
            self.notes.store.delete(note.id, self.actor, now, details={"reason": "could not be indexed"})
            raise
        log.info("note %d logged", note.id)
        return note

    def _mine(self, note_id: int) -> Note:
        note = self._visible(note_id)
        if note is None:
            raise NoteProblem(f"note {note_id} no longer exists")
        if not (self.admin or note.author == self.actor):
            raise NoteProblem(f"only its author (<@{note.author}>) or an admin can change note {note_id}")
        return note

    def may_change(self, note: Note) -> bool:
        """Whether this session may edit or delete `note`."""
        return self.admin or note.author == self.actor

    def edit(self, note_id: int, draft: Draft, *, now: datetime) -> Note:
        """Replace a note's fields (its author or an admin); search sees the change at once. A follow-up date
        already past stays as it was; a changed one must not be in the past."""
        before = self._mine(note_id)  # a school reader's draft names one of their schools (draft checks)
        today = self._today(now)
        if draft.follow_up and draft.follow_up != before.follow_up and draft.follow_up < today:
            raise NoteProblem(
                f"follow_up: {draft.follow_up.isoformat()} is in the past (today is {today.isoformat()})"
            )
        details = {
            "before": fields_of(before),
            "after": fields_of(draft),
            "text_changed": draft.text != before.text,
        }
        note = self.notes.store.update(note_id, draft, self.actor, now, details=details)
        if note is None:
            raise NoteProblem(f"note {note_id} no longer exists")
        try:
            self.notes.index([note])
        except Exception:  # put the note back as it was, so the store and search agree
            old = Draft(**{k: getattr(before, k) for k in asdict(draft)})
            self.notes.store.update(note_id, old, self.actor, now, details={"reason": "could not be indexed"})
            raise
        self.notes.forget_deleted()  # the old text
        log.info("note %d edited", note_id)
        return note

    def delete(self, note_id: int, *, now: datetime) -> Note:
        """Delete a note (its author or an admin): out of search first, then out of the store."""
        note = self._mine(note_id)
        self.notes.unindex([note_id])
        self.notes.store.delete(note_id, self.actor, now, details=fields_of(note))
        self.notes.forget_deleted()
        log.info("note %d deleted", note_id)
        return note

    # -- reading -------------------------------------------------------------------------------------
    def get(self, note_id: int) -> Note | None:
        """One note, or None when it is gone (a school reader: NotEntitled unless it is one of theirs)."""
        return self._visible(note_id)

    def _since(self, filters: Filters) -> datetime | None:
        if filters.since is None:
            return None
        config, _ = self.notes.settings()
        return datetime.combine(filters.since, time(), ZoneInfo(config.timezone)).astimezone(UTC)

    def list(self, filters: Filters, *, more: str | None = None, limit: int = 10, now: datetime) -> Page:
        """A page of matching notes, newest first; `more` continues where the last page ended (audited)."""
        before = _cursor(more) if more else None
        found = self.notes.store.page(filters, since=self._since(filters), before=before, limit=limit + 1,
                                      within=self.schools)  # fmt: skip
        shown = found[:limit]
        nxt = f"{shown[-1].created_at.isoformat()}/{shown[-1].id}" if len(found) > limit else None
        self.notes.store.audit(now, self.actor, "list", None,
                               {"filters": _shown(filters), "ids": [n.id for n in shown]})  # fmt: skip
        return Page(shown, nxt)

    def export_csv(self, filters: Filters, *, now: datetime) -> str:
        """Every matching note as CSV (the JSON keys as the header), newest first (audited); a cell a
        spreadsheet would run as a formula is written as text (bot.csvcells)."""
        found = self.exported(filters, now=now)
        return csv_text(JSON_KEYS, (note.as_dict() for note in found))

    def exported(self, filters: Filters, *, now: datetime, how: str = "csv") -> list[Note]:
        """Every matching note this session may read, newest first, for an export (audited, `how` it went)."""
        found = list(self.notes.store.all(filters, since=self._since(filters), within=self.schools))
        ids = [note.id for note in found]
        self.notes.store.audit(now, self.actor, "export", None,
                               {"filters": _shown(filters), "format": how, "ids": ids})  # fmt: skip
        return found

    def timeline(self, student: str, *, now: datetime) -> list[Note]:
        """The student's notes this session may read, oldest first (audited as a read of each)."""
        found = list(self.notes.store.all(Filters(student=student), within=self.schools))[::-1]
        self.notes.store.audit(now, self.actor, "timeline", None,
                               {"filters": {"student": student}, "ids": [n.id for n in found]})  # fmt: skip
        return found

    def access(self, student: str) -> list[dict]:
        """Every read, answer, export and change of the student's stored notes, newest first: an admin's or
        the operator's (a record about readers, not the notes' own words)."""
        if not self.admin:
            raise NoteProblem("a student's record of access is for the notes' admins")
        return self.notes.store.access(student)

    def audit(self, *, since: datetime | None = None) -> list[dict]:
        """The audit, oldest first: who did what to which notes, with fields but never text (the operator's)."""
        if not self.operator:
            raise NoteProblem("the audit is read with `resolute notes audit` by whoever runs Resolute")
        return self.notes.store.audit_rows(since)


def filters_from(fields: dict[str, str], session: Session) -> Filters:
    """`/notes` or `resolute notes list` filters, checked by the session."""
    return session.filters(fields)


def _checked(
    fields: dict[str, str], problems: list[str], parsers: dict[str, Callable[[str], object]]
) -> dict:
    """Each field typed, parsed by its parser; what fails is added to `problems` (every one, not the first)."""
    values: dict = {}
    for field, parse in parsers.items():
        typed = (fields.get(field) or "").strip()
        if typed:
            try:
                values[field] = parse(typed)
            except NoteProblem as exc:
                problems.extend(exc.problems)
    return values


_MOVE = re.compile(r"\s*([123])\s*(?:->|→|>|to)\s*([123])\s*")


def _tier(typed: str) -> int | tuple[int, int]:
    """A tier ("2"), or a move between tiers ("2->3", "2 → 3", "2 to 3"): (from, to)."""
    if moved := _MOVE.fullmatch(typed):
        return int(moved[1]), int(moved[2])
    if typed.strip() not in ("1", "2", "3"):
        raise NoteProblem(f"tier: '{typed}' must be 1, 2 or 3, or a move such as 2->3")
    return int(typed)


def _one_tier(typed: str) -> int:
    if typed.strip() not in ("1", "2", "3"):
        raise NoteProblem(f"tier_from: '{typed}' must be 1, 2 or 3")
    return int(typed)


def _since(typed: str) -> date:
    try:
        return date.fromisoformat(typed)
    except ValueError:
        raise NoteProblem(f"since: '{typed}' is not a date such as 2026-09-01") from None


def _author(typed: str) -> str:
    m = _USER.fullmatch(typed.strip())
    if not m:
        raise NoteProblem(f"author: '{typed}' is not a person; pick one with @")
    return m[1] or m[2]


def _cursor(more: str) -> tuple[datetime, int]:
    try:
        at, _, note_id = more.rpartition("/")
        return datetime.fromisoformat(at).astimezone(UTC), int(note_id)
    except ValueError:
        raise NoteProblem("that list has expired; run /notes again") from None


def _shown(filters: Filters) -> dict:
    return {
        k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(filters).items() if v is not None
    }
