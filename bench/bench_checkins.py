"""Check-in summary benchmark. Prints figures; asserts nothing.

    python bench/bench_checkins.py [--members 50] [--weeks 52] [--items 6]

Loads the sample district's file (with its [checkins] section) into a temporary data dir, writes a
year of history straight into the check-in tables (each member answering most weeks with a few items,
some skipping, support requests open and done), then times `resolute checkin summary --json` for the
latest week as a user runs it: the whole command, a new process each time (five runs), most of which is
starting Python and importing SQLAlchemy and pydantic; then, in the process, the summary, its Slack message
and its trend chart, which is what the scheduled post waits on before calling Slack. Then one member's
history over the year: `CheckIns.history` in the process (what `/checkin history` and the command wait on),
and `resolute checkin history --member ... --csv` as a whole command.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PRIORITIES = ["literacy", "numeracy", "graduation"]


def fill(database: str, members: int, weeks: int, items: int) -> tuple[str, int]:
    """A year of check-ins ending last week; returns the latest week and the number of items."""
    from sqlalchemy import insert

    from bot.checkins.schedule import shift, week_of
    from bot.store import make_engine, migrate
    from bot.store.tables import checkin_items, checkin_responses, checkin_sends, checkin_support

    engine = make_engine(database)
    migrate(engine)
    rng = random.Random(7)
    last = week_of(datetime.now(UTC) - timedelta(days=7))
    users = [f"U{i:08d}" for i in range(members)]
    rows: dict = {"items": [], "responses": [], "sends": [], "support": []}
    for back in range(weeks - 1, -1, -1):
        week, at = shift(last, -back), datetime.now(UTC) - timedelta(weeks=back + 1)
        for user in users:
            rows["sends"].append({"week": week, "kind": "prompt", "recipient": user, "status": "posted",
                                  "claimed_at": at, "posted_at": at})  # fmt: skip
            if rng.random() < 0.1:
                continue
            status = "skipped" if rng.random() < 0.05 else "answered"
            rows["responses"].append({"week": week, "user_id": user, "status": status, "updated_at": at})
            for _ in range(rng.randint(1, items) if status == "answered" else 0):
                serves = rng.random() < 0.75
                filed = rng.choice(PRIORITIES)
                rows["items"].append({"week": week, "user_id": user, "field": rng.choice(["did", "did", "next"]),
                                      "filed": filed, "text": f"item {rng.randint(0, 10**6)} about the week's work",
                                      "priority": filed if serves else None, "score": round(rng.random(), 3),
                                      "created_at": at})  # fmt: skip
            if rng.random() < 0.05:
                rows["support"].append({"week": week, "from_user": user, "to_user": rng.choice(users),
                                        "text": "a coach for two Grade 6 classes", "created_at": at,
                                        "status": rng.choice(["open", "taken", "done", "done"])})  # fmt: skip
    with engine.begin() as conn:
        for table, key in ((checkin_sends, "sends"), (checkin_responses, "responses"), (checkin_items, "items"),
                           (checkin_support, "support")):  # fmt: skip
            for start in range(0, len(rows[key]), 10_000):
                conn.execute(insert(table), rows[key][start : start + 10_000])
    return last, len(rows["items"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--items", type=int, default=6, help="at most this many items per answer")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    resolute = [sys.executable, "-m", "bot.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        knowledge = Path(tmp) / "knowledge"
        shutil.copytree(ROOT / "knowledge" / "district", knowledge / "district")
        env = {
            **os.environ,
            "RESOLUTE_DATA_DIR": str(Path(tmp) / "data"),
            "RESOLUTE_KNOWLEDGE_DIR": str(knowledge),
        }
        subprocess.run([*resolute, "data", "load", "--no-index"], env=env, check=True, capture_output=True)
        week, count = fill(
            f"sqlite:///{Path(tmp) / 'data' / 'resolute.db'}", args.members, args.weeks, args.items
        )
        print(f"{args.members} members x {args.weeks} weeks: {count} items")
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            out = subprocess.run([*resolute, "checkin", "summary", "--week", week, "--json"], env=env, check=True,
                                 capture_output=True).stdout  # fmt: skip
            times.append(time.perf_counter() - started)
        summary = json.loads(out)
        print(f"`resolute checkin summary --week {week} --json`, whole command: median {statistics.median(times):.2f} s, "
              f"max {max(times):.2f} s over {args.runs} runs (bar: <= 1 s)")  # fmt: skip
        p = summary["participation"]
        print(f"  {p['answered']} of {p['members']} answered, on-message share {summary['on_message_share']}, "
              f"{len(summary['trend'])} weeks of trend, {len(summary['items'])} items, "
              f"{len(summary['support_requests'])} support requests shown")  # fmt: skip
        member = "U00000007"
        os.environ.update({k: env[k] for k in ("RESOLUTE_DATA_DIR", "RESOLUTE_KNOWLEDGE_DIR")})
        from bot.config import load_settings
        from bot.services import Services

        checkins = Services(load_settings()).checkins
        from bot.checkins.chart import trend_chart
        from bot.slack.blocks.checkins import summary_message

        config, _ = checkins.settings()
        names = {p.key: p.name for p in config.priorities}
        parts: dict[str, list[float]] = {"summary": [], "message": [], "chart": []}
        for _ in range(args.runs):
            started = time.perf_counter()
            data = checkins.summary(week, datetime.now(UTC))
            parts["summary"].append(time.perf_counter() - started)
            started = time.perf_counter()
            summary_message(data, config.priorities)
            parts["message"].append(time.perf_counter() - started)
            started = time.perf_counter()
            trend_chart(data["trend"], names)
            parts["chart"].append(time.perf_counter() - started)
        print("the summary in the process (what the scheduled post waits on before Slack): "
              + ", ".join(f"{k} median {statistics.median(v) * 1000:.0f} ms" for k, v in parts.items())
              + f" over {args.runs} runs")  # fmt: skip
        rows, times = [], []
        for _ in range(args.runs * 4):
            started = time.perf_counter()
            rows = checkins.history(users=[member])
            times.append(time.perf_counter() - started)
        print(f"one member's history over {args.weeks} weeks ({len(rows)} items), in the process: median "
              f"{statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms over {len(times)} runs "
              "(bar: <= 300 ms)")  # fmt: skip
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run([*resolute, "checkin", "history", "--member", member, "--csv"], env=env, check=True,
                           capture_output=True)  # fmt: skip
            times.append(time.perf_counter() - started)
        print(f"`resolute checkin history --member {member} --csv`, whole command: median "
              f"{statistics.median(times):.2f} s, max {max(times):.2f} s over {args.runs} runs")  # fmt: skip


if __name__ == "__main__":
    main()
