"""Answer-quality evaluation: ingest each set's documents into a temporary data dir and ask every question.

    python bench/eval_answers.py                  # every set's development and test halves
    python bench/eval_answers.py --half dev       # while tuning: the development halves only
    python bench/eval_answers.py --set district --show misses
    python bench/eval_answers.py --half holdout7  # the held-out questions: judged, never tuned on
    python bench/eval_answers.py --set northwind --half dev   # a district with another vocabulary

Sets (a set is skipped when its documents are absent):
- shared: ../shared/eval/dev_questions.jsonl over ../shared/reform-docs (a development set);
- reform: bench/questions/reform-{dev,dev2,dev3,test,holdout1..7}.jsonl over ../shared/reform-docs;
- district: bench/questions/district-{dev,dev2..dev6,test,holdout1..7}.jsonl over knowledge/ with
  its district data loaded;
- lakeshore, northwind: bench/questions/<name>-{dev,test}.jsonl over tests/fixtures/districts/<name>/, two
  more districts loaded the same way, so that answers are judged on vocabularies they were not built on:
  lakeshore is a US district (grades 3, 5 and 8, `ela_g3`, `grad_4yr`, chronic absence, English learners)
  with its own documents and the optional [[measures]] and [groups] tables; northwind has Grades 4 and 7,
  keys such as `r4` and `ontime_grad`, groups named only in its targets' labels, and no documents.
  A set whose district file does not load is reported with its problems and not evaluated (exit status 1).

The held-out sets were written by reviewers who never saw Resolute's answers. holdout1 to holdout5 were
measured (totals only) and then read to find what answers miss, so they are development material now;
holdout6 was measured at the start and the end of a session, totals only, and holdout7 is the one that
judges. dev2 to dev6 are development sets written to be read. `--half both` (the default) is the dev,
dev2 to dev6 and test halves; `--half all` adds every held-out set.

A question file has one {"q", "doc", "facts"} object a line: `doc` is the start of the expected
document's file name; `facts` is a list of groups of strings, a group being found when any of its
strings is in the answer (case-insensitive). Per half it prints: the share of answers citing the
expected document, the reciprocal rank of its first retrieved passage (MRR), the share of fact groups
found, the share of quoted sentences found verbatim in the passages they cite, and the longest answer.
Figures, not pass/fail: the bars are printed beside them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = ROOT / "tests" / "fixtures" / "districts"
QUESTIONS = ROOT / "bench" / "questions"
DEVELOPMENT = ("dev", "dev2", "dev3", "dev4", "dev5", "dev6", "test")
HALVES = (*DEVELOPMENT, *(f"holdout{n}" for n in range(1, 8)))


@dataclass(frozen=True)
class EvalSet:
    name: str
    docs: Path
    halves: dict[str, Path]
    district: bool = False


SETS = [
    EvalSet("shared", SHARED / "reform-docs", {"dev": SHARED / "eval" / "dev_questions.jsonl"}),
    EvalSet("reform", SHARED / "reform-docs",
            {half: QUESTIONS / f"reform-{half}.jsonl" for half in HALVES}),
    EvalSet("district", ROOT / "knowledge",
            {half: QUESTIONS / f"district-{half}.jsonl" for half in HALVES}, district=True),
    *(EvalSet(name, FIXTURES / name, {half: QUESTIONS / f"{name}-{half}.jsonl" for half in ("dev", "test")},
              district=True) for name in ("lakeshore", "northwind")),
]  # fmt: skip


def _pieces(answer_text: str) -> list[tuple[str, list[int]]]:
    """The quoted runs of an answer with the source numbers each is cited to."""
    runs = re.findall(r"(.*?)((?:\s*\[\d+\])+)", answer_text.split("\n\n_", 1)[0], flags=re.S)
    return [
        (text.strip(), [int(n) for n in re.findall(r"\d+", marks)]) for text, marks in runs if text.strip()
    ]


def verbatim_share(answer, is_card) -> tuple[int, int]:
    """(quoted runs found verbatim in the passages they cite, runs checked); data answers are not quotes."""
    by_n = {s.n: s for s in answer.sources}
    found = checked = 0
    for text, numbers in _pieces(answer.answer):
        cited = [by_n[n] for n in numbers if n in by_n]
        if not cited or any(is_card(s.source) for s in cited):
            continue
        checked += 1
        passage = " ".join(" ".join(s.text.split()) for s in cited)
        sentences = [
            p.strip().removesuffix(" …") for p in re.split(r"(?<=[.!?”\"…])\s+|\n", text) if p.strip()
        ]
        found += all(" ".join(p.split()) in passage for p in sentences)
    return found, checked


def evaluate(questions: list[dict], services, mode: str, *, show: str) -> dict:
    """Ask every question in one retrieval mode and return the totals."""
    from bot.knowledge.answer import Answerer

    answerer = services.answerer if mode == "hybrid" else Answerer(index=services.index(), mode=mode)
    cards = str(services.settings.cards_dir.resolve())

    def is_card(source: str) -> bool:
        return source.startswith(cards)

    def named(source: str, doc: str) -> bool:
        return Path(source).name.startswith(doc)

    cited_ok = rr_sum = recall_sum = 0.0
    verbatim = checked = longest = 0
    for item in questions:
        hits = services.index().search(item["q"], k=5, mode=mode)
        rank = next((i for i, h in enumerate(hits, 1) if named(h.passage.source, item["doc"])), None)
        answer = answerer.ask(item["q"])
        text = answer.answer.lower()
        found = sum(any(s.lower() in text for s in group) for group in item["facts"])
        recall = found / len(item["facts"])
        cited = any(named(s.source, item["doc"]) for s in answer.sources)
        ok, n = verbatim_share(answer, is_card)
        verbatim, checked = verbatim + ok, checked + n
        cited_ok += cited
        rr_sum += 1 / rank if rank else 0.0
        recall_sum += recall
        longest = max(longest, len(answer.answer))
        if show == "all" or (show == "misses" and (recall < 1 or not cited or ok < n)):
            print(
                f"  {'ok ' if cited else 'MISS'} facts={recall:.2f} len={len(answer.answer):4d}  {item['q']}"
            )
            if recall < 1 or not cited or ok < n:
                print(f"       answer: {answer.answer[:600]}")
    n = len(questions)
    return {
        "questions": n, "cited": cited_ok / n, "mrr": rr_sum / n, "fact_recall": recall_sum / n,
        "verbatim": verbatim / checked if checked else 1.0, "longest_answer": longest,
    }  # fmt: skip


def _services(eval_set: EvalSet, data_dir: Path):
    from bot.config import load_settings
    from bot.services import Services

    services = Services(load_settings(data_dir=data_dir, knowledge_dir=eval_set.docs))
    report = services.ingester.ingest([eval_set.docs])
    cards = 0
    if eval_set.district:
        services.district.load()
        cards = services.ingester.ingest([services.settings.cards_dir]).chunks_total
    print(f"[{eval_set.name}] ingested {len(report.added) + len(report.unchanged)} documents, "
          f"{report.chunks_total} chunks" + (f", {cards} data card chunks" if cards else ""))  # fmt: skip
    return services


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", choices=[s.name for s in SETS], action="append", help="Only these sets.")
    parser.add_argument("--half", choices=[*HALVES, "both", "all"], default="both",
                        help="both: dev, dev2 to dev6 and test; all: every half, the held-out sets too.")  # fmt: skip
    parser.add_argument("--modes", default="hybrid", help="Retrieval modes: hybrid,dense,lexical.")
    parser.add_argument(
        "--show", choices=["none", "misses", "all"], default="none", help="Per-question lines."
    )
    args = parser.parse_args()
    from bot.district.model import DistrictDataError

    rows, not_loaded = [], []
    for eval_set in SETS:
        if args.set and eval_set.name not in args.set:
            continue
        if not eval_set.docs.is_dir():
            print(f"[{eval_set.name}] skipped: {eval_set.docs} is absent")
            continue
        wanted = {"both": DEVELOPMENT, "all": HALVES}.get(args.half, (args.half,))
        halves = {h: p for h, p in eval_set.halves.items() if h in wanted and p.exists()}
        if not halves:
            continue
        with tempfile.TemporaryDirectory(prefix="resolute-eval-") as tmp:
            try:
                services = _services(eval_set, Path(tmp))
            except DistrictDataError as exc:  # one set's bad district file must not hide the others' figures
                print(f"[{eval_set.name}] not evaluated: its district data did not load "
                      f"({len(exc.problems)} problem(s)):", *exc.problems, sep="\n  ")  # fmt: skip
                not_loaded.append(eval_set.name)
                continue
            for half, path in halves.items():
                lines = path.read_text(encoding="utf-8").splitlines()
                questions = [json.loads(line) for line in lines if line.strip()]
                for mode in args.modes.split(","):
                    if args.show != "none":
                        print(f"\n== {eval_set.name} {half} ({mode})")
                    rows.append(
                        (eval_set.name, half, mode, evaluate(questions, services, mode, show=args.show))
                    )
    print(
        f"\n{'set':9} {'half':8} {'mode':7} {'n':>3} {'cited':>6} {'MRR':>5} {'facts':>6} {'verbatim':>9} {'longest':>8}"
    )
    for name, half, mode, t in rows:
        print(f"{name:9} {half:8} {mode:7} {t['questions']:3d} {t['cited']:6.2f} {t['mrr']:5.2f} "
              f"{t['fact_recall']:6.2f} {t['verbatim']:9.2f} {t['longest_answer']:8d}")  # fmt: skip
    print(
        "bars on questions nobody tuned on (holdout7, and the lakeshore and northwind test halves): cited >= 0.95, "
        "facts >= 0.90 for a district and >= 0.88 for the reform documents, verbatim 1.00, longest <= 1000"
    )
    if not_loaded:
        print(f"not evaluated (district data did not load): {', '.join(not_loaded)}")
    return 1 if not_loaded else 0


if __name__ == "__main__":
    sys.exit(main())
