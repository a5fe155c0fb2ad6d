"""Check-ins below Slack: the [checkins] section, the schedule's clock arithmetic, `/checkin` parsed, the
service's rules (the open week, the form, skips, support, the summary), the send-once claims, and the
`resolute checkin` commands; every moment comes from the test, never from the wall clock."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta

import pytest
from click.testing import CliRunner, Result
from slack_sdk import WebClient
from sqlalchemy import event

from bot.checkins import schedule
from bot.checkins.cli import checkin
from bot.checkins.commands import BadCommand, Command, parse
from bot.checkins.service import FIELD_CHARS, ClearFirst, Refusal, block_id
from bot.cli import main
from bot.district.config import CheckinsConfig, DistrictConfig
from bot.slack.checkin_sending import Sender
from bot.slack.fake import BOT_TOKEN as TOKEN
from tests.test_checkins_week import (
    ANA,
    BEN,
    BUSES,
    CAL,
    CLOSE,
    FRACTIONS,
    GUIDED,
    HVAC,
    LEAD,
    LICENCES,
    LONDON_9AM,
    NOTES,
    PELICAN,
    PHONICS,
    READING_WALK,
    TOML,
    TRUSTEES,
    VANCOUVER_9AM,
    W44,
    W45,
    ZONES,
    utc,
)
from tests.test_district import TOML as DISTRICT
from tests.test_district import write_district
from tests.test_district_file import faults

W46, W47 = "2026-W46", "2026-W47"
DAN = "UDAN"  # not in the channel: files without being prompted
CONFIG = CheckinsConfig(
    prompt="mon 09:00", reminder_minutes=240, close="wed 17:00", members="channel", channel=LEAD
)


@pytest.fixture
def now():
    """The clock the services read; tests move it."""
    return [utc(10, 26, 10)]


@pytest.fixture
def services(make_services, tmp_path, now, monkeypatch):
    """A loaded district with check-ins on the default store; the `resolute` commands find it too."""
    write_district(tmp_path / "knowledge" / "district", toml=TOML)
    monkeypatch.setenv("RESOLUTE_KNOWLEDGE_DIR", str(tmp_path / "knowledge"))
    built = make_services(clock=lambda: now[0])
    built.district.load()
    return built


def prompted(services, week: str, *users: str) -> None:
    """Record prompts as sent (what the Sender does once Slack has taken them)."""
    for user in users:
        assert services.checkins.store.claim(week, "prompt", user, LONDON_9AM[week])
        services.checkins.store.posted(week, "prompt", user, LONDON_9AM[week], ts="1.0")


# -- the district file's [checkins] -----------------------------------------------------------------
def test_the_checkins_section_reads_its_defaults_and_the_districts_words(services, tmp_path):
    assert services.district.config().checkins == CONFIG  # as stored and read back
    custom = ('\n[checkins]\nschedule = "Tuesday 8:30"\nreminder_after = "1h30m"\nclose = "thu 12:00"\n'
              'members = ["U0123ABC", "W0456DEF"]\nchannel = "C0CHECKS1"\n'
              'skip = ["2026-12-24..2027-01-04", 2027-03-17, "2026-12-28"]\n')  # fmt: skip
    write_district(tmp_path / "knowledge" / "district", toml=DISTRICT + custom)
    services.district.load()
    assert services.district.config().checkins == CheckinsConfig(
        prompt="tue 08:30", reminder_minutes=90, close="thu 12:00", members=["U0123ABC", "W0456DEF"],
        channel="C0CHECKS1", skip=("2026-W52", "2026-W53", "2027-W01", "2027-W11"),  # a range's every week
    )  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('close = "wed 17:00"', 'close = "mon 08:00"', "checkins.close: 'mon 08:00' must come after the prompt"),
        ('reminder_after = "4h"', 'reminder_after = "3d"', "the reminder (72h00 after 'mon 09:00') would come after"),
        ('reminder_after = "4h"', "reminder_after = 4", "must be a duration in quotes such as '4h', not 4"),
        ('members = "channel"', 'members = "everyone"', 'must be "channel" (its members) or a list of Slack user'),
        ('members = "channel"', 'members = ["bob"]', "'bob' is not a Slack user id"),
        ('schedule = "mon 09:00"', 'schedule = "mon 25:00"', "'mon 25:00' is not a day and a 24-hour time"),
        ('members = "channel"', 'remind = "4h"', "checkins.remind: unknown key 'remind'"),
        ('members = "channel"', 'skip = ["2026-12-32"]', "checkins.skip[0]: '2026-12-32' is not a date ('2026-12-21')"),
        ('members = "channel"', 'skip = ["2027-01-04..2026-12-24"]', "'2027-01-04..2026-12-24' ends before it starts"),
        ('members = "channel"', 'skip = ["2026-01-01..2027-06-30"]', "is longer than a year; turn check-ins off"),
        ('members = "channel"', "skip = [52]", "checkins.skip[0]: must be a date in quotes such as '2026-12-21'"),
    ],
)  # fmt: skip
def test_a_bad_checkins_section_is_refused_by_key_and_line(tmp_path, old, new, expected):
    toml = TOML.replace(old, new)
    [fault] = faults(tmp_path, toml)
    assert expected in fault and fault.startswith("line ")


# -- the schedule ------------------------------------------------------------------------------------
def test_each_member_is_prompted_at_their_own_nine_across_changes_of_time():
    # hand-computed: London left BST (UTC+1) on 25 Oct; Vancouver and Toronto leave daylight time on 1 Nov
    assert schedule.prompt_at(CONFIG, "2026-W43", "Europe/London") == utc(10, 19, 8)
    assert schedule.prompt_at(CONFIG, W44, "Europe/London") == LONDON_9AM[W44] == utc(10, 26, 9)
    assert schedule.prompt_at(CONFIG, W44, "America/Vancouver") == VANCOUVER_9AM[W44] == utc(10, 26, 16)
    assert schedule.prompt_at(CONFIG, W45, "America/Vancouver") == VANCOUVER_9AM[W45] == utc(11, 2, 17)
    assert schedule.reminder_at(CONFIG, W45, "America/Vancouver") == utc(11, 2, 21)
    assert schedule.prompt_at(CONFIG, W44, "Asia/Kolkata") == utc(10, 26, 3, 30)  # a half-hour zone
    # the close is on the district's clock
    assert schedule.close_at(CONFIG, W44, "America/Toronto") == CLOSE[W44] == utc(10, 28, 21)
    assert schedule.close_at(CONFIG, W45, "America/Toronto") == CLOSE[W45] == utc(11, 4, 22)
    assert schedule.is_open(CONFIG, W44, CLOSE[W44] - timedelta(seconds=1), "America/Toronto")
    assert not schedule.is_open(CONFIG, W44, CLOSE[W44], "America/Toronto")


def test_weeks_are_iso_weeks_on_the_districts_clock():
    assert schedule.current_week(utc(11, 2, 3), "America/Toronto") == W44  # Sunday 22:00 in Toronto
    assert schedule.week_of(utc(11, 2, 3)) == W45  # already Monday in UTC
    assert schedule.shift("2026-W53", 1) == "2027-W01" and schedule.shift("2027-W01", -1) == "2026-W53"
    assert schedule.shift(W44, -52) == "2025-W44"
    assert schedule.monday(W45) == date(2026, 11, 2) and schedule.label(W45) == "Mon 02 Nov"


# -- /checkin parsed ---------------------------------------------------------------------------------
KEYS = ["literacy", "numeracy"]
TODAY = date(2026, 10, 26)


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("", Command("open")),
        ("  Literacy:   read  with  Grade 2 ", Command("item", field="did", priority="literacy", text="read with Grade 2")),
        ("other: HVAC: the gym", Command("item", field="other", text="HVAC: the gym")),
        (f"support <@{BEN}|ben>: {NOTES}", Command("support", person=BEN, text=NOTES)),
        ("SKIP", Command("skip")),
        ("status", Command("status")),
        ("summary", Command("summary")),
        ("help", Command("help")),
        ("away 2026-10-27", Command("away", until=date(2026, 10, 27))),
    ],
)  # fmt: skip
def test_checkin_text_is_read_into_a_command(typed, command):
    assert parse(typed, KEYS, today=TODAY) == command


@pytest.mark.parametrize(
    ("typed", "wrong"),
    [
        ("away 2026-10-26", "2026-10-26 is not after today (2026-10-26)"),
        (f"support <@{BEN}> <@{CAL}>: {NOTES}", "Ask one person per request"),
        ("literacy read with Grade 2", "Did you mean `/checkin literacy: read with Grade 2`?"),
    ],
)
def test_checkin_text_it_cannot_read_says_why(typed, wrong):
    with pytest.raises(BadCommand, match=re.escape(wrong)):
        parse(typed, KEYS, today=TODAY)


# -- the service -------------------------------------------------------------------------------------
def test_what_is_filed_goes_into_the_open_week_until_its_close_then_the_next(services):
    checkins = services.checkins
    week, item = checkins.add(ANA, "did", "literacy", GUIDED, CLOSE[W44] - timedelta(minutes=1))
    assert (week, item.text, item.filed, item.priority) == (W44, GUIDED, "literacy", "literacy")
    week, item = checkins.add(ANA, "other", None, HVAC, CLOSE[W44])  # at the close: into next week's
    assert (week, item.field, item.filed, item.priority) == (W45, "other", None, None)
    with pytest.raises(Refusal, match="closed Wed 28 Oct 17:00"):  # a form for the closed week
        checkins.save_form(ANA, W44, {"other": BUSES}, (None, ""), CLOSE[W44])
    assert [i.text for i in checkins.store.items(W44, ANA)] == [GUIDED]


def test_the_form_replaces_what_was_filed_and_a_refused_one_keeps_it(services, now):
    checkins, at = services.checkins, now[0]
    checkins.add(BEN, "did", "literacy", READING_WALK, at)
    saved, asked, offered = checkins.form(BEN, W44)
    assert saved == {block_id("did", "literacy"): READING_WALK} and asked == [] and offered is False
    texts = {block_id("did", "literacy"): f"- {READING_WALK}\n\n• {GUIDED}",  # bullets and blank lines dropped
             block_id("next", "numeracy"): FRACTIONS}  # fmt: skip
    items, request = checkins.save_form(BEN, W44, texts, (None, ""), at)
    assert [(i.field, i.filed, i.text) for i in items] == [
        ("did", "literacy", READING_WALK), ("did", "literacy", GUIDED), ("next", "numeracy", FRACTIONS)]  # fmt: skip
    assert request is None
    with pytest.raises(ClearFirst):  # an emptied form clears only once the member confirms
        checkins.save_form(BEN, W44, {}, (None, ""), at)
    for refused, why in [(({}, (ANA, "")), "both the person"),
                         (({"other": BUSES}, (None, PELICAN)), "both the person"),
                         (({"other": BUSES}, (BEN, PELICAN)), "asked yourself")]:  # fmt: skip
        with pytest.raises(Refusal, match=why):
            checkins.save_form(BEN, W44, *refused, at)
    items, request = checkins.save_form(BEN, W44, {}, (ANA, PELICAN), at)  # support only: the items stay
    assert len(items) == 3 and (request.from_user, request.to_user, request.text) == (BEN, ANA, PELICAN)
    assert checkins.form(BEN, W44)[1] == [request]  # the form lists what was asked
    with pytest.raises(Refusal, match="already holds"):  # a field must fit back into Slack's form
        checkins.add(BEN, "next", "numeracy", "x" * (FIELD_CHARS - len(FRACTIONS)), at)
    assert len(checkins.store.items(W44, BEN)) == 3


def test_participation_counts_skips_apart_and_support_is_not_an_item(services, now):
    checkins, at = services.checkins, now[0]
    prompted(services, W44, ANA, BEN, CAL)
    checkins.add(ANA, "did", "literacy", GUIDED, at)
    checkins.add(ANA, "other", None, HVAC, at)
    checkins.ask(ANA, BEN, NOTES, at)  # support: listed apart, not counted in the share
    assert "Skipped the week of Mon 26 Oct" in checkins.skip(BEN, at)
    checkins.add(DAN, "next", "numeracy", FRACTIONS, at)  # never prompted, but answered: a member
    assert "they stay" in checkins.skip(ANA, at)  # filed already: not skipped
    summary = checkins.summary(W44, at)
    # ANA and DAN answered; BEN skipped (out of the count); CAL did not answer
    assert summary["participation"] == {"answered": 2, "members": 3, "rate": 0.667, "skipped": 1}
    assert summary["on_message_share"] == round(2 / 3, 3)
    assert [r["text"] for r in summary["support_requests"]] == [NOTES]
    checkins.add(BEN, "did", "literacy", READING_WALK, at)  # filing after a skip is an answer
    participation = checkins.summary(W44, at)["participation"]
    assert participation == {"answered": 3, "members": 4, "rate": 0.75, "skipped": 0}
    status = checkins.status(CAL, at)
    assert (status["answered"], status["members"], status["mine"], status["skipped"]) == (3, 4, [], False)


def test_support_is_taken_and_done_only_by_the_person_asked_and_only_forwards(services, now):
    checkins, at = services.checkins, now[0]
    request = checkins.ask(ANA, BEN, NOTES, at)
    assert checkins.ask(ANA, BEN, NOTES, at + timedelta(minutes=5)) == request  # asked twice: one request
    with pytest.raises(Refusal, match="asked yourself"):
        checkins.ask(ANA, ANA, NOTES, at)
    with pytest.raises(Refusal, match="Only the person asked"):
        checkins.take(request.id, ANA, at)
    with pytest.raises(Refusal, match="Only the person asked"):
        checkins.take(request.id + 100, BEN, at)
    assert checkins.take(request.id, BEN, at).status == "taken"
    with pytest.raises(Refusal, match="already taken"):
        checkins.take(request.id, BEN, at)
    assert checkins.take(request.id, BEN, at, done=True).status == "done"
    with pytest.raises(Refusal, match="already done"):
        checkins.take(request.id, BEN, at)
    other = checkins.ask(BEN, ANA, PELICAN, at)
    assert checkins.take(other.id, ANA, at, done=True).status == "done"  # done without taking it first


def test_an_open_request_carries_over_with_its_age_until_done(services):
    checkins = services.checkins
    asked = checkins.ask(BEN, ANA, PELICAN, utc(10, 26, 9, 20))
    notes = checkins.ask(ANA, BEN, NOTES, utc(10, 26, 16, 40))
    checkins.take(notes.id, BEN, utc(10, 27, 9), done=True)  # done in the week it was asked

    def shown(week: str, at) -> list[tuple]:
        requests = checkins.summary(week, at)["support_requests"]
        return [(r["text"], r["status"], r["age_days"]) for r in requests]

    assert shown(W44, CLOSE[W44]) == [(PELICAN, "open", 2), (NOTES, "done", 2)]
    assert shown(W45, CLOSE[W45]) == [(PELICAN, "open", 9)]  # carried over; NOTES was done the week before
    checkins.take(asked.id, ANA, utc(11, 10, 12))
    assert shown(W46, CLOSE[W45] + timedelta(weeks=1)) == [(PELICAN, "taken", 16)]
    checkins.take(asked.id, ANA, utc(11, 17, 12), done=True)
    assert shown(W47, CLOSE[W45] + timedelta(weeks=2)) == [(PELICAN, "done", 23)]  # done that week
    assert shown("2026-W48", CLOSE[W45] + timedelta(weeks=3)) == []
    assert [r["text"] for r in checkins.support_list(CLOSE[W45], open_only=True)] == []


# -- sending once ------------------------------------------------------------------------------------
def test_a_claim_is_taken_once_a_stale_one_taken_over_and_a_released_one_again(make_services, database_url):
    store = make_services(**({"database_url": database_url} if database_url else {})).checkins.store
    at = LONDON_9AM[W44]
    assert store.claim(W44, "prompt", BEN, at) and not store.claim(W44, "prompt", BEN, at)
    store.posted(W44, "prompt", BEN, at, ts="1.1")
    assert not store.claim(W44, "prompt", BEN, at + timedelta(days=2))  # posted: never again
    assert set(store.sent(W44, "prompt")) == {BEN} and store.message_ts(W44, "prompt", BEN) == "1.1"
    assert store.claim(W44, "prompt", CAL, at)  # its sender dies before posting
    assert not store.claim(W44, "prompt", CAL, at + timedelta(minutes=14))
    assert store.claim(W44, "prompt", CAL, at + timedelta(minutes=16))  # stale: another instance sends it
    store.release(W44, "prompt", CAL)  # that send failed: the claim is given back
    assert store.claim(W44, "prompt", CAL, at + timedelta(minutes=17))
    assert store.claim(W45, "prompt", BEN, at) and store.claim(W44, "reminder", BEN, at)  # other keys


def test_a_refused_send_is_retried_on_the_next_tick_and_sent_once(services, fake_slack):
    fake_slack.members[LEAD] = [BEN]
    fake_slack.users[BEN] = {"tz": ZONES[BEN]}
    sender = Sender(services.checkins, WebClient(token=TOKEN, base_url=fake_slack.url))
    fake_slack.errors["chat.postMessage"] = "ratelimited"
    assert sender.tick(LONDON_9AM[W44]) == []
    del fake_slack.errors["chat.postMessage"]
    assert sender.tick(LONDON_9AM[W44] + timedelta(minutes=1)) == [f"prompt {W44} -> {BEN}"]
    assert sender.tick(LONDON_9AM[W44] + timedelta(minutes=2)) == []
    assert [c.reply["ok"] for c in fake_slack.called("chat.postMessage")] == [False, True]


def test_a_tick_validates_the_district_file_once_per_load_and_sees_a_new_load(
    services, fake_slack, monkeypatch, tmp_path
):
    fake_slack.members[LEAD] = [BEN, CAL]
    fake_slack.users.update({BEN: {"tz": ZONES[BEN]}, CAL: {"tz": ZONES[CAL]}})
    sender = Sender(services.checkins, WebClient(token=TOKEN, base_url=fake_slack.url))
    validated = []
    real = DistrictConfig.model_validate.__func__

    def counting(cls, *args, **kwargs):
        validated.append(cls)
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(DistrictConfig, "model_validate", classmethod(counting))
    sender.tick(LONDON_9AM[W44])
    sender.tick(LONDON_9AM[W44] + timedelta(minutes=1))
    assert len(validated) == 1  # read for every member and every tick, validated once: its first read
    toml = tmp_path / "knowledge" / "district" / "district.toml"
    toml.write_text(toml.read_text().replace('"Every child reading', '"Each child reading'))
    services.district.load()  # a new load, as another process might make
    assert services.checkins.settings()[0].priorities[0].message.startswith("Each child reading")
    assert len(validated) == 2


def test_a_tick_and_a_summary_each_read_the_district_file_once(services, fake_slack):
    fake_slack.members[LEAD] = [BEN, CAL]
    fake_slack.users.update({BEN: {"tz": ZONES[BEN]}, CAL: {"tz": ZONES[CAL]}})
    sender = Sender(services.checkins, WebClient(token=TOKEN, base_url=fake_slack.url))
    reads = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "FROM district_config" in statement:
            reads.append(statement)

    event.listen(services.engine, "before_cursor_execute", count)
    try:
        assert sender.tick(LONDON_9AM[W44])  # two members prompted, the card posted
        assert len(reads) == 1
        services.checkins.summary(W44, CLOSE[W44])
        assert len(reads) == 2
    finally:
        event.remove(services.engine, "before_cursor_execute", count)


def test_a_member_slack_cannot_describe_is_prompted_on_the_districts_clock(services, fake_slack):
    fake_slack.members[LEAD] = [BEN]
    fake_slack.errors["users.info"] = "user_not_found"
    sender = Sender(services.checkins, WebClient(token=TOKEN, base_url=fake_slack.url))
    assert sender.tick(LONDON_9AM[W44]) == []
    assert sender.tick(utc(10, 26, 13)) == [f"prompt {W44} -> {BEN}", f"card {W44} -> {LEAD}"]  # Toronto 9:00


def test_a_member_back_mid_week_is_prompted_on_the_day_they_are_back(services, fake_slack):
    fake_slack.members[LEAD] = [BEN]
    fake_slack.users[BEN] = {"tz": ZONES[BEN]}
    services.checkins.away(BEN, utc(10, 27, 0).date())  # back on Tuesday of the week of 26 Oct
    sender = Sender(services.checkins, WebClient(token=TOKEN, base_url=fake_slack.url))
    for monday in (LONDON_9AM[W44], utc(10, 26, 23, 59)):  # still away, all Monday (London)
        assert f"prompt {W44} -> {BEN}" not in sender.tick(monday)
    assert sender.tick(utc(10, 27, 0, 1)) == [f"prompt {W44} -> {BEN}"]  # London's Tuesday: back


def test_a_channel_slack_will_not_list_stops_the_prompts_not_the_rest(services, fake_slack, caplog):
    sender = Sender(services.checkins, WebClient(token=TOKEN, base_url=fake_slack.url))
    services.checkins.ask(BEN, ANA, NOTES, LONDON_9AM[W44])  # fake_slack has no members for LEAD
    said = sender.tick(LONDON_9AM[W44])
    assert said == [f"support_ask {W44} -> 1"] and "channel_not_found" in caplog.text


def test_two_instances_adding_the_same_person_at_once_both_succeed(make_services, database_url):
    from concurrent.futures import ThreadPoolExecutor

    from bot.checkins.store import CheckinStore

    settings = {"database_url": database_url} if database_url else {}
    stores = [CheckinStore(engine=make_services(**settings).engine) for _ in range(2)]
    now = LONDON_9AM[W44]
    for n in range(20):  # each person first seen by both instances at the same moment
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda store, user=f"UNEW{n}": store.set_tz(user, "Europe/London", now), stores))
    assert len(stores[0].people([f"UNEW{n}" for n in range(20)])) == 20


# -- `resolute checkin` ------------------------------------------------------------------------------
def test_checkin_summary_json_has_the_weeks_figures_items_and_support(services):
    checkins = services.checkins
    prompted(services, W44, ANA, BEN)
    checkins.add(ANA, "did", "literacy", GUIDED, utc(10, 26, 17))
    checkins.add(ANA, "other", None, HVAC, utc(10, 26, 17))
    checkins.ask(BEN, ANA, PELICAN, utc(10, 26, 17))
    prompted(services, W45, ANA, BEN, CAL)
    checkins.add(ANA, "did", "literacy", PHONICS, utc(11, 2, 18))
    checkins.add(ANA, "next", "numeracy", FRACTIONS, utc(11, 2, 18))
    checkins.add(ANA, "other", None, TRUSTEES, utc(11, 2, 18))
    checkins.skip(CAL, utc(11, 2, 18))
    checkins.save_form(BEN, W45, {"other": LICENCES}, (None, ""), utc(11, 2, 19))
    result = CliRunner().invoke(main, ["checkin", "summary", "--week", W45, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    keys = [
        "week",
        "closes",
        "closed",
        "participation",
        "on_message_share",
        "trend",
        "items",
        "support_requests",
    ]
    assert list(data) == keys
    assert data["week"] == W45 and data["closes"] == "2026-11-04T17:00:00-05:00"
    assert data["participation"] == {"answered": 2, "members": 2, "rate": 1.0, "skipped": 1}
    assert data["on_message_share"] == 0.5  # PHONICS and FRACTIONS of four
    assert data["trend"] == [  # week 44: ANA answered, BEN was prompted and did not
        {"week": W44, "share": 0.5, "items": {"literacy": 1, "none": 1}, "participation": 0.5},
        {"week": W45, "share": 0.5, "items": {"literacy": 1, "numeracy": 1, "none": 2}, "participation": 1.0},
    ]
    assert data["items"] == [
        {"user": ANA, "priority": "literacy", "text": PHONICS, "field": "did", "filed": "literacy"},
        {"user": ANA, "priority": "numeracy", "text": FRACTIONS, "field": "next", "filed": "numeracy"},
        {"user": ANA, "priority": None, "text": TRUSTEES, "field": "other", "filed": None},
        {"user": BEN, "priority": None, "text": LICENCES, "field": "other", "filed": None},
    ]
    [request] = data["support_requests"]  # asked the week before, still open
    assert {k: request[k] for k in ("from", "to", "text", "status", "week")} == {
        "from": BEN, "to": ANA, "text": PELICAN, "status": "open", "week": W44}  # fmt: skip
    wrong = CliRunner().invoke(main, ["checkin", "summary", "--week", "2026-45", "--json"])
    assert wrong.exit_code == 2 and "'2026-45' is not an ISO week such as 2026-W48" in wrong.output


def test_checkin_history_lists_filters_and_exports_items_a_spreadsheet_shows_as_text(services):
    checkins = services.checkins
    formula = '=HYPERLINK("http://example.com","open me")'
    checkins.add(ANA, "did", "literacy", GUIDED, utc(10, 26, 17))
    checkins.add(BEN, "other", None, formula, utc(10, 26, 17))
    checkins.add(ANA, "did", "literacy", PHONICS, utc(11, 2, 18))
    checkins.add(ANA, "other", None, HVAC, utc(11, 2, 18))

    def history(*args: str) -> Result:
        return CliRunner().invoke(main, ["checkin", "history", *args])

    every = json.loads(history("--json").output)
    assert [(r["week"], r["member"], r["text"]) for r in every] == [
        (W44, ANA, GUIDED), (W44, BEN, formula), (W45, ANA, PHONICS), (W45, ANA, HVAC)]  # fmt: skip
    assert every[0] == {"week": W44, "week_of": "2026-10-26", "member": ANA, "field": "did", "filed": "literacy",
                        "serves": "literacy", "text": GUIDED}  # fmt: skip
    assert [r["text"] for r in json.loads(history("--json", "--member", BEN).output)] == [formula]
    assert [r["text"] for r in json.loads(history("--json", "--since", "2026-11-04").output)] == [
        PHONICS,
        HVAC,
    ]
    assert [
        r["text"] for r in json.loads(history("--json", "--priority", "none", "--member", ANA).output)
    ] == [HVAC]
    rows = list(csv.DictReader(io.StringIO(history("--csv").output)))
    assert list(rows[0]) == ["week", "week_of", "member", "field", "filed", "serves", "text"]
    assert rows[1]["text"] == "'" + formula  # shown as text, not run, by a spreadsheet
    text = history("--member", ANA).output
    assert (
        text.index("Week of Mon 26 Oct")
        < text.index(GUIDED)
        < text.index("Week of Mon 02 Nov")
        < text.index(HVAC)
    )
    assert "UANA other [anything else -> none]" in text
    for args, wrong in [(["--since", "2026-13-01"], "'2026-13-01' is not a date such as 2026-09-07"),
                        (["--priority", "reading"], "'reading' is not one of the priorities (literacy, numeracy)"),
                        (["--json", "--csv"], "--json and --csv are two formats: choose one")]:  # fmt: skip
        refused = history(*args)
        assert refused.exit_code == 2 and wrong in refused.output, refused.output


def test_checkin_send_now_prompts_everyone_not_yet_prompted_once(services, fake_slack):
    fake_slack.members[LEAD] = [ANA, BEN, CAL]
    env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": fake_slack.url}
    sent = CliRunner().invoke(main, ["checkin", "send", "--now"], env=env)
    assert sent.exit_code == 0, sent.output
    assert sorted(line.rsplit(" -> ", 1)[1] for line in sent.output.splitlines()) == [ANA, BEN, CAL]
    again = CliRunner().invoke(main, ["checkin", "send", "--now"], env=env)
    assert "nothing was due" in again.output and len(fake_slack.called("chat.postMessage")) == 3


def test_checkin_classify_keeps_the_input_order(services):
    items = [HVAC, GUIDED, LICENCES, FRACTIONS, READING_WALK, BUSES]
    result = CliRunner().invoke(checkin, ["classify", "--json"], input="\n".join(items[:3]) + "\n\n" +
                                "\n".join(items[3:]) + "\n", obj={"services": services})  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["text"] for r in rows] == items  # the blank line dropped, the order kept
    assert [r["priority"] for r in rows] == [None, "literacy", None, "numeracy", "literacy", None]
    assert all(isinstance(r["score"], float) for r in rows)
    one = CliRunner().invoke(checkin, ["classify", "--json", FRACTIONS, HVAC], obj={"services": services})
    rows = json.loads(one.output)
    assert [(r["text"], r["priority"]) for r in rows] == [(FRACTIONS, "numeracy"), (HVAC, None)]


def test_checkin_support_lists_requests_with_status_and_age(services):
    services.checkins.ask(BEN, ANA, PELICAN, utc(10, 26, 9))
    done = services.checkins.ask(ANA, BEN, NOTES, utc(10, 26, 9))
    services.checkins.take(done.id, BEN, utc(10, 27, 9), done=True)
    every = json.loads(CliRunner().invoke(checkin, ["support", "--json"], obj={"services": services}).output)
    assert [(r["from"], r["to"], r["text"], r["status"]) for r in every] == [
        (BEN, ANA, PELICAN, "open"), (ANA, BEN, NOTES, "done")]  # fmt: skip
    assert every[0]["age_days"] == 0  # the services' clock: Monday 10:00
    listed = CliRunner().invoke(checkin, ["support", "--open"], obj={"services": services}).output
    assert listed == f"#{every[0]['id']} {W44} {BEN} asked {ANA}: {PELICAN} [open, 0 days]\n"
