"""How the check-in classifier's threshold and filed margin were chosen. Prints figures; asserts nothing.

    python bench/checkin_threshold.py [ITEMS.jsonl] [KNOWLEDGE_DIR]

ITEMS (default bench/checkin_items.jsonl) holds check-in items, one JSON object a line: text, filed (the
priority key it was filed under, or null for "anything else"), expected (the priority it serves, or null)
and split (dev or test). The sample district's priorities and targets come from KNOWLEDGE_DIR/district/
district.toml (default knowledge/), and the passages about each priority from its Markdown documents.

On the dev half only: the threshold is the middle of the widest run of thresholds that gives the best
min(precision, recall) of "serves no priority"; then the filed margin is the middle of the widest run of
margins that gives the best accuracy of the priority chosen. The figures are printed for both halves, and
for the classifier without the documents' passages and without the filed field, to show what each adds.
"""

from __future__ import annotations

import json
import sys
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from langchain_core.embeddings import Embeddings

from bot.checkins.classify import FILED_MARGIN, THRESHOLD, Classifier, priority_passages
from bot.district.config import DistrictFile
from bot.knowledge.embeddings import make_embeddings

ROOT = Path(__file__).resolve().parents[1]
THRESHOLDS = [round(0.15 + 0.005 * i, 3) for i in range(71)]  # 0.150 .. 0.500
MARGINS = [round(0.01 * i, 2) for i in range(21)]  # 0.00 .. 0.20


class CachedEmbeddings(Embeddings):
    """Embeds each text once, so that every point of the sweep runs the shipped Classifier at no cost."""

    def __init__(self, inner: Embeddings) -> None:
        self._inner = inner
        self._seen: dict[str, list[float]] = {}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        new = [t for t in dict.fromkeys(texts) if t not in self._seen]
        if new:
            self._seen.update(zip(new, self._inner.embed_documents(new), strict=True))
        return [self._seen[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


@dataclass(frozen=True)
class Figures:
    precision: float  # of "serves no priority"
    recall: float
    accuracy: float  # of the priority chosen, over the items that serve one
    n: int


def figures(items: list[dict], make: Callable[[], Classifier], use_filed: bool = True) -> Figures:
    filed = [i["filed"] for i in items] if use_filed else None
    verdicts = make().classify([i["text"] for i in items], filed)
    expected = [i["expected"] for i in items]
    got = [v.priority for v in verdicts]
    tp = sum(e is None and g is None for e, g in zip(expected, got, strict=True))
    said_none = sum(g is None for g in got)
    are_none = sum(e is None for e in expected)
    serving = [(e, g) for e, g in zip(expected, got, strict=True) if e is not None]
    return Figures(precision=tp / said_none if said_none else 0.0, recall=tp / are_none if are_none else 0.0,
                   accuracy=sum(e == g for e, g in serving) / len(serving), n=len(items))  # fmt: skip


def middle_of_best(values: Sequence[float], score: Callable[[float], float]) -> tuple[float, float]:
    """The value in the middle of the widest run of values that reach the best score, and that score."""
    scores = [score(v) for v in values]
    best = max(scores)
    runs: list[list[float]] = [[]]
    for v, s in zip(values, scores, strict=True):
        if s == best:
            runs[-1].append(v)
        elif runs[-1]:
            runs.append([])
    run = max(runs, key=len)
    return run[len(run) // 2], best


def row(name: str, f: Figures) -> str:
    return f"| {name} | {f.n} | {f.precision:.2f} | {f.recall:.2f} | {f.accuracy:.2f} |"


def main() -> int:
    items_path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("checkin_items.jsonl")
    knowledge = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "knowledge"
    items = [json.loads(line) for line in items_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    dev = [i for i in items if i["split"] == "dev"]
    test = [i for i in items if i["split"] == "test"]
    with (knowledge / "district" / "district.toml").open("rb") as f:
        config = DistrictFile.read(tomllib.load(f)).to_config()
    documents = priority_passages(knowledge, config.priorities)
    embeddings = CachedEmbeddings(make_embeddings("local"))
    print(f"{len(dev)} dev and {len(test)} test items; passages per priority: "
          + ", ".join(f"{k} {len(v)}" for k, v in documents.items()))  # fmt: skip

    def classifier(
        threshold: float, margin: float, docs: dict | None = documents
    ) -> Callable[[], Classifier]:
        return lambda: Classifier(embeddings, config.priorities, config.targets, documents=docs,
                                  threshold=threshold, filed_margin=margin)  # fmt: skip

    def null_score(docs: dict | None) -> Callable[[float], float]:
        def score(t: float) -> float:
            f = figures(dev, classifier(t, 0.0, docs))
            return min(f.precision, f.recall)

        return score

    threshold, best = middle_of_best(THRESHOLDS, null_score(documents))
    margin, best_accuracy = middle_of_best(MARGINS, lambda m: figures(dev, classifier(threshold, m)).accuracy)
    bare, _ = middle_of_best(THRESHOLDS, null_score(None))
    for t in THRESHOLDS[::4]:
        f = figures(dev, classifier(t, margin))
        print(
            f"dev threshold {t:.3f}: precision {f.precision:.2f}, recall {f.recall:.2f} of 'serves no priority'"
        )
    print(f"chosen on dev: threshold {threshold:.3f} (min(P, R) {best:.2f}), filed margin {margin:.2f} "
          f"(accuracy {best_accuracy:.2f}); without documents the best threshold is {bare:.3f}")  # fmt: skip
    in_use = "" if (threshold, margin) == (THRESHOLD, FILED_MARGIN) else " (NOT the ones in use)"
    print(f"in use in bot/checkins/classify.py: THRESHOLD {THRESHOLD}, FILED_MARGIN {FILED_MARGIN}{in_use}")
    print()
    print("| classifier | items | precision of none | recall of none | priority accuracy |")
    print("|---|---|---|---|---|")
    shipped = classifier(THRESHOLD, FILED_MARGIN)
    for half, part in (("dev", dev), ("test", test)):
        print(row(f"{half}: as shipped", figures(part, shipped)))
        print(row(f"{half}: filed field not given", figures(part, shipped, use_filed=False)))
        print(row(f"{half}: no documents", figures(part, classifier(THRESHOLD, FILED_MARGIN, None))))
        print(
            row(f"{half}: no documents, at {bare:.3f}", figures(part, classifier(bare, FILED_MARGIN, None)))
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
