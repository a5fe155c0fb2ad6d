"""What Resolute takes back from Slack: its own messages that quoted a note, and the exports it uploaded.

A message Resolute posts that quotes a note (a follow-up reminder, the weekly DM of an author's notes, a
DM answer whose model was shown a note, a confirmation sent by DM) is recorded in note_copies, a row per
(note, message). Once any of those notes is gone (deleted, or expired by retention), `Recall.tick`
replaces the whole message with REDACTED (chat.update) and drops the message's rows. An export file
is recorded in note_exports and deleted from Slack (files.delete) EXPORT_TTL after its upload.

A call Slack refuses for good (message_not_found, cant_update_message, file_not_found, ...) is not
tried again: its rows are dropped and a warning names the error. A call that may succeed later is tried
on the next tick, for as long as it takes, and its warning is logged once per message (or file) and
error, not every minute: rate limits, Slack's own errors, no connection, and every error that says
Resolute's token or scopes do not work now (invalid_auth, token_revoked, missing_scope, ...), which
a reinstall or a new token mends while the message still shows the note. Ephemeral replies cannot be
changed by a bot once the response_url has expired, so they are not recorded here.

Nothing here logs a note's text: log lines carry error codes and counts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, and_, delete, exists, insert, select

from bot.store.tables import note_copies, note_exports, notes

log = logging.getLogger(__name__)

REDACTED = "This message quoted an intervention note that has since been deleted."
EXPORT_TTL = timedelta(hours=24)  # how long an export file stays in the person's DM
PER_TICK = 40  # Slack allows about 50 chat.update calls a minute (tier 3)
_LATER = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
          "accesslimited", "team_added_to_org"}  # fmt: skip
# Resolute's own credentials or installation, not the message: every call fails alike until mended
_CREDENTIALS = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive",
                "missing_scope", "no_permission", "not_allowed_token_type", "org_login_required",
                "ekm_access_denied", "team_access_not_granted", "enterprise_is_restricted",
                "two_factor_setup_required"}  # fmt: skip


class NoteCopies:
    """Repository over note_copies and note_exports; safe across threads and instances."""

    def __init__(self, *, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._clock = clock

    def record(self, note_ids: Iterable[int], *, channel: str, ts: str, kind: str) -> None:
        """Remember that the message (channel, ts) quotes these notes."""
        rows = [{"note_id": i, "channel": channel, "ts": ts, "kind": kind, "created_at": self._clock().astimezone(UTC)}
                for i in sorted(set(note_ids))]  # fmt: skip
        if rows:
            with self._engine.begin() as conn:
                conn.execute(insert(note_copies), rows)

    def orphaned(self, limit: int = PER_TICK) -> list[tuple[str, str]]:
        """Messages (channel, ts) that quote a note no longer stored, oldest first."""
        gone = ~exists(select(notes.c.id).where(notes.c.id == note_copies.c.note_id))
        query = (
            select(note_copies.c.channel, note_copies.c.ts)
            .where(gone)
            .group_by(note_copies.c.channel, note_copies.c.ts)
            .order_by(note_copies.c.ts)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [(r.channel, r.ts) for r in conn.execute(query).all()]

    def forget(self, channel: str, ts: str) -> None:
        """Drop every row of one message (redacted, or refused for good)."""
        with self._engine.begin() as conn:
            conn.execute(
                delete(note_copies).where(and_(note_copies.c.channel == channel, note_copies.c.ts == ts))
            )

    def exported(self, file_ids: Iterable[str], *, user: str) -> None:
        """Remember export files uploaded to `user`, to delete them after EXPORT_TTL."""
        rows = [
            {"file_id": f, "user_id": user, "uploaded_at": self._clock().astimezone(UTC)} for f in file_ids
        ]
        if rows:
            with self._engine.begin() as conn:
                conn.execute(insert(note_exports), rows)

    def exports_before(self, moment: datetime, limit: int = PER_TICK) -> list[str]:
        """Ids of the export files uploaded at or before `moment`."""
        query = (
            select(note_exports.c.file_id)
            .where(note_exports.c.uploaded_at <= moment.astimezone(UTC))  # stored in UTC
            .order_by(note_exports.c.uploaded_at)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def forget_export(self, file_id: str) -> None:
        """Drop an export's row (deleted, or refused for good)."""
        with self._engine.begin() as conn:
            conn.execute(delete(note_exports).where(note_exports.c.file_id == file_id))


class Recall:
    """Redacts the messages that quoted a note now gone and deletes old export files; any instance, any time."""

    def __init__(self, *, copies: NoteCopies, client: WebClient) -> None:
        self.copies = copies
        self.client = client
        self._waiting: dict[tuple[str, ...], str] = {}  # what is retried -> the error already logged for it

    def tick(self, now: datetime) -> list[str]:
        """Do what is due at `now`; says what it did, without a note's words."""
        said = []
        for channel, ts in self.copies.orphaned():
            outcome = self._redact(channel, ts)
            if outcome is None:
                break  # Slack asks to wait, cannot be reached or refuses the token: the next tick goes on
            said.append(outcome)
        for file_id in self.copies.exports_before(now - EXPORT_TTL):
            outcome = self._delete_file(file_id)
            if outcome is None:
                break
            said.append(outcome)
        return said

    def _redact(self, channel: str, ts: str) -> str | None:
        where = channel
        try:
            where = self._conversation(channel)
            self.client.chat_update(channel=where, ts=ts, text=REDACTED,
                                    blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": REDACTED}}])  # fmt: skip
        except Exception as exc:
            error = self._refused((channel, ts), exc, f"message {ts} in {channel} (it quoted a deleted note)")
            if error is None:
                return None
            self.copies.forget(channel, ts)
            return f"message {ts} in {where} not redacted: Slack answered {error}"
        self._waiting.pop((channel, ts), None)
        self.copies.forget(channel, ts)
        return f"redacted message {ts} in {where}"

    def _conversation(self, channel: str) -> str:
        """A DM posted to a person by their user id is updated through its conversation id."""
        if channel.startswith(("U", "W")):
            return self.client.conversations_open(users=channel)["channel"]["id"]
        return channel

    def _delete_file(self, file_id: str) -> str | None:
        try:
            self.client.files_delete(file=file_id)
        except Exception as exc:
            error = self._refused((file_id,), exc, f"export file {file_id}")
            if error is None:
                return None
            self.copies.forget_export(file_id)
            return f"export file {file_id} not deleted: Slack answered {error}"
        self._waiting.pop((file_id,), None)
        self.copies.forget_export(file_id)
        return f"deleted export file {file_id}"

    def _refused(self, key: tuple[str, ...], exc: Exception, what: str) -> str | None:
        """Slack's error when it refused for good; None when a later tick should try again (a warning the
        first time `key` meets this error: a revoked token would otherwise log the same line every minute)."""
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else None
        if error is not None and error not in _LATER | _CREDENTIALS:
            self._waiting.pop(key, None)
            log.warning("%s could not be taken back: Slack answered %s; not tried again", what, error)
            return error
        said = error or type(exc).__name__  # by kind only: an exception's message could quote what was sent
        if self._waiting.get(key) != said:
            self._waiting[key] = said
            mend = ": Resolute's Slack token or scopes need mending" if error in _CREDENTIALS else ""
            log.warning("%s could not be taken back yet (%s%s); retried every minute, logged once", what,
                        said, mend)  # fmt: skip
        return None
