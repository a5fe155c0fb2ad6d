"""A private corpus's vectors in SQL, behind the part of chromadb's Collection API that Resolute uses.

Chroma's files keep what was deleted (its log until the index is saved, its index file for as long as the
collection exists, and stray bytes of the process in files it writes from uninitialised memory), so no
private item goes near it: its vectors live in the database beside its chunks, and a delete there is
made unreadable by the engine's secure delete and checkpoint (bot.store.engine.forget_freed).
A query is brute-force cosine over the corpus's vectors, held in memory until the corpus changes.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.store.tables import index_meta, private_vectors

_BATCH = 5000  # ids a statement names at most, well inside SQLite's limit on bound parameters
_T = private_vectors


class SqlVectors:
    """One private corpus's vectors: upsert, get, query, delete and count, as a chromadb collection."""

    def __init__(self, *, engine: Engine, corpus: str) -> None:
        self.corpus = corpus
        self._engine = engine
        self._writes = 0  # this process's writes; another's commit bumps the corpus's generation
        self._lock = threading.Lock()
        self._cached: tuple[tuple[str, int], list[str], list[bytes]] | None = None
        self._matrices: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # dimensions -> (ids, unit rows)

    def upsert(self, ids: Sequence[str], embeddings, metadatas=None, documents=None) -> None:
        """Write vectors under their ids, each with its item's source (metadatas[i]["source"])."""
        if documents is not None:
            raise ValueError(f"the {self.corpus} corpus is private: its text is kept in SQL's chunks only")
        sources = [m["source"] for m in metadatas] if metadatas is not None else [""] * len(ids)
        rows = [
            {"corpus": self.corpus, "id": i, "source": s, "vector": np.asarray(v, dtype=np.float32).tobytes()}
            for i, v, s in zip(ids, embeddings, sources, strict=True)
        ]
        if not rows:
            return
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(_T)
        statement = statement.on_conflict_do_update(
            index_elements=[_T.c.corpus, _T.c.id],
            set_={"source": statement.excluded.source, "vector": statement.excluded.vector},
        )
        with self._engine.begin() as conn:
            conn.execute(statement, rows)
        self._wrote()

    def get(
        self, ids: Sequence[str] | None = None, where: dict | None = None, include=("embeddings",)
    ) -> dict:
        """{"ids": [...], "embeddings": [...] (if included)} of the named ids and/or sources."""
        columns = [_T.c.id, _T.c.vector] if "embeddings" in include else [_T.c.id]  # ids alone: a survey
        query = select(*columns).where(_T.c.corpus == self.corpus)
        if where is not None:
            sources = where.get("source", {}).get("$in") if list(where) == ["source"] else None
            if sources is None:
                raise ValueError(f'only {{"source": {{"$in": [...]}}}} is supported, not {where!r}')
            query = query.where(_T.c.source.in_(list(sources)))
        rows = []
        with self._engine.connect() as conn:
            if ids is None:
                rows = conn.execute(query.order_by(_T.c.id)).all()
            else:
                ids = list(ids)
                for start in range(0, len(ids), _BATCH):
                    rows += conn.execute(query.where(_T.c.id.in_(ids[start : start + _BATCH]))).all()
        found = {"ids": [r.id for r in rows]}
        if "embeddings" in include:
            found["embeddings"] = [np.frombuffer(r.vector, dtype=np.float32) for r in rows]
        return found

    def query(self, query_embeddings, n_results: int = 10, include=("distances",)) -> dict:
        """The n nearest vectors to the (one) query, by cosine distance (1 - cosine), nearest first."""
        [vector] = query_embeddings
        vector = np.asarray(vector, dtype=np.float32)
        ids, matrix = self._matrix(vector.size)
        norm = float(np.linalg.norm(vector))
        if not len(ids) or not norm or n_results <= 0:
            return {"ids": [[]], "distances": [[]]}
        similarity = matrix @ (vector / norm)
        n = min(n_results, len(ids))
        top = np.argpartition(-similarity, n - 1)[:n]
        top = top[np.argsort(-similarity[top], kind="stable")]
        return {"ids": [[str(ids[i]) for i in top]], "distances": [[float(1.0 - similarity[i]) for i in top]]}

    def delete(self, ids: Sequence[str]) -> None:
        """Delete vectors by id (an id not stored is ignored)."""
        ids = list(ids)
        with self._engine.begin() as conn:
            for start in range(0, len(ids), _BATCH):
                part = ids[start : start + _BATCH]
                conn.execute(delete(_T).where(_T.c.corpus == self.corpus, _T.c.id.in_(part)))
        self._wrote()

    def count(self) -> int:
        """How many vectors the corpus holds."""
        with self._engine.connect() as conn:
            query = select(func.count()).select_from(_T).where(_T.c.corpus == self.corpus)
            return conn.execute(query).scalar_one()

    def _wrote(self) -> None:
        with self._lock:
            self._writes += 1

    def _matrix(self, dimensions: int) -> tuple[np.ndarray, np.ndarray]:
        """The corpus's vectors of this many dimensions as unit rows, loaded again only after a write."""
        where = (index_meta.c.corpus == self.corpus) & (index_meta.c.key == "generation")
        with self._engine.connect() as conn:
            generation = conn.execute(select(index_meta.c.value).where(where)).scalar_one_or_none() or "0"
            with self._lock:
                key = (generation, self._writes)
                if self._cached is None or self._cached[0] != key:
                    rows = conn.execute(
                        select(_T.c.id, _T.c.vector).where(_T.c.corpus == self.corpus).order_by(_T.c.id)
                    ).all()
                    self._cached = (key, [r.id for r in rows], [r.vector for r in rows])
                    self._matrices = {}
                if dimensions not in self._matrices:
                    # vectors of another model (until its ingest is pruned) have another length: left out
                    _, ids, blobs = self._cached
                    kept = [(i, b) for i, b in zip(ids, blobs, strict=True) if len(b) == 4 * dimensions]
                    matrix = np.frombuffer(b"".join(b for _, b in kept), dtype=np.float32)
                    matrix = matrix.reshape(len(kept), dimensions)
                    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
                    matrix = matrix / np.where(norms == 0, 1.0, norms)
                    self._matrices[dimensions] = (np.asarray([i for i, _ in kept], dtype=object), matrix)
                return self._matrices[dimensions]
