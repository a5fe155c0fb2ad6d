"""Cited answers: extractive by default, from an LLM when one is configured (and checked)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from langchain_core.language_models import BaseChatModel

from bot.knowledge.index import Hit, KnowledgeIndex, Mode, Passage
from bot.knowledge.text import split_sentences, terms
from bot.prompts import load_prompt

log = logging.getLogger(__name__)

MAX_ANSWER_CHARS = 1000
# Cosine similarity (all-MiniLM-L6-v2) below which the best passage is taken as unrelated to the
# question; chosen from bench/relevance_threshold.py (see README, "How 'nothing found' is decided").
RELEVANCE_THRESHOLD = 0.30
_CITATION = re.compile(r"\[(\d{1,3})\]")


@dataclass
class Source:
    """A passage an answer cites, numbered as in the answer text."""

    n: int
    title: str
    source: str
    location: str
    text: str
    score: float

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return {"n": self.n, "title": self.title, "source": self.source,
                "location": self.location, "text": self.text, "score": round(self.score, 4)}  # fmt: skip


@dataclass
class Answer:
    """What Resolute says back: text with [n] markers and the passages those markers point to."""

    answer: str
    mode: Literal["extractive", "llm"]
    sources: list[Source] = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON-ready form: {"answer", "mode", "sources"}."""
        return {"answer": self.answer, "mode": self.mode, "sources": [s.as_dict() for s in self.sources]}


@dataclass
class Turn:
    """An earlier question and answer in the same conversation."""

    question: str
    answer: str


class Answerer:
    """Retrieves passages for a question and composes a cited answer.

    It searches only the indexes it is given: one corpus, or several searched together (their
    rankings merged by fused score) for a caller entitled to all of them.
    """

    def __init__(
        self,
        *,
        index: KnowledgeIndex | Sequence[KnowledgeIndex],
        llm: BaseChatModel | None = None,
        k: int = 5,
        threshold: float = RELEVANCE_THRESHOLD,
        mode: Mode = "hybrid",
    ) -> None:
        self._mode = mode
        self._indexes = (index,) if isinstance(index, KnowledgeIndex) else tuple(index)
        if not self._indexes:
            raise ValueError("an Answerer needs at least one index to search")
        self._llm = llm
        self._k = k
        self._threshold = threshold

    def ask(self, question: str, *, history: list[Turn] | None = None) -> Answer:
        """Answer a question from the index, never from nothing."""
        question = " ".join(question.split())
        if not question:
            raise ValueError("the question is empty")
        query = question
        if history:  # a follow-up ("and in Grade 6?") is searched with the question before it
            query = f"{history[-1].question} {question}"
        hits = self._search(query)
        if not hits or max(h.dense or 0.0 for h in hits) < self._threshold:
            return self._nothing_found()
        if self._llm is None:
            return self._extractive(question, hits)
        return self._llm_answer(question, hits, history or [])

    def _search(self, query: str) -> list[Hit]:
        if len(self._indexes) == 1:
            return self._indexes[0].search(query, k=self._k, mode=self._mode)
        hits = [h for index in self._indexes for h in index.search(query, k=self._k, mode=self._mode)]
        return sorted(hits, key=lambda h: h.score, reverse=True)[: self._k]

    def _extractive(self, question: str, hits: list[Hit]) -> Answer:
        snaps = {index.corpus: index.snapshot() for index in self._indexes}
        if len(snaps) == 1:
            (snap,) = snaps.values()
            return extractive_answer(question, hits, snap.idf, snap.following)
        idf: dict[str, float] = {}
        for snap in reversed(snaps.values()):  # a term's weight from the first index that has it
            idf.update(snap.idf)

        def following(passage: Passage) -> Passage | None:
            return snaps[passage.corpus].following(passage)

        return extractive_answer(question, hits, idf, following)

    def _nothing_found(self) -> Answer:
        titles = sorted({p.title for index in self._indexes for p in index.snapshot().passages})
        if not titles:
            return Answer(
                "The knowledge base is empty, so I can't answer yet. "
                "Run `resolute ingest` to index the district's documents.",
                "extractive",
            )
        shown = "; ".join(titles[:8]) + ("; and more" if len(titles) > 8 else "")
        return Answer(
            "I couldn't find anything in the knowledge base that answers that, so I won't guess. "
            f"It covers: {shown}. Try asking about one of those.",
            "extractive",
        )

    def _llm_answer(self, question: str, hits: list[Hit], history: list[Turn]) -> Answer:
        passages = "\n\n".join(
            f"[{i}] {h.passage.title} ({h.passage.location})\n{h.passage.text}"
            for i, h in enumerate(hits, start=1)
        )
        earlier = ""
        if history:
            earlier = (
                "\nEarlier in this conversation:\n"
                + "\n".join(
                    f"Q: {t.question}" + (f"\nA: {t.answer}" if t.answer else "") for t in history[-3:]
                )
                + "\n"
            )
        prompt = load_prompt("answer").format(question=question, passages=passages, history=earlier)
        try:
            reply = self._llm.invoke(prompt)
        except Exception as exc:  # timeouts, refused connections, provider errors: fall back
            # the type only: a provider's message can echo the prompt, which may quote private notes
            log.warning("language model failed (%s); answering extractively", type(exc).__name__)
            return _with_note(
                self._extractive(question, hits),
                "The language model did not answer, so these are the passages themselves.",
            )
        text = reply.content if isinstance(reply.content, str) else str(reply.content)
        checked = check_citations(text.strip(), hits)
        if checked is None:
            return _with_note(
                self._extractive(question, hits),
                "The model's answer could not be verified against the documents, "
                "so these are the passages themselves.",
            )
        return checked


