"""Weekly check-ins in Slack: the prompt, the form, the channel's card and summary, support and replies.

People's words reach the channel here, so two rules hold in every builder: their text is escaped (a
typed `<!channel>` stays text) and cut to Slack's limits, and the summary never names who did not
answer nor who filed an item that serves no priority. Participation is a count; off-message work is
listed without authors, in alphabetical order, so it cannot be traced back through its position.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import (
    InputBlock,
    PlainTextInputElement,
    PlainTextObject,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.checkins.schedule import label as week_label
from bot.checkins.schedule import monday, shift
from bot.checkins.service import STALE_WEEKS, Carried
from bot.checkins.service import block_id as field_block  # the form's block ids are the service's field keys
from bot.checkins.store import Item, Support
from bot.district.digest import MARKERS
from bot.district.progress import STATUS_LABELS
from bot.slack.blocks.checkin_values import clear_value
from bot.slack.blocks.kit import (
    FALLBACK_CHARS,
    INPUT_CHARS,
    Block,
    actions,
    button,
    context,
    contexts,
    cut,
    divider,
    escape,
    header,
    message,
    modal,
    section,
    sections,
)
from bot.slack.blocks.support import ITEM_CHARS, SUPPORT_WITHDRAW, item_text, quote, state, support_line

if TYPE_CHECKING:
    from bot.district.config import Priority

OPEN_CHECKIN = "checkin_open"
SNOOZE_AFTERNOON, SNOOZE_TOMORROW = "checkin_snooze_afternoon", "checkin_snooze_tomorrow"
SNOOZES = {SNOOZE_AFTERNOON: "Remind me at 2 pm", SNOOZE_TOMORROW: "Tomorrow morning"}  # once a week
CHECKIN_MODAL = "checkin_modal"
ITEM_KEEP, ITEM_MOVE = "checkin_item_keep", "checkin_item_move"
CLEAR, CLEAR_MODAL = "checkin_clear", "checkin_clear_modal"
WITHDRAW_LINES = 20  # open requests listed with a Withdraw button in `/checkin status`
TEXT, USER = "text", "user"
SUPPORT_TO, SUPPORT_TEXT = "support_to", "support_text"
ASKED_LINES = 20  # support already asked, listed in the form (two context blocks)
PLACEHOLDER = "One item a line"
FIELD_TITLES = {"did": "Done this week", "next": "Next"}
OFFERED = (
    "What you planned last week is filled in under *What did you do this week?*: keep each line you did, "
    "edit it, or delete it."
)
# where an item shows under the priority it serves: "anything else" that serves one was work done this week
SUMMARY_FIELD = {"did": "did", "other": "did", "next": "next"}


# -- inputs kit.py does not build (yet) ------------------------------------------------------------------
def _fit_lines(text: str, limit: int = INPUT_CHARS) -> str:
    """Whole lines of `text` up to `limit` characters: Slack refuses a longer initial value, and a line cut
    in half would be saved back cut."""
    kept: list[str] = []
    for line in text.splitlines():
        if len("\n".join([*kept, line])) > limit:
            break
        kept.append(line)
    return "\n".join(kept)


def optional_text_input(
    *, block_id: str, label: str, multiline: bool, initial: str = "", placeholder: str | None = None
) -> Block:
    """An optional plain-text input of Slack's full 3,000 characters, opened with `initial` (whole lines)."""
    element = PlainTextInputElement(
        action_id=TEXT, multiline=multiline, max_length=INPUT_CHARS, initial_value=_fit_lines(initial) or None,
        placeholder=PlainTextObject(text=placeholder) if placeholder else None,
    )  # fmt: skip
    return InputBlock(
        block_id=block_id, label=PlainTextObject(text=label), element=element, optional=True
    ).to_dict()


