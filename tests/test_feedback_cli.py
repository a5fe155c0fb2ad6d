"""`resolute feedback`: the answers marked "Not helpful", for whoever keeps the knowledge base."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import load_settings
from bot.knowledge.answer import Answer, Source
from bot.services import Services

DAY = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)


def _answer(text: str, *sources: tuple[str, str, str]) -> Answer:
    cited = [Source(n, title, source, location, f"{title} text", 0.6)
             for n, (title, source, location) in enumerate(sources, start=1)]  # fmt: skip
    return Answer(text, "extractive", cited)


@pytest.fixture
def log(database_url, monkeypatch):
    """The answer log the CLI reads (SQLite, then PostgreSQL), with a clock the test moves."""
    if database_url:
        monkeypatch.setenv("DATABASE_URL", database_url)
    now = [DAY]
    services = Services(load_settings(), clock=lambda: now[0])
    answers = services.answer_log

    def ask(question: str, answer: Answer, *, user: str = "UASK", at: datetime = DAY) -> str:
        now[0] = at
        return answers.record(channel="C0LEAD", thread_ts="1.0", question_ts="1.0", user_id=user,
                              question=question, answer=answer)  # fmt: skip

    def mark(answer_id: str, user: str, helpful: bool, at: datetime) -> None:
        now[0] = at
        assert answers.feedback(answer_id=answer_id, user_id=user, helpful=helpful)

    return ask, mark


def _run(*args: str):
    result = CliRunner().invoke(main, ["feedback", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_lists_not_helpful_answers_newest_first_with_question_answer_and_sources(log):
    ask, mark = log
    plan = ("Riverbend Improvement Plan", "improvement-plan.md", "Priority 3: Graduation")
    older = ask("What is credit rescue?", _answer("Credit rescue happens before a course ends. [1]", plan))
    newer = ask("Who runs the late bus?", _answer("The late bus runs Tuesdays. [1]", plan), user="UOTHER")
    fine = ask("What are the priorities?", _answer("Literacy, numeracy, graduation. [1]", plan))
    mark(older, "UKIM", False, DAY + timedelta(hours=1))
    mark(newer, "ULEE", False, DAY + timedelta(hours=2))
    mark(fine, "UKIM", True, DAY + timedelta(hours=3))  # helpful: not listed
    out = _run()
    assert out.index("Who runs the late bus?") < out.index("What is credit rescue?")
    assert "What are the priorities?" not in out
    assert "  A: Credit rescue happens before a course ends. [1]" in out
    assert "[1] Riverbend Improvement Plan — Priority 3: Graduation (improvement-plan.md)" in out
    assert "not helpful to ULEE  (asked by UOTHER in C0LEAD)" in out
    assert "2 answer(s)" in out and "resolute ingest" in out


def test_the_latest_verdict_of_each_person_counts(log):
    ask, mark = log
    changed = ask("What is a check-in?", _answer("A meeting. [1]", ("FAQ", "faq.md", "Check-ins")))
    mixed = ask("What is OFIP?", _answer("A partnership. [1]", ("Plan", "plan.md", "Support")))
    mark(changed, "UKIM", False, DAY + timedelta(minutes=1))
    mark(changed, "UKIM", True, DAY + timedelta(minutes=2))  # changed their mind
    mark(mixed, "UKIM", False, DAY + timedelta(minutes=3))
    mark(mixed, "ULEE", True, DAY + timedelta(minutes=4))
    [listed] = json.loads(_run("--json"))
    assert listed["question"] == "What is OFIP?"
    assert listed["marked_by"] == ["UKIM"] and listed["helpful"] == 1


def test_since_keeps_answers_marked_on_or_after_that_day(log):
    ask, mark = log
    early = ask("Early?", _answer("Early. [1]", ("Plan", "plan.md", "A")))
    late = ask("Late?", _answer("Late. [1]", ("Plan", "plan.md", "A")))
    mark(early, "UKIM", False, datetime(2026, 11, 19, 23, 59, tzinfo=UTC))
    mark(late, "UKIM", False, datetime(2026, 11, 20, 0, 0, tzinfo=UTC))  # the first moment of the day
    assert [a["question"] for a in json.loads(_run("--since", "2026-11-20", "--json"))] == ["Late?"]
    assert len(json.loads(_run("--since", "2026-11-19", "--json"))) == 2
    assert (
        _run("--since", "2026-11-21") == 'No answers were marked "Not helpful" since 2026-11-21 00:00 UTC.\n'
    )


def test_json_keys_are_stable(log):
    ask, mark = log
    mark(ask("Q?", _answer("A. [1]", ("Plan", "plan.md", "A"))), "UKIM", False, DAY)
    [listed] = json.loads(_run("--json"))
    assert set(listed) == {"id", "asked_at", "marked_at", "marked_by", "helpful", "channel", "asked_by",
                           "question", "answer", "sources", "withheld"}  # fmt: skip
    assert listed["sources"] == [{"title": "Plan", "location": "A", "source": "plan.md"}]
    assert listed["marked_at"] == DAY.isoformat() and listed["withheld"] is False


def test_an_answer_that_quoted_notes_reveals_nothing_of_them(log):
    ask, mark = log
    quoted = _answer("SJ (student 4411) missed three credit recovery sessions. [1] The plan says so. [2]",
                     ("Note by <@UAUTH>", "note:7", "2026-11-02, Maple PS"), ("Plan", "plan.md", "Recovery"))  # fmt: skip
    mark(ask("How is SJ doing in credit recovery?", quoted), "UKIM", False, DAY)
    out = _run() + _run("--json")
    for private in ("SJ", "4411", "missed three", "UAUTH", "note:7", "Maple PS"):
        assert private not in out
    [listed] = json.loads(_run("--json"))
    assert listed["withheld"] is True and "intervention notes" in listed["answer"]
    assert (
        listed["sources"][0]["source"] == "plan.md"
        and "1 intervention note(s)" in listed["sources"][1]["title"]
    )


def test_nothing_marked_says_so(log):
    assert _run() == 'No answers were marked "Not helpful".\n'
    assert json.loads(_run("--json")) == []


def test_a_bad_since_names_the_option_and_the_form():
    result = CliRunner().invoke(main, ["feedback", "--since", "last week"])
    assert result.exit_code == 2
    assert "--since" in result.output and "'last week' does not match the formats" in result.output
    assert "%Y-%m-%d" in result.output


def test_since_is_a_day_on_the_districts_clock(log, monkeypatch):
    knowledge = Path(__file__).resolve().parent.parent / "knowledge"
    monkeypatch.setenv("RESOLUTE_KNOWLEDGE_DIR", str(knowledge))
    Services(load_settings()).district.load()  # America/Toronto
    ask, mark = log
    evening = ask("Evening?", _answer("E. [1]", ("Plan", "plan.md", "A")))
    mark(evening, "UKIM", False, datetime(2026, 11, 20, 3, 0, tzinfo=UTC))  # 22:00 on the 19th in Toronto
    assert json.loads(_run("--since", "2026-11-20", "--json")) == []
    assert "2026-11-19 22:00 EST" in _run("--since", "2026-11-19")
