"""A cold `resolute ask`: a new process answering one question from the command line. Prints figures.

    python bench/bench_cold_ask.py [--runs 5] [--question "..."]

Ingests the sample knowledge folder into a temporary data dir (which exports the embedding model once),
then times whole `resolute ask` processes, wall clock, and lists what the slowest imports of one
run cost (`python -X importtime`), so a regression shows where it comes from.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESOLUTE = Path(sys.executable).with_name("resolute")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--question", default="What are the district's three priorities?")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="resolute-cold-") as tmp:
        env = os.environ | {"RESOLUTE_DATA_DIR": tmp, "RESOLUTE_KNOWLEDGE_DIR": str(ROOT / "knowledge")}
        start = time.perf_counter()
        subprocess.run([str(RESOLUTE), "ingest"], env=env, check=True, capture_output=True)
        print(f"ingest of the sample district (model export included): {time.perf_counter() - start:.1f} s")
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run([str(RESOLUTE), "ask", args.question], env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        print(f"cold `resolute ask`, {args.runs} runs: median {statistics.median(times):.2f} s, "
              f"max {max(times):.2f} s (bar: <= 3 s)")  # fmt: skip
        traced = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "bot.cli", "ask", args.question],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
    imports = []
    for line in traced.stderr.splitlines():
        if line.startswith("import time:") and "cumulative" not in line:
            _, cumulative, name = line.split("|", 2)
            if not name[1:].startswith("  "):  # the top level: what the command itself imports
                imports.append((int(cumulative), name.strip()))
    print(f"imports of one run: {sum(c for c, _ in imports) / 1e6:.2f} s; the largest:")
    for cumulative, name in sorted(imports, reverse=True)[:10]:
        print(f"  {cumulative / 1e6:5.2f} s  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
