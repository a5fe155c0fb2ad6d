"""Check-in Block Kit: valid at Slack's limits, people's text escaped, and no one named who should not be."""

from __future__ import annotations

import json
import re

from slack_sdk.models.views import View

from bot.checkins.chart import trend_chart, weeks
from bot.district.config import MAX_PRIORITIES, Priority
from bot.district.digest import MARKERS
from bot.slack.block_check import blocks_problem, view_problem
from bot.slack.blocks import checkins as cb
from bot.slack.blocks import support as support_blocks
from bot.slack.blocks.kit import CUT_NOTE, FALLBACK_CHARS, INPUT_CHARS, MESSAGE_BLOCKS, VIEW_BLOCKS, escape

WEEK, CLOSE = "2026-W48", "Wed 25 Nov 17:00 (America/Toronto)"
PRIORITIES = [
    Priority(key="literacy", name="Literacy", message="Every child reading by Grade 3"),
    Priority(key="numeracy", name="Numeracy", message="Math every day, in every class"),
    Priority(key="graduation", name="Graduation", message="Every student on track to graduate"),
    Priority(key="wellbeing", name="Well-being", message="Every student known by name"),
    Priority(key="staff", name="Staff", message="Great teachers, supported and staying"),
]
NASTY = "<!channel> & <@U999> <https://evil.example|click>"  # what a person might type


def valid(built: tuple[str, list[dict]]) -> list[dict]:
    """The message's blocks, after checking Slack would take them and the notification text."""
    text, blocks = built
    assert text and len(text) <= FALLBACK_CHARS
    problem = blocks_problem(blocks)
    assert problem is None, problem
    return blocks


def shown(blocks: list[dict]) -> str:
    """All the text of some blocks, as Slack would receive it."""
    return json.dumps(blocks, ensure_ascii=False)


def mrkdwn(blocks: list[dict]) -> str:
    """The section and context text of some blocks, joined."""
    texts = []
    for b in blocks:
        if b["type"] == "section":
            texts.append(b["text"]["text"])
        elif b["type"] == "context":
            texts += [e["text"] for e in b["elements"]]
    return "\n".join(texts)


# -- the prompt, the form, the card ----------------------------------------------------------------------
def test_the_prompt_names_the_week_the_priorities_the_button_and_the_close():
    blocks = valid(cb.prompt_message(PRIORITIES, week=WEEK, close=CLOSE))
    text = mrkdwn(blocks)
    assert "Your check-in for the week of Mon 23 Nov" in text and CLOSE in text
    assert all(f"*{p.name}*\n_{p.message}_" in text for p in PRIORITIES)
    assert "`/checkin literacy: what you did`" in text
    buttons = [(e["action_id"], e["value"], e["text"]["text"]) for b in blocks if b["type"] == "actions"
               for e in b["elements"]]  # fmt: skip
    assert buttons == [(cb.OPEN_CHECKIN, WEEK, "Fill in my check-in"),
                       (cb.SNOOZE_AFTERNOON, WEEK, "Remind me at 2 pm"), (cb.SNOOZE_TOMORROW, WEEK, "Tomorrow morning")]  # fmt: skip
    text, reminder = cb.prompt_message(PRIORITIES, week=WEEK, close=CLOSE, reminder=True)
    assert text.startswith("A gentle reminder") and CLOSE in text
    assert valid((text, reminder))[-2] == blocks[-2]  # the same buttons
    snoozed = valid(cb.prompt_message(PRIORITIES, week=WEEK, close=CLOSE, reminder=True, snoozed=True))
    assert [e["action_id"] for b in snoozed if b["type"] == "actions" for e in b["elements"]] == [
        cb.OPEN_CHECKIN
    ]


