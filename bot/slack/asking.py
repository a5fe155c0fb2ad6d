"""Answering in Slack: the service every listener calls (mentions, DMs, threads, /ask, the modal)."""

from __future__ import annotations

import html
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.knowledge.answer import Answerer, Turn
from bot.slack import blocks
from bot.slack.answer_log import WITHHELD, AnswerLog, note_ids

if TYPE_CHECKING:
    from bot.notes.copies import NoteCopies

log = logging.getLogger(__name__)

HISTORY_TURNS = 6
HOME_WEEKS = 4  # the Home tab shows a member's items of their last four check-ins
_USER_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL_MENTION = re.compile(r"<#[A-Z0-9]+\|([^>]*)>")
_LINK = re.compile(r"<((?:https?|mailto):[^>|]+)(?:\|([^>]*))?>")


def plain_text(text: str, *, bot_user_id: str | None = None) -> str:
    """A message's text as the question a person typed: no bot mention, links as labels, unescaped."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    text = _USER_MENTION.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    text = _CHANNEL_MENTION.sub(lambda m: "#" + m.group(1), text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return " ".join(html.unescape(text).split())


def _ts(value: str) -> tuple[int, int]:
    seconds, _, micros = value.partition(".")
    return int(seconds), int(micros or 0)


class Asking:
    """Turns a question in Slack into a threaded, cited answer, exactly once per question."""

    def __init__(
        self,
        *,
        answerer: Answerer,
        answer_log: AnswerLog,
        priorities: Callable[[], list[dict]] | None = None,
        answerer_for: Callable[..., Answerer] | None = None,
        max_concurrent: int = 2,
        note_copies: NoteCopies | None = None,
        recent_checkins: Callable[[str, int], list[dict] | None] | None = None,
    ) -> None:
        self._answerer = answerer
        self._copies = note_copies  # an answer that quoted a note is taken back from Slack when it goes
        # which answerer a question may use: `answerer_for(user, client, direct=...)`; the notes are
        # searched only for an entitled reader's direct message
        self._answerer_for = answerer_for or (lambda user, client, *, direct: answerer)
        self._log = answer_log
        self._priorities = priorities or (lambda: [])
        # a member's items of their last check-ins for the Home tab (None: check-ins are off)
        self._recent = recent_checkins or (lambda user, weeks: None)
        # retrieval is CPU-bound: more answers at once only slow each other (and the acks) down
        self._slots = threading.BoundedSemaphore(max_concurrent)

    def answer_message(self, client: WebClient, *, channel: str, user_id: str, text: str, ts: str,
                       thread_ts: str | None, bot_user_id: str | None, only_our_threads: bool = False) -> None:  # fmt: skip
        """Answer a mention or a DM in its thread; with `only_our_threads`, only in threads Resolute is in."""
        if only_our_threads and not (thread_ts and self._log.in_thread(channel, thread_ts)):
            return
        key = f"message:{channel}:{ts}"
        if not self._log.claim(key):
            log.info("already answered %s in %s (a retry or a duplicate event)", ts, channel)
            return
        with self._claimed(key):
            question = plain_text(text, bot_user_id=bot_user_id)
            root = thread_ts or ts
            if not question:
                client.chat_postMessage(channel=channel, thread_ts=root, text=blocks.USAGE)
                return
            history = self._history(client, channel, root, before_ts=ts) if thread_ts else []
            self._answer(client, channel=channel, thread_ts=root, question_ts=ts, user_id=user_id,
                         question=question, history=history)  # fmt: skip

    def answer_command(self, client: WebClient, *, channel: str, user_id: str, question: str, key: str,
                       reply_privately: Callable[[str, list[dict]], None] | None = None) -> None:  # fmt: skip
        """Answer `/ask` or the modal: post the question, then the answer in its thread."""
        if not self._log.claim(f"command:{key}"):
            return
        with self._claimed(f"command:{key}"):
            self._answer_command(client, channel=channel, user_id=user_id, question=question,
                                 reply_privately=reply_privately)  # fmt: skip

    def _answer_command(self, client: WebClient, *, channel: str, user_id: str, question: str,
                        reply_privately: Callable[[str, list[dict]], None] | None) -> None:  # fmt: skip
        text, question_blocks = blocks.question_message(user_id, question)
        try:
            posted = client.chat_postMessage(channel=channel, text=text, blocks=question_blocks)
        except SlackApiError as exc:
            if reply_privately is None or exc.response.get("error") not in (
                "not_in_channel",
                "channel_not_found",
            ):
                raise
            # a channel Resolute was never invited to: answer the asker alone, and say how to fix it
            with self._slots:
                answer = self._answerer.ask(question)
            answer_id = self._log.record(channel=channel, thread_ts="", question_ts=None, user_id=user_id,
                                         question=question, answer=answer)  # fmt: skip
            text, answer_blocks = blocks.answer_message(
                answer, answer_id=answer_id, footer=[blocks.invite_hint()]
            )
            reply_privately(text, answer_blocks)
            return
        self._answer(client, channel=posted["channel"], thread_ts=posted["ts"], question_ts=None,
                     user_id=user_id, question=question, history=[])  # fmt: skip

    @contextmanager
    def _claimed(self, key: str) -> Iterator[None]:
        """Mark the question answered when the block ends, or give it back if the block failed."""
        try:
            yield
        except BaseException:
            self._log.release(key)
            raise
        self._log.done(key)

    def feedback(self, *, answer_id: str, user_id: str, helpful: bool) -> bool:
        """Store a Helpful / Not helpful click."""
        return self._log.feedback(answer_id=answer_id, user_id=user_id, helpful=helpful)

    def publish_home(self, client: WebClient, *, user_id: str) -> None:
        """Publish the Home tab for one user."""
        view = blocks.home_view(priorities=self._priorities(), checkins=self._recent_checkins(user_id),
                                weeks=HOME_WEEKS)  # fmt: skip
        client.views_publish(user_id=user_id, view=view)

    def _recent_checkins(self, user_id: str) -> list[dict] | None:
        try:
            return self._recent(user_id, HOME_WEEKS)
        except Exception:  # the Home tab still opens with the priorities and the commands
            log.exception("could not read the check-ins for the Home tab")
            return None

    def _answer(self, client: WebClient, *, channel: str, thread_ts: str, question_ts: str | None,
                user_id: str, question: str, history: list[Turn]) -> None:  # fmt: skip
        marked = question_ts or thread_ts  # the :eyes: goes on the question
        self._react(client.reactions_add, channel, marked)
        try:
            # a direct message: an IM channel (D...) Resolute posts in, or the modal's answer in the asker's DM
            answerer = self._answerer_for(user_id, client, direct=channel.startswith("D"))
            with self._slots:
                answer = answerer.ask(question, history=history)
            answer_id = self._log.record(channel=channel, thread_ts=thread_ts, question_ts=question_ts,
                                         user_id=user_id, question=question, answer=answer)  # fmt: skip
            text, answer_blocks = blocks.answer_message(answer, answer_id=answer_id)
            posted = client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=text, blocks=answer_blocks,
                unfurl_links=False, unfurl_media=False,
            )  # fmt: skip
            self._log.posted(answer_id, posted["ts"])
            if self._copies is not None:
                self._copies.record(
                    note_ids(answer), channel=posted["channel"], ts=posted["ts"], kind="answer"
                )
        finally:
            self._react(client.reactions_remove, channel, marked)

    def _history(self, client: WebClient, channel: str, thread_ts: str, *, before_ts: str) -> list[Turn]:
        """Earlier turns of a thread: Resolute's own answers from the log, people's messages from Slack."""
        ours = {a.message_ts: a for a in self._log.in_thread(channel, thread_ts) if a.message_ts}
        asked = {a.question_ts for a in ours.values()}
        try:
            messages = client.conversations_replies(channel=channel, ts=thread_ts, limit=200)["messages"]
        except SlackApiError as exc:  # e.g. a missing history scope: the log still has our turns
            log.warning("could not read thread %s in %s (%s)", thread_ts, channel, exc.response.get("error"))
            return [Turn(a.question, a.answer) for a in ours.values()][-HISTORY_TURNS:]
        turns: list[Turn] = []
        for m in sorted(messages, key=lambda m: _ts(m["ts"])):
            if _ts(m["ts"]) >= _ts(before_ts):
                break
            if m["ts"] in ours:
                if ours[m["ts"]].question != WITHHELD:  # an answer from notes is not kept to build on
                    turns.append(Turn(ours[m["ts"]].question, ours[m["ts"]].answer))
            elif (
                m["ts"] not in asked
                and not m.get("bot_id")
                and m.get("subtype") in (None, "thread_broadcast")
            ):
                said = plain_text(m.get("text", ""))
                if (
                    said
                ):  # a colleague's message the question may refer to ("what does the plan say about this?")
                    turns.append(Turn(said, ""))
        return turns[-HISTORY_TURNS:]

    @staticmethod
    def _react(call: Callable, channel: str, ts: str) -> None:
        try:
            call(channel=channel, timestamp=ts, name=blocks.EYES)
        except SlackApiError as exc:  # the marker is a courtesy; never fail an answer over it
            log.warning("could not change the :eyes: marker (%s)", exc.response.get("error"))
