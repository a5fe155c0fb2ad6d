"""`/note`, `/notes`, the note form and the note buttons: the Slack side of intervention notes.

Every request (a command, a button, a submitted form) first asks the notes service for a session, which
checks that the person is entitled, so a member who has left the leadership channel loses access at once.
Someone who is not entitled gets the one refusal, word for word whatever they asked. Every reply is
ephemeral, the form, or a direct message; a refusal of bad input says what is wrong and repeats what the
person typed. Nothing here logs a note's text, a student reference or a filter.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.notes.model import REFUSAL, Filters, Note, NotEntitled, NoteProblem, NotesOff
from bot.notes.parse import parse_filters, parse_note
from bot.notes.session import Session, filters_from
from bot.slack.blocks import notes as blocks
from bot.slack.blocks.kit import INPUT_CHARS, escape
from bot.slack.members import channel_members
from bot.slack.typed import from_slack

if TYPE_CHECKING:  # its type only: the services wire Slack in, and sit above it
    from bot.services import Services

Reply = Callable[[str, list[dict]], None]
PAGE = 10  # notes a page
GONE = "That note was deleted."
NOT_YOURS = "Only a note's author or an admin can change it."
STALE = "That button no longer works: type the command again."
TOO_LONG = (
    "Note {id} is longer than Slack's form holds (3,000 characters), so the form would cut its end: "
    "delete it and log it again in parts."
)
TOO_MANY = "More notes match than one button can page through: narrow the filters, or `/notes export` them."


def refusal() -> tuple[str, list[dict]]:
    """The one refusal, the same words (and blocks) whatever was asked."""
    return blocks.reply(REFUSAL)


@dataclass(frozen=True)
class Form:
    """What the form carries in its private_metadata: the note edited (None: a new one) and where to confirm."""

    note: int | None = None
    url: str = ""  # the response_url of the command or the button that opened it (valid 30 minutes)
    in_place: bool = False  # replace the message the Edit button was on

    def dump(self) -> str:
        """As private_metadata."""
        return json.dumps({"note": self.note, "url": self.url, "in_place": self.in_place})

    @classmethod
    def load(cls, text: str | None) -> Form:
        """From private_metadata (an unreadable one is a new note confirmed by direct message)."""
        try:
            held = json.loads(text or "{}")
            return cls(note=held.get("note"), url=held.get("url") or "", in_place=bool(held.get("in_place")))
        except (ValueError, AttributeError):
            return cls()


class NotesSlack:
    """What the listeners call; `now` comes from the services' clock."""

    def __init__(self, services: Services, client: WebClient) -> None:
        self.services = services
        self.notes = services.notes
        self.client = client

    def session(self, user: str) -> Session:
        """The person's session: raises NotEntitled (or NotesOff) before anything is read or written."""
        return self.notes.session(user, members=channel_members(self.client), now=self.services.clock())

    @staticmethod
    def _guarded(reply: Reply, work: Callable[[], None]) -> None:
        try:
            work()
        except NotEntitled:
            reply(*refusal())
        except NotesOff as exc:
            reply(*blocks.reply(escape(str(exc))))

    # -- commands -----------------------------------------------------------------------------------
    def note(self, *, user: str, text: str, trigger_id: str, response_url: str, reply: Reply) -> None:
        """`/note`: open the form; `/note [fields] text`: log a note in one line; `/note help`."""

        def work() -> None:
            session = self.session(user)
            typed = from_slack(text).strip()
            if not typed:
                self._open_form(trigger_id=trigger_id, form=Form(url=response_url))
            elif typed.lower() == "help":
                reply(*blocks.reply(self._usage()))
            else:
                now = self.services.clock()
                try:
                    note = session.log(session.draft(parse_note(typed), now=now), now=now)
                except NoteProblem as exc:
                    reply(*blocks.typed_reply(_problems(exc), typed, command="/note", saving=True))
                    return
                reply(*self._one(session, note, "Note logged"))

        self._guarded(reply, work)

    def list_notes(self, *, user: str, text: str, reply: Reply) -> None:
        """`/notes [filters]`: the first page; `/notes export [filters]`: a CSV by DM; `/notes help`."""

        def work() -> None:
            session = self.session(user)
            typed = from_slack(text).strip()
            verb, _, rest = typed.partition(" ")
            if verb.lower() == "help":
                reply(*blocks.reply(self._usage()))
                return
            exporting, accessing = verb.lower() == "export", verb.lower() == "access"
            try:
                filters = filters_from(parse_filters(rest if exporting or accessing else typed), session)
                if accessing:
                    if not filters.student or _filter_fields(filters).keys() != {"student"}:
                        raise NoteProblem("write `/notes access student:REF`, with the student's code alone")
                    rows = session.access(filters.student)
            except NoteProblem as exc:
                reply(*blocks.typed_reply(_problems(exc), typed, command="/notes", saving=False))
                return
            if accessing:
                reply(*blocks.access_message(filters.student, rows))
            elif exporting:
                self._export(session, filters, reply)
            elif filters.student and _filter_fields(filters).keys() == {
                "student"
            }:  # one student: their story
                found = session.timeline(filters.student, now=self.services.clock())
                reply(*blocks.timeline_message(filters.student, found, names=self._names()))
            else:
                self._page(session, filters, more=None, reply=reply)

        self._guarded(reply, work)

    # -- buttons ------------------------------------------------------------------------------------
    def more(self, *, user: str, value: str, reply: Reply) -> None:
        """ "More" under a page: the next page of the same filters."""

        def work() -> None:
            session = self.session(user)
            try:
                held = json.loads(value)
                filters, cursor = filters_from(held["filters"], session), str(held["more"])
                self._page(session, filters, more=cursor, reply=reply)
            except NoteProblem as exc:
                reply(*blocks.reply(blocks.shown(" ".join(_problems(exc)))))
            except (ValueError, KeyError, TypeError, AttributeError):  # not a value Resolute made
                reply(*blocks.reply(STALE))

        self._guarded(reply, work)

    def edit(self, *, user: str, note_id: str, trigger_id: str, response_url: str, in_place: bool,
             reply: Reply) -> None:  # fmt: skip
        """ "Edit": the form, filled in with the note, for its author or an admin."""

        def work() -> None:
            session = self.session(user)
            named = blocks.parse_note_value(note_id)
            note = session.get(named[0]) if named else None
            if named is None:
                reply(*blocks.reply(STALE))
            elif not blocks.names_note(named, note):  # gone, or (restored elsewhere) not the one it named
                reply(*blocks.reply(GONE))
            elif not session.may_change(note):
                reply(*blocks.reply(NOT_YOURS))
            elif len(note.text) > INPUT_CHARS:  # nothing is saved back cut
                reply(*blocks.reply(TOO_LONG.format(id=note.id)))
            else:
                self._open_form(trigger_id=trigger_id, note=note,
                                form=Form(note=note.id, url=response_url, in_place=in_place))  # fmt: skip

        self._guarded(reply, work)

    def delete(self, *, user: str, note_id: str, in_place: bool, reply: Reply, replace: Reply) -> None:
        """ "Delete", once confirmed: the service deletes the note if the person may, or says why not."""

        def work() -> None:
            session = self.session(user)
            named = blocks.parse_note_value(note_id)
            if named is None:  # an older button's bare id, or a value Resolute did not make
                reply(*blocks.reply(STALE))
                return
            number = named[0]
            if not blocks.names_note(named, session.get(number)):
                reply(*blocks.reply(GONE))
                return
            try:
                session.delete(number, now=self.services.clock())
            except NoteProblem as exc:
                reply(*blocks.reply(blocks.shown(" ".join(_problems(exc)))))
                return
            (replace if in_place else reply)(*blocks.reply(f"Note {number} is deleted."))

        self._guarded(reply, work)

    # -- the form -----------------------------------------------------------------------------------
    def _open_form(self, *, trigger_id: str, form: Form, note: Note | None = None) -> None:
        config = self.services.district.config()
        view = blocks.note_modal(types=self.notes.config().types, schools=self._names(),
                                 priorities=[(p.key, p.name) for p in config.priorities],
                                 note=note, metadata=form.dump())  # fmt: skip
        self.client.views_open(trigger_id=trigger_id, view=view)

    def submitted(self, *, user: str, view: dict) -> tuple[dict | None, Callable[[], None]]:
        """A submitted form: (errors to show on it, None when saved) and what to do once acknowledged (the
        confirmation: Slack wants the acknowledgement within 3 seconds)."""
        form = Form.load(view.get("private_metadata"))
        present = {b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"}
        try:
            session = self.session(user)
        except NotEntitled:  # on the form, which keeps what they typed
            return {blocks.TEXT: REFUSAL}, _nothing
        except NotesOff as exc:
            return {blocks.TEXT: str(exc)[:2000]}, _nothing
        now = self.services.clock()
        try:
            # an edit may keep a follow-up date that has passed (Session.edit refuses a new one in the past)
            typed = blocks.form_values(view["state"]["values"])
            draft = session.draft(typed, now=now, past_ok=bool(form.note))
            note = session.edit(form.note, draft, now=now) if form.note else session.log(draft, now=now)
        except NoteProblem as exc:
            return blocks.form_errors(_problems(exc), present), _nothing
        except NotEntitled:  # a school reader naming another school, or another school's note
            return {blocks.TEXT: REFUSAL}, _nothing
        said = self._one(session, note, "Note changed" if form.note else "Note logged")
        return None, lambda: self._confirm(user, form, said, note.id)

    def _confirm(self, user: str, form: Form, said: tuple[str, list[dict]], note_id: int) -> None:
        """Where the form was opened from (privately), else in a direct message (taken back from Slack
        if the note is deleted or expires)."""
        text, built = said
        if form.url:
            sent = WebhookClient(form.url).send(text=text, blocks=built, response_type="ephemeral",
                                                replace_original=form.in_place)  # fmt: skip
            if sent.status_code == 200:
                return
        channel = self.client.conversations_open(users=user)["channel"]["id"]
        posted = self.client.chat_postMessage(channel=channel, text=text, blocks=built)
        self.notes.copies.record([note_id], channel=posted["channel"], ts=posted["ts"], kind="confirmation")

    # -- replies ------------------------------------------------------------------------------------
    def _names(self) -> dict[str, str]:
        return {sid: school.name for sid, school in self.services.district.store.schools().items()}

    def _usage(self) -> str:
        priorities = [p.key for p in self.services.district.config().priorities]
        return blocks.usage(self.notes.config().types, priorities)

    def _one(self, session: Session, note: Note, heading: str) -> tuple[str, list[dict]]:
        return blocks.note_message(note, names=self._names(), heading=heading,
                                   may_change=session.may_change(note))  # fmt: skip

    def _page(self, session: Session, filters: Filters, *, more: str | None, reply: Reply) -> None:
        page = session.list(filters, more=more, limit=PAGE, now=self.services.clock())
        typed = _filter_fields(filters)
        value, note = None, None
        if page.more:
            value = json.dumps({"more": page.more, "filters": typed}, separators=(",", ":"))
            if len(value) > blocks.VALUE_CHARS:
                value, note = None, TOO_MANY
        described = " ".join(f"{k}:{v}" for k, v in typed.items())
        heading = ("More notes" if more else "Notes") + (f" matching {described}" if described else "")
        reply(*blocks.page_message(page.notes, names=self._names(), heading=heading + ", newest first",
                                   may_change=session.may_change, more=value, more_note=note))  # fmt: skip

    def _export(self, session: Session, filters: Filters, reply: Reply) -> None:
        now = self.services.clock()
        table = session.export_csv(filters, now=now)
        count = max(len(list(csv.reader(io.StringIO(table)))) - 1, 0)
        channel = self.client.conversations_open(users=session.actor)["channel"]["id"]
        uploaded = self.client.files_upload_v2(
            channel=channel, content=table, filename=f"intervention-notes-{now:%Y-%m-%d}.csv",
            title="Intervention notes", initial_comment=f"The intervention notes you exported ({count}). "
            "They are about children: keep the file private. Resolute deletes it from Slack after 24 hours.",
        )  # fmt: skip
        # deleted from Slack after a day (bot.notes.copies)
        self.notes.copies.exported([f["id"] for f in uploaded.get("files") or []], user=session.actor)
        reply(
            *blocks.reply(f"Sent to your direct messages: a CSV of {count} note{'' if count == 1 else 's'}.")
        )


def _nothing() -> None:
    return None


def _problems(exc: NoteProblem) -> list[str]:
    return list(getattr(exc, "problems", None) or [str(exc)])


def _filter_fields(filters: Filters) -> dict[str, str]:
    """Filters as `/notes` types them, to carry in a button and check again when it is pressed."""
    typed = {}
    for f in fields(filters):
        value = getattr(filters, f.name)
        if value is not None:
            typed[f.name] = value.isoformat() if isinstance(value, date) else str(value)
    return typed
