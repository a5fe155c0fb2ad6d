"""Cited answers: extractive by default, from an LLM when one is configured (and checked)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from bot.knowledge.compose import MAX_ANSWER_CHARS, Composed, compose
from bot.knowledge.holds import PERSON_NAME
from bot.knowledge.index import Hit, KnowledgeIndex, Mode, Passage
from bot.knowledge.llm_answer import LLM_PASSAGES, model_prompt, model_reply
from bot.knowledge.question import Question, Vocabulary
from bot.knowledge.questions import NUMBER, WHEN, WHO
from bot.knowledge.rank import DEFAULT_RANKER, Reranker, SchoolsNamed, pool
from bot.knowledge.results import DataAnswer, DataAnswering, documents_answer
from bot.store.tables import PUBLIC

if TYPE_CHECKING:  # importing LangChain's model classes takes half a second a cold `ask` need not pay
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)

# Passages retrieved for an answer: its sentences are chosen from all of them, and only those
# quoted are cited.
CANDIDATE_PASSAGES = 10
CARDS_DEEPER = 6  # how many times deeper the documents are searched for when the data cards crowd them out
SUPPORT_MARGIN = 0.15  # a passage backs a data answer only if this much above the relevance threshold
# Cosine similarity (all-MiniLM-L6-v2) of the best passage or sentence below which the question is
# taken as unrelated to the knowledge base; chosen from bench/relevance_threshold.py on the
# development questions (docs/development.md, "How 'nothing found' is decided").
RELEVANCE_THRESHOLD = 0.43
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
    # the source of every passage a language model was shown: its words may say what they say uncited
    shown: list[str] = field(default_factory=list)

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
    rankings merged by fused score) for a caller entitled to all of them. With district data, a
    question goes to the results and to the documents, and is answered by whichever answers it.
    """

    def __init__(
        self,
        *,
        index: KnowledgeIndex | Sequence[KnowledgeIndex],
        llm: BaseChatModel | None = None,
        k: int = CANDIDATE_PASSAGES,
        threshold: float = RELEVANCE_THRESHOLD,
        mode: Mode = "hybrid",
        data: DataAnswering | None = None,
        ranker: Reranker = DEFAULT_RANKER,
    ) -> None:
        self._mode = mode
        self._ranker = ranker  # how the retrieved passages' sentences are ranked (RESOLUTE_RERANKER)
        self._indexes = (index,) if isinstance(index, KnowledgeIndex) else tuple(index)
        if not self._indexes:
            raise ValueError("an Answerer needs at least one index to search")
        self._llm = llm
        self._k = k
        self._threshold = threshold
        self._data = data

    def ask(
        self,
        question: str,
        *,
        history: list[Turn] | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer a question from the index, never from nothing.

        With district data, the question goes to the results and to the documents alike, and the answer
        comes from whichever answers it: a value found beats a passage about it, and a passage that answers
        beats the results' roster or refusal, or a value that leaves unsaid what the question asks
        (`bot.knowledge.results.documents_answer`). No wording decides it.

        `on_text` receives a language model's reply as it is written, before its citations are checked; an
        answer composed from the passages themselves is never streamed."""
        lexicon = self._data.lexicon() if self._data else None
        asked = Question.parse(question, lexicon)  # read once; every later stage reads this value
        question = asked.text  # "the VP at Hillcrest": its vice-principal
        query = question
        if history:  # a follow-up ("and in Grade 6?") is searched with the question before it
            query = f"{history[-1].question} {question}"
        vector = self._indexes[0].embed(query)
        # with district data, twice as deep: the data cards are set aside below
        hits = self._search(query, vector, self._k * 2 if self._data else self._k)
        if self._data and (unknown := self._data.unknown_school(asked, [h.passage.text for h in hits])):
            return Answer(unknown, "extractive")  # not another school's results, nor the district's
        data = self._data_answer(asked, query, lexicon) if self._data else None
        if self._data:  # the cards answer through the results: a data answer cites its card
            hits = [h for h in hits if not self._data.is_card(h.passage)]
            if len(hits) < self._k:  # the cards crowded the documents out: look deeper for documents
                deeper = self._search(query, vector, self._k * CARDS_DEEPER)
                hits = [h for h in deeper if not self._data.is_card(h.passage)][: self._k]
        if data is not None and lexicon and hits and self.relevance(vector, hits) >= self._threshold:
            idf, _ = self._context()
            data = None if documents_answer(asked, data, hits, idf, lexicon) else data
        if data is None and (
            not hits or (self.relevance(vector, hits) < self._threshold and not _person_found(question, hits))
        ):
            return self._nothing_found()
        hits = hits[: self._k]
        named = self._data.namer() if self._data else lambda text: ()  # the results read once a question
        found = data.hit if data else None
        if self._llm is None:
            return self._extractive(asked, hits, vector, found, named)
        return self._llm_answer(asked, hits, history or [], vector, found, named, on_text)

    @staticmethod
    def relevance(vector: list[float], hits: list[Hit]) -> float:
        """How well the best passage or sentence matches the question (cosine): below the threshold,
        nothing in the knowledge base answers it."""
        query = np.asarray(vector, dtype=np.float32)
        best = max((h.dense or 0.0 for h in hits), default=0.0)
        for hit in hits:
            matrix = hit.passage.sentence_matrix(len(query))
            if matrix is not None and len(matrix):
                best = max(best, float((matrix @ query).max()))
        return best

    def _data_answer(self, asked: Question, query: str, lexicon: Vocabulary | None) -> DataAnswer | None:
        found = self._data.answer(asked)
        if found is None and query != asked.text:  # a follow-up names what the question before it did
            found = self._data.answer(Question.parse(query, lexicon))
        return found

    def _search(self, query: str, vector: list[float], k: int) -> list[Hit]:
        found = [
            h for index in self._indexes for h in index.search(query, k=k, mode=self._mode, vector=vector)
        ]
        return sorted(found, key=lambda h: h.score, reverse=True)[:k]

    def _context(self) -> tuple[dict[str, float], Callable[[Passage], list[Passage]]]:
        """Term weights and each passage's document, across the indexes searched."""
        snaps = {index.corpus: index.snapshot() for index in self._indexes}
        idf: dict[str, float] = {}
        for snap in reversed(snaps.values()):  # a term's weight from the first index that has it
            idf.update(snap.idf)
        return idf, lambda passage: snaps[passage.corpus].document(passage)

    def _extractive(
        self, question: Question, hits: list[Hit], vector: list[float], data: Hit | None, named: SchoolsNamed
    ) -> Answer:
        idf, document = self._context()
        if data is None:
            answer = extractive_answer(
                question,
                hits,
                idf,
                vector=vector,
                document=document,
                schools_named=named,
                ranker=self._ranker,
            )
            # no document names the principal of the school asked about: the district's list of schools may
            if not answer.sources and self._data and (roster := self._data.principal(question.text)):
                return Answer(f"{roster.passage.text} [1]", "extractive", [_source(1, roster)])
            return answer
        # the value asked for first, then the sentence of the documents that best supports it (with the one
        # it refers back to)
        text, sources = f"{data.passage.text} [1]", [_source(1, data)]
        if not hits:
            return Answer(text, "extractive", sources)
        composed = _compose(question, hits, vector, idf, document, named, self._ranker)
        best = composed.best or (composed.parts[0] if composed.parts else None)
        if best is None:
            return Answer(text, "extractive", sources)
        sentence = composed.leading(best)
        passage = composed.passages[best.hit]
        # a sentence about another school does not support a school's figure
        if not set(named(question.text)) <= set(named(f"{passage.title}\n{passage.location}\n{sentence}")):
            return Answer(text, "extractive", sources)
        hit = next((h for h in hits if h.passage.id == passage.id), None)
        close = hit is not None and (hit.dense or 0.0) >= self._threshold + SUPPORT_MARGIN
        if close and len(text) + len(sentence) + 5 <= MAX_ANSWER_CHARS:
            text += f" {sentence} [2]"
            sources.append(_source(2, hit))
        return Answer(text, "extractive", sources)

    def _nothing_found(self) -> Answer:
        passages = [p for index in self._indexes for p in index.snapshot().passages]
        if not passages:
            return Answer(
                "The knowledge base is empty, so I can't answer yet. "
                "Run `resolute ingest` to index the district's documents.",
                "extractive",
            )
        # the documents by title; the data cards (a title per school) as one entry; a private corpus (the
        # intervention notes) by its name alone: a note's title names its author
        public = [p for p in passages if p.corpus == PUBLIC]
        documents = [p for p in public if not (self._data and self._data.is_card(p))]
        titles = sorted({p.title for p in documents})
        more = ["other documents"] if len(titles) > 8 else []
        cards = ["the district's results, school by school"] if len(documents) < len(public) else []
        private = sorted({f"the {p.corpus} you may read" for p in passages if p.corpus != PUBLIC})
        shown = "; ".join(titles[:8] + more + cards + private)
        return Answer(
            "I couldn't find anything in the knowledge base that answers that, so I won't guess. "
            f"It covers: {shown}. Try asking about one of those.",
            "extractive",
        )

    def _llm_answer(
        self,
        asked: Question,
        hits: list[Hit],
        history: list[Turn],
        vector: list[float],
        data: Hit | None,
        named: SchoolsNamed,
        on_text: Callable[[str], None] | None = None,
    ) -> Answer:
        question, kind = asked.text, asked.asks
        shown = ([data] if data else []) + hits[:LLM_PASSAGES]
        hint = kind.hint()
        about = named(question) if data is None else []
        if about and kind.kind in (WHO, NUMBER, WHEN):
            # the rule the extractive answer keeps, kept before the model: when no passage it is shown says
            # a name, number or date of the school asked about, a model shown one school's profile when asked
            # for another school's principal would answer with the first school's principal. The
            # extractive answer looks at every passage found, and says it won't guess if none says it.
            idf, document = self._context()
            if _compose(asked, hits[:LLM_PASSAGES], vector, idf, document, named, self._ranker).unanswered:
                return self._extractive(asked, hits, vector, data, named)
        if about:
            schools = " and ".join(about)
            hint += f" It asks about {schools}: use only what the passages say of {schools}, not of another school."
        seen = [h.passage.source for h in shown]
        turns = [(t.question, t.answer or "") for t in history]
        text = model_reply(self._llm, model_prompt(question, hint, shown, turns), on_text)
        if text is None:
            return _with_note(
                self._extractive(asked, hits, vector, data, named),
                "The language model did not answer, so these are the passages themselves.",
                shown=seen,
            )
        checked = check_citations(text, shown)
        if checked is None:
            return _with_note(
                self._extractive(asked, hits, vector, data, named),
                "The model's answer could not be verified against the documents, "
                "so these are the passages themselves.",
                shown=seen,
            )
        checked.shown = seen
        return checked


def _person_found(question: str, hits: list[Hit]) -> bool:
    """A person the question names in full is named in a passage found: "Who is Elaine Fink?" resembles
    little in meaning, but the passage naming her answers it."""
    return any(name.group(0) in h.passage.text for name in PERSON_NAME.finditer(question) for h in hits)


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
    question: Question | str,
    hits: list[Hit],
    idf: dict[str, float],
    *,
    vector: list[float] | None = None,
    document: Callable[[Passage], list[Passage]] = lambda p: [p],
    schools_named: SchoolsNamed = lambda text: (),
    ranker: Reranker = DEFAULT_RANKER,
) -> Answer:
    """The sentences of the passages that best answer the question, verbatim, each cited;
    `schools_named` gives the district's schools a text names (a name, number or date must be said of
    the schools the question names). A question given as text is parsed here, once."""
    if isinstance(question, str):
        question = Question.parse(question)
    composed = _compose(question, hits, vector, idf, document, schools_named, ranker)
    if composed.unanswered:  # another school's principal is not an answer about this one
        return Answer(_not_said_of(composed.unanswered), "extractive")
    return _cited(composed, hits)


