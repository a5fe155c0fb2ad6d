"""Ranking the sentences of the retrieved passages by how well each answers the question.

Ranking is one narrow interface, `Reranker`: given the parsed question and the pool of candidate
sentences, a score for each. The default, `SignalRanker`, adds six signals, each from 0 to 1, by six
named weights (`Weights`):

- meaning: the cosine of the sentence's vector (stored at ingest) to the question's;
- context: the cosine of the sentence together with its neighbours (the mean of its vector and those of
  the sentences either side), because the sentence that answers often resembles the question less than
  its neighbours do ("Numeracy is coordinated centrally. Lead: Hannah Kowalski.");
- shared: the question's words the sentence holds, each weighted by its rarity (idf) in the corpus; a word
  in its section heading or document title counts half ("Hillcrest Elementary" in a profile's title);
- holds: whether it holds the kind of thing asked for: a name, a number, a date or time of day, a
  definition, a reason (bot.knowledge.holds);
- found: how high retrieval (dense and lexical, fused) ranked its passage, as 1 / rank;
- new: the share of its words (by rarity) the question does not hold: what it says beyond repeating
  the question ("Many people ask how much the rate rose" says nothing).

A cross-encoder that reads (question, sentence) pairs implements the same protocol from `question.text`
and `pool.text(i)`; nothing downstream changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

import numpy as np

from bot.knowledge.holds import Holds, words
from bot.knowledge.loaders import SUPPORTED_SUFFIXES
from bot.knowledge.question import Question
from bot.knowledge.questions import NUMBER, WHEN, WHO, QuestionKind
from bot.knowledge.structure import asks, labels, refers_back
from bot.knowledge.text import Unit, answer_units, terms
from bot.knowledge.vectors import Passage

SchoolsNamed = Callable[[str], Sequence[str]]  # the district's schools a text names


@dataclass(frozen=True)
class Weights:
    """How much each signal counts. Chosen on the development questions only (every dev half of
    bench/eval_answers.py): each weight moved in turn while the share of fact groups held by the 1, 3 and 6
    best sentences of each question's passages rose; the figure is flat around these values."""

    meaning: float = 0.35
    context: float = 0.3
    shared: float = 0.4
    holds: float = 0.2
    found: float = 0.2
    new: float = 0.6


WEIGHTS = Weights()


@dataclass(frozen=True)
class Candidate:
    """A sentence that may answer: which passage (hit) it is in and which of that passage's units."""

    hit: int
    index: int


@dataclass
class Pool:
    """The sentences of the passages retrieved for a question, and what a ranker may read of them."""

    passages: list[Passage]
    units: list[list[Unit]]
    candidates: list[Candidate]
    query: np.ndarray | None  # the question's vector
    priors: list[float]  # each passage's cosine to the question
    idf: Mapping[str, float]
    asked: frozenset[str]  # the question's words, as `terms` gives them
    reader: Holds  # what a sentence holds of what is asked
    _holds: dict[QuestionKind, np.ndarray] = field(default_factory=dict, repr=False)

    def unit(self, c: Candidate) -> Unit:
        """The candidate's sentence as cut from its passage."""
        return self.units[c.hit][c.index]

    def text(self, i: int) -> str:
        """The i-th candidate's text, verbatim (what a cross-encoder would read)."""
        return self.unit(self.candidates[i]).text

    def holds(self, question: Question, kind: QuestionKind | None = None) -> np.ndarray:
        """How far each candidate holds the kind of thing asked (the question's first part by default)."""
        kind = kind or question.asks
        if kind not in self._holds:
            self._holds[kind] = np.array([self._held(kind, c) for c in self.candidates])
        return self._holds[kind]

    def _held(self, kind: QuestionKind, c: Candidate) -> float:
        """What a sentence holds, read with the sentence it refers back to ("What is a check-in? It is a
        60-minute meeting ...": the pair defines it), and a list item's sentence with its label, which an
        answer quotes with it ("- Credit recovery. Students who ...": the item defines it)."""
        units, unit = self.units[c.hit], self.unit(c)
        held = self.reader.kind(kind, unit.text)
        if c.index and refers_back(unit) and not units[c.index - 1].heading:
            held = max(held, self.reader.kind(kind, f"{units[c.index - 1].text} {unit.text}"))
        if self.label(c):
            held = max(held, self.reader.kind(kind, f"{units[c.index - 1].text} {unit.text}"))
        return held

    def label(self, c: Candidate) -> frozenset[str]:
        """The words of the label of a list item's sentence ("- Credit rescue." before "A student ..."), which
        an answer quotes with it; empty for any other sentence."""
        units = self.units[c.hit]
        before = units[c.index - 1] if c.index else None
        return words(before.text) if before and labels(before, units[c.index]) else frozenset()

    def mentions(self, i: int) -> bool:
        """Whether the i-th candidate, its heading or its document's title holds a word of the question."""
        passage = self.passages[self.candidates[i].hit]
        return bool(self.asked & (words(self.text(i)) | words(f"{passage.location} {passage.title}")))

    def vectors(self, hit: int) -> np.ndarray | None:
        """The passage's sentence vectors, one row a unit; None if missing or cut differently."""
        if self.query is None:
            return None
        matrix = self.passages[hit].sentence_matrix(len(self.query))
        return matrix if matrix is not None and len(matrix) == len(self.units[hit]) else None


