"""The App Home tab and the modal its button opens."""

from __future__ import annotations

from bot.slack.blocks.checkins import member_weeks
from bot.slack.blocks.kit import button as make_button
from bot.slack.blocks.kit import divider, escape, header, home, modal, section, text_input

OPEN_ASK_MODAL = "open_ask_modal"
ASK_MODAL = "ask_modal"
ASK_INPUT_BLOCK, ASK_INPUT_ACTION = "question", "question_input"
ASK_MAX_CHARS = 2000
HOME_PRIORITIES = 5  # as many as a district file may name

INTRO = (
    "I keep the leadership team on its few priorities. Ask me about the district's plans, research and "
    "results: mention me in a channel, send me a direct message, or use `/ask`. Every answer cites the "
    "documents it comes from."
)
NO_PRIORITIES = (
    "_The district's priorities will appear here once its district file is loaded "
    "(`knowledge/district/district.toml`; see docs/configuration.md)._"
)
COMMANDS = (
    "`/ask QUESTION`: a cited answer from the district's documents and data, in a thread.\n"
    "`/progress [priority|school]`: each target against its trajectory (only you see it).\n"
    "`@Resolute QUESTION` in a channel, or a direct message: the same, and I follow up in threads I am part of."
)


def _recent(rows: list[dict], weeks: int) -> list[dict]:
    """The member's items of their last `weeks` check-ins, newest week first."""
    if not rows:
        return [
            section(f"_Nothing filed in your last {weeks} check-ins. `/checkin` opens this week's form._")
        ]
    return member_weeks(rows)


def home_view(
    *, priorities: list[dict] | None = None, checkins: list[dict] | None = None, weeks: int = 4
) -> dict:
    """The App Home tab: what Resolute does, the district's priorities, the member's last `weeks` check-ins
    (`checkins`: their items; None: check-ins are off) and the slash commands."""
    ask = make_button("Ask a question", action_id=OPEN_ASK_MODAL, style="primary")
    blocks = [header("Resolute"), section(INTRO, accessory=ask), divider(), header("Our priorities")]
    for p in (priorities or [])[:HOME_PRIORITIES]:
        line = f"*{escape(p['name'])}*"
        if p.get("message"):
            line += f"\n_{escape(p['message'])}_"
        if p.get("status"):
            line += f"\n{escape(p['status'])}"
        blocks.append(section(line))
    if not priorities:
        blocks.append(section(NO_PRIORITIES))
    if checkins is not None:
        blocks += [divider(), header("Your check-ins"), *_recent(checkins, weeks)]
    blocks += [divider(), header("Commands"), section(COMMANDS)]
    return home(blocks)


def ask_modal() -> dict:
    """The modal the Home tab's button opens; the answer arrives as a direct message."""
    question = text_input(block_id=ASK_INPUT_BLOCK, label="Your question", action_id=ASK_INPUT_ACTION,
                          max_length=ASK_MAX_CHARS, multiline=True)  # fmt: skip
    return modal(callback_id=ASK_MODAL, title="Ask Resolute", submit="Ask", close="Cancel", blocks=[question])
