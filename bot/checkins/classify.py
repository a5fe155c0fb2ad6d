"""Which priority a check-in item serves, or none: embedding similarity to what the district says about each.

Each priority is described by a few short texts, its prototypes: "name: message", the message, the labels of its
targets and, when given, passages of the district's documents about it (`priority_passages`). An item serves a
priority when its similarity to one of that priority's prototypes reaches the threshold; the best-scoring priority
wins, except that the priority the item was filed under wins while it is within `FILED_MARGIN` of the best. Whether
an item serves any priority is decided on its text alone, so the same threshold holds for items filed under
"anything else", under the wrong priority, or not filed at all (`resolute checkin classify`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from bot.district.config import Priority, Target

# Chosen on the development half of the bench items: `python bench/checkin_threshold.py`.
THRESHOLD = 0.33
FILED_MARGIN = 0.09
# Below this an item is confidently off every priority (off-message work scores under 0.2 on the bench, the
# thinnest on-message items over 0.3): filed under a priority, its member is asked whether to keep it there.
NONE_BELOW = 0.2

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BREAK = re.compile(r"\n\s*\n|\n\s*[-*]\s+|\n\s*\d+\.\s+")
_MARKS = re.compile(r"^\s*(?:[-*]|\d+\.)\s+|[*`]")
MIN_PASSAGE_WORDS = 4


@dataclass(frozen=True)
class Verdict:
    priority: str | None  # a priority key, or None: serves no priority
    score: float  # the similarity the decision was made on, rounded to 3 decimals

    @property
    def surely_none(self) -> bool:
        """Confidently off every priority: an item filed under one is asked about, not moved silently."""
        return self.priority is None and self.score < NONE_BELOW


class Classifier:
    """Classifies check-in items against the priorities; the prototypes are embedded once, here."""

    def __init__(
        self,
        embeddings: Embeddings,
        priorities: Sequence[Priority],
        targets: Sequence[Target],
        *,
        documents: Mapping[str, list[str]] | None = None,
        threshold: float = THRESHOLD,
        filed_margin: float = FILED_MARGIN,
    ) -> None:
        self._embeddings = embeddings
        self._keys = [p.key for p in priorities]
        self._threshold = threshold
        self._filed_margin = filed_margin
        owners: list[int] = []
        texts: list[str] = []
        for i, priority in enumerate(priorities):
            own = [f"{priority.name}: {priority.message}", priority.message]
            own += [t.label for t in targets if t.priority == priority.key]
            own += [p for p in (documents or {}).get(priority.key, []) if p.strip()]
            texts += own
            owners += [i] * len(own)
        vectors = np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
        # the prototypes' vectors per priority: an item's score for a priority is its best match among them
        self._prototypes = [vectors[np.asarray(owners) == i] for i in range(len(self._keys))]

    def classify(self, texts: list[str], filed: list[str | None] | None = None) -> list[Verdict]:
        """A Verdict per text, in input order; `filed[i]` is the priority key item i was filed under, if any."""
        if filed is not None and len(filed) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(filed)} filed fields")
        if not texts:
            return []
        items = np.asarray(self._embeddings.embed_documents(texts), dtype=np.float32)
        scores = np.stack([(items @ protos.T).max(axis=1) for protos in self._prototypes], axis=1)
        return [self._decide(row, key) for row, key in zip(scores, filed or [None] * len(texts), strict=True)]

    def _decide(self, scores: np.ndarray, filed: str | None) -> Verdict:
        best = int(scores.argmax())
        if scores[best] < self._threshold:
            return Verdict(None, round(float(scores[best]), 3))
        if filed in self._keys:
            mine = self._keys.index(filed)
            # a member's own filing settles a near tie: the item names a grade that two priorities both measure
            if scores[mine] >= self._threshold and scores[mine] + self._filed_margin >= scores[best]:
                best = mine
        return Verdict(self._keys[best], round(float(scores[best]), 3))


def priority_passages(folder: Path, priorities: Sequence[Priority]) -> dict[str, list[str]]:
    """Paragraphs and list items of the Markdown sections (under `folder`) whose heading names a priority.

    These carry the district's own words for the work (credit rescue, number talks, the reading check) that
    a priority's one-line message does not.
    """
    found: dict[str, list[str]] = {p.key: [] for p in priorities}
    names = {p.key: re.compile(rf"\b({re.escape(p.name)}|{re.escape(p.key.replace('_', ' '))})\b", re.I)
             for p in priorities}  # fmt: skip
    for path in sorted(folder.rglob("*.md")):
        for heading, body in _sections(path.read_text(encoding="utf-8")):
            for key, name in names.items():
                if name.search(heading):
                    found[key] += _passages(body)
    return {key: list(dict.fromkeys(passages)) for key, passages in found.items()}


def _sections(text: str) -> list[tuple[str, str]]:
    """(heading, body) per heading; a body runs to the next heading of the same or a higher level."""
    lines = text.splitlines()
    heads = [(i, len(m[1]), m[2]) for i, line in enumerate(lines) if (m := _HEADING.match(line))]
    sections = []
    for n, (i, level, heading) in enumerate(heads):
        end = next((j for j, lv, _ in heads[n + 1 :] if lv <= level), len(lines))
        body = [line for line in lines[i + 1 : end] if not _HEADING.match(line)]
        sections.append((heading, "\n".join(body)))
    return sections


def _passages(body: str) -> list[str]:
    """Paragraphs and list items, without Markdown marks; a line of a few words ("Strategies.") says nothing."""
    parts = (_MARKS.sub("", part) for part in _BREAK.split("\n" + body))
    parts = (re.sub(r"\s+", " ", part).strip() for part in parts)
    return [p for p in parts if len(p.split()) >= MIN_PASSAGE_WORDS]
