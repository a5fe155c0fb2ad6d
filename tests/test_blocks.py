"""Block Kit's limits, enforced in one place: long content is cut to fit, wrong constants raise."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackObjectFormationError

from bot.knowledge.answer import Answer, Source
from bot.slack import blocks
from bot.slack.block_check import blocks_problem, view_problem
from bot.slack.blocks import kit


def valid(built: list[dict]) -> bool:
    """Slack would take these blocks in a message (checked with slack_sdk's models)."""
    return blocks_problem(built) is None


def test_section_text_is_cut_to_3000_characters():
    built = kit.section("word " * 1000)
    assert len(built["text"]["text"]) == kit.SECTION_CHARS and built["text"]["text"].endswith("…")
    assert kit.section("short")["text"] == {"type": "mrkdwn", "text": "short"}


def test_long_text_becomes_several_sections_at_word_breaks():
    text = "A sentence about reading coaches. " * 300  # about 10,200 characters
    built = kit.sections(text)
    assert len(built) == 4 and valid(built)
    assert all(len(b["text"]["text"]) <= kit.SECTION_CHARS for b in built)
    assert " ".join(b["text"]["text"] for b in built).split() == text.split()  # nothing lost


def test_header_is_cut_to_150_characters():
    built = kit.header("Riverbend District School Board " * 10)
    assert len(built["text"]["text"]) == kit.HEADER_CHARS and built["text"]["type"] == "plain_text"


def test_context_blocks_hold_ten_elements_each():
    built = kit.contexts([f"line {n}" for n in range(25)])
    assert [len(b["elements"]) for b in built] == [10, 10, 5] and valid(built)
    assert built[2]["elements"][-1]["text"] == "line 24"


def test_a_message_keeps_its_tail_and_cuts_its_body_to_50_blocks_with_a_note():
    body = [kit.section(f"paragraph {n}") for n in range(80)]
    tail = [kit.context("Sources"), kit.actions(kit.button("Helpful", action_id="h", value="1"))]
    built = kit.message(body, tail)
    assert len(built) == kit.MESSAGE_BLOCKS and valid(built)
    assert built[-2:] == tail
    assert built[-3]["text"]["text"] == "paragraph 47" + kit.CUT_NOTE
    assert kit.message(body[:3], tail) == [*body[:3], *tail]  # what fits is left alone


def test_a_view_holds_at_most_100_blocks():
    many = [kit.section(f"line {n}") for n in range(130)]
    assert len(kit.home(many)["blocks"]) == kit.VIEW_BLOCKS
    modal = kit.modal(callback_id="m", title="Ask Resolute", submit="Ask", close="Cancel", blocks=many)
    assert len(modal["blocks"]) == kit.VIEW_BLOCKS
    assert view_problem(modal) is None


def test_modal_title_and_button_labels_are_cut_to_24_characters():
    modal = kit.modal(callback_id="m", title="Ask Resolute about the plan", submit="Send my question now please",
                      close="Cancel this question please", blocks=[kit.section("x")])  # fmt: skip
    labels = [modal[k]["text"] for k in ("title", "submit", "close")]
    assert labels == ["Ask Resolute about the…", "Send my question now pl…", "Cancel this question pl…"]
    assert max(map(len, labels)) == kit.VIEW_TITLE_CHARS


def test_button_text_is_cut_to_75_characters_and_a_long_value_is_refused():
    built = kit.actions(kit.button("Helpful " * 20, action_id="h", value="v" * 2000))
    assert len(built["elements"][0]["text"]["text"]) == kit.BUTTON_TEXT_CHARS
    with pytest.raises(SlackObjectFormationError, match="2000"):
        kit.actions(kit.button("Helpful", action_id="h", value="v" * 2001))


def test_a_text_input_longer_than_slack_allows_is_refused():
    built = kit.text_input(block_id="q", label="Your question", action_id="qi", max_length=kit.INPUT_CHARS)
    assert built["element"]["max_length"] == kit.INPUT_CHARS
    with pytest.raises(ValueError, match="3000"):
        kit.text_input(block_id="q", label="Your question", action_id="qi", max_length=kit.INPUT_CHARS + 1)


def test_an_answer_keeps_its_feedback_buttons_whatever_its_sources():
    sources = [Source(n, f"Document {n}", f"d{n}.md", f"Section {n}", "x", 0.5) for n in range(1, 601)]
    _, built = blocks.answer_message(Answer("The target is 88 percent [1].", "llm", sources), answer_id="a1",
                                        footer=[blocks.invite_hint()])  # fmt: skip
    assert len(built) == kit.MESSAGE_BLOCKS and valid(built)
    assert built[0]["text"]["text"] == "The target is 88 percent [1]."  # the answer itself stays
    feedback = built[-2]
    assert feedback["type"] == "context_actions" and feedback["elements"][0]["type"] == "feedback_buttons"
    sides = feedback["elements"][0]["positive_button"], feedback["elements"][0]["negative_button"]
    assert [blocks.feedback_click(side["value"]) for side in sides] == [(True, "a1"), (False, "a1")]
    assert "/invite @Resolute" in built[-1]["elements"][0]["text"]


def test_the_digest_splits_a_long_priority_and_keeps_the_schools():
    long_priority = "*Literacy*\n" + "\n".join(
        f":red_circle: *Target {n}*: 61.0 in 2025 against 70.0." for n in range(120)
    )
    built = blocks.digest_blocks(
        "Riverbend: weekly progress", [long_priority, "*Numeracy*"], ["moving", "coasting"]
    )
    assert valid(built)
    assert [b["type"] for b in built[-3:]] == ["divider", "section", "section"]
    sections = [b["text"]["text"] for b in built[1:-3]]
    assert len(sections) == 4 and sections[-1] == "*Numeracy*"
    assert "\n".join(sections[:3]).splitlines() == long_priority.splitlines()  # every target is shown


def test_progress_keeps_the_schools_line_when_its_targets_overflow():
    lines = [f"Target {n}: " + "x" * 2900 for n in range(60)]
    _, built = blocks.progress_message("Riverbend: progress", lines, moving=["Alpha PS"], coasting=[])
    assert len(built) == kit.MESSAGE_BLOCKS and valid(built)
    assert built[0]["type"] == "header" and built[-2]["text"]["text"].endswith(kit.CUT_NOTE)
    assert built[-1]["elements"][0]["text"].startswith("*Schools on the Move:* Alpha PS")


def test_home_tab_and_modal_are_valid_views():
    priorities = [{"name": f"Priority {n}", "message": "m" * 4000, "status": "s"} for n in range(8)]
    home = blocks.home_view(priorities=priorities)
    assert view_problem(home) is None
    shown = [b["text"]["text"] for b in home["blocks"] if b["type"] == "section"]
    assert sum(t.startswith("*Priority") for t in shown) == 5  # a district names at most five
    modal = blocks.ask_modal()
    assert view_problem(modal) is None
    assert modal["blocks"][0]["element"]["max_length"] == 2000
