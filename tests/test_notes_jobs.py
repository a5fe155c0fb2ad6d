"""What intervention notes send on their own, on a clock the test moves (never a sleep): follow-up
reminders at 09:00 in each author's own time zone, once across retries, restarts and several processes;
the daily retention; the digest's counts; each author's private DM of their notes after the check-in
summary."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from slack_sdk import WebClient

import bot.jobs
from bot.jobs import post_weekly_digest
from bot.notes.model import NOTES_CORPUS
from bot.slack.blocks import notes as kit
from bot.slack.fake import BOT_TOKEN as TOKEN
from bot.slack.note_sending import FollowUps
from tests.test_checkins_week import TOML as CHECKINS_TOML
from tests.test_district import write_district

LEAD = "C0LEAD0001"  # the leadership channel: its members are entitled to notes
ANA, BEN, CAL = "UANA", "UBEN", "UCAL"
ZONES = {ANA: "America/Vancouver", BEN: "Europe/London", CAL: "Asia/Tokyo"}
NOTES = '\n[notes]\nreaders = "channel"\nretention_days = 30\n'
TOML = CHECKINS_TOML + NOTES  # Toronto; priorities literacy and numeracy; check-ins close Wed 17:00
DAY = date(2026, 11, 25)  # a Wednesday; both zones are on standard time (the changes were in Oct/Nov)
LONDON_9AM = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # GMT, UTC+0
VANCOUVER_9AM = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # PST, UTC-8
LOGGED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


class Resolute:
    """One `serve` process's notes: its services and jobs on the shared clock, and a way to log notes."""

    def __init__(self, make_services, fake, *, start: datetime = LOGGED, **settings) -> None:
        self.make_services, self.fake, self.now, self.settings = make_services, fake, [start], settings
        self.restart()

    def restart(self) -> None:
        """A new process on the same database: new services, a new client, new jobs."""
        self.services = self.make_services(clock=lambda: self.now[0], **self.settings)
        self.client = WebClient(token=TOKEN, base_url=self.fake.url)
        bot.jobs.use(self.services, self.client, clock=lambda: self.now[0])

    def log(self, author: str, text: str, *, at: datetime | None = None, **fields: str):
        """A note logged by `author` at `at` (default: now), as `/note` would log it."""
        when = at or self.now[0]
        session = self.services.notes.session(author, members=self.members, now=when)
        return session.log(session.draft({"text": text, **fields}, now=when), now=when)

    def members(self, channel: str) -> list[str]:
        return list(self.fake.members.get(channel, []))

    def tick(self, at: datetime) -> list[str]:
        self.now[0] = at
        return bot.jobs.notes_tick()

    def dms(self, user: str) -> list:
        return [c for c in self.fake.called("chat.postMessage") if c.args["channel"] == user]


@pytest.fixture
def team(fake_slack):
    """The fake Slack: three people in their zones, Ana and Ben in the leadership channel, a private one."""
    fake_slack.users = {user: {"tz": tz} for user, tz in ZONES.items()}
    fake_slack.members[LEAD] = [ANA, BEN]
    fake_slack.channels[LEAD] = {"is_private": True}
    return fake_slack


@pytest.fixture
def start(make_services, tmp_path, team):
    """Start Resolute on the district data (with [notes] and [checkins]) on SQLite, or on a database URL."""

    def started(database_url: str | None = None, toml: str = TOML) -> Resolute:
        write_district(tmp_path / "knowledge" / "district", toml=toml)
        settings = {"slack_bot_token": TOKEN, "slack_api_url": team.url}
        if database_url:
            settings["database_url"] = database_url
        running = Resolute(make_services, team, **settings)
        running.services.district.load()
        return running

    return started


@pytest.fixture
def resolute(start) -> Resolute:
    return start()


def rendered(call) -> str:
    return json.dumps(call.args.get("blocks"), ensure_ascii=False) + call.args.get("text", "")


