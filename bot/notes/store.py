"""The notes tables: the one place that reads or writes them (no permission logic: the service checks)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine, and_, delete, func, insert, or_, select, update

from bot.notes.model import Draft, Filters, Note, fields_hash
from bot.store import claims
from bot.store.engine import forget_freed
from bot.store.tables import note_access, note_audit, note_followups, note_tombstones, notes

POSTED = "posted"
FORGOTTEN = "(deleted)"  # what the audit keeps of a deleted note's student reference
_BATCH = 500
# student references a deletion looks up in the audit by SQL; more (retention) read the audit once
_NAMED_IN_SQL = 20


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; they were stored in UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _param(moment: datetime) -> datetime:
    """A moment as stored (UTC): SQLite compares the stored text, so a bound time must be in UTC too."""
    return moment.astimezone(UTC)


def _note(row) -> Note:
    return Note(id=row.id, school=row.school_id, student=row.student, type=row.type, tier=row.tier,
                priority=row.priority, text=row.text, follow_up=row.follow_up, author=row.author,
                created_at=_utc(row.created_at), updated_at=_utc(row.updated_at), updated_by=row.updated_by,
                tier_from=row.tier_from)  # fmt: skip


def _values(draft: Draft) -> dict:
    return {"school_id": draft.school, "student": draft.student,
            "student_key": draft.student.lower() if draft.student else None, "type": draft.type, "tier": draft.tier,
            "tier_from": draft.tier_from, "priority": draft.priority, "text": draft.text, "follow_up": draft.follow_up}  # fmt: skip


def _batches(values: list) -> Iterator[list]:
    for start in range(0, len(values), _BATCH):
        yield values[start : start + _BATCH]


def _fields(details: dict) -> list[dict]:
    """The fields an audit row about one note holds: its own, or an edit's before and after."""
    return [f for f in (details, details.get("before"), details.get("after")) if isinstance(f, dict)]


def _students(details: dict) -> list[str]:
    return [str(f["student"]) for f in _fields(details) if f.get("student") not in (None, FORGOTTEN)]


def _redact(details: dict, *, whole: bool, students: set[str]) -> bool:
    """Take student references out of one audit row's details: every one (`whole`: a row about a deleted
    note), else each naming one of `students` (lower case), in its fields, an edit's before and after, or
    a listing's filters; whether anything changed."""
    changed = False
    held = [(fields, whole) for fields in _fields(details)]
    filters = details.get("filters")
    if isinstance(filters, dict):
        held.append((filters, False))
    for fields, every in held:
        student = fields.get("student")
        if student not in (None, FORGOTTEN) and (every or str(student).lower() in students):
            fields["student"], changed = FORGOTTEN, True
    return changed


def _naming(student: str, *, sqlite: bool):
    """A condition that holds for each audit row naming `student` (lower case), in any case, and for a few
    more (_redact checks each row found exactly): the database finds them without reading every row in
    Python. The JSON is written with ASCII escapes, and SQL ignores the case of ASCII letters only: from a
    letter outside ASCII on, the reference is matched as a prefix."""
    written = json.dumps(student)  # as _audit's json.dumps writes it
    cut = written.find("\\u")
    pattern = f'"student": {written if cut < 0 else written[:cut]}'
    if sqlite:  # its LIKE ignores ASCII case already: lower() on every row would double the scan's cost
        return note_audit.c.details.contains(pattern, autoescape=True)
    return func.lower(note_audit.c.details).contains(pattern, autoescape=True)


@dataclass(frozen=True)
class NewNote:
    """A note to store as it is (an import): its draft, author and time."""

    draft: Draft
    author: str
    created_at: datetime


