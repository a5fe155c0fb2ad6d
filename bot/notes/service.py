"""Intervention notes: who may log and read them, their place in the notes corpus, and what the jobs need.

Every request goes through a `Session` (bot.notes.session), made here only for an entitled reader (or the
operator at the command line), so no caller can forget the check; everything a session does is kept in the
audit, without the notes' text. Each note is also a text item of the private "notes" corpus, updated at once
when the note is logged, edited or deleted, so search never quotes a note as it no longer is.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.district.config import DistrictConfig, NotesConfig
from bot.district.service import District, NotLoaded
from bot.knowledge.text_items import TextItem
from bot.notes.copies import NoteCopies
from bot.notes.model import NOTE_SOURCE, NOTES_CORPUS, Note, NotEntitled, NotesOff
from bot.notes.session import Session
from bot.notes.store import NotesStore

log = logging.getLogger(__name__)

MEMBERS_TTL = timedelta(seconds=60)  # a member who leaves the channel loses access within a minute at most


class Notes:
    """The notes service: entitlement, sessions, and what the jobs need (counts, follow-ups, retention)."""

    def __init__(self, *, store: NotesStore, district: District, ingester: Callable,
                 copies: NoteCopies) -> None:  # fmt: skip
        self.store = store
        self.district = district
        self.copies = copies  # Resolute's messages in Slack that quote a note, taken back when it goes
        self._ingester = ingester  # () -> the Ingester; loads nothing until a note is written
        self._members: dict[str, tuple[datetime, frozenset[str]]] = {}
        self._lock = threading.Lock()
        self._unforgotten = False  # a deletion whose old bytes the database could not yet overwrite

    def settings(self) -> tuple[DistrictConfig, NotesConfig]:
        """The district config and its [notes]; NotesOff says how to turn notes on."""
        try:
            config = self.district.config()
        except NotLoaded as exc:
            raise NotesOff(f"Intervention notes are off: {exc}") from None
        if config.notes is None:
            raise NotesOff(
                "Intervention notes are off: the district file has no [notes] section. "
                'Add one (readers = "channel") and run `resolute data load`.'
            )
        return config, config.notes

    def config(self) -> NotesConfig:
        """The [notes] section; NotesOff when there is none."""
        return self.settings()[1]

    # -- who is entitled -----------------------------------------------------------------------------
    def entitled(self, user: str, *, members: Callable[[str], Iterable[str]], now: datetime) -> bool:
        """Whether `user` may log and read notes now (some schools' or every school's)."""
        try:
            self.schools_for(user, members=members, now=now)
        except NotEntitled:
            return False
        return True

    def schools_for(self, user: str, *, members: Callable[[str], Iterable[str]],
                    now: datetime) -> frozenset[str] | None:  # fmt: skip
        """Whose notes `user` reads now: None for every school's (an admin, a listed reader, or with readers
        = "channel" the channel's member), their schools for a school reader; NotEntitled for no one's.
        Being listed for some schools is the narrower grant, and holds in the channel too."""
        n = self.config()
        if user in n.admins or (n.readers != "channel" and user in n.readers):
            return None
        if schools := n.schools_of(user):
            return schools
        if n.readers == "channel" and n.channel and user in self._channel(n.channel, members, now):
            return None
        raise NotEntitled()

    def _channel(
        self, channel: str, members: Callable[[str], Iterable[str]], now: datetime
    ) -> frozenset[str]:
        with self._lock:
            cached = self._members.get(channel)
        if cached and timedelta(0) <= now - cached[0] < MEMBERS_TTL:
            return cached[1]
        found = frozenset(members(channel))
        with self._lock:
            self._members[channel] = (now, found)
        return found

    def why_not_only_readers(self, channel: str, *, private: bool | None,
                             members: Callable[[str], Iterable[str]], now: datetime,
                             besides: Iterable[str] = ()) -> str | None:  # fmt: skip
        """Why someone not entitled to notes could read `channel` (None: no one could). Only a private
        channel (`private`, as Slack says; None when it does not) whose members, but `besides` (Resolute
        itself), are all entitled now: anyone in the workspace reads a public channel without joining it."""
        if private is None:
            return f"Slack did not say whether {channel} is private"
        if not private:
            return f"{channel} is a public channel: anyone in the workspace can read it without joining"
        present = set(members(channel)) - set(besides)
        if not all(self._every_school(user, members=members, now=now) for user in sorted(present)):
            return f"not everyone in {channel} is entitled to every school's notes"
        return None

    def may_read(
        self, user: str, note: Note, *, members: Callable[[str], Iterable[str]], now: datetime
    ) -> bool:
        """Whether `user` may read `note` now: entitled, and for a school reader one of their schools' (a
        reminder or a weekly message goes to its author, who may since have been narrowed to other schools, or
        whose note an admin has moved)."""
        try:
            schools = self.schools_for(user, members=members, now=now)
        except NotEntitled:
            return False
        return schools is None or note.school in schools

    def _every_school(self, user: str, *, members: Callable[[str], Iterable[str]], now: datetime) -> bool:
        try:
            return self.schools_for(user, members=members, now=now) is None
        except NotEntitled:
            return False

    def forget_members(self, channel: str) -> None:
        """Someone joined or left `channel`: ask Slack again on the next request."""
        with self._lock:
            self._members.pop(channel, None)

    def session(self, user: str, *, members: Callable[[str], Iterable[str]], now: datetime) -> Session:
        """A session for an entitled Slack user; NotEntitled (the one refusal) for anyone else."""
        schools = self.schools_for(user, members=members, now=now)  # NotEntitled: the one refusal
        return Session(self, actor=user, admin=user in self.config().admins, schools=schools)

    def operator(self, name: str) -> Session:
        """The command line: whoever runs it holds the database already; acts as an admin, audited by name."""
        self.config()
        return Session(self, actor=f"cli:{name}", admin=True, operator=True)

    # -- what the jobs need --------------------------------------------------------------------------
    def counts(self, since: datetime, until: datetime) -> dict[tuple[str, str | None], int]:
        """Notes logged in [since, until) by type and priority: counts only (the digest)."""
        return self.store.counts(since, until)

    def moves(self, since: datetime, until: datetime) -> dict[str, int]:
        """Moves between tiers recorded in [since, until): "up" (to more support), "down" (to less)."""
        return self.store.moves(since, until)

    def week_by_author(self, since: datetime, until: datetime) -> dict[str, list[Note]]:
        """Each author's notes logged in [since, until), for their own private message."""
        found: dict[str, list[Note]] = {}
        for note in self.store.between(since, until):
            found.setdefault(note.author, []).append(note)
        return found

    def due_follow_ups(self, until: date, since: date | None = None) -> list[Note]:
        """Notes whose follow-up falls on or before `until` and whose reminder has not gone out."""
        return self.store.due_follow_ups(until, since)

    def expire(self, now: datetime) -> list[int]:
        """Delete the notes older than retention_days (search first, then the rows); the audit says so."""
        days = self.config().retention_days
        ids = self.store.older_than(now - timedelta(days=days))
        if not ids:
            return []
        self.unindex(ids)
        gone = self.store.remove(
            ids, actor="resolute", action="expire", now=now, details={"retention_days": days}
        )
        self.forget_deleted()
        log.info("retention: deleted %d notes older than %d days", len(gone), days)
        return gone

    def expire_audit(self, now: datetime) -> int:
        """Remove the audit rows whose notes have all been gone for audit_retention_days (a row about no
        note: that long after it was written); how many went (the audit keeps a row saying so)."""
        days = self.config().audit_retention_days
        removed = self.store.expire_audit(now - timedelta(days=days), now=now,
                                          details={"audit_retention_days": days})  # fmt: skip
        if removed:
            log.info("audit retention: removed %d rows %d days after their notes", removed, days)
        return removed

    def shown(self, user: str, ids: list[int], *, now: datetime) -> None:
        """An answer showed `user` these notes (a search hit): kept in the audit like a listing."""
        self.store.audit(now, user, "answer", None, {"ids": sorted(ids)})

    def access(self, student: str) -> list[dict]:
        """Who read, found, exported or changed the stored notes of `student`, and when: newest first."""
        return self.store.access(student)

    def forget_deleted(self, *, pending_only: bool = False) -> bool:
        """Make a deleted note's text (or an edited one's old text) unreadable in the database's files now;
        when the database is busy it is left to the notes' tick, which calls this with `pending_only`."""
        if pending_only and not self._unforgotten:
            return True
        self._unforgotten = True
        done = self.store.forget_freed()
        self._unforgotten = not done
        if not done:
            log.info("the database was busy: deleted notes' old bytes are overwritten at the next tick")
        return done

    # -- the notes corpus ----------------------------------------------------------------------------
    def item(self, note: Note) -> TextItem:
        """A note as the notes corpus holds it, cited "Note by @author" at "date, school"."""
        config, _ = self.settings()
        names = {sid: s.name for sid, s in self.district.store.schools().items()}
        day = note.created_at.astimezone(ZoneInfo(config.timezone)).date().isoformat()
        school = names.get(note.school, note.school) if note.school else "no school"
        details = [note.type.replace("_", " ")]
        details += [f"tier {note.tier}"] if note.tier else []
        details += [f"student {note.student}"] if note.student else []
        details += [f"priority {note.priority}"] if note.priority else []
        return TextItem(id=f"{NOTE_SOURCE}{note.id}", title=f"Note by <@{note.author}>", location=f"{day}, {school}",
                        text=f"{note.text}\n({', '.join(details)})")  # fmt: skip

    def index(self, notes: list[Note]) -> None:
        """Put notes (new or changed) into the notes corpus."""
        if notes:
            self._ingester().upsert_texts(NOTES_CORPUS, [self.item(n) for n in notes])

    def unindex(self, ids: list[int]) -> None:
        """Take notes out of the notes corpus."""
        if ids:
            self._ingester().delete(NOTES_CORPUS, [f"{NOTE_SOURCE}{i}" for i in ids])
