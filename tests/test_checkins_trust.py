"""Check-ins a team can trust, over Slack's protocol and the `resolute` command on the injected clock: a
manual summary never suppresses the real one, an item shows where its member filed it, support requests
can be closed by someone, a member can withdraw everything, text stays as typed, and the console clicks
only what was sent to you."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner

from bot.checkins.cli import checkin
from bot.slack.blocks import checkins as kit
from bot.slack.blocks import support as support_blocks
from bot.slack.console import YOU, Console
from bot.slack.fake import BOT_USER
from tests.test_checkins_week import (
    ANA,
    BEN,
    CAL,
    CLOSE,
    GUIDED,
    HEAD,
    HVAC,
    LEAD,
    LICENCES,
    LONDON_9AM,
    NOTES,
    PELICAN,
    TOML,
    W44,
    ZONES,
    Team,
    rendered,
    request_id,
    said,
    utc,
)
from tests.test_district import write_district

ROBOT, GONE = "UROBOT", "UGONE"  # a bot in the workspace; a deactivated account
DAN = "UDAN"  # a colleague outside the channel


@pytest.fixture
def team(make_services, fake_slack, tmp_path, database_url):
    """The week's team (tests/test_checkins_week.py) on SQLite and on PostgreSQL."""
    write_district(tmp_path / "knowledge" / "district", toml=TOML)
    extra = {"database_url": database_url} if database_url else {}
    make = lambda **kw: make_services(**extra, **kw)  # noqa: E731
    make().district.load()
    fake_slack.members[LEAD] = [ANA, BOT_USER, BEN, CAL]
    fake_slack.users.update({u: {"tz": tz} for u, tz in ZONES.items()} | {BOT_USER: {"is_bot": True}})
    fake_slack.users.update({ROBOT: {"is_bot": True}, GONE: {"deleted": True}})
    running = Team(make, fake_slack, utc(10, 25, 12))
    yield running
    running.close()


def summaries(team: Team) -> list[dict]:
    return [c.args for c in team.posts(LEAD) if "for the week of" in c.args["text"]]


def section_of(blocks: list[dict], title: str) -> str:
    """The text of the summary's section that starts with a priority's name."""
    [text] = [
        b["text"]["text"] for b in blocks if b["type"] == "section" and b["text"]["text"].startswith(title)
    ]
    return text


def pick(team: Team, user: str, request: str, person: str) -> dict:
    """The person asked picks a colleague in the "Hand it on to…" menu of the request's DM: the reply."""
    before = len(team.fake.called("response_url"))
    payload = {"type": "block_actions", "team": {"id": "T0001"}, "user": {"id": user}, "api_app_id": "A0001",
               "trigger_id": "trig1", "response_url": team.fake.response_url("action"),
               "container": {"type": "message"}, "channel": {"id": "D" + user[1:]},
               "actions": [{"type": "users_select", "action_id": support_blocks.SUPPORT_HAND_ON, "block_id": f"support:{request}",
                            "selected_user": person, "action_ts": "1"}]}  # fmt: skip
    status, _, _ = team.slack.post(
        urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
    )
    assert status == 200
    return team.fake.wait_for("response_url", before + 1, timeout=10)[-1].args


def button_of(message: dict, action_id: str) -> str:
    [value] = [e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
               if e["action_id"] == action_id]  # fmt: skip
    return value


