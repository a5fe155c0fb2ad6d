"""A corpus's vectors kept in line with its committed chunks: written, restored when lost, pruned.

The chunks in SQL are the record of what a corpus holds; its vectors are derived from them (the public
corpus's in a Chroma collection, a private corpus's in SQL: bot.knowledge.sqlvectors). Vectors that were
lost (a new empty Chroma server, a database restored without its Chroma copy, a deleted data folder, a
private corpus's Chroma collection dropped on upgrade) are refilled from the chunk text the next time the
corpus is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import numpy as np
from sqlalchemy import Engine, select

from bot.knowledge.text import answer_units
from bot.store.tables import PUBLIC, chunks

DELETE_BATCH = 5000


@dataclass(frozen=True)
class Passage:
    """One chunk of a corpus: as committed in SQL, as embedded in Chroma, and as search returns it."""

    id: str
    source: str
    title: str
    location: str
    position: int
    text: str
    corpus: str = PUBLIC
    # float16 rows, one per answer unit (bot.knowledge.text.answer_units); None if never embedded
    sentence_vectors: bytes | None = field(default=None, repr=False, compare=False)

    def sentence_matrix(self, dimensions: int) -> np.ndarray | None:
        """The sentence vectors as a (sentences, dimensions) array, or None if they are missing."""
        if not self.sentence_vectors:
            return None
        matrix = np.frombuffer(self.sentence_vectors, dtype=np.float16)
        if matrix.size % dimensions:
            return None  # made by another model: ranked without them until the next ingest
        return matrix.reshape(-1, dimensions).astype(np.float32)


@dataclass(frozen=True)
class Survey:
    """What a collection held before a write, and the committed chunks it had no vector for."""

    stored: frozenset[str]
    missing: list[str]


def chunk_id(corpus: str, source: str, content_hash: str, position: int, embeddings_id: str) -> str:
    """Stable id of a chunk: the same corpus, source, content, position and model give the same id."""
    key = f"{embeddings_id}|{source}|{content_hash}|{position}"
    if corpus != PUBLIC:  # public ids are as they were before corpora, so its vectors are kept
        key = f"{corpus}|{key}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def write_vectors(
    collection,
    embed: Callable[[list[str]], list[list[float]]],
    rows: list[Passage],
    *,
    batch: int,
    on_embedded: Callable[[int], None] | None = None,
    keep: dict[str, list[float]] | None = None,
) -> int:
    """Embed the rows' texts and upsert them under their ids, a batch at a time; how many were written.

    `keep`, if given, collects each text's vector (a one-sentence chunk is its own sentence vector).
    """
    for start in range(0, len(rows), batch):
        part = rows[start : start + batch]
        texts = [embedded_text(r) for r in part]
        embedded = embed(texts)
        if keep is not None:
            keep.update(zip(texts, embedded, strict=True))
        collection.upsert(ids=[r.id for r in part], embeddings=embedded, **_held(part))
        if on_embedded:
            on_embedded(len(part))
    return len(rows)


def _held(rows: list[Passage]) -> dict:
    """What is kept besides a chunk's vector: a public chunk's text and place (in Chroma); of a private
    chunk, only the item it belongs to (its vectors are in SQL, and its text in SQL's chunks alone)."""
    if all(r.corpus == PUBLIC for r in rows):
        places = [{"source": r.source, "title": r.title, "location": r.location, "position": r.position}
                  for r in rows]  # fmt: skip
        return {"documents": [r.text for r in rows], "metadatas": places}
    return {"metadatas": [{"source": r.source} for r in rows]}


def embedded_text(passage: Passage) -> str:
    """What a chunk's vector is made from: a document's chunk with the document's title first, so a
    school profile's opening lines ("Principal: ...") are found by the school's name."""
    if passage.corpus != PUBLIC or not passage.title or passage.text.startswith(passage.title):
        return passage.text  # a note's title says only who wrote it
    return f"{passage.title}\n{passage.text}"


def with_sentence_vectors(
    rows: list[Passage],
    embed: Callable[[list[str]], list[list[float]]],
    *,
    batch: int,
    known: dict[str, list[float]] | None = None,
) -> list[Passage]:
    """The rows with a vector for each of their sentences; a sentence said twice (or already embedded
    as a whole chunk, in `known`) is embedded once."""
    units = [[u.text for u in answer_units(r.text, r.location)] for r in rows]
    vector: dict[str, list[float]] = dict(known or {})
    unique = [t for t in dict.fromkeys(text for row in units for text in row) if t not in vector]
    for start in range(0, len(unique), batch):
        part = unique[start : start + batch]
        vector.update(zip(part, embed(part), strict=True))
    return [
        replace(r, sentence_vectors=np.asarray([vector[t] for t in texts], dtype=np.float16).tobytes())
        for r, texts in zip(rows, units, strict=True)
    ]


def survey(engine: Engine, collection, corpus: str, *, skip: set[str]) -> Survey:
    """List the collection's ids once; the committed chunks that have no vector, but those of `skip`."""
    # the chunks first: one committed by another process after this read is not taken for lost
    with engine.connect() as conn:
        committed = conn.execute(select(chunks.c.id, chunks.c.source).where(chunks.c.corpus == corpus)).all()
    stored = frozenset(collection.get(include=[])["ids"])
    return Survey(
        stored, sorted(cid for cid, source in committed if cid not in stored and source not in skip)
    )


def restore(
    engine: Engine,
    collection,
    embed: Callable[[list[str]], list[list[float]]],
    corpus: str,
    ids: list[str],
    *,
    batch: int,
    on_embedded: Callable[[int], None] | None = None,
) -> list[str]:
    """Embed committed chunks again from their stored text; the ids written (a chunk deleted since is not)."""
    written: list[str] = []
    for start in range(0, len(ids), batch):
        query = select(chunks).where(chunks.c.corpus == corpus, chunks.c.id.in_(ids[start : start + batch]))
        with engine.connect() as conn:
            rows = [Passage(**row._mapping) for row in conn.execute(query.order_by(chunks.c.id))]
        write_vectors(collection, embed, rows, batch=batch, on_embedded=on_embedded)
        written += [row.id for row in rows]
    return written


def committed_ids(engine: Engine, corpus: str, sources: Iterable[str] | None = None) -> set[str]:
    """Ids of the corpus's committed chunks, of the given sources only when named."""
    query = select(chunks.c.id).where(chunks.c.corpus == corpus)
    if sources is not None:
        query = query.where(chunks.c.source.in_(list(sources)))
    with engine.connect() as conn:
        return set(conn.execute(query).scalars())


def delete_vectors(collection, ids: Iterable[str]) -> None:
    """Delete vectors by id, in batches a Chroma server accepts."""
    ids = sorted(ids)
    for start in range(0, len(ids), DELETE_BATCH):
        collection.delete(ids=ids[start : start + DELETE_BATCH])
