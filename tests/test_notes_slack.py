"""Intervention notes as Slack plays them: signed requests in, Web API calls out to the fake Slack, on a clock
the test moves. Only entitled people log or read notes; everyone else gets the one refusal, word for word,
whatever they ask and whether or not a note matches; every reply is ephemeral or a direct message."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from bot.notes.model import REFUSAL, Draft, Filters, Note
from bot.slack.app import make_slack_app
from bot.slack.block_check import blocks_problem, view_problem
from bot.slack.blocks import notes as kit
from bot.slack.console import Console
from bot.slack.fake import BOT_TOKEN as TOKEN
from bot.slack.fake import BOT_USER, FakeSlack
from bot.slack.notes import GONE, NOT_YOURS, TOO_LONG
from tests.conftest import serving
from tests.test_district import TOML as DISTRICT
from tests.test_district import write_district
from tests.test_slack import SECRET, Slack

LEAD = "C0LEAD0001"  # tests.test_district's leadership channel: its members read notes
ANA, BEN, ADA, OLI = "UANA", "UBEN", "UADA", "UOLI"  # ANA, BEN: members; ADA: an admin; OLI: neither
TOML = DISTRICT + '\n[notes]\nreaders = "channel"\nadmins = ["UADA"]\n'
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
TEXT = "Zephyrine-7741 attendance plan: morning check-in with the attendance counsellor, call home after two absences."
STUDENT = "ZQ-4417"


class Desk:
    """The district's Slack (the fake) and Resolute served over HTTP, on a clock the test moves."""

    def __init__(self, make_services, fake: FakeSlack) -> None:
        self.fake, self.now = fake, [NOW]
        self._running = ExitStack()
        self.services = make_services(slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_url=fake.url,
                                      clock=lambda: self.now[0])  # fmt: skip
        self.services.district.load()
        self.slack = Slack(self._running.enter_context(serving(make_slack_app(self.services))), SECRET)

    def close(self) -> None:
        self._running.close()

    def later(self, seconds: float) -> None:
        self.now[0] += timedelta(seconds=seconds)

    # -- people in Slack ----------------------------------------------------------------------------------
    def _post(self, body: str, *, checked: bool = True) -> str:
        status, answer, seconds = self.slack.post(body, "application/x-www-form-urlencoded")
        assert not checked or (status == 200 and seconds < 3.0), (status, answer)
        return answer

    def slash(self, user: str, command: str, text: str = "", *, checked: bool = True) -> None:
        """`command text` as Slack sends it, from the leadership channel."""
        form = {"token": "legacy", "team_id": "T0001", "channel_id": LEAD, "channel_name": "leadership",
                "user_id": user, "user_name": user.lower(), "command": command, "text": text, "api_app_id": "A0001",
                "response_url": self.fake.response_url(), "trigger_id": f"trig{time.monotonic_ns()}"}  # fmt: skip
        self._post(urlencode(form), checked=checked)

    def command(self, user: str, command: str, text: str = "", *, checked: bool = True) -> dict:
        """The private reply to a command (`checked`: acknowledged at once, with 200)."""
        before = len(self.fake.called("response_url"))
        self.slash(user, command, text, checked=checked)
        return self.fake.wait_for("response_url", before + 1, timeout=10)[-1].args

    def open_form(self, user: str, text: str = "") -> dict:
        """`/note` with no text: the form as Slack holds it."""
        before = len(self.fake.called("views.open"))
        self.slash(user, "/note", text)
        return self.fake.wait_for("views.open", before + 1, timeout=10)[-1].reply["view"]

    def submit(self, user: str, view: dict, *, status: int = 200, **fields: str | None) -> dict | None:
        """Submit the form with these fields (by name): None when it closed, else Slack's response_action."""
        values = {}
        for name, block in kit.FIELD_BLOCKS.items():
            value = fields.get(name)
            element = next((b["element"] for b in view["blocks"] if b.get("block_id") == block), None)
            if element is None:
                continue
            kind = element["type"]
            if kind == "static_select":
                chosen = next((o for o in element["options"] if o["value"] == value), None)
                state = {"selected_option": chosen or element.get("initial_option")}
            elif kind == "datepicker":
                state = {"selected_date": value or element.get("initial_date")}
            else:
                state = {"value": element.get("initial_value") if value is None else value}
            values[block] = {kit.VALUE: {"type": kind, **state}}
        body = {"type": "view_submission", "team": {"id": "T0001"}, "user": {"id": user}, "api_app_id": "A0001",
                "view": {**view, "state": {"values": values}}}  # fmt: skip
        replies = len(self.fake.called("response_url"))
        got, answer, seconds = self.slack.post(urlencode({"payload": json.dumps(body)}),
                                               "application/x-www-form-urlencoded")  # fmt: skip
        assert got == status and seconds < 3.0, (got, answer)
        if got == 200 and not answer:  # saved: the confirmation follows the acknowledgement
            self.fake.wait_for("response_url", replies + 1, timeout=10)
        return json.loads(answer) if answer and got == 200 else None

    def press(
        self, user: str, action_id: str, value: str, *, block_id: str = "b", opens: bool = False
    ) -> dict:
        """A button on a private message: the private reply, or (`opens`) the form it opened."""
        replies, forms = len(self.fake.called("response_url")), len(self.fake.called("views.open"))
        payload = {"type": "block_actions", "team": {"id": "T0001"}, "user": {"id": user}, "api_app_id": "A0001",
                   "trigger_id": f"trig{time.monotonic_ns()}", "response_url": self.fake.response_url("action"),
                   "channel": {"id": LEAD}, "container": {"type": "message", "is_ephemeral": True},
                   "actions": [{"type": "button", "action_id": action_id, "block_id": block_id, "value": value,
                                "action_ts": str(time.time())}]}  # fmt: skip
        self._post(urlencode({"payload": json.dumps(payload)}))
        if opens:
            return self.fake.wait_for("views.open", forms + 1, timeout=10)[-1].reply["view"]
        return self.fake.wait_for("response_url", replies + 1, timeout=10)[replies].args

    # -- the notes, as the service holds them -------------------------------------------------------------
    def session(self, user: str = ANA):
        return self.services.notes.session(user, members=lambda channel: self.fake.members[channel], now=self.now[0])  # fmt: skip

    def log(self, user: str = ANA, text: str = TEXT, **fields: str):
        """A note logged straight through the service (to have notes to find)."""
        session = self.session(user)
        return session.log(session.draft({"text": text, **fields}, now=self.now[0]), now=self.now[0])

    def stored(self) -> list:
        return self.session(ADA).list(Filters(), limit=1000, now=self.now[0]).notes


