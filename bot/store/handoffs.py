"""Questions handed to a person: one row per answer handed over, and where the owner was asked.

The first click inserts the row and sends; a second click (anyone's, any instance) finds it and does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.claims import STALE_CLAIM
from bot.store.tables import slack_handoffs


@dataclass(frozen=True)
class Handoff:
    answer_id: str
    owner: str
    asked_by: str
    channel: str
    thread_ts: str
    owner_channel: str | None = None  # the message to the owner, once posted
    owner_ts: str | None = None


class Handoffs:
    """The hand-overs, shared by every instance through the database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim(self, handoff: Handoff, now: datetime) -> bool:
        """True for the first hand-over of this answer, False if it was handed over already; a hand-over
        whose message to the owner never went out (its sender died) is taken over once STALE_CLAIM old."""
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(slack_handoffs).values(**handoff.__dict__, created_at=now))
            return True
        except IntegrityError:
            pass
        with self._engine.begin() as conn:
            taken = conn.execute(
                update(slack_handoffs)
                .where(slack_handoffs.c.answer_id == handoff.answer_id, slack_handoffs.c.owner_ts.is_(None),
                       slack_handoffs.c.created_at < now - STALE_CLAIM)
                .values(owner=handoff.owner, asked_by=handoff.asked_by, created_at=now)
            ).rowcount  # fmt: skip
        return taken == 1

    def release(self, answer_id: str) -> None:
        """The message to the owner failed: the answer may be handed over again."""
        with self._engine.begin() as conn:
            conn.execute(delete(slack_handoffs).where(slack_handoffs.c.answer_id == answer_id,
                                                      slack_handoffs.c.owner_ts.is_(None)))  # fmt: skip

    def sent(self, answer_id: str, owner_channel: str, owner_ts: str) -> None:
        """Where the owner was asked: their replies in that thread go back to the asker."""
        with self._engine.begin() as conn:
            conn.execute(update(slack_handoffs).where(slack_handoffs.c.answer_id == answer_id)
                         .values(owner_channel=owner_channel, owner_ts=owner_ts))  # fmt: skip

    def get(self, answer_id: str) -> Handoff | None:
        """The hand-over of this answer, if it was handed over."""
        with self._engine.connect() as conn:
            row = conn.execute(select(slack_handoffs).where(slack_handoffs.c.answer_id == answer_id)).first()
        return _handoff(row)

    def owner_of(self, answer_id: str) -> str | None:
        """Whom this answer was handed to, if it was."""
        found = self.get(answer_id)
        return found.owner if found else None

    def by_owner_thread(self, owner_channel: str, owner_ts: str) -> Handoff | None:
        """The hand-over whose message to the owner starts this thread, if any."""
        with self._engine.connect() as conn:
            row = conn.execute(select(slack_handoffs).where(slack_handoffs.c.owner_channel == owner_channel,
                                                            slack_handoffs.c.owner_ts == owner_ts)).first()  # fmt: skip
        return _handoff(row)


def _handoff(row) -> Handoff | None:
    if row is None:
        return None
    return Handoff(row.answer_id, row.owner, row.asked_by, row.channel, row.thread_ts, row.owner_channel,
                   row.owner_ts)  # fmt: skip