# -- 10. a manual post never suppresses the real summary ----------------------------------------------
def test_a_summary_posted_before_the_close_is_the_summary_so_far_and_the_close_still_posts_its_own(team):
    assert team.tick(LONDON_9AM[W44]) == said("prompt", W44, BEN, CAL)
    team.at(utc(10, 27, 12))  # Tuesday: an admin posts the week so far
    team.command(BEN, f"literacy: {GUIDED}")
    for _ in range(2):  # each time asked: a snapshot, never the week's one summary
        posted = CliRunner().invoke(checkin, ["summary", "--post"], obj={"services": team.services})
        assert posted.exit_code == 0, posted.output
        assert posted.output.startswith(f"summary so far {W44} -> {LEAD}")
    so_far = summaries(team)
    assert len(so_far) == 2 and all(
        s["text"].startswith("Check-in so far for the week of Mon 26 Oct") for s in so_far
    )
    assert "Check-in so far: week of Mon 26 Oct" in rendered(so_far[0]["blocks"])
    assert "the final summary goes out then" in rendered(so_far[0]["blocks"])
    # the close posts the final summary, once, as always
    assert said("summary", W44, LEAD) <= team.run(CLOSE[W44])
    final = summaries(team)[2:]
    assert [s["text"] for s in final] == [
        f"{HEAD} Mon 26 Oct: 1 of 3 answered; 100% of items serve a priority."
    ]
    assert "so far" not in rendered(final[0]["blocks"])
    assert team.run(CLOSE[W44] + timedelta(days=1), step=timedelta(hours=2)) == set()
    after = CliRunner().invoke(checkin, ["summary", "--post", "--week", W44], obj={"services": team.services})
    assert f"the summary for {W44} has already been posted" in after.output and len(summaries(team)) == 3


# -- 11. filed under a priority means shown under it --------------------------------------------------
def test_an_item_shows_under_the_priority_it_was_filed_under_unless_it_serves_none_and_its_member_decides(
    team,
):
    team.tick(LONDON_9AM[W44])
    team.at(utc(10, 26, 10))
    reply = team.command(BEN, f"numeracy: {GUIDED}")  # reads as literacy: shown where BEN filed it, unasked
    assert "This reads as not serving" not in reply["text"]
    reply = team.command(BEN, f"numeracy: {LICENCES}")  # reads as serving nothing at all: BEN is asked
    question = "This reads as not serving Numeracy: keep it there, or move it to Anything else?"
    assert question in reply["text"]
    kept = team.press(BEN, kit.ITEM_KEEP, button_of(reply, kit.ITEM_KEEP), tells=False)
    assert kept["replace_original"] is True and kept["text"].startswith(f"Kept under *Numeracy*: {LICENCES}")
    # CAL files through the form: asked by direct message, and moves it
    form = team.open_form(CAL, via_command=True)
    assert team.submit(CAL, form, {kit.field_block("did", "literacy"): HVAC}) is None
    [asked] = [c.args for c in team.fake.wait_for("chat.postMessage", 3) if c.args["channel"] == CAL
               and question.replace("Numeracy", "Literacy") in c.args["text"]]  # fmt: skip
    moved = team.press(CAL, kit.ITEM_MOVE, button_of(asked, kit.ITEM_MOVE), tells=False)
    assert moved["text"].startswith(f"Moved to *Anything else*: {HVAC}")
    again = team.press(CAL, kit.ITEM_KEEP, button_of(asked, kit.ITEM_KEEP), tells=False)  # the answer stands
    assert "changed or removed since" in again["text"]
    # BEN saves his form again unchanged: his choice stands, and he is not asked again
    posts = len(team.fake.called("chat.postMessage"))
    form = team.open_form(BEN, via_command=True)
    assert team.submit(BEN, form, {kit.field_block("did", "numeracy"): f"{GUIDED}\n{LICENCES}"}) is None
    # ANA files under literacy what serves none, and never answers the question
    team.at(utc(10, 26, 17))
    team.command(ANA, f"literacy: {PELICAN}")
    assert len([c for c in team.fake.called("chat.postMessage")[posts:] if c.args["channel"] == BEN]) == 0
    assert team.run(CLOSE[W44]) >= said("summary", W44, LEAD)
    [final] = summaries(team)
    numeracy, literacy = section_of(final["blocks"], "*Numeracy*"), section_of(final["blocks"], "*Literacy*")
    ben, ana = BEN.lower(), ANA.lower()  # as the fake Slack's users.info names them
    assert f"{GUIDED} — {ben}" in numeracy and f"{LICENCES} — {ben}" in numeracy
    assert "Nothing reported" not in literacy and "1 item filed here read as serving none" in literacy
    assert PELICAN in rendered(final["blocks"]) and f"{PELICAN} — {ana}" not in rendered(final["blocks"])
    moved_item = [i for i in team.services.checkins.store.items(W44, CAL)]
    assert [(i.field, i.filed, i.priority) for i in moved_item] == [("other", None, None)]