def buttons(reply: dict) -> dict[str, list[str]]:
    """action id -> the values of those buttons in a reply."""
    found: dict[str, list[str]] = {}
    for block in reply.get("blocks") or []:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            found.setdefault(element["action_id"], []).append(element.get("value"))
    return found


def shown(call_args: dict) -> str:
    return json.dumps([call_args.get("text"), call_args.get("blocks")], ensure_ascii=False)


def refusal_of(reply: dict) -> str:
    """The reply as the person sees it, to compare byte for byte."""
    return json.dumps({k: reply.get(k) for k in ("text", "blocks", "response_type")}, sort_keys=True)


@contextmanager
def served(make_services, fake_slack: FakeSlack, tmp_path, toml: str = TOML) -> Iterator[Desk]:
    """The district with notes, its leadership channel (ANA, BEN), Resolute served; then every reply checked."""
    write_district(tmp_path / "knowledge" / "district", toml=toml)
    fake_slack.members[LEAD] = [ANA, BEN, BOT_USER]
    running = Desk(make_services, fake_slack)
    try:
        yield running
    finally:
        running.close()
    # every reply about notes was private: ephemeral, or in a direct message
    for call in fake_slack.called("response_url"):
        assert call.args.get("response_type") == "ephemeral", call.args
    for call in fake_slack.called("chat.postMessage") + fake_slack.called("files.completeUploadExternal"):
        where = call.args.get("channel") or call.args.get("channel_id")
        assert where.startswith(("D", "U")), (call.method, where)  # a DM, or a person (their DM)
    assert not fake_slack.called("chat.postEphemeral")  # replies go through response_url, never a channel