def optional_user_input(*, block_id: str, label: str) -> Block:
    """An optional person picker."""
    element = UserSelectElement(action_id=USER, placeholder=PlainTextObject(text="Pick a colleague"))
    return InputBlock(
        block_id=block_id, label=PlainTextObject(text=label), element=element, optional=True
    ).to_dict()


# -- the prompt, the form and the card ----------------------------------------------------------------
def _priority_text(p: Priority) -> str:
    return f"*{escape(p.name)}*\n_{escape(p.message)}_"


def _carried(planned: Sequence[Item], stale: Sequence[str], waiting: Sequence[Support]) -> list[Block]:
    """What last week left open, in the member's own prompt: their plans, those planned for weeks, their
    requests still waiting."""
    parts = []
    if planned:
        parts.append("*Last week you planned*\n" + "\n".join(f"• {item_text(i.text)}" for i in planned))
    if stale:
        parts.append(f"_Planned {STALE_WEEKS} check-ins running: {'; '.join(item_text(t) for t in stale)}. "
                     "Done, dropped, or time to ask a colleague for support?_")  # fmt: skip
    if waiting:
        parts.append("*Your requests still waiting*\n"
                     + "\n".join(f"• <@{r.to_user}>: {item_text(r.text)} ({r.status})" for r in waiting))  # fmt: skip
    return sections("\n\n".join(parts)) if parts else []


def prompt_message(
    priorities: Sequence[Priority],
    *,
    week: str,
    close: str,
    reminder: bool = False,
    carried: Carried | None = None,
    snoozed: bool = False,
) -> tuple[str, list[Block]]:
    """The DM that asks for a check-in (or, once, reminds): the priorities, what last week left open for this
    member, the button, the command."""
    label = week_label(week)
    if reminder:
        text = f"A gentle reminder: your check-in for the week of {label} is open until {close}."
    else:
        text = f"Your check-in for the week of {label}"
    intro = (f"*{text}*\nWhat did you do this week for our priorities, what's next, and what support do you need? "
             "A few lines is plenty.")  # fmt: skip
    body = [section(intro), *sections("\n\n".join(_priority_text(p) for p in priorities))]
    if carried is not None:
        body += _carried(carried.planned, carried.stale, carried.waiting)
    example = priorities[0].key if priorities else "literacy"
    how = (f"Or type `/checkin {escape(example)}: what you did`, `/checkin other: what else took your time` or "
           f"`/checkin skip`. Each line is one item. You can edit your answers until {escape(close)}.")  # fmt: skip
    fill = button("Fill in my check-in", action_id=OPEN_CHECKIN, value=week, style="primary")
    later = [button(label, action_id=action, value=week) for action, label in SNOOZES.items()]
    return text, message(body, [actions(fill, *([] if snoozed else later)), context(how)])


def checkin_modal(priorities: Sequence[Priority], *, week: str, close: str, saved: dict[str, str], asked: list[str],
                  offered: bool = False) -> dict:  # fmt: skip
    """The check-in form, opened with what the member saved; `asked` lines are mrkdwn (their text escaped);
    `offered`: the "did" fields hold last week's "next" items, for the member to keep, edit or delete."""
    blocks = [context(f"For the week of {week_label(week)}. Each line is one item. You can edit your answers "
                      f"until {escape(close)}.")]  # fmt: skip
    if offered:
        blocks.append(context(OFFERED))
    for p in priorities:
        blocks += [divider(), section(_priority_text(p))]
        for field, label in (("did", "What did you do this week?"), ("next", "What's next?")):
            key = field_block(field, p.key)
            blocks.append(optional_text_input(block_id=key, label=label, multiline=True,
                                              initial=saved.get(key, ""), placeholder=PLACEHOLDER))  # fmt: skip
    blocks += [
        divider(), section("*Support I need, and from whom*"),
        optional_user_input(block_id=SUPPORT_TO, label="Who can help"),
        optional_text_input(block_id=SUPPORT_TEXT, label="What I need from them", multiline=False),
    ]  # fmt: skip
    if asked:
        room = ASKED_LINES - 1  # under its heading
        shown = asked if len(asked) <= room else [*asked[: room - 1], "… and more: `/checkin status`"]
        blocks += contexts(["Already asked this week:", *shown])
    other = field_block("other", None)
    blocks += [divider(), optional_text_input(block_id=other, label="Anything else that took your time",
                                              multiline=True, initial=saved.get(other, ""), placeholder=PLACEHOLDER)]  # fmt: skip
    view = modal(
        callback_id=CHECKIN_MODAL, title="Weekly check-in", submit="Save", close="Cancel", blocks=blocks
    )
    return {**view, "private_metadata": week}


