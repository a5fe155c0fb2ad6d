"""Incremental ingestion: load, chunk, embed and commit documents, all or nothing per run."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, delete, insert, select

from bot.knowledge.chunking import CHUNKING_VERSION, DEFAULT_MAX_TOKENS, Chunk, chunk_blocks
from bot.knowledge.loaders import SUPPORTED_SUFFIXES, LoadError, load_document
from bot.store.tables import chunks, documents, index_meta

# Large batches let the model sort texts by length across more of them (less padding): 64 cost
# about a quarter more time than one call over the same texts.
EMBED_BATCH = 256


@dataclass
class IngestReport:
    """What one ingest run did, by document source."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_total: int = 0

    def as_dict(self) -> dict:
        """The report as plain JSON-ready data."""
        return asdict(self)


@dataclass
class _Pending:
    source: str
    title: str
    content_hash: str
    chunks: list[Chunk]
    is_update: bool


class Ingester:
    """Brings the index in line with the files on disk."""

    def __init__(
        self,
        *,
        engine: Engine,
        collection,
        embed_documents: Callable[[list[str]], list[list[float]]],
        embeddings_id: str,
        count_tokens: Callable[[str], int],
        knowledge_dir: Path,
        max_tokens: int = DEFAULT_MAX_TOKENS,
    ) -> None:
        self._max_tokens = max_tokens
        # what produced the stored chunks: a change to any of it means every document is redone
        self._pipeline = f"{embeddings_id}|chunking-{CHUNKING_VERSION}-{max_tokens}"
        self._engine = engine
        self._collection = collection  # the chromadb collection behind the vector store
        self._embed_documents = embed_documents
        self._embeddings_id = embeddings_id
        self._count_tokens = count_tokens
        self._knowledge_dir = knowledge_dir.resolve()

    def source_key(self, path: Path) -> str:
        """How a file is named in the index: relative to the knowledge dir when inside it."""
        path = path.resolve()
        try:
            return path.relative_to(self._knowledge_dir).as_posix()
        except ValueError:
            return path.as_posix()

    def _absolute(self, source: str) -> Path:
        path = Path(source)
        return path if path.is_absolute() else self._knowledge_dir / path

    def ingest(
        self,
        paths: Iterable[Path],
        *,
        on_plan: Callable[[int], None] | None = None,
        on_embedded: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Ingest files and folders; a folder's vanished files leave the index."""
        report = IngestReport()
        files, roots = self._discover(list(paths), report)
        with self._engine.connect() as conn:
            known = dict(conn.execute(select(documents.c.source, documents.c.content_hash)).all())
            stored_pipeline = conn.execute(
                select(index_meta.c.value).where(index_meta.c.key == "pipeline")
            ).scalar_one_or_none()
        rebuild = bool(known) and stored_pipeline != self._pipeline
        if rebuild:  # a new model or chunking: every document is loaded and embedded again
            files |= {self._absolute(s) for s in known if self._absolute(s).exists()}

        pending: list[_Pending] = []
        seen: set[str] = set()
        for path in sorted(files):
            source = self.source_key(path)
            seen.add(source)
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError as exc:
                report.failed.append({"source": source, "reason": exc.strerror or str(exc)})
                continue
            if known.get(source) == digest and not rebuild:
                report.unchanged.append(source)
                continue
            try:
                doc = load_document(path)
            except LoadError as exc:
                report.failed.append({"source": source, "reason": str(exc)})
                continue
            chunked = chunk_blocks(
                doc.blocks, self._count_tokens, title=doc.title, max_tokens=self._max_tokens
            )
            pending.append(_Pending(source, doc.title, digest, chunked, source in known))

        removed = [
            s for s in known
            if s not in seen and any(self._absolute(s).resolve().is_relative_to(r) for r in roots)
            and not self._absolute(s).exists()
        ]  # fmt: skip
        if rebuild:  # vectors of the old model or chunking cannot be kept: what is not redone goes
            redone = {p.source for p in pending}
            removed = [s for s in known if s not in redone]
        if on_plan:
            on_plan(sum(len(p.chunks) for p in pending))
        report.chunks_embedded = self._embed_and_upsert(pending, on_embedded)
        self._commit(pending, removed, drop_all=rebuild)
        for item in pending:
            (report.updated if item.is_update else report.added).append(item.source)
        report.removed = sorted(removed)
        report.chunks_total = self._prune_vectors()
        return report

    def _discover(self, paths: list[Path], report: IngestReport) -> tuple[set[Path], list[Path]]:
        files: set[Path] = set()
        roots: list[Path] = []
        for path in paths:
            if path.is_dir():
                roots.append(path.resolve())
                for found in path.rglob("*"):
                    if (
                        found.is_file()
                        and found.suffix.lower() in SUPPORTED_SUFFIXES
                        and not any(part.startswith(".") for part in found.relative_to(path).parts)
                    ):
                        files.add(found.resolve())
            elif path.is_file():
                if path.suffix.lower() in SUPPORTED_SUFFIXES:
                    files.add(path.resolve())
                else:
                    report.failed.append(
                        {
                            "source": self.source_key(path),
                            "reason": f"unsupported file type (Resolute reads {', '.join(SUPPORTED_SUFFIXES)})",
                        }
                    )
            else:
                report.failed.append({"source": str(path), "reason": "no such file or folder"})
        return files, roots

    def _embed_and_upsert(self, pending: list[_Pending], on_embedded) -> int:
        """Embed new chunks and write their vectors; they stay invisible until the commit."""
        rows = [
            (chunk_id(p.source, p.content_hash, c.position, self._embeddings_id), p, c)
            for p in pending
            for c in p.chunks
        ]
        for start in range(0, len(rows), EMBED_BATCH):
            batch = rows[start : start + EMBED_BATCH]
            vectors = self._embed_documents([c.text for _, _, c in batch])
            self._collection.upsert(
                ids=[cid for cid, _, _ in batch],
                embeddings=vectors,
                documents=[c.text for _, _, c in batch],
                metadatas=[
                    {"source": p.source, "title": p.title, "location": c.location, "position": c.position}
                    for _, p, c in batch
                ],
            )
            if on_embedded:
                on_embedded(len(batch))
        return len(rows)

    def _commit(self, pending: list[_Pending], removed: list[str], *, drop_all: bool) -> None:
        """One transaction: the index is either wholly the old one or wholly the new one."""
        now = datetime.now(UTC)
        with self._engine.begin() as conn:
            if drop_all:
                conn.execute(delete(chunks))
                conn.execute(delete(documents))
            gone = removed + [p.source for p in pending if p.is_update]
            if gone:
                conn.execute(delete(chunks).where(chunks.c.source.in_(gone)))
                conn.execute(delete(documents).where(documents.c.source.in_(gone)))
            chunk_rows = [
                {
                    "id": chunk_id(p.source, p.content_hash, c.position, self._embeddings_id),
                    "source": p.source,
                    "position": c.position,
                    "title": p.title,
                    "location": c.location,
                    "text": c.text,
                }
                for p in pending
                for c in p.chunks
            ]
            if chunk_rows:
                conn.execute(insert(chunks), chunk_rows)
            if pending:
                conn.execute(
                    insert(documents),
                    [
                        {
                            "source": p.source,
                            "title": p.title,
                            "content_hash": p.content_hash,
                            "chunk_count": len(p.chunks),
                            "ingested_at": now,
                        }
                        for p in pending
                    ],
                )
            if pending or removed or drop_all:
                _bump_generation(conn)
            _set_meta(conn, "pipeline", self._pipeline)

    def _prune_vectors(self) -> int:
        """Delete vectors the committed index does not list (replaced, removed or orphaned)."""
        with self._engine.connect() as conn:
            live = set(conn.execute(select(chunks.c.id)).scalars())
        stored = set(self._collection.get(include=[])["ids"])
        stale = list(stored - live)
        for start in range(0, len(stale), 5000):
            self._collection.delete(ids=stale[start : start + 5000])
        return len(live)


def chunk_id(source: str, content_hash: str, position: int, embeddings_id: str) -> str:
    """Stable id of a chunk: the same file, content, position and model give the same id."""
    key = f"{embeddings_id}|{source}|{content_hash}|{position}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _set_meta(conn, key: str, value: str) -> None:
    updated = conn.execute(index_meta.update().where(index_meta.c.key == key).values(value=value))
    if updated.rowcount == 0:
        conn.execute(insert(index_meta).values(key=key, value=value))


def _bump_generation(conn) -> None:
    current = conn.execute(
        select(index_meta.c.value).where(index_meta.c.key == "generation")
    ).scalar_one_or_none()
    _set_meta(conn, "generation", str(int(current or 0) + 1))