@pytest.fixture
def desk(make_services, fake_slack, tmp_path):
    with served(make_services, fake_slack, tmp_path) as running:
        yield running


# -- entitlement -------------------------------------------------------------------------------------------
def test_someone_not_entitled_gets_the_same_refusal_whatever_they_ask(desk, fake_slack):
    notes = [desk.log(school="A", student=STUDENT, type="attendance") for _ in range(12)]  # a page and more
    page = desk.command(ANA, "/notes", f"student:{STUDENT} type:attendance")
    [more] = buttons(page)[kit.MORE]
    mine = desk.command(ANA, "/note", f"school:A student:{STUDENT} {TEXT}")
    [edit], [delete] = buttons(mine)[kit.EDIT], buttons(mine)[kit.DELETE]

    asked = [desk.command(OLI, "/note"), desk.command(OLI, "/note", f"school:A student:{STUDENT} {TEXT}"),
             desk.command(OLI, "/note", "help"), desk.command(OLI, "/notes"), desk.command(OLI, "/notes", "help"),
             desk.command(OLI, "/notes", f"student:{STUDENT}"),  # matches twelve notes
             desk.command(OLI, "/notes", "student:XX-0000"),  # matches none
             desk.command(OLI, "/notes", "school:B since:2020-01-01"), desk.command(OLI, "/notes", "school:NOPE"),
             desk.command(OLI, "/notes", "export"), desk.command(OLI, "/notes", f"export student:{STUDENT}"),
             desk.press(OLI, kit.EDIT, edit, block_id=kit.ONE), desk.press(OLI, kit.DELETE, delete, block_id=kit.ONE),
             desk.press(OLI, kit.EDIT, "999999"), desk.press(OLI, kit.DELETE, "999999"),
             desk.press(OLI, kit.MORE, more), desk.press(OLI, kit.MORE, "not a cursor")]  # fmt: skip
    said = {refusal_of(reply) for reply in asked}
    assert len(said) == 1 and asked[0]["text"] == REFUSAL
    # the form, opened by someone entitled and submitted by someone who is not: the same words, on the form
    form = desk.open_form(ANA)
    assert desk.submit(OLI, form, type="tutoring", text=TEXT) == {"response_action": "errors",
                                                                  "errors": {kit.TEXT: REFUSAL}}  # fmt: skip
    # nothing was opened, sent, changed or deleted for them
    assert len(fake_slack.called("views.open")) == 1
    assert not fake_slack.called("files.completeUploadExternal") and not fake_slack.called("conversations.open")  # fmt: skip
    assert len(desk.stored()) == len(notes) + 1


def test_leaving_the_channel_ends_access_at_once_or_within_a_minute(desk, fake_slack):
    desk.log(type="tutoring")
    assert desk.command(ANA, "/notes")["text"] != REFUSAL  # membership is now cached
    assert desk.command(BEN, "/notes")["text"] != REFUSAL
    fake_slack.members[LEAD] = [BEN, BOT_USER]  # ANA leaves, and Slack says so
    assert desk.slack.event({"type": "member_left_channel", "user": ANA, "channel": LEAD, "channel_type": "C",
                             "team": "T0001", "event_ts": "1.0"})[0] == 200  # fmt: skip
    assert desk.command(ANA, "/notes")["text"] == REFUSAL
    assert desk.command(ANA, "/note", f"type:tutoring {TEXT}")["text"] == REFUSAL

    fake_slack.members[LEAD] = [BOT_USER]  # BEN leaves, and the event is lost
    desk.later(61)
    assert desk.command(BEN, "/notes")["text"] == REFUSAL

    fake_slack.members[LEAD] = [OLI, BOT_USER]  # OLI joins: entitled at once
    assert desk.slack.event({"type": "member_joined_channel", "user": OLI, "channel": LEAD, "channel_type": "C",
                             "team": "T0001", "event_ts": "2.0"})[0] == 200  # fmt: skip
    assert TEXT in shown(desk.command(OLI, "/notes"))

    fake_slack.members[LEAD] = [f"U{n:05d}" for n in range(450)] + [BEN, BOT_USER]  # BEN is back, on page 3
    pages = len(fake_slack.called("conversations.members"))
    desk.later(61)
    assert desk.command(BEN, "/notes")["text"] != REFUSAL
    assert len(fake_slack.called("conversations.members")) == pages + 3  # every page of 200 was read


