"""What Resolute has answered in Slack: claims against double answers, the answers, and feedback.

The rows are written by `bot/store/answers.py`; this module decides what of an answer may be kept.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from bot.knowledge.answer import Answer
from bot.notes.model import NOTE_SOURCE
from bot.store import answers as rows

WITHHELD = "(not kept: this answer quoted intervention notes)"


def note_ids(answer: Answer) -> list[int]:
    """The intervention notes an answer cited or its language model was shown, by id."""
    found = {s.source for s in answer.sources} | set(answer.shown)
    return sorted(int(s.removeprefix(NOTE_SOURCE)) for s in found
                  if s.startswith(NOTE_SOURCE) and s.removeprefix(NOTE_SOURCE).isdigit())  # fmt: skip


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
    """What Resolute keeps of its answers in Slack; safe to share between threads and instances."""

    def __init__(self, *, engine: Engine, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._engine = engine
        self._clock = clock

    def now(self) -> datetime:
        """The log's clock."""
        return self._clock()

    def claim(self, key: str) -> bool:
        """True for the first caller with this key, False for every later one (any instance), unless
        the first one's answer failed (`release`) or its process died (a claim left stale)."""
        return rows.claim(self._engine, key, self._clock())

    def release(self, key: str) -> None:
        """Give a question back after its answer failed, so a retry of it is answered."""
        rows.release(self._engine, key)

    def done(self, key: str) -> None:
        """The question is answered (or told how to ask): its claim is never taken over."""
        rows.done(self._engine, key, self._clock())

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
        rows.add(self._engine, id=answer_id, channel=channel, thread_ts=thread_ts, question_ts=question_ts,
                 user_id=user_id, question=question, answer=answer.answer, sources=json.dumps(sources),
                 mode=answer.mode, created_at=self._clock())  # fmt: skip
        return answer_id

    def posted(self, answer_id: str, message_ts: str) -> None:
        """Remember which Slack message carries the answer."""
        rows.set_message(self._engine, answer_id, message_ts)

    def find(self, answer_id: str) -> LoggedAnswer | None:
        """One answer as logged (its question and answer WITHHELD if it quoted notes), or None."""
        r = rows.get(self._engine, answer_id)
        if r is None:
            return None
        return LoggedAnswer(
            r.id, r.channel, r.thread_ts, r.question_ts, r.message_ts, r.user_id, r.question, r.answer
        )

    def in_thread(self, channel: str, thread_ts: str) -> list[LoggedAnswer]:
        """Resolute's answers in a thread, oldest first (empty: Resolute is not part of it)."""
        return [
            LoggedAnswer(
                r.id, r.channel, r.thread_ts, r.question_ts, r.message_ts, r.user_id, r.question, r.answer
            )
            for r in rows.in_thread(self._engine, channel, thread_ts)
        ]

    def unhelpful(self, *, since: datetime | None = None) -> list[Unhelpful]:
        """Answers whose latest verdict from someone is "Not helpful" (marked on or after `since`),
        most recently marked first. A note an answer quoted is counted, never named."""
        if since is not None:  # SQLite compares the stored UTC text: bind UTC too
            since = since.astimezone(UTC)
        found: dict[str, list[rows.Vote]] = {}
        for vote in rows.votes_on_unhelpful(self._engine, since):
            found.setdefault(vote.answer.id, []).append(vote)
        listed = []
        for votes in found.values():
            first = votes[0].answer
            marked = [v for v in sorted(votes, key=lambda v: v.voted_at) if not v.helpful]
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
        return rows.vote(
            self._engine, answer_id=answer_id, user_id=user_id, helpful=helpful, now=self._clock()
        )


def _aware(when: datetime) -> datetime:
    """SQLite hands back naive datetimes: they were written in UTC."""
    return when if when.tzinfo else when.replace(tzinfo=UTC)
