"""`resolute notes export --format edfi`: the sample district's notes as Ed-Fi documents that pass Ed-Fi's
own JSON Schemas; every mapped field as the district file and schools.csv say; notes that cannot be
exported listed with why and the rest written; audited as an export; a clear message, and nothing written,
without [notes.edfi]; and never a note's text, author or follow-up in the files."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from bot.district.config import EdfiTable
from bot.district.model import School
from bot.notes import edfi as edfi_module
from bot.notes.edfi import Export, edfi_documents, intervention_code, write
from bot.notes.model import Note
from tests.test_district import write_district
from tests.test_notes_cli import HEADER, listed
from tests.test_notes_cli import TOML as NOTES_TOML
from tests.test_notes_cli import cli as cli  # the fixture: `resolute ...` at NOW, on Toronto's clock

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "bot" / "notes" / "edfi"
FILES = ["interventions.json", "studentInterventionAssociations.json"]
EDFI = """
[notes.edfi]
education_organization_id = 255901
type_map = { credit_rescue = "Supplement", tutoring = "Practice", attendance = "Other" }
delivery_method = "Small Group"
namespace = "uri://example.k12.us"
"""
TOML = NOTES_TOML + EDFI
# A has its own Ed-Fi id; B has none, so its notes are the district's
SCHOOLS = "school_id,name,level,cluster,edfi_id\nA,Alpha PS,elementary,North,255901001\nB,Beta PS,elementary,South,\n"
# Toronto is UTC-5 in November: 02:00 UTC on the 15th is the 14th there, 04:30 UTC on the 19th the 18th
NOTES = HEADER + (
    "A,S0001,credit_rescue,2,literacy,Lab make-up plan agreed with the science teacher,2026-12-04,UANA,"
    "2026-11-15T02:00:00+00:00\n"
    "A,S0001,credit_rescue,2,,Second check-in on the lab make-up plan,,UBEN,2026-11-17T14:00:00+00:00\n"
    "A,S0002,credit_rescue,3,,Contract signed with the family about missing labs,,UANA,2026-11-18T10:00:00+00:00\n"
    "A,S0001,attendance,1,,Called home about eleven missed days,,UANA,2026-11-20T19:00:00+00:00\n"
    "B,jk-07,tutoring,,,Fractions help three mornings a week,,UBEN,2026-11-19T15:00:00+00:00\n"
    ",S0003,tutoring,,,Reading help before school with a volunteer,,UBEN,2026-11-19T04:30:00+00:00\n"
)
TEXTS = [line.split(",")[5] for line in NOTES.splitlines()[1:]]
SKIPPED = HEADER + (
    "A,,tutoring,,,Phonics group of four met twice,,UANA,2026-11-19T15:00:00+00:00\n"
    "A,S0004,other,,,Met the guidance counsellor about the timetable,,UANA,2026-11-19T15:00:00+00:00\n"
    f"A,S{'0' * 32},tutoring,,,Reference copied with extra digits,,UANA,2026-11-19T15:00:00+00:00\n"
    "B,S0005,attendance,,,Attendance letter went home,,UBEN,2026-11-19T15:00:00+00:00\n"
)


def validators() -> dict[str, Draft202012Validator]:
    """Ed-Fi's schemas read here on their own, not through the module under test."""
    return {
        name: Draft202012Validator(
            json.loads((SCHEMAS / f"{Path(name).stem}.schema.json").read_text()),
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        for name in FILES
    }


def read(out: Path) -> tuple[list[dict], list[dict]]:
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)  # nothing else: no temporary file left
    return tuple(json.loads((out / name).read_text(encoding="utf-8")) for name in FILES)


def setup(cli, tmp_path, *, notes: str = NOTES, toml: str = TOML, schools: str = SCHOOLS) -> dict[str, int]:
    """The district with [notes.edfi] loaded and `notes` imported: each note's id by its text."""
    write_district(tmp_path / "knowledge" / "district", toml=toml, schools=schools)
    assert cli("data", "load", "--no-index", toml=None).exit_code == 0
    (tmp_path / "notes.csv").write_text(notes)
    result = cli("notes", "import", str(tmp_path / "notes.csv"), toml=None)
    assert result.exit_code == 0, result.output
    return {n["text"]: n["id"] for n in listed(cli)}


