"""Answering in Slack: the service every listener calls (mentions, DMs, threads, /ask, the modal)."""

from __future__ import annotations

import contextlib
import html
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.knowledge.answer import Answerer, Turn
from bot.slack import blocks
from bot.slack.answer_log import WITHHELD, AnswerLog, note_ids
from bot.store.handoffs import Handoff, Handoffs

if TYPE_CHECKING:
    from bot.notes.copies import NoteCopies


class SavedAnswers(Protocol):
    """Where an owner's saved replies live: searched with the district's documents."""

    def save(self, answer_id: str, *, by: str, question: str, reply: str, when: datetime) -> str: ...

    def remove(self, answer_id: str) -> bool: ...


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


_ASKING = re.compile(
    r"^(?:who|whom|whose|what|when|where|why|how|which|is|are|does|do|did|can|could|should|would|will)\s",
    re.I,
)


def is_question(text: str) -> bool:
    """A question rather than a statement: it ends with "?", or it opens the way a question does ("how many
    schools ...", "can we ...") and runs to a few words without an exclamation ("Will do", "Can't make it"
    and "Have a great weekend!" are not)."""
    said = text.strip()
    if said.endswith("?"):
        return True
    return bool(_ASKING.match(said)) and len(said.split()) >= 3 and not said.endswith("!")


ANSWER_NICE = 10  # how much lower the answering threads' CPU priority is (Linux: per thread)
ACKS_FIRST = (
    1.0  # at most this long (seconds) a question waits for Slack's requests in flight to be acknowledged
)