# -- follow-up reminders ------------------------------------------------------------------------------
def test_a_follow_up_reminds_its_author_at_nine_their_own_time_and_once_across_a_restart(resolute):
    ana = resolute.log(ANA, "Call the family about the lab make-up plan", school="A", follow_up=str(DAY))
    ben = resolute.log(BEN, "Check the tutoring attendance sheet", type="tutoring", follow_up=str(DAY))
    assert resolute.tick(LONDON_9AM - MINUTE) == []
    assert resolute.tick(LONDON_9AM) == [f"follow-up for note {ben.id} -> {BEN}"]
    assert resolute.tick(VANCOUVER_9AM - MINUTE) == []  # 08:59 in Vancouver
    assert resolute.tick(VANCOUVER_9AM) == [f"follow-up for note {ana.id} -> {ANA}"]
    [to_ben] = resolute.dms(BEN)
    [to_ana] = resolute.dms(ANA)
    assert "Check the tutoring attendance sheet" in rendered(to_ben)
    assert "Call the family about the lab make-up plan" in rendered(to_ana)
    assert "Alpha PS" in rendered(to_ana) and "Fri 20 Nov 2026" in rendered(to_ana)
    [edit] = [e for b in to_ana.args["blocks"] if b["type"] == "actions" for e in b["elements"]
              if e["action_id"] == "notes_edit"]  # fmt: skip
    assert edit["value"] == kit.note_value(ana)
    resolute.restart()  # a new process on the same database, later that day and the next
    assert resolute.tick(VANCOUVER_9AM + MINUTE) == []
    assert resolute.tick(VANCOUVER_9AM + timedelta(days=1)) == []
    assert len(resolute.fake.called("chat.postMessage")) == 2


def test_a_reminder_goes_only_to_an_author_who_may_still_read_the_note(start):
    running = start(toml=TOML + 'admins = ["UADA"]\nschool_readers = { A = ["UCAL"] }\n')
    kept = running.log(CAL, "Check the reading log with the coach", school="A", follow_up=str(DAY))
    moved = running.log(CAL, "Ask the attendance counsellor about the plan", school="A", follow_up=str(DAY))
    admin = running.services.notes.session("UADA", members=running.members, now=running.now[0])
    admin.edit(moved.id, admin.draft({"text": moved.text, "school": "B", "follow_up": str(DAY)}, now=running.now[0]),
               now=running.now[0])  # an admin moves it to a school Cal does not read  # fmt: skip
    said = running.tick(utc(11, 25, 0))  # 09:00 in Tokyo
    assert said == [f"follow-up for note {kept.id} -> {CAL}",
                    f"follow-up for note {moved.id} not sent: its author may no longer read it"]  # fmt: skip
    assert "attendance counsellor" not in json.dumps([c.args for c in running.dms(CAL)])


def test_two_processes_on_one_database_send_each_reminder_once(start, make_services, database_url):
    resolute = start(database_url)
    notes = [resolute.log(ANA, f"Follow up {i}", follow_up=str(DAY)) for i in range(3)]
    instances = [
        FollowUps(notes=s.notes, people=s.checkins.store, district=s.district,
                  client=WebClient(token=TOKEN, base_url=resolute.fake.url))
        for s in (make_services(**resolute.settings) for _ in range(2))
    ]  # fmt: skip
    gate, said = threading.Barrier(len(instances)), []

    def run(instance: FollowUps) -> None:
        gate.wait()
        said.extend(instance.tick(VANCOUVER_9AM + MINUTE))

    threads = [threading.Thread(target=run, args=(i,)) for i in instances]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(said) == sorted(f"follow-up for note {n.id} -> {ANA}" for n in notes)
    assert len(resolute.dms(ANA)) == 3


def test_a_deleted_note_sends_nothing_even_if_deleted_during_the_tick(resolute, monkeypatch, caplog):
    note = resolute.log(ANA, "Meet the guidance counsellor", follow_up=str(DAY))
    session = resolute.services.notes.session(ANA, members=resolute.members, now=LOGGED)
    session.delete(note.id, now=LOGGED + MINUTE)
    assert resolute.tick(VANCOUVER_9AM) == []
    # deleted between the tick's query and its send: the tick still has the note in hand
    monkeypatch.setattr(resolute.services.notes, "due_follow_ups", lambda until, since=None: [note])
    with caplog.at_level(logging.WARNING):
        assert resolute.tick(VANCOUVER_9AM + MINUTE) == []
    assert resolute.dms(ANA) == [] and caplog.records == []


