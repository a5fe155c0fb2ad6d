"""`/note` and `/notes` as people type them, over Slack's protocol: fields with a space after the colon, a
colon in the prose that stays text, a field given twice refused with both values, smart quotes and line
breaks kept, a confirmation that shows every field as stored, names with digits refused, and a note
whose follow-up has passed still editable."""

from __future__ import annotations

import pytest

from bot.slack.blocks import notes as kit
from tests.test_notes_slack import ANA, STUDENT, TEXT, buttons, served, shown


@pytest.fixture
def desk(make_services, fake_slack, tmp_path):
    with served(make_services, fake_slack, tmp_path) as running:
        yield running


TYPED = f"school: A student: {STUDENT} type: tutoring priority: literacy Met with student: discussed the plan"


def test_a_one_line_note_reads_fields_typed_with_a_space_after_the_colon(desk):
    desk.command(ANA, "/note", TYPED)
    [note] = desk.stored()
    assert (note.school, note.student, note.type, note.priority, note.tier, note.follow_up) == (
        "A", STUDENT, "tutoring", "literacy", None, None)  # fmt: skip
    assert note.text == "Met with student: discussed the plan"  # a colon in the prose is text: no word lost


def test_the_confirmation_shows_every_field_as_stored(desk):
    reply = desk.command(ANA, "/note", TYPED)
    head, text = reply["blocks"][0]["text"]["text"], reply["blocks"][1]["text"]["text"]
    assert head == (
        "*Note logged*\n*School:* Alpha PS (A)\n*Student:* ZQ-4417\n*Type:* `tutoring`\n*Tier:* _none_\n"
        "*Priority:* `literacy`\n*Follow-up:* _none_"
    )
    assert text == "*Note:*\nMet with student: discussed the plan"
    assert buttons(reply)[kit.EDIT] == [kit.note_value(desk.stored()[0])]


def test_a_field_given_twice_is_refused_with_both_values(desk):
    said = shown(desk.command(ANA, "/note", f"school:A type:tutoring {TEXT} school:B"))
    assert "school: given 2 times ('A' and 'B'); keep one" in said and "Nothing was saved" in said
    assert f"/note school:A type:tutoring {TEXT} school:B" in said  # what was typed, to copy
    assert desk.stored() == []
    listed = shown(desk.command(ANA, "/notes", "type: tutoring type:attendance"))
    assert "type: given 2 times ('tutoring' and 'attendance'); keep one" in listed


def test_notes_filters_read_fields_typed_with_a_space_after_the_colon(desk):
    desk.log(school="A", type="tutoring")
    desk.log(text="Beta support visit", school="B", type="school_support_visit")
    page = shown(desk.command(ANA, "/notes", 'school: "Beta PS" type: school_support_visit'))
    assert "Beta support visit" in page and TEXT not in page


def test_a_one_line_note_keeps_smart_quotes_and_line_breaks_as_typed(desk):
    typed = "school:\u201cBeta PS\u201d type:tutoring Mum said \u201cwe\u2019ll try\u201d\n\nNext:  Thursday"
    desk.command(ANA, "/note", typed)
    [note] = desk.stored()
    assert (note.school, note.type) == ("B", "tutoring")
    assert note.text == "Mum said \u201cwe\u2019ll try\u201d\n\nNext:  Thursday"


def test_a_student_reference_that_reads_as_a_name_with_digits_is_refused(desk):
    for ref in ("Jane Doe 10", "Jane10"):
        said = shown(desk.command(ANA, "/note", f'student:"{ref}" type:tutoring {TEXT}'))
        assert f"student: '{ref}' looks like a name" in said, said
    form = desk.open_form(ANA)
    refused = desk.submit(ANA, form, type="tutoring", student="Jane Doe 10", text=TEXT)
    assert set(refused["errors"]) == {kit.STUDENT}
    assert desk.stored() == []
    desk.command(ANA, "/note", f'student:"JK 10" type:tutoring {TEXT}')  # initials and a number: not a name
    assert [n.student for n in desk.stored()] == ["JK 10"]


def test_a_note_whose_follow_up_has_passed_can_still_be_edited(desk):
    [edit] = buttons(desk.command(ANA, "/note", f"type:tutoring follow_up:2026-11-23 {TEXT}"))[kit.EDIT]
    desk.later(7 * 86400)  # now 2026-11-27: the follow-up date has passed
    form = desk.press(ANA, kit.EDIT, edit, block_id=kit.ONE, opens=True)
    assert desk.submit(ANA, form, text="Moved to Thursdays.") is None  # the date, as it was, is kept
    [note] = desk.stored()
    assert (note.text, note.follow_up.isoformat()) == ("Moved to Thursdays.", "2026-11-23")
    form = desk.press(ANA, kit.EDIT, edit, block_id=kit.ONE, opens=True)
    assert desk.submit(ANA, form, follow_up="2026-11-24") == {  # a changed date must not be past
        "response_action": "errors",
        "errors": {kit.FOLLOW_UP: "follow_up: 2026-11-24 is in the past (today is 2026-11-27)"},
    }
    assert desk.submit(ANA, form, follow_up="2026-12-04") is None
    assert desk.stored()[0].follow_up.isoformat() == "2026-12-04"
