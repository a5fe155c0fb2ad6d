"""How the console shows Block Kit in a terminal, and turns what is typed into a form's state."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

YOU = "U0YOU"  # the console's person, unless /as says otherwise


def buttons(blocks_: list[dict]) -> Iterable[tuple[dict, dict]]:
    """(block, button) for every button in these blocks: section accessories and actions, and each side of
    Slack's feedback buttons (as a button of type "feedback_buttons" with that side's text and value)."""
    for block in blocks_ or []:
        if block.get("type") == "context_actions":
            for e in block.get("elements", []):
                if e.get("type") == "feedback_buttons":
                    for side in (e["positive_button"], e["negative_button"]):
                        yield block, {"type": "feedback_buttons", "action_id": e.get("action_id"), **side}
            continue
        elements = block.get("elements", []) if block.get("type") == "actions" else [block.get("accessory")]
        yield from ((block, e) for e in elements if e and e.get("type") == "button")


def render(blocks_: list[dict], fallback: str = "") -> list[str]:
    """Block Kit as terminal lines: text, buttons as [Label], inputs as `Label: ____`."""
    lines: list[str] = []
    for block in blocks_ or []:
        kind = block.get("type")
        if kind in ("section", "header"):
            lines += as_text(block["text"]["text"]).splitlines() if block.get("text") else []
            if (block.get("accessory") or {}).get("type") == "button":
                lines.append(f"[{block['accessory']['text']['text']}]")
        elif kind == "context":
            lines += [
                line for e in block.get("elements", []) for line in as_text(e.get("text", "")).splitlines()
            ]
        elif kind == "actions":
            lines.append(
                "  ".join(f"[{e['text']['text']}]" for e in block.get("elements", []) if "text" in e)
            )
        elif kind == "context_actions":
            lines.append("  ".join(f"[{b['text']['text']}]" for _, b in buttons([block])))
        elif kind == "divider":
            lines.append("─" * 40)
        elif kind == "input":
            optional = " (optional)" if block.get("optional") else ""
            element = block.get("element") or {}
            held = (element.get("initial_value") or element.get("initial_user") or element.get("initial_date")
                    or (element.get("initial_option") or {}).get("value") or "____")  # fmt: skip
            choices = [o["value"] for o in element.get("options", [])]
            line = f"{block['label']['text']}{optional}: " + " / ".join(as_text(held).splitlines())
            lines.append(line + (f"   (one of: {', '.join(choices)})" if choices else ""))
    return lines or as_text(fallback).splitlines()


def as_text(mrkdwn: str) -> str:
    """Slack mrkdwn as plain terminal text: mentions as @names, dates as written, no * or _."""
    mrkdwn = re.sub(r"<@([A-Z0-9]+)>", lambda m: "@you" if m.group(1) == YOU else "@" + m.group(1), mrkdwn)
    mrkdwn = re.sub(r"<!date\^[^|>]*\|([^>]*)>", r"\1", mrkdwn)  # a date Slack shows in the reader's zone
    mrkdwn = re.sub(r"(?<!\w)\*([^*\n]+)\*(?!\w)", r"\1", mrkdwn)  # *bold*
    mrkdwn = re.sub(r"(?<!\w)_([^_\n]+)_(?!\w)", r"\1", mrkdwn)  # _italic_
    return html.unescape(mrkdwn)


def form_state(element: dict, typed: str) -> dict:
    """An input's state as Slack submits it: what was typed, else what it opened with; a user picked
    as <@U...> or U..."""
    if element["type"] == "users_select":
        picked = typed.strip().removeprefix("<@").removeprefix("@").split("|")[0].rstrip(">")
        return {"type": "users_select", "selected_user": picked or element.get("initial_user")}
    if element["type"] == "static_select":  # an option's value or its label; - chooses none
        options = element.get("options", [])
        chosen = [o for o in options if typed.lower() in (o["value"].lower(), o["text"]["text"].lower())]
        if typed not in ("", "-") and not chosen:
            raise ValueError(f"{typed!r} is not one of {', '.join(o['value'] for o in options)}")
        kept = None if typed == "-" else element.get("initial_option")
        return {"type": "static_select", "selected_option": chosen[0] if chosen else kept}
    if element["type"] == "datepicker":  # YYYY-MM-DD; - chooses none
        if typed not in ("", "-") and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", typed):
            raise ValueError(f"{typed!r} is not a date: a date picker takes YYYY-MM-DD")
        return {"type": "datepicker", "selected_date": None if typed == "-" else typed or element.get("initial_date")}  # fmt: skip
    if typed == "-":  # empties a field that opened with text
        return {"type": element["type"], "value": ""}
    return {"type": element["type"], "value": typed or element.get("initial_value") or ""}
