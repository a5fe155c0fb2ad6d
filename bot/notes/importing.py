"""`resolute notes import`: a CSV of notes stored whole or not at all."""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.notes.model import Note, NoteProblem
from bot.notes.store import NewNote

if TYPE_CHECKING:
    from bot.notes.service import Session

log = logging.getLogger(__name__)

# and `id`, which an export has: ignored
COLUMNS = ("school", "student", "type", "tier", "priority", "text", "follow_up", "author", "created_at")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


def import_csv(session: Session, text: str, *, now: datetime, source: str) -> list[Note]:
    """Store every row, or none: NoteProblem names each bad row by its line (header = line 1).

    Rows identical to a stored note (author, time, school, student, type, text) are skipped; a follow-up
    date in the past is history here, not a mistake."""
    config, _ = session.notes.settings()
    zone = ZoneInfo(config.timezone)
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
    stored = session.notes.store.stored_keys()
    new: list[NewNote] = []
    seen: set[tuple] = set()
    skipped = 0
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num  # a quoted field may span lines: report the row's first
        if not any(cell.strip() for cell in row):
            continue
        fields = dict(zip(header, row, strict=False))
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
            created = _moment(fields.get("created_at", ""), zone) or now
        except ValueError:
            row_problems.append(f"created_at: '{fields['created_at']}' is not a date or an ISO date and time")
            created = now
        if row_problems or draft is None:
            problems += [f"line {start}: {p}" for p in row_problems]
            continue
        key = (author, created.astimezone(UTC), draft.school, draft.student, draft.type, draft.text)
        if key in stored or key in seen:
            skipped += 1
            continue
        seen.add(key)
        new.append(NewNote(draft, author, created.astimezone(UTC)))
    if problems:
        raise NoteProblem(problems)
    added = (
        session.notes.store.add_many(new, actor=session.actor, now=now, details={"source": source})
        if new
        else []
    )
    try:
        session.notes.index(added)
    except Exception:  # all or nothing: what could not be made searchable is not kept
        session.notes.store.remove([n.id for n in added], actor=session.actor, action="delete", now=now,
                                details={"reason": "import could not be indexed"})  # fmt: skip
        raise
    log.info("imported %d notes (%d rows already stored)", len(added), skipped)
    return added


def _moment(typed: str, zone: ZoneInfo) -> datetime | None:
    typed = typed.strip()
    if not typed:
        return None
    if len(typed) == 10:
        return datetime.combine(date.fromisoformat(typed), time(), zone)
    moment = datetime.fromisoformat(typed)
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)
