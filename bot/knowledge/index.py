"""Retrieval: dense (Chroma) and lexical (BM25) rankings fused by reciprocal rank."""

from __future__ import annotations

import logging
import math
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import bm25s
import numpy as np
from langchain_core.embeddings import Embeddings
from sqlalchemy import Engine, select

from bot.knowledge.text import terms
from bot.knowledge.vectors import Passage
from bot.knowledge.vectorstore import check_corpus
from bot.store.tables import chunks, index_meta

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG

Mode = Literal["hybrid", "dense", "lexical"]
RRF_K = 5  # small: a passage ranked first by one ranker is not outvoted by middling agreement
LEXICAL_WEIGHT = 1.5  # weight of the BM25 ranking in the fusion (dense counts 1.0)
CANDIDATES = 40  # depth of each ranking fed into the fusion


@dataclass
class Hit:
    """A passage with its fused score and the similarity each ranker gave it."""

    passage: Passage
    score: float
    dense: float | None = None  # cosine similarity to the question
    lexical: float | None = None  # BM25 score


class _Snapshot:
    """Committed passages of one index generation, with their BM25 index."""

    def __init__(self, generation: str, passages: list[Passage]) -> None:
        self.generation = generation
        self.passages = passages
        self.by_id = {p.id: p for p in passages}
        self._by_place = {(p.source, p.position): p for p in passages}
        self._by_source: dict[str, list[Passage]] = {}
        for p in passages:  # loaded in (source, position) order
            self._by_source.setdefault(p.source, []).append(p)
        self.bm25: bm25s.BM25 | None = None
        self.vocab: dict = {}
        self.idf: dict[str, float] = {}
        if passages:
            tokenized = [terms(f"{p.title} {p.location} {p.text}") or ["_"] for p in passages]
            self.bm25 = bm25s.BM25()
            self.bm25.index(tokenized, show_progress=False)
            self.vocab = self.bm25.vocab_dict
            df = Counter(t for doc in tokenized for t in set(doc))
            n = len(tokenized)
            self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}

    def following(self, passage: Passage) -> Passage | None:
        """The next passage of the same document, if any."""
        return self._by_place.get((passage.source, passage.position + 1))

    def document(self, passage: Passage) -> list[Passage]:
        """Every passage of the passage's document, in order."""
        return self._by_source.get(passage.source, [passage])


