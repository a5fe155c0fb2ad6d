"""Answer-quality evaluation: ingest DOCS_DIR into a temporary data dir and ask every question.

    python bench/eval_answers.py QUESTIONS.jsonl DOCS_DIR [--modes hybrid,dense,lexical]

QUESTIONS.jsonl has one {"q", "doc", "facts"} object a line: `doc` is the start of the expected
document's file name; `facts` is a list of groups of strings, a group being found when any of its
strings is in the answer (case-insensitive). Prints, per question and in total: whether the expected
document is among the cited sources, the reciprocal rank of its first retrieved passage (MRR), the
share of fact groups found in the answer, and the answer's length. Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bot.config import load_settings
from bot.knowledge.answer import MAX_ANSWER_CHARS, Answerer
from bot.knowledge.chunking import DEFAULT_MAX_TOKENS
from bot.services import Services


def evaluate(questions: list[dict], services: Services, mode: str, *, verbose: bool) -> dict:
    """Ask every question in one retrieval mode and return the totals."""
    answerer = Answerer(index=services.index(), llm=services.llm, mode=mode)
    cited_ok = rr_sum = recall_sum = 0.0
    longest = 0
    for item in questions:
        hits = services.index().search(item["q"], k=5, mode=mode)
        rank = next(
            (i for i, h in enumerate(hits, 1) if Path(h.passage.source).name.startswith(item["doc"])), None
        )
        answer = answerer.ask(item["q"])
        text = answer.answer.lower()
        found = sum(any(s.lower() in text for s in group) for group in item["facts"])
        recall = found / len(item["facts"])
        cited = any(Path(s.source).name.startswith(item["doc"]) for s in answer.sources)
        cited_ok += cited
        rr_sum += 1 / rank if rank else 0.0
        recall_sum += recall
        longest = max(longest, len(answer.answer))
        if verbose:
            print(
                f"  {'ok ' if cited else 'MISS'} rr={1 / rank if rank else 0:.2f} facts={recall:.2f} "
                f"len={len(answer.answer):4d}  {item['q']}"
            )
            if recall < 1:
                print(f"       answer: {answer.answer[:400]}")
    n = len(questions)
    return {
        "mode": mode, "questions": n, "cited": cited_ok / n, "mrr": rr_sum / n,
        "fact_recall": recall_sum / n, "longest_answer": longest,
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("questions", type=Path)
    parser.add_argument("docs", type=Path)
    parser.add_argument("--modes", default="hybrid,dense,lexical")
    parser.add_argument("--chunk-tokens", type=int, default=DEFAULT_MAX_TOKENS, help="Chunk budget to try.")
    parser.add_argument("--quiet", action="store_true", help="Totals only.")
    args = parser.parse_args()
    if not args.docs.is_dir():
        print(f"{args.docs}: no such folder (the reform documents live in ../shared/reform-docs/)")
        return 2
    questions = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory(prefix="resolute-eval-") as tmp:
        services = Services(
            load_settings(data_dir=Path(tmp), knowledge_dir=args.docs), chunk_tokens=args.chunk_tokens
        )
        report = services.ingester.ingest([args.docs])
        print(f"ingested {len(report.added)} documents, {report.chunks_total} chunks")
        totals = []
        for mode in args.modes.split(","):
            print(f"\n== {mode}")
            totals.append(evaluate(questions, services, mode, verbose=not args.quiet))
    print(
        f"\n{'mode':8} {'cited':>6} {'MRR':>6} {'facts':>6} {'longest':>8}  (bar: cited >= 0.95, "
        f"facts >= 0.85, answer <= {MAX_ANSWER_CHARS} chars)"
    )
    for t in totals:
        print(
            f"{t['mode']:8} {t['cited']:6.2f} {t['mrr']:6.2f} {t['fact_recall']:6.2f} {t['longest_answer']:8d}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
