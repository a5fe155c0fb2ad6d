"""`resolute notes import`: a CSV of notes stored whole or not at all."""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.csvcells import read_cell
from bot.notes.model import Draft, Note, NoteProblem, fields_hash
from bot.notes.store import NewNote

if TYPE_CHECKING:
    from bot.notes.session import Session

log = logging.getLogger(__name__)

# and `id`, which an export has: ignored
COLUMNS = ("school", "student", "type", "tier", "tier_from", "priority", "text", "follow_up", "author",
           "created_at")  # fmt: skip
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


@dataclass(frozen=True)
class Imported:
    """What an import did: the notes it stored, and the lines (header = line 1) already there or restored."""

    notes: list[Note]
    already: list[int] = field(default_factory=list)  # rows that are a stored note (or an earlier row)
    restored: list[int] = field(default_factory=list)  # rows of deleted notes stored again (--restore)


def import_csv(session: Session, text: str, *, now: datetime, source: str, restore: bool = False) -> Imported:
    """Store every row, or none: NoteProblem names each bad row by its line (header = line 1).

    A row with a stored note's every field (author, time, school, student, type, tier, priority, text,
    follow-up) is already there and skipped; a row older than retention_days, or dated after now, is
    refused; a row of a note that was deleted (or expired) is refused unless `restore`. A row is known as a
    note the way a spreadsheet gives it back (model.fields_hash: the time at the whole second, the text's
    line endings and trailing spaces aside), so a time saved as 10:00:01 for 10:00:00.5 (rounded, not cut)
    is known too. A follow-up date in the past is history here, not a mistake. Cells are read back as
    bot.csvcells wrote them."""
    config, notes_config = session.notes.settings()
    zone = ZoneInfo(config.timezone)
    oldest = now - timedelta(days=notes_config.retention_days)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise NoteProblem(f"{source}: the file is empty") from None
    problems = [f"line 1: unknown column '{h}' (known: {', '.join(COLUMNS)})"
                for h in header if h not in (*COLUMNS, "id")]  # fmt: skip
    problems += [f"line 1: the column '{c}' is missing" for c in ("text", "author") if c not in header]
    if problems:
        raise NoteProblem(problems)
    stored = session.notes.store.stored_hashes()
    rows: list[tuple[int, list[str], NewNote]] = []  # (line, hashes, note) of each row that reads as a note
    seen: set[str] = set()
    already: list[int] = []
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num  # a quoted field may span lines: report the row's first
        if not any(cell.strip() for cell in row):
            continue
        fields = dict(zip(header, (read_cell(cell) for cell in row), strict=False))
        if len(row) != len(header):
            problems.append(f"line {start}: {len(row)} values for {len(header)} columns")
            continue
        row_problems: list[str] = []
        try:
            draft = session.draft(fields, now=now, past_ok=True)
        except NoteProblem as exc:
            row_problems += exc.problems
            draft = None
        author = fields.get("author", "").strip()
        if not _USER_ID.fullmatch(author):
            row_problems.append(f"author: '{author}' is not a Slack user id such as U0123456789")
        try:
            created = (_moment(fields.get("created_at", ""), zone) or now).astimezone(UTC)
        except ValueError:
            row_problems.append(f"created_at: '{fields['created_at']}' is not a date or an ISO date and time")
            created = now
        if row_problems or draft is None:
            problems += [f"line {start}: {p}" for p in row_problems]
            continue
        keys = _keys(author, created, draft)
        if any(key in stored for key in keys) or keys[0] in seen:
            already.append(start)
            continue
        if created < oldest:
            problems.append(
                f"line {start}: created_at: {created.astimezone(zone):%Y-%m-%d} is older than the "
                f"{notes_config.retention_days} days the district keeps notes (retention_days)"
            )
            continue
        # after now; a whole second less than one ahead is a spreadsheet's rounding of a moment ago
        if created > now and (created.microsecond or created - now >= timedelta(seconds=1)):
            problems.append(
                f"line {start}: created_at: {created.astimezone(zone):%Y-%m-%d %H:%M} is in the future "
                f"(it is {now.astimezone(zone):%Y-%m-%d %H:%M} now)"
            )
            continue
        seen.add(keys[0])
        rows.append((start, keys, NewNote(draft, author, created)))
    deleted = session.notes.store.tombstoned(key for _, keys, _ in rows for key in keys)
    went = {start: [deleted[key] for key in keys if key in deleted] for start, keys, _ in rows}
    restored = [start for start, _, _ in rows if went[start]]
    if not restore:
        problems += [f"line {start}: this note was deleted on {went[start][0].astimezone(zone):%Y-%m-%d}; "
                     "`--restore` stores it again" for start in restored]  # fmt: skip
    if problems:
        raise NoteProblem(sorted(problems, key=_line))
    new = [note for _, _, note in rows]
    details = {"source": source, **({"restored": len(restored)} if restored else {})}
    back = [key for _, keys, _ in rows for key in keys if key in deleted]  # their tombstones go: stored again
    store = session.notes.store
    added = store.add_many(new, actor=session.actor, now=now, details=details, restored=back) if new else []
    try:
        session.notes.index(added)
    except Exception:  # all or nothing: what could not be made searchable is not kept
        session.notes.store.remove([n.id for n in added], actor=session.actor, action="delete", now=now,
                                details={"reason": "import could not be indexed"})  # fmt: skip
        raise
    log.info("imported %d notes (%d restored, %d already stored)", len(added), len(restored), len(already))
    return Imported(added, already, restored)


def _keys(author: str, created: datetime, draft: Draft) -> list[str]:
    """The hashes a row may be known by: its own; and for a time at a whole second, the second before's
    too, as a spreadsheet that rounds (rather than cuts) 10:00:00.5 saves 10:00:01."""
    keys = [fields_hash(author=author, created_at=created, draft=draft)]
    if not created.microsecond:
        keys.append(fields_hash(author=author, created_at=created - timedelta(seconds=1), draft=draft))
    return keys


def _line(problem: str) -> int:
    return int(problem.split(":", 1)[0].removeprefix("line "))


def _moment(typed: str, zone: ZoneInfo) -> datetime | None:
    typed = typed.strip()
    if not typed:
        return None
    if len(typed) == 10:
        return datetime.combine(date.fromisoformat(typed), time(), zone)
    moment = datetime.fromisoformat(typed)
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)
