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
    feedback_buttons,
    section,
    sections,
)
from bot.slack.blocks.kit import message as fit_message

if TYPE_CHECKING:  # the knowledge stack is slow to import; only its type is needed here
    from bot.knowledge.answer import Answer

FEEDBACK = "answer_feedback"  # Slack's feedback buttons under an answer; the value says which and whose
HELPFUL, NOT_HELPFUL = "helpful", "not_helpful"
# the Helpful / Not helpful buttons of answers posted before them, still clickable in Slack
FEEDBACK_HELPFUL = "feedback_helpful"
FEEDBACK_NOT_HELPFUL = "feedback_not_helpful"
ASK_OWNER = "ask_owner"  # hand a question the documents did not answer to the person named for it
SAVE_ANSWER = "save_answer"  # the owner makes their latest reply the answer the next asker gets
REMOVE_ANSWER = "remove_saved_answer"
SAVE_CONFIRM = {
    "title": "Save as an answer?",
    "text": "The question, as it was asked, and your latest reply in this thread will be searchable by everyone "
    "who asks Resolute, cited with your name. You can remove it later from this thread.",
    "confirm": "Save",
    "deny": "Cancel",
}
QUOTED_ANSWER_CHARS = 600  # of the answer given, in the message to that person
TITLE_CHARS = 80  # an assistant thread's title: its first question, cut
ASSISTANT_GREETING = (
    "Hi! Ask me about the district's plans, research and results: every answer cites the documents it comes "
    "from."
)
ASSISTANT_PROMPTS_BELOW = " A few questions to start with are below."
ASSISTANT_STATUS = "is reading the district's documents…"
PROMPTS_TITLE = "Try asking"
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
    """The fallback text and the blocks of an answer: text with [n], Sources, Slack's feedback buttons.

    The feedback buttons (and the footer) are always kept; sources that do not fit are left out.
    """
    kept = [
        feedback_buttons(
            action_id=FEEDBACK,
            positive=("Helpful", feedback_value(True, answer_id)),
            negative=("Not helpful", feedback_value(False, answer_id)),
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


def feedback_value(helpful: bool, answer_id: str) -> str:
    """What a feedback button sends back: the verdict and the answer's id ("helpful:<id>")."""
    return f"{HELPFUL if helpful else NOT_HELPFUL}:{answer_id}"


def feedback_click(value: str) -> tuple[bool, str] | None:
    """(helpful, answer id) from a feedback button's value; None for a value no answer of ours carries."""
    verdict, _, answer_id = value.partition(":")
    if verdict not in (HELPFUL, NOT_HELPFUL) or not answer_id:
        return None
    return verdict == HELPFUL, answer_id


def ask_owner(name: str, answer_id: str) -> Block:
    """The button under an answer that found nothing (or a "Not helpful" reply) to hand it to a person."""
    return actions(button(f"Ask {name}", action_id=ASK_OWNER, value=answer_id), block_id="handoff")


def handoff_message(
    asked_by: str, question: str, answer: str, channel: str, answer_id: str
) -> tuple[str, list[Block]]:
    """What the person named for a question is sent: the question, the answer given and where it was asked."""
    where = "in a direct message with me" if channel.startswith("D") else f"in <#{channel}>"
    text = (f"<@{asked_by}> asked a question the district's documents did not answer, {where}:\n"
            f">{escape(question)}\n\nResolute said:\n>{escape(cut(answer, QUOTED_ANSWER_CHARS))}")  # fmt: skip
    footer = context("Reply in this thread: I post your reply in the thread where they asked. *Save as an answer* "
                     "makes your latest reply the cited answer the next leader who asks gets.")  # fmt: skip
    save = actions(button("Save as an answer", action_id=SAVE_ANSWER, value=answer_id, confirm=SAVE_CONFIRM),
                   block_id="save")  # fmt: skip
    return cut(text, FALLBACK_CHARS), fit_message(sections(text), [footer, save])


def saved_answer(text: str, answer_id: str) -> list[Block]:
    """The owner's confirmation that their reply was saved, with the button that takes it back."""
    remove = actions(button("Remove this answer", action_id=REMOVE_ANSWER, value=answer_id), block_id="saved")
    return [*sections(escape(text)), remove]


def relayed_reply(owner: str, reply: str) -> str:
    """An owner's reply, quoted, for the asker's thread."""
    quoted = "\n".join(f">{line}" for line in escape(reply).splitlines() or [""])
    return cut(f"<@{owner}> answered:\n{quoted}", FALLBACK_CHARS)


def thread_title(question: str) -> str:
    """An assistant thread's title: its first question, on one line, cut."""
    return cut(" ".join(question.split()), TITLE_CHARS)


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
