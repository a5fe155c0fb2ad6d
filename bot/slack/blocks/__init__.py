"""Block Kit for every surface, in one place, cut to Slack's limits (see `kit`).

`kit` holds the limits and the primitives; `answers`, `home` and `district` build each surface's
messages and views from them.
"""

from bot.slack.blocks.answers import (
    ASK_OWNER,
    ASSISTANT_GREETING,
    ASSISTANT_PROMPTS_BELOW,
    ASSISTANT_STATUS,
    ERROR,
    EYES,
    FEEDBACK,
    FEEDBACK_HELPFUL,
    FEEDBACK_NOT_HELPFUL,
    PROMPTS_TITLE,
    USAGE,
    answer_message,
    ask_owner,
    feedback_click,
    feedback_thanks,
    feedback_value,
    handoff_message,
    invite_hint,
    question_message,
    relayed_reply,
    thread_title,
)
from bot.slack.blocks.district import PROGRESS_USAGE, digest_blocks, notice, progress_message
from bot.slack.blocks.home import (
    ASK_INPUT_ACTION,
    ASK_INPUT_BLOCK,
    ASK_MODAL,
    OPEN_ASK_MODAL,
    ask_modal,
    home_view,
)
from bot.slack.blocks.kit import (
    CONTEXT_ELEMENTS,
    CUT_NOTE,
    FALLBACK_CHARS,
    MESSAGE_BLOCKS,
    SECTION_CHARS,
    escape,
)

MAX_BLOCKS = MESSAGE_BLOCKS

__all__ = [
    "ASK_INPUT_ACTION",
    "ASK_INPUT_BLOCK",
    "ASK_MODAL",
    "ASK_OWNER",
    "ASSISTANT_GREETING",
    "ASSISTANT_PROMPTS_BELOW",
    "ASSISTANT_STATUS",
    "CONTEXT_ELEMENTS",
    "CUT_NOTE",
    "ERROR",
    "EYES",
    "FALLBACK_CHARS",
    "FEEDBACK",
    "FEEDBACK_HELPFUL",
    "FEEDBACK_NOT_HELPFUL",
    "MAX_BLOCKS",
    "MESSAGE_BLOCKS",
    "OPEN_ASK_MODAL",
    "PROGRESS_USAGE",
    "PROMPTS_TITLE",
    "SECTION_CHARS",
    "USAGE",
    "answer_message",
    "ask_modal",
    "ask_owner",
    "digest_blocks",
    "escape",
    "feedback_click",
    "feedback_thanks",
    "feedback_value",
    "handoff_message",
    "home_view",
    "invite_hint",
    "notice",
    "progress_message",
    "question_message",
    "relayed_reply",
    "thread_title",
]  # fmt: skip
