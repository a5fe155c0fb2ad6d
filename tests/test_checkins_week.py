"""Two check-in weeks as Slack plays them: signed requests in, Web API calls out to the fake Slack, and the
check-ins' job ticking on a clock the test moves (never a sleep for the schedule): prompts at each member's
own 09:00 across a change of time, one reminder, one card, one summary, support both ways, a restart in the
middle of the week, and several `serve` processes ticking at once."""

from __future__ import annotations

import json
import logging
import multiprocessing
import time
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from slack_sdk import WebClient

import bot.jobs
from bot.cli import main
from bot.slack.app import make_slack_app
from bot.slack.blocks import checkins as kit
from bot.slack.blocks import support as support_blocks
from bot.slack.blocks.kit import escape
from bot.slack.fake import BOT_TOKEN as TOKEN
from bot.slack.fake import BOT_USER, Call, FakeSlack
from tests.conftest import serving
from tests.test_district import TOML as DISTRICT
from tests.test_district import write_district
from tests.test_slack import SECRET, Slack

NUMERACY = """[[priorities]]
key = "numeracy"
name = "Numeracy"
message = "Every student confident in mathematics."

"""
CHECKINS = """
[checkins]
schedule = "mon 09:00"
reminder_after = "4h"
close = "wed 17:00"
members = "channel"
"""
TOML = DISTRICT.replace("[[targets]]", NUMERACY + "[[targets]]", 1) + CHECKINS  # district clock: Toronto
LEAD = "C0LEAD0001"  # the leadership channel: the card and the summary go there
ANA, BEN, CAL = "UANA", "UBEN", "UCAL"
ZONES = {ANA: "America/Vancouver", BEN: "Europe/London", CAL: "Europe/London"}
W44, W45 = "2026-W44", "2026-W45"
HEAD = "Check-in for the week of"  # how a summary's notification starts


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


# Hand-computed. Europe/London went back to GMT on Sun 25 Oct; America/* go back on Sun 1 Nov.
LONDON_9AM = {W44: utc(10, 26, 9), W45: utc(11, 2, 9)}  # GMT (UTC+0) both weeks
VANCOUVER_9AM = {W44: utc(10, 26, 16), W45: utc(11, 2, 17)}  # PDT (UTC-7), then PST (UTC-8)
TORONTO_9AM = {W44: utc(10, 26, 13), W45: utc(11, 2, 14)}  # the card: EDT (UTC-4), then EST (UTC-5)
CLOSE = {W44: utc(10, 28, 21), W45: utc(11, 4, 22)}  # Wednesday 17:00 in Toronto

# what members file (the real model classifies them: see the summary's share)
READING_WALK = "Walked Grade 3 classrooms with the principal to see the reading block"
FRACTIONS = "Planned a math learning network session on fractions"
BUSES = "Bus route changes for the new subdivision"
LICENCES = "Renewed the Microsoft licences"
GUIDED = "Watched guided reading groups in two Grade 2 classrooms"
HVAC = "Sorted out the HVAC repair in the gym"
PHONICS = "Met the reading coaches about the Grade 1 phonics check"
TRUSTEES = "Budget meeting with the trustees about portables"
NOTES = "Share the Grade 3 reading walk-through notes"  # ANA asks BEN
PELICAN = "Cover the pelican budget review on Thursday"  # BEN asks ANA, and nobody takes it
FILED = [READING_WALK, FRACTIONS, BUSES, LICENCES, GUIDED, HVAC, PHONICS, TRUSTEES, NOTES, PELICAN]


