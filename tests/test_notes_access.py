"""Who sees which notes, and who saw them: school-scoped readers, a student's record of access and its
retention, a student's timeline, and moves between tiers. Over Slack's protocol (signed requests in, Web API
calls out to the fake Slack) and the command line, on a clock the test moves."""

from __future__ import annotations

import csv
import html
import io
import json
from contextlib import contextmanager
from datetime import timedelta

import pytest
from click.testing import CliRunner

import bot.jobs
from bot.cli import main
from bot.slack.app import make_web_client
from bot.slack.blocks import notes as kit
from tests.test_notes_logging import direct_message
from tests.test_notes_slack import ADA, ANA, BEN, OLI, STUDENT, TOML, buttons, refusal_of, served, shown
from tests.test_slack import wait_answers

PIA = "UPIA"  # reads the notes of school A only (its principal, say); not in the leadership channel
SCOPED = TOML + 'school_readers = { A = ["UPIA"] }\n'
AT_A = "Marigold-3310 reading plan: the student reads aloud with the literacy coach every Monday morning."
AT_B = "Quillon-8842 attendance plan: the family meets the social worker on Wednesdays after school."
NO_SCHOOL = "Tansy-5519 district review: the student's file went to the district's placement committee."
DAY = timedelta(days=1)


@pytest.fixture
def desk(make_services, fake_slack, tmp_path):
    with served(make_services, fake_slack, tmp_path, toml=SCOPED) as running:
        yield running


def dm(desk, fake_slack, user: str, text: str) -> dict:
    """A direct message to Resolute, answered: the answer's call."""
    before = len(wait_answers(fake_slack, 0))
    direct_message(desk, user, text)
    return wait_answers(fake_slack, before + 1)[-1]


def exported_rows(fake_slack, user: str) -> list[dict]:
    """The rows of the last CSV uploaded to `user`'s direct messages."""
    dm_channel = fake_slack.called("conversations.open")[-1].reply["channel"]["id"]
    [*_, upload] = [f for f in fake_slack.files.values() if f.get("channel") == dm_channel]
    return list(csv.DictReader(io.StringIO(upload["content"].decode())))


# -- school-scoped readers --------------------------------------------------------------------------------
def test_a_school_reader_sees_finds_and_exports_only_their_schools_notes(desk, fake_slack):
    a = desk.log(ANA, AT_A, school="A", student=STUDENT, type="tutoring")
    b = desk.log(ANA, AT_B, school="B", student=STUDENT, type="attendance")
    desk.log(ANA, NO_SCHOOL, student=STUDENT)  # the district's: no school's reader sees it

    listed = shown(desk.command(PIA, "/notes"))
    assert "Marigold" in listed and "Quillon" not in listed and "Tansy" not in listed
    timeline = shown(desk.command(PIA, "/notes", f"student:{STUDENT}"))
    assert "Marigold" in timeline and "Quillon" not in timeline and "Tansy" not in timeline
    assert "(1 note)" in timeline  # no count of the others either
    desk.command(PIA, "/notes", "export")
    assert [r["text"] for r in exported_rows(fake_slack, PIA)] == [AT_A]
    # a district reader still sees every school's
    assert all(
        w in shown(desk.command(BEN, "/notes", f"student:{STUDENT}"))
        for w in ("Marigold", "Quillon", "Tansy")
    )

    # a note logged by a reader of one school is that school's
    desk.command(PIA, "/note", f"student:{STUDENT} Met the student and the coach.")
    assert desk.stored()[0].school == "A" and desk.stored()[0].author == PIA
    assert {n.id for n in desk.stored()} >= {a.id, b.id}