def _compose(
    question: Question,
    hits: list[Hit],
    vector: list[float] | None,
    idf: dict[str, float],
    document: Callable[[Passage], list[Passage]],
    schools_named: SchoolsNamed,
    ranker: Reranker = DEFAULT_RANKER,
) -> Composed:
    """The sentences of these hits that answer: ranked, then composed (their passages' cosines as priors)."""
    query = None if vector is None else np.asarray(vector, dtype=np.float32)
    found = pool(
        question, [h.passage for h in hits], [h.dense or 0.0 for h in hits], query, idf, schools_named
    )
    about = list(schools_named(question.text))
    return compose(question, found, document, about=about, schools_named=schools_named, ranker=ranker)


def _cited(composed: Composed, hits: list[Hit]) -> Answer:
    """Number the passages in the order they are first quoted; pieces next to each other in one passage
    share a marker, and a piece that starts a line (a list item, a line that is no sentence) starts one."""
    dense = {h.passage.id: h.dense or 0.0 for h in hits}
    order: dict[int, int] = {}
    text = ""
    parts = composed.parts
    for n, part in enumerate(parts):
        if text:
            text += "\n" if part.line else " "
        text += part.text
        following = parts[n + 1] if n + 1 < len(parts) else None
        runs_on = (
            following is not None
            and not following.line
            and following.hit == part.hit
            and following.index == part.index + 1
            and part.index >= 0
        )
        number = order.setdefault(part.hit, len(order) + 1)
        if not runs_on:
            text += f" [{number}]"
    sources = [
        _source(n, Hit(composed.passages[index], 0.0, dense=dense.get(composed.passages[index].id, 0.0)))
        for index, n in order.items()
    ]
    return Answer(text, "extractive", sources)


def _not_said_of(school: str) -> str:
    return f"Nothing in the knowledge base answers that for {school}, so I won't guess."


def _source(n: int, hit: Hit) -> Source:
    p = hit.passage
    return Source(n, p.title, p.source, p.location, p.text, hit.dense or 0.0)


def _with_note(answer: Answer, note: str, *, shown: list[str]) -> Answer:
    answer.answer = f"{answer.answer}\n\n_{note}_"
    answer.shown = shown  # the model read them, even if its words were set aside
    return answer
