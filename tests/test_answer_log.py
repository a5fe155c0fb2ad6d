"""The answer log on SQLite and PostgreSQL: one answer per question however many instances race for it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.knowledge.answer import Answer, Source
from bot.slack.answer_log import AnswerLog
from bot.store import make_engine, migrate
from bot.store.claims import STALE_CLAIM
from bot.store.tables import answer_feedback

INSTANCES = 4  # engines, each with its own pool, as separate `serve` processes would have
THREADS = 12

ANSWER = Answer(
    "The graduation target is 88 percent by 2027. [1]",
    "extractive",
    [
        Source(
            1,
            "Lakeside Improvement Plan",
            "plan.md",
            "Graduation",
            "The graduation target is 88 percent.",
            0.71,
        )
    ],
)


@pytest.fixture
def engines(database_url, tmp_path):
    """Several engines on one migrated database; the first is the one single-instance tests use."""
    url = database_url or f"sqlite:///{tmp_path / 'resolute.db'}"
    built = [make_engine(url) for _ in range(INSTANCES)]
    migrate(built[0])
    yield built
    for engine in built:
        engine.dispose()


@pytest.fixture
def log(engines) -> AnswerLog:
    return AnswerLog(engine=engines[0])


def _race(engines, call: Callable[[AnswerLog], object]) -> list[object]:
    """Run `call` from THREADS threads spread over the engines, released at the same moment."""
    logs = [AnswerLog(engine=e) for e in engines]
    start = threading.Barrier(THREADS)
    results: list[object] = [None] * THREADS

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = call(logs[i % len(logs)])
        except Exception as exc:  # reported below, with the others' results
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _feedback_rows(engine, answer_id: str) -> dict[str, bool]:
    with engine.connect() as conn:
        rows = conn.execute(select(answer_feedback).where(answer_feedback.c.answer_id == answer_id)).all()
    return {r.user_id: r.helpful for r in rows}


def test_a_key_is_claimed_once(log):
    assert log.claim("message:C1:1700000000.000100") is True
    assert log.claim("message:C1:1700000000.000100") is False
    assert log.claim("message:C1:1700000000.000200") is True  # another message
    assert log.claim("command:C1:U1:trigger-1") is True


def test_a_claim_left_by_an_answerer_that_died_is_taken_over_once_stale(engines):
    now = [datetime(2026, 12, 7, 9, 0, tzinfo=UTC)]
    log = AnswerLog(engine=engines[0], clock=lambda: now[0])
    assert log.claim("message:C1:1.1") is True  # its answerer dies before answering
    now[0] += STALE_CLAIM - timedelta(seconds=1)
    assert log.claim("message:C1:1.1") is False  # it may still be answering
    now[0] += timedelta(seconds=2)
    assert log.claim("message:C1:1.1") is True  # taken over
    assert log.claim("message:C1:1.1") is False  # once
    log.done("message:C1:1.1")
    now[0] += STALE_CLAIM * 10
    assert log.claim("message:C1:1.1") is False  # an answered question is never taken over


def test_a_released_claim_can_be_claimed_again(log):
    assert log.claim("command:C1:U1:trigger-9") is True
    log.release("command:C1:U1:trigger-9")  # its answer failed
    assert log.claim("command:C1:U1:trigger-9") is True
    log.done("command:C1:U1:trigger-9")
    log.release("command:C1:U1:trigger-9")  # a release after the answer changes nothing
    assert log.claim("command:C1:U1:trigger-9") is False


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_claims_of_one_key_have_exactly_one_winner(engines, round_):
    key = f"message:C1:1700000000.{round_:06d}"
    results = _race(engines, lambda log: log.claim(key))
    assert [r for r in results if not isinstance(r, bool)] == []  # no claim raised
    assert results.count(True) == 1 and results.count(False) == THREADS - 1


def test_recorded_answers_are_found_by_thread_in_order(log):
    first = log.record(channel="C1", thread_ts="100.1", question_ts="100.1", user_id="U1",
                       question="What is the graduation target?", answer=ANSWER)  # fmt: skip
    second = log.record(channel="C1", thread_ts="100.1", question_ts="100.5", user_id="U2",
                        question="And reading?", answer=ANSWER)  # fmt: skip
    log.record(channel="C2", thread_ts="100.1", question_ts=None, user_id="U1", question="Elsewhere",
               answer=ANSWER)  # fmt: skip
    log.posted(first, "100.2")

    thread = log.in_thread("C1", "100.1")
    assert [a.id for a in thread] == [first, second]
    assert thread[0].message_ts == "100.2" and thread[1].message_ts is None
    assert thread[0].question == "What is the graduation target?" and thread[0].answer == ANSWER.answer
    assert thread[1].user_id == "U2" and thread[1].question_ts == "100.5"
    assert log.in_thread("C1", "999.9") == []


def test_feedback_is_one_verdict_per_user_and_can_change(log, engines):
    answer_id = log.record(channel="C1", thread_ts="100.1", question_ts="100.1", user_id="U1",
                           question="What is the graduation target?", answer=ANSWER)  # fmt: skip
    assert log.feedback(answer_id="unknown", user_id="U1", helpful=True) is False
    assert log.feedback(answer_id=answer_id, user_id="U1", helpful=True) is True
    assert log.feedback(answer_id=answer_id, user_id="U2", helpful=False) is True
    assert _feedback_rows(engines[0], answer_id) == {"U1": True, "U2": False}
    assert log.feedback(answer_id=answer_id, user_id="U1", helpful=False) is True  # changed their mind
    assert _feedback_rows(engines[0], answer_id) == {"U1": False, "U2": False}
    assert _feedback_rows(engines[0], "unknown") == {}


def test_concurrent_clicks_of_one_user_leave_one_verdict(log, engines):
    answer_id = log.record(channel="C1", thread_ts="100.1", question_ts="100.1", user_id="U1",
                           question="What is the graduation target?", answer=ANSWER)  # fmt: skip
    results = _race(engines, lambda other: other.feedback(answer_id=answer_id, user_id="U3", helpful=True))
    assert results == [True] * THREADS  # a double click is not an error
    assert _feedback_rows(engines[0], answer_id) == {"U3": True}