def test_a_school_reader_gets_the_one_refusal_for_every_other_schools_note(desk, fake_slack):
    b = desk.log(ANA, AT_B, school="B", student=STUDENT, type="attendance")
    gone = desk.log(ANA, AT_A, school="A", student=STUDENT)
    gone_value = kit.note_value(gone)
    desk.session(ADA).delete(gone.id, now=desk.now[0])
    refusal = refusal_of(desk.command(OLI, "/notes"))  # someone entitled to no notes at all

    asked = [
        desk.command(PIA, "/notes", "school:B"),
        desk.command(PIA, "/notes", f"school:B student:{STUDENT}"),
        desk.command(PIA, "/notes", "export school:B"),
        desk.command(PIA, "/note", f"school:B student:{STUDENT} {AT_A}"),
        desk.press(PIA, kit.EDIT, kit.note_value(b), block_id=kit.ONE),
        desk.press(PIA, kit.DELETE, kit.note_value(b), block_id=kit.ONE),
        desk.press(PIA, kit.EDIT, gone_value),  # one of theirs that is gone: no hint that it ever was
        desk.press(PIA, kit.DELETE, "999999@0"),  # none at all
    ]
    assert [refusal_of(reply) for reply in asked] == [refusal] * len(asked)
    # the form: moving a note of theirs to another school is refused the same way, on the form
    mine = desk.command(PIA, "/note", f"student:{STUDENT} {AT_A}")
    [edit] = buttons(mine)[kit.EDIT]
    form = desk.press(PIA, kit.EDIT, edit, block_id=kit.ONE, opens=True)
    said = desk.submit(PIA, form, school="B")
    assert said["response_action"] == "errors" and json.loads(refusal)["text"] in json.dumps(said)
    assert [n.school for n in desk.stored() if n.author == PIA] == ["A"]
    assert desk.session(ADA).get(b.id) == b  # nothing of school B changed


def test_a_school_readers_direct_message_answers_draw_on_their_schools_notes_only(desk, fake_slack):
    desk.log(ANA, AT_A, school="A", student=STUDENT, type="tutoring")
    desk.log(ANA, AT_B, school="B", student=STUDENT, type="attendance")

    theirs = dm(desk, fake_slack, PIA, "What is the Marigold-3310 reading plan with the literacy coach?")
    assert "every Monday morning" in shown(theirs.args)
    other = dm(desk, fake_slack, PIA, "What is the Quillon-8842 attendance plan with the social worker?")
    assert "Wednesdays" not in shown(other.args) and "Quillon" not in shown(other.args).replace(
        "Quillon-8842 attendance plan with the social worker?", ""
    )
    # a district reader's answer does draw on school B's note
    assert "Wednesdays" in shown(dm(desk, fake_slack, BEN, "What is the Quillon-8842 attendance plan?").args)


def test_a_school_reader_is_not_told_that_other_schools_notes_exist(desk, fake_slack):
    desk.log(ANA, AT_B, school="B", student=STUDENT, type="attendance")
    nothing = shown(dm(desk, fake_slack, PIA, "Zanzibar quorum flamingo?").args)
    assert "notes you may read" not in nothing  # none of theirs: as for a district with no notes
    assert "notes you may read" in shown(dm(desk, fake_slack, BEN, "Zanzibar quorum flamingo?").args)


def test_a_channel_with_a_school_reader_in_it_gets_no_notes_line_in_the_digest(desk, fake_slack):
    from bot.notes.model import NotEntitled

    notes = desk.services.notes
    members = lambda channel: [ANA, PIA]  # noqa: E731
    assert notes.schools_for(PIA, members=members, now=desk.now[0]) == frozenset({"A"})
    with pytest.raises(NotEntitled):
        notes.schools_for(OLI, members=members, now=desk.now[0])
    why = notes.why_not_only_readers("G0PRIVATE", private=True, members=members, now=desk.now[0])
    assert why == "not everyone in G0PRIVATE is entitled to every school's notes"


@contextmanager
def jobs(desk):
    """The scheduled jobs' context (paused: the test runs the daily job itself, on its clock)."""
    scheduler = bot.jobs.start_jobs(desk.services, make_web_client(desk.services.settings),
                                    clock=lambda: desk.now[0], paused=True)  # fmt: skip
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)


