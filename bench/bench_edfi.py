"""Ed-Fi export benchmark. Prints figures; asserts nothing.

    python bench/bench_edfi.py [--notes 100000] [--students 5000]

Loads the sample district (its 20 schools, all but two with an Ed-Fi id, and a [notes.edfi] table mapping
five note types) into a fresh data dir, stores N notes in one go through the operator's notes store
(NotesStore.add_many, as an import does, without embedding them: the export never reads the notes corpus),
spread over the schools, a few without a school, the students and the five types over the last 700 days.
Then times `resolute notes export --format edfi` as the command runs it (bot.notes.edfi.export_notes:
reading the notes and auditing that, building the documents, checking each against Ed-Fi's schemas,
writing the two files), against the 30 s bar for 100,000 notes, and each of those steps on its own.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BAR_S = 30.0
TYPES = ("credit_rescue", "credit_recovery", "tutoring", "attendance", "school_support_visit")
WORDS = ["student", "met", "teacher", "plan", "credit", "lab", "attendance", "family", "call", "mentor",
         "reading", "math", "guidance", "pathway", "week", "check-in", "progress", "missed", "assignment"]  # fmt: skip


def district(folder: Path) -> None:
    """The sample district: its [notes.edfi] maps five of its seven note types, every school has an edfi_id."""
    shutil.copytree(ROOT / "knowledge" / "district", folder, dirs_exist_ok=True)
    (folder / "notes.csv").unlink()  # not needed: the notes are stored below


def new_notes(count: int, students: int, schools: list[str], now: datetime) -> list:
    from bot.notes.model import Draft
    from bot.notes.store import NewNote

    rng = random.Random(7)
    authors = [f"U{i:08d}" for i in range(40)]
    home = {s: rng.choice(schools) for s in range(students)}  # a student's school, mostly
    made = []
    for _ in range(count):
        student = rng.randrange(students)
        school = home[student] if rng.random() < 0.9 else rng.choice([None, *schools])
        draft = Draft(
            text=" ".join(rng.choice(WORDS) for _ in range(rng.randint(15, 60))),
            school=school,
            student=f"S{student:05d}" if rng.random() < 0.97 else None,
            type=rng.choice(TYPES),
            tier=rng.choice([None, 1, 2, 3]),
        )
        created = now - timedelta(seconds=rng.randint(0, 700 * 86400))
        made.append(NewNote(draft, rng.choice(authors), created))
    return made


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--students", type=int, default=5000)
    args = parser.parse_args()

    from bot.config import load_settings
    from bot.notes import edfi
    from bot.notes.model import Filters
    from bot.services import Services

    with tempfile.TemporaryDirectory() as tmp:
        knowledge = Path(tmp) / "knowledge"
        district(knowledge / "district")
        services = Services(load_settings(data_dir=Path(tmp) / "data", knowledge_dir=knowledge))
        services.district.load()
        now = datetime.now(UTC)
        session = services.notes.operator("bench")
        schools = sorted(services.district.store.schools())
        made = new_notes(args.notes, args.students, schools, now)
        started = time.perf_counter()
        session.notes.store.add_many(made, actor=session.actor, now=now, details={"source": "bench"})
        print(f"{args.notes:,} notes over {len(schools)} schools, {args.students:,} students and "
              f"{len(TYPES)} types stored in {time.perf_counter() - started:.1f} s (add_many, not embedded)")  # fmt: skip

        out = Path(tmp) / "edfi-export"
        started = time.perf_counter()
        done = edfi.export_notes(session, Filters(), now=now, out=out)
        seconds = time.perf_counter() - started
        documents = len(done.interventions) + len(done.associations)
        verdict = "within" if seconds <= BAR_S else "OVER"
        print(f"export --format edfi: {done.notes:,} notes -> {documents:,} documents "
              f"({len(done.interventions)} interventions, {len(done.associations):,} student associations; "
              f"{len(done.skipped):,} notes not exported) in {seconds:.2f} s ({verdict} the {BAR_S:.0f} s bar)")  # fmt: skip
        size = sum(p.stat().st_size for p in out.iterdir())
        print(f"  written: {size / 1e6:.1f} MB in {out.name}/")

        # each step on its own, as export_notes runs them
        config, notes_config = session.notes.settings()
        steps = {}
        started = time.perf_counter()
        found = session.exported(Filters(), now=now, how="edfi")
        steps["read the notes (and audit)"] = time.perf_counter() - started
        started = time.perf_counter()
        built = edfi.edfi_documents(found, edfi=notes_config.edfi, schools=services.district.store.schools(),
                                    timezone=config.timezone)  # fmt: skip
        steps["build the documents"] = time.perf_counter() - started
        started = time.perf_counter()
        problems = edfi.validate(built)
        steps[f"check them against the schemas ({len(problems)} problems)"] = time.perf_counter() - started
        started = time.perf_counter()
        edfi.write(built, out)
        steps["write the two files"] = time.perf_counter() - started
        for step, took in steps.items():
            print(f"  {step}: {took:.2f} s")
        services.engine.dispose()


if __name__ == "__main__":
    main()
