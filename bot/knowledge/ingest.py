"""Incremental ingestion: load, chunk, embed and commit, all or nothing per run.

Files on disk make up the public corpus; text that is not a file (a note, a check-in answer) goes
to a named private corpus through `upsert_texts`. Every write names its corpus, and a commit bumps
only that corpus's generation, so one corpus's change never reloads another's index.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path

from sqlalchemy import Engine, Integer, String, cast, delete, func, insert, select

from bot.knowledge import vectors
from bot.knowledge.chunking import CHUNKING_VERSION, DEFAULT_MAX_TOKENS, Chunk, chunk_blocks
from bot.knowledge.loaders import SUPPORTED_SUFFIXES, LoadError, load_document
from bot.knowledge.text import ANSWER_UNITS_VERSION
from bot.knowledge.text_items import TextItem, check_items, private_corpus
from bot.knowledge.vectors import Passage, Survey, chunk_id
from bot.store.tables import PUBLIC, chunks, documents, index_meta

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
    chunks_embedded: int = 0  # new chunks and restored ones
    vectors_restored: int = 0  # committed chunks whose lost vector was embedded again
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
    """Brings the public corpus in line with the files on disk, and keeps private corpora of texts."""

    def __init__(
        self,
        *,
        engine: Engine,
        collections: Callable[[str], object],
        embed_documents: Callable[[list[str]], list[list[float]]],
        embeddings_id: str,
        count_tokens: Callable[[str], int],
        knowledge_dir: Path,
        max_tokens: int = DEFAULT_MAX_TOKENS,
    ) -> None:
        self._max_tokens = max_tokens
        # what produced the stored chunks: a change to any of it means every document is redone
        sentences = f"sentences-{ANSWER_UNITS_VERSION}"
        self._pipeline = f"{embeddings_id}|chunking-{CHUNKING_VERSION}-{max_tokens}|{sentences}"
        # a text corpus's chunks outlive chunking changes; a new model or sentence cut redoes them
        self._text_pipeline = f"{embeddings_id}|{sentences}"
        self._engine = engine
        self._collections = collections  # corpus -> its vectors for this model (Chroma, or SQL if private)
        self._collection_of: dict[str, object] = {}
        self._embed_documents = embed_documents
        self._embeddings_id = embeddings_id
        self._count_tokens = count_tokens
        self._knowledge_dir = knowledge_dir.resolve()

    def _collection(self, corpus: str):
        if corpus not in self._collection_of:
            self._collection_of[corpus] = self._collections(corpus)
        return self._collection_of[corpus]

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
        """Ingest files and folders into the public corpus; a folder's vanished files leave it."""
        corpus = PUBLIC
        report = IngestReport()
        files, roots = self._discover(list(paths), report)
        with self._engine.connect() as conn:
            known = dict(
                conn.execute(
                    select(documents.c.source, documents.c.content_hash).where(documents.c.corpus == corpus)
                ).all()
            )
            stored_pipeline = _get_meta(conn, corpus, "pipeline")
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
        found = self._survey(corpus, pending, removed)
        if on_plan:
            on_plan(sum(len(p.chunks) for p in pending) + len(found.missing))
        passages = self._embed_and_upsert(corpus, pending, on_embedded)
        report.chunks_embedded = len(passages)
        self._commit(corpus, pending, passages, removed, drop_all=rebuild, pipeline=self._pipeline)
        for item in pending:
            (report.updated if item.is_update else report.added).append(item.source)
        report.removed = sorted(removed)
        restored = self._restore(corpus, found, report, on_embedded)
        report.chunks_total = self._prune(corpus, found, restored)
        return report

    def upsert_texts(self, corpus: str, items: Iterable[TextItem]) -> IngestReport:
        """Add or replace text items in a private corpus; an unchanged item is not embedded again.

        These texts have no file to be read from, so their stored chunks are embedded again after a
        change of embedding model, and so is any whose vector the collection lost (call with no
        items to do only that).
        """
        corpus = private_corpus(corpus)
        items = list(items)
        check_items(items)
        report = IngestReport()
        with self._engine.connect() as conn:
            has_documents = conn.execute(
                select(func.count()).select_from(documents).where(documents.c.corpus == corpus)
            ).scalar_one()
            known = self._hashes(conn, corpus, [item.id for item in items])
            stored_pipeline = _get_meta(conn, corpus, "pipeline")
        rebuild = bool(has_documents) and stored_pipeline != self._text_pipeline
        pending: list[_Pending] = []
        for item in items:
            digest = item.content_hash()
            if known.get(item.id) == digest and not rebuild:
                report.unchanged.append(item.id)
                continue
            chunked = item.chunks(self._count_tokens, self._max_tokens)
            pending.append(_Pending(item.id, item.title, digest, chunked, item.id in known))
            (report.updated if item.id in known else report.added).append(item.id)
        if rebuild:
            pending += self._stored(corpus, skip={p.source for p in pending})
        found = self._survey(corpus, pending, [])
        if pending or stored_pipeline != self._text_pipeline:
            passages = self._embed_and_upsert(corpus, pending, None)
            report.chunks_embedded = len(passages)
            self._commit(corpus, pending, passages, [], drop_all=rebuild, pipeline=self._text_pipeline)
        restored = self._restore(corpus, found, report, None)
        if restored:  # vectors written without a commit: other processes reload what they hold of the corpus
            with self._engine.begin() as conn:
                _bump_generation(conn, corpus)
        # after a new model, everything not committed goes; otherwise only the replaced items'
        # stale vectors, since another process may be writing other items of this corpus right now
        report.chunks_total = self._prune(corpus, found, restored, None if rebuild else pending)
        return report

    def delete(self, corpus: str, ids: Iterable[str]) -> list[str]:
        """Remove text items from a private corpus and from its search at once; the ids it removed."""
        corpus = private_corpus(corpus)
        wanted = list(dict.fromkeys(ids))
        with self._engine.begin() as conn:
            found = sorted(self._hashes(conn, corpus, wanted))
            if found:
                conn.execute(delete(chunks).where(chunks.c.corpus == corpus, chunks.c.source.in_(found)))
                conn.execute(
                    delete(documents).where(documents.c.corpus == corpus, documents.c.source.in_(found))
                )
                _bump_generation(conn, corpus)
        self._prune_sources(corpus, found)
        return found

    @staticmethod
    def _hashes(conn, corpus: str, sources: list[str]) -> dict[str, str]:
        if not sources:
            return {}
        query = select(documents.c.source, documents.c.content_hash).where(
            documents.c.corpus == corpus, documents.c.source.in_(sources)
        )
        return dict(conn.execute(query).all())

    def _stored(self, corpus: str, *, skip: set[str]) -> list[_Pending]:
        """A corpus's committed chunks as they are, to be embedded again by a new model."""
        query = (
            select(chunks.c.source, chunks.c.title, chunks.c.location, chunks.c.position, chunks.c.text,
                   documents.c.content_hash)
            .join(documents, (documents.c.corpus == chunks.c.corpus) & (documents.c.source == chunks.c.source))
            .where(chunks.c.corpus == corpus)
            .order_by(chunks.c.source, chunks.c.position)
        )  # fmt: skip
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        stored = []
        for source, group in groupby(rows, key=lambda r: r.source):
            group = list(group)
            if source not in skip:
                kept = [Chunk(r.text, r.location, r.position) for r in group]
                stored.append(_Pending(source, group[0].title, group[0].content_hash, kept, True))
        return stored

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

    def _passages(self, corpus: str, pending: list[_Pending]) -> list[Passage]:
        """The chunks of pending documents under their ids: embedded first, then committed."""
        return [
            Passage(chunk_id(corpus, p.source, p.content_hash, c.position, self._embeddings_id),
                    p.source, p.title, c.location, c.position, c.text, corpus)
            for p in pending
            for c in p.chunks
        ]  # fmt: skip

    def _embed_and_upsert(self, corpus: str, pending: list[_Pending], on_embedded) -> list[Passage]:
        """Embed new chunks and write their vectors (invisible until the commit); the chunks with their
        sentence vectors, to be committed."""
        passages = self._passages(corpus, pending)
        known: dict[str, list[float]] = {}
        vectors.write_vectors(
            self._collection(corpus), self._embed_documents, passages, batch=EMBED_BATCH,
            on_embedded=on_embedded, keep=known,
        )  # fmt: skip
        return vectors.with_sentence_vectors(passages, self._embed_documents, batch=EMBED_BATCH, known=known)

    def _commit(
        self,
        corpus: str,
        pending: list[_Pending],
        passages: list[Passage],
        removed: list[str],
        *,
        drop_all: bool,
        pipeline: str,
    ) -> None:
        """One transaction: the corpus is either wholly the old one or wholly the new one."""
        now = datetime.now(UTC)
        with self._engine.begin() as conn:
            gone = removed + [p.source for p in pending if p.is_update]
            if drop_all:  # this corpus only: the others were made by their own pipelines
                conn.execute(delete(chunks).where(chunks.c.corpus == corpus))
                conn.execute(delete(documents).where(documents.c.corpus == corpus))
            elif gone:
                conn.execute(delete(chunks).where(chunks.c.corpus == corpus, chunks.c.source.in_(gone)))
                conn.execute(
                    delete(documents).where(documents.c.corpus == corpus, documents.c.source.in_(gone))
                )
            chunk_rows = [asdict(passage) for passage in passages]
            if chunk_rows:
                conn.execute(insert(chunks), chunk_rows)
            if pending:
                conn.execute(
                    insert(documents),
                    [
                        {
                            "corpus": corpus,
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
                _bump_generation(conn, corpus)
            _set_meta(conn, corpus, "pipeline", pipeline)

    def _survey(self, corpus: str, pending: list[_Pending], removed: list[str]) -> Survey:
        """The collection's ids before this write, and which chunks that stay committed lost their vector."""
        gone = set(removed) | {p.source for p in pending if p.is_update}  # all of them after a new model
        return vectors.survey(self._engine, self._collection(corpus), corpus, skip=gone)

    def _restore(self, corpus: str, found: Survey, report: IngestReport, on_embedded) -> list[str]:
        """Embed the lost vectors of committed chunks again, from the text stored with them."""
        collection = self._collection(corpus)
        restored = vectors.restore(
            self._engine, collection, self._embed_documents, corpus, found.missing, batch=EMBED_BATCH,
            on_embedded=on_embedded,
        )  # fmt: skip
        report.vectors_restored = len(restored)
        report.chunks_embedded += len(restored)
        return restored

    def _prune(
        self, corpus: str, found: Survey, restored: list[str], only: list[_Pending] | None = None
    ) -> int:
        """Delete vectors the committed chunks do not list, of the `only` items when given; the chunk count.

        Candidates are what the collection held before this write (replaced, removed, or left by a
        run that never committed) and what was just restored (in case its chunk was deleted since).
        """
        live = vectors.committed_ids(self._engine, corpus)
        collection = self._collection(corpus)
        stale = sorted(found.stored - live)
        if only is not None and stale:
            sources = sorted({p.source for p in only})
            where = {"source": {"$in": sources}}
            stale = collection.get(ids=stale, where=where, include=[])["ids"] if sources else []
        vectors.delete_vectors(collection, set(stale) | (set(restored) - live))
        return len(live)

    def _prune_sources(self, corpus: str, sources: Sequence[str]) -> None:
        """Delete the vectors of these sources that the committed chunks do not list."""
        if not sources:
            return
        live = vectors.committed_ids(self._engine, corpus, sources)
        collection = self._collection(corpus)
        stored = collection.get(where={"source": {"$in": list(sources)}}, include=[])["ids"]
        vectors.delete_vectors(collection, [i for i in stored if i not in live])


def _get_meta(conn, corpus: str, key: str) -> str | None:
    query = select(index_meta.c.value).where(index_meta.c.corpus == corpus, index_meta.c.key == key)
    return conn.execute(query).scalar_one_or_none()


def _set_meta(conn, corpus: str, key: str, value: str) -> None:
    where = (index_meta.c.corpus == corpus) & (index_meta.c.key == key)
    if conn.execute(index_meta.update().where(where).values(value=value)).rowcount == 0:
        conn.execute(insert(index_meta).values(corpus=corpus, key=key, value=value))


def _bump_generation(conn, corpus: str) -> None:
    # in SQL, not read-then-write: two processes committing at once must give two generations
    where = (index_meta.c.corpus == corpus) & (index_meta.c.key == "generation")
    bumped = (
        index_meta.update().where(where).values(value=cast(cast(index_meta.c.value, Integer) + 1, String))
    )
    if conn.execute(bumped).rowcount == 0:
        conn.execute(insert(index_meta).values(corpus=corpus, key="generation", value="1"))