class Team:
    """The team's Slack (the fake), Resolute served over HTTP and its check-in job, on one clock."""

    def __init__(self, make_services, fake: FakeSlack, start: datetime) -> None:
        self.make_services, self.fake, self.now = make_services, fake, [start]
        self._running = ExitStack()
        self.restart()

    def restart(self) -> None:
        """What a new `serve` process on the same database has: new services, a new app, new jobs."""
        self._running.close()
        self.services = self.make_services(
            slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_url=self.fake.url,
            clock=lambda: self.now[0],
        )  # fmt: skip
        self.services.checkins.classify(["warm up"])  # as `serve` warms up: the form is saved within 3 s
        self.slack = Slack(self._running.enter_context(serving(make_slack_app(self.services))), SECRET)
        bot.jobs.use(self.services, WebClient(token=TOKEN, base_url=self.fake.url), clock=lambda: self.now[0])

    def close(self) -> None:
        self._running.close()

    # -- the clock and the job -----------------------------------------------------------------------
    def tick(self, at: datetime) -> set[str]:
        """The check-ins' job, as the scheduler runs it, at `at`."""
        self.now[0] = at
        said = bot.jobs.checkin_tick()
        assert len(said) == len(set(said)), said
        return set(said)

    def run(self, until: datetime, step: timedelta = timedelta(minutes=20)) -> set[str]:
        """Tick every `step` from now to `until` (included): what was sent on the way."""
        said: set[str] = set()
        at = self.now[0]
        while at < until:
            at = min(at + step, until)
            said |= self.tick(at)
        return said

    def at(self, moment: datetime) -> None:
        """Move the clock without ticking (a person acts at `moment`)."""
        assert moment >= self.now[0]
        self.now[0] = moment

    # -- people in Slack -----------------------------------------------------------------------------
    def _slash(self, user: str, text: str) -> None:
        """`/checkin text` as Slack sends it, acknowledged within Slack's 3 seconds."""
        form = {"token": "legacy", "team_id": "T0001", "team_domain": "riverbend", "channel_id": "C0001",
                "channel_name": "general", "user_id": user, "user_name": user.lower(), "command": "/checkin",
                "text": text, "api_app_id": "A0001", "is_enterprise_install": "false",
                "response_url": self.fake.response_url(), "trigger_id": f"trig{time.monotonic_ns()}"}  # fmt: skip
        status, _, seconds = self.slack.post(urlencode(form), "application/x-www-form-urlencoded")
        assert status == 200 and seconds < 3.0

    def command(self, user: str, text: str) -> dict:
        """`/checkin text` typed by `user`: the private reply."""
        before = len(self.fake.called("response_url"))
        self._slash(user, text)
        reply = self.fake.wait_for("response_url", before + 1, timeout=10)[-1].args
        assert reply["response_type"] == "ephemeral"
        return reply

    def open_form(self, user: str, *, via_command: bool = False) -> dict:
        """The check-in form, opened with the prompt's button (or `/checkin`): the view as Slack holds it."""
        before = len(self.fake.called("views.open"))
        if via_command:
            self._slash(user, "")
        else:
            [button] = [e for b in self.prompts(user)[-1].args["blocks"] if b["type"] == "actions"
                        for e in b["elements"] if e["action_id"] == kit.OPEN_CHECKIN]  # fmt: skip
            assert self.slack.click(kit.OPEN_CHECKIN, button["value"], response_url=self.fake.response_url(),
                                    user=user)[0] == 200  # fmt: skip
        opened = self.fake.wait_for("views.open", before + 1, timeout=10)[-1]
        assert opened.args["view"]["callback_id"] == kit.CHECKIN_MODAL
        return opened.reply["view"]

    def submit(self, user: str, view: dict, texts: dict[str, str], *, person: str | None = None,
               need: str = "") -> dict | None:  # fmt: skip
        """Submit the form with `texts` by block id: None when it closed, else Slack's response_action."""
        values = {
            block: {kit.TEXT: {"type": "plain_text_input", "value": text}} for block, text in texts.items()
        }
        values[kit.SUPPORT_TO] = {kit.USER: {"type": "users_select", "selected_user": person}}
        values[kit.SUPPORT_TEXT] = {kit.TEXT: {"type": "plain_text_input", "value": need or None}}
        body = {"type": "view_submission", "team": {"id": "T0001"}, "user": {"id": user}, "api_app_id": "A0001",
                "view": {**view, "state": {"values": values}}}  # fmt: skip
        status, answer, seconds = self.slack.post(urlencode({"payload": json.dumps(body)}),
                                                  "application/x-www-form-urlencoded")  # fmt: skip
        assert status == 200 and seconds < 3.0
        return json.loads(answer) if answer else None

    def press(self, user: str, action_id: str, value: str, *, tells: bool = True) -> dict:
        """A button in a message: the reply in its place (or a private one); `tells`: wait for the one
        message the press sends to someone else."""
        replies, posts = len(self.fake.called("response_url")), len(self.fake.called("chat.postMessage"))
        assert self.slack.click(action_id, value, response_url=self.fake.response_url(), user=user)[0] == 200
        reply = self.fake.wait_for("response_url", replies + 1, timeout=10)[-1].args
        if tells:
            self.fake.wait_for("chat.postMessage", posts + 1, timeout=10)
        return reply

    # -- what Slack received -------------------------------------------------------------------------
    def posts(self, channel: str) -> list[Call]:
        return [c for c in self.fake.called("chat.postMessage") if c.args["channel"] == channel]

    def prompts(self, user: str) -> list[Call]:
        return [c for c in self.posts(user) if "check-in for the week of" in c.args["text"]]


