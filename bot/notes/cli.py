"""`resolute notes ...`: intervention notes for whoever runs Resolute (list, import, audit).

The command acts as the operator ("cli:<login>"): whoever can run it holds the database, so it reads
every note; each listing and import is audited like one made in Slack.
"""

from __future__ import annotations

import getpass
import json
from datetime import date, datetime, time
from pathlib import Path

import click

PAGE = 500  # notes read per query while listing
TEXT_CHARS = 60  # how much of a note's text the table shows


def _services(ctx: click.Context):
    return ctx.find_root().obj["services"]


def _session(ctx: click.Context):
    """The operator's session, or a clear message (exit 1) when notes are off."""
    from bot.notes.model import NotesOff

    notes = _services(ctx).notes
    try:
        notes.config()
        return notes.operator(getpass.getuser())
    except NotesOff as exc:
        raise click.ClickException(str(exc)) from None


def _problems(problems: list[str], what: str) -> None:
    """Every problem on stderr, then exit 1."""
    for problem in problems:
        click.echo(problem, err=True)
    click.echo(what, err=True)
    click.get_current_context().exit(1)


def _json(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=_iso)


def _iso(value):
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


@click.group()
def notes() -> None:
    """Intervention notes: list them, import a CSV of them, read who did what (the audit)."""


@notes.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of notes.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV, as `import` reads it (formulas made text).")
@click.option("--school", help="A school's id or name.")
@click.option("--student", help="A student reference (code or initials).")
@click.option("--type", "type_", help="An intervention type, e.g. credit_rescue.")
@click.option("--priority", help="A priority's key.")
@click.option("--since", help="Notes logged on or after this day (YYYY-MM-DD).")
@click.option("--author", help="The author's Slack user id.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1), help="At most this many.")
@click.pass_context
def list_notes(ctx: click.Context, as_json: bool, as_csv: bool, school: str | None, student: str | None,
               type_: str | None, priority: str | None, since: str | None, author: str | None,
               limit: int) -> None:  # fmt: skip
    """The notes that match, newest first."""
    from bot.notes.model import NoteProblem
    from bot.notes.session import filters_from

    if as_json and as_csv:
        raise click.UsageError("--json and --csv: choose one")
    session = _session(ctx)
    now = _services(ctx).clock()
    given = {"school": school, "student": student, "type": type_, "priority": priority, "since": since,
             "author": author}  # fmt: skip
    try:
        filters = filters_from({k: v for k, v in given.items() if v is not None}, session)
    except NoteProblem as exc:
        _problems(exc.problems, "Nothing listed.")
    found, more = [], None
    while len(found) < limit:
        page = session.list(filters, more=more, limit=min(limit - len(found), PAGE), now=now)
        found += page.notes
        more = page.more
        if not more or not page.notes:
            break
    if as_json:
        click.echo(_json([n.as_dict() for n in found]))
    elif as_csv:
        from bot.csvcells import csv_text
        from bot.notes.model import JSON_KEYS

        click.echo(csv_text(JSON_KEYS, (n.as_dict() for n in found)), nl=False)
    else:
        click.echo(table(found) if found else "No notes match.")
    if more and len(found) >= limit:
        click.echo(f"More notes match: --limit {limit * 2} shows more.", err=True)


def table(found: list) -> str:
    """Notes as a plain-text table, one line each, the text shortened."""
    head = ("id", "logged", "school", "student", "type", "tier", "priority", "follow_up", "author", "text")
    rows = [head] + [
        (str(n.id), f"{n.created_at:%Y-%m-%d}", n.school or "", n.student or "", n.type, str(n.tier or ""),
         n.priority or "", str(n.follow_up or ""), n.author, _short(n.text))
        for n in found
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(head) - 1)]
    return "\n".join("  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[-1]]) for r in rows)


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= TEXT_CHARS else flat[: TEXT_CHARS - 1].rstrip() + "…"


@notes.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--restore", is_flag=True, help="Store again the rows of notes that were deleted.")
@click.pass_context
def import_notes(ctx: click.Context, file: Path, restore: bool) -> None:
    """Add the notes in a CSV file, all or nothing; a note already there is not added twice.

    Columns: school, student, type, tier, priority, text, follow_up, author, created_at (the header
    of `list --json`'s keys; id is ignored). A row older than retention_days or dated after now is refused;
    so is a row of a note that was deleted, unless --restore. Times are compared to the second.
    """
    from bot.notes.importing import import_csv
    from bot.notes.model import NoteProblem

    try:
        text = file.read_text(encoding="utf-8-sig")  # a spreadsheet's BOM is no part of the first column
    except UnicodeDecodeError as exc:
        raise click.ClickException(
            f"{file} is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8"
        ) from None
    session = _session(ctx)
    try:
        done = import_csv(session, text, now=_services(ctx).clock(), source=file.name, restore=restore)
    except NoteProblem as exc:
        _problems(exc.problems, f"Nothing was imported from {file}: fix the lines above and run it again.")
    restored = f", {len(done.restored)} of them restored ({_lines(done.restored)})" if done.restored else ""
    there = len(done.already)
    said = f"{there} {'was' if there == 1 else 'were'} already there" + (
        f" ({_lines(done.already)})" if done.already else ""
    )
    count = len(done.notes)
    click.echo(f"Imported {count} new note{'' if count == 1 else 's'} from {file}{restored}; {said}.")


def _lines(numbers: list[int]) -> str:
    return ("line " if len(numbers) == 1 else "lines ") + ", ".join(map(str, numbers))


@notes.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="From this day (YYYY-MM-DD) on.")
@click.pass_context
def audit(ctx: click.Context, as_json: bool, since: datetime | None) -> None:
    """Who did what to which notes, when, with which fields (never a note's text)."""
    session = _session(ctx)
    start = None
    if since is not None:  # the start of that day on the district's clock
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(_services(ctx).district.config().timezone)
        start = datetime.combine(since.date(), time(), tzinfo=zone)
    rows = session.audit(since=start)
    if as_json:
        click.echo(_json(rows))
        return
    for row in rows:
        at = row["at"].isoformat(timespec="seconds") if isinstance(row["at"], datetime) else str(row["at"])
        note = f"note {row['note_id']}" if row.get("note_id") is not None else "-"
        details = json.dumps(row.get("details") or {}, ensure_ascii=False, default=_iso)
        click.echo(f"{at}  {row['actor']}  {row['action']}  {note}  {details}")
    if not rows:
        click.echo("No audit entries" + (f" since {since:%Y-%m-%d}." if since else "."))


