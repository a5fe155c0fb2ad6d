"""A channel's members as Slack lists them, every page."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient


def channel_members(client: WebClient) -> Callable[[str], list[str]]:
    """A function from a channel id to all its members (conversations.members, followed to the last page)."""

    def members(channel: str) -> list[str]:
        found: list[str] = []
        cursor = None
        while True:
            page = client.conversations_members(channel=channel, cursor=cursor, limit=200)
            found += page["members"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return found

    return members
