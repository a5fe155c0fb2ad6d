"""What Resolute has answered in Slack: claims against double answers, the answers, and feedback."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from bot.knowledge.answer import Answer
from bot.notes.model import NOTE_SOURCE
from bot.store.tables import answer_feedback, slack_answers, slack_claims

WITHHELD = "(not kept: this answer quoted intervention notes)"


def note_ids(answer: Answer) -> list[int]:
    """The intervention notes an answer cited or its language model was shown, by id."""
    found = {s.source for s in answer.sources} | set(answer.shown)
    return sorted(int(s.removeprefix(NOTE_SOURCE)) for s in found
                  if s.startswith(NOTE_SOURCE) and s.removeprefix(NOTE_SOURCE).isdigit())  # fmt: skip


def _insert_for(dialect: str):
    """The dialect's INSERT, which has ON CONFLICT DO UPDATE (SQLite and PostgreSQL both do)."""
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"the answer log supports SQLite and PostgreSQL, not {dialect}")


@dataclass(frozen=True)
class Unhelpful:
    """An answer someone marked "Not helpful" (their latest verdict), with what it said and cited."""

    id: str
    asked_at: datetime
    marked_at: datetime  # the latest "Not helpful"
    marked_by: list[str]  # whose latest verdict is "Not helpful"
    helpful: int  # how many others found it helpful
    channel: str
    asked_by: str
    question: str
    answer: str
    sources: list[dict]  # title, location, source of each cited passage
    withheld: bool  # it quoted intervention notes, so its text was never kept

    def as_dict(self) -> dict:
        """JSON-ready form (the keys `resolute feedback --json` prints)."""
        return {
            "id": self.id, "asked_at": self.asked_at.isoformat(), "marked_at": self.marked_at.isoformat(),
            "marked_by": self.marked_by, "helpful": self.helpful, "channel": self.channel,
            "asked_by": self.asked_by, "question": self.question, "answer": self.answer,
            "sources": self.sources, "withheld": self.withheld,
        }  # fmt: skip


@dataclass(frozen=True)
class LoggedAnswer:
    """An answer Resolute posted, as stored."""

    id: str
    channel: str
    thread_ts: str
    question_ts: str | None
    message_ts: str | None
    user_id: str
    question: str
    answer: str