@notes.command()
@click.option("--student", required=True, help="The student reference (code or initials), any case.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, newest first.")
@click.pass_context
def access(ctx: click.Context, student: str, as_json: bool) -> None:
    """Who read, found, exported or changed a student's notes, and when, newest first.

    Every listing, answer, timeline, export, edit and deletion of the student's stored notes; kept as long as
    the notes are, then audit_retention_days more. A deleted note no longer names its student, so its rows
    are not found here (they stay in `resolute notes audit` until they expire)."""
    rows = _session(ctx).access(student)
    if as_json:
        click.echo(_json(rows))
        return
    for row in rows:
        ids = ", ".join(map(str, row["notes"]))
        click.echo(f"{row['at'].isoformat(timespec='seconds')}  {row['actor']}  {row['action']}  notes {ids}")
    if not rows:
        click.echo(f"No access to notes of student {student} is on record.")


@notes.command()
@click.option("--student", required=True, help="The student reference (code or initials), any case.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, oldest first.")
@click.pass_context
def timeline(ctx: click.Context, student: str, as_json: bool) -> None:
    """A student's notes, oldest first: type, tier (and moves between tiers), school, author, follow-up."""
    found = _session(ctx).timeline(student, now=_services(ctx).clock())
    if as_json:
        click.echo(_json([n.as_dict() for n in found]))
    elif found:
        click.echo(timeline_table(found))
    else:
        click.echo(f"No notes of student {student}.")


def timeline_table(found: list) -> str:
    """A student's notes as plain text, oldest first, one line each; a move between tiers is marked."""
    lines = []
    for n in found:
        tier = (
            f"tier {n.tier_from} -> {n.tier} (moved)" if n.tier_from else (f"tier {n.tier}" if n.tier else "")
        )
        follow = f"follow-up {n.follow_up}" if n.follow_up else ""
        held = [
            f"{n.created_at:%Y-%m-%d}",
            n.type,
            tier,
            n.school or "no school",
            n.author,
            follow,
            _short(n.text),
        ]
        lines.append("  ".join(p for p in held if p))
    return "\n".join(lines)


@notes.command("export")
@click.option("--format", "format_", type=click.Choice(["edfi"]), default="edfi", show_default=True,
              help="edfi: the Ed-Fi API's interventions and studentInterventionAssociations (Data Standard "
                   "5.x). For CSV, use `resolute notes list --csv`.")  # fmt: skip
@click.option("--since", help="Notes logged on or after this day (YYYY-MM-DD).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("edfi-export"),
              show_default=True, help="The folder to write the files in (made if need be).")  # fmt: skip
@click.pass_context
def export(ctx: click.Context, format_: str, since: str | None, out: Path) -> None:
    """Write the notes as Ed-Fi documents for the district's data staff to load: OUT/interventions.json
    and OUT/studentInterventionAssociations.json, set up by [notes.edfi] in the district file.

    One intervention per school (its edfi_id in schools.csv, else the district's) and note type, and one
    association per student and intervention. A note's text, author and follow-up are never written. A note
    that cannot be exported is listed with why; the rest are written. Every document is checked against
    Ed-Fi's schema first, and each file is replaced whole. Audited as an export."""
    from bot.notes.edfi import EdfiProblem, export_notes
    from bot.notes.model import NoteProblem
    from bot.notes.session import filters_from

    session = _session(ctx)
    try:
        filters = filters_from({"since": since} if since is not None else {}, session)
    except NoteProblem as exc:
        _problems(exc.problems, "Nothing exported.")
    try:
        done = export_notes(session, filters, now=_services(ctx).clock(), out=out)
    except EdfiProblem as exc:
        raise click.ClickException(str(exc)) from None
    left = [f"note {note_id}: {why}" for note_id, why in done.skipped]
    count = len(left)
    if done.interventions or not done.skipped:
        interventions, associations = len(done.interventions), len(done.associations)
        said = (f"Wrote {interventions} intervention{'' if interventions == 1 else 's'} and {associations} "
                f"student association{'' if associations == 1 else 's'} to {out}")  # fmt: skip
        if not done.notes:
            said = f"No notes match. {said}"
        click.echo(said + (f"; {count} note{'' if count == 1 else 's'} not exported:" if left else "."))
        for line in left:
            click.echo(line)
        return
    for line in left:
        click.echo(line, err=True)
    click.echo(f"No note could be exported ({done.notes} matched); nothing was written to {out}.", err=True)
    ctx.exit(1)
