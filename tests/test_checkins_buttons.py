"""Check-in buttons act only for the people and on the things they were made for, over Slack's protocol on the
injected clock: an old "Clear my check-in" removes what it was shown for or nothing, a request's buttons
pressed by anyone but the people it names change nothing, and a button or form value Resolute did not make
is acknowledged, answered privately and changes nothing."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from bot.slack.blocks import checkins as kit
from bot.slack.blocks import support as support_blocks
from tests import test_checkins_trust as trust
from tests.test_checkins_trust import button_of, pick
from tests.test_checkins_week import (
    ANA,
    BEN,
    CAL,
    FRACTIONS,
    GUIDED,
    HVAC,
    LICENCES,
    PELICAN,
    PHONICS,
    TRUSTEES,
    W44,
    rendered,
    request_id,
    utc,
)

team = trust.team  # the fixture: the week's team, on SQLite and on PostgreSQL
DAN = "UDAN"  # a colleague outside the channel
STALE_BUTTON = "That button no longer works: type the command again."
STALE_FORM = "That form no longer works: type `/checkin` again."
BLANK = {kit.field_block(f, p): "" for f in ("did", "next") for p in ("literacy", "numeracy")} | {
    kit.field_block("other", None): ""
}


def confirm(team, user: str, view: dict) -> dict:
    """Press "Clear it" on the confirmation pushed over an emptied form: Slack's answer."""
    body = {"type": "view_submission", "team": {"id": "T0001"}, "user": {"id": user}, "api_app_id": "A0001",
            "view": {**view, "id": "V1", "state": {"values": {}}}}  # fmt: skip
    status, answer, _ = team.slack.post(
        urlencode({"payload": json.dumps(body)}), "application/x-www-form-urlencoded"
    )
    assert status == 200
    return json.loads(answer)


def requests(team) -> list[tuple[str, str, str]]:
    return [(r["from"], r["to"], r["status"]) for r in team.services.checkins.support_list(utc(10, 27, 0))]


# -- clearing removes what the member was shown, or nothing -----------------------------------------------
def test_an_old_clear_button_or_confirmation_removes_what_it_was_shown_for_or_nothing(team):
    team.at(utc(10, 26, 10))
    store = team.services.checkins.store
    team.command(CAL, f"literacy: {GUIDED}")
    asked = team.command(CAL, "clear")
    assert "This removes the 1 item you filed" in asked["text"]
    team.at(utc(10, 27, 10))  # later in the week CAL files three more, then presses the old button
    for text in (f"other: {HVAC}", f"numeracy: {FRACTIONS}", f"other: {TRUSTEES}"):
        team.command(CAL, text)
    refused = team.press(CAL, kit.CLEAR, button_of(asked, kit.CLEAR), tells=False)
    assert refused["text"] == (
        "Your check-in changed since you asked to clear it: you were shown 1 item, and it holds 4 items now. "
        "Nothing was removed; `/checkin clear` again clears what is there now."
    )
    assert len(store.items(W44, CAL)) == 4 and store.responses(W44)[CAL] == "answered"

    # the same count is not the same items: BEN saves his form again with another item in place of the one
    team.command(BEN, f"literacy: {GUIDED}")
    asked = team.command(BEN, "clear")
    form = team.open_form(BEN, via_command=True)
    assert team.submit(BEN, form, BLANK | {kit.field_block("did", "literacy"): PHONICS}) is None
    refused = team.press(BEN, kit.CLEAR, button_of(asked, kit.CLEAR), tells=False)
    assert (
        "you were shown 1 item, and it holds 1 item now (edited since). Nothing was removed"
        in refused["text"]
    )
    assert [i.text for i in store.items(W44, BEN)] == [PHONICS]

    # the confirmation over an emptied form, pressed after an item was added from elsewhere
    form = team.open_form(BEN, via_command=True)
    pushed = team.submit(BEN, form, BLANK)
    assert pushed["response_action"] == "push" and "This removes the 1 item" in rendered(
        pushed["view"]["blocks"]
    )
    team.command(BEN, f"other: {HVAC}")
    done = confirm(team, BEN, pushed["view"])
    assert done["response_action"] == "update"
    assert "you were shown 1 item, and it holds 2 items now. Nothing was removed" in rendered(
        done["view"]["blocks"]
    )
    assert [i.text for i in store.items(W44, BEN)] == [PHONICS, HVAC]

    # asked again, the button clears exactly what it names
    asked = team.command(BEN, "clear")
    assert "This removes the 2 items you filed" in asked["text"]
    cleared = team.press(BEN, kit.CLEAR, button_of(asked, kit.CLEAR), tells=False)
    assert cleared["text"].startswith("Cleared your check-in for the week of Mon 26 Oct: 2 items removed")
    assert store.items(W44, BEN) == [] and BEN not in store.responses(W44)
    assert len(store.items(W44, CAL)) == 4