class NotesStore:
    """Repository over the notes, their audit and their follow-up claims; safe across threads and instances."""

    def __init__(self, *, engine: Engine) -> None:
        self._engine = engine

    # -- notes ---------------------------------------------------------------------------------------
    def add(self, draft: Draft, author: str, now: datetime, *, audit: tuple[str, dict] | None = None) -> Note:
        """Store a new note (and its audit row, in the same transaction)."""
        with self._engine.begin() as conn:
            note_id = conn.execute(
                insert(notes)
                .values(**_values(draft), author=author, created_at=_param(now))
                .returning(notes.c.id)
            ).scalar_one()
            if audit:
                self._audit(conn, now, audit[0], "create", note_id, audit[1])
            return _note(conn.execute(select(notes).where(notes.c.id == note_id)).one())

    def add_many(self, new: list[NewNote], *, actor: str, now: datetime, details: dict,
                 restored: Collection[str] = ()) -> list[Note]:  # fmt: skip
        """Store several notes in one transaction, with one audit row naming their ids; the tombstones of
        `restored` (hashes of deleted notes stored again) go in the same transaction."""
        with self._engine.begin() as conn:
            wanted = sorted(restored)
            for start in range(0, len(wanted), 500):
                part = wanted[start : start + 500]
                conn.execute(delete(note_tombstones).where(note_tombstones.c.hash.in_(part)))
            ids = [
                conn.execute(
                    insert(notes).values(**_values(n.draft), author=n.author, created_at=_param(n.created_at))
                    .returning(notes.c.id)
                ).scalar_one()
                for n in new
            ]  # fmt: skip
            self._audit(conn, now, actor, "import", None, {**details, "ids": ids})
            rows = (
                conn.execute(select(notes).where(notes.c.id.in_(ids)).order_by(notes.c.id)).all()
                if ids
                else []
            )
        return [_note(r) for r in rows]

    def get(self, note_id: int) -> Note | None:
        """One note, or None."""
        with self._engine.connect() as conn:
            row = conn.execute(select(notes).where(notes.c.id == note_id)).first()
        return _note(row) if row else None

    def update(self, note_id: int, draft: Draft, by: str, now: datetime, *, details: dict) -> Note | None:
        """Replace a note's fields (audited in the same transaction); None if it is gone. A student
        reference the edit took away that no stored note has any more leaves the audit, this row included."""
        with self._engine.begin() as conn:
            before = conn.execute(
                select(notes.c.follow_up, notes.c.student_key).where(notes.c.id == note_id)
            ).first()
            if before is None:
                return None
            conn.execute(
                update(notes).where(notes.c.id == note_id)
                .values(**_values(draft), updated_at=_param(now), updated_by=by)
            )  # fmt: skip
            if before.follow_up != draft.follow_up:  # a new date is reminded on, even after the old one was
                conn.execute(delete(note_followups).where(note_followups.c.note_id == note_id))
            self._audit(conn, now, by, "edit", note_id, details)
            if before.student_key and before.student_key != _values(draft)["student_key"]:
                self._forget_students(conn, {before.student_key})
            return _note(conn.execute(select(notes).where(notes.c.id == note_id)).one())

    def delete(self, note_id: int, by: str, now: datetime, *, details: dict) -> bool:
        """Delete a note and its follow-up claim (audited, its tombstone written and its student reference
        taken out of the audit, in the same transaction); False if it was gone."""
        with self._engine.begin() as conn:
            row = conn.execute(select(notes).where(notes.c.id == note_id)).first()
            gone = row is not None and conn.execute(delete(notes).where(notes.c.id == note_id)).rowcount
            if gone:
                conn.execute(delete(note_followups).where(note_followups.c.note_id == note_id))
                self._audit(conn, now, by, "delete", note_id, details)
                self._forget(conn, [_note(row)], now)  # this audit row included
        return bool(gone)

    def forget_freed(self) -> bool:
        """Make deleted and replaced notes unreadable in the database's files now; False: try later."""
        return forget_freed(self._engine)

    def older_than(self, before: datetime) -> list[int]:
        """Ids of the notes created before `before` (the ones retention deletes)."""
        with self._engine.connect() as conn:
            return list(conn.execute(select(notes.c.id).where(notes.c.created_at < _param(before))).scalars())

    def remove(self, ids: list[int], *, actor: str, action: str, now: datetime, details: dict) -> list[int]:
        """Delete several notes and their follow-up claims; one audit row names the ones that were there
        (their tombstones and the audit without their student references, in the same transaction)."""
        gone: list[Note] = []
        with self._engine.begin() as conn:
            for start in range(0, len(ids), _BATCH):
                chunk = ids[start : start + _BATCH]
                gone += [_note(r) for r in conn.execute(select(notes).where(notes.c.id.in_(chunk))).all()]
                conn.execute(delete(notes).where(notes.c.id.in_(chunk)))
                conn.execute(delete(note_followups).where(note_followups.c.note_id.in_(chunk)))
            if gone:
                self._forget(conn, gone, now)
                self._audit(conn, now, actor, action, None, {**details, "ids": sorted(n.id for n in gone)})
        return sorted(n.id for n in gone)

    @staticmethod
    def _forget(conn, gone: list[Note], now: datetime) -> None:
        """What deleted notes leave behind: a hash of each one's fields (note_tombstones, so an import can
        recognise it), and an audit that no longer names their student references: not in the rows about
        them, nor in any other row (another note's fields, an edit's before and after, a listing's
        filters) once no stored note has that reference."""
        hashes = sorted({fields_hash(author=n.author, created_at=n.created_at, draft=n) for n in gone})
        for start in range(0, len(hashes), _BATCH):
            part = hashes[start : start + _BATCH]
            there = select(note_tombstones.c.hash).where(note_tombstones.c.hash.in_(part))
            kept = set(conn.execute(there).scalars())
            new = [{"hash": h, "deleted_at": _param(now)} for h in part if h not in kept]
            if new:
                conn.execute(insert(note_tombstones), new)
        about = {n.id for n in gone}
        NotesStore._forget_students(conn, {n.student.lower() for n in gone if n.student}, about=about)

    @staticmethod
    def _forget_students(conn, students: set[str], *, about: Collection[int] = ()) -> None:
        """Every audit row naming one of `students` (lower case) that no stored note has any more reads
        FORGOTTEN there instead; the rows about the deleted notes `about` lose every reference they hold
        (and those references, which an edit may have changed, are forgotten too once no note has them)."""
        audited = select(note_audit.c.id, note_audit.c.note_id, note_audit.c.details)
        rows, shown = [], []
        for part in _batches(sorted(about)):
            rows += conn.execute(audited.where(note_audit.c.note_id.in_(part))).all()
            # the listings, timelines and exports that showed them: their student filter would say whose
            # these deleted notes were, even while the student has other notes
            showed = select(note_access.c.audit_id).where(note_access.c.note_id.in_(part))
            shown += conn.execute(
                audited.where(note_audit.c.id.in_(showed), note_audit.c.note_id.is_(None))
            ).all()
        theirs = set(students)  # the deleted notes' own references
        students = students | {s.lower() for row in rows for s in _students(json.loads(row.details))}
        still = set()
        for part in _batches(sorted(students)):
            held = select(notes.c.student_key).where(notes.c.student_key.in_(part))
            still |= set(conn.execute(held).scalars())
        forgotten = students - still
        if forgotten:  # any row may name one: a note's fields, an edit's before and after, a filter
            named = note_audit.c.details.like('%"student"%')
            if len(forgotten) <= _NAMED_IN_SQL:  # a Delete button or an edit: the database finds the few rows
                sqlite = conn.dialect.name == "sqlite"
                named = or_(*(_naming(s, sqlite=sqlite) for s in sorted(forgotten)))
            known = {row.id for row in rows}
            rows += [row for row in conn.execute(audited.where(named)).all() if row.id not in known]
        known = {row.id for row in rows}
        for row in {r.id: r for r in shown if r.id not in known}.values():
            details = json.loads(row.details)
            if _redact(details, whole=False, students=forgotten | theirs):
                conn.execute(update(note_audit).where(note_audit.c.id == row.id)
                             .values(details=json.dumps(details, sort_keys=True, default=str)))  # fmt: skip
        for row in rows:
            details = json.loads(row.details)
            if _redact(details, whole=row.note_id in about, students=forgotten):
                conn.execute(update(note_audit).where(note_audit.c.id == row.id)
                             .values(details=json.dumps(details, sort_keys=True, default=str)))  # fmt: skip

    @staticmethod
    def _where(filters: Filters, since: datetime | None, within: Collection[str] | None = None):
        conditions = []
        if within is not None:  # a school reader's schools (a note of no school is the district's)
            conditions.append(notes.c.school_id.in_(sorted(within)))
        if filters.school:
            conditions.append(notes.c.school_id == filters.school)
        if filters.student:
            conditions.append(notes.c.student_key == filters.student.lower())
        if filters.type:
            conditions.append(notes.c.type == filters.type)
        if filters.priority:
            conditions.append(notes.c.priority == filters.priority)
        if filters.author:
            conditions.append(notes.c.author == filters.author)
        if since is not None:
            conditions.append(notes.c.created_at >= _param(since))
        return and_(*conditions) if conditions else None

    def page(self, filters: Filters, *, since: datetime | None = None, before: tuple[datetime, int] | None = None,
             limit: int = 10, within: Collection[str] | None = None) -> list[Note]:  # fmt: skip
        """Up to `limit` notes, newest first, older than `before` (created_at, id): a keyset page; `within`:
        of those schools only."""
        query = select(notes).order_by(notes.c.created_at.desc(), notes.c.id.desc()).limit(limit)
        where = self._where(filters, since, within)
        if where is not None:
            query = query.where(where)
        if before is not None:
            at, note_id = _param(before[0]), before[1]
            query = query.where(
                or_(notes.c.created_at < at, and_(notes.c.created_at == at, notes.c.id < note_id))
            )
        with self._engine.connect() as conn:
            return [_note(r) for r in conn.execute(query).all()]

    def all(self, filters: Filters, *, since: datetime | None = None,
            within: Collection[str] | None = None) -> Iterator[Note]:  # fmt: skip
        """Every matching note, newest first; `within`: of those schools only."""
        query = select(notes).order_by(notes.c.created_at.desc(), notes.c.id.desc())
        where = self._where(filters, since, within)
        if where is not None:
            query = query.where(where)
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return (_note(r) for r in rows)

    def ids_within(self, schools: Collection[str]) -> set[int]:
        """The ids of the notes of these schools (what a school reader's answers may draw on)."""
        with self._engine.connect() as conn:
            found: set[int] = set()
            for part in _batches(sorted(schools)):
                found |= set(conn.execute(select(notes.c.id).where(notes.c.school_id.in_(part))).scalars())
        return found

    def between(self, since: datetime, until: datetime) -> list[Note]:
        """Notes created in [since, until), oldest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(notes).where(notes.c.created_at >= _param(since), notes.c.created_at < _param(until))
                .order_by(notes.c.created_at, notes.c.id)
            ).all()  # fmt: skip
        return [_note(r) for r in rows]

    def counts(self, since: datetime, until: datetime) -> dict[tuple[str, str | None], int]:
        """How many notes were logged in [since, until), by type and priority."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(notes.c.type, notes.c.priority, func.count())
                .where(notes.c.created_at >= _param(since), notes.c.created_at < _param(until))
                .group_by(notes.c.type, notes.c.priority)
            ).all()  # fmt: skip
        return {(r[0], r[1]): r[2] for r in rows}

    def moves(self, since: datetime, until: datetime) -> dict[str, int]:
        """Moves between tiers in the notes created in [since, until): {"up": n, "down": n}."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(notes.c.tier_from, notes.c.tier)
                .where(notes.c.created_at >= _param(since), notes.c.created_at < _param(until),
                       notes.c.tier_from.is_not(None), notes.c.tier.is_not(None))
            ).all()  # fmt: skip
        return {"up": sum(1 for a, b in rows if b > a), "down": sum(1 for a, b in rows if b < a)}

    def stored_hashes(self) -> set[str]:
        """fields_hash of every stored note: a row with the same author, time and every field is there."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(notes)).all()
        return {fields_hash(author=r.author, created_at=_utc(r.created_at), draft=_note(r)) for r in rows}

    def tombstoned(self, hashes: Iterable[str]) -> dict[str, datetime]:
        """Which of these hashes a deleted or expired note left behind (note_tombstones), with when it went."""
        found: dict[str, datetime] = {}
        wanted = sorted(set(hashes))
        with self._engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                part = wanted[start : start + 500]
                rows = conn.execute(select(note_tombstones).where(note_tombstones.c.hash.in_(part))).all()
                found |= {r.hash: _utc(r.deleted_at) for r in rows}
        return found

    # -- follow-ups ----------------------------------------------------------------------------------
    def due_follow_ups(self, until: date, since: date | None = None) -> list[Note]:
        """Notes whose follow-up date is on or before `until` (and on or after `since`), not yet sent."""
        sent = select(note_followups.c.note_id).where(note_followups.c.status == POSTED)
        query = select(notes).where(notes.c.follow_up <= until, notes.c.id.not_in(sent))
        if since is not None:
            query = query.where(notes.c.follow_up >= since)
        with self._engine.connect() as conn:
            return [_note(r) for r in conn.execute(query.order_by(notes.c.follow_up, notes.c.id)).all()]

    def claim_follow_up(self, note_id: int, now: datetime) -> bool:
        """True if this caller should send the note's follow-up reminder (see bot.store.claims)."""
        return claims.claim(self._engine, note_followups, {"note_id": note_id}, now)

    def release_follow_up(self, note_id: int) -> None:
        """Give the claim back after a failed send."""
        claims.release(self._engine, note_followups, {"note_id": note_id})

    def follow_up_sent(self, note_id: int, now: datetime) -> None:
        """Mark the reminder as sent."""
        claims.posted(self._engine, note_followups, {"note_id": note_id}, now)

    # -- audit ---------------------------------------------------------------------------------------
    @staticmethod
    def _audit(conn, at: datetime, actor: str, action: str, note_id: int | None, details: dict) -> None:
        """One audit row, linked (note_access) to every note it is about: its note_id and the ids in its
        details (a listing's, an export's, an answer's, an import's)."""
        audit_id = conn.execute(
            insert(note_audit).values(at=_param(at), actor=actor, action=action, note_id=note_id,
                                      details=json.dumps(details, sort_keys=True, default=str))
            .returning(note_audit.c.id)
        ).scalar_one()  # fmt: skip
        about = set(details.get("ids") or ()) | ({note_id} if note_id is not None else set())
        links = [{"audit_id": audit_id, "note_id": i} for i in sorted(about)]
        for part in _batches(links):
            conn.execute(insert(note_access), part)

    def audit(self, at: datetime, actor: str, action: str, note_id: int | None, details: dict) -> None:
        """Keep one audit row (listings, exports, answers that showed notes)."""
        with self._engine.begin() as conn:
            self._audit(conn, at, actor, action, note_id, details)

    def access(self, student: str) -> list[dict]:
        """Every audit row about a stored note of `student` (any case), newest first: {"at", "actor",
        "action", "notes"} with only that student's note ids. A deleted note's rows no longer name its
        student (see _forget), so they are not found here."""
        theirs = select(notes.c.id).where(notes.c.student_key == student.strip().lower())
        query = (
            select(note_audit.c.id, note_audit.c.at, note_audit.c.actor, note_audit.c.action, note_access.c.note_id)
            .join(note_access, note_access.c.audit_id == note_audit.c.id)
            .where(note_access.c.note_id.in_(theirs))
            .order_by(note_audit.c.at.desc(), note_audit.c.id.desc(), note_access.c.note_id)
        )  # fmt: skip
        found: dict[int, dict] = {}
        with self._engine.connect() as conn:
            for row in conn.execute(query):
                entry = found.setdefault(row.id, {"at": _utc(row.at), "actor": row.actor, "action": row.action,
                                                  "notes": []})  # fmt: skip
                entry["notes"].append(row.note_id)
        return list(found.values())

    def expire_audit(self, before: datetime, *, now: datetime, details: dict) -> int:
        """Delete the audit rows older than `before` whose notes are all gone, each before `before` too (a row
        outlives its notes by the audit's retention); how many went. When any went, an "expire_audit" row
        with `details` and the count says so, in the same transaction."""
        cut = _param(before)
        gone_since = (
            select(note_access.c.note_id)
            .join(note_audit, note_audit.c.id == note_access.c.audit_id)
            .where(note_audit.c.action.in_(("delete", "expire")), note_audit.c.at >= cut)
        )
        stored = select(notes.c.id)
        held = select(note_access.c.audit_id).where(
            or_(note_access.c.note_id.in_(stored), note_access.c.note_id.in_(gone_since))
        )
        # a row's own note_id holds it too: a row written without its links (an instance not yet upgraded)
        # is not taken for a row about no note
        own = or_(note_audit.c.note_id.is_(None),
                  and_(note_audit.c.note_id.not_in(stored), note_audit.c.note_id.not_in(gone_since)))  # fmt: skip
        with self._engine.begin() as conn:
            doomed = list(
                conn.execute(select(note_audit.c.id).where(note_audit.c.at < cut, note_audit.c.id.not_in(held), own))
                .scalars()
            )  # fmt: skip
            for part in _batches(doomed):
                conn.execute(delete(note_access).where(note_access.c.audit_id.in_(part)))
                conn.execute(delete(note_audit).where(note_audit.c.id.in_(part)))
            if doomed:
                self._audit(conn, now, "resolute", "expire_audit", None, {**details, "rows": len(doomed)})
        return len(doomed)

    def audit_rows(self, since: datetime | None = None) -> list[dict]:
        """The audit, oldest first: {"id", "at", "actor", "action", "note_id", "details"}."""
        query = select(note_audit).order_by(note_audit.c.at, note_audit.c.id)
        if since is not None:
            query = query.where(note_audit.c.at >= _param(since))
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [{"id": r.id, "at": _utc(r.at).isoformat(), "actor": r.actor, "action": r.action,
                 "note_id": r.note_id, "details": json.loads(r.details)} for r in rows]  # fmt: skip
