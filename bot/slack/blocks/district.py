"""The district's progress in Slack: the `/progress` reply and the weekly digest."""

from __future__ import annotations

from bot.slack.blocks.kit import (
    FALLBACK_CHARS,
    Block,
    context,
    cut,
    divider,
    escape,
    header,
    message,
    section,
)
from bot.slack.blocks.kit import split as split_text

PROGRESS_USAGE = (
    "`/progress` for every target, `/progress PRIORITY` (one of: {keys}) or `/progress SCHOOL` (id or name)."
)


def notice(text: str) -> tuple[str, list[Block]]:
    """A one-section reply (no data loaded yet, an unknown subject): the text, escaped."""
    return text, [section(escape(text))]


def progress_message(
    title: str, lines: list[str], *, moving: list[str], coasting: list[str]
) -> tuple[str, list[Block]]:
    """The `/progress` reply: each target against its trajectory, and the schools to celebrate and support."""
    body = "\n".join(f"• {escape(line)}" for line in lines) or "No results for these targets yet."
    tail = (f"*Schools on the Move:* {escape(', '.join(moving) or 'none')}\n"
            f"*Coasting schools, offered support:* {escape(', '.join(coasting) or 'none')}")  # fmt: skip
    built = message([header(title), *(section(piece) for piece in split_text(body))], [context(tail)])
    return cut(f"{title}\n{body}", FALLBACK_CHARS), built


def digest_blocks(title: str, priorities: list[str], tail: list[str]) -> list[Block]:
    """The weekly digest: a header, one section per priority (more if one is long), then the schools."""
    body = [header(title)]
    for text in priorities:
        body += [section(piece) for piece in split_text(text)]
    return message(body, [divider(), *(section(text) for text in tail)])
