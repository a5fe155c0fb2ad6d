"""How the check-in classifier's margins were chosen, and how it does on every sample district. Prints
figures; asserts nothing.

    python bench/checkin_threshold.py [--tuned-only]

Each district's items are one JSON object a line: text, filed (the priority key it was filed under, or null
for "anything else"), expected (the priority it serves, or null) and split (dev or test). The sample
district's are `bench/checkin_items.jsonl` over `knowledge/`; each district under `tests/fixtures/districts/`
keeps its own beside its district file. Its priorities and targets come from its `district/district.toml`,
the passages about each priority from its Markdown documents (some districts have none).

The margins are chosen on the dev halves of the TUNED districts only: the margin is the middle of the widest
run of margins that gives the best min(precision, recall) of "serves no priority" over their pooled dev
items; then the filed margin, the middle of the widest run that gives the best accuracy of the priority
chosen. The other districts are never tuned on: every one of their items is reported as unseen.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from langchain_core.embeddings import Embeddings

from bot.checkins.classify import (
    FILED_MARGIN,
    MARGIN,
    OTHER_BELOW,
    TOP,
    Classifier,
    priority_passages,
    shipped_work,
)
from bot.district.config import DistrictConfig, DistrictFile
from bot.knowledge.embeddings import make_embeddings

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "districts"
TUNED = ("sample", "lakeshore", "northwind", "brookfield", "saltmarsh")  # their dev halves choose the margins
MARGINS = [round(-0.10 + 0.005 * i, 3) for i in range(51)]  # -0.100 .. 0.150
FILED = [round(0.01 * i, 2) for i in range(21)]  # 0.00 .. 0.20
TOPS = (1, 2, 3)
OTHER_BELOWS = (0.0, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35)


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


@dataclass(frozen=True)
class District:
    name: str
    config: DistrictConfig
    documents: dict[str, list[str]]
    items: list[dict]

    def half(self, split: str) -> list[dict]:
        return [i for i in self.items if i["split"] == split]


def read_district(name: str, folder: Path, items: Path) -> District:
    with (folder / "district" / "district.toml").open("rb") as f:
        config = DistrictFile.read(tomllib.load(f)).to_config()
    lines = items.read_text(encoding="utf-8").splitlines()
    return District(name, config, priority_passages(folder, config.priorities),
                    [json.loads(line) for line in lines if line.strip()])  # fmt: skip


def districts() -> list[District]:
    found = [read_district("sample", ROOT / "knowledge", Path(__file__).with_name("checkin_items.jsonl"))]
    for folder in sorted(FIXTURES.iterdir()):
        if (folder / "checkin_items.jsonl").exists():
            found.append(read_district(folder.name, folder, folder / "checkin_items.jsonl"))
    return found


def figures(verdicts: list, items: list[dict]) -> Figures:
    expected = [i["expected"] for i in items]
    got = [v.priority for v in verdicts]
    tp = sum(e is None and g is None for e, g in zip(expected, got, strict=True))
    said_none = sum(g is None for g in got)
    are_none = sum(e is None for e in expected)
    serving = [(e, g) for e, g in zip(expected, got, strict=True) if e is not None]
    return Figures(precision=tp / said_none if said_none else 0.0, recall=tp / are_none if are_none else 0.0,
                   accuracy=sum(e == g for e, g in serving) / len(serving) if serving else 0.0, n=len(items))  # fmt: skip


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tuned-only", action="store_true",
                        help="report the tuned districts only: look at the unseen ones once a change is decided")  # fmt: skip
    args = parser.parse_args()
    embeddings = CachedEmbeddings(make_embeddings("local"))
    tuned = [d for d in districts() if d.name in TUNED]
    every = tuned if args.tuned_only else districts()

    def judge(d: District, items: list[dict], setting: dict, *, use_filed: bool = True, documents: bool = True,
              work=None) -> list:  # fmt: skip
        classifier = Classifier(embeddings, d.config.priorities, d.config.targets,
                                documents=d.documents if documents else None, work=work, **setting)  # fmt: skip
        return classifier.classify(
            [i["text"] for i in items], [i["filed"] for i in items] if use_filed else None
        )

    def pooled(setting: dict) -> Figures:
        verdicts, items = [], []
        for d in tuned:
            verdicts += judge(d, d.half("dev"), setting)
            items += d.half("dev")
        return figures(verdicts, items)

    def balanced(setting: dict) -> float:
        f = pooled(setting)
        return min(f.precision, f.recall)

    # for each way of scoring, the margin that balances "serves no priority" best; then the best of those
    print("| top | other below | best margin | min(P, R) of none | accuracy (filed margin 0) |")
    print("|---|---|---|---|---|")
    choices = []
    for top in TOPS:
        for other_below in OTHER_BELOWS:
            base = {"top": top, "other_below": other_below, "filed_margin": 0.0}
            margin, best = middle_of_best(MARGINS, lambda m, base=base: balanced(base | {"margin": m}))
            accuracy = pooled(base | {"margin": margin}).accuracy
            choices.append((best, accuracy, top, other_below, margin))
            print(f"| {top} | {other_below:.2f} | {margin:+.3f} | {best:.2f} | {accuracy:.2f} |")
    best, _, top, other_below, margin = max(choices)
    chosen = {"top": top, "other_below": other_below, "margin": margin}
    filed_margin, accuracy = middle_of_best(FILED, lambda f: pooled(chosen | {"filed_margin": f}).accuracy)
    print(f"\nchosen on the dev halves of {', '.join(TUNED)}: top {top}, other below {other_below:.2f}, "
          f"margin {margin:+.3f} "
          f"(min(P, R) {best:.2f}), filed margin {filed_margin:.2f} (accuracy {accuracy:.2f})")  # fmt: skip
    shipped = {"top": TOP, "other_below": OTHER_BELOW, "margin": MARGIN, "filed_margin": FILED_MARGIN}
    in_use = "" if shipped == chosen | {"filed_margin": filed_margin} else " (NOT the ones chosen)"
    print(f"in use in bot/checkins/classify.py: TOP {TOP}, OTHER_BELOW {OTHER_BELOW}, MARGIN {MARGIN}, "
          f"FILED_MARGIN {FILED_MARGIN}{in_use}\n")  # fmt: skip
    for d in every:
        lent = Classifier(embeddings, d.config.priorities, d.config.targets, documents=d.documents).borrowed
        print(f"{d.name} borrows: " + "; ".join(f"{k} <- {', '.join(a.split(':')[0] for a in v) or 'nothing'}"
                                                for k, v in lent.items()))  # fmt: skip
    print()
    no_kinds = replace(shipped_work(), priority_kinds=())
    print("| district, items | items | precision of none | recall of none | priority accuracy |")
    print("|---|---|---|---|---|")
    for d in every:
        docs = "documents" if any(d.documents.values()) else "no documents"
        halves = (
            (("dev", d.half("dev")), ("test", d.half("test"))) if d.name in TUNED else (("unseen", d.items),)
        )
        for half, items in halves:
            print(row(f"{d.name} ({docs}), {half}: as shipped", figures(judge(d, items, {}), items)))
            print(
                row(
                    f"{d.name}, {half}: filed field not given",
                    figures(judge(d, items, {}, use_filed=False), items),
                )
            )
            print(row(f"{d.name}, {half}: no kinds lent", figures(judge(d, items, {}, work=no_kinds), items)))
            if any(d.documents.values()):
                print(row(f"{d.name}, {half}: without its documents",
                          figures(judge(d, items, {}, documents=False), items)))  # fmt: skip
    for label, parts in (("tuned districts' test halves", [(d, d.half("test")) for d in every if d.name in TUNED]),
                         ("unseen districts", [(d, d.items) for d in every if d.name not in TUNED])):  # fmt: skip
        verdicts = [v for d, items in parts for v in judge(d, items, {})]
        if parts:
            print(
                row(
                    f"pooled, {label}: as shipped",
                    figures(verdicts, [i for _, items in parts for i in items]),
                )
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
