"""Intervention notes in Slack: the form, a note's message, a page of notes, and the private replies.

Everything built here goes to one person only (an ephemeral reply, a modal or a direct message). A note's
text and fields are what people typed: they are escaped (a typed `<!channel>` stays text) and cut to
Slack's limits; a colleague mentioned as <@U...> still shows as a mention.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import (
    ButtonElement,
    ConfirmObject,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)

from bot.slack.blocks.kit import (
    BUTTON_TEXT_CHARS,
    FALLBACK_CHARS,
    INPUT_CHARS,
    MESSAGE_BLOCKS,
    SECTION_CHARS,
    Block,
    actions,
    context,
    cut,
    divider,
    escape,
    message,
    modal,
    section,
    sections,
    split,
)

if TYPE_CHECKING:
    from bot.notes.model import Note

PREFIX = "notes_"  # every action and view id of notes starts with it (the error handler knows them by it)
NOTE_MODAL = PREFIX + "modal"
EDIT, DELETE, MORE = PREFIX + "edit", PREFIX + "delete", PREFIX + "more"
ONE = PREFIX + "one"  # the buttons of a message that shows one note: Edit and Delete change it in place
VALUE = "value"  # the action id of every input in the form
SCHOOL, STUDENT, TYPE, TIER, PRIORITY, FOLLOW_UP, TEXT = (
    PREFIX + f for f in ("school", "student", "type", "tier", "priority", "follow_up", "text")
)
FIELD_BLOCKS = {"school": SCHOOL, "student": STUDENT, "type": TYPE, "tier": TIER, "priority": PRIORITY,
                "follow_up": FOLLOW_UP, "text": TEXT}  # fmt: skip
SELECT_OPTIONS = 100  # Slack's most options in a static select: more schools than that get a text input
OPTION_CHARS = 75
VALUE_CHARS = 2000  # a button's value
STUDENT_CHARS = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MENTION = re.compile(r"&lt;@([UW][A-Z0-9]+)(?:\|[^&]*)?&gt;")


def usage(types: Sequence[str], priorities: Sequence[str]) -> str:
    """What `/note help` and `/notes help` say (mrkdwn)."""
    return "\n".join([
        "*Intervention notes* are private: only the people the district entitles can log or read them, and every "
        "reply is shown only to you.",
        "• `/note` opens a form.",
        "• `/note school:RB01 student:S1234 type:credit_rescue tier:2 priority:graduation follow_up:2026-12-01 "
        "Met with the student and the teacher...` logs a note in one line. Only the text is required. Fields "
        "come first (`school: RB01` or `school:RB01`); later in the note only `key:value` with no space is a "
        'field. A school\'s name goes in quotes: `school:"Hillcrest Elementary"`.',
        "• `/notes school:RB01 student:S1234 type:tutoring priority:graduation since:2026-09-01 author:@someone` "
        "lists matching notes, newest first, ten at a time.",
        "• `/notes export [filters]` sends you the matching notes as a CSV file in a direct message.",
        "• `/notes student:S1234` shows that student's notes as a timeline, oldest first; a move between tiers "
        "is written `tier:2->3`. Admins: `/notes access student:S1234` shows who read or changed them.",
        "A student is a local code or initials, never a name. Types: " + ", ".join(f"`{t}`" for t in types) + ".",
        ("Priorities: " + ", ".join(f"`{escape(p)}`" for p in priorities) + ".") if priorities else "",
    ]).strip()  # fmt: skip


# -- text ---------------------------------------------------------------------------------------------
def shown(text: str) -> str:
    """A person's text as mrkdwn: escaped, with their mentions of colleagues kept as mentions."""
    return _MENTION.sub(r"<@\1>", escape(text))


def when(moment: datetime) -> str:
    """A time shown in each reader's own zone by Slack, with the UTC date as the fallback."""
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{moment:%Y-%m-%d %H:%M} UTC>"


def school_label(school: str | None, names: Mapping[str, str]) -> str:
    """'Hillcrest Elementary (HE01)', or the id alone for a school no longer in the district's data."""
    if school is None:
        return "no school"
    return f"{names[school]} ({school})" if school in names else school


def tier_label(note: Note) -> str:
    """ "2", or a move between tiers: "2 → 3"."""
    return f"{note.tier_from} → {note.tier}" if note.tier_from is not None else str(note.tier)


# the form's Tier: a tier, or a move between two (what `tier:2->3` says in one line)
TIER_CHOICES = [(str(n), f"Tier {n}") for n in (1, 2, 3)] + [
    (f"{a}->{b}", f"Moved from tier {a} to {b}") for a in (1, 2, 3) for b in (1, 2, 3) if a != b
]