# -- 12. support requests can be closed by someone --------------------------------------------------
@pytest.mark.parametrize(
    ("person", "wrong"),
    [
        (BOT_USER, "Resolute cannot take a support request"),
        (ROBOT, "The person you picked is a bot"),
        (GONE, "The person you picked has a deactivated account"),
        (ANA, "You asked yourself for support"),
    ],
)
def test_a_request_to_a_bot_resolute_a_closed_account_or_yourself_is_refused(team, person, wrong):
    team.at(utc(10, 26, 10))
    reply = team.command(ANA, f"support <@{person}|someone>: {PELICAN}")
    assert wrong in reply["text"]
    form = team.open_form(ANA, via_command=True)
    answer = team.submit(ANA, form, {kit.field_block("did", "literacy"): GUIDED}, person=person, need=PELICAN)
    assert answer["response_action"] == "errors" and wrong in answer["errors"][kit.SUPPORT_TO]
    store = team.services.checkins.store
    assert store.support_requests() == [] and store.items(W44, ANA) == []  # nothing saved


def test_a_request_can_be_withdrawn_declined_or_handed_on_and_each_is_told(team, fake_slack):
    team.at(utc(10, 26, 10))
    asked = team.command(ANA, f"support <@{BEN}>: {NOTES}")
    [dm] = [c.args for c in team.posts(BEN) if NOTES in c.args["text"]]
    withdrawn = team.press(
        ANA, support_blocks.SUPPORT_WITHDRAW, button_of(asked, support_blocks.SUPPORT_WITHDRAW)
    )
    assert withdrawn["text"].startswith(f"You withdrew your request to <@{BEN}>")
    [told] = [c.args["text"] for c in team.posts(BEN) if "withdrawn" in c.args["text"]]
    assert told.startswith(f"<@{ANA}> has withdrawn their request: {NOTES}")
    late = team.press(
        BEN, support_blocks.SUPPORT_TAKE, request_id(fake_slack.called("chat.postMessage")[0]), tells=False
    )
    assert "already withdrawn" in late["text"] and dm  # an old button changes nothing

    team.command(BEN, f"support <@{ANA}>: {PELICAN}")  # ANA cannot: BEN is told
    [pelican] = [c for c in team.posts(ANA) if PELICAN in c.args["text"]]
    declined = team.press(ANA, support_blocks.SUPPORT_DECLINE, request_id(pelican))
    assert declined["text"].startswith(f"You declined <@{BEN}>'s request")
    assert [c.args["text"] for c in team.posts(BEN) if "cannot take" in c.args["text"]] == [
        f"<@{ANA}> cannot take your request: {PELICAN}\nAsk someone else with `/checkin support @person: what you need`."
    ]

    team.command(BEN, f"support <@{ANA}>: {GUIDED}")  # ANA hands it on: to a bot no, to CAL yes
    [guided] = [c for c in team.posts(ANA) if GUIDED in c.args["text"]]
    refused = pick(team, ANA, request_id(guided), ROBOT)
    assert "The person you picked is a bot" in refused["text"] and refused["replace_original"] is False
    posts = len(fake_slack.called("chat.postMessage"))
    handed = pick(team, ANA, request_id(guided), CAL)
    assert handed["text"].startswith(f"You handed <@{BEN}>'s request on to <@{CAL}>")
    fake_slack.wait_for("chat.postMessage", posts + 2)  # CAL is asked, BEN is told
    [to_cal] = [c for c in team.posts(CAL) if GUIDED in c.args["text"]]
    assert to_cal.args["text"] == f"<@{BEN}> asks for your support: {GUIDED}"
    assert [c.args["text"] for c in team.posts(BEN) if "handed" in c.args["text"]] == [
        f"<@{ANA}> handed your request on to <@{CAL}>: {GUIDED}"
    ]
    listed = {
        (r["from"], r["to"], r["text"], r["status"])
        for r in team.services.checkins.support_list(utc(10, 27, 0))
    }
    assert listed == {(ANA, BEN, NOTES, "withdrawn"), (BEN, ANA, PELICAN, "declined"), (BEN, ANA, GUIDED, "handed"),
                      (BEN, CAL, GUIDED, "open")}  # fmt: skip


