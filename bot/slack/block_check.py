"""Block Kit payloads checked the way Slack checks them, with `slack_sdk.models`.

slack_sdk's models raise SlackObjectFormationError at Slack's limits (3,000 characters of section text,
10 context elements, 25 actions, 150 characters of header, 24 of a modal title, 100 blocks in a view...)
when a block is serialised with `to_dict()`. What they do not check, and Slack refuses, is checked
here and only here: more than 50 blocks in a message, a block or element type they do not know (they
skip it with a warning), a property Slack does not allow (they ignore it), a modal without a title, and
a modal with inputs but no submit button.
"""

from __future__ import annotations

import json

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

# Slack's own numbers, kept apart from bot.slack.blocks on purpose: these checks stand for Slack, so a
# wrong limit in the code that builds blocks is caught rather than repeated.
MESSAGE_BLOCKS = 50  # one message; slack_sdk has no message model that checks it
VIEW_BLOCKS = 100  # a modal or Home tab; slack_sdk's View checks it too

# what slack_sdk raises, besides its own error, when a required part is missing or of the wrong shape
_MALFORMED = (TypeError, KeyError, AttributeError, ValueError)


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def block_problem(block) -> str | None:
    """What Slack would say is wrong with one block, or None."""
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return "a block must be an object with a type"
    try:
        parsed = Block.parse(block)
        if parsed is None:
            return f"unsupported block type: {block['type']}"
        for key, value in block.items():
            if key not in parsed.attributes:
                return f"invalid additional property: {key}"
            held = getattr(parsed, key, None)
            if value and (held is None or (isinstance(held, list) and None in held)):
                return f"unsupported element in {key}"  # slack_sdk dropped a part it does not know
        parsed.to_dict()  # runs every validator of the block and of the parts inside it
    except SlackObjectFormationError as exc:
        return str(exc)
    except _MALFORMED as exc:
        return f"malformed {block['type']} block: {exc}"
    return None


def blocks_problem(blocks, *, limit: int = MESSAGE_BLOCKS) -> str | None:
    """What Slack would say is wrong with a message's blocks (None or [] is no blocks), with where."""
    blocks = _json(blocks)
    if blocks is None:
        return None
    if not isinstance(blocks, list):
        return "blocks must be a list [json-pointer:/blocks]"
    if len(blocks) > limit:
        return f"no more than {limit} items allowed [json-pointer:/blocks]"
    for n, block in enumerate(blocks):
        problem = block_problem(block)
        if problem:
            return f"{problem} [json-pointer:/blocks/{n}]"
    return None


def view_problem(view) -> str | None:
    """What Slack would say is wrong with a modal or Home tab view, or None."""
    view = _json(view)
    if not isinstance(view, dict):
        return "view must be an object"
    extra = sorted(set(view) - View.attributes)
    if extra:
        return f"invalid additional property: {extra[0]} [json-pointer:/view]"
    problem = blocks_problem(view.get("blocks") or [], limit=VIEW_BLOCKS)
    if problem:
        return problem.replace("json-pointer:/blocks", "json-pointer:/view/blocks")
    try:
        View(**view).to_dict()
    except SlackObjectFormationError as exc:
        return f"{exc} [json-pointer:/view]"
    except _MALFORMED as exc:
        return f"malformed view: {exc} [json-pointer:/view]"
    if view.get("type") == "modal":
        if not view.get("title"):
            return "missing required field: title [json-pointer:/view]"
        if any(b.get("type") == "input" for b in view["blocks"]) and not view.get("submit"):
            return "missing required field: submit (a modal with inputs needs one) [json-pointer:/view]"
    return None