def test_the_sample_districts_notes_export_and_pass_ed_fis_schemas(cli, tmp_path):
    sample = ROOT / "knowledge" / "district"
    folder = tmp_path / "knowledge" / "district"
    shutil.copytree(sample, folder, dirs_exist_ok=True)
    assert cli("data", "load", "--no-index", toml=None).exit_code == 0
    assert cli("notes", "import", str(sample / "notes.csv"), toml=None).exit_code == 0
    no_student = [n["id"] for n in listed(cli) if not n["student"]]

    result = cli("notes", "export", "--format", "edfi", toml=None)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Wrote 7 interventions and 7 student associations to edfi-export; 1 note not exported:",
        f"note {no_student[0]}: no student reference",
    ]
    interventions, associations = read(tmp_path / "edfi-export")
    checks = validators()
    for name, docs in zip(FILES, (interventions, associations), strict=True):
        for doc in docs:
            assert not list(checks[name].iter_errors(doc)), doc
    assert {(i["educationOrganizationReference"]["educationOrganizationId"], i["interventionIdentificationCode"])
            for i in interventions} == {(255901016, "resolute-RB16-credit_rescue"),
                                        (255901016, "resolute-RB16-tutoring"),
                                        (255901016, "resolute-RB16-attendance"),
                                        (255901019, "resolute-RB19-credit_recovery"),
                                        (255901001, "resolute-RB01-tutoring"),
                                        (255901017, "resolute-RB17-credit_anticipation"),
                                        (255901004, "resolute-RB04-attendance")}  # fmt: skip
    # the module's own check agrees, and a document that breaks the schema is caught by it
    assert edfi_module.validate(Export(interventions, associations)) == []
    broken = [dict(interventions[0], beginDate="2026-13-01")]
    [problem] = edfi_module.validate(Export(broken, []))
    assert problem.startswith("interventions 2559010") and "is not a 'date' (at $.beginDate)" in problem


def test_every_mapped_field_round_trips(cli, tmp_path):
    setup(cli, tmp_path)
    result = cli("notes", "export", "--out", "ed-fi", toml=None)
    assert result.exit_code == 0, result.output
    assert result.stdout == "Wrote 3 interventions and 5 student associations to ed-fi.\n"
    interventions, associations = read(tmp_path / "ed-fi")
    classes, delivery = (
        "uri://example.k12.us/InterventionClassDescriptor#",
        "uri://example.k12.us/DeliveryMethodDescriptor#",
    )

    def intervention(org: int, code: str, cls: str, begin: str) -> dict:
        return {"interventionIdentificationCode": code, "educationOrganizationReference": {"educationOrganizationId": org},
                "interventionClassDescriptor": classes + cls, "deliveryMethodDescriptor": delivery + "Small Group",
                "beginDate": begin}  # fmt: skip

    assert interventions == [
        # B has no edfi_id and the S0003 note no school: both are the district's (255901); the earliest of
        # them was logged at 04:30 UTC on the 19th, the 18th in Toronto
        intervention(255901, "resolute-district-tutoring", "Practice", "2026-11-18"),
        intervention(255901001, "resolute-A-attendance", "Other", "2026-11-20"),
        # 02:00 UTC on the 15th is the 14th in Toronto
        intervention(255901001, "resolute-A-credit_rescue", "Supplement", "2026-11-14"),
    ]

    def association(student: str, org: int, code: str) -> dict:
        return {"studentReference": {"studentUniqueId": student},
                "interventionReference": {"educationOrganizationId": org, "interventionIdentificationCode": code}}  # fmt: skip

    assert associations == [  # S0001's two credit rescue notes are one association
        association("S0003", 255901, "resolute-district-tutoring"),
        association("jk-07", 255901, "resolute-district-tutoring"),  # as written
        association("S0001", 255901001, "resolute-A-attendance"),
        association("S0001", 255901001, "resolute-A-credit_rescue"),
        association("S0002", 255901001, "resolute-A-credit_rescue"),
    ]
    keys = {(i["educationOrganizationReference"]["educationOrganizationId"], i["interventionIdentificationCode"])
            for i in interventions}  # fmt: skip
    assert all(tuple(a["interventionReference"].values()) in keys for a in associations)
    # the same notes export to the same bytes
    before = [(tmp_path / "ed-fi" / name).read_bytes() for name in FILES]
    assert cli("notes", "export", "--out", "ed-fi", toml=None).exit_code == 0
    assert [(tmp_path / "ed-fi" / name).read_bytes() for name in FILES] == before


