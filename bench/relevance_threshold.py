"""How the 'nothing relevant found' threshold was chosen. Prints figures; asserts nothing.

    python bench/relevance_threshold.py QUESTIONS.jsonl [MORE.jsonl ...] DOCS_DIR [OFFTOPIC.txt]

Ingests DOCS_DIR, then prints the best passage's cosine similarity for every in-scope question
(the evaluation set) and for questions the documents cannot answer (one a line), and how many of
each a threshold would wrongly refuse or wrongly answer.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from bot.config import load_settings
from bot.knowledge.answer import RELEVANCE_THRESHOLD
from bot.services import Services


def best_similarity(services: Services, question: str) -> float:
    """What the answerer compares with the threshold (see `Answerer.relevance`)."""
    return services.answerer.relevance(
        services.index().embed(question), services.index().search(question, k=10)
    )


def main() -> int:
    *files, docs = [Path(a) for a in sys.argv[1:] if not a.endswith(".txt")]
    given = [Path(a) for a in sys.argv[1:] if a.endswith(".txt")]
    offtopic = given[0] if given else Path(__file__).with_name("offtopic_questions.txt")
    inscope = [json.loads(line)["q"] for f in files for line in f.read_text().splitlines() if line.strip()]
    outside = [line.strip() for line in offtopic.read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory(prefix="resolute-threshold-") as tmp:
        services = Services(load_settings(data_dir=Path(tmp), knowledge_dir=docs))
        services.ingester.ingest([docs])
        ins = sorted(best_similarity(services, q) for q in inscope)
        outs = sorted(best_similarity(services, q) for q in outside)
    print(f"in scope  ({len(ins)}): min {ins[0]:.3f}  median {ins[len(ins) // 2]:.3f}  max {ins[-1]:.3f}")
    print(
        f"off topic ({len(outs)}): min {outs[0]:.3f}  median {outs[len(outs) // 2]:.3f}  max {outs[-1]:.3f}"
    )
    for threshold in (0.25, 0.30, 0.35, 0.40, 0.45, 0.50):
        refused = sum(s < threshold for s in ins)
        answered = sum(s >= threshold for s in outs)
        mark = "  <- in use" if abs(threshold - RELEVANCE_THRESHOLD) < 1e-9 else ""
        print(f"threshold {threshold:.2f}: refuses {refused} in-scope, answers {answered} off-topic{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