def pool(
    question: Question,
    passages: Sequence[Passage],
    priors: Sequence[float],
    query: np.ndarray | None,
    idf: Mapping[str, float],
    schools_named: SchoolsNamed = lambda text: (),
) -> Pool:
    """Cut the passages into sentences; every sentence but a heading or a question in the text is a candidate."""
    units = [list(sentences(p.text, p.location)) for p in passages]
    candidates = [
        Candidate(hit, index)
        for hit, found in enumerate(units)
        for index, unit in enumerate(found)
        if not unit.heading and not asks(unit)
    ]
    asked = frozenset(terms(question.text))
    reader = Holds(asked, [p.text for p in passages], schools_named)
    return Pool(list(passages), units, candidates, query, list(priors), idf, asked, reader)


@lru_cache(maxsize=4096)
def sentences(text: str, location: str) -> tuple[Unit, ...]:
    """A passage's units (`answer_units`), kept: the same passages are found for many questions."""
    return tuple(answer_units(text, location))


class Reranker(Protocol):
    """Scores each candidate sentence of a pool for a question; higher answers better."""

    def score(self, question: Question, pool: Pool, kind: QuestionKind | None = None) -> np.ndarray:
        """One score per `pool.candidates`, in order. `kind`, when given, is what is asked instead of
        `question.asks` (the second part of a two-part question)."""


class SignalRanker:
    """The default ranker: six signals, each 0 to 1, added by `Weights`."""

    def __init__(self, weights: Weights = WEIGHTS) -> None:
        self.weights = weights

    def score(self, question: Question, pool: Pool, kind: QuestionKind | None = None) -> np.ndarray:
        """The weighted sum of the signals of every candidate."""
        signals = self.signals(question, pool, kind)
        w = self.weights
        return (
            w.meaning * signals["meaning"]
            + w.context * signals["context"]
            + w.shared * signals["shared"]
            + w.holds * signals["holds"]
            + w.found * signals["found"]
            + w.new * signals["new"]
        )

    def signals(
        self, question: Question, pool: Pool, kind: QuestionKind | None = None
    ) -> dict[str, np.ndarray]:
        """Each signal for every candidate, by name (for the score, and for fitting the weights)."""
        n = len(pool.candidates)
        meaning, context = np.zeros(n), np.zeros(n)
        by_hit: dict[int, list[int]] = {}
        for i, c in enumerate(pool.candidates):
            by_hit.setdefault(c.hit, []).append(i)
        for hit, rows in by_hit.items():
            own, around = _similarities(pool.vectors(hit), pool.query, _neighbours(pool, hit))
            for i in rows:
                index = pool.candidates[i].index
                # without sentence vectors (stored by an older ingest) the passage's own cosine stands in
                meaning[i] = own[index] if own is not None else pool.priors[hit]
                context[i] = around[index] if around is not None else pool.priors[hit]
        return {
            "meaning": meaning,
            "context": context,
            "shared": _shared(pool),
            "holds": pool.holds(question, kind),
            "found": np.array([1 / (c.hit + 1) for c in pool.candidates]),
            "new": _new(pool),
        }


