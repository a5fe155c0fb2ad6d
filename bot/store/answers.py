"""The answer log's rows: send-once claims on questions, the answers posted, and feedback on them.

Plain values in and out; what may be kept of an answer (one that quoted a note is not) is decided by
the caller, `bot/slack/answer_log.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, Row, select, update

from bot.store import claims
from bot.store.engine import upsert_insert
from bot.store.tables import answer_feedback, slack_answers, slack_claims


@dataclass(frozen=True)
class Vote:
    """One person's latest verdict on an answer, with the answer's row."""

    answer: Row
    voter: str
    helpful: bool
    voted_at: datetime


def claim(engine: Engine, key: str, now: datetime) -> bool:
    """True for the first caller with this key (or one taking over a claim left stale), else False."""
    return claims.claim(engine, slack_claims, {"key": key}, now)


def release(engine: Engine, key: str) -> None:
    """Give a question back after its answer failed, so a retry of it is answered."""
    claims.release(engine, slack_claims, {"key": key})


def done(engine: Engine, key: str, now: datetime) -> None:
    """Mark a question answered: its claim is never taken over."""
    claims.posted(engine, slack_claims, {"key": key}, now)


def add(engine: Engine, **row) -> None:
    """Store one answer (every column of `slack_answers`)."""
    with engine.begin() as conn:
        conn.execute(slack_answers.insert().values(**row))


def set_message(engine: Engine, answer_id: str, message_ts: str) -> None:
    """Remember which Slack message carries an answer."""
    with engine.begin() as conn:
        conn.execute(
            update(slack_answers).where(slack_answers.c.id == answer_id).values(message_ts=message_ts)
        )


def get(engine: Engine, answer_id: str) -> Row | None:
    """One answer's row, or None."""
    with engine.connect() as conn:
        return conn.execute(select(slack_answers).where(slack_answers.c.id == answer_id)).first()


def in_thread(engine: Engine, channel: str, thread_ts: str) -> list[Row]:
    """The answers in a thread, oldest first."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(slack_answers)
                .where(slack_answers.c.channel == channel, slack_answers.c.thread_ts == thread_ts)
                .order_by(slack_answers.c.created_at)
            ).all()
        )


def votes_on_unhelpful(engine: Engine, since: datetime | None) -> list[Vote]:
    """Every verdict on each answer someone marked "Not helpful" (on or after `since`)."""
    marked = select(answer_feedback.c.answer_id).where(
        answer_feedback.c.helpful.is_(False),
        *([answer_feedback.c.created_at >= since] if since is not None else []),
    )
    query = (
        select(slack_answers, answer_feedback.c.user_id.label("voter"), answer_feedback.c.helpful.label("vote"),
               answer_feedback.c.created_at.label("voted_at"))
        .join(answer_feedback, answer_feedback.c.answer_id == slack_answers.c.id)
        .where(slack_answers.c.id.in_(marked))
    )  # fmt: skip
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [Vote(row, row.voter, row.vote, row.voted_at) for row in rows]


def vote(engine: Engine, *, answer_id: str, user_id: str, helpful: bool, now: datetime) -> bool:
    """Store (or change) one user's verdict on an answer; False if the answer is unknown."""
    with engine.begin() as conn:
        if conn.execute(select(slack_answers.c.id).where(slack_answers.c.id == answer_id)).first() is None:
            return False
        # one statement, so two clicks at once (two instances, or a double click) cannot both insert
        upsert = upsert_insert(conn)(answer_feedback).values(
            answer_id=answer_id, user_id=user_id, helpful=helpful, created_at=now
        )
        conn.execute(
            upsert.on_conflict_do_update(
                index_elements=[answer_feedback.c.answer_id, answer_feedback.c.user_id],
                set_={"helpful": upsert.excluded.helpful, "created_at": upsert.excluded.created_at},
            )
        )
    return True