def test_a_request_still_open_after_four_weeks_is_closed_with_a_note_to_both(team):
    team.at(utc(10, 26, 10))
    team.command(ANA, f"support <@{BEN}>: {NOTES}")
    still = team.tick(utc(11, 23, 9))  # 28 days less an hour: still open, and nobody is told anything
    assert not any(line.startswith("support_") for line in still), still
    assert team.services.checkins.support_list(utc(11, 23, 9))[0]["status"] == "open"
    closed = team.tick(utc(11, 23, 11))
    assert {line for line in closed if line.startswith("support_")} == {
        f"support_expired {W44} -> 1", f"support_expired_to {W44} -> 1"}  # fmt: skip
    assert [c.args["text"] for c in team.posts(ANA) if "four weeks" in c.args["text"]] == [
        f"Your request to <@{BEN}> was closed after four weeks without being done: {NOTES}\n"
        "Ask again with `/checkin support` if you still need it."]  # fmt: skip
    assert len([c for c in team.posts(BEN) if "four weeks" in c.args["text"]]) == 1
    assert not any(line.startswith("support_") for line in team.tick(utc(11, 23, 12)))


def test_a_request_slack_will_not_deliver_is_reported_once_and_not_retried(team, fake_slack):
    fake_slack.errors[f"chat.postMessage {DAN}"] = "user_disabled"  # users.info still says nothing is wrong
    team.at(utc(10, 26, 10))
    team.command(ANA, f"support <@{DAN}>: {NOTES}")
    [told] = [c.args["text"] for c in team.posts(ANA) if "would not deliver" in c.args["text"]]
    assert told.startswith(f"Slack would not deliver your request to <@{DAN}>")
    team.run(utc(10, 26, 16), step=timedelta(hours=1))
    assert len([c for c in fake_slack.called("chat.postMessage") if c.args["channel"] == DAN]) == 1
    assert len([c for c in team.posts(ANA) if "would not deliver" in c.args["text"]]) == 1
    assert team.services.checkins.support_list(utc(10, 27, 0))[0]["status"] == "unsent"


# -- 13. a member can withdraw everything ------------------------------------------------------------
def test_an_emptied_form_or_checkin_clear_withdraws_the_weeks_items_after_a_confirmation(team):
    team.at(utc(10, 26, 10))
    store = team.services.checkins.store
    team.command(BEN, f"literacy: {GUIDED}")
    team.command(BEN, f"other: {HVAC}")
    form = team.open_form(BEN, via_command=True)
    blank = {kit.field_block(f, p): "" for f in ("did", "next") for p in ("literacy", "numeracy")}
    answer = team.submit(BEN, form, blank | {kit.field_block("other", None): " \n"})
    assert answer["response_action"] == "push"
    confirm = answer["view"]
    assert (
        "This removes the 2 items you filed" in rendered(confirm["blocks"])
        and len(store.items(W44, BEN)) == 2
    )
    body = {"type": "view_submission", "team": {"id": "T0001"}, "user": {"id": BEN}, "api_app_id": "A0001",
            "view": {**confirm, "id": "V1", "state": {"values": {}}}}  # fmt: skip
    status, done, _ = team.slack.post(
        urlencode({"payload": json.dumps(body)}), "application/x-www-form-urlencoded"
    )
    done = json.loads(done)
    assert status == 200 and done["response_action"] == "update"
    assert "Cleared your check-in for the week of Mon 26 Oct: 2 items removed" in rendered(
        done["view"]["blocks"]
    )
    assert store.items(W44, BEN) == [] and BEN not in store.responses(W44)
    assert "Skipped the week of Mon 26 Oct" in team.command(BEN, "skip")["text"]  # skip after clearing works

    team.command(CAL, f"numeracy: {GUIDED}")
    asked = team.command(CAL, "clear")
    assert "This removes the 1 item you filed" in asked["text"] and len(store.items(W44, CAL)) == 1
    cleared = team.press(CAL, kit.CLEAR, button_of(asked, kit.CLEAR), tells=False)
    assert cleared["text"].startswith("Cleared your check-in") and store.items(W44, CAL) == []
    assert "Skipped the week of Mon 26 Oct" in team.command(CAL, "skip")["text"]
    assert "You have nothing filed" in team.command(ANA, "clear")["text"]


