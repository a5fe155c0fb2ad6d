"""Support colleagues ask of one another in a check-in: the DMs, their buttons, and the news of a request.

What people typed is escaped (a typed `<!channel>` stays text) and cut to Slack's limits; a colleague picked
from Slack stays a mention.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk.models.blocks import ConfirmObject, MarkdownTextObject, PlainTextObject, UserSelectElement

from bot.slack.blocks.kit import (
    FALLBACK_CHARS,
    Block,
    actions,
    button,
    context,
    cut,
    message,
    section,
    sections,
)
from bot.slack.typed import shown

ITEM_CHARS = 500  # one item in the summary: 250 items must fit one message, so a long one shows its start

SUPPORT_TAKE, SUPPORT_DONE = "checkin_support_take", "checkin_support_done"
SUPPORT_DECLINE, SUPPORT_HAND_ON = "checkin_support_decline", "checkin_support_hand_on"
SUPPORT_WITHDRAW = "checkin_support_withdraw"


def item_text(text: str) -> str:
    """An item or a request on one line, cut to ITEM_CHARS, escaped."""
    return shown(cut(" ".join(text.split()), ITEM_CHARS))


def age(days: int) -> str:
    return "today" if days <= 0 else "1 day" if days == 1 else f"{days} days"


CLOSED = {"done": "done this week", "withdrawn": "withdrawn", "declined": "declined",
          "expired": "closed after four weeks", "unsent": "not delivered by Slack", "handed": "handed on"}  # fmt: skip


def state(request: dict) -> str:
    """'open, 9 days', 'taken, 2 days', 'done this week' or how it closed (the summary lists only this week's)."""
    if request["status"] in CLOSED:
        return CLOSED[request["status"]]
    return f"{request['status']}, {age(request['age_days'])}"


def support_line(r: dict, who: Callable[[str], str] = lambda user: f"<@{user}>") -> str:
    """One request in a list; `who` shows a person (a mention by default)."""
    return f"• {who(r['from'])} asked {who(r['to'])}: {item_text(r['text'])} — {state(r)}"


def _support_buttons(request: dict) -> list[Block]:
    """The buttons left for the person asked: take, done, decline and hand on while open; no take once taken;
    none once closed."""
    value = str(request["id"])
    take = button("I'll take it", action_id=SUPPORT_TAKE, value=value, style="primary")
    done = button("Done", action_id=SUPPORT_DONE, value=value)
    decline = button("I can't take it", action_id=SUPPORT_DECLINE, value=value)
    decline.confirm = _confirm("Decline this request?", f"<@{request['from']}> is told you cannot take it.",
                               "Decline")  # fmt: skip
    hand_on = UserSelectElement(action_id=SUPPORT_HAND_ON, placeholder=PlainTextObject(text="Hand it on to…"),
                                confirm=_confirm("Hand this request on?", "The colleague you picked is asked "
                                                 f"instead, and <@{request['from']}> is told who has it now.",
                                                 "Hand it on"))  # fmt: skip
    left = {"open": [take, done, decline, hand_on], "taken": [done, decline, hand_on]}.get(
        request["status"], []
    )
    return [actions(*left, block_id=f"support:{value}")] if left else []


def _confirm(title: str, text: str, yes: str) -> ConfirmObject:
    return ConfirmObject(title=title, text=MarkdownTextObject(text=text), confirm=yes, deny="Cancel")


def quote(text: str) -> str:
    return "\n".join(f">{line}" for line in shown(text).splitlines() or [""])


def support_request_message(request: dict) -> tuple[str, list[Block]]:
    """The DM to the person asked: who asks, for what, and the buttons to take it and close it."""
    text = f"<@{request['from']}> asks for your support: {shown(request['text'])}"
    body = [section(f"<@{request['from']}> asks for your support:\n{quote(request['text'])}"),
            context(f"Asked {age(request['age_days'])}{' ago' if request['age_days'] > 0 else ''}. "
                    "They hear when you take it, when it is done, or when you cannot take it or hand it on; "
                    "until then it stays in each week's summary.")]  # fmt: skip
    return cut(text, FALLBACK_CHARS), message(body, _support_buttons(request))


def support_update_message(
    request: dict, *, to_asked: bool = False, handed_to: str | None = None
) -> tuple[str, list[Block]]:
    """The news of a request: to the requester ("<@B> is taking your request"), or, `to_asked`, to the person
    asked in place of the buttons message (what they did, and the buttons left)."""
    asker, asked, what = request["from"], request["to"], shown(request["text"])
    if to_asked:
        said = {"open": f"<@{asker}> asks for your support: {what}",
                "taken": f"You are taking <@{asker}>'s request: {what}\nPress *Done* when it is done.",
                "done": f"Done: <@{asker}>'s request: {what}\nThey have been told. Thank you.",
                "declined": f"You declined <@{asker}>'s request: {what}\nThey have been told.",
                "handed": f"You handed <@{asker}>'s request on to <@{handed_to}>: {what}\nThey have been told."}  # fmt: skip
    else:
        said = {"open": f"<@{asked}> has not taken your request yet: {what}",
                "taken": f"<@{asked}> is taking your request: {what}",
                "done": f"<@{asked}> has done what you asked: {what}",
                "declined": f"<@{asked}> cannot take your request: {what}\nAsk someone else with "
                            "`/checkin support @person: what you need`.",
                "withdrawn": f"You withdrew your request to <@{asked}>: {what}\nThey have been told."}  # fmt: skip
    text = said[request["status"]]
    return cut(text, FALLBACK_CHARS), message([section(text)], _support_buttons(request) if to_asked else [])


def support_news_message(
    kind: str, request: dict, *, handed_by: str | None = None
) -> tuple[str, list[Block]]:
    """A request closed or passed on, told to one of the two: `kind` is what the Sender sends."""
    asker, asked, what = request["from"], request["to"], shown(request["text"])
    said = {
        "support_declined": f"<@{asked}> cannot take your request: {what}\nAsk someone else with "
                            "`/checkin support @person: what you need`.",
        "support_withdrawn": f"<@{asker}> has withdrawn their request: {what}\nNothing more to do.",
        "support_expired": f"Your request to <@{asked}> was closed after four weeks without being done: {what}\n"
                           "Ask again with `/checkin support` if you still need it.",
        "support_expired_to": f"<@{asker}>'s request was closed after four weeks without being done: {what}\n"
                              "Nothing more to do; they have been told.",
        "support_unsent": f"Slack would not deliver your request to <@{asked}> (a bot, or an account that is "
                          f"closed or cannot be messaged), so it is closed: {what}\nAsk a colleague with "
                          "`/checkin support @person: what you need`.",
        "support_handed": f"<@{handed_by}> handed your request on to <@{asked}>: {what}",
    }[kind]  # fmt: skip
    return cut(said, FALLBACK_CHARS), message([section(said)])


def support_asked_reply(request: dict) -> tuple[str, list[Block]]:
    """The private confirmation of `/checkin support`, with the button that withdraws it."""
    text = (f"Asked <@{request['to']}> for support: {shown(request['text'])}\n"
            "You will hear when they take it and when it is done.")  # fmt: skip
    withdraw = button("Withdraw", action_id=SUPPORT_WITHDRAW, value=str(request["id"]))
    return cut(text, FALLBACK_CHARS), message(sections(text), [actions(withdraw)])