def card_message(
    priorities: Sequence[Priority], statuses: dict[str, list[tuple[str, str]]], *, week: str
) -> tuple[str, list[Block]]:
    """The channel's card on check-in day: each priority, its message, and its targets' statuses."""
    title = f"Our priorities, week of {week_label(week)}"
    body = [header(title)]
    for p in priorities:
        lines = [f"{MARKERS[status]} {escape(label)}: *{STATUS_LABELS[status]}*" for label, status in
                 statuses.get(p.key, [])] or ["_No results yet for this priority's targets._"]  # fmt: skip
        body += sections("\n".join([_priority_text(p), *lines]))
    tail = [context("Say them the same way all week. Your check-in prompt arrives as a direct message; "
                    "`/checkin` opens it any time.")]  # fmt: skip
    text = f"{title}: " + "; ".join(f"{p.name}: {p.message}" for p in priorities)
    return cut(escape(text), FALLBACK_CHARS), message(body, tail)


# -- the summary ---------------------------------------------------------------------------------------
def _percent(share: float) -> str:
    return f"{share:.0%}"


def _participation(p: dict) -> str:
    line = f"*{p['answered']} of {p['members']}* answered"
    if p.get("rate") is not None:
        line += f" ({_percent(p['rate'])})"
    if p.get("skipped"):
        line += f" · {p['skipped']} skipped"
    return line


def _on_message(summary: dict) -> str:
    share, week = summary.get("on_message_share"), summary["week"]
    if share is None:
        return "No items were filed this week."
    line = f"*{_percent(share)}* of this week's items serve a priority"
    before = [t for t in summary.get("trend", []) if t["week"] < week and t.get("share") is not None]
    if not before:
        return line + "."
    last = before[-1]
    when = "last week" if last["week"] == shift(week, -1) else f"the week of {week_label(last['week'])}"
    now_pct, then_pct = round(share * 100), round(last["share"] * 100)
    if now_pct == then_pct:
        return f"{line}, the same as {when}."
    return f"{line}, {'up' if now_pct > then_pct else 'down'} from {then_pct}% {when}."


def _since_last(summary: dict, names: Mapping[str, str]) -> str | None:
    """One sentence on what changed since the last check-in held: how many answered, and the priority whose
    items moved most. None for a first check-in, or when nothing is known to compare."""
    week = summary["week"]
    trend = {t["week"]: t for t in summary.get("trend", [])}
    before = [t for w, t in sorted(trend.items()) if w < week and t.get("share") is not None]
    now = trend.get(week)
    if not before or now is None or now.get("share") is None:
        return None
    last = before[-1]
    when = "last week" if last["week"] == shift(week, -1) else f"the week of {week_label(last['week'])}"
    parts = []  # the on-message share's change is said in the line below it
    if now.get("participation") is not None and last.get("participation") is not None:
        parts.append(_moved("of us answered", now["participation"], last["participation"]))
    counts_now, counts_then = now.get("items", {}), last.get("items", {})
    moves = sorted(
        ((counts_now.get(k, 0) - counts_then.get(k, 0), k) for k in names), key=lambda m: -abs(m[0])
    )
    if moves and moves[0][0]:
        change, key = moves[0]
        parts.append(f"{escape(names[key])} had {_count(counts_now.get(key, 0), 'item', 'items')}, "
                     f"{'up' if change > 0 else 'down'} from {counts_then.get(key, 0)}")  # fmt: skip
    return f"*Since {when}:* " + "; ".join(parts) + "." if parts else None


