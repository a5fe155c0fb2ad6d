"""Slack acknowledgement benchmark. Prints figures; asserts nothing.

    python bench/bench_slack.py [--requests 50] [--rounds 5] [--docs knowledge]

Serves the app over HTTP on loopback exactly as `resolute serve --http` does (waitress, Bolt,
signature checks on), with the Web API played by the fake Slack (bot/slack/fake.py). Fires N signed `/ask`
requests at once, waits for every answer, and does that `--rounds` times; then reports: how many were
acknowledged, ack latency (p50/p95/p99/max over every request of every round; Slack allows 3,000 ms), each
round's p99, the time until a round's answers were all posted, and whether each question got exactly one.
One round's p99 is its slowest request or nearly: several rounds make the figure one can compare.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the signed-request helpers live in tests/

from bot.config import load_settings  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.slack.app import make_http_server, make_slack_app  # noqa: E402
from bot.slack.fake import BOT_TOKEN, FakeSlack  # noqa: E402
from tests.test_slack import Slack, answers_in  # noqa: E402

SECRET = "bench-signing-secret"
QUESTIONS = [
    "What are the district's three priorities?", "What is the graduation target?",
    "How does the district support a school that is stuck?", "What is the Grade 3 reading goal?",
    "When is the weekly digest posted?", "Which schools are Schools on the Move?",
    "What happens in a Learning Conversation?", "How are targets set with schools?",
    "What is the Grade 6 math result?", "Who leads the literacy priority?",
]  # fmt: skip


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def fire(url: str, count: int, round_: int = 1) -> list[tuple[int, float]]:
    """Send `count` signed /ask requests at the same moment; (status, seconds) for each."""
    slack = Slack(url, SECRET)
    results: list[tuple[int, float]] = [(0, 0.0)] * count
    gate = threading.Barrier(count)

    def one(i: int) -> None:
        gate.wait()
        status, _, seconds = slack.command(
            f"{QUESTIONS[i % len(QUESTIONS)]} (request {round_}.{i})", trigger_id=f"bench-{round_}-{i}"
        )
        results[i] = (status, seconds)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--docs", type=Path, default=HERE.parent / "knowledge")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        services = Services(load_settings(data_dir=Path(tmp), knowledge_dir=args.docs, slack_bot_token=BOT_TOKEN,
                                          slack_signing_secret=SECRET, slack_api_url=fake.url))  # fmt: skip
        report = services.ingester.ingest([args.docs])
        services.warm_up()
        server = make_http_server(make_slack_app(services), host="127.0.0.1", port=0)
        threading.Thread(target=server.run, daemon=True).start()
        slack = Slack(f"http://127.0.0.1:{server.effective_port}/slack/events", SECRET)
        slack.command("warm up")  # first request pays for imports inside Bolt
        while len(answers_in(fake)) < 1:
            time.sleep(0.05)
        fake.calls.clear()
        print(
            f"index: {report.chunks_total} chunks from {args.docs}; {args.requests} concurrent /ask requests"
        )

        results: list[tuple[int, float]] = []
        rounds: list[tuple[float, float]] = []  # (p99 ms, seconds until every answer) of each round
        # the requests come from another process, as Slack's do, so they do not share the server's GIL
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            for n in range(1, args.rounds + 1):
                started = time.perf_counter()
                fired = pool.submit(fire, slack.url, args.requests, n).result()
                deadline = time.monotonic() + 600
                while len(answers_in(fake)) < n * args.requests and time.monotonic() < deadline:
                    time.sleep(0.05)
                rounds.append((percentile([s * 1000 for _, s in fired], 99), time.perf_counter() - started))
                results += fired
        time.sleep(1.0)  # anything late (a second answer) would show up now
        server.close()

    total = args.requests * args.rounds
    acked = [s for status, s in results if status == 200]
    ms = [s * 1000 for s in acked]
    headers = [c for c in fake.called("chat.postMessage") if "thread_ts" not in c.args]
    per_question = Counter(c.args["thread_ts"] for c in answers_in(fake))
    asked = Counter(json.dumps(c.args["text"]) for c in headers)
    print(f"acknowledged: {len(acked)}/{total} (HTTP 200)")
    print(f"ack latency ms, {args.rounds} rounds: p50 {statistics.median(ms):.0f}, p95 {percentile(ms, 95):.0f}, "
          f"p99 {percentile(ms, 99):.0f}, max {max(ms):.0f}")  # fmt: skip
    print("each round's p99 ms: " + ", ".join(f"{p:.0f}" for p, _ in rounds))
    print("each round's answers all posted after s: " + ", ".join(f"{t:.1f}" for _, t in rounds))
    print(f"questions posted: {len(headers)} ({len(asked)} distinct); answers: {sum(per_question.values())}; "
          f"questions with exactly one answer: {sum(1 for n in per_question.values() if n == 1)}/{total}")  # fmt: skip


if __name__ == "__main__":
    main()