# -- a request's buttons act only for the people it names --------------------------------------------------
def test_only_the_people_a_request_names_can_close_it_or_hand_it_on(team):
    team.at(utc(10, 26, 10))
    team.command(BEN, f"support <@{ANA}>: {PELICAN}")
    [dm] = [c for c in team.posts(ANA) if PELICAN in c.args["text"]]
    rid = request_id(dm)
    take = "Only the person asked can take this request or mark it done."
    decline = "Only the person asked can decline this request."
    withdraw = "Only the person who asked can withdraw this request."
    pressed = [(CAL, support_blocks.SUPPORT_TAKE, take), (CAL, support_blocks.SUPPORT_DONE, take), (BEN, support_blocks.SUPPORT_TAKE, take),
               (BEN, support_blocks.SUPPORT_DONE, take), (CAL, support_blocks.SUPPORT_DECLINE, decline), (BEN, support_blocks.SUPPORT_DECLINE, decline),
               (CAL, support_blocks.SUPPORT_WITHDRAW, withdraw), (ANA, support_blocks.SUPPORT_WITHDRAW, withdraw)]  # fmt: skip
    for who, action, refusal in pressed:  # the request's id, in a payload from someone it does not name
        reply = team.press(who, action, rid, tells=False)
        assert (reply["text"], reply["replace_original"]) == (refusal, False), (who, action)
        assert requests(team) == [(BEN, ANA, "open")], (who, action)
    # handing on: whose request it is is asked before whom they picked (themselves, or someone else)
    for who, person in [(CAL, CAL), (CAL, DAN), (BEN, CAL), (BEN, BEN)]:
        reply = pick(team, who, rid, person)
        assert reply["text"] == "Only the person asked can hand this request on.", (who, person)
    assert requests(team) == [(BEN, ANA, "open")]
    # still ANA's to answer; nobody was told anything on the way
    assert [c.args["text"] for c in team.posts(BEN) + team.posts(CAL) + team.posts(DAN)] == []
    assert pick(team, ANA, rid, CAL)["text"].startswith(f"You handed <@{BEN}>'s request on to <@{CAL}>")


def test_only_the_member_who_filed_an_item_can_keep_it_there_or_move_it(team):
    team.at(utc(10, 26, 10))
    store = team.services.checkins.store
    reply = team.command(BEN, f"numeracy: {LICENCES}")
    item = button_of(reply, kit.ITEM_KEEP)
    for action in (kit.ITEM_KEEP, kit.ITEM_MOVE):
        refused = team.press(CAL, action, item, tells=False)
        assert refused["text"] == "Only the member who filed that item can keep it there or move it."
        [stored] = store.items(W44, BEN)
        assert (stored.field, stored.filed, stored.priority) == ("did", "numeracy", None)
    assert team.press(BEN, kit.ITEM_MOVE, item, tells=False)["text"].startswith("Moved to *Anything else*")