def _moved(what: str, now: float, then: float) -> str:
    now_pct, then_pct = round(now * 100), round(then * 100)
    if now_pct == then_pct:
        return f"{now_pct}% {what}, as before"
    return f"{now_pct}% {what}, {'up' if now_pct > then_pct else 'down'} from {then_pct}%"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _priority_summary(name: str, message_: str | None, items: list[dict], who: Callable[[str], str],
                      elsewhere: int = 0) -> str:  # fmt: skip
    """A priority's work; `elsewhere`: items filed under it that read as serving none (listed without names)."""
    lines = [f"*{escape(name)}*"] + ([f"_{escape(message_)}_"] if message_ else [])
    for field, title in FIELD_TITLES.items():
        mine = [
            f"• {item_text(i['text'])} — {who(i['user'])}"
            for i in items
            if SUMMARY_FIELD.get(i["field"]) == field
        ]
        if mine:
            lines += [f"*{title}*", *mine]
    if elsewhere:
        lines.append(f"_{_count(elsewhere, 'item', 'items')} filed here read as serving none of our priorities: "
                     "see *Also took our time*._")  # fmt: skip
    elif not items:
        lines.append("_Nothing reported for this priority this week._")
    return "\n".join(lines)


def summary_message(summary: dict, priorities: Sequence[Priority], people: Mapping[str, str] | None = None
                    ) -> tuple[str, list[Block]]:  # fmt: skip
    """The week's summary for the channel: participation, the on-message share, the work per priority with its
    authors, support asked and given; off-message work is listed without names. With `people` (user id ->
    display name), people are named without being notified; without, mentioned (a reply to one person)."""

    def who(user: str) -> str:
        return f"<@{user}>" if people is None else escape(people.get(user, user))

    label = week_label(summary["week"])
    p = summary["participation"]
    head = f"{_participation(p)}\n{_on_message(summary)}"
    so_far = not summary.get("closed", True)
    changed = _since_last(summary, {q.key: q.name for q in priorities})
    body = [
        header(f"Check-in so far: week of {label}" if so_far else f"Check-in: week of {label}"),
        *([section(changed)] if changed else []),
        section(head),
    ]
    if so_far:
        closes = datetime.fromisoformat(summary["closes"])
        body.append(context(f"*So far*: the check-in is open until {closes:%a %d %b %H:%M}; the final summary "
                            "goes out then."))  # fmt: skip
    trend = [t for t in summary.get("trend", []) if t.get("share") is not None]
    if len(trend) > 1:
        body.append(context("On-message share: " + " · ".join(f"{monday(t['week']):%d %b} {_percent(t['share'])}"
                                                              for t in trend[-6:])))  # fmt: skip
    items = summary.get("items", [])
    names = {q.key: (q.name, q.message) for q in priorities}
    served = {i["priority"]: None for i in items if i["priority"] is not None and i["priority"] not in names}
    for key in [*names, *served]:  # a priority since removed from the district file keeps its items, by key
        name, message_ = names.get(key, (key, None))
        elsewhere = sum(1 for i in items if i.get("filed") == key and i["priority"] != key)
        body += [
            divider(),
            *sections(
                _priority_summary(name, message_, [i for i in items if i["priority"] == key], who, elsewhere)
            ),
        ]
    off = sorted(
        (i for i in items if i["priority"] is None), key=lambda i: (i["text"].casefold(), i["field"])
    )
    if off:
        lines = [f"• {item_text(i['text'])}" + (" _(next)_" if i["field"] == "next" else "") for i in off]
        intro = "*Also took our time*\n_What else the week asked of us; no names, as this is about where time goes._"
        body += [divider(), *sections("\n".join([intro, *lines]))]
    # what colleagues owe one another is kept whole when a long week's items are cut
    tail: list[Block] = []
    requests = summary.get("support_requests", [])
    if requests:
        order = {"open": 0, "taken": 1, "done": 2}
        ranked = sorted(requests, key=lambda r: (order.get(r["status"], 3), -r["age_days"]))
        lines = [support_line(r, who) for r in ranked]
        tail = [divider(), *sections("\n".join(["*Support asked for*", *lines]))]
    share = summary.get("on_message_share")
    text = f"Check-in {'so far ' if so_far else ''}for the week of {label}: {p['answered']} of {p['members']} answered"
    text += f"; {_percent(share)} of items serve a priority." if share is not None else "."
    return text, message(body, tail)