def fields_line(note: Note, names: Mapping[str, str]) -> str:
    """A note's fields on one line (mrkdwn)."""
    parts = [f"`{escape(note.type)}`", escape(school_label(note.school, names))]
    if note.student:
        parts.append(f"student {shown(note.student)}")
    if note.tier is not None:
        parts.append(f"tier {tier_label(note)}")
    if note.priority:
        parts.append(f"priority `{escape(note.priority)}`")
    if note.follow_up:
        parts.append(f"follow-up {note.follow_up:%a %d %b %Y}")
    return " · ".join(parts)


def stored_fields(note: Note, names: Mapping[str, str]) -> str:
    """Every field of a note as stored, one a line, "none" where there is none (mrkdwn): what a
    confirmation shows, so a word read as a field (or a field read as text) is seen at once."""
    school = f"{escape(names[note.school])} ({escape(note.school)})" if note.school in names else None
    held = [
        ("School", school or (escape(note.school) if note.school else None)),
        ("Student", shown(note.student) if note.student else None),
        ("Type", f"`{escape(note.type)}`"),
        ("Tier", tier_label(note) if note.tier is not None else None),
        ("Priority", f"`{escape(note.priority)}`" if note.priority else None),
        ("Follow-up", f"{note.follow_up:%a %d %b %Y}" if note.follow_up else None),
    ]
    return "\n".join(f"*{label}:* {value or '_none_'}" for label, value in held)


def _byline(note: Note) -> str:
    line = f"Note {note.id} by <@{note.author}>, {when(note.created_at)}"
    if note.updated_at:
        line += f" · edited by <@{note.updated_by or note.author}>, {when(note.updated_at)}"
    return line


def _note_section(note: Note, names: Mapping[str, str]) -> Block:
    """The note's fields and its text in one section (a very long text is cut: its form shows it whole)."""
    return section(f"{fields_line(note, names)}\n{shown(note.text)}")


# -- buttons ------------------------------------------------------------------------------------------
def note_value(note: Note) -> str:
    """What an Edit or Delete button carries: the note's id and its creation time in microseconds
    ("12@1795532400000000"), so a button can only ever name the note it was made for."""
    return f"{note.id}@{_micros(note.created_at)}"


def parse_note_value(value: str) -> tuple[int, int] | None:
    """(id, creation time in microseconds) from a button's value; None for anything else (a bare id
    from an older button, or a value Resolute did not make)."""
    number, at, micros = (value or "").partition("@")
    if not (at and number.isdigit() and micros.isdigit()):
        return None
    return int(number), int(micros)


def names_note(value: tuple[int, int], note: Note | None) -> bool:
    """Whether a button's parsed value names `note` (same id, same creation time)."""
    return note is not None and (note.id, _micros(note.created_at)) == value


def _micros(moment: datetime) -> int:
    return (moment.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1)


def _change_buttons(note: Note, *, block_id: str) -> Block:
    edit = ButtonElement(text="Edit", action_id=EDIT, value=note_value(note))
    confirm = ConfirmObject(title="Delete this note?", text=f"Note {note.id} is deleted for good, from the "
                            "notes and from answers.", confirm="Delete", deny="Keep it", style="danger")  # fmt: skip
    delete = ButtonElement(
        text="Delete", action_id=DELETE, value=note_value(note), style="danger", confirm=confirm
    )
    return actions(edit, delete, block_id=block_id)


def more_button(value: str) -> ButtonElement:
    """The next page's button; `value` is the cursor and the filters (raises past Slack's 2,000 characters)."""
    if len(value) > VALUE_CHARS:
        raise ValueError(f"a More button's value is {len(value)} characters; Slack allows {VALUE_CHARS}")
    return ButtonElement(text=cut("More", BUTTON_TEXT_CHARS), action_id=MORE, value=value)


# -- messages -----------------------------------------------------------------------------------------
def note_message(
    note: Note, *, names: Mapping[str, str], heading: str, may_change: bool
) -> tuple[str, list[Block]]:
    """One note with its fields, author and date, and Edit / Delete for its author or an admin."""
    text_sections = sections(f"*Note:*\n{shown(note.text)}")  # whole: a long note takes two sections
    body = [section(f"*{escape(heading)}*\n{stored_fields(note, names)}"), *text_sections,
            context(_byline(note))]  # fmt: skip
    tail = [_change_buttons(note, block_id=ONE)] if may_change else []
    text = f"{heading}: note {note.id}, {note.type}, {school_label(note.school, names)}"
    return cut(escape(text), FALLBACK_CHARS), message(body, tail)