class KnowledgeIndex:
    """Searches one corpus's committed passages; reloads when a commit bumps that corpus's generation.

    Only the corpus's own chunks are loaded, and dense hits outside them are dropped, so an index
    never returns another corpus's text even if handed the wrong collection.
    """

    def __init__(self, *, engine: Engine, collection, embeddings: Embeddings, corpus: str) -> None:
        self.corpus = check_corpus(corpus)
        self._engine = engine
        # the corpus's vectors (its chromadb collection, or SQL's for a private corpus), queried with the
        # question's vector: LangChain's wrapper would add 0.6 s of imports to a cold `resolute ask`
        self._collection = collection
        self._embeddings = embeddings
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> _Snapshot:
        """The corpus's current generation of passages (loaded once per generation)."""
        with self._engine.connect() as conn:
            generation = (
                conn.execute(
                    select(index_meta.c.value).where(
                        index_meta.c.corpus == self.corpus, index_meta.c.key == "generation"
                    )
                ).scalar_one_or_none()
                or "0"
            )
            if self._snapshot is not None and self._snapshot.generation == generation:
                return self._snapshot
            with self._lock:
                if self._snapshot is None or self._snapshot.generation != generation:
                    rows = conn.execute(
                        select(chunks)
                        .where(chunks.c.corpus == self.corpus)
                        .order_by(chunks.c.source, chunks.c.position)
                    )
                    passages = [Passage(**row._mapping) for row in rows]
                    self._snapshot = _Snapshot(generation, passages)
        return self._snapshot

    def embed(self, question: str) -> list[float]:
        """The question's vector, for `search` and for ranking sentences."""
        return self._embeddings.embed_query(question)

    def search(
        self,
        question: str,
        *,
        k: int = 5,
        mode: Mode = "hybrid",
        vector: list[float] | None = None,
        keep: Callable[[Passage], bool] | None = None,
    ) -> list[Hit]:
        """The k passages that best match the question, best first, each with its cosine. With `keep`, only
        the passages it keeps: the dense ranking runs over the whole corpus and is then narrowed (a cosine owes
        nothing to the other passages), so a reader of a few passages finds theirs however many others rank
        above them; the lexical one runs over the kept passages alone, so their term statistics owe nothing
        to the others' words either."""
        snap = self.snapshot()
        own = snap if keep is None else kept_snapshot(snap, keep)
        if not own.passages:
            return []
        depth = min(CANDIDATES, len(own.passages))
        hits: dict[str, Hit] = {}
        if vector is None:  # also gives every hit a cosine, in any mode
            vector = self.embed(question)
        if mode != "lexical":
            asked = depth if own is snap else len(snap.passages)
            found = self._collection.query(query_embeddings=[vector], n_results=asked, include=["distances"])
            # vectors not in the snapshot belong to an ingest that never committed (or to an item
            # deleted since): skip them, as the passages not kept
            ids, distances = found["ids"][0], found["distances"][0]
            dense = [(pid, 1.0 - dist) for pid, dist in zip(ids, distances, strict=True) if pid in own.by_id]
            for rank, (pid, similarity) in enumerate(dense[:depth]):
                hit = hits.setdefault(pid, Hit(own.by_id[pid], 0.0))
                hit.dense = similarity
                hit.score += 1.0 / (RRF_K + rank + 1)
        if mode != "dense":
            for rank, (pid, score) in enumerate(self._lexical(question, own, depth)):
                hit = hits.setdefault(pid, Hit(own.by_id[pid], 0.0))
                hit.lexical = score
                hit.score += LEXICAL_WEIGHT / (RRF_K + rank + 1)
        ranked = sorted(hits.values(), key=lambda h: h.score, reverse=True)[:k]
        self._fill_dense(vector, ranked)
        return ranked

    def _lexical(self, question: str, snap: _Snapshot, depth: int) -> list[tuple[str, float]]:
        query = [t for t in terms(question) if t in snap.vocab]
        if not query or snap.bm25 is None:
            return []
        docs, scores = snap.bm25.retrieve([query], k=depth, show_progress=False, n_threads=1)
        return [
            (snap.passages[int(i)].id, float(s)) for i, s in zip(docs[0], scores[0], strict=True) if s > 0
        ]

    def _fill_dense(self, vector: list[float], hits: list[Hit]) -> None:
        """Give lexical-only hits a cosine too, so every hit is judged on one scale."""
        missing = [h for h in hits if h.dense is None]
        if not missing:
            return
        stored = self._collection.get(ids=[h.passage.id for h in missing], include=["embeddings"])
        by_id = dict(zip(stored["ids"], stored["embeddings"], strict=True))
        query = np.asarray(vector)
        for hit in missing:
            other = np.asarray(by_id.get(hit.passage.id, ()))
            if (
                other.shape == query.shape
            ):  # another model's vector (its corpus not yet rebuilt): not comparable
                hit.dense = float(query @ other / (np.linalg.norm(query) * np.linalg.norm(other)))


def kept_snapshot(snap: _Snapshot, keep: Callable[[Passage], bool]) -> _Snapshot:
    """The passages of `snap` that `keep` keeps, as a snapshot of their own (their own BM25 and weights)."""
    return _Snapshot(snap.generation, [p for p in snap.passages if keep(p)])


class Within:
    """An index searched for a reader entitled to some of its passages only: `keep()` says, at each search,
    which (the notes of a school reader's schools, as the notes store holds them then)."""

    def __init__(self, index: KnowledgeIndex, keep: Callable[[], Callable[[Passage], bool]]) -> None:
        self._index = index
        self._keep = keep
        self.corpus = index.corpus

    def snapshot(self) -> _Snapshot:
        """The passages the reader may see, alone: an answer's term weights, and what a reply that found
        nothing says exists, owe nothing to the others."""
        return kept_snapshot(self._index.snapshot(), self._keep())

    def embed(self, question: str) -> list[float]:
        """The question's vector."""
        return self._index.embed(question)

    def search(
        self, question: str, *, k: int = 5, mode: Mode = "hybrid", vector: list[float] | None = None
    ) -> list[Hit]:
        """`KnowledgeIndex.search` over the passages the reader may see."""
        return self._index.search(question, k=k, mode=mode, vector=vector, keep=self._keep())
