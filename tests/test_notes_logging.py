"""No log record, at any level and from any library, holds a note's text, a student reference or a search about
notes: captured at DEBUG on the root logger while notes are logged (form and one line), listed, searched in a
direct message, exported, edited, deleted, and while logging one fails with the text in the exception."""

from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy.exc import StatementError

from bot.notes.store import NotesStore
from bot.slack import blocks as answer_blocks
from bot.slack.blocks import notes as kit
from tests.test_notes_slack import ANA, LEAD, STUDENT, TEXT, Desk, buttons, served
from tests.test_slack import answers_in

EDITED = "Zephyrine-7741 attendance plan, revised: the counsellor calls home after one absence."
QUESTION = f"What is the Zephyrine-7741 attendance plan for {STUDENT}?"
SECRETS = ("zephyrine", STUDENT.lower())  # in every note, question and filter below


class Everything(logging.Handler):
    """Keeps every record that reaches it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def everything_in(record: logging.LogRecord) -> str:
    """All a record carries, as any handler could print it: message, args, exception and its text, extras."""
    formatter = logging.Formatter("%(message)s")
    parts = [record.getMessage(), repr(record.args), record.exc_text or "", record.stack_info or "",
             formatter.format(record), repr(vars(record))]  # fmt: skip
    if record.exc_info:
        parts.append(formatter.formatException(record.exc_info))
    return "\n".join(parts)


@pytest.fixture
def logged(caplog):
    """Every record from every logger at DEBUG: the root's, and any logger's that does not propagate."""
    caplog.set_level(logging.DEBUG)
    handler = Everything()
    loggers = [logging.getLogger()] + [
        held for held in logging.root.manager.loggerDict.values()
        if isinstance(held, logging.Logger) and not held.propagate
    ]  # fmt: skip
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.records
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.fixture
def desk(make_services, fake_slack, tmp_path):
    with served(make_services, fake_slack, tmp_path) as running:
        yield running


def leaked(records: list[logging.LogRecord]) -> list[str]:
    return [f"{r.name} ({r.levelname}): {r.getMessage()[:160]}" for r in records
            if any(s in everything_in(r).lower() for s in SECRETS)]  # fmt: skip


def direct_message(desk: Desk, user: str, text: str) -> None:
    channel = "D" + user[1:]
    message = desk.fake.person_says(channel, text, user=user)
    event = {
        **message,
        "type": "message",
        "channel": channel,
        "channel_type": "im",
        "event_ts": message["ts"],
    }
    assert desk.slack.event(event)[0] == 200


def test_nothing_about_a_note_reaches_any_log(logged, desk, fake_slack, monkeypatch):
    # logged: by the form, and in one line; each refused once first, with the typed words in the refusal
    form = desk.open_form(ANA)
    said = desk.submit(ANA, form, school="A", student="Zephyrine Hollis", type="attendance", text=TEXT)
    assert "Zephyrine Hollis" in said["errors"][kit.STUDENT]  # a name: refused, in the acknowledgement's body
    assert desk.submit(ANA, form, school="A", student=STUDENT, type="attendance", text=TEXT) is None
    assert "ZQ-4417" in desk.command(ANA, "/note", f"school:{STUDENT} {TEXT}")["text"]
    reply = desk.command(ANA, "/note", f"school:A student:{STUDENT} type:attendance priority:literacy {TEXT}")
    [note_id] = buttons(reply)[kit.EDIT]
    # listed and paged by student; exported
    for n in range(11):
        desk.log(text=f"{TEXT} ({n})", student=STUDENT, type="attendance")
    page = desk.command(ANA, "/notes", f"student:{STUDENT} type:attendance since:2026-01-01")
    desk.press(ANA, kit.MORE, buttons(page)[kit.MORE][0])
    assert "Sent to your direct messages" in desk.command(ANA, "/notes", f"export student:{STUDENT}")["text"]
    # searched: a direct message from an entitled reader searches the notes
    direct_message(desk, ANA, QUESTION)
    deadline = time.monotonic() + 60
    while not answers_in(fake_slack):
        assert time.monotonic() < deadline, "the direct message was not answered"
        time.sleep(0.02)
    [answer] = answers_in(fake_slack)
    assert "Zephyrine" in answer.reply["message"]["text"]  # the reader's own DM may quote the note
    # Slack sends Resolute its own message back as an event (Bolt skips it): that is not logged either
    own = {**answer.reply["message"], "channel": answer.reply["channel"], "channel_type": "im"}
    assert desk.slack.event({**own, "event_ts": own["ts"]})[0] == 200
    # edited, then deleted
    form = desk.press(ANA, kit.EDIT, note_id, block_id=kit.ONE, opens=True)
    assert desk.submit(ANA, form, text=EDITED) is None
    assert "deleted" in desk.press(ANA, kit.DELETE, note_id)["text"]

    # and a failure while logging one, with the note and the student in the exception, as SQLAlchemy words it
    def broken(self, draft, *args, **kwargs):
        try:
            raise ValueError(f"cannot store {draft.text!r} for {draft.student!r}")
        except ValueError as cause:
            raise StatementError(f"INSERT failed for {draft.text} / {draft.student}", "INSERT INTO notes ...",
                                 {"text": draft.text, "student": draft.student}, cause) from cause  # fmt: skip

    monkeypatch.setattr(NotesStore, "add", broken)
    # (Bolt may answer a listener that fails this fast with a 404 after 3 s: it loses the ack; not ours)
    failed = desk.command(ANA, "/note", f"student:{STUDENT} type:attendance {TEXT}", checked=False)
    assert failed["text"] == answer_blocks.ERROR  # the person is told, privately
    form = desk.open_form(ANA)
    posts = len(fake_slack.called("chat.postMessage"))
    desk.submit(
        ANA, form, status=500, student=STUDENT, type="attendance", text=TEXT
    )  # Slack keeps the form open
    fake_slack.wait_for("chat.postMessage", posts + 1)  # and the person hears of it by DM

    # the capture works: the failures were logged, with the exception's type and its frames, from every layer
    failures = [r for r in logged if "failed to handle a Slack request" in r.getMessage()]
    assert len(failures) == 2 and all("sqlalchemy.exc.StatementError" in r.getMessage() for r in failures)
    assert all("ValueError" in r.getMessage() and "bot/slack/notes.py" in r.getMessage() for r in failures)
    assert any(r.levelno == logging.DEBUG for r in logged)
    found = leaked(logged)
    assert not found, "\n".join(found)
    assert fake_slack.called("chat.postMessage")[-1].args["text"] == answer_blocks.ERROR
    assert LEAD not in {c.args.get("channel") for c in fake_slack.called("chat.postMessage")}
