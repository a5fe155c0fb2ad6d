"""Intervention notes' rules, below Slack: the one-line grammar, what a note may hold, who is entitled,
who may change a note, pages, counts, retention, import and export, and an audit without text."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.notes.importing import import_csv
from bot.notes.model import NOTES_CORPUS, REFUSAL, Filters, NotEntitled, NoteProblem, NotesOff
from bot.notes.parse import parse_filters, parse_note
from bot.notes.session import looks_like_a_name
from bot.notes.store import FORGOTTEN
from tests.test_district import TOML, write_district

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # Friday 10:00 in Toronto, the district's zone
LEAD = "C0LEAD0001"
ANA, BEN, ADA, ZED = "UANA", "UBEN", "UADA", "UZED"  # two readers, an admin (not in the channel), an outsider
NOTES = f'\n[notes]\nreaders = "channel"\nadmins = ["{ADA}"]\nretention_days = 30\n'
SECRET = "Quillfeather reading plan for the Grade 2 group"


class Members:
    """The leadership channel as Slack lists it; counts how often it was asked."""

    def __init__(self, *people: str) -> None:
        self.people, self.asked = list(people), 0

    def __call__(self, channel: str) -> list[str]:
        assert channel == LEAD
        self.asked += 1
        return list(self.people)


@pytest.fixture
def notes_on(make_services, tmp_path, request):
    """Services with the test district loaded and notes on (on SQLite, or PostgreSQL when asked)."""
    url = getattr(request, "param", None)
    write_district(tmp_path / "knowledge" / "district", toml=TOML + NOTES)
    services = make_services(**({"database_url": url} if url else {}), clock=lambda: NOW)
    services.district.load()
    return services


def session(services, user: str = ANA, members: Members | None = None, now: datetime = NOW):
    return services.notes.session(user, members=members or Members(ANA, BEN), now=now)


def log(s, now: datetime = NOW, **fields):
    return s.log(s.draft({"text": SECRET, **fields}, now=now), now=now)


# -- the one-line grammar --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("school:RB01 student:S1234 type:credit_rescue priority:graduation Met the family",
         {"school": "RB01", "student": "S1234", "type": "credit_rescue", "priority": "graduation",
          "text": "Met the family"}),
        ("Met the family type:tutoring tier:2", {"type": "tutoring", "tier": "2", "text": "Met the family"}),
        ('school:"Maple PS" Called home', {"school": "Maple PS", "text": "Called home"}),
        ("school:\u201cMaple PS\u201d Called home follow-up:2026-12-01",
         {"school": "Maple PS", "follow_up": "2026-12-01", "text": "Called home"}),
        ("Ratio was 3:1 and note:this stays", {"text": "Ratio was 3:1 and note:this stays"}),
        ("followup:2026-12-01 due soon", {"follow_up": "2026-12-01", "text": "due soon"}),
    ],
)  # fmt: skip
def test_a_one_line_note_takes_its_fields_anywhere_and_keeps_the_rest_as_text(typed, expected):
    assert parse_note(typed) == expected


def test_filters_take_the_same_grammar():
    assert parse_filters('school:"Maple PS" since:2026-09-01 author:<@UANA>') == {
        "school": "Maple PS", "since": "2026-09-01", "author": "<@UANA>", "text": ""}  # fmt: skip


@pytest.mark.parametrize(
    "ref", ["S1234", "J.K.", "JK", "J K", "jkl", "RB01-0042", "JK 10", "ZX 4417", "STU1234"]
)
def test_codes_and_initials_are_not_names(ref):
    assert not looks_like_a_name(ref)


@pytest.mark.parametrize(
    "ref", ["Jane Doe", "jane", "Mary-Kate Olsen", "O'Brien", "Jane Doe 10", "Jane10", "jane 4", "Stu1234"]
)
def test_names_look_like_names(ref):
    assert looks_like_a_name(ref)


# -- what a note may hold --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"text": "  "}, "the note is empty: write what was done after the fields"),
        ({"school": "Gamma PS"}, "school: 'Gamma PS' is not a school; use an id or a name such as A (Alpha PS), "
                                 "B (Beta PS)"),
        ({"type": "counselling"}, "type: 'counselling' is not a note type (credit_rescue, credit_recovery, "
                                  "credit_anticipation, tutoring, attendance, school_support_visit, other)"),
        ({"priority": "sports"}, "priority: 'sports' is not a priority (literacy)"),
        ({"tier": "4"}, "tier: '4' must be 1, 2 or 3, or a move such as 2->3"),
        ({"follow_up": "2026-11-19"}, "follow_up: 2026-11-19 is in the past (today is 2026-11-20)"),
        ({"follow_up": "next week"}, "follow_up: 'next week' is not a date such as 2026-12-01"),
        ({"student": "Jane Doe"}, "student: 'Jane Doe' looks like a name; use the student's code or initials "
                                  "(the district keeps names out of notes)"),
    ],
)  # fmt: skip
def test_each_fault_is_named_and_nothing_is_stored(notes_on, fields, problem):
    s = session(notes_on)
    with pytest.raises(NoteProblem) as caught:
        s.draft({"text": SECRET, **fields}, now=NOW)
    assert caught.value.problems == [problem]
    assert s.list(Filters(), now=NOW).notes == []


def test_every_fault_at_once_and_the_fields_that_pass(notes_on):
    s = session(notes_on)
    with pytest.raises(NoteProblem) as caught:
        s.draft({"text": "", "tier": "0", "type": "nope"}, now=NOW)
    assert [p.split(":")[0] for p in caught.value.problems] == ["the note is empty", "type", "tier"]
    draft = s.draft({"text": " Called home ", "school": "beta ps", "type": "Tutoring", "priority": "LITERACY",
                     "tier": "2", "follow_up": "2026-11-20", "student": "J.K."}, now=NOW)  # fmt: skip
    assert (draft.text, draft.school, draft.type, draft.priority, draft.tier) == (
        "Called home", "B", "tutoring", "literacy", 2)  # fmt: skip
    assert draft.follow_up == date(2026, 11, 20) and draft.student == "J.K."  # today is not the past
    assert s.draft({"text": "x"}, now=NOW).type == "other"  # no type: "other"


def test_names_pass_when_the_district_allows_them(make_services, tmp_path):
    write_district(tmp_path / "knowledge" / "district", toml=TOML + NOTES + "allow_student_names = true\n")
    services = make_services()
    services.district.load()
    assert session(services).draft({"text": "x", "student": "Jane Doe"}, now=NOW).student == "Jane Doe"


def test_notes_off_says_how_to_turn_them_on(make_services, tmp_path):
    write_district(tmp_path / "knowledge" / "district")
    services = make_services()
    with pytest.raises(NotesOff, match="no district data is loaded"):
        session(services)
    services.district.load()
    with pytest.raises(NotesOff, match=r"no \[notes\] section"):
        session(services)


# -- who is entitled -------------------------------------------------------------------------------
def test_only_the_channels_members_and_admins_are_entitled_with_one_refusal(notes_on):
    members = Members(ANA, BEN)
    assert session(notes_on, ANA, members).admin is False
    assert session(notes_on, ADA, members).admin is True  # an admin, though not in the channel
    with pytest.raises(NotEntitled) as caught:
        session(notes_on, ZED, members)
    assert str(caught.value) == REFUSAL


def test_membership_is_asked_again_after_a_minute_or_at_once_after_an_event(notes_on):
    members = Members(ANA, BEN)
    notes = notes_on.notes
    assert notes.entitled(ANA, members=members, now=NOW) and members.asked == 1
    members.people = [BEN]  # ANA leaves the channel
    assert notes.entitled(ANA, members=members, now=NOW + timedelta(seconds=59))  # the cache, under a minute
    assert not notes.entitled(ANA, members=members, now=NOW + timedelta(seconds=60)) and members.asked == 2
    members.people = [ANA, BEN]  # back; Slack says so with member_joined_channel
    notes.forget_members(LEAD)
    assert notes.entitled(ANA, members=members, now=NOW + timedelta(seconds=61)) and members.asked == 3


def test_listed_readers_need_no_channel(make_services, tmp_path):
    write_district(tmp_path / "knowledge" / "district", toml=TOML + f'\n[notes]\nreaders = ["{BEN}"]\n')
    services = make_services()
    services.district.load()
    never = Members()
    assert services.notes.entitled(BEN, members=never, now=NOW) and not services.notes.entitled(
        ANA, members=never, now=NOW
    )
    assert never.asked == 0


# -- changing, and the audit -----------------------------------------------------------------------
def test_only_the_author_or_an_admin_changes_a_note_and_the_audit_never_holds_text(notes_on):
    ana, ben, ada = session(notes_on, ANA), session(notes_on, BEN), session(notes_on, ADA)
    note = log(ana, school="A", student="S77", type="tutoring")
    edited = ben.draft({"text": "Changed by Ben", "type": "tutoring"}, now=NOW)
    with pytest.raises(
        NoteProblem, match=f"only its author \\(<@{ANA}>\\) or an admin can change note {note.id}"
    ):
        ben.edit(note.id, edited, now=NOW)
    with pytest.raises(NoteProblem, match="only its author"):
        ben.delete(note.id, now=NOW)
    assert ana.get(note.id).text == SECRET
    later = NOW + timedelta(hours=1)
    changed = ana.edit(note.id, ana.draft({"text": "Second version", "school": "B", "type": "tutoring"}, now=later),
                       now=later)  # fmt: skip
    assert (changed.text, changed.school, changed.updated_by, changed.created_at) == (
        "Second version",
        "B",
        ANA,
        NOW,
    )
    ada.delete(note.id, now=later)  # an admin may
    assert ana.get(note.id) is None
    with pytest.raises(NoteProblem, match=f"note {note.id} no longer exists"):
        ana.delete(note.id, now=later)
    rows = notes_on.notes.operator("it").audit()
    assert [(r["actor"], r["action"], r["note_id"]) for r in rows] == [
        (ANA, "create", note.id), (ANA, "edit", note.id), (ADA, "delete", note.id)]  # fmt: skip
    # the note is deleted: the rows about it keep its fields but its student reference (it had one once)
    assert rows[0]["details"] == {"school": "A", "student": FORGOTTEN, "type": "tutoring"}
    assert rows[1]["details"] == {"before": {"school": "A", "student": FORGOTTEN, "type": "tutoring"},
                                  "after": {"school": "B", "type": "tutoring"}, "text_changed": True}  # fmt: skip
    dumped = json.dumps(rows)
    assert SECRET not in dumped and "Second version" not in dumped
    with pytest.raises(NoteProblem, match="resolute notes audit"):
        ana.audit()


def test_search_follows_each_change_at_once(notes_on):
    s = session(notes_on)
    search = notes_on.index(NOTES_CORPUS)
    note = log(s)
    assert [h.passage.source for h in search.search(SECRET)] == [f"note:{note.id}"]
    s.edit(note.id, s.draft({"text": "Harbourlight numeracy visit notes"}, now=NOW), now=NOW)
    [hit] = search.search("Harbourlight numeracy visit")
    assert "Harbourlight" in hit.passage.text and "Quillfeather" not in hit.passage.text
    s.delete(note.id, now=NOW)
    assert search.search("Harbourlight numeracy visit") == []


def test_a_note_that_cannot_be_made_searchable_is_not_kept(notes_on, monkeypatch):
    s = session(notes_on)
    monkeypatch.setattr(notes_on.notes, "index", lambda notes: (_ for _ in ()).throw(RuntimeError("down")))
    with pytest.raises(RuntimeError):
        log(s)
    assert s.list(Filters(), now=NOW).notes == []


# -- finding ---------------------------------------------------------------------------------------
@pytest.fixture
def many(make_services, tmp_path, database_url):
    """25 notes, several logged at the same moment, on both stores (straight into the store: no model)."""
    write_district(tmp_path / "knowledge" / "district", toml=TOML + NOTES)
    services = make_services(**({"database_url": database_url} if database_url else {}))
    services.district.load()
    s = session(services)
    for n in range(25):
        at = NOW - timedelta(hours=2 * (n // 3))  # three at each moment, two hours apart
        draft = s.draft({"text": f"note {n}", "school": "AB"[n % 2], "type": ("tutoring", "attendance")[n % 2],
                         "student": "s9" if n % 5 == 0 else "", "priority": "literacy" if n < 10 else ""}, now=at)  # fmt: skip
        services.notes.store.add(draft, (ANA, BEN)[n % 2], at)
    return services


def test_pages_are_newest_first_with_no_gap_or_repeat(many):
    s = session(many)
    seen, more = [], None
    while True:
        page = s.list(Filters(), more=more, limit=10, now=NOW)
        seen += page.notes
        more = page.more
        if not more:
            break
    assert len(seen) == 25 and len({n.id for n in seen}) == 25
    keys = [(n.created_at, n.id) for n in seen]
    assert keys == sorted(keys, reverse=True)
    assert len(s.list(Filters(school="A"), limit=50, now=NOW).notes) == 13
    assert len(s.list(Filters(student="S9"), now=NOW).notes) == 5  # any case
    assert len(s.list(Filters(type="attendance", priority="literacy"), now=NOW).notes) == 5
    assert len(s.list(Filters(author=BEN), limit=50, now=NOW).notes) == 12
    since = s.filters(parse_filters("since:2026-11-20"))  # Toronto's day: from 05:00 UTC
    assert len(s.list(since, limit=50, now=NOW).notes) == 18  # 15:00 back to 05:00 UTC, six moments
    assert many.notes.counts(NOW - timedelta(hours=2), NOW + timedelta(seconds=1)) == {
        ("attendance", "literacy"): 3, ("tutoring", "literacy"): 3}  # fmt: skip


def test_filters_refuse_what_they_do_not_know(notes_on):
    s = session(notes_on)
    with pytest.raises(NoteProblem) as caught:
        s.filters(parse_filters("school:Gamma type:nope since:yesterday author:bob stray"))
    assert [p.split(":")[0] for p in caught.value.problems] == ["'stray' is not a filter; use school", "school",
                                                                "type", "since", "author"]  # fmt: skip
    assert s.filters(parse_filters('author:<@UBEN|ben> school:"alpha ps"')) == Filters(school="A", author=BEN)


# -- retention -------------------------------------------------------------------------------------
def test_retention_deletes_old_notes_from_the_store_and_search_and_says_so(notes_on):
    s = session(notes_on)
    old = log(s, now=NOW - timedelta(days=31))
    new = log(s, now=NOW - timedelta(days=29))
    assert notes_on.notes.expire(NOW) == [old.id]
    assert s.get(old.id) is None and s.get(new.id) is not None
    assert [h.passage.source for h in notes_on.index(NOTES_CORPUS).search(SECRET)] == [f"note:{new.id}"]
    [expired] = [r for r in notes_on.notes.operator("it").audit() if r["action"] == "expire"]
    assert expired["details"] == {"ids": [old.id], "retention_days": 30} and expired["actor"] == "resolute"
    assert notes_on.notes.expire(NOW) == []


# -- import and export -----------------------------------------------------------------------------
GOOD = (
    "school,student,type,tier,priority,text,follow_up,author,created_at\n"
    'A,S1,tutoring,2,literacy,"Two lines,\nwith a comma",2026-10-01,UANA,2026-10-25T12:00:00+00:00\n'
    "B,,attendance,,,Called home,,UBEN,2026-10-26\n"
)


def test_an_import_is_all_or_nothing_with_each_bad_line_named(notes_on):
    op = notes_on.notes.operator("it")
    bad = GOOD + "C,Jane Doe,tutoring,5,,,2020-01-01,bob,tomorrow\n"
    with pytest.raises(NoteProblem) as caught:
        import_csv(op, bad, now=NOW, source="notes.csv")
    assert caught.value.problems == [
        "line 5: the note is empty: write what was done after the fields",
        "line 5: school: 'C' is not a school; use an id or a name such as A (Alpha PS), B (Beta PS)",
        "line 5: student: 'Jane Doe' looks like a name; use the student's code or initials (the district "
        "keeps names out of notes)",
        "line 5: tier: '5' must be 1, 2 or 3, or a move such as 2->3",
        "line 5: author: 'bob' is not a Slack user id such as U0123456789",
        "line 5: created_at: 'tomorrow' is not a date or an ISO date and time",
    ]
    assert op.list(Filters(), now=NOW).notes == []
    with pytest.raises(NoteProblem, match="line 1: unknown column 'colour'"):
        import_csv(op, "text,author,colour\nx,UANA,red\n", now=NOW, source="x.csv")
    added = import_csv(op, GOOD, now=NOW, source="notes.csv").notes
    assert [(n.author, n.text, n.follow_up) for n in added] == [
        (ANA, "Two lines,\nwith a comma", date(2026, 10, 1)), (BEN, "Called home", None)]  # fmt: skip
    assert added[1].created_at == datetime(2026, 10, 26, 4, 0, tzinfo=UTC)  # midnight in Toronto
    assert import_csv(op, GOOD, now=NOW, source="notes.csv").notes == []  # the same file again adds nothing
    exported = list(csv.DictReader(io.StringIO(op.export_csv(Filters(), now=NOW))))
    assert [r["text"] for r in exported] == ["Called home", "Two lines,\nwith a comma"]
    assert list(exported[0]) == ["id", "school", "student", "type", "tier", "tier_from", "priority", "text", "follow_up",
                                 "author", "created_at"]  # fmt: skip
    actions = [r["action"] for r in op.audit()]
    assert actions == ["list", "import", "export"] and "Called home" not in json.dumps(op.audit())
    exported = op.export_csv(Filters(), now=NOW)
    assert import_csv(op, exported, now=NOW, source="export.csv").notes == []  # its ids ignored, notes there


def test_a_moved_follow_up_is_reminded_again_and_times_in_any_zone_mean_the_same_moment(notes_on):
    from zoneinfo import ZoneInfo

    s = session(notes_on)
    store = notes_on.notes.store
    note = log(s, follow_up="2026-11-25")
    assert store.claim_follow_up(note.id, NOW)
    store.follow_up_sent(note.id, NOW)
    assert notes_on.notes.due_follow_ups(date(2026, 11, 30)) == []  # sent: not again
    s.edit(note.id, s.draft({"text": "x", "follow_up": "2026-11-25"}, now=NOW), now=NOW)  # the same day
    assert notes_on.notes.due_follow_ups(date(2026, 11, 30)) == []
    s.edit(note.id, s.draft({"text": "x", "follow_up": "2026-12-02"}, now=NOW), now=NOW)  # a new date
    assert [n.id for n in notes_on.notes.due_follow_ups(date(2026, 12, 2))] == [note.id]
    toronto = NOW.astimezone(ZoneInfo("America/Toronto"))  # 10:00 the same morning
    assert notes_on.notes.counts(toronto - timedelta(minutes=1), toronto + timedelta(minutes=1)) == {
        ("other", None): 1
    }
    assert notes_on.notes.counts(toronto + timedelta(minutes=1), toronto + timedelta(hours=6)) == {}
