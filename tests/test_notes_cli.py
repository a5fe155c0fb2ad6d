"""`resolute notes list|import|audit`: the JSON's keys, the filters, an all-or-nothing import with line
numbers, a re-import that adds nothing, an audit without text, and a clear message when notes are off."""

from __future__ import annotations

import functools
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.services import Services
from tests.test_checkins_week import TOML as CHECKINS_TOML
from tests.test_district import write_district

TOML = CHECKINS_TOML + '\n[notes]\nreaders = ["UANA", "UBEN"]\n'  # schools A (Alpha PS) and B (Beta PS)
KEYS = [
    "id",
    "school",
    "student",
    "type",
    "tier",
    "tier_from",
    "priority",
    "text",
    "follow_up",
    "author",
    "created_at",
]
NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
HEADER = "school,student,type,tier,priority,text,follow_up,author,created_at\n"
GOOD = HEADER + (
    'A,S0001,credit_rescue,2,literacy,"Lab make-up plan agreed, weekly check-in",,UANA,'
    "2026-11-16T14:05:00+00:00\n"
    "B,,tutoring,,numeracy,Fractions tutoring three mornings a week,,UBEN,2026-11-18T10:00:00+00:00\n"
    "Alpha PS,J.K.,attendance,1,,Called home about eleven missed days,,UANA,2026-11-20T19:00:00+00:00\n"
)


@pytest.fixture
def cli(tmp_path, monkeypatch, embeddings):
    """Run `resolute ...` on the test's data dir, with the session's embedding model; loads the district."""
    monkeypatch.setenv("RESOLUTE_KNOWLEDGE_DIR", str(tmp_path / "knowledge"))
    # a fixed clock: an import refuses rows older than retention_days, so today matters
    built = functools.partial(Services, embeddings=embeddings, clock=lambda: NOW)
    monkeypatch.setattr("bot.cli.Services", built)

    def run(*args: str, toml: str | None = TOML):
        if toml is not None:
            write_district(tmp_path / "knowledge" / "district", toml=toml)
        return CliRunner().invoke(main, list(args))

    assert run("data", "load", "--no-index").exit_code == 0
    return run