class AnswerLog:
    """Repository over the Slack tables; safe to share between threads and instances."""

    def __init__(self, *, engine: Engine, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._engine = engine
        self._clock = clock

    def claim(self, key: str) -> bool:
        """True for the first caller with this key, False for every later one (any instance)."""
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(slack_claims).values(key=key, claimed_at=datetime.now(UTC)))
        except IntegrityError:
            return False
        return True

    def record(self, *, channel: str, thread_ts: str, question_ts: str | None, user_id: str,
               question: str, answer: Answer) -> str:  # fmt: skip
        """Store an answer before it is posted; returns its id (carried by the feedback buttons)."""
        answer_id = uuid.uuid4().hex
        sources = [s.as_dict() for s in answer.sources]
        if any(s.startswith(NOTE_SOURCE) for s in [*(s["source"] for s in sources), *answer.shown]):
            # an answer that quotes intervention notes is not kept: notes are deleted, edited and expired
            # in one place, and their text must not outlive them here (the feedback still counts); a
            # model shown a note may say what it says while citing something else, so shown counts too
            question = WITHHELD
            answer = Answer(WITHHELD, answer.mode)
            sources = [{k: v for k, v in s.items() if k != "text"} for s in sources]
        with self._engine.begin() as conn:
            conn.execute(
                insert(slack_answers).values(
                    id=answer_id,
                    channel=channel,
                    thread_ts=thread_ts,
                    question_ts=question_ts,
                    user_id=user_id,
                    question=question,
                    answer=answer.answer,
                    sources=json.dumps(sources),
                    mode=answer.mode,
                    created_at=self._clock(),
                )
            )
        return answer_id

    def posted(self, answer_id: str, message_ts: str) -> None:
        """Remember which Slack message carries the answer."""
        with self._engine.begin() as conn:
            conn.execute(
                update(slack_answers).where(slack_answers.c.id == answer_id).values(message_ts=message_ts)
            )

    def in_thread(self, channel: str, thread_ts: str) -> list[LoggedAnswer]:
        """Resolute's answers in a thread, oldest first (empty: Resolute is not part of it)."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(slack_answers)
                .where(slack_answers.c.channel == channel, slack_answers.c.thread_ts == thread_ts)
                .order_by(slack_answers.c.created_at)
            ).all()
        return [
            LoggedAnswer(
                r.id, r.channel, r.thread_ts, r.question_ts, r.message_ts, r.user_id, r.question, r.answer
            )
            for r in rows
        ]

    def unhelpful(self, *, since: datetime | None = None) -> list[Unhelpful]:
        """Answers whose latest verdict from someone is "Not helpful" (marked on or after `since`),
        most recently marked first. A note an answer quoted is counted, never named."""
        if since is not None:  # SQLite compares the stored UTC text: bind UTC too
            since = since.astimezone(UTC)
        query = (
            select(slack_answers, answer_feedback.c.user_id.label("voter"), answer_feedback.c.helpful,
                   answer_feedback.c.created_at.label("voted_at"))
            .join(answer_feedback, answer_feedback.c.answer_id == slack_answers.c.id)
            .where(slack_answers.c.id.in_(
                select(answer_feedback.c.answer_id).where(
                    answer_feedback.c.helpful.is_(False),
                    *([answer_feedback.c.created_at >= since] if since is not None else []),
                )
            ))
        )  # fmt: skip
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        found: dict[str, list] = {}
        for row in rows:
            found.setdefault(row.id, []).append(row)
        listed = []
        for votes in found.values():
            first = votes[0]
            against = sorted(votes, key=lambda v: v.voted_at)
            marked = [v for v in against if not v.helpful]
            cited = json.loads(first.sources)
            notes = sum(s["source"].startswith(NOTE_SOURCE) for s in cited)
            sources = [{k: s[k] for k in ("title", "location", "source")} for s in cited
                       if not s["source"].startswith(NOTE_SOURCE)]  # fmt: skip
            if notes:
                sources.append(
                    {"title": f"{notes} intervention note(s), not shown", "location": "", "source": ""}
                )
            listed.append(
                Unhelpful(
                    first.id, _aware(first.created_at), _aware(marked[-1].voted_at), [v.voter for v in marked],
                    sum(v.helpful for v in votes), first.channel, first.user_id, first.question, first.answer,
                    sources, first.answer == WITHHELD,
                )
            )  # fmt: skip
        return sorted(listed, key=lambda u: (u.marked_at, u.id), reverse=True)

    def feedback(self, *, answer_id: str, user_id: str, helpful: bool) -> bool:
        """Store (or change) one user's verdict on an answer; False if the answer is unknown."""
        now = self._clock()
        with self._engine.begin() as conn:
            if (
                conn.execute(select(slack_answers.c.id).where(slack_answers.c.id == answer_id)).first()
                is None
            ):
                return False
            # one statement, so two clicks at once (two instances, or a double click) cannot both insert
            upsert = _insert_for(conn.dialect.name)(answer_feedback).values(
                answer_id=answer_id, user_id=user_id, helpful=helpful, created_at=now
            )
            conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=[answer_feedback.c.answer_id, answer_feedback.c.user_id],
                    set_={"helpful": upsert.excluded.helpful, "created_at": upsert.excluded.created_at},
                )
            )
        return True


def _aware(when: datetime) -> datetime:
    """SQLite hands back naive datetimes: they were written in UTC."""
    return when if when.tzinfo else when.replace(tzinfo=UTC)