class InFlight:
    """How many of Slack's HTTP requests this process is handling now. Slack wants each acknowledged within
    3 seconds; a question, once acknowledged, wants the CPU and the database for a second or more and can
    wait: its work starts once no request is in flight (or after ACKS_FIRST), so a burst of questions is
    acknowledged before any is answered."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    @contextmanager
    def request(self) -> Iterator[None]:
        """Around the handling of one request."""
        with self._idle:
            self._count += 1
        try:
            yield
        finally:
            with self._idle:
                self._count -= 1
                if not self._count:
                    self._idle.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Until no request is in flight, or `timeout` (ACKS_FIRST); whether it is idle."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._count, ACKS_FIRST if timeout is None else timeout)


SLACK_REQUESTS = InFlight()  # the HTTP server counts them (bot.slack.app); Socket Mode acks over its socket


def _yield_cpu() -> None:
    """Lower this thread's CPU priority, where the system allows it per thread (Linux does)."""
    with contextlib.suppress(AttributeError, OSError):  # elsewhere the answers run at the usual priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), ANSWER_NICE)


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
        suggestions: Callable[[WebClient, str], list[dict]] | None = None,
        scope: Callable[[str, str], str] | None = None,
        respond_to: Callable[[str], str] | None = None,
        owner_for: Callable[[str], str | None] | None = None,
        handoffs: Handoffs | None = None,
        names: Callable[[WebClient, str], list[str]] | None = None,
        saved_answers: SavedAnswers | None = None,
        notes_shown: Callable[[str, list[int]], None] | None = None,
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
        # the questions a new assistant thread offers a member: `suggestions(client, user)` -> [{title, message}]
        self._suggestions = suggestions or (lambda client, user: [])
        # a question that names no school, asked in (or while viewing) a channel the district file gives a
        # school, is about that school: `scope(question, channel)` -> the question to answer
        self._scope = scope or (lambda question, channel: question)
        # "questions" in a channel where every question gets an answer in its thread, else "mentions"
        self._respond_to = respond_to or (lambda channel: "mentions")
        # the person the district file names for a question's priority (or its help desk), if any; a question
        # the documents did not answer may be handed to them, once, and their replies come back
        self._owner_for = owner_for or (lambda question: None)
        self._handoffs = handoffs
        self._names = names or (lambda client, user: [])
        # `notes_shown(user, ids)`: an answer showed a reader these notes (their record of access)
        self._notes_shown = notes_shown or (lambda user, ids: None)
        self._saved = saved_answers  # an owner's reply, saved (at their press) for the next leader who asks
        # retrieval is CPU-bound: more answers at once only slow each other (and the acks) down. They run on
        # `max_concurrent` threads of their own at a lower CPU priority: acknowledging Slack (3 seconds)
        # must not wait behind an answer
        self._workers = ThreadPoolExecutor(
            max_concurrent, thread_name_prefix="answering", initializer=_yield_cpu
        )

    def answer_message(self, client: WebClient, *, channel: str, user_id: str, text: str, ts: str,
                       thread_ts: str | None, bot_user_id: str | None, only_our_threads: bool = False,
                       assistant: bool = False, viewing: str | None = None) -> None:  # fmt: skip
        """Answer a mention or a DM in its thread; with `only_our_threads`, only in threads Resolute is in.

        `assistant`: a message in an assistant-panel thread, answered with a status and a title rather than
        the :eyes: marker; `viewing` is the channel the member had open there (the thread's context)."""
        SLACK_REQUESTS.wait_idle()  # acknowledged already: a burst of requests is acknowledged first
        if only_our_threads and not (thread_ts and self._log.in_thread(channel, thread_ts)):
            return
        if thread_ts and self._relayed(client, channel=channel, thread_ts=thread_ts, ts=ts, user_id=user_id,
                                       text=text):  # fmt: skip
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
            earlier = self._log.in_thread(channel, root) if thread_ts else []
            history = self._history(client, channel, root, before_ts=ts) if thread_ts else []
            if assistant and not earlier:  # the conversation is named after its first question
                self._courtesy(client.assistant_threads_setTitle, channel_id=channel, thread_ts=root,
                               title=blocks.thread_title(question))  # fmt: skip
            self._answer(client, channel=channel, thread_ts=root, question_ts=ts, user_id=user_id,
                         question=question, history=history, assistant=assistant,
                         asked=self._scope(question, viewing or channel))  # fmt: skip

    def answer_channel_message(self, client: WebClient, *, channel: str, user_id: str, text: str, ts: str,
                               bot_user_id: str | None) -> None:  # fmt: skip
        """A message in a channel that mentions no one: answered in its thread when the district file says
        that channel gets every question answered and the message is a question; else left alone."""
        question = plain_text(text, bot_user_id=bot_user_id)
        if not is_question(question) or self._respond_to(channel) != "questions":  # the cheap test first
            return
        self.answer_message(client, channel=channel, user_id=user_id, text=text, ts=ts, thread_ts=None,
                            bot_user_id=bot_user_id)  # fmt: skip

    def _offer(self, client: WebClient, answer, question: str, user_id: str, answer_id: str) -> list[dict]:
        """The "Ask <owner>" button, under an answer that found nothing (no passage cited, no note shown)."""
        if answer.sources or answer.shown or self._handoffs is None:
            return []
        button = self.owner_button(client, question, user_id, answer_id)
        return [button] if button else []

    def owner_button(self, client: WebClient, question: str, user_id: str, answer_id: str) -> dict | None:
        """ "Ask <owner>" for this question, or None when the district file names no one (or the asker)."""
        owner = self._owner_for(question) if self._handoffs is not None else None
        if not owner or owner == user_id:
            return None
        names = self._names(client, owner)
        return blocks.ask_owner(names[0] if names else "the person responsible", answer_id)

    def unhelpful_offer(self, client: WebClient, *, answer_id: str, user_id: str) -> dict | None:
        """After "Not helpful": the button that hands the question to its owner, if there is one."""
        logged = self._log.find(answer_id)
        if logged is None or logged.question == WITHHELD or self._handoffs is None:
            return None
        return self.owner_button(client, logged.question, user_id, answer_id)

    def hand_over(self, client: WebClient, *, answer_id: str, user_id: str) -> str:
        """Send the question of this answer to its owner, once; what to tell the person who clicked."""
        logged = self._log.find(answer_id)
        if logged is None or logged.question == WITHHELD or self._handoffs is None:
            return "That answer is no longer on record, so I can't pass its question on."
        owner = self._owner_for(logged.question)
        if not owner:
            return "The district file names no one for questions like this one."
        handoff = Handoff(answer_id, owner, user_id, logged.channel, logged.thread_ts)
        if not self._handoffs.claim(handoff, self._log.now()):
            return f"This question was already passed to <@{self._handoffs.owner_of(answer_id)}>."
        try:
            text, owner_blocks = blocks.handoff_message(  # the person who asked, whoever clicked
                logged.user_id, logged.question, logged.answer, logged.channel, answer_id
            )
            posted = client.chat_postMessage(channel=owner, text=text, blocks=owner_blocks)
        except BaseException:
            self._handoffs.release(answer_id)
            raise
        self._handoffs.sent(answer_id, posted["channel"], posted["ts"])
        return f"I've asked <@{owner}>. Their reply will appear in the thread where you asked."

    def save_answer(self, client: WebClient, *, answer_id: str, user_id: str) -> tuple[str, bool]:
        """The owner's latest reply to a question handed to them becomes a cited answer, searchable when this
        returns; (what to tell them, whether it was saved)."""
        handoff = self._handoffs.get(answer_id) if self._handoffs else None
        logged = self._log.find(answer_id)
        if handoff is None or logged is None or self._saved is None or handoff.owner_ts is None:
            return "That question is no longer on record.", False
        if user_id != handoff.owner:
            return f"Only <@{handoff.owner}>, who was asked, can save an answer to it.", False
        thread = client.conversations_replies(channel=handoff.owner_channel, ts=handoff.owner_ts, limit=200)
        replies = [m for m in thread["messages"] if m.get("user") == user_id and not m.get("bot_id")
                   and m["ts"] != handoff.owner_ts]  # fmt: skip
        if not replies:
            return "Reply in this thread first: your latest reply is what is saved.", False
        reply = plain_text(max(replies, key=lambda m: _ts(m["ts"]))["text"])
        names = self._names(client, user_id)
        title = self._saved.save(answer_id, by=names[0] if names else user_id, question=logged.question,
                                 reply=reply, when=self._log.now())  # fmt: skip
        said = f'Saved. The next leader who asks is answered with your reply, cited as "{title}".'
        client.chat_postMessage(channel=handoff.owner_channel, thread_ts=handoff.owner_ts, text=said,
                                blocks=blocks.saved_answer(said, answer_id))  # fmt: skip
        return said, True

    def remove_answer(self, *, answer_id: str, user_id: str) -> str:
        """Take a saved answer back (its owner only); what to tell them."""
        handoff = self._handoffs.get(answer_id) if self._handoffs else None
        if handoff is None or self._saved is None:
            return "That question is no longer on record."
        if user_id != handoff.owner:
            return f"Only <@{handoff.owner}> can remove this answer."
        removed = self._saved.remove(answer_id)
        return "Removed: it is no longer searched." if removed else "That answer was already removed."

    def _relayed(self, client: WebClient, *, channel: str, thread_ts: str, ts: str, user_id: str,
                 text: str) -> bool:  # fmt: skip
        """An owner's reply in the thread of a question handed to them: posted, once, in the asker's thread."""
        if self._handoffs is None or not channel.startswith("D"):
            return False
        handoff = self._handoffs.by_owner_thread(channel, thread_ts)
        if handoff is None or handoff.owner != user_id:
            return False
        key = f"relay:{channel}:{ts}"
        if self._log.claim(key):
            with self._claimed(key):
                client.chat_postMessage(channel=handoff.channel, thread_ts=handoff.thread_ts,
                                        text=blocks.relayed_reply(user_id, plain_text(text)))  # fmt: skip
        return True

    def open_assistant_thread(self, client: WebClient, *, channel: str, thread_ts: str, user_id: str) -> None:
        """A member opened a new assistant thread: greet them and offer questions drawn from the district."""
        key = f"assistant:{channel}:{thread_ts}"
        if not self._log.claim(key):
            return
        with self._claimed(key):
            prompts = self._suggestions(client, user_id)
            greeting = blocks.ASSISTANT_GREETING + (blocks.ASSISTANT_PROMPTS_BELOW if prompts else "")
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=greeting)
            if prompts:
                self._courtesy(client.assistant_threads_setSuggestedPrompts, channel_id=channel,
                               thread_ts=thread_ts, title=blocks.PROMPTS_TITLE, prompts=prompts)  # fmt: skip

    def answer_command(self, client: WebClient, *, channel: str, user_id: str, question: str, key: str,
                       reply_privately: Callable[[str, list[dict]], None] | None = None) -> None:  # fmt: skip
        """Answer `/ask` or the modal: post the question, then the answer in its thread."""
        SLACK_REQUESTS.wait_idle()  # acknowledged already: a burst of requests is acknowledged first
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
            answer = self._workers.submit(self._answerer.ask, self._scope(question, channel)).result()
            answer_id = self._log.record(channel=channel, thread_ts="", question_ts=None, user_id=user_id,
                                         question=question, answer=answer)  # fmt: skip
            text, answer_blocks = blocks.answer_message(
                answer, answer_id=answer_id, footer=[blocks.invite_hint()]
            )
            reply_privately(text, answer_blocks)
            return
        self._answer(client, channel=posted["channel"], thread_ts=posted["ts"], question_ts=None,
                     user_id=user_id, question=question, history=[], asked=self._scope(question, channel))  # fmt: skip

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
                user_id: str, question: str, history: list[Turn], assistant: bool = False,
                asked: str | None = None) -> None:  # fmt: skip
        """Answer `asked` (the question as scoped to a school, else `question`) in the thread; the log and
        the thread keep `question` as the member typed it."""
        marked = question_ts or thread_ts  # the :eyes: goes on the question
        if assistant:  # the panel shows a status under the question until the answer is posted
            self._courtesy(client.assistant_threads_setStatus, channel_id=channel, thread_ts=thread_ts,
                           status=blocks.ASSISTANT_STATUS)  # fmt: skip
        else:
            self._react(client.reactions_add, channel, marked)
        posted_answer = False
        try:
            # a direct message: an IM channel (D...) Resolute posts in, or the modal's answer in the asker's DM
            answerer = self._answerer_for(user_id, client, direct=channel.startswith("D"))
            stream = _Stream(client, channel=channel, thread_ts=thread_ts, user_id=user_id)
            try:
                answer = self._workers.submit(answerer.ask, asked or question, history=history,
                                              on_text=stream.append).result()  # fmt: skip
                answer_id = self._log.record(channel=channel, thread_ts=thread_ts, question_ts=question_ts,
                                             user_id=user_id, question=question, answer=answer)  # fmt: skip
                text, answer_blocks = blocks.answer_message(
                    answer,
                    answer_id=answer_id,
                    footer=self._offer(client, answer, question, user_id, answer_id),
                )
                # a streamed reply becomes the checked answer (renumbered, with its sources), or the passages
                # themselves with a line saying why, in place; an answer composed from the passages is posted
                posted = stream.finish(text, answer_blocks) or client.chat_postMessage(
                    channel=channel, thread_ts=thread_ts, text=text, blocks=answer_blocks,
                    unfurl_links=False, unfurl_media=False,
                )  # fmt: skip
            except BaseException:
                # the model's words, unchecked (and in a reader's DM perhaps a note's), never stay behind
                stream.discard()
                raise
            posted_answer = True
            self._log.posted(answer_id, posted["ts"])
            if shown := note_ids(answer):
                self._notes_shown(user_id, shown)
            if self._copies is not None:
                self._copies.record(shown, channel=posted["channel"], ts=posted["ts"], kind="answer")
        finally:
            if not assistant:
                self._react(client.reactions_remove, channel, marked)
            elif not posted_answer:  # Slack clears the status when the answer is posted; else it lingers
                self._courtesy(client.assistant_threads_setStatus, channel_id=channel, thread_ts=thread_ts,
                               status="")  # fmt: skip

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
    def _courtesy(call: Callable, **args) -> None:
        """A status or a title: never fail an answer over one (a DM thread outside the panel refuses them)."""
        try:
            call(**args)
        except SlackApiError as exc:
            log.warning(
                "could not set the assistant thread's status or title (%s)", exc.response.get("error")
            )

    @staticmethod
    def _react(call: Callable, channel: str, ts: str) -> None:
        try:
            call(channel=channel, timestamp=ts, name=blocks.EYES)
        except SlackApiError as exc:  # the marker is a courtesy; never fail an answer over it
            log.warning("could not change the :eyes: marker (%s)", exc.response.get("error"))


