"""Which priority a check-in item serves, or none: by how much closer it is to a priority than to other work.

Each priority is described by short texts, its prototypes: "name: message", the message, the labels of its
targets, the `examples` the district file gives it and, when the district has them, passages of its documents
about it (`priority_passages`). To these Resolute lends the general examples of the kind of work the priority
is about (`work.toml`: reading, mathematics, attendance, wellbeing, ...): the kind closest to the priority's
name. Work that serves no priority is described by `work.toml` too (transport, facilities, budget, hiring,
events, communications, IT, governance, routine administration), joined by the kinds far from every
priority's name: in a district whose priorities are attendance and wellbeing, a mathematics lesson serves
neither. A kind near a priority but not its closest (attendance, beside a priority of graduation) is set aside.

An item serves the priority it is closest to when that similarity beats its closest other work by `MARGIN`;
a single threshold on similarity alone does not carry over from one district's wording to another's. The
priority the item was filed under wins while it is within `FILED_MARGIN` of the best. Whether an item serves
any priority is decided on its text alone (`resolute checkin classify` gives no filing).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from bot.district.config import Priority, Target

# Chosen on the development halves of the sample districts' items: `python bench/checkin_threshold.py`.
MARGIN = 0.025
FILED_MARGIN = 0.10
TOP = 2  # an item's closeness to a priority (or to other work): the mean of its TOP best similarities
# A priority borrows its closest kind when the kind is at least this close to its name; a kind further than
# this from every priority's name is work that serves none in the district.
OTHER_BELOW = 0.20
# Below this margin an item is confidently off every priority: filed under one, its member is asked whether
# to keep it there rather than have it moved silently.
NONE_BELOW = -0.12

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BREAK = re.compile(r"\n\s*\n|\n\s*[-*]\s+|\n\s*\d+\.\s+")
_MARKS = re.compile(r"^\s*(?:[-*]|\d+\.)\s+|[*`]")
MIN_PASSAGE_WORDS = 4


@dataclass(frozen=True)
class Kind:
    """A kind of work described in general words: what it is about, and a few check-in items of it."""

    about: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Work:
    """The general descriptions Resolute ships: kinds of priority work, and work that serves no priority."""

    priority_kinds: tuple[Kind, ...]
    other: tuple[Kind, ...]


@cache
def shipped_work() -> Work:
    """`bot/checkins/work.toml`, read once."""
    data = tomllib.loads(resources.files("bot.checkins").joinpath("work.toml").read_text(encoding="utf-8"))

    def kinds(name: str) -> tuple[Kind, ...]:
        return tuple(Kind(k["about"], tuple(k["examples"])) for k in data[name])

    return Work(kinds("priority_kind"), kinds("other_work"))


@dataclass(frozen=True)
class Verdict:
    priority: str | None  # a priority key, or None: serves no priority
    score: float  # the margin the decision was made on (the best priority against other work), 3 decimals

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
        work: Work | None = None,
        margin: float = MARGIN,
        filed_margin: float = FILED_MARGIN,
        other_below: float = OTHER_BELOW,
        top: int = TOP,
    ) -> None:
        self._embeddings = embeddings
        self._keys = [p.key for p in priorities]
        self._margin = margin
        self._filed_margin = filed_margin
        self._top = top
        work = shipped_work() if work is None else work
        # every prototype in one batch: (group, text), embedded once and sliced by group below
        texts: list[tuple[object, str]] = []
        for n, p in enumerate(priorities):
            labels = [t.label for t in targets if t.priority == p.key]
            if work.priority_kinds:  # to lend a kind by: the name, and the name with its message
                texts += [(("named", n), t) for t in (p.name, f"{p.name}: {p.message}")]
            mine = (f"{p.name}: {p.message}", p.message, *p.examples, *labels)
            mine += tuple(d for d in (documents or {}).get(p.key, []) if d.strip())
            texts += [(("own", n), t) for t in mine]
        for n, kind in enumerate(work.priority_kinds):
            texts += [(("about", n), kind.about)] + [(("kind", n), e) for e in kind.examples]
        texts += [("other", f"{k.about}: {e}") for k in work.other for e in k.examples]
        vectors = self._embed([t for _, t in texts])
        groups: dict[object, list[int]] = {}
        for row, (group, _) in enumerate(texts):
            groups.setdefault(group, []).append(row)

        def group(name: object) -> np.ndarray:
            return vectors[groups.get(name, [])]

        # Each priority borrows the kind whose `about` is closest to its name and message (the target labels and
        # documents, full of grades and percentages, mislead). A kind no priority borrows is work that serves
        # none only when it is far from every priority: attendance work is neither lent to nor held against a
        # priority of Grade 9 transition.
        prototypes = [[group(("own", n))] for n in range(len(priorities))]
        other = [group("other")]
        self.borrowed: dict[str, list[str]] = {key: [] for key in self._keys}  # what each priority was lent
        kinds = work.priority_kinds
        abouts = np.vstack([group(("about", n)) for n in range(len(kinds))]) if kinds else np.zeros((0, 1))
        closeness = np.stack([(abouts @ group(("named", m)).T).mean(axis=1) for m in range(len(priorities))],
                             axis=1) if kinds and priorities else np.zeros((len(kinds), 0))  # fmt: skip
        lent: set[int] = set()
        for m, n in enumerate(closeness.argmax(axis=0) if kinds else []):
            if closeness[n, m] >= other_below:
                prototypes[m].append(group(("kind", n)))
                self.borrowed[self._keys[m]].append(kinds[n].about)
                lent.add(int(n))
        other += [group(("kind", n)) for n in range(len(kinds))
                  if n not in lent and (not priorities or closeness[n].max() < other_below)]  # fmt: skip
        self._prototypes = [np.vstack(parts) for parts in prototypes]
        self._other = np.vstack(other)

    def _embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.asarray(self._embeddings.embed_documents(texts), dtype=np.float32)

    def classify(self, texts: list[str], filed: list[str | None] | None = None) -> list[Verdict]:
        """A Verdict per text, in input order; `filed[i]` is the priority key item i was filed under, if any."""
        if filed is not None and len(filed) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(filed)} filed fields")
        if not texts:
            return []
        items = self._embed(texts)
        scores = np.stack([_closest(items @ protos.T, self._top) for protos in self._prototypes], axis=1)
        other = _closest(items @ self._other.T, self._top)
        return [self._decide(row - o, key) for row, o, key in zip(scores, other, filed or [None] * len(texts),
                                                                  strict=True)]  # fmt: skip

    def _decide(self, margins: np.ndarray, filed: str | None) -> Verdict:
        best = int(margins.argmax())
        if margins[best] < self._margin:
            return Verdict(None, round(float(margins[best]), 3))
        if filed in self._keys:
            mine = self._keys.index(filed)
            # a member's own filing settles a near tie: the item names a grade that two priorities both measure
            if margins[mine] >= self._margin and margins[mine] + self._filed_margin >= margins[best]:
                best = mine
        return Verdict(self._keys[best], round(float(margins[best]), 3))


def _closest(similarities: np.ndarray, top: int) -> np.ndarray:
    """Per row, the mean of its `top` largest values (all of them when there are fewer)."""
    top = min(top, similarities.shape[1])
    return np.sort(similarities, axis=1)[:, -top:].mean(axis=1)


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