def test_a_failed_send_is_retried_on_the_next_tick(resolute, caplog):
    note = resolute.log(ANA, "Private words about S1234", student="S1234", follow_up=str(DAY))
    resolute.fake.errors["chat.postMessage"] = "ratelimited"
    with caplog.at_level(logging.DEBUG):
        assert resolute.tick(VANCOUVER_9AM) == []
    assert f"follow-up for note {note.id} could not be sent (ratelimited)" in caplog.text
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("slack_sdk"))
    assert ours and "Private words" not in ours and "S1234" not in ours
    del resolute.fake.errors["chat.postMessage"]
    assert resolute.tick(VANCOUVER_9AM + MINUTE) == [f"follow-up for note {note.id} -> {ANA}"]
    assert resolute.tick(VANCOUVER_9AM + 2 * MINUTE) == []
    assert len([c for c in resolute.dms(ANA) if c.reply.get("ok")]) == 1


def test_a_reminder_missed_while_down_goes_out_within_a_week_and_not_later(resolute):
    recent = resolute.log(ANA, "Recent", follow_up=str(DAY))
    stale = resolute.log(ANA, "Stale", follow_up=str(DAY - timedelta(days=1)))
    # Resolute comes back 6 days 23 hours after the first one was due: 7 days 23 hours after the other
    back = VANCOUVER_9AM + timedelta(days=6, hours=23)
    assert set(resolute.tick(back)) == {f"follow-up for note {recent.id} -> {ANA}",
                                        f"follow-up for note {stale.id} not sent: 7 days late"}  # fmt: skip
    assert resolute.tick(back + MINUTE) == []
    [sent] = resolute.dms(ANA)
    assert "Recent" in rendered(sent)


def test_an_author_who_has_left_the_channel_is_not_reminded(resolute):
    note = resolute.log(BEN, "Talk to the principal", follow_up=str(DAY))
    resolute.fake.members[LEAD] = [ANA]
    assert resolute.tick(LONDON_9AM) == [
        f"follow-up for note {note.id} not sent: its author may no longer read it"
    ]
    assert resolute.dms(BEN) == []


def test_the_author_s_time_zone_is_asked_of_slack_once_a_day(resolute):
    for i in range(3):
        resolute.log(BEN, f"Note {i}", follow_up=str(DAY + timedelta(days=i)))
    at = LONDON_9AM - timedelta(days=1)
    while at < LONDON_9AM + timedelta(days=3):  # every 10 minutes for four days
        resolute.tick(at)
        at += timedelta(minutes=10)
    assert len(resolute.dms(BEN)) == 3
    assert 1 <= len(resolute.fake.called("users.info")) <= 4  # about once a day, not once a minute


# -- retention ----------------------------------------------------------------------------------------
def test_retention_deletes_notes_older_than_the_district_keeps_them_and_audits_it(resolute):
    now = utc(12, 30, 2, 30)
    old = resolute.log(ANA, "An old note about the attendance plan", at=now - timedelta(days=31))
    new = resolute.log(ANA, "A newer note about the attendance plan", at=now - timedelta(days=29))
    resolute.now[0] = now

    def searched() -> set[str]:
        return {hit.passage.text.split(" note")[0] for hit in notes_index.search("attendance plan note", k=5)}

    notes_index = resolute.services.index(NOTES_CORPUS)
    assert searched() == {"An old", "A newer"}
    assert (
        bot.jobs.notes_retention()
        == "1 note older than 30 days deleted; 0 audit rows removed, 365 days after their notes"
    )
    store = resolute.services.notes.store
    assert store.get(old.id) is None and store.get(new.id) is not None
    assert searched() == {"A newer"}  # out of answers too
    [expired] = [r for r in store.audit_rows() if r["action"] == "expire"]
    assert expired["details"]["ids"] == [old.id] and expired["details"]["retention_days"] == 30
    assert "An old note" not in json.dumps(expired, default=str)
    assert (
        bot.jobs.notes_retention()
        == "no notes older than 30 days; 0 audit rows removed, 365 days after their notes"
    )


