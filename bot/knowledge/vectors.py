"""A corpus's vectors kept in line with its committed chunks: written, restored when lost, pruned.

The chunks in SQL are the record of what a corpus holds; its Chroma collection is derived from them.
A collection that lost vectors (a new empty Chroma server, a database restored without its Chroma
copy, a deleted data folder) is refilled from the chunk text the next time the corpus is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, select

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
) -> int:
    """Embed the rows' texts and upsert them under their ids, a batch at a time; how many were written."""
    for start in range(0, len(rows), batch):
        part = rows[start : start + batch]
        collection.upsert(
            ids=[r.id for r in part],
            embeddings=embed([r.text for r in part]),
            documents=[r.text for r in part],
            metadatas=[
                {"source": r.source, "title": r.title, "location": r.location, "position": r.position}
                for r in part
            ],
        )
        if on_embedded:
            on_embedded(len(part))
    return len(rows)


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