# -- filed under a priority, read as serving none; clearing a check-in ----------------------------------
def move_question(item_id: int, text: str, name: str) -> tuple[str, list[Block]]:
    """Asked at filing when an item filed under a priority reads as serving none; the member's answer stands."""
    ask = f"This reads as not serving {escape(name)}: keep it there, or move it to Anything else?"
    keep = button(f"Keep it under {cut(name, 40)}", action_id=ITEM_KEEP, value=str(item_id), style="primary")
    move = button("Move it to Anything else", action_id=ITEM_MOVE, value=str(item_id))
    return cut(f"{ask} {text}", FALLBACK_CHARS), message([section(f"{ask}\n{quote(cut(text, ITEM_CHARS))}")],
                                                      [actions(keep, move)])  # fmt: skip


def clear_prompt(week: str, count: int, newest: int) -> tuple[str, list[Block]]:
    """`/checkin clear`: what it would remove, and the button that removes exactly that (`count` items, the
    newest with id `newest`)."""
    text = (f"Clear your check-in for the week of {week_label(week)}? This removes the {_count(count, 'item', 'items')} "
            "you filed, and you count as not having answered until you fill it in again or skip.")  # fmt: skip
    go = button("Clear my check-in", action_id=CLEAR, value=clear_value(week, count, newest), style="danger")
    return text, message(sections(text), [actions(go)])


def clear_modal(week: str, count: int, newest: int) -> dict:
    """Pushed over a form saved with every field empty: clear what it names, or go back to the form."""
    text = (f"Every field is empty. Clear your check-in for the week of {week_label(week)}? This removes the "
            f"{_count(count, 'item', 'items')} you filed, and you count as not having answered until you fill it "
            "in again or skip.")  # fmt: skip
    view = modal(callback_id=CLEAR_MODAL, title="Clear check-in?", submit="Clear it", close="Back",
                 blocks=sections(text))  # fmt: skip
    return {**view, "private_metadata": clear_value(week, count, newest)}


def modal_note(title: str, text: str) -> dict:
    """A modal that only says something (`text` is the service's words, escaped here), with a Close button."""
    return View(type="modal", callback_id=CLEAR_MODAL + "_done", title=PlainTextObject(text=title),
                close=PlainTextObject(text="Close"), blocks=sections(escape(text))).to_dict()  # fmt: skip