def _neighbours(pool: Pool, hit: int) -> list[list[int]]:
    """Each unit's neighbours in its passage: the units either side."""
    count = len(pool.units[hit])
    return [[j for j in (k - 1, k + 1) if 0 <= j < count] for k in range(count)]


def _similarities(
    matrix: np.ndarray | None, query: np.ndarray | None, neighbours: list[list[int]]
) -> tuple[np.ndarray | None, ...]:
    """Each unit's cosine to the query, and that of the unit together with its context (the mean of its
    neighbours' vectors, counted as much as the unit itself)."""
    if matrix is None or query is None:
        return None, None
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = matrix / np.where(norms == 0, 1, norms)
    context = np.array(
        [unit[k] + (unit[near].mean(axis=0) if near else 0.0) for k, near in enumerate(neighbours)]
    )
    context /= np.maximum(np.linalg.norm(context, axis=1, keepdims=True), 1e-9)
    return unit @ query, context @ query


def _shared(pool: Pool) -> np.ndarray:
    """The share of the question's words (weighted by rarity) each sentence holds; its heading's and
    title's words count half."""
    asked = pool.asked
    weight = {t: pool.idf.get(t, 1.0) for t in asked}
    total = sum(weight.values()) or 1.0
    around = [words(f"{p.title} {p.location}") for p in pool.passages]
    shared = np.zeros(len(pool.candidates))
    for i, c in enumerate(pool.candidates):
        own = asked & (words(pool.text(i)) | pool.label(c))
        near = (asked & around[c.hit]) - own
        shared[i] = (sum(weight[t] for t in own) + 0.5 * sum(weight[t] for t in near)) / total
    return shared


def _new(pool: Pool) -> np.ndarray:
    """The share of each sentence's words (weighted by rarity) that the question does not hold: what it
    says beyond repeating the question ("Many people ask how much the rate rose" says nothing new)."""
    new = np.zeros(len(pool.candidates))
    for i in range(len(pool.candidates)):
        held = words(pool.text(i))
        total = sum(pool.idf.get(t, 1.0) for t in held)
        new[i] = sum(pool.idf.get(t, 1.0) for t in held - pool.asked) / total if total else 0.0
    return new


DEFAULT_RANKER: Reranker = SignalRanker()

# a document's file name, of a kind the knowledge folder may hold: "003_foreword.txt", "plan.md"
_FILE = re.compile(r"[\w.-]+(?:" + "|".join(re.escape(s) for s in SUPPORTED_SUFFIXES) + r")\b")


def allowed(
    question: Question, pool: Pool, about: Sequence[str], schools_named: SchoolsNamed
) -> np.ndarray | None:
    """Which candidates may answer: not a folder's index (a passage naming two or more document files) unless
    who or when is asked; with schools asked about, not another school's own document, and for a name,
    number or date only a sentence said of them; None when no such sentence holds one."""
    ok = np.ones(len(pool.candidates), dtype=bool)
    if question.asks.kind not in (WHO, WHEN):  # a folder's index says who wrote its files, and when
        index = [len(set(_FILE.findall(p.text))) > 1 for p in pool.passages]
        ok &= np.array([not index[c.hit] for c in pool.candidates], dtype=bool)
    if not about:
        return ok
    titled = [frozenset(schools_named(p.title)) for p in pool.passages]
    ok &= np.array([not titled[c.hit] or bool(titled[c.hit] & set(about)) for c in pool.candidates])
    if question.asks.kind not in (WHO, NUMBER, WHEN):
        return ok
    said = []
    for c in pool.candidates:  # the sentence's line, its heading or its document's title names them all
        passage = pool.passages[c.hit]
        line = passage.text.split("\n")[pool.unit(c).line]
        said.append(set(about) <= set(schools_named(f"{passage.title}\n{passage.location}\n{line}")))
    ok &= np.array(said, dtype=bool)
    return ok if (ok & (pool.holds(question) >= 0.6)).any() else None