# -- a value Resolute did not make ------------------------------------------------------------------------
IDS = ["garbage", "", "0", "-1", "1.0", " 1", "１", "2147483648", "99999999999999999999"]
CLEARS = [
    W44,
    f"{W44}/1",
    f"{W44}/0/1",
    f"{W44}/1/x",
    f"{W44}/1/99999999999999999999",
    "2026-W54/1/1",
    "0000-W01/1/1",
    "garbage",
    "",
]  # fmt: skip  (the first: a clear button from before it named what)


def test_a_button_or_form_value_resolute_did_not_make_is_answered_and_changes_nothing(team):
    team.at(utc(10, 26, 10))
    store = team.services.checkins.store
    team.command(BEN, f"numeracy: {LICENCES}")  # asked whether to keep it there
    team.command(BEN, f"support <@{ANA}>: {PELICAN}")
    [dm] = [c for c in team.posts(ANA) if PELICAN in c.args["text"]]
    rid = request_id(dm)
    posts = len(team.fake.called("chat.postMessage"))
    for action, values in [(kit.CLEAR, CLEARS), (kit.ITEM_KEEP, IDS), (kit.ITEM_MOVE, IDS),
                           (support_blocks.SUPPORT_WITHDRAW, IDS), (support_blocks.SUPPORT_DECLINE, IDS), (support_blocks.SUPPORT_TAKE, IDS),
                           (support_blocks.SUPPORT_DONE, IDS)]:  # fmt: skip
        for value in values:
            who = (
                ANA
                if action
                in (support_blocks.SUPPORT_DECLINE, support_blocks.SUPPORT_TAKE, support_blocks.SUPPORT_DONE)
                else BEN
            )
            reply = team.press(who, action, value, tells=False)  # acknowledged: Slack got a 200
            assert reply["text"] == STALE_BUTTON, (action, value)
    for request, person in [("garbage", CAL), ("2147483648", CAL), (rid, "not a person"), (rid, None)]:
        assert pick(team, ANA, request, person)["text"] == STALE_BUTTON, (request, person)
    [item] = store.items(W44, BEN)
    assert (item.field, item.filed, item.priority) == ("did", "numeracy", None)
    assert requests(team) == [(BEN, ANA, "open")]
    assert len(team.fake.called("chat.postMessage")) == posts  # nobody was told anything

    # forms: the check-in form and the confirmation over an emptied one, with a week Resolute never wrote
    form = team.open_form(BEN, via_command=True)
    for week in ("garbage", "2026-W54", ""):
        answer = team.submit(BEN, {**form, "private_metadata": week}, {kit.field_block("other", None): HVAC})
        assert answer["response_action"] == "update" and STALE_FORM in rendered(answer["view"]["blocks"])
    pushed = team.submit(BEN, form, BLANK)
    for metadata in (W44, "garbage"):  # the first: a confirmation from before it named what it clears
        done = confirm(team, BEN, {**pushed["view"], "private_metadata": metadata})
        assert done["response_action"] == "update" and STALE_FORM in rendered(done["view"]["blocks"])
    assert [i.text for i in store.items(W44, BEN)] == [LICENCES]


# -- what a refusal repeats ---------------------------------------------------------------------------------
@pytest.mark.parametrize("database_url", [None])  # nothing is stored
def test_a_refusal_repeats_at_most_the_first_200_characters_of_what_was_typed(team):
    team.at(utc(10, 26, 10))
    long = "ж" * 3000  # a letter no message of Resolute's holds
    for typed, said in [(f"literacy - {long}", f"Did you mean `/checkin literacy: {'ж' * 180}"),
                        (f"y{long}", "Resolute does not know `yжжж"),
                        (f"y{long}: z", "is not one of the priorities")]:  # fmt: skip
        reply = team.command(ANA, typed)["text"]
        # what the refusal says, then "You typed: ...": each repeats at most 200 characters
        assert said in reply and reply.count("ж") <= 2 * 200, (said, reply.count("ж"))
    assert team.services.checkins.store.items(W44, ANA) == []