def check_citations(text: str, hits: list[Hit]) -> Answer | None:
    """Renumber an LLM answer's [n] markers in citation order; None if any is missing or invalid."""
    cited = [int(n) for n in _CITATION.findall(text)]
    if not text or not cited or any(n < 1 or n > len(hits) for n in cited):
        return None
    order: dict[int, int] = {}
    for n in cited:
        order.setdefault(n, len(order) + 1)
    renumbered = _CITATION.sub(lambda m: f"[{order[int(m.group(1))]}]", text)
    sources = [_source(new, hits[old - 1]) for old, new in order.items()]
    return Answer(renumbered, "llm", sources)


def extractive_answer(
    question: str,
    hits: list[Hit],
    idf: dict[str, float],
    following: Callable[[Passage], Passage | None] = lambda _p: None,
) -> Answer:
    """The sentences from the passages that best answer the question, verbatim, each cited.

    The best-matching sentence comes with the sentences that follow it (an answer usually
    continues after the sentence that echoes the question; of a following list item only its
    first sentence), then the best sentences of the other passages, list items excepted, fill
    what room is left.
    """
    q_terms = set(terms(question))
    weight = {t: idf.get(t, 1.0) for t in q_terms}
    total = sum(weight.values()) or 1.0
    passages = [_sentences(hit.passage.text) for hit in hits]
    ranked = []  # (score, passage rank, sentence index)
    for rank, (hit, sentences) in enumerate(zip(hits, passages, strict=True)):
        prior = 0.5 * (hit.dense or 0.0) + 0.3 / (rank + 1)
        for index, unit in enumerate(sentences):
            overlap = sum(weight[t] for t in q_terms & set(terms(unit.text))) / total
            ranked.append((overlap + prior, rank, index))
    ranked.sort(key=lambda r: r[0], reverse=True)

    chosen: dict[tuple[int, int], str] = {}
    room = MAX_ANSWER_CHARS

    def take(rank: int, index: int, text: str) -> bool:
        nonlocal room
        cost = len(text) + 5  # the space and the "[n]" marker
        if (rank, index) in chosen or cost > room:
            return False
        chosen[(rank, index)] = text
        room -= cost
        return True

    _, rank, index = ranked[0]
    anchor = passages[rank][index]
    if index and anchor.text.split(" ", 1)[0].lower() in _CONTINUATIONS:
        take(rank, index - 1, passages[rank][index - 1].text)
    if not take(rank, index, anchor.text):  # one very long sentence: cut it at a word boundary
        take(rank, index, anchor.text[: MAX_ANSWER_CHARS - 10].rsplit(" ", 1)[0] + " …")
    follow = index + 1
    while room >= MAX_ANSWER_CHARS * _WINDOW_SHARE_LEFT:
        if follow >= len(passages[rank]):  # the answer runs on into the document's next passage
            after = following(hits[rank].passage)
            if after is None:
                break
            hits = [*hits, Hit(after, 0.0, dense=hits[rank].dense)]
            passages.append(_sentences(after.text))
            rank, follow = len(hits) - 1, 0
            continue
        unit = passages[rank][follow]
        if not (unit.in_list and not unit.first_in_line):
            take(rank, follow, unit.text)
        follow += 1
    for _, rank, index in ranked[1:]:
        if room < 60:
            break
        unit = passages[rank][index]
        if not unit.in_list:  # a list item read without its lead-in says nothing on its own
            take(rank, index, unit.text)

    order: dict[int, int] = {}
    parts: list[str] = []
    group_order = {r: i for i, r in enumerate(dict.fromkeys(r for r, _ in chosen))}
    for rank, _index in sorted(chosen, key=lambda key: (group_order[key[0]], key[1])):
        n = order.setdefault(rank, len(order) + 1)
        parts.append(f"{chosen[(rank, _index)]} [{n}]")
    text = " ".join(parts)
    text = re.sub(r" \[(\d+)\](?= [^\[]*\[\1\])", "", text)  # one marker per run from a passage
    return Answer(text, "extractive", [_source(n, hits[rank]) for rank, n in order.items()])


# An answer that starts "This ..." needs the sentence before it to make sense.
_CONTINUATIONS = {"this", "these", "that", "those", "it", "they", "such", "but", "so", "thus", "hence"}
# The window after the best sentence may use the answer's room down to this share.
_WINDOW_SHARE_LEFT = 0.35


@dataclass(frozen=True)
class _Unit:
    text: str
    first_in_line: bool
    in_list: bool


def _sentences(passage: str) -> list[_Unit]:
    units = []
    for line in passage.split("\n"):
        listed = bool(_LIST_MARK.match(line))
        for i, sentence in enumerate(split_sentences(line)):
            units.append(_Unit(sentence, i == 0, listed))
    return units


_LIST_MARK = re.compile(r"^\s*(?:[-*•·▪–]\s|\(?\d{1,3}[.)]\s)")


def _source(n: int, hit: Hit) -> Source:
    p = hit.passage
    return Source(n, p.title, p.source, p.location, p.text, hit.dense or 0.0)


def _with_note(answer: Answer, note: str) -> Answer:
    answer.answer = f"{answer.answer}\n\n_{note}_"
    return answer