def said(kind: str, week: str, *recipients: str) -> set[str]:
    """The job's report of what it sent."""
    return {f"{kind} {week} -> {r}" for r in recipients}


def rendered(blocks: list[dict]) -> str:
    """Blocks as one string, to look for text in."""
    return json.dumps(blocks, ensure_ascii=False)


def request_id(call: Call) -> str:
    """The request id a support DM's buttons carry."""
    [value] = {
        e["value"]
        for b in call.args["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if "value" in e
    }
    return value


@pytest.fixture
def team(make_services, fake_slack, tmp_path):
    """A district with check-ins, a leadership channel of three people (and Resolute) in two time zones."""
    write_district(tmp_path / "knowledge" / "district", toml=TOML)
    make_services().district.load()
    fake_slack.members[LEAD] = [ANA, BOT_USER, BEN, CAL]
    fake_slack.users.update({u: {"tz": tz} for u, tz in ZONES.items()} | {BOT_USER: {"is_bot": True}})
    running = Team(make_services, fake_slack, utc(10, 25, 12))  # Sunday noon, the day before the week
    yield running
    running.close()


def test_a_week_and_the_next_over_slack(team, fake_slack, caplog, monkeypatch, tmp_path):
    fake_slack.users[ANA]["profile"] = {"display_name": "Ana Silva", "real_name": "Ana M. Silva"}
    caplog.set_level(logging.DEBUG)
    # -- Monday 26 October: London's 09:00 comes first; Vancouver's seven hours later ---------------------
    assert team.run(LONDON_9AM[W44] - timedelta(minutes=1)) == set()  # not a minute before
    assert team.tick(LONDON_9AM[W44]) == said("prompt", W44, BEN, CAL)
    [prompt] = team.prompts(BEN)
    assert prompt.args["text"] == "Your check-in for the week of Mon 26 Oct"
    shown = rendered(prompt.args["blocks"])  # the priorities and their messages
    assert "Every child reading." in shown and "Every student confident in mathematics." in shown

    team.at(utc(10, 26, 9, 20))  # BEN fills in the form from the prompt's button, asking ANA for support
    form = team.open_form(BEN)
    assert form["private_metadata"] == W44
    first = {kit.field_block("did", "literacy"): READING_WALK, kit.field_block("next", "numeracy"): FRACTIONS,
             kit.field_block("other", None): BUSES}  # fmt: skip
    assert team.submit(BEN, form, first, person=ANA, need=PELICAN) is None  # saved: the modal closes
    [ask] = fake_slack.wait_for("chat.postMessage", 3)[2:]
    assert ask.args["channel"] == ANA and PELICAN in ask.args["text"] and f"<@{BEN}>" in ask.args["text"]
    buttons = [e["action_id"] for b in ask.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [
        support_blocks.SUPPORT_TAKE,
        support_blocks.SUPPORT_DONE,
        support_blocks.SUPPORT_DECLINE,
        support_blocks.SUPPORT_HAND_ON,
    ]
    pelican = request_id(ask)

    assert team.run(TORONTO_9AM[W44] - timedelta(minutes=1)) == set()
    # four hours after London's prompt: the reminder to CAL only (BEN answered); the card on the district's 09:00
    assert team.tick(TORONTO_9AM[W44]) == said("reminder", W44, CAL) | said("card", W44, LEAD)
    [card] = team.posts(LEAD)
    assert card.args["text"].startswith("Our priorities, week of Mon 26 Oct")
    assert "Every child reading." in card.args["text"]  # the words the team repeats all week

    team.at(utc(10, 26, 14))  # a restart in the middle of the week; the new process ticks at once
    team.restart()
    assert team.tick(utc(10, 26, 14)) == set()
    assert team.run(VANCOUVER_9AM[W44] - timedelta(minutes=1)) == set()
    assert team.tick(VANCOUVER_9AM[W44]) == said("prompt", W44, ANA)

    team.at(utc(10, 26, 16, 30))  # ANA files by command, and asks BEN for support the other way
    reply = team.command(ANA, f"literacy: {GUIDED}")
    assert "Added under *literacy* for the week of Mon 26 Oct" in reply["text"] and GUIDED in reply["text"]
    assert HVAC in team.command(ANA, f"other: {HVAC}")["text"]
    reply = team.command(ANA, f"support <@{BEN}>: {NOTES}")
    assert f"Asked <@{BEN}> for support" in reply["text"] and NOTES in reply["text"]
    [ask_ben] = [c for c in team.posts(BEN) if NOTES in c.args["text"]]
    notes = request_id(ask_ben)

    team.at(utc(10, 26, 17))  # BEN takes it: ANA is told, once
    taken = team.press(
        BEN, support_blocks.SUPPORT_TAKE, notes
    )  # his message now says so, with the button left
    assert taken["replace_original"] is True and NOTES in taken["text"]
    assert taken["text"].startswith(f"You are taking <@{ANA}>'s request")
    assert [e["action_id"] for e in taken["blocks"][-1]["elements"]] == [support_blocks.SUPPORT_DONE, support_blocks.SUPPORT_DECLINE,
                                                                        support_blocks.SUPPORT_HAND_ON]  # fmt: skip
    [told] = [c for c in team.posts(ANA) if "is taking your request" in c.args["text"]]
    assert told.args["text"] == f"<@{BEN}> is taking your request: {NOTES}"
    again = team.press(BEN, support_blocks.SUPPORT_TAKE, notes, tells=False)  # changes nothing, tells no one
    assert "already taken" in again["text"] and again["replace_original"] is False
    assert len([c for c in team.posts(ANA) if "is taking your request" in c.args["text"]]) == 1

    assert team.run(VANCOUVER_9AM[W44] + timedelta(hours=4)) == set()  # ANA answered: no reminder for her

    team.at(utc(10, 27, 15))  # Tuesday: BEN edits; the form opens with what he saved
    form = team.open_form(BEN, via_command=True)
    inputs = {b["block_id"]: b["element"] for b in form["blocks"] if b["type"] == "input"}
    assert {block: e["initial_value"] for block, e in inputs.items() if "initial_value" in e} == first
    assert PELICAN in rendered(form["blocks"])  # the support already asked is listed
    assert team.submit(BEN, form, first | {kit.field_block("other", None): LICENCES}) is None

    # -- the close, Wednesday 17:00 in Toronto: one summary -----------------------------------------------
    assert team.run(CLOSE[W44] - timedelta(minutes=1)) == set()
    assert team.tick(CLOSE[W44]) == said("summary", W44, LEAD)
    [summary] = [c for c in team.posts(LEAD) if c.args["text"].startswith(HEAD)]
    # ANA and BEN answered, CAL did not: 2 of 3; items 5, of which BUSES was replaced by LICENCES, HVAC and
    # LICENCES serve no priority: 3 of 5
    assert summary.args["text"] == f"{HEAD} Mon 26 Oct: 2 of 3 answered; 60% of items serve a priority."
    shown = rendered(summary.args["blocks"])
    assert "*2 of 3* answered (67%)" in shown and CAL not in shown  # a count, never who did not answer
    assert GUIDED in shown and LICENCES in shown and BUSES not in shown
    assert f"{PELICAN} — open, 2 days" in shown and f"{NOTES} — taken, 2 days" in shown
    # people are named as Slack shows them, never mentioned: the summary notifies nobody
    assert f"{GUIDED} — Ana Silva" in shown and "<@" not in shown
    fake_slack.wait_for("files.completeUploadExternal")  # the trend chart, in the summary's thread
    assert team.run(utc(10, 29, 23), step=timedelta(hours=1)) == set()  # and no second one

    # -- the next week: Vancouver's 09:00 is now 17:00 UTC ----------------------------------------------
    assert team.run(LONDON_9AM[W45] - timedelta(minutes=1)) == set()
    assert team.tick(LONDON_9AM[W45]) == said("prompt", W45, BEN, CAL)
    team.at(utc(11, 2, 10))
    assert "Skipped the week of Mon 02 Nov" in team.command(CAL, "skip")["text"]
    assert team.run(utc(11, 2, 13)) == said("reminder", W45, BEN)  # CAL skipped: no reminder for her
    assert team.run(TORONTO_9AM[W45] - timedelta(minutes=1)) == set()
    assert team.tick(TORONTO_9AM[W45]) == said("card", W45, LEAD)
    assert team.run(utc(11, 2, 15, 55)) == set()
    # minute by minute past 16:00 UTC, last week's 09:00 in Vancouver
    assert team.run(VANCOUVER_9AM[W45] - timedelta(minutes=1), step=timedelta(minutes=1)) == set()
    assert team.tick(VANCOUVER_9AM[W45]) == said("prompt", W45, ANA)
    team.at(utc(11, 2, 18))
    team.command(ANA, f"literacy: {PHONICS}")
    team.command(ANA, f"other: {TRUSTEES}")
    team.at(utc(11, 3, 9))  # BEN is done with ANA's request: she is told, once
    done = team.press(BEN, support_blocks.SUPPORT_DONE, notes)
    assert done["replace_original"] is True and done["text"].startswith("Done:")
    assert done["blocks"][-1]["type"] != "actions"  # no button left
    [told] = [c for c in team.posts(ANA) if "has done what you asked" in c.args["text"]]
    assert "already done" in team.press(BEN, support_blocks.SUPPORT_DONE, notes, tells=False)["text"]

    assert team.tick(CLOSE[W44] + timedelta(weeks=1)) == set()  # last week's close in UTC: not yet, in EST
    assert team.run(CLOSE[W45]) == said("summary", W45, LEAD)
    summary = [c for c in team.posts(LEAD) if c.args["text"].startswith(HEAD)][-1]
    # ANA answered, CAL skipped, BEN did not: 1 of 2; PHONICS serves literacy, TRUSTEES nothing
    assert summary.args["text"] == f"{HEAD} Mon 02 Nov: 1 of 2 answered; 50% of items serve a priority."
    shown = rendered(summary.args["blocks"])
    assert "*1 of 2* answered (50%) · 1 skipped" in shown and "down from 60% last week" in shown
    assert BEN not in shown.replace(f"<@{BEN}> asked", "").replace(f"asked <@{BEN}>", "")  # only in support
    assert PELICAN in shown and "open, 9 days" in shown  # asked on 26 Oct, carried over with its age
    assert NOTES in shown and "done this week" in shown

    # -- every message went out once: the job's report and what Slack received ---------------------------
    sent = [c.args for c in fake_slack.called("chat.postMessage")]
    assert len(sent) == 6 + 2 + 2 + 2 + 2 + 2  # prompts, reminders, cards, summaries, support asked, news
    assert Counter(a["channel"] for a in sent) == {BEN: 2 + 1 + 1, CAL: 2 + 1, ANA: 2 + 1 + 2, LEAD: 2 + 2}
    assert BOT_USER not in {a["channel"] for a in sent}  # in the channel, but a bot: never prompted

    # `resolute checkin support --open --json`: the request nobody took
    monkeypatch.setenv("RESOLUTE_KNOWLEDGE_DIR", str(tmp_path / "knowledge"))
    listed = CliRunner().invoke(main, ["checkin", "support", "--open", "--json"])
    assert listed.exit_code == 0, listed.output
    [open_request] = json.loads(listed.output)
    assert (open_request["from"], open_request["to"], open_request["text"]) == (BEN, ANA, PELICAN)
    assert open_request["status"] == "open" and str(open_request["id"]) == pelican
    # nothing anyone filed or asked reached the logs, at any level (slack_sdk's and Bolt's included)
    assert caplog.records and [r for r in caplog.records if any(t in r.getMessage() for t in FILED)] == []


@pytest.mark.parametrize(
    ("typed", "wrong"),
    [
        ("away 2026-10-20", "2026-10-20 is not after today (2026-10-26)"),
        ("away next week", "`/checkin away` needs the date you are back, as YYYY-MM-DD"),
        ("science: New lab", "`science` is not one of the priorities (literacy, numeracy) or `other`"),
        ("vacation", "Resolute does not know `vacation`"),
        ("literacy:", "Nothing to add after `literacy:`"),
        ("skip this week", "`/checkin skip` takes nothing after it"),
        ("support Cover the budget review", "A support request needs the person you ask"),
        ("support: Cover the budget review", "A support request needs the person you ask"),
        (f"support <@{BEN}>", "Say what you need after the person"),
        (f"support <@{ANA}>: {PELICAN}", "You asked yourself for support"),
    ],
)
def test_a_bad_command_says_what_is_wrong_repeats_it_and_loses_nothing(team, typed, wrong):
    team.at(utc(10, 26, 10))  # Monday, 06:00 in Toronto
    team.command(ANA, f"literacy: {GUIDED}")
    reply = team.command(ANA, typed)
    assert reply["response_type"] == "ephemeral"
    assert wrong in reply["text"] and f"You typed: `/checkin {escape(typed)}`" in reply["text"]
    store = team.services.checkins.store
    assert [i.text for i in store.items(W44, ANA)] == [GUIDED] and store.support_requests() == []
    assert store.people([ANA]).get(ANA, (None, None, None))[2] is None  # not paused


def test_a_form_refused_stays_open_with_what_is_wrong_and_loses_nothing(team):
    team.at(utc(10, 26, 10))
    team.command(BEN, f"numeracy: {FRACTIONS}")
    form = team.open_form(BEN, via_command=True)
    blank = {kit.field_block(f, p): "" for f in ("did", "next") for p in ("literacy", "numeracy")}
    blank[kit.field_block("other", None)] = " \n - \n"
    answer = team.submit(BEN, form, blank)  # everything cleared: asked first, nothing removed yet
    assert answer["response_action"] == "push" and answer["view"]["callback_id"] == kit.CLEAR_MODAL
    answer = team.submit(BEN, form, {kit.field_block("did", "literacy"): READING_WALK}, person=ANA)  # no need
    need = "A support request needs both the person and what you need from them."
    assert answer["errors"] == {kit.SUPPORT_TEXT: need}
    store = team.services.checkins.store
    assert [i.text for i in store.items(W44, BEN)] == [FRACTIONS] and store.support_requests() == []

    team.at(CLOSE[W44] - timedelta(minutes=10))  # opened before the close, saved after it
    form = team.open_form(BEN, via_command=True)
    team.at(CLOSE[W44] + timedelta(minutes=5))
    answer = team.submit(BEN, form, {kit.field_block("did", "literacy"): READING_WALK})
    assert answer["response_action"] == "errors"
    assert "closed Wed 28 Oct 17:00 (America/Toronto)" in next(iter(answer["errors"].values()))
    assert [i.text for i in store.items(W44, BEN)] == [FRACTIONS] and store.items(W45, BEN) == []


def test_away_pauses_prompts_until_that_date_and_a_missed_prompt_goes_out_while_the_week_is_open(team):
    team.at(utc(10, 26, 8))
    assert "Prompts are paused until Mon 02 Nov 2026" in team.command(CAL, "away 2026-11-02")["text"]
    # nothing ticks on Monday (no instance running); on Tuesday the missed prompts go out at once, the card
    # (check-in day only) does not, and the reminders follow four hours after the late prompts
    assert team.tick(utc(10, 27, 12)) == said("prompt", W44, ANA, BEN)
    assert team.run(utc(10, 27, 15, 40)) == set()
    assert team.run(utc(10, 27, 15, 59), step=timedelta(minutes=1)) == set()
    assert team.tick(utc(10, 27, 16)) == said("reminder", W44, ANA, BEN)
    assert team.run(CLOSE[W44]) == said("summary", W44, LEAD)
    assert "0 of 2 answered" in team.posts(LEAD)[-1].args["text"]  # CAL was away: not counted
    # CAL is back on Monday 2 November: prompted that morning
    assert team.run(LONDON_9AM[W45]) == said("prompt", W45, BEN, CAL)
    assert team.prompts(CAL)[0].args["text"] == "Your check-in for the week of Mon 02 Nov"
    # down from then until the Thursday after next: that week closed meanwhile, so its prompts never go out
    assert team.tick(utc(11, 12, 12)) == set()
    assert team.tick(LONDON_9AM[W45] + timedelta(weeks=2)) == said("prompt", "2026-W47", BEN, CAL)


def test_last_weeks_plans_and_waiting_requests_carry_into_the_prompt_and_the_form(team):
    nxt = kit.field_block("next", "literacy")
    team.at(utc(10, 26, 17))  # week 44: BEN plans two things and asks ANA for support
    form = team.open_form(BEN, via_command=True)
    assert kit.OFFERED not in rendered(form["blocks"])  # nothing planned before: nothing offered
    assert team.submit(BEN, form, {nxt: f"{PHONICS}\n{GUIDED}"}, person=ANA, need=PELICAN) is None
    # week 45: his prompt carries his plans and his request still waiting; the form offers the plans as done
    team.run(LONDON_9AM[W45])
    prompt = rendered(team.prompts(BEN)[-1].args["blocks"])
    assert "Last week you planned" in prompt and PHONICS in prompt and GUIDED in prompt
    assert "Your requests still waiting" in prompt and PELICAN in prompt and "running" not in prompt
    form = team.open_form(BEN)
    did = next(b for b in form["blocks"] if b.get("block_id") == kit.field_block("did", "literacy"))
    assert did["element"]["initial_value"] == f"{PHONICS}\n{GUIDED}" and kit.OFFERED in rendered(
        form["blocks"]
    )
    # he keeps one as done, drops the other, and plans the first again; the next week, again
    assert team.submit(BEN, form, {kit.field_block("did", "literacy"): GUIDED, nxt: PHONICS}) is None
    assert kit.OFFERED not in rendered(team.open_form(BEN)["blocks"])  # saved: his own answers now
    team.run(LONDON_9AM[W45] + timedelta(weeks=1))
    form = team.open_form(BEN)
    assert team.submit(BEN, form, {nxt: PHONICS.upper()}) is None  # the same plan, typed differently
    # week 47: planned three check-ins running, pointed out to him alone
    team.run(LONDON_9AM[W45] + timedelta(weeks=2))
    prompt = rendered(team.prompts(BEN)[-1].args["blocks"])
    assert "Planned 3 check-ins running" in prompt and PHONICS.upper() in prompt
    assert all("running" not in rendered(c.args.get("blocks", [])) for c in team.posts(LEAD))
    assert "running" not in rendered(team.prompts(CAL)[-1].args["blocks"])


def test_remind_me_later_comes_once_a_week_at_the_members_own_time_instead_of_the_usual_reminder(team):
    assert team.tick(LONDON_9AM[W44]) == said("prompt", W44, BEN, CAL)
    buttons = rendered(team.prompts(BEN)[-1].args["blocks"])
    assert "Remind me at 2 pm" in buttons and "Tomorrow morning" in buttons
    team.at(utc(10, 26, 10))  # 10:00 in London
    reply = team.press(BEN, kit.SNOOZE_AFTERNOON, W44, tells=False)["text"]
    assert reply == "I'll remind you Mon 14:00 (Europe/London)."
    assert (
        "already: Mon 14:00" in team.press(BEN, kit.SNOOZE_TOMORROW, W44, tells=False)["text"]
    )  # once a week
    # BEN gets no usual reminder at 13:00, but his own at 14:00, without the buttons; CAL the usual one
    assert team.run(utc(10, 26, 14), step=timedelta(minutes=10)) == said("reminder", W44, CAL) | said(
        "snoozed", W44, BEN
    ) | said("card", W44, LEAD)  # the card: Toronto's 09:00
    assert "Remind me" not in rendered(team.prompts(BEN)[-1].args["blocks"])
    team.at(utc(10, 26, 15))  # 15:00 in London: too late for 2 pm today
    assert "past 2 pm where you are" in team.press(CAL, kit.SNOOZE_AFTERNOON, W44, tells=False)["text"]
    reply = team.press(CAL, kit.SNOOZE_TOMORROW, W44, tells=False)["text"]
    assert reply == "I'll remind you Tue 09:00 (Europe/London)."
    assert team.run(utc(10, 27, 8, 50), step=timedelta(hours=1)) == said("prompt", W44, ANA) | said(
        "reminder", W44, ANA
    )  # ANA's 09:00 and 13:00 in Vancouver
    assert team.run(utc(10, 27, 9), step=timedelta(minutes=10)) == said("snoozed", W44, CAL)
    assert team.run(utc(10, 27, 12), step=timedelta(hours=1)) == set()  # each once
    team.command(ANA, f"other: {HVAC}")
    answered = team.press(ANA, kit.SNOOZE_TOMORROW, W44, tells=False)["text"]
    assert "answered this week's check-in already" in answered
    team.run(CLOSE[W44] + timedelta(hours=1), step=timedelta(hours=2))
    assert "has closed" in team.press(BEN, kit.SNOOZE_TOMORROW, W44, tells=False)["text"]


def test_checkin_history_and_the_home_tab_show_a_member_their_own_items_newest_week_first(team):
    team.at(utc(10, 26, 17))
    team.command(ANA, f"literacy: {GUIDED}")
    team.command(BEN, f"other: {BUSES}")  # a colleague's: never in ANA's history
    team.at(utc(11, 2, 18))
    team.command(ANA, f"other: {HVAC}")
    reply = team.command(ANA, "history")  # ephemeral: checked by `command`
    shown = rendered(reply["blocks"])
    assert GUIDED in shown and HVAC in shown and BUSES not in shown
    assert (
        shown.index("Week of Mon 02 Nov")
        < shown.index(HVAC)
        < shown.index("Week of Mon 26 Oct")
        < shown.index(GUIDED)
    )
    assert "serves no priority" in shown and "Literacy" in shown  # what each item was judged to serve
    assert "You have filed nothing" in team.command(CAL, "history")["text"]
    # the Home tab shows the member their own last four check-ins
    published = len(team.fake.called("views.publish"))
    assert (
        team.slack.event({"type": "app_home_opened", "user": ANA, "channel": "D0001", "tab": "home"})[0]
        == 200
    )
    home = rendered(team.fake.wait_for("views.publish", published + 1, timeout=10)[-1].args["view"]["blocks"])
    assert "Your check-ins" in home and GUIDED in home and HVAC in home and BUSES not in home
    assert home.index("Week of Mon 02 Nov") < home.index("Week of Mon 26 Oct")


def test_a_week_the_district_skips_sends_nothing_and_what_is_filed_goes_to_the_next(
    make_services, fake_slack, tmp_path
):
    holiday = TOML.replace(
        'members = "channel"\n', 'members = "channel"\nskip = ["2026-10-26..2026-10-30"]\n'
    )
    write_district(tmp_path / "knowledge" / "district", toml=holiday)
    make_services().district.load()
    fake_slack.members[LEAD] = [ANA, BOT_USER, BEN, CAL]
    fake_slack.users.update({u: {"tz": tz} for u, tz in ZONES.items()} | {BOT_USER: {"is_bot": True}})
    team = Team(make_services, fake_slack, utc(10, 25, 12))
    try:
        # the whole skipped week, past its close: no prompt, reminder, card or summary
        assert team.run(utc(10, 27, 12)) == set()
        # someone files anyway: it goes into the next week's check-in, and says so
        assert "for the week of Mon 02 Nov" in team.command(BEN, f"literacy: {READING_WALK}")["text"]
        assert team.run(CLOSE[W44] + timedelta(hours=2)) == set()
        assert fake_slack.called("chat.postMessage") == []
        # the next week runs as usual, and its trend shows the skipped week as a gap
        assert team.run(LONDON_9AM[W45]) == said("prompt", W45, CAL)  # BEN has filed for it already
        assert said("summary", W45, LEAD) <= team.run(CLOSE[W45])
        trend = team.services.checkins.summary(W45, CLOSE[W45])["trend"]
        assert {"week": W44, "share": None, "items": {}, "participation": None, "skipped": True} in trend
        assert [t["week"] for t in trend][-1] == W45
    finally:
        team.close()


def _serve(settings: dict, slack_url: str, instants: list[datetime], gate, out) -> None:
    """One `serve` process: its own services and jobs, ticking at each instant together with the others."""
    from bot.config import load_settings
    from bot.services import Services

    now = [instants[0]]
    bot.jobs.use(Services(load_settings(**settings)), WebClient(token=TOKEN, base_url=slack_url),
                 clock=lambda: now[0])  # fmt: skip
    said: list[str] = []
    try:
        for at in instants:
            now[0] = at
            gate.wait(timeout=120)
            said += bot.jobs.checkin_tick()
    except BaseException:
        gate.abort()  # the others stop waiting for this one
        raise
    out.put(said)


def test_four_serve_processes_ticking_at_once_send_each_message_once(
    make_services, fake_slack, tmp_path, database_url
):
    write_district(tmp_path / "knowledge" / "district", toml=TOML)
    settings = {"knowledge_dir": tmp_path / "knowledge", "data_dir": tmp_path / "data"}
    settings |= {"database_url": database_url} if database_url else {}
    services = make_services(**settings)
    services.district.load()
    services.checkins.ask(BEN, ANA, PELICAN, utc(10, 26, 8))  # its DM goes out on the first tick
    # more people than the three, in Toronto (the fake's default zone): more sends for the instances to race on
    toronto = [f"UTOR{n:02d}" for n in range(12)]
    fake_slack.members[LEAD] = [ANA, BEN, CAL, *toronto]
    fake_slack.users.update({u: {"tz": tz} for u, tz in ZONES.items()})
    # the prompts, the reminders (nobody answers), the card and the summary: each due at one of these
    instants = [LONDON_9AM[W44], TORONTO_9AM[W44], VANCOUVER_9AM[W44], TORONTO_9AM[W44] + timedelta(hours=4),
                VANCOUVER_9AM[W44] + timedelta(hours=4), CLOSE[W44]]  # fmt: skip
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter each, as separate `serve` would be
    gate, out = spawn.Barrier(4), spawn.Queue()
    args = (settings, fake_slack.url, instants, gate, out)
    processes = [spawn.Process(target=_serve, args=args) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=180)
        assert process.exitcode == 0  # a failure in a process shows its traceback above
    lines = [line for _ in processes for line in out.get(timeout=5)]
    everyone = (ANA, BEN, CAL, *toronto)
    expected = (said("prompt", W44, *everyone) | said("reminder", W44, *everyone) | said("card", W44, LEAD)
                | said("summary", W44, LEAD) | {f"support_ask {W44} -> 1"})  # fmt: skip
    assert sorted(lines) == sorted(expected)  # each once, across the four
    sent = Counter(c.args["channel"] for c in fake_slack.called("chat.postMessage"))
    assert sent == {ANA: 3, LEAD: 2} | {person: 2 for person in (BEN, CAL, *toronto)}
