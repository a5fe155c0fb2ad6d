"""Progress benchmark. Prints figures; asserts nothing.

    python bench/bench_progress.py [--schools 5000] [--years 10]

Writes a district of N schools x 7 measures x Y years (the six on-the-move measures and graduation)
to a temporary folder, loads it with `resolute data load`, then times `resolute progress --json` as a
user runs it: the whole command, a new process each time (five runs).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MEASURES = ["g3_reading", "g3_writing", "g3_math", "g6_reading", "g6_writing", "g6_math", "graduation"]


def write(folder: Path, schools: int, years: int) -> int:
    rng = random.Random(7)
    first = 2026 - years
    (folder / "district.toml").write_text(
        '[district]\nname = "Benchmark District"\ntimezone = "America/Toronto"\n'
        + "".join(f'\n[[priorities]]\nkey = "{k}"\nname = "{k}"\nmessage = "{k}"\n' for k in ("literacy", "numeracy", "graduation"))
        + "".join(f'\n[[targets]]\npriority = "{p}"\nmeasure = "{m}"\nlabel = "{m}"\nbaseline = {{ year = {first}, value = 60.0 }}\n'
                  f"goal = {{ year = 2026, value = 75.0 }}\n"
                  for p, m in [("literacy", "g3_reading"), ("literacy", "g6_reading"), ("numeracy", "g3_math"),
                               ("numeracy", "g6_math"), ("graduation", "graduation")])
    )  # fmt: skip
    with (folder / "schools.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["school_id", "name", "level", "cluster"])
        for i in range(schools):
            w.writerow([f"S{i:05d}", f"School {i}", "elementary", f"C{i % 40}"])
    rows = 0
    with (folder / "results.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["school_id", "measure", "year", "value", "students"])
        for i in range(schools):
            for m in MEASURES:
                v = rng.uniform(35, 85)
                for y in range(first, 2026):
                    v = min(100.0, max(0.0, v + rng.uniform(-2.5, 3.5)))
                    w.writerow([f"S{i:05d}", m, y, round(v, 1), rng.randint(20, 120)])
                    rows += 1
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--schools", type=int, default=5000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    resolute = [sys.executable, "-m", "bot.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "knowledge" / "district"
        folder.mkdir(parents=True)
        rows = write(folder, args.schools, args.years)
        env = {
            **os.environ,
            "RESOLUTE_DATA_DIR": str(Path(tmp) / "data"),
            "RESOLUTE_KNOWLEDGE_DIR": str(Path(tmp) / "knowledge"),
        }
        started = time.perf_counter()
        subprocess.run([*resolute, "data", "load", "--no-index"], env=env, check=True, capture_output=True)
        print(f"{args.schools} schools x {len(MEASURES)} measures x {args.years} years = {rows} results; "
              f"`resolute data load` --no-index (validate, store, write data cards) took {time.perf_counter() - started:.1f} s")  # fmt: skip
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            out = subprocess.run(
                [*resolute, "progress", "--json"], env=env, check=True, capture_output=True
            ).stdout
            times.append(time.perf_counter() - started)
        report = json.loads(out)
        print(f"`resolute progress --json`, whole command: median {statistics.median(times):.2f} s, "
              f"max {max(times):.2f} s over {args.runs} runs (bar: <= 2 s)")  # fmt: skip
        print(f"  {len(report['targets'])} targets, {len(report['schools_on_the_move'])} schools on the move, "
              f"{len(report['coasting_schools'])} coasting")  # fmt: skip


if __name__ == "__main__":
    main()