def test_with_no_notes_configured_the_notes_jobs_do_nothing_quietly(make_services, tmp_path, team, caplog):
    write_district(tmp_path / "knowledge" / "district", toml=CHECKINS_TOML)
    running = Resolute(make_services, team, slack_bot_token=TOKEN, slack_api_url=team.url)
    with caplog.at_level(logging.WARNING):
        assert running.tick(LONDON_9AM) == []  # no data loaded yet
        running.services.district.load()
        assert running.tick(LONDON_9AM) == []
        assert bot.jobs.notes_retention() == "notes are off: nothing to expire"
    assert caplog.records == [] and team.calls == []


# -- the digest ---------------------------------------------------------------------------------------
FRIDAY_3PM = utc(11, 20, 20)  # the digest's "fri 15:00" in Toronto (EST)


def test_the_digest_counts_the_week_s_interventions_by_type_and_priority_only(resolute, team):
    running = resolute
    logged = [
        (FRIDAY_3PM - timedelta(days=7) - MINUTE, {"type": "tutoring"}),  # the week before: not counted
        (
            FRIDAY_3PM - timedelta(days=7) + MINUTE,
            {"type": "credit_rescue", "priority": "literacy", "school": "A"},
        ),
        (
            FRIDAY_3PM - timedelta(days=2),
            {"type": "credit_rescue", "priority": "literacy", "student": "S4411", "tier": "2->3"},
        ),
        (
            FRIDAY_3PM - timedelta(hours=1),
            {"type": "attendance", "priority": "numeracy", "school": "Beta PS", "tier": "2"},
        ),
        (FRIDAY_3PM - timedelta(hours=2), {"type": "tutoring", "tier": "3->1", "priority": "numeracy"}),
        (FRIDAY_3PM - MINUTE, {"type": "tutoring", "student": "J.K."}),
        (FRIDAY_3PM + MINUTE, {"type": "other"}),  # after the digest's time: next week's
    ]
    for i, (at, fields) in enumerate(logged):
        running.log(ANA, f"Confidential note number {i}", at=at, **fields)
    said = post_weekly_digest(running.services.district, running.client, now=FRIDAY_3PM + 5 * MINUTE,
                              notes=running.services.notes)  # fmt: skip
    assert said.startswith("posted the digest")
    [digest] = team.called("chat.postMessage")
    line = (":memo: *Interventions logged this week*: 5. By type: credit rescue 2, tutoring 2, attendance 1. "
            "By priority: Literacy 2, Numeracy 2, no priority 1. Tier changes: 2 (1 to more support, 1 to less).")  # fmt: skip
    assert [b["text"]["text"] for b in digest.args["blocks"] if ":memo:" in json.dumps(b)] == [line]
    assert line in digest.args["text"]
    whole = rendered(digest)
    for private in ("Confidential", "S4411", "J.K.", ANA):
        assert private not in whole


def test_a_week_with_no_notes_says_so_and_a_district_without_notes_has_no_line(resolute, tmp_path, team):
    running = resolute
    post_weekly_digest(
        running.services.district, running.client, now=FRIDAY_3PM, notes=running.services.notes
    )
    assert (
        ":memo: *Interventions logged this week*: none." in team.called("chat.postMessage")[-1].args["text"]
    )
    write_district(tmp_path / "knowledge" / "district", toml=CHECKINS_TOML)
    running.services.district.load()
    post_weekly_digest(running.services.district, running.client, now=FRIDAY_3PM + timedelta(days=7),
                       notes=running.services.notes)  # fmt: skip
    assert "Interventions" not in rendered(team.called("chat.postMessage")[-1])


