"""What Resolute takes back from Slack when a note goes: its own messages that quoted the note are redacted
by the notes' every-minute job (once; a message Slack refuses to update is not tried forever), and an
export file is deleted a day after its upload. Over Slack's protocol (the fake), on a clock the test moves."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from functools import partial

import pytest
from slack_sdk import WebClient

import bot.jobs
from bot.notes.copies import REDACTED
from bot.slack.fake import BOT_TOKEN as TOKEN
from tests import test_notes_jobs
from tests.test_notes_jobs import ANA, BEN, DAY, MINUTE, VANCOUVER_9AM, W48_CLOSE, utc
from tests.test_notes_slack import served

team, start, resolute = test_notes_jobs.team, test_notes_jobs.start, test_notes_jobs.resolute  # its fixtures

SECRET_WORDS = "Zephyrine-7741 meets the attendance counsellor every morning"


def in_slack(fake, channel: str, ts: str) -> dict:
    """A message as Slack now holds it."""
    [message] = [m for m in fake.messages[channel] if m["ts"] == ts]
    return message


def words(message: dict) -> str:
    return json.dumps([message.get("text"), message.get("blocks")], ensure_ascii=False)


def delete(running, note, user: str = ANA) -> None:
    session = running.services.notes.session(user, members=running.members, now=running.now[0])
    session.delete(note.id, now=running.now[0])


# -- follow-up reminders and the weekly DM ----------------------------------------------------------------
def test_a_deleted_note_s_reminder_is_redacted_in_slack_once(start, database_url):
    running = start(database_url)
    gone = running.log(ANA, SECRET_WORDS, follow_up=str(DAY))
    kept = running.log(ANA, "Check the tutoring sheet", follow_up=str(DAY))
    running.tick(VANCOUVER_9AM)
    sent = running.dms(ANA)
    assert len(sent) == 2
    delete(running, gone)
    said = running.tick(VANCOUVER_9AM + MINUTE)
    [update] = running.fake.called("chat.update")
    [reminder] = [c.reply for c in sent if SECRET_WORDS in words(c.args)]
    [other] = [c.reply for c in sent if SECRET_WORDS not in words(c.args)]
    assert (update.args["channel"], update.args["ts"]) == (reminder["channel"], reminder["ts"])
    assert said == [f"redacted message {reminder['ts']} in {reminder['channel']}"]
    now_shown = in_slack(running.fake, reminder["channel"], reminder["ts"])
    assert now_shown["text"] == REDACTED and SECRET_WORDS not in words(now_shown)
    assert "Check the tutoring sheet" in words(in_slack(running.fake, other["channel"], other["ts"]))
    assert kept.id != gone.id
    # once: later ticks, and another process on the same database, leave it alone
    running.tick(VANCOUVER_9AM + 2 * MINUTE)
    running.restart()
    running.tick(VANCOUVER_9AM + 3 * MINUTE)
    assert len(running.fake.called("chat.update")) == 1


def test_an_expired_note_takes_the_weekly_dm_that_listed_it_with_it(resolute):
    team = resolute.fake
    resolute.log(ANA, SECRET_WORDS, at=utc(11, 19, 15))
    resolute.log(BEN, "Ben's only note", at=utc(11, 23, 10))
    resolute.services.checkins.store.set_response("2026-W48", ANA, "skipped", utc(11, 23, 15))  # a week ran
    resolute.now[0] = W48_CLOSE + MINUTE
    bot.jobs.checkin_tick()
    [to_ana], [to_ben] = resolute.dms(ANA), resolute.dms(BEN)
    assert SECRET_WORDS in words(to_ana.args)
    assert resolute.tick(W48_CLOSE + 2 * MINUTE) == []  # nothing gone yet: nothing redacted
    # 30 days later Ana's note expires (retention_days = 30); Ben's, logged four days later, is kept
    resolute.now[0] = utc(11, 19, 15) + timedelta(days=30, minutes=1)
    assert (
        bot.jobs.notes_retention()
        == "1 note older than 30 days deleted; 0 audit rows removed, 365 days after their notes"
    )
    said = resolute.tick(resolute.now[0] + MINUTE)
    dm = to_ana.reply["channel"]
    assert said == [f"redacted message {to_ana.reply['ts']} in {dm}"]
    assert in_slack(team, dm, to_ana.reply["ts"])["text"] == REDACTED
    assert "Ben's only note" in words(in_slack(team, to_ben.reply["channel"], to_ben.reply["ts"]))


def test_a_redaction_slack_refuses_is_not_retried_and_one_it_delays_is(resolute):
    first = resolute.log(ANA, SECRET_WORDS, follow_up=str(DAY))
    second = resolute.log(ANA, "Another private plan", follow_up=str(DAY))
    resolute.tick(VANCOUVER_9AM)
    posted = resolute.dms(ANA)
    delete(resolute, first)
    resolute.fake.errors["chat.update"] = "ratelimited"  # Slack asks to wait: the next tick tries again
    assert resolute.tick(VANCOUVER_9AM + MINUTE) == []
    del resolute.fake.errors["chat.update"]
    assert len(resolute.tick(VANCOUVER_9AM + 2 * MINUTE)) == 1
    # a message Slack no longer has (deleted in Slack meanwhile): refused for good, tried once
    [gone] = [c.reply for c in posted if "Another private plan" in words(c.args)]
    resolute.fake.messages[gone["channel"]] = [m for m in resolute.fake.messages[gone["channel"]]
                                               if m["ts"] != gone["ts"]]  # fmt: skip
    delete(resolute, second)
    updates = len(resolute.fake.called("chat.update"))
    said = resolute.tick(VANCOUVER_9AM + 3 * MINUTE)
    assert said == [
        f"message {gone['ts']} in {gone['channel']} not redacted: Slack answered message_not_found"
    ]
    for minutes in range(4, 10):
        assert resolute.tick(VANCOUVER_9AM + minutes * MINUTE) == []
    assert len(resolute.fake.called("chat.update")) == updates + 1


# errors that say Resolute's token or installation does not work now (a rotation, a reinstall, a scope
# left out): the message still shows the note, and mending the token makes the redaction possible
CREDENTIALS = [
    "invalid_auth",
    "not_authed",
    "token_revoked",
    "account_inactive",
    "token_expired",
    "missing_scope",
]


def test_a_redaction_refused_for_resolute_s_own_token_waits_for_it_to_be_mended_and_is_logged_once(
    start, database_url, caplog
):
    running = start(database_url)
    first = running.log(ANA, SECRET_WORDS, follow_up=str(DAY))
    second = running.log(ANA, "Another private plan", follow_up=str(DAY))
    running.tick(VANCOUVER_9AM)
    posted = sorted((c.reply for c in running.dms(ANA)), key=lambda r: r["ts"])
    delete(running, first)
    delete(running, second)
    minute = iter(range(1, 100))
    with caplog.at_level(logging.WARNING, logger="bot.notes.copies"):
        for error in CREDENTIALS:
            running.fake.errors["chat.update"] = error
            for _ in range(3):  # once a minute, one call a minute: the first message, then the tick waits
                updates = len(running.fake.called("chat.update"))
                assert running.tick(VANCOUVER_9AM + next(minute) * MINUTE) == []
                assert len(running.fake.called("chat.update")) == updates + 1
        warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == len(CREDENTIALS)  # once per message and error, not once a minute
    for line, error in zip(warned, CREDENTIALS, strict=True):
        assert f"message {posted[0]['ts']}" in line and f"({error}:" in line and "retried" in line
    shown = " ".join(words(in_slack(running.fake, r["channel"], r["ts"])) for r in posted)
    assert SECRET_WORDS in shown and "Another private plan" in shown and REDACTED not in shown  # still there
    del running.fake.errors["chat.update"]  # a new token, or the app reinstalled with its scopes
    said = running.tick(VANCOUVER_9AM + next(minute) * MINUTE)
    assert said == [f"redacted message {r['ts']} in {r['channel']}" for r in posted]
    for reply in posted:
        assert in_slack(running.fake, reply["channel"], reply["ts"])["text"] == REDACTED
    updates = len(running.fake.called("chat.update"))
    running.restart()  # redacted once: another process on the same database has nothing left to do
    assert running.tick(VANCOUVER_9AM + next(minute) * MINUTE) == []
    assert len(running.fake.called("chat.update")) == updates


# -- through Slack: a confirmation sent by DM, an export file ------------------------------------------------
@pytest.fixture
def desk_on(make_services, fake_slack, tmp_path, database_url):
    """tests.test_notes_slack's Desk on SQLite or PostgreSQL, with the notes' jobs on its clock."""
    build = make_services if database_url is None else partial(make_services, database_url=database_url)
    with served(build, fake_slack, tmp_path) as desk:
        bot.jobs.use(
            desk.services, WebClient(token=TOKEN, base_url=fake_slack.url), clock=lambda: desk.now[0]
        )
        yield desk


def test_an_export_file_is_deleted_from_slack_a_day_after_its_upload(desk_on, fake_slack):
    desk = desk_on
    desk.log(ANA, SECRET_WORDS, school="A")
    reply = desk.command(ANA, "/notes", "export")
    assert "Sent to your direct messages" in reply["text"]
    [upload] = fake_slack.called("files.completeUploadExternal")
    [file_id] = [f["id"] for f in upload.args["files"]]
    assert "24 hours" in upload.args["initial_comment"]
    desk.later(24 * 3600 - 60)
    assert bot.jobs.notes_tick() == [] and file_id in fake_slack.files
    desk.later(60)
    assert bot.jobs.notes_tick() == [f"deleted export file {file_id}"]
    assert file_id not in fake_slack.files
    desk.later(60)
    assert bot.jobs.notes_tick() == [] and len(fake_slack.called("files.delete")) == 1


def test_an_export_file_slack_will_not_delete_for_a_revoked_token_is_deleted_once_it_is_mended(
    desk_on, fake_slack
):
    desk = desk_on
    desk.log(ANA, SECRET_WORDS)
    desk.command(ANA, "/notes", "export")
    [file_id] = list(fake_slack.files)
    fake_slack.errors["files.delete"] = "token_revoked"
    desk.later(25 * 3600)
    assert bot.jobs.notes_tick() == []
    desk.later(60)
    assert bot.jobs.notes_tick() == [] and file_id in fake_slack.files
    del fake_slack.errors["files.delete"]
    desk.later(60)
    assert bot.jobs.notes_tick() == [f"deleted export file {file_id}"]
    assert file_id not in fake_slack.files and len(fake_slack.called("files.delete")) == 3


def test_an_export_file_already_deleted_in_slack_is_not_asked_again(desk_on, fake_slack):
    desk = desk_on
    desk.log(ANA, SECRET_WORDS)
    desk.command(ANA, "/notes", "export")
    [file_id] = list(fake_slack.files)
    fake_slack.files.clear()  # its owner deleted it first
    desk.later(25 * 3600)
    assert bot.jobs.notes_tick() == [f"export file {file_id} not deleted: Slack answered file_not_found"]
    desk.later(60)
    assert bot.jobs.notes_tick() == [] and len(fake_slack.called("files.delete")) == 1


def test_a_confirmation_sent_by_dm_is_redacted_when_its_note_is_deleted(desk_on, fake_slack):
    desk = desk_on
    form = desk.open_form(ANA)
    fake_slack.errors["response_url"] = "expired_url"  # the form's response_url no longer works: a DM
    assert desk.submit(ANA, form, type="tutoring", text=SECRET_WORDS) is None
    [dm] = fake_slack.wait_for("chat.postMessage", timeout=10)
    del fake_slack.errors["response_url"]
    assert SECRET_WORDS in words(dm.args)
    [note] = desk.stored()
    desk.later(60)
    assert bot.jobs.notes_tick() == []  # the note is there: the confirmation stays
    desk.session(ANA).delete(note.id, now=desk.now[0])
    assert bot.jobs.notes_tick() == [f"redacted message {dm.reply['ts']} in {dm.reply['channel']}"]
    assert in_slack(fake_slack, dm.reply["channel"], dm.reply["ts"])["text"] == REDACTED
