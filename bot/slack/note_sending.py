"""What intervention notes send on their own: follow-up reminders, the week's notes after the check-in
summary, and the daily retention.

`FollowUps.tick(now)` runs every minute (bot.jobs:notes_tick). A note with a follow-up date reminds its
author by DM on that day at 09:00 in the author's own time zone (Slack's users.info, kept a day in
checkin_people as check-ins keep it; the district's zone if Slack does not say). A claim per note in
note_followups makes each reminder go out once across retries, restarts and several `serve` processes;
a send that fails gives its claim back and is tried on the next tick. A reminder missed while no
instance ran goes out when one comes back, up to LATE after its time; later than that it is dropped.

Nothing here logs a note's text, its student or its school: log lines carry note ids and counts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.notes.model import Note, NotesOff
from bot.slack.blocks import notes as note_blocks
from bot.slack.blocks.kit import FALLBACK_CHARS, SECTION_CHARS, Block, context, cut, escape, message, section

if TYPE_CHECKING:
    from bot.checkins.store import CheckinStore
    from bot.district.service import District
    from bot.notes.service import Notes

log = logging.getLogger(__name__)

REMIND_AT = time(9, 0)  # the author's local time on the follow-up day
LATE = timedelta(days=7)  # a reminder missed by more than this (Resolute was down) is not sent
TZ_TTL = timedelta(days=1)  # how long an author's time zone (users.info) is reused
WEEK_TEXT_CHARS = 150  # how much of each note the week's DM shows


class FollowUps:
    """Sends the follow-up reminders that are due; safe to call from any instance at any time."""

    def __init__(self, *, notes: Notes, people: CheckinStore, district: District, client: WebClient) -> None:
        self.notes = notes
        self.store = notes.store
        self.people = people  # where check-ins keep each person's time zone
        self.district = district
        self.client = client

    def tick(self, now: datetime) -> list[str]:
        """Send every reminder due at `now` and not yet sent; says what it did, by note id."""
        with self.district.pinned():  # the district file read once for every note
            return self._tick(now)

    def _tick(self, now: datetime) -> list[str]:
        try:
            self.notes.config()
        except NotesOff:  # no [notes] in the district file, or no data loaded: nothing to remind
            return []
        district_tz = self.district.config().timezone
        now = now.astimezone(UTC)
        # up to the latest day anywhere on Earth at `now` (UTC+14): later ones cannot be due yet; from a
        # day or two before the oldest that may still be sent: older ones (an import of old notes) are
        # never looked at, the ones in between are closed with a line saying so
        pending = self.notes.due_follow_ups(until=(now + timedelta(hours=14)).date(),
                                            since=(now - LATE - timedelta(days=2)).date())  # fmt: skip
        if not pending:
            return []
        zones = self.zones({n.author for n in pending}, now, district_tz)
        said: list[str] = []
        for note in pending:
            due = remind_at(note.follow_up, zones[note.author])
            if now < due:
                continue
            if now - due > LATE:
                said += self._drop(note, now, f"not sent: {(now - due).days} days late")
                continue
            said += self._send(note, now, zones[note.author])
        return said

    def zones(self, users: Iterable[str], now: datetime, fallback: str) -> dict[str, str]:
        """user -> IANA time zone, asking Slack for those not known or older than a day."""
        users = sorted(set(users))
        known = self.people.people(users)
        out = {}
        for user in users:
            tz, checked = known.get(user, (None, None, None))[:2]
            if tz is None or checked is None or now - _aware(checked) > TZ_TTL:
                try:
                    tz = self.client.users_info(user=user)["user"].get("tz") or tz or fallback
                except SlackApiError as exc:
                    log.warning("users.info for a note's author failed (%s); using the district's time zone",
                                exc.response.get("error"))  # fmt: skip
                    tz = tz or fallback
                self.people.set_tz(user, tz, now)
            out[user] = tz if _known_zone(tz) else fallback
        return out

    def _may_read(self, user: str, note: Note, now: datetime) -> bool:
        from bot.slack.members import channel_members

        return self.notes.may_read(user, note, members=channel_members(self.client), now=now)

    def _drop(self, note: Note, now: datetime, why: str) -> list[str]:
        """Close a reminder without sending it, so it is not looked at again."""
        if not self.store.claim_follow_up(note.id, now):
            return []
        self.store.follow_up_sent(note.id, now)
        return [f"follow-up for note {note.id} {why}"]

    def _send(self, note: Note, now: datetime, tz: str) -> list[str]:
        try:  # the author may have left the people entitled to notes (or to its school's) since writing it
            if not self._may_read(note.author, note, now):
                return self._drop(note, now, "not sent: its author may no longer read it")
        except SlackApiError as exc:
            log.warning("follow-up for note %d not sent this minute: Slack answered %s", note.id,
                        exc.response.get("error"))  # fmt: skip
            return []
        if not self.store.claim_follow_up(note.id, now):
            return []
        try:
            current = self.store.get(note.id)
            if current is None or current.follow_up != note.follow_up:  # deleted or moved meanwhile
                self.store.release_follow_up(note.id)
                return []
            text, blocks = follow_up_message(current, self._school_names(), tz)
            posted = self.client.chat_postMessage(channel=current.author, text=text, blocks=blocks)
        except Exception as exc:  # nothing went out: the next tick tries again
            self.store.release_follow_up(note.id)
            # the error only by kind: an exception's message could quote what was being sent
            detail = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
            log.warning(
                "follow-up for note %d could not be sent (%s); the next tick retries", note.id, detail
            )
            return []
        self.store.follow_up_sent(note.id, now)
        # taken back from Slack if the note is deleted or expires
        self.notes.copies.record([note.id], channel=posted["channel"], ts=posted["ts"], kind="followup")
        return [f"follow-up for note {note.id} -> {note.author}"]

    def _school_names(self) -> dict[str, str]:
        return {sid: s.name for sid, s in self.district.store.schools().items()}


def remind_at(day: date, tz: str) -> datetime:
    """When a follow-up on `day` reminds an author in time zone `tz`: 09:00 there."""
    return datetime.combine(day, REMIND_AT, tzinfo=ZoneInfo(tz))


def _known_zone(tz: str) -> bool:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def follow_up_message(note: Note, schools: dict[str, str], tz: str = "UTC") -> tuple[str, list[Block]]:
    """The reminder DM to a note's author: the note as its own message shows it, with Edit and Delete;
    the note's date as the author's clock (`tz`) read it."""
    heading = f"Follow-up due today on your note of {note.created_at.astimezone(ZoneInfo(tz)):%a %d %b %Y}"
    return note_blocks.note_message(note, names=schools, heading=heading, may_change=True)


def week_message(notes: list[Note], schools: dict[str, str], *, since: datetime,
                 until: datetime) -> tuple[str, list[Block]]:  # fmt: skip
    """The private DM after the check-in summary: the author's own notes of the week, oldest first, each
    with its date (on the clock of `since`), fields and the start of its text."""
    span = f"{since:%a %d %b %H:%M} to {until:%a %d %b %H:%M}"
    head = f"Your intervention notes since the last check-in ({span}): {len(notes)}"
    lines = []
    for n in sorted(notes, key=lambda n: (n.created_at, n.id)):
        start = cut(" ".join(n.text.split()), WEEK_TEXT_CHARS)
        fields = note_blocks.fields_line(n, schools)
        lines.append(f"• *{n.created_at.astimezone(since.tzinfo):%a %d %b}*, note {n.id}: {fields}\n"
                     f"   {note_blocks.shown(start)}")  # fmt: skip
    body = [section(f":memo: *{escape(head)}*")]
    chunk: list[str] = []
    for line in lines:  # whole notes per section, within Slack's 3,000 characters
        if chunk and len("\n".join([*chunk, line])) > SECTION_CHARS - 100:
            body.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        body.append(section("\n".join(chunk)))
    tail = [context("Only you received this: your own notes. `/notes` lists them with Edit and Delete.")]
    return cut(head, FALLBACK_CHARS), message(body, tail)


def expire(notes: Notes, now: datetime) -> str:
    """Delete the notes older than the district keeps them (rows, search entries, audited); says how many."""
    try:
        days = notes.config().retention_days
    except NotesOff:
        return "notes are off: nothing to expire"
    gone = notes.expire(now)
    said = (f"{len(gone)} note{'s' if len(gone) > 1 else ''} older than {days} days deleted" if gone
            else f"no notes older than {days} days")  # fmt: skip
    pruned, keep = notes.expire_audit(now), notes.config().audit_retention_days
    return f"{said}; {pruned} audit row{'' if pruned == 1 else 's'} removed, {keep} days after their notes"