# -- logging ---------------------------------------------------------------------------------------------
def test_a_note_is_logged_with_the_form_and_confirmed_privately_with_its_buttons(desk, fake_slack):
    form = desk.open_form(ANA)
    blocks = {b.get("block_id"): b for b in form["blocks"]}
    assert [o["value"] for o in blocks[kit.TYPE]["element"]["options"]][:2] == ["credit_rescue", "credit_recovery"]  # fmt: skip
    assert [o["value"] for o in blocks[kit.SCHOOL]["element"]["options"]] == ["A", "B"]
    assert blocks[kit.FOLLOW_UP]["element"]["type"] == "datepicker" and blocks[kit.TEXT]["element"]["multiline"]  # fmt: skip
    assert desk.submit(ANA, form, school="A", student=STUDENT, type="attendance", tier="2", priority="literacy",
                       follow_up="2026-12-01", text=TEXT) is None  # saved: the modal closes  # fmt: skip
    [note] = desk.stored()
    assert (note.school, note.student, note.type, note.tier, note.priority, note.text, note.author) == (
        "A", STUDENT, "attendance", 2, "literacy", TEXT, ANA)  # fmt: skip
    assert str(note.follow_up) == "2026-12-01"
    confirmed = fake_slack.wait_for("response_url")[-1].args  # where /note was typed, privately
    text = shown(confirmed)
    assert all(part in text for part in ("Note logged", TEXT, STUDENT, "Alpha PS (A)", "*Tier:* 2"))
    assert buttons(confirmed) == {kit.EDIT: [kit.note_value(note)], kit.DELETE: [kit.note_value(note)]}
    [delete] = [e for b in confirmed["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == kit.DELETE]  # fmt: skip
    assert delete["confirm"]["confirm"]["text"] == "Delete"  # Slack asks before it is pressed


def test_a_note_is_logged_in_one_line_with_its_fields_in_any_order(desk):
    reply = desk.command(ANA, "/note", f"priority:literacy {TEXT} school:\"Beta PS\" type:tutoring "
                                       f"student:{STUDENT} tier:3 follow_up:2026-12-04")  # fmt: skip
    [note] = desk.stored()
    assert (note.school, note.student, note.type, note.tier, note.priority) == ("B", STUDENT, "tutoring", 3, "literacy")  # fmt: skip
    assert TEXT in note.text and "Note logged" in reply["text"]
    assert buttons(reply) == {kit.EDIT: [kit.note_value(note)], kit.DELETE: [kit.note_value(note)]}


def test_bad_input_says_what_is_wrong_and_keeps_what_was_typed(desk):
    typed = f"school:ZZ9 type:juggling tier:7 follow_up:2026-01-01 student:{STUDENT} {TEXT} <!channel> & more"
    reply = desk.command(ANA, "/note", typed)
    text = shown(reply)
    assert "ZZ9" in text and "juggling" in text and "Nothing was saved" in text
    assert f"/note {typed}".replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in text  # all of it  # fmt: skip
    assert desk.command(ANA, "/note", "school:A")["text"].count("school:A") == 1  # no text: said, and repeated  # fmt: skip
    assert desk.stored() == []

    form = desk.open_form(ANA)
    said = desk.submit(ANA, form, school="A", type="tutoring", follow_up="2026-01-01", student="Jane Smith", text=TEXT)  # fmt: skip
    assert said["response_action"] == "errors"
    assert set(said["errors"]) == {kit.FOLLOW_UP, kit.STUDENT}  # each under its field; the text stays typed
    assert desk.stored() == []


# -- finding -----------------------------------------------------------------------------------------------
def test_notes_are_listed_newest_first_ten_at_a_time_with_more(desk):
    logged = []
    for n in range(23):
        desk.later(60)
        logged.append(desk.log(text=f"Note number {n:02d} about tutoring", school="AB"[n % 2 == 0], type="tutoring"))  # fmt: skip
    first = desk.command(ANA, "/notes")
    assert "Note number 22" in shown(first) and "Note number 12" not in shown(first)
    assert buttons(first)[kit.EDIT] == [kit.note_value(n) for n in logged[::-1][:10]]
    second = desk.press(ANA, kit.MORE, buttons(first)[kit.MORE][0])
    assert buttons(second)[kit.EDIT] == [kit.note_value(n) for n in logged[::-1][10:20]]
    third = desk.press(ANA, kit.MORE, buttons(second)[kit.MORE][0])
    assert buttons(third)[kit.EDIT] == [kit.note_value(n) for n in logged[::-1][20:]] and kit.MORE not in buttons(third)  # fmt: skip

    in_a = desk.command(ANA, "/notes", "school:A")  # the filters go on to the next page
    rest = desk.press(ANA, kit.MORE, buttons(in_a)[kit.MORE][0])
    assert buttons(in_a)[kit.EDIT] + buttons(rest)[kit.EDIT] == [kit.note_value(n) for n in logged[::-1] if n.school == "A"]  # fmt: skip
    assert len(buttons(in_a)[kit.MORE][0]) <= 2000
    assert "No notes match" in shown(desk.command(ANA, "/notes", "student:XX-0000"))
    bad = shown(desk.command(ANA, "/notes", "school:A since:yesterday"))
    assert "since: 'yesterday' is not a date" in bad and "/notes school:A since:yesterday" in bad


def test_others_see_notes_but_only_the_author_or_an_admin_may_change_them(desk, fake_slack):
    note = desk.log(ANA, school="A", type="tutoring")
    seen_by_ben = desk.command(BEN, "/notes")
    assert TEXT in shown(seen_by_ben) and kit.EDIT not in buttons(seen_by_ben)  # no buttons for BEN
    assert desk.press(BEN, kit.EDIT, kit.note_value(note))["text"] == NOT_YOURS
    refused = desk.press(BEN, kit.DELETE, kit.note_value(note))  # the service's reason
    assert refused["text"] == f"only its author (<@{ANA}>) or an admin can change note {note.id}"
    assert [n.id for n in desk.stored()] == [note.id]

    # the admin: the form, filled in
    form = desk.press(ADA, kit.EDIT, kit.note_value(note), block_id=kit.ONE, opens=True)
    held = {b["block_id"]: b["element"] for b in form["blocks"] if b["type"] == "input"}
    assert held[kit.TEXT]["initial_value"] == TEXT and held[kit.SCHOOL]["initial_option"]["value"] == "A"
    assert desk.submit(ADA, form, text="Moved to Thursdays.") is None
    changed = fake_slack.wait_for("response_url", len(fake_slack.called("response_url")))[-1].args
    assert "Note changed" in shown(changed) and "Moved to Thursdays." in shown(changed)
    assert changed["replace_original"] is True  # in place of the message its Edit was on
    [kept] = desk.stored()
    assert (kept.text, kept.school, kept.type, kept.updated_by) == ("Moved to Thursdays.", "A", "tutoring", ADA)  # fmt: skip

    # 3,250 characters, more than Slack's form holds: logging refuses it, but a note stored by other means
    # (straight into the database) must not be opened in a form that would cut it
    long = desk.services.notes.store.add(Draft(text="A long note. " * 250), ANA, desk.now[0])
    assert desk.press(ANA, kit.EDIT, kit.note_value(long))["text"] == TOO_LONG.format(id=long.id)
    desk.session(ANA).delete(long.id, now=desk.now[0])

    gone = desk.press(ANA, kit.DELETE, kit.note_value(note), block_id=kit.ONE)  # the author
    assert gone["replace_original"] is True and "deleted" in gone["text"] and "Thursdays" not in shown(gone)
    assert desk.stored() == []
    assert desk.press(ANA, kit.EDIT, kit.note_value(note))["text"] == GONE


def test_an_export_arrives_as_a_file_in_a_direct_message(desk, fake_slack):
    desk.log(school="A", student=STUDENT, type="attendance")
    desk.log(text="Beta school support visit", school="B", type="school_support_visit")
    reply = desk.command(ANA, "/notes", "export school:A")
    assert "Sent to your direct messages" in reply["text"] and TEXT not in shown(reply)
    [opened] = fake_slack.called("conversations.open")
    assert opened.args["users"] == ANA
    [done] = fake_slack.called("files.completeUploadExternal")
    dm = opened.reply["channel"]["id"]
    assert done.args["channel_id"] == dm and dm.startswith("D")
    [exported] = [f for f in fake_slack.files.values() if f.get("channel") == dm]
    rows = list(csv.DictReader(io.StringIO(exported["content"].decode())))
    assert list(rows[0]) == ["id", "school", "student", "type", "tier", "tier_from", "priority", "text", "follow_up", "author",
                             "created_at"]  # fmt: skip
    assert [(r["school"], r["student"], r["text"]) for r in rows] == [("A", STUDENT, TEXT)]


def test_notes_turned_off_say_how_to_turn_them_on(make_services, fake_slack, tmp_path):
    with served(make_services, fake_slack, tmp_path, toml=DISTRICT) as running:  # no [notes]
        for said in (running.command(ANA, "/note", TEXT), running.command(ANA, "/notes")):
            assert "no [notes] section" in said["text"] and TEXT not in shown(said)


def test_notes_blocks_stay_within_slacks_limits_and_escape_what_people_typed():
    nasty = "<!channel> & <https://evil.example|click> *bold* " * 100  # 4,900 characters of markup
    note = Note(id=7, school="A", student="<!here>", type="tutoring", tier=2, priority="literacy", text=nasty,
                follow_up=None, author=ANA, created_at=NOW, updated_at=NOW, updated_by=ADA)  # fmt: skip
    names = {"A": "Alpha & <Omega>"}
    text, built = kit.note_message(note, names=names, heading="Note logged", may_change=True)
    assert blocks_problem(built) is None and len(text) <= 3000
    assert "<!channel>" not in json.dumps([text, built]) and "<!here>" not in json.dumps(built)
    text, built = kit.page_message([note] * 10, names=names, may_change=lambda n: True, heading="Notes",
                                   more="x" * 2000)  # fmt: skip
    assert blocks_problem(built) is None and buttons({"blocks": built})[kit.MORE] == ["x" * 2000]
    with pytest.raises(ValueError):
        kit.more_button("x" * 2001)
    text, built = kit.typed_reply(["school: 'ZZ' is not a school"], nasty + "```", command="/note", saving=True)  # fmt: skip
    assert blocks_problem(built) is None and "<!channel>" not in json.dumps([text, built])
    many = {f"S{n:03d}": f"School {n}" for n in range(150)}  # too many for a select: a text input instead
    view = kit.note_modal(types=["tutoring"], priorities=[], schools=many, note=note, metadata="{}")
    assert view_problem(view) is None
    held = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert held[kit.SCHOOL]["type"] == "plain_text_input" and kit.PRIORITY not in held
    assert len(held[kit.TEXT]["initial_value"]) == 3000  # Slack's most; the note is longer than a form holds
    retired = Note(**{**note.__dict__, "type": "mentoring"})  # a type since removed from the district file
    assert view_problem(kit.note_modal(types=["tutoring"], priorities=[], schools={}, note=retired)) is None


def test_the_console_logs_and_lists_as_you_and_refuses_someone_else(desk):
    out: list[str] = []
    with Console(desk.services, write=out.append) as console:
        console.send("/note")
        console.send(f"/submit A | {STUDENT} | attendance | 2 | literacy | - | {TEXT} | and more")
        assert "Note logged" in "\n".join(out) and f"{TEXT} | and more" in "\n".join(out)
        out.clear()
        console.send(f"/note school:B type:tutoring {TEXT}")
        console.send("/notes school:B")
        assert "Beta PS (B)" in "\n".join(out) and "[Edit]  [Delete]" in "\n".join(out)
        [note] = [n for n in desk.stored() if n.school == "B"]
        console.send(f"/click Delete {note.id}")
        assert f"Note {note.id} is deleted." in "\n".join(out)
        out.clear()
        console.send("/as U0OTHER")
        console.send("/notes")
        console.send("/note")
        assert "\n".join(out).count(REFUSAL) == 2 and "a modal opens" not in "\n".join(out)