# -- a student's record of access -------------------------------------------------------------------------
def test_a_students_record_of_access_lists_every_read_answer_export_and_change(desk, fake_slack, monkeypatch):
    mine = desk.command(ANA, "/note", f"school:A student:{STUDENT} type:tutoring {AT_A}")  # create
    other = desk.log(ANA, AT_B, school="B", student="XY-0001")  # another student's: never in the record
    desk.later(60)
    desk.command(BEN, "/notes", "school:A")  # a listing that shows it
    desk.later(60)
    dm(desk, fake_slack, PIA, "What is the Marigold-3310 reading plan with the literacy coach?")  # an answer
    desk.later(60)
    desk.command(BEN, "/notes", f"export student:{STUDENT}")  # an export
    desk.later(60)
    desk.command(PIA, "/notes", f"student:{STUDENT}")  # the timeline
    desk.later(60)
    form = desk.press(ANA, kit.EDIT, buttons(mine)[kit.EDIT][0], block_id=kit.ONE, opens=True)
    assert desk.submit(ANA, form, text=AT_A + " Now twice a week.") is None  # an edit
    desk.later(60)
    desk.command(BEN, "/notes", "school:B")  # lists only the other student's note: not in the record

    said = desk.command(ADA, "/notes", f"access student:{STUDENT.lower()}")  # any case
    text = shown(said)
    order = ["edited", "read the timeline", "exported", "was shown in an answer", "listed", "logged"]
    at = [
        text.find(f"<@{who}> {what}") for who, what in zip([ANA, PIA, BEN, PIA, BEN, ANA], order, strict=True)
    ]
    assert -1 not in at and at == sorted(at), text  # newest first
    assert "(6)" in text and "Marigold" not in text  # never a note's words

    # the command line says the same, as JSON
    monkeypatch.setattr("bot.cli.Services", lambda *a, **k: desk.services)
    result = CliRunner().invoke(main, ["notes", "access", "--student", STUDENT, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["action"] for r in rows] == ["edit", "timeline", "export", "answer", "list", "create"]
    assert [r["actor"] for r in rows] == [ANA, PIA, BEN, PIA, BEN, ANA]
    assert all(other.id not in r["notes"] for r in rows)
    # only the notes' admins read it in Slack
    assert "for the notes' admins" in shown(desk.command(BEN, "/notes", f"access student:{STUDENT}"))
    assert refusal_of(desk.command(OLI, "/notes", f"access student:{STUDENT}")) == refusal_of(
        desk.command(OLI, "/notes")
    )


def test_a_deleted_note_leaves_no_trace_of_its_student_in_the_reads_that_showed_it(desk, fake_slack):
    gone = desk.log(ANA, AT_A, school="A", student=STUDENT)
    kept = desk.log(ANA, AT_B, school="B", student=STUDENT)
    desk.command(BEN, "/notes", f"student:{STUDENT}")  # a timeline that showed both
    desk.session(ADA).delete(gone.id, now=desk.now[0])
    [timeline] = [r for r in desk.services.notes.operator("test").audit() if r["action"] == "timeline"]
    assert timeline["details"] == {"filters": {"student": "(deleted)"}, "ids": [gone.id, kept.id]}
    # the student's record of access still has it: it showed a note of theirs that is kept
    assert [(r["action"], r["notes"]) for r in desk.services.notes.access(STUDENT)] == [
        ("timeline", [kept.id]), ("create", [kept.id])]  # fmt: skip


def test_the_audit_outlives_its_notes_by_audit_retention_days_then_the_daily_job_removes_it(
    make_services, fake_slack, tmp_path
):
    toml = TOML.replace("[notes]\n", "[notes]\nretention_days = 30\naudit_retention_days = 10\n")
    with served(make_services, fake_slack, tmp_path, toml=toml) as desk, jobs(desk):
        old = desk.log(ANA, AT_A, school="A", student=STUDENT)  # expires at 30 days
        desk.later(20 * 86400)
        kept = desk.log(ANA, AT_B, school="B", student=STUDENT)  # expires ten days after the first
        desk.command(BEN, "/notes", f"student:{STUDENT}")  # a read of both
        desk.later(10 * 86400 + 60)
        assert bot.jobs.notes_retention().startswith(
            "1 note older than 30 days deleted; 0 audit rows removed"
        )
        audit = desk.services.notes.operator("test").audit()
        about_old = [r for r in audit if old.id in [r["note_id"], *r["details"].get("ids", [])]]
        assert [r["action"] for r in about_old] == ["create", "timeline", "expire"]

        desk.later(10 * 86400 - 120)  # not yet ten days since the note went
        assert bot.jobs.notes_retention().endswith("; 0 audit rows removed, 10 days after their notes")
        desk.later(180)
        said = bot.jobs.notes_retention()
        assert said == "no notes older than 30 days; 2 audit rows removed, 10 days after their notes"
        audit = desk.services.notes.operator("test").audit()
        # the old note's creation and its expiry went; the read of both stays while the other note is kept
        assert [(r["action"], r["note_id"]) for r in audit] == [
            ("create", kept.id), ("timeline", None), ("expire_audit", None)]  # fmt: skip
        assert audit[-1]["details"] == {"audit_retention_days": 10, "rows": 2}
        assert audit[1]["details"]["ids"] == [old.id, kept.id]
        assert [r["action"] for r in desk.services.notes.access(STUDENT)] == ["timeline", "create"]


# -- the timeline and moves between tiers -----------------------------------------------------------------
def test_a_students_timeline_is_oldest_first_with_moves_between_tiers_marked(desk, monkeypatch):
    desk.command(ANA, "/note", f"school:A student:{STUDENT} type:tutoring tier:2 First tutoring block.")
    desk.later(DAY.total_seconds())
    desk.command(ANA, "/note", f"school:A student:{STUDENT} type:tutoring tier: 2->3 follow_up:2026-12-01 "
                               "Moved to daily tutoring.")  # fmt: skip
    desk.later(DAY.total_seconds())
    form = desk.open_form(BEN)  # the form's Tier holds moves too
    assert desk.submit(BEN, form, school="A", student=STUDENT, type="attendance", tier="3->2",
                       text="Attendance recovered; back to weekly.") is None  # fmt: skip

    said = shown(desk.command(ANA, "/notes", f"student:{STUDENT}"))
    first, second, third = (
        said.find(w) for w in ("First tutoring", "Moved to daily", "Attendance recovered")
    )
    assert -1 < first < second < third, said
    assert said.count("tier change") == 2 and "tier 2 → 3" in said and "tier 3 → 2" in said
    assert "follow-up Tue 01 Dec 2026" in said and f"<@{BEN}>" in said and "Alpha PS (A)" in said

    # the command line, as JSON
    monkeypatch.setattr("bot.cli.Services", lambda *a, **k: desk.services)
    result = CliRunner().invoke(main, ["notes", "timeline", "--student", STUDENT, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["tier_from"], r["tier"], r["type"]) for r in rows] == [
        (None, 2, "tutoring"), (2, 3, "tutoring"), (3, 2, "attendance")]  # fmt: skip
    assert [r["author"] for r in rows] == [ANA, ANA, BEN] and rows[1]["follow_up"] == "2026-12-01"


def test_a_move_between_tiers_is_checked_like_every_field(desk):
    said = html.unescape(shown(desk.command(ANA, "/note", f"student:{STUDENT} tier:2->2 Same tier.")))
    assert "tier: 2->2 is no move; write tier: 2" in said
    said = html.unescape(shown(desk.command(ANA, "/note", f"student:{STUDENT} tier:2->4 Up.")))
    assert "tier: '2->4' must be 1, 2 or 3, or a move such as 2->3" in said
    assert desk.stored() == []