# -- the check-in summary's private DMs ---------------------------------------------------------------
W48_CLOSE = utc(11, 25, 22)  # Wed 25 Nov 17:00 in Toronto (EST); the week before closed Wed 18 Nov 22:00 UTC
LONG = "Grade 10 science credit at risk after two missed labs; " * 5  # over 150 characters


def test_after_the_summary_each_author_gets_only_their_own_notes_of_the_week_once(resolute):
    team = resolute.fake
    team.members[LEAD] = [ANA, BEN, CAL]
    resolute.log(ANA, "Before the week", at=W48_CLOSE - timedelta(days=7) - MINUTE)
    resolute.log(ANA, LONG, at=utc(11, 19, 15), school="A")
    resolute.log(ANA, "Second of Ana's", at=utc(11, 24, 15), type="tutoring", student="S0001")
    resolute.log(BEN, "Ben's only note", at=utc(11, 23, 10))
    resolute.log(CAL, "Cal's note", at=utc(11, 23, 11))
    resolute.log(BEN, "After the close", at=W48_CLOSE + MINUTE)
    team.members[LEAD] = [ANA, BEN]  # Cal has left the leadership team: sent nothing
    resolute.services.notes.forget_members(LEAD)  # as Slack's member_left_channel event makes it
    resolute.services.checkins.store.set_response("2026-W48", ANA, "skipped", utc(11, 23, 15))
    resolute.now[0] = W48_CLOSE + MINUTE
    said = bot.jobs.checkin_tick()
    assert {"summary 2026-W48 -> C0LEAD0001", "notes 2026-W48 -> UANA", "notes 2026-W48 -> UBEN"} <= set(said)
    [summary] = [c for c in team.called("chat.postMessage") if c.args["channel"] == LEAD]
    for text in ("Before", LONG[:40], "Second", "Ben's", "Cal's", "After"):
        assert text not in rendered(summary)
    [to_ana], [to_ben] = resolute.dms(ANA), resolute.dms(BEN)
    assert resolute.dms(CAL) == []
    ana = rendered(to_ana)
    assert LONG[:140] in ana and LONG[:200] not in ana  # the start of each note's text
    assert "Second of Ana's" in ana and "Alpha PS" in ana and "S0001" in ana
    assert "Before the week" not in ana and "Ben's" not in ana and "Cal's" not in ana
    ben = rendered(to_ben)
    assert "Ben's only note" in ben and "After the close" not in ben and "Ana's" not in ben and ANA not in ben
    resolute.now[0] = W48_CLOSE + 2 * MINUTE
    assert not [line for line in bot.jobs.checkin_tick() if line.startswith("notes")]
    resolute.restart()
    resolute.now[0] = W48_CLOSE + timedelta(days=1)
    bot.jobs.checkin_tick()
    assert len(resolute.dms(ANA)) == 1 and len(resolute.dms(BEN)) == 1


def test_notes_logged_in_a_skipped_week_come_with_the_next_check_ins_notes(start):
    # the week of 16 November has no check-in: its notes are not lost with its summary
    resolute = start(
        toml=TOML.replace('members = "channel"\n', 'members = "channel"\nskip = ["2026-11-16"]\n')
    )
    resolute.log(ANA, "Logged in the skipped week", at=utc(11, 17, 15))
    resolute.log(ANA, "Logged in the week after", at=utc(11, 23, 15))
    resolute.services.checkins.store.set_response("2026-W48", ANA, "answered", utc(11, 23, 15))
    resolute.now[0] = W48_CLOSE + MINUTE
    assert "notes 2026-W48 -> UANA" in bot.jobs.checkin_tick()
    [to_ana] = resolute.dms(ANA)
    assert "Logged in the skipped week" in rendered(to_ana) and "Logged in the week after" in rendered(to_ana)


