"""What people typed, as they typed it: Slack escapes a slash command's text before sending it."""

from __future__ import annotations

import re

from bot.slack.blocks.kit import escape

_SLACK_MENTION = re.compile(r"<@([UW][A-Z0-9]+)\|[^>]*>")


def from_slack(text: str) -> str:
    """A command's text as the person typed it: Slack escapes &, < and > (should_escape) and writes a picked
    colleague as <@U...|name>; the text keeps <@U...>."""
    text = _SLACK_MENTION.sub(r"<@\1>", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_ESCAPED_MENTION = re.compile(r"&lt;@([UW][A-Z0-9]+)(?:\|[^&]*)?&gt;")


def shown(text: str) -> str:
    """A person's text as mrkdwn: escaped (a typed <!channel> stays text), their mentions kept as mentions."""
    return _ESCAPED_MENTION.sub(r"<@\1>", escape(text))
