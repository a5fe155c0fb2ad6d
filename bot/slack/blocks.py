"""Block Kit for every surface: answers, the Home tab, the ask modal and short notices.

Slack rejects a whole message with `invalid_blocks` when one block breaks its limits, so everything
here is cut to fit: 3,000 characters per section text, 10 elements per context block, 50 blocks.
"""

from __future__ import annotations

from bot.knowledge.answer import Answer

SECTION_CHARS = 3000
MAX_BLOCKS = 50
CONTEXT_ELEMENTS = 10
FALLBACK_CHARS = 3000  # the notification text; Slack allows more but shows far less
CUT_NOTE = "… _(cut here: the rest is too long for one Slack message)_"

FEEDBACK_HELPFUL = "feedback_helpful"
FEEDBACK_NOT_HELPFUL = "feedback_not_helpful"
OPEN_ASK_MODAL = "open_ask_modal"
ASK_MODAL = "ask_modal"
ASK_INPUT_BLOCK, ASK_INPUT_ACTION = "question", "question_input"

USAGE = "Ask me about the district's documents and data: `/ask What are our three priorities?`"
ERROR = (
    ":warning: Sorry, something went wrong while I was working on that, and it has been logged "
    "for the people who run me. Please try again in a minute."
)
EYES = "eyes"


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _sections(text: str, limit: int = SECTION_CHARS) -> list[str]:
    """Split text into pieces of at most `limit` characters, at paragraph, line or word breaks."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:  # no decent break: cut mid-word rather than emit a tiny piece
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _source_line(n: int, title: str, location: str) -> str:
    where = f" — {location}" if location and location != title else ""
    return _cut(f"*[{n}]* {escape(title)}{escape(where)}", 300)


def answer_message(answer: Answer, *, answer_id: str, footer: list[dict] = ()) -> tuple[str, list[dict]]:
    """The fallback text and the blocks of an answer: text with [n], Sources, feedback buttons."""
    tail: list[dict] = []
    if answer.sources:
        lines = [_source_line(s.n, s.title, s.location) for s in answer.sources]
        tail.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "*Sources*"}]})
        for start in range(0, len(lines), CONTEXT_ELEMENTS):
            elements = [{"type": "mrkdwn", "text": line} for line in lines[start : start + CONTEXT_ELEMENTS]]
            tail.append({"type": "context", "elements": elements})
    tail.append(
        {
            "type": "actions",
            "block_id": "feedback",
            "elements": [
                {
                    "type": "button",
                    "action_id": FEEDBACK_HELPFUL,
                    "value": answer_id,
                    "text": {"type": "plain_text", "text": "Helpful"},
                },
                {
                    "type": "button",
                    "action_id": FEEDBACK_NOT_HELPFUL,
                    "value": answer_id,
                    "text": {"type": "plain_text", "text": "Not helpful"},
                },
            ],
        }
    )
    tail = [*tail, *footer][: MAX_BLOCKS - 1]  # room for at least one section of answer
    room = MAX_BLOCKS - len(tail)
    pieces = _sections(escape(answer.answer)) or ["(no answer)"]
    if len(pieces) > room:
        pieces = pieces[:room]
        pieces[-1] = pieces[-1][: SECTION_CHARS - len(CUT_NOTE)].rstrip() + CUT_NOTE
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": p}} for p in pieces]
    return _cut(answer.answer, FALLBACK_CHARS), blocks + tail


def question_message(user_id: str, question: str) -> tuple[str, list[dict]]:
    """The message a `/ask` or modal question is posted as, so its answer has a thread to live in."""
    text = f"<@{user_id}> asked: {escape(question)}"
    return _cut(text, FALLBACK_CHARS), [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": _cut(f"<@{user_id}> asked:\n>{escape(question)}", SECTION_CHARS),
            },
        }
    ]


def invite_hint() -> dict:
    """Appended to a private answer in a channel Resolute has not been invited to."""
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "Only you can see this: invite me with `/invite @Resolute` "
                      "and I will answer in the channel, in a thread."}],
    }  # fmt: skip


PROGRESS_USAGE = (
    "`/progress` for every target, `/progress PRIORITY` (one of: {keys}) or `/progress SCHOOL` (id or name)."
)


def progress_message(
    title: str, lines: list[str], *, moving: list[str], coasting: list[str]
) -> tuple[str, list[dict]]:
    """The `/progress` reply: each target against its trajectory, and the schools to celebrate and support."""
    body = "\n".join(f"• {escape(line)}" for line in lines) or "No results for these targets yet."
    tail = (f"*Schools on the Move:* {escape(', '.join(moving) or 'none')}\n"
            f"*Coasting schools, offered support:* {escape(', '.join(coasting) or 'none')}")  # fmt: skip
    built = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(title, 150)}},
        *({"type": "section", "text": {"type": "mrkdwn", "text": piece}} for piece in _sections(body)[:45]),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(tail, SECTION_CHARS)}]},
    ]
    return _cut(f"{title}\n{body}", FALLBACK_CHARS), built


def feedback_thanks(helpful: bool) -> str:
    """The private reply to a feedback click."""
    if helpful:
        return "Thanks: noted that this answer helped."
    return "Thanks: noted that this answer did not help. The team reviews these to improve the documents."


def home_view(*, priorities: list[dict] | None = None) -> dict:
    """The App Home tab: what Resolute does, the district's priorities and the slash commands."""
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Resolute"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "I keep the leadership team on its few priorities. Ask me about the district's "
                "plans, research and results: mention me in a channel, send me a direct message, or use "
                "`/ask`. Every answer cites the documents it comes from.",
            },
            "accessory": {
                "type": "button",
                "action_id": OPEN_ASK_MODAL,
                "text": {"type": "plain_text", "text": "Ask a question"},
                "style": "primary",
            },
        },
        {"type": "divider"},
        {"type": "header", "text": {"type": "plain_text", "text": "Our priorities"}},
    ]
    if priorities:
        for p in priorities[:5]:
            line = f"*{escape(p['name'])}*"
            if p.get("message"):
                line += f"\n_{escape(p['message'])}_"
            if p.get("status"):
                line += f"\n{escape(p['status'])}"
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(line, SECTION_CHARS)}})
    else:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "_The district's priorities will appear here once its district file is "
                    "loaded (`knowledge/district/district.toml`; see the README)._",
                },
            }
        )
    blocks += [
        {"type": "divider"},
        {"type": "header", "text": {"type": "plain_text", "text": "Commands"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "`/ask QUESTION`: a cited answer from the district's documents and data, in a thread.\n"
                "`/progress [priority|school]`: each target against its trajectory (only you see it).\n"
                "`@Resolute QUESTION` in a channel, or a direct message: the same, and I follow up "
                "in threads I am part of.",
            },
        },
    ]
    return {"type": "home", "blocks": blocks[:MAX_BLOCKS]}


def ask_modal() -> dict:
    """The modal the Home tab's button opens; the answer arrives as a direct message."""
    return {
        "type": "modal",
        "callback_id": ASK_MODAL,
        "title": {"type": "plain_text", "text": "Ask Resolute"},
        "submit": {"type": "plain_text", "text": "Ask"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": ASK_INPUT_BLOCK,
                "label": {"type": "plain_text", "text": "Your question"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ASK_INPUT_ACTION,
                    "multiline": True,
                    "max_length": 2000,
                },
            }
        ],
    }
