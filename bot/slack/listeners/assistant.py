"""Slack's assistant panel ("Agents & AI Apps"): a thread opens with suggested prompts, and each question in
it is answered in the thread with a status while it is prepared and a title for the conversation.

Bolt's `Assistant` middleware routes the panel's events; the channel the leader is viewing (the thread's
context) is kept in the database, so any instance answering the next message knows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App, Assistant, BoltContext
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import AssistantThreadContextStore
from slack_sdk import WebClient

from bot.store.assistant_threads import AssistantThreads

if TYPE_CHECKING:  # its type only: the services wire Slack in, and sit above it
    from bot.services import Services


class ThreadContexts(AssistantThreadContextStore):
    """Bolt's thread-context store over the `assistant_threads` table."""

    def __init__(self, threads: AssistantThreads) -> None:
        self._threads = threads

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        self._threads.save(channel_id, thread_ts, context)

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        found = self._threads.find(channel_id, thread_ts)
        return AssistantThreadContext(found) if found else None


def register(app: App, services: Services) -> None:
    """The panel's thread start, context changes and the leader's messages in its threads."""
    threads = AssistantThreads(services.engine)
    assistant = Assistant(thread_context_store=ThreadContexts(threads))  # its default saves context changes

    @assistant.thread_started
    def started(event: dict, client: WebClient) -> None:
        thread = event["assistant_thread"]
        # every panel thread is recorded, with the channel the member had open if any: a reply in a DM thread
        # that is not one is answered as a direct message, without the panel's status and title
        threads.save(thread["channel_id"], thread["thread_ts"], thread.get("context") or {})
        services.asking.open_assistant_thread(
            client, channel=thread["channel_id"], thread_ts=thread["thread_ts"], user_id=thread["user_id"]
        )

    @assistant.user_message
    def asked(payload: dict, client: WebClient, context: BoltContext) -> None:
        # Bolt routes every reply in a DM thread here; only a thread the panel started is the panel's
        panel = threads.find(payload["channel"], payload["thread_ts"])
        services.asking.answer_message(
            client, channel=payload["channel"], user_id=payload.get("user", ""), text=payload.get("text", ""),
            ts=payload["ts"], thread_ts=payload["thread_ts"], bot_user_id=context.bot_user_id,
            assistant=panel is not None, viewing=(panel or {}).get("channel_id"),
        )  # fmt: skip

    app.use(assistant)
