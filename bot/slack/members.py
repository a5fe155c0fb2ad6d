"""A channel's members as Slack lists them, every page; a person's names as Slack shows them."""

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


def person_names(client: WebClient, user: str) -> list[str]:
    """A person's real and display names from users.info (none when Slack will not say)."""
    from slack_sdk.errors import SlackApiError

    try:
        found = client.users_info(user=user)["user"]
    except SlackApiError:
        return []
    profile = found.get("profile") or {}
    return [n for n in (found.get("real_name"), profile.get("real_name"), profile.get("display_name")) if n]