def page_message(
    notes: Sequence[Note], *, names: Mapping[str, str], may_change: Callable[[Note], bool], heading: str,
    more: str | None, more_note: str | None = None,
) -> tuple[str, list[Block]]:  # fmt: skip
    """A page of notes, newest first, each with its buttons when the reader may change it, and More."""
    if not notes:
        return reply(f"*{escape(heading)}*\nNo notes match.")
    body: list[Block] = [section(f"*{escape(heading)}*")]
    for note in notes:
        body += [divider(), _note_section(note, names), context(_byline(note))]
        if may_change(note):
            body.append(_change_buttons(note, block_id=f"{PREFIX}row_{note.id}"))
    tail: list[Block] = []
    if more:
        tail.append(actions(more_button(more)))
    elif more_note:
        tail.append(context(escape(more_note)))
    return cut(escape(f"{heading}: {len(notes)} notes"), FALLBACK_CHARS), message(body, tail)


def timeline_message(
    student: str, notes: Sequence[Note], *, names: Mapping[str, str]
) -> tuple[str, list[Block]]:
    """A student's notes oldest first, one a line (type, tier, school, author, follow-up), a move between
    tiers marked; the newest are kept when there are more than a message holds."""
    heading = f"Timeline of student {shown(student)}, oldest first"
    if not notes:
        return reply(f"*{heading}*\nNo notes match.")
    body: list[Block] = [section(f"*{heading}* ({len(notes)} note{'' if len(notes) == 1 else 's'})")]
    room = MESSAGE_BLOCKS - 2
    if len(notes) > room:  # the start is dropped, said so: the latest notes are what a meeting needs
        body.append(context(f"The first {len(notes) - room} notes are not shown: "
                            "`resolute notes timeline` prints them all."))  # fmt: skip
        notes = notes[-room:]
    for note in notes:
        moved = " :arrow_right: *tier change*" if note.tier_from is not None else ""
        day = f"<!date^{int(note.created_at.timestamp())}^{{date_short}}|{note.created_at:%Y-%m-%d}>"  # reader's zone
        line = f"*{day}*{moved} · {fields_line(note, names)} · <@{note.author}>"
        body.append(section(f"{line}\n{shown(_first_line(note.text))}"))
    return cut(f"Timeline of student {student}: {len(notes)} notes", FALLBACK_CHARS), message(body)