def saved_texts(chars: int) -> dict[str, str]:
    """Every field of the form filled to `chars` characters, one item a line."""
    line = "Walked Grade 2 classrooms at Maple with the principal and the coach."
    full = "\n".join([line] * (chars // (len(line) + 1) + 1))[:chars]
    keys = [cb.field_block(f, p.key) for p in PRIORITIES for f in ("did", "next")] + [
        cb.field_block("other", None)
    ]
    return dict.fromkeys(keys, full)


def inputs(view: dict) -> dict[str, dict]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def test_the_form_with_five_priorities_and_full_fields_fits_slack():
    assert len(PRIORITIES) == MAX_PRIORITIES
    saved = saved_texts(INPUT_CHARS)
    asked = [f"<@U{n}>: {escape(NASTY)} (open)" for n in range(40)]
    view = cb.checkin_modal(PRIORITIES, week=WEEK, close=CLOSE, saved=saved, asked=asked)
    assert view_problem(view) is None, view_problem(view)
    View(**view).to_dict()  # slack_sdk's own model of a view
    assert len(view["blocks"]) <= VIEW_BLOCKS
    assert (view["callback_id"], view["private_metadata"]) == (cb.CHECKIN_MODAL, WEEK)
    assert [view[k]["text"] for k in ("title", "submit", "close")] == ["Weekly check-in", "Save", "Cancel"]
    fields = inputs(view)
    assert set(fields) == {*saved, cb.SUPPORT_TO, cb.SUPPORT_TEXT}
    assert view["blocks"][-1]["block_id"] == "other"  # the 40 support lines did not push it out
    for block_id, block in fields.items():
        element = block["element"]
        assert block["optional"] is True
        if block_id == cb.SUPPORT_TO:
            assert (element["type"], element["action_id"]) == ("users_select", cb.USER)
            continue
        assert (element["type"], element["action_id"], element["max_length"]) == (
            "plain_text_input",
            cb.TEXT,
            INPUT_CHARS,
        )
        assert element.get("initial_value") == saved.get(block_id)  # what was saved, all of it
    labels = [b["label"]["text"] for b in fields.values()]
    assert labels.count("What did you do this week?") == labels.count("What's next?") == 5
    assert "Anything else that took your time" in labels
    text = mrkdwn(view["blocks"])
    assert (
        "Each line is one item" in text
        and f"until {CLOSE}" in text
        and "*Support I need, and from whom*" in text
    )
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert "… and more" in text


def test_the_form_opens_empty_and_keeps_whole_lines_of_an_overlong_saved_field():
    view = cb.checkin_modal(PRIORITIES[:1], week=WEEK, close=CLOSE, saved={}, asked=[])
    assert view_problem(view) is None
    assert all("initial_value" not in b["element"] for b in inputs(view).values())
    assert not any(b["type"] == "context" and "Already asked" in mrkdwn([b]) for b in view["blocks"])
    long = "\n".join(f"item {n:04d} " + "x" * 90 for n in range(40))  # 4,000 characters
    view = cb.checkin_modal(PRIORITIES[:1], week=WEEK, close=CLOSE, saved={"did:literacy": long}, asked=[])
    kept = inputs(view)["did:literacy"]["element"]["initial_value"]
    assert len(kept) <= INPUT_CHARS and long.startswith(kept + "\n")  # no line saved back half-cut


def test_the_card_shows_each_priority_its_message_and_its_targets_statuses():
    statuses = {
        "literacy": [("Grade 3 reading", "on_track"), ("Grade 6 <writing>", "off_track")],
        "numeracy": [("Grade 6 math", "met")],
    }
    blocks = valid(cb.card_message(PRIORITIES, statuses, week=WEEK))
    text = mrkdwn(blocks)
    assert blocks[0]["text"]["text"] == "Our priorities, week of Mon 23 Nov"
    assert f"{MARKERS['on_track']} Grade 3 reading: *on track*" in text
    assert f"{MARKERS['off_track']} Grade 6 &lt;writing&gt;: *off track*" in text
    assert f"{MARKERS['met']} Grade 6 math: *met*" in text
    assert text.count("No results yet") == 3  # graduation, well-being, staff
    assert all(p.message in text for p in PRIORITIES)


# -- the summary ---------------------------------------------------------------------------------------
def summary(**changes) -> dict:
    """Nine members: U1-U7 answered, U8 skipped, U9 did not answer. U7 filed only off-message work."""
    items = [
        {"user": "U1", "priority": "literacy", "text": "Walked Grade 2 classrooms at Maple", "field": "did"},
        {"user": "U2", "priority": "literacy", "text": "Plan reading checks with coaches", "field": "next"},
        {"user": "U3", "priority": "numeracy", "text": "Number talks PD for Grade 6", "field": "did"},
        {"user": "U3", "priority": None, "text": "Budget hearings", "field": "other"},
        {"user": "U4", "priority": "numeracy", "text": "Math walk at Oak", "field": "other"},
        {"user": "U5", "priority": "literacy", "text": NASTY, "field": "did"},
        {"user": "U6", "priority": "graduation", "text": "Credit rescue list reviewed", "field": "did"},
        {"user": "U7", "priority": None, "text": "Parking lot complaint", "field": "other"},
        {"user": "U7", "priority": None, "text": "Bus schedule review", "field": "next"},
    ]
    data = {
        "week": WEEK,
        "closes": "2026-11-25T17:00:00-05:00",
        "participation": {"answered": 7, "members": 9, "rate": 0.778, "skipped": 1},
        "on_message_share": 0.83,
        "trend": [{"week": "2026-W46", "share": 0.6}, {"week": "2026-W47", "share": 0.7}, {"week": WEEK, "share": 0.83}],
        "items": [{**i, "filed": i["priority"]} for i in items],
        "support_requests": [
            {"id": 3, "from": "U1", "to": "U2", "text": "A coach for two Grade 6 classes", "status": "open",
             "week": "2026-W46", "age_days": 9},
            {"id": 4, "from": "U3", "to": "U4", "text": "Data on <Grade 6>", "status": "taken", "week": WEEK,
             "age_days": 2},
            {"id": 5, "from": "U5", "to": "U6", "text": "Bus passes", "status": "done", "week": WEEK, "age_days": 1},
        ],
    }  # fmt: skip
    return {**data, **changes}


def test_the_summary_counts_participation_and_shows_the_on_message_share_against_last_week():
    blocks = valid(cb.summary_message(summary(), PRIORITIES))
    text = mrkdwn(blocks).replace("*", "")
    assert blocks[0]["text"]["text"] == "Check-in: week of Mon 23 Nov"
    assert "7 of 9 answered (78%) · 1 skipped" in text
    assert "83% of this week's items serve a priority, up from 70% last week." in text
    gap = summary(trend=[{"week": "2026-W45", "share": 0.9}, {"week": WEEK, "share": 0.83}])
    assert "down from 90% the week of Mon 02 Nov" in mrkdwn(valid(cb.summary_message(gap, PRIORITIES)))
    no_skip = summary(participation={"answered": 7, "members": 9, "rate": 0.778, "skipped": 0})
    assert "skipped" not in mrkdwn(valid(cb.summary_message(no_skip, PRIORITIES)))


def test_the_summary_opens_with_what_changed_since_the_last_check_in_held():
    trend = [{"week": "2026-W46", "share": 0.6, "items": {"literacy": 2, "none": 2}, "participation": 0.7},
             {"week": "2026-W47", "share": None, "skipped": True},
             {"week": WEEK, "share": 0.83, "items": {"literacy": 3, "numeracy": 4, "none": 1}, "participation": 0.778}]  # fmt: skip
    blocks = valid(cb.summary_message(summary(trend=trend), PRIORITIES))
    first = blocks[1]["text"]["text"]  # under the header
    assert first == ("*Since the week of Mon 09 Nov:* 78% of us answered, up from 70%; Numeracy had 4 items, "
                     "up from 0.")  # fmt: skip
    assert "*Since" not in mrkdwn(
        valid(cb.summary_message(summary(trend=trend[2:]), PRIORITIES))
    )  # the first


def test_the_summary_never_names_who_did_not_answer_nor_who_filed_off_message_work():
    text, blocks = cb.summary_message(summary(), PRIORITIES)
    everything = text + shown(blocks)
    assert not re.search(r"\bU[89]\b", everything)  # skipped, and did not answer
    assert not re.search(r"\bU7\b", everything)  # filed only work that serves no priority
    assert re.search(r"\bU6\b", everything)  # (the pattern does find a person named)
    also = next(
        b["text"]["text"]
        for b in blocks
        if b["type"] == "section" and "Also took our time" in b["text"]["text"]
    )
    assert "<@" not in also
    assert (
        "• Budget hearings\n• Bus schedule review _(next)_\n• Parking lot complaint" in also
    )  # sorted, not by person
    assert "Budget hearings — <@U3>" not in everything


def test_the_summary_lists_each_priority_s_work_with_its_authors_and_the_support_asked():
    text = mrkdwn(valid(cb.summary_message(summary(), PRIORITIES)))
    literacy = text[text.index("*Literacy*") : text.index("*Numeracy*")]
    assert "*Done this week*\n• Walked Grade 2 classrooms at Maple — <@U1>" in literacy
    assert "*Next*\n• Plan reading checks with coaches — <@U2>" in literacy
    numeracy = text[text.index("*Numeracy*") : text.index("*Graduation*")]
    assert "• Math walk at Oak — <@U4>" in numeracy  # "anything else" that serves a priority counts under it
    assert "Nothing reported for this priority this week" in text[text.index("*Staff*") :]
    assert "<@U1> asked <@U2>: A coach for two Grade 6 classes — open, 9 days" in text
    assert "<@U3> asked <@U4>: Data on &lt;Grade 6&gt; — taken, 2 days" in text
    assert "<@U5> asked <@U6>: Bus passes — done this week" in text


def test_people_s_mrkdwn_is_escaped_everywhere_they_are_quoted_and_their_mentions_stay_mentions():
    request = {
        "id": 7,
        "from": "U1",
        "to": "U2",
        "text": NASTY,
        "status": "open",
        "week": WEEK,
        "age_days": 0,
    }
    built = [
        cb.summary_message(summary(), PRIORITIES),
        support_blocks.support_request_message(request),
        support_blocks.support_update_message({**request, "status": "taken"}),
        cb.status_message(week=WEEK, close=CLOSE, mine=[{"field": "did", "filed": "literacy", "text": NASTY}],
                          asked=[request], answered=1, members=2, skipped=False, away_until=None),
    ]  # fmt: skip
    for text, blocks in built:
        valid((text, blocks))
        assert "<!channel>" not in text + shown(blocks)
        assert "&lt;!channel&gt; &amp; <@U999>" in mrkdwn(blocks)  # a colleague picked from the @ menu


def big_summary(members: int, per_member: int, chars: int) -> dict:
    keys = [p.key for p in PRIORITIES]
    items = [
        {"user": f"U{m:03d}", "priority": [*keys, None][(m + n) % 6], "field": ("did", "next", "other")[n % 3],
         "text": (f"item {n} of member {m}: " + "walked classrooms with the coach " * 100)[:chars], "filed": None}
        for m in range(members) for n in range(per_member)
    ]  # fmt: skip
    requests = [
        {"id": n, "from": f"U{n:03d}", "to": f"U{n + 1:03d}", "text": "a coach " * 20, "status": "open",
         "week": WEEK, "age_days": n}
        for n in range(members)
    ]  # fmt: skip
    return summary(items=items, support_requests=requests,
                   participation={"answered": members, "members": members, "rate": 1.0, "skipped": 0})  # fmt: skip


def test_a_fifty_member_summary_of_five_items_each_stays_valid():
    blocks = valid(cb.summary_message(big_summary(50, 5, 120), PRIORITIES))
    assert len(blocks) <= MESSAGE_BLOCKS
    text = mrkdwn(blocks)
    assert all(f"item {n} of member {m:d}:" in text for m in range(50) for n in range(5))  # every item shown
    assert CUT_NOTE not in text
    blocks = valid(
        cb.summary_message(big_summary(50, 5, 3000), PRIORITIES)
    )  # the longest items the form allows
    assert len(blocks) == MESSAGE_BLOCKS and CUT_NOTE in mrkdwn(blocks)
    lines = mrkdwn(blocks).replace(CUT_NOTE, "").splitlines()
    assert (
        max(map(len, lines)) < support_blocks.ITEM_CHARS + 20
    )  # an item is cut to its start, so the others still show
    assert "<@U049> asked <@U050>" in mrkdwn(blocks)  # the support owed is kept whole


def test_an_empty_week_s_summary_is_valid():
    empty = summary(items=[], support_requests=[], on_message_share=None, trend=[],
                    participation={"answered": 0, "members": 0, "rate": None, "skipped": 0})  # fmt: skip
    text = mrkdwn(valid(cb.summary_message(empty, PRIORITIES)))
    assert "*0 of 0* answered\nNo items were filed this week." in text and "Also took our time" not in text


# -- support, status, replies -------------------------------------------------------------------------
def buttons(blocks: list[dict]) -> list[tuple[str, str]]:
    return [(e["action_id"], e.get("value")) for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_the_person_asked_gets_the_buttons_and_the_requester_hears_the_news():
    request = {
        "id": 3,
        "from": "U1",
        "to": "U2",
        "text": "A coach",
        "status": "open",
        "week": WEEK,
        "age_days": 9,
    }
    blocks = valid(support_blocks.support_request_message(request))
    assert "<@U1> asks for your support:\n>A coach" in mrkdwn(blocks) and "9 days ago" in mrkdwn(blocks)
    assert buttons(blocks) == [
        (support_blocks.SUPPORT_TAKE, "3"),
        (support_blocks.SUPPORT_DONE, "3"),
        (support_blocks.SUPPORT_DECLINE, "3"),
        (support_blocks.SUPPORT_HAND_ON, None),
    ]  # the picker names the request in its block id
    assert [b["block_id"] for b in blocks if b["type"] == "actions"] == ["support:3"]
    taken, done = {**request, "status": "taken"}, {**request, "status": "done"}
    text, blocks = support_blocks.support_update_message(taken)
    assert text == "<@U2> is taking your request: A coach" and buttons(valid((text, blocks))) == []
    assert support_blocks.support_update_message(done)[0] == "<@U2> has done what you asked: A coach"
    text, blocks = support_blocks.support_update_message(taken, to_asked=True)
    assert text.startswith("You are taking <@U1>'s request: A coach")
    assert buttons(valid((text, blocks))) == [
        (support_blocks.SUPPORT_DONE, "3"),
        (support_blocks.SUPPORT_DECLINE, "3"),
        (support_blocks.SUPPORT_HAND_ON, None),
    ]  # no taking it twice
    assert buttons(valid(support_blocks.support_update_message(done, to_asked=True))) == []


def test_status_shows_what_i_filed_my_requests_and_only_a_count_of_the_others():
    mine = [
        {"field": "other", "filed": None, "text": "Budget hearings"},
        {"field": "next", "filed": "literacy", "text": "Reading checks"},
        {"field": "did", "filed": "literacy", "text": "Walked classrooms"},
        {"field": "did", "filed": "numeracy", "text": "Number talks"},
    ]
    asked = [
        {"id": 3, "from": "U1", "to": "U2", "text": "A coach", "status": "taken", "week": WEEK, "age_days": 2}
    ]
    blocks = valid(cb.status_message(week=WEEK, close=CLOSE, mine=mine, asked=asked, answered=5, members=9,
                                     skipped=False, away_until="2026-12-07", priorities=PRIORITIES))  # fmt: skip
    text = mrkdwn(blocks)
    order = ["*Literacy · Done this week*\n• Walked classrooms", "*Literacy · Next*\n• Reading checks",
             "*Numeracy · Done this week*\n• Number talks", "*Anything else*\n• Budget hearings"]  # fmt: skip
    assert [text.index(part) for part in order] == sorted(text.index(part) for part in order)
    assert "• <@U2>: A coach — taken, 2 days" in text and "paused until Mon 07 Dec 2026" in text
    assert "5 of 9 have answered so far." in text and "U3" not in text
    empty = mrkdwn(valid(cb.status_message(week=WEEK, close=CLOSE, mine=[], asked=[], answered=0, members=1,
                                           skipped=True, away_until=None)))  # fmt: skip
    assert "You skipped this week" in empty and "Nothing filed yet" not in empty


def test_a_reply_of_any_length_is_valid():
    blocks = valid(cb.reply("Unknown priority 'math'.\nYou typed: `/checkin " + escape(NASTY) + "`"))
    assert "&lt;!channel&gt;" in mrkdwn(blocks)
    assert len(valid(cb.reply("word " * 5000))) == 9


# -- the trend chart -------------------------------------------------------------------------------------
NAMES = {"literacy": "Literacy", "numeracy": "Numeracy"}


def week_of_items(week: str, literacy: int, numeracy: int, none: int, answered: float | None) -> dict:
    total = literacy + numeracy + none
    items = {k: n for k, n in (("literacy", literacy), ("numeracy", numeracy), ("none", none)) if n}
    return {"week": week, "share": (literacy + numeracy) / total if total else None, "items": items,
            "participation": answered}  # fmt: skip


def test_the_chart_is_a_png_for_one_week_a_year_of_weeks_and_weeks_with_gaps():
    one = [week_of_items(WEEK, 3, 2, 1, 0.8)]
    year = [week_of_items(f"2026-W{n:02d}", n % 5, 2, 1, n / 60) for n in range(1, 53)]
    gaps = [week_of_items("2026-W40", 1, 1, 2, 0.5), {"week": "2026-W42", "share": None, "skipped": True},
            week_of_items(WEEK, 4, 0, 0, None)]  # fmt: skip
    removed = [
        {"week": WEEK, "share": 1.0, "items": {"graduation": 2}, "participation": 1.0}
    ]  # a key since gone
    for trend in (one, year, gaps, removed, [{"week": WEEK, "share": None}]):
        assert trend_chart(trend, NAMES).startswith(b"\x89PNG")


def test_the_chart_s_weeks_run_without_holes_across_a_year_end():
    trend = [{"week": "2026-W52", "share": 0.5}, {"week": "2027-W01", "share": 0.7}]
    assert [(t["week"], t["share"]) for t in weeks(trend)] == [
        ("2026-W52", 0.5), ("2026-W53", None), ("2027-W01", 0.7)]  # fmt: skip  # 2026 has 53 ISO weeks
    assert weeks(list(reversed(trend)))[0]["week"] == "2026-W52" and weeks([]) == []


def test_every_id_the_listeners_read_is_what_the_form_sends():
    assert (cb.OPEN_CHECKIN, cb.CHECKIN_MODAL, support_blocks.SUPPORT_TAKE, support_blocks.SUPPORT_DONE) == (
        "checkin_open",
        "checkin_modal",
        "checkin_support_take",
        "checkin_support_done",
    )
    assert (
        cb.field_block("did", "literacy"),
        cb.field_block("next", "literacy"),
        cb.field_block("other", None),
    ) == (
        "did:literacy",
        "next:literacy",
        "other",
    )