# -- `/checkin status` and replies --------------------------------------------------------------------
def status_message(
    *, week: str, close: str, mine: list[dict], asked: list[dict], answered: int, members: int, skipped: bool,
    away_until: str | None, priorities: Sequence[Priority] = (), skipped_count: int = 0,
) -> tuple[str, list[Block]]:  # fmt: skip
    """`/checkin status`: what this member filed this week by priority and field, the support they asked for, and
    how many have answered so far (a count, never names)."""
    names = {p.key: p.name for p in priorities}
    keys = list(names)
    lines = [f"*Your check-in for the week of {week_label(week)}*, open until {escape(close)}"]
    if skipped:
        lines.append("You skipped this week: no reminder, and the summary counts you as skipped.")
    if away_until:
        lines.append(f"Prompts are paused until {date.fromisoformat(away_until):%a %d %b %Y}.")
    groups: dict[tuple[str, str | None], list[str]] = {}
    for item in mine:
        groups.setdefault((item["field"], item["filed"]), []).append(f"• {item_text(item['text'])}")

    def rank(group: tuple[str, str | None]) -> tuple[int, int]:
        field, filed = group
        where = keys.index(filed) if filed in keys else len(keys) + (filed is None)
        return where, list(FIELD_TITLES).index(field) if field in FIELD_TITLES else len(FIELD_TITLES)

    for field, filed in sorted(groups, key=rank):
        title = (
            f"{escape(names.get(filed, filed))} · {FIELD_TITLES.get(field, field)}"
            if filed
            else "Anything else"
        )
        lines += [f"*{title}*", *groups[(field, filed)]]
    if not mine and not skipped:
        lines.append("Nothing filed yet: `/checkin` opens your form.")
    waiting = [r for r in asked if r["status"] in ("open", "taken")][:WITHDRAW_LINES]
    if asked:
        lines += [
            "*Support you asked for*",
            *(f"• <@{r['to']}>: {item_text(r['text'])} — {state(r)}" for r in asked if r not in waiting),
        ]
    withdraw = [section(f"• <@{r['to']}>: {item_text(r['text'])} — {state(r)}",
                        accessory=button("Withdraw", action_id=SUPPORT_WITHDRAW, value=str(r["id"])))
                for r in waiting]  # fmt: skip
    count = f"{answered} of {members} {'has' if answered == 1 else 'have'} answered so far"
    count += f" · {skipped_count} skipped." if skipped_count else "."
    return cut(f"Your check-in for the week of {week_label(week)}. {count}", FALLBACK_CHARS), message(
        [*sections("\n".join(lines)), *withdraw], [context(count)]
    )


def history_message(rows: list[dict], *, weeks: int) -> tuple[str, list[Block]]:
    """A member's own items over their last `weeks` check-ins (`CheckIns.recent`), for them alone."""
    if not rows:
        return reply(f"You have filed nothing in the last {weeks} weeks' check-ins.")
    heading = f"Your check-ins, the last {weeks} weeks"
    return heading, message([header(heading), *member_weeks(rows)])


def member_weeks(rows: list[dict]) -> list[Block]:
    """A member's items (`CheckIns.recent`) by week, newest week first: what each was and what it serves."""
    by_week: dict[str, list[dict]] = {}
    for row in rows:
        by_week.setdefault(row["week"], []).append(row)
    body: list[Block] = []
    for week in sorted(by_week, reverse=True):
        lines = [f"• {FIELD_TITLES.get(r['field'], 'Also')}: {escape(r['text'])} _({escape(r['serves_name'])})_"
                 for r in by_week[week]]  # fmt: skip
        body += sections(f"*Week of {week_label(week)}*\n" + "\n".join(lines))
    return body


def reply(text: str) -> tuple[str, list[Block]]:
    """A private reply (a refusal or a confirmation). `text` is mrkdwn: escape what the person typed in it."""
    return cut(text, FALLBACK_CHARS), message(sections(text) or [section("Done.")])


__all__ = [
    "CHECKIN_MODAL", "CLEAR", "CLEAR_MODAL", "ITEM_KEEP", "ITEM_MOVE", "OPEN_CHECKIN", "SNOOZE_AFTERNOON",
    "SNOOZE_TOMORROW", "SUPPORT_TEXT", "SUPPORT_TO", "TEXT",
    "USER", "card_message", "checkin_modal", "clear_modal", "clear_prompt", "field_block",
    "history_message", "member_weeks", "move_question", "prompt_message", "reply",
    "status_message", "summary_message", "week_label",
]  # fmt: skip