def test_notes_that_cannot_be_exported_are_listed_with_why_and_the_rest_written(cli, tmp_path):
    ids = setup(cli, tmp_path, notes=SKIPPED)
    result = cli("notes", "export", toml=None)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Wrote 1 intervention and 1 student association to edfi-export; 3 notes not exported:",
        f"note {ids['Phonics group of four met twice']}: no student reference",
        f"note {ids['Met the guidance counsellor about the timetable']}: type 'other' has no Ed-Fi class in "
        "[notes.edfi] type_map",
        f"note {ids['Reference copied with extra digits']}: the student reference is 33 characters; Ed-Fi's "
        "studentUniqueId holds 32",
    ]
    interventions, associations = read(tmp_path / "edfi-export")
    assert [i["interventionIdentificationCode"] for i in interventions] == ["resolute-district-attendance"]
    assert [a["studentReference"]["studentUniqueId"] for a in associations] == ["S0005"]
    # nothing exportable at all (tutoring and attendance no longer mapped): an earlier export is left as it
    # was, every note is listed, and the exit code says nothing was written
    before = [(tmp_path / "edfi-export" / name).read_bytes() for name in FILES]
    narrower = TOML.replace(', tutoring = "Practice", attendance = "Other"', "")
    write_district(tmp_path / "knowledge" / "district", toml=narrower, schools=SCHOOLS)
    assert cli("data", "load", "--no-index", toml=None).exit_code == 0
    none = cli("notes", "export", toml=None)
    assert none.exit_code == 1 and "Traceback" not in none.output and none.stdout == ""
    assert (
        none.stderr.splitlines()[-1]
        == "No note could be exported (4 matched); nothing was written to edfi-export."
    )
    assert len(none.stderr.splitlines()) == 5
    assert [(tmp_path / "edfi-export" / name).read_bytes() for name in FILES] == before


def test_the_export_is_audited_with_its_format_and_the_notes_it_read(cli, tmp_path):
    ids = setup(cli, tmp_path)
    result = cli("notes", "export", "--since", "2026-11-18", toml=None)
    assert result.exit_code == 0, result.output
    audit = cli("notes", "audit", "--json", toml=None)
    assert audit.exit_code == 0, audit.output
    [row] = [r for r in json.loads(audit.stdout) if r["action"] == "export"]
    assert row["actor"].startswith("cli:")
    assert row["details"]["format"] == "edfi" and row["details"]["filters"] == {"since": "2026-11-18"}
    # logged on or after the 18th in Toronto: not the two earliest credit rescue notes
    early = {ids[TEXTS[0]], ids[TEXTS[1]]}
    assert sorted(row["details"]["ids"]) == sorted(set(ids.values()) - early)
    for text in TEXTS:
        assert text not in audit.stdout


def test_a_bad_date_gets_the_usual_message_and_writes_nothing(cli, tmp_path):
    setup(cli, tmp_path)
    result = cli("notes", "export", "--since", "18/11/2026", toml=None)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "since: '18/11/2026' is not a date such as 2026-09-01" in result.stderr
    assert not (tmp_path / "edfi-export").exists()


def test_without_notes_edfi_the_message_says_what_to_add_and_nothing_is_written(cli, tmp_path):
    setup(cli, tmp_path, toml=NOTES_TOML)
    result = cli("notes", "export", toml=None)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "no [notes.edfi] table" in result.stderr
    for key in ("[notes.edfi]", "education_organization_id = ", "type_map = { credit_rescue = ", "edfi_id",
                "resolute data load"):  # fmt: skip
        assert key in result.stderr
    assert not (tmp_path / "edfi-export").exists()
    rows = json.loads(cli("notes", "audit", "--json", toml=None).stdout)
    assert "export" not in [r["action"] for r in rows]  # refused before any note was read