# -- the schedule -------------------------------------------------------------------------------------
def test_the_notes_jobs_are_scheduled_by_reference_every_minute_and_daily_at_2_30_district_time(resolute):
    from bot.jobs import NOTES_RETENTION, NOTES_TICK, start_jobs

    scheduler = start_jobs(resolute.services, resolute.client, clock=lambda: resolute.now[0], paused=True)
    try:
        tick, daily = scheduler.get_job("notes_tick"), scheduler.get_job("notes_retention")
        assert tick.func_ref == NOTES_TICK and tick.trigger.interval == timedelta(minutes=1)
        assert daily.func_ref == NOTES_RETENTION == scheduler.get_job("notes_retention_at_start").func_ref
        assert str(daily.trigger.timezone) == "America/Toronto"
        assert daily.trigger.get_next_fire_time(None, utc(11, 25, 12)) == utc(11, 26, 7, 30)  # 02:30 EST
    finally:
        scheduler.shutdown(wait=False)


def test_the_digest_s_notes_line_goes_only_to_a_channel_whose_members_all_read_notes(start, team):
    from bot.slack.fake import BOT_USER

    running = start(toml=CHECKINS_TOML + '\n[notes]\nreaders = ["UANA", "UBEN"]\n')  # the digest goes to LEAD
    running.log(ANA, "Confidential note", at=FRIDAY_3PM - timedelta(hours=1), type="tutoring")
    team.members[LEAD] = [ANA, BEN, CAL, BOT_USER]  # Cal reads the digest but not notes
    post_weekly_digest(
        running.services.district, running.client, now=FRIDAY_3PM, notes=running.services.notes
    )
    assert "Interventions" not in rendered(team.called("chat.postMessage")[-1])
    team.members[LEAD] = [ANA, BEN, BOT_USER]  # only readers (and Resolute itself): the line is there
    running.services.notes.forget_members(LEAD)
    post_weekly_digest(running.services.district, running.client, now=FRIDAY_3PM + timedelta(days=7),
                       notes=running.services.notes)  # fmt: skip
    assert ":memo: *Interventions logged this week*" in rendered(team.called("chat.postMessage")[-1])
    team.errors["conversations.members"] = "missing_scope"  # who is there is unknown: no line
    post_weekly_digest(running.services.district, running.client, now=FRIDAY_3PM + timedelta(days=14),
                       notes=running.services.notes)  # fmt: skip
    assert "Interventions" not in rendered(team.called("chat.postMessage")[-1])


def test_the_digest_s_notes_line_never_goes_to_a_public_channel_or_one_slack_does_not_describe(
    start, team, caplog
):
    from bot.slack.fake import BOT_USER

    running = start(toml=CHECKINS_TOML + '\n[notes]\nreaders = ["UANA", "UBEN"]\n')  # the digest goes to LEAD
    running.log(ANA, "Confidential note", at=FRIDAY_3PM - timedelta(hours=1), type="tutoring")
    team.members[LEAD] = [ANA, BEN, BOT_USER]  # only readers joined it, but anyone may read a public channel
    weeks = iter(range(5))

    def digest() -> str:
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="bot.jobs"):
            post_weekly_digest(running.services.district, running.client,
                               now=FRIDAY_3PM + timedelta(days=7 * next(weeks)), notes=running.services.notes)  # fmt: skip
        return rendered(team.called("chat.postMessage")[-1])

    team.channels[LEAD] = {"is_private": False}
    assert "Interventions" not in digest()
    assert f"left out: {LEAD} is a public channel: anyone in the workspace can read it" in caplog.text
    team.channels[LEAD] = {"is_private": None}  # Slack's answer does not say
    assert "Interventions" not in digest()
    assert f"left out: Slack did not say whether {LEAD} is private" in caplog.text
    team.channels[LEAD] = {"is_private": True}
    team.errors["conversations.info"] = "missing_scope"  # the app was installed without groups:read
    assert "Interventions" not in digest()
    assert "left out: Slack answered missing_scope" in caplog.text
    del team.errors["conversations.info"]
    assert ":memo: *Interventions logged this week*" in digest()  # private, with readers only in it
    assert [c.args["channel"] for c in team.called("conversations.info")] == [LEAD] * 4