def listed(cli, *args: str) -> list[dict]:
    result = cli("notes", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def imported(cli, tmp_path):
    (tmp_path / "notes.csv").write_text(GOOD)
    result = cli("notes", "import", str(tmp_path / "notes.csv"))
    assert result.exit_code == 0, result.output
    assert "Imported 3 new notes" in result.stdout and "0 were already there" in result.stdout
    return tmp_path / "notes.csv"


def test_list_json_has_exactly_the_keys_newest_first(cli, imported):
    notes = listed(cli)
    assert [list(n) for n in notes] == [KEYS] * 3
    assert [n["text"] for n in notes] == ["Called home about eleven missed days",
                                          "Fractions tutoring three mornings a week",
                                          "Lab make-up plan agreed, weekly check-in"]  # fmt: skip
    assert notes[0]["school"] == "A" and notes[0]["student"] == "J.K." and notes[0]["tier"] == 1
    assert notes[2]["created_at"].startswith("2026-11-16T14:05:00") and notes[2]["follow_up"] is None


def test_list_filters(cli, imported):
    assert [n["text"][:5] for n in listed(cli, "--school", "A")] == ["Calle", "Lab m"]
    assert [n["text"][:5] for n in listed(cli, "--school", "beta ps")] == ["Fract"]
    assert [n["type"] for n in listed(cli, "--type", "tutoring")] == ["tutoring"]
    assert [n["priority"] for n in listed(cli, "--priority", "literacy")] == ["literacy"]
    assert [n["student"] for n in listed(cli, "--student", "S0001")] == ["S0001"]
    assert [n["author"] for n in listed(cli, "--author", "UBEN")] == ["UBEN"]
    assert len(listed(cli, "--since", "2026-11-18")) == 2
    assert len(listed(cli, "--limit", "1")) == 1
    wrong = cli("notes", "list", "--school", "Z9")
    assert wrong.exit_code == 1 and "Z9" in wrong.stderr and "Traceback" not in wrong.output


def test_list_prints_a_table_by_default(cli, imported):
    result = cli("notes", "list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "logged", "school", "student", "type", "tier", "priority", "follow_up",
                                "author", "text"]  # fmt: skip
    assert len(lines) == 4 and "Called home about eleven missed days" in lines[1]


def test_import_is_all_or_nothing_with_every_bad_line_named(cli, tmp_path):
    bad = GOOD.replace("B,,tutoring", "B,,knitting").replace("Alpha PS,J.K.", "Nowhere PS,J.K.")
    (tmp_path / "bad.csv").write_text(bad)
    result = cli("notes", "import", str(tmp_path / "bad.csv"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    problems = [line for line in result.stderr.splitlines() if line.startswith("line ")]
    assert [p.split(":")[0] for p in problems] == ["line 3", "line 4"]
    assert "knitting" in problems[0] and "Nowhere PS" in problems[1]
    assert "Nothing was imported" in result.stderr
    assert listed(cli) == []


def test_importing_the_same_file_again_adds_nothing(cli, imported):
    again = cli("notes", "import", str(imported))
    assert again.exit_code == 0, again.output
    assert "Imported 0 new notes" in again.stdout and "3 were already there" in again.stdout
    assert len(listed(cli)) == 3


def test_audit_says_who_did_what_without_any_text(cli, imported):
    listed(cli, "--school", "A")
    result = cli("notes", "audit", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    actions = [r["action"] for r in rows]
    assert "import" in actions and "list" in actions
    assert all(r["actor"].startswith("cli:") for r in rows)
    for text in ("Lab make-up", "Fractions", "Called home"):
        assert text not in result.stdout
    plain = cli("notes", "audit", "--since", "2000-01-01")
    assert plain.exit_code == 0 and "import" in plain.stdout and "Called home" not in plain.stdout
    assert "No audit entries since 2999-01-01." in cli("notes", "audit", "--since", "2999-01-01").stdout


@pytest.mark.parametrize("command", [["list"], ["audit"], ["import", "notes.csv"]])
def test_with_notes_off_the_commands_say_so_and_exit_1(cli, tmp_path, command):
    (tmp_path / "notes.csv").write_text(GOOD)
    cli("data", "load", "--no-index", toml=CHECKINS_TOML)  # a district file without [notes]
    result = cli("notes", *command, toml=None)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "[notes]" in result.output or "notes" in result.output.lower()


def test_with_no_data_loaded_the_commands_say_so(tmp_path, monkeypatch, embeddings):
    monkeypatch.setattr("bot.cli.Services", functools.partial(Services, embeddings=embeddings))
    result = CliRunner().invoke(main, ["notes", "list"])
    assert result.exit_code == 1 and "Traceback" not in result.output and result.output.strip()


# a word of three letters or more with a vowel is a name's, unless it is in capitals and shorter than four
NAMES = ["Amy 10", "Ali 10", "Ali10", "Eva", "jane10", "JANE10", "JaneDoe10", "Jane-Doe10", "Jane.Doe10",
         "Jane_Doe_10", "Stu1234", "O'Brien", "Zo\u00eb", "\u0410\u043d\u043d\u0430", "\u674e\u660e", "Lynn 7"]  # fmt: skip
CODES = ["S1234", "RB01-0042", "ZX 4417", "ZX-4417", "J.K.", "JK 10", "JKL", "jkl", "S04-1175", "S17-0981",
         "STU1234", "Al 10", "\u00c9L-10", "X\u00c6-12"]  # fmt: skip


def test_a_student_reference_that_reads_as_a_name_is_refused_and_a_code_is_not(cli, tmp_path):
    def table(refs: list[str]) -> str:
        return HEADER + "".join(f'A,"{ref}",tutoring,,,Plan {n},,UANA,2026-11-20T10:00:00+00:00\n'
                                for n, ref in enumerate(refs))  # fmt: skip

    (tmp_path / "names.csv").write_text(table(NAMES))
    refused = cli("notes", "import", str(tmp_path / "names.csv"))
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert [line for line in refused.stderr.splitlines() if line.startswith("line ")] == [
        f"line {n}: student: '{ref}' looks like a name; use the student's code or initials (the district "
        "keeps names out of notes)" for n, ref in enumerate(NAMES, start=2)]  # fmt: skip
    (tmp_path / "codes.csv").write_text(table(CODES))
    result = cli("notes", "import", str(tmp_path / "codes.csv"))
    assert result.exit_code == 0, result.output
    assert sorted(n["student"] for n in listed(cli)) == sorted(CODES)


def test_the_sample_districts_notes_import(cli, tmp_path):
    sample = Path(__file__).resolve().parent.parent / "knowledge" / "district"
    shutil.copytree(sample, tmp_path / "knowledge" / "district", dirs_exist_ok=True)
    assert cli("data", "load", "--no-index", toml=None).exit_code == 0
    result = cli("notes", "import", str(sample / "notes.csv"), toml=None)
    assert result.exit_code == 0, result.output
    assert "Imported 8 new notes" in result.stdout
