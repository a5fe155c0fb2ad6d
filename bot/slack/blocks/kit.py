"""Slack's Block Kit limits, enforced once: every block Resolute sends is built here.

Slack rejects a whole message or view (`invalid_blocks`) when one block breaks a limit, so text that
comes from documents, data or people is cut to fit, with a note where a message loses its end. Limits
on what the code itself sets (ids, button values, input lengths) raise instead: a wrong constant is a
bug to fix, not text to shorten. Blocks are built with slack_sdk's models, whose `to_dict()` checks
Slack's limits again and raises `SlackObjectFormationError`, so nothing invalid reaches Slack.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextActionsBlock,
    ContextBlock,
    DividerBlock,
    FeedbackButtonsElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

SECTION_CHARS = 3000  # a section's text, and any text element
HEADER_CHARS = 150
CONTEXT_ELEMENTS = 10
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100  # a modal or the Home tab
BUTTON_TEXT_CHARS = 75
INPUT_CHARS = 3000  # the most a plain_text_input may accept
LABEL_CHARS = 2000  # an input block's label
VIEW_TITLE_CHARS = 24  # a modal's title, submit and close labels
FALLBACK_CHARS = 3000  # a message's notification text; Slack allows more but shows far less
CUT_NOTE = "… _(cut here: the rest is too long for one Slack message)_"

Block = dict


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else its start and an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split(text: str, limit: int = SECTION_CHARS) -> list[str]:
    """Split text into pieces of at most `limit` characters, at paragraph, line or word breaks."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        # the last paragraph break in the second half, else a line break, else a space; a piece
        # shorter than half the limit would waste blocks, so with no such break cut mid-word
        at = next((i for i in map(window.rfind, ("\n\n", "\n", " ")) if i >= limit // 2), limit)
        pieces.append(rest[:at].rstrip())
        rest = rest[at:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _plain(text: str, limit: int) -> PlainTextObject:
    return PlainTextObject(text=cut(text, limit))


def _mrkdwn(text: str, limit: int = SECTION_CHARS) -> MarkdownTextObject:
    return MarkdownTextObject(text=cut(text, limit))


def section(text: str, *, accessory: ButtonElement | None = None) -> Block:
    """A mrkdwn section, cut to Slack's 3,000 characters."""
    return SectionBlock(text=_mrkdwn(text), accessory=accessory).to_dict()


def sections(text: str) -> list[Block]:
    """Long mrkdwn text as as many sections as it needs, split at paragraph, line or word breaks."""
    return [section(piece) for piece in split(text)]


def header(text: str) -> Block:
    """A header, cut to Slack's 150 characters."""
    return HeaderBlock(text=_plain(text, HEADER_CHARS)).to_dict()


def divider() -> Block:
    """A horizontal rule."""
    return DividerBlock().to_dict()


def contexts(texts: Sequence[str]) -> list[Block]:
    """mrkdwn lines in small grey type, ten to a context block (Slack's limit per block)."""
    return [
        ContextBlock(elements=[_mrkdwn(t) for t in texts[start : start + CONTEXT_ELEMENTS]]).to_dict()
        for start in range(0, len(texts), CONTEXT_ELEMENTS)
    ]


def context(text: str) -> Block:
    """One mrkdwn line in small grey type."""
    return contexts([text])[0]


def button(text: str, *, action_id: str, value: str | None = None, style: str | None = None,
           confirm: dict | None = None) -> ButtonElement:  # fmt: skip
    """A button; its label is cut to 75 characters (slack_sdk refuses a value over 2,000). `confirm` is
    Slack's "are you sure?" dialog: {"title", "text", "confirm", "deny"} as plain strings."""
    dialog = None
    if confirm:
        dialog = {"title": _plain(confirm["title"], 100).to_dict(), "text": _plain(confirm["text"], 300).to_dict(),
                  "confirm": _plain(confirm["confirm"], 30).to_dict(), "deny": _plain(confirm["deny"], 30).to_dict()}  # fmt: skip
    return ButtonElement(text=_plain(text, BUTTON_TEXT_CHARS), action_id=action_id, value=value, style=style,
                         confirm=dialog)  # fmt: skip


def feedback_buttons(*, action_id: str, positive: tuple[str, str], negative: tuple[str, str],
                     block_id: str | None = None) -> Block:  # fmt: skip
    """Slack's own feedback buttons (a thumbs up and down under an AI app's answer) in a context_actions
    block; `positive` and `negative` are (label, value)."""

    def side(label: str, value: str) -> dict:
        return {"text": _plain(label, BUTTON_TEXT_CHARS).to_dict(), "value": value,
                "accessibility_label": label[:BUTTON_TEXT_CHARS]}  # fmt: skip

    element = FeedbackButtonsElement(action_id=action_id, positive_button=side(*positive),
                                     negative_button=side(*negative))  # fmt: skip
    return ContextActionsBlock(elements=[element], block_id=block_id).to_dict()


def actions(*buttons: ButtonElement, block_id: str | None = None) -> Block:
    """A row of buttons."""
    return ActionsBlock(elements=list(buttons), block_id=block_id).to_dict()


def text_input(
    *, block_id: str, label: str, action_id: str, max_length: int, multiline: bool = False
) -> Block:
    """A labelled plain-text input; `max_length` over Slack's 3,000 raises."""
    if not 0 < max_length <= INPUT_CHARS:
        raise ValueError(f"input {action_id!r}: max_length {max_length}, Slack allows 1 to {INPUT_CHARS}")
    element = PlainTextInputElement(action_id=action_id, multiline=multiline, max_length=max_length)
    return InputBlock(block_id=block_id, label=_plain(label, LABEL_CHARS), element=element).to_dict()


def message(body: list[Block], tail: Sequence[Block] = ()) -> list[Block]:
    """A message's blocks, at most 50: the tail (sources, buttons) is kept, the body cut with a note.

    At least one body block always stays, so the tail is cut first if it alone would fill the message.
    """
    tail = list(tail)[: MESSAGE_BLOCKS - 1]
    room = MESSAGE_BLOCKS - len(tail)
    if len(body) > room:
        body = body[:room]
        body[-1] = _with_cut_note(body[-1])
    return [*body, *tail]


def _with_cut_note(block: Block) -> Block:
    if block.get("type") == "section" and block.get("text", {}).get("type") == "mrkdwn":
        text = block["text"]["text"][: SECTION_CHARS - len(CUT_NOTE)].rstrip()
        return section(text + CUT_NOTE)
    return section(CUT_NOTE.removeprefix("… "))


def home(blocks: list[Block]) -> dict:
    """The Home tab's view, cut to Slack's 100 blocks."""
    return View(type="home", blocks=blocks[:VIEW_BLOCKS]).to_dict()


def modal(*, callback_id: str, title: str, submit: str, close: str, blocks: list[Block]) -> dict:
    """A modal view; its title and button labels are cut to 24 characters, its blocks to 100."""
    return View(
        type="modal", callback_id=callback_id, title=_plain(title, VIEW_TITLE_CHARS),
        submit=_plain(submit, VIEW_TITLE_CHARS), close=_plain(close, VIEW_TITLE_CHARS),
        blocks=blocks[:VIEW_BLOCKS],
    ).to_dict()  # fmt: skip
