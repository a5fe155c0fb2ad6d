"""Answers in Slack: the question, the cited answer with its feedback buttons, and short notices."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.notes.model import NOTE_SOURCE
from bot.slack.blocks.kit import (
    FALLBACK_CHARS,
    MESSAGE_BLOCKS,
    Block,
    actions,
    button,
    context,
    contexts,
    cut,
    escape,
    section,
    sections,
)
from bot.slack.blocks.kit import message as fit_message

if TYPE_CHECKING:  # the knowledge stack is slow to import; only its type is needed here
    from bot.knowledge.answer import Answer

FEEDBACK_HELPFUL = "feedback_helpful"
FEEDBACK_NOT_HELPFUL = "feedback_not_helpful"
SOURCE_LINE_CHARS = 300  # a source's title and place, so thirty sources stay readable

USAGE = "Ask me about the district's documents and data: `/ask What are our three priorities?`"
ERROR = (
    ":warning: Sorry, something went wrong while I was working on that, and it has been logged "
    "for the people who run me. Please try again in a minute."
)
EYES = "eyes"


def _source_line(n: int, title: str, location: str, source: str = "") -> str:
    if source.startswith(
        NOTE_SOURCE
    ):  # "Note by @author, date, school": a note, so it reads unlike a document
        author = title.removeprefix("Note by ")
        if re.fullmatch(r"<@[UW][A-Z0-9]+>", author):
            return cut(f"*[{n}]* :lock: Note by {author}, {escape(location)}", SOURCE_LINE_CHARS)
    where = f" — {location}" if location and location != title else ""
    return cut(f"*[{n}]* {escape(title)}{escape(where)}", SOURCE_LINE_CHARS)


def answer_message(
    answer: Answer, *, answer_id: str, footer: Sequence[Block] = ()
) -> tuple[str, list[Block]]:
    """The fallback text and the blocks of an answer: text with [n], Sources, feedback buttons.

    The feedback buttons (and the footer) are always kept; sources that do not fit are left out.
    """
    kept = [
        actions(
            button("Helpful", action_id=FEEDBACK_HELPFUL, value=answer_id),
            button("Not helpful", action_id=FEEDBACK_NOT_HELPFUL, value=answer_id),
            block_id="feedback",
        ),
        *footer,
    ]
    sources: list[Block] = []
    if answer.sources:
        sources = [
            context("*Sources*"),
            *contexts([_source_line(s.n, s.title, s.location, s.source) for s in answer.sources]),
        ]
    sources = sources[: max(0, MESSAGE_BLOCKS - 1 - len(kept))]  # room for one section of answer
    body = sections(escape(answer.answer)) or [section("(no answer)")]
    return cut(answer.answer, FALLBACK_CHARS), fit_message(body, [*sources, *kept])


def question_message(user_id: str, question: str) -> tuple[str, list[Block]]:
    """The message a `/ask` or modal question is posted as, so its answer has a thread to live in."""
    text = f"<@{user_id}> asked: {escape(question)}"
    return cut(text, FALLBACK_CHARS), [section(f"<@{user_id}> asked:\n>{escape(question)}")]


def invite_hint() -> Block:
    """Appended to a private answer in a channel Resolute has not been invited to."""
    return context(
        "Only you can see this: invite me with `/invite @Resolute` and I will answer in the channel, in a thread."
    )


def feedback_thanks(helpful: bool) -> str:
    """The private reply to a feedback click."""
    if helpful:
        return "Thanks: noted that this answer helped."
    return "Thanks: noted that this answer did not help. The team reviews these to improve the documents."
