"""Events API: mentions, direct messages, thread follow-ups, the Home tab and channel membership."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

if TYPE_CHECKING:  # its type only: the services wire Slack in, and sit above it
    from bot.services import Services


# message subtypes that are still a person writing (edits, joins and bot posts are not)
_PEOPLE = (None, "thread_broadcast", "file_share")


def register(app: App, services: Services) -> None:
    """`app_mention`, `message` (DMs and threads Resolute is part of), `app_home_opened`, and members joining or
    leaving a channel."""

    @app.event("app_mention")
    def mentioned(event: dict, client: WebClient, context: BoltContext) -> None:
        services.asking.answer_message(
            client, channel=event["channel"], user_id=event.get("user", ""), text=event.get("text", ""),
            ts=event["ts"], thread_ts=event.get("thread_ts"), bot_user_id=context.bot_user_id,
        )  # fmt: skip

    @app.event("message")
    def message(event: dict, client: WebClient, context: BoltContext) -> None:
        if event.get("subtype") not in _PEOPLE or event.get("bot_id"):
            return
        text = event.get("text", "")
        direct = event.get("channel_type") == "im"
        if not direct and f"<@{context.bot_user_id}" in text:
            return  # a mention: app_mention answers it
        if not direct and not event.get("thread_ts"):  # answered only where every question is
            services.asking.answer_channel_message(client, channel=event["channel"], user_id=event.get("user", ""),
                                                   text=text, ts=event["ts"], bot_user_id=context.bot_user_id)  # fmt: skip
            return
        services.asking.answer_message(
            client, channel=event["channel"], user_id=event.get("user", ""), text=text, ts=event["ts"],
            thread_ts=event.get("thread_ts"), bot_user_id=context.bot_user_id, only_our_threads=not direct,
        )  # fmt: skip

    @app.event("app_home_opened")
    def home_opened(event: dict, client: WebClient) -> None:
        if event.get("tab", "home") == "home":
            services.asking.publish_home(client, user_id=event["user"])

    def membership_changed(event: dict) -> None:
        # who may read notes is the leadership channel's members, cached up to a minute: not after a change
        services.notes.forget_members(event.get("channel", ""))

    app.event("member_left_channel")(membership_changed)
    app.event("member_joined_channel")(membership_changed)