def test_no_note_text_author_or_follow_up_leaves_resolute(cli, tmp_path):
    setup(cli, tmp_path)
    assert cli("notes", "export", toml=None).exit_code == 0
    written = "".join((tmp_path / "edfi-export" / name).read_text(encoding="utf-8") for name in FILES)
    for text in TEXTS:
        for word in text.split():
            if len(word) > 4:  # no word of it either
                assert word not in written, word
    for kept in ("UANA", "UBEN", "2026-12-04", "literacy"):  # authors, a follow-up, a priority
        assert kept not in written
    interventions, associations = read(tmp_path / "edfi-export")
    assert {k for i in interventions for k in i} == {"interventionIdentificationCode", "beginDate",
        "educationOrganizationReference", "interventionClassDescriptor", "deliveryMethodDescriptor"}  # fmt: skip
    assert {k for a in associations for k in a} == {"studentReference", "interventionReference"}


def test_a_document_that_breaks_the_schema_is_a_fault_and_nothing_is_written(cli, tmp_path, monkeypatch):
    setup(cli, tmp_path)
    monkeypatch.setattr(edfi_module, "intervention_code", lambda label, type_: f"resolute-{label}-{type_} ")
    result = cli("notes", "export", toml=None)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "interventions 255901001/resolute-A-attendance : " in result.stderr
    assert "studentInterventionAssociations 255901/resolute-district-tutoring /S0003: " in result.stderr
    assert "does not match" in result.stderr and "nothing was written" in result.stderr
    assert not (tmp_path / "edfi-export").exists()


def note(id_: int, student: str | None, *, school: str | None = "A", type_: str = "tutoring") -> Note:
    return Note(id=id_, school=school, student=student, type=type_, tier=None, priority=None, text="private",
                follow_up=None, author="UANA", created_at=datetime(2026, 11, 19, 15, tzinfo=UTC))  # fmt: skip


def test_references_ed_fi_cannot_hold_are_skipped_and_long_codes_shortened_the_same_way_each_time():
    edfi = EdfiTable(education_organization_id=255901, type_map={"tutoring": "Practice"})
    long_id = "A" * 70
    schools = {"A": School("A", "Alpha PS", "elementary", "North", edfi_id=1),
               long_id: School(long_id, "Long PS", "elementary", "North", edfi_id=2)}  # fmt: skip
    found = edfi_documents([note(1, " S1"), note(2, "S2 "), note(3, "S3\nS4"), note(4, "S" * 32),
                            note(5, "S5", school=long_id), note(6, "S6", school="Z9")],
                           edfi=edfi, schools=schools, timezone="America/Toronto")  # fmt: skip
    assert [n for n, _ in found.skipped] == [1, 2, 3]
    assert "starts or ends with a space" in found.skipped[0][1] and "line break" in found.skipped[2][1]
    codes = {i["educationOrganizationReference"]["educationOrganizationId"]: i["interventionIdentificationCode"]
             for i in found.interventions}  # fmt: skip
    # a school no longer in schools.csv is the district's
    assert codes[1] == "resolute-A-tutoring" and codes[255901] == "resolute-district-tutoring"
    assert (
        len(codes[2]) == 60
        and codes[2].startswith("resolute-AAAA")
        and codes[2] == intervention_code(long_id, "tutoring")
    )
    assert intervention_code(long_id, "tutoring") != intervention_code(long_id + "B", "tutoring")
    assert not edfi_module.validate(found)
    assert date.fromisoformat(found.interventions[0]["beginDate"]) == date(2026, 11, 19)


def test_two_schools_with_one_ed_fi_id_are_refused():
    edfi = EdfiTable(education_organization_id=255901, type_map={"tutoring": "Practice"})
    schools = {"A": School("A", "Alpha PS", "elementary", "North", edfi_id=7),
               "B": School("B", "Beta PS", "elementary", "North", edfi_id=7)}  # fmt: skip
    with pytest.raises(edfi_module.EdfiProblem, match="Ed-Fi id 7 is given to school A and school B"):
        edfi_documents([note(1, "S1")], edfi=edfi, schools=schools, timezone="UTC")


def test_a_failed_write_leaves_the_earlier_export_and_no_temporary_file(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write(Export([{"a": 1}], [{"b": 2}]), out)
    before = [(out / name).read_bytes() for name in FILES]
    real = json.dump
    calls = []

    def failing(obj, f, **kw):
        calls.append(obj)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(obj, f, **kw)

    monkeypatch.setattr(edfi_module.json, "dump", failing)
    with pytest.raises(OSError, match="disk full"):
        write(Export([{"a": 3}], [{"b": 4}]), out)
    assert [(out / name).read_bytes() for name in FILES] == before
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