class _Stream:
    """A language model's reply streamed into the thread as it is written (chat.startStream and
    chat.appendStream, through slack_sdk's chat_stream), then replaced by the answer as checked.

    Slack streams to a channel only for a named recipient: the asker, in their team (auth.test, once). A
    stream Slack refuses is dropped, and the answer is posted the usual way."""

    _team: str | None = None

    def __init__(self, client: WebClient, *, channel: str, thread_ts: str, user_id: str) -> None:
        self._client, self._channel, self._thread_ts, self._user = client, channel, thread_ts, user_id
        self._stream = None
        self._failed = False

    def append(self, piece: str) -> None:
        """Hand a piece of the reply to Slack; never raises (the answer is posted whole if streaming fails)."""
        if self._failed:
            return
        try:
            if self._stream is None:
                self._stream = self._client.chat_stream(
                    channel=self._channel, thread_ts=self._thread_ts, recipient_user_id=self._user,
                    recipient_team_id=self._team_id(), buffer_size=STREAM_BUFFER,
                )  # fmt: skip
            self._stream.append(markdown_text=piece)
        except Exception as exc:  # Slack's refusal or the network's: the model's answer is not lost over it
            log.warning("could not stream the answer (%s); posting it when done", type(exc).__name__)
            self._failed = True

    def finish(self, text: str, answer_blocks: list[dict]) -> dict | None:
        """Stop the stream and put the answer in its place; None when nothing reached Slack (or what did
        could not be replaced, and was deleted): the caller posts the answer."""
        if self._stream is None or self._stream.ts is None:
            return None
        try:
            if not self._failed:
                self._stream.stop()
        except Exception as exc:  # a stream Slack ended itself: the message is still there to update
            log.warning("could not stop the answer's stream (%s)", type(exc).__name__)
        try:
            return self._client.chat_update(channel=self._channel, ts=self._stream.ts, text=text,
                                            blocks=answer_blocks)  # fmt: skip
        except SlackApiError as exc:
            log.warning(
                "could not replace the streamed answer (%s); posting it anew", exc.response.get("error")
            )
            self.discard()
            return None

    def discard(self) -> None:
        """Delete what was streamed (the answer failed, or could not take its place); never raises."""
        if self._stream is None or self._stream.ts is None:
            return
        ts, self._stream = self._stream.ts, None
        try:
            self._client.chat_delete(channel=self._channel, ts=ts)
        except Exception as exc:
            log.error(
                "could not delete an unchecked streamed answer (%s) in %s", type(exc).__name__, self._channel
            )

    def _team_id(self) -> str:
        if _Stream._team is None:
            _Stream._team = self._client.auth_test()["team_id"]
        return _Stream._team


STREAM_BUFFER = 64  # characters of a reply held back before each appendStream: a few words at a time