def _first_line(text: str, chars: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= chars else flat[: chars - 1].rstrip() + "…"


ACTIONS = {"create": "logged", "edit": "edited", "delete": "deleted", "list": "listed", "export": "exported",
           "import": "imported", "expire": "expired", "answer": "was shown in an answer",
           "timeline": "read the timeline"}  # fmt: skip


def access_message(student: str, rows: Sequence[dict]) -> tuple[str, list[Block]]:
    """Who accessed a student's notes, newest first (an admin's view of the audit)."""
    heading = f"Access to the notes of student {shown(student)}, newest first"
    if not rows:
        return reply(f"*{heading}*\nNo access is on record.")
    lines = [f"{when(r['at'])} · <@{r['actor']}> " if not r["actor"].startswith(("cli:", "resolute"))
             else f"{when(r['at'])} · {escape(r['actor'])} " for r in rows]  # fmt: skip
    lines = [f"{head}{ACTIONS.get(r['action'], escape(r['action']))} · notes {', '.join(map(str, r['notes']))}"
             for head, r in zip(lines, rows, strict=True)]  # fmt: skip
    body = [section(f"*{heading}* ({len(rows)})"), *sections("\n".join(lines))]
    return cut(f"Access to student {student}'s notes: {len(rows)}", FALLBACK_CHARS), message(body)


def reply(text: str) -> tuple[str, list[Block]]:
    """A private reply; `text` is mrkdwn (escape what people typed in it)."""
    return cut(text, FALLBACK_CHARS), message(sections(text) or [section("Done.")])


def typed_reply(
    problems: Sequence[str], typed: str, *, command: str, saving: bool
) -> tuple[str, list[Block]]:
    """What is wrong, then what the person typed, whole, ready to copy (nothing typed is lost); `saving`: the
    command would have saved something, and did not."""
    said = "\n".join(f"• {shown(p)}" for p in problems)
    whole = f"{command} {typed}".strip()
    if "```" in whole:  # a code block cannot hold one: quote it instead
        pieces = [section("\n".join(f"&gt;{escape(line)}" for line in chunk.splitlines()) or "&gt;")
                  for chunk in split(whole, SECTION_CHARS // 2)]  # fmt: skip
    else:
        pieces = [section(f"```{chunk}```") for chunk in split(escape(whole), SECTION_CHARS - 6)]
    head = section(f"{said}\n{'Nothing was saved. ' if saving else ''}What you typed:")
    text = f"{' '.join(problems)} You typed: {whole}"
    return cut(escape(text), FALLBACK_CHARS), message([head, *pieces])


# -- the form -----------------------------------------------------------------------------------------
def _option(value: str, label: str) -> Option:
    return Option(value=value, text=PlainTextObject(text=cut(label, OPTION_CHARS)))


def _select(block_id: str, label: str, choices: Sequence[tuple[str, str]], initial: str | None, *,
            optional: bool, hint: str | None = None) -> Block:  # fmt: skip
    options = [_option(v, text) for v, text in choices[:SELECT_OPTIONS]]
    chosen = next((o for o in options if o.value == initial), None)
    element = StaticSelectElement(action_id=VALUE, options=options, initial_option=chosen,
                                  placeholder=PlainTextObject(text="Choose"))  # fmt: skip
    return InputBlock(block_id=block_id, label=PlainTextObject(text=label), element=element, optional=optional,
                      hint=PlainTextObject(text=hint) if hint else None).to_dict()  # fmt: skip


def _text(block_id: str, label: str, initial: str | None, *, optional: bool, multiline: bool = False,
          max_length: int = INPUT_CHARS, hint: str | None = None) -> Block:  # fmt: skip
    element = PlainTextInputElement(action_id=VALUE, multiline=multiline, max_length=max_length,
                                    initial_value=(initial or "")[:max_length] or None)  # fmt: skip
    return InputBlock(block_id=block_id, label=PlainTextObject(text=label), element=element, optional=optional,
                      hint=PlainTextObject(text=hint) if hint else None).to_dict()  # fmt: skip


def note_modal(
    *, types: Sequence[str], priorities: Sequence[tuple[str, str]], schools: Mapping[str, str],
    note: Note | None = None, metadata: str = "",
) -> dict:  # fmt: skip
    """The note form, empty or (editing) filled in with `note`; `schools` and `priorities` are id -> name."""
    school = note.school if note else None
    if 0 < len(schools) <= SELECT_OPTIONS:
        choices = [
            (sid, f"{name} ({sid})") for sid, name in sorted(schools.items(), key=lambda s: s[1].casefold())
        ]
        where = _select(SCHOOL, "School", choices, school, optional=True)
    else:
        where = _text(SCHOOL, "School", school, optional=True, max_length=OPTION_CHARS,
                      hint="The school's id or its name")  # fmt: skip
    kinds = list(types) + ([note.type] if note and note.type not in types else [])
    follow_up = DatePickerElement(action_id=VALUE, initial_date=note.follow_up.isoformat()
                                  if note and note.follow_up else None)  # fmt: skip
    blocks = [
        where,
        _text(STUDENT, "Student", note.student if note else None, optional=True, max_length=STUDENT_CHARS,
              hint="A local student code or initials, never a name"),
        _select(TYPE, "Type", [(t, t.replace("_", " ")) for t in kinds], note.type if note else None,
                optional=False),
        _select(TIER, "Tier", TIER_CHOICES, _tier_value(note), optional=True),
        _select(PRIORITY, "Priority", list(priorities), note.priority if note else None, optional=True)
        if priorities else None,
        InputBlock(block_id=FOLLOW_UP, label=PlainTextObject(text="Follow-up date"), element=follow_up,
                   optional=True, hint=PlainTextObject(text="You get a reminder that day at 09:00")).to_dict(),
        _text(TEXT, "Note", note.text if note else None, optional=False, multiline=True),
        context("Only the people the district entitles to notes can read this note."),
    ]  # fmt: skip
    view = modal(callback_id=NOTE_MODAL, title="Edit the note" if note else "Log a note", submit="Save",
                 close="Cancel", blocks=[b for b in blocks if b])  # fmt: skip
    return {**view, "private_metadata": metadata}


def _tier_value(note: Note | None) -> str | None:
    if note is None or not note.tier:
        return None
    return f"{note.tier_from}->{note.tier}" if note.tier_from is not None else str(note.tier)


def form_values(values: Mapping[str, Mapping[str, dict]]) -> dict[str, str]:
    """A submitted form's fields as text, the way `/note` types them (an empty field is left out)."""
    fields: dict[str, str] = {}
    for name, block in FIELD_BLOCKS.items():
        state = (values.get(block) or {}).get(VALUE) or {}
        held = (
            (state.get("selected_option") or {}).get("value")
            or state.get("selected_date")
            or state.get("value")
        )
        if held is not None and str(held).strip():
            fields[name] = str(held)
    return fields


def form_errors(problems: Sequence[str], present: Collection[str]) -> dict[str, str]:
    """Problems as the form shows them: each under its field ("school: ..." goes under School) if the form
    has it (`present`: its input block ids), the rest under the note's text."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        name = problem.split(":", 1)[0].strip().lower().replace("-", "_").replace(" ", "_")
        block = FIELD_BLOCKS.get(name, TEXT)
        errors.setdefault(block if block in present else TEXT, []).append(problem)
    return {block: cut(" ".join(said), 2000) for block, said in errors.items()}