# -- 14. text as typed --------------------------------------------------------------------------------
def test_checkin_text_is_read_as_typed_and_blank_or_long_items_are_refused_clearly(team):
    team.tick(LONDON_9AM[W44])
    team.at(utc(10, 26, 10))
    store = team.services.checkins.store
    reply = team.command(
        BEN, f"literacy: Coaching &amp; feedback with <@{CAL}|cal> &lt;3"
    )  # as Slack sends it
    [item] = store.items(W44, BEN)
    assert item.text == f"Coaching & feedback with <@{CAL}> <3"
    assert f"Coaching &amp; feedback with <@{CAL}> &lt;3" in reply["text"]  # a mention stays a mention
    for blank in ("literacy: \u200b", "other:  \u200b\u2060 ", "literacy: \ufeff"):
        assert "Nothing to add after" in team.command(BEN, blank)["text"]
    long = "x" * 3100
    refused = team.command(BEN, f"other: {long}")["text"]
    assert "That item is 3,100 characters" in refused and "holds 3,000 characters in all" in refused
    assert refused.count("x") <= 200 + 10  # what was typed, echoed at most 200 characters
    assert len(store.items(W44, BEN)) == 1
    assert "1 of 2 has answered so far." in team.command(BEN, "status")["text"]  # CAL prompted, not answered
    team.command(CAL, "skip")
    assert "1 of 1 has answered so far · 1 skipped." in team.command(BEN, "status")["text"]
    team.run(CLOSE[W44] - timedelta(minutes=1))  # ANA is prompted in Vancouver and does not answer
    assert "1 of 2 has answered so far · 1 skipped." in team.command(BEN, "status")["text"]
    assert team.tick(CLOSE[W44]) == said("summary", W44, LEAD)
    assert "*1 of 2* answered (50%) · 1 skipped" in rendered(
        summaries(team)[-1]["blocks"]
    )  # counted the same
    assert f"Coaching &amp; feedback with <@{CAL}> &lt;3" in rendered(summaries(team)[-1]["blocks"])


def test_checkin_suggests_the_colon_refuses_an_away_too_far_and_back_ends_an_away(team):
    team.at(utc(10, 26, 8))
    reply = team.command(ANA, "literacy - Coaching cycle with Grade 2")
    assert "Did you mean `/checkin literacy: Coaching cycle with Grade 2`?" in reply["text"]
    assert "is more than a year away" in team.command(CAL, "away 2027-10-27")["text"]
    assert "Prompts are paused until" in team.command(CAL, "away 2027-10-26")["text"]  # a year to the day
    assert "Welcome back" in team.command(CAL, "back")["text"]
    assert "You are not away" in team.command(CAL, "back")["text"]
    assert team.tick(LONDON_9AM[W44]) == said("prompt", W44, BEN, CAL)  # CAL is prompted as usual


# -- 15. the console clicks only what was sent to you -------------------------------------------------
def test_the_console_clicks_your_newest_message_and_says_whose_a_dm_is(make_services, tmp_path):
    write_district(tmp_path / "knowledge" / "district", toml=TOML)
    services = make_services(clock=lambda: utc(10, 26, 14))
    services.district.load()
    out: list[str] = []
    with Console(services, write=out.append) as console:
        console.send(f"/as {BEN}")
        console.send(f"/checkin support <@{YOU}>: {NOTES}")
        assert any(f"direct message to {YOU}" in line and NOTES in line for line in out), out
        console.send(f"/checkin support <@{ANA}>: {PELICAN}")
        out.clear()
        console.send("/click I'll take it")  # both requests are others': BEN has no such button
        assert any(f"the newest is in {ANA}'s messages; /as {ANA}" in line for line in out)
        out.clear()
        console.send(f"/as {YOU}")
        console.send("/click I'll take it")  # the newest addressed to you: BEN's request for NOTES
        assert any("You are taking" in line for line in out), out
    [taken] = [r for r in services.checkins.support_list(utc(10, 26, 14)) if r["status"] == "taken"]
    assert (taken["to"], taken["text"]) == (YOU, NOTES)
