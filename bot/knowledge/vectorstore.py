"""The Chroma vector store: embedded PersistentClient by default, a Chroma server when configured."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_core.embeddings import Embeddings

from bot.store.tables import PUBLIC

log = logging.getLogger(__name__)

# Short enough that "resolute-<corpus>.<model>" stays inside Chroma's 63-character names.
_CORPUS_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?")
_MAX_NAME = 60


def check_corpus(corpus: str) -> str:
    """The corpus name, unchanged if valid; a ValueError says what a corpus name may be."""
    if not isinstance(corpus, str) or not _CORPUS_NAME.fullmatch(corpus):
        raise ValueError(
            f"invalid corpus name {corpus!r}: use 1 to 24 lower-case letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return corpus


def collection_name(embeddings_id: str, corpus: str) -> str:
    """One collection per corpus and embedding model, so neither models nor corpora share vectors."""
    slug = re.sub(r"[^a-z0-9]+", "-", embeddings_id.lower()).strip("-")
    if check_corpus(corpus) == PUBLIC:
        # the name from before corpora existed, so an existing data dir keeps its vectors
        return f"resolute-{slug}"[:_MAX_NAME].rstrip("-")
    # neither a corpus name nor a slug holds a '.', so no two corpora (nor public) share a name
    name = f"resolute-{corpus}.{slug}"
    if len(name) > _MAX_NAME:  # cut, and keep two long model names apart with a hash of the whole
        name = f"{name[: _MAX_NAME - 9].rstrip('-.')}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return name


def make_chroma_client(*, persist_dir: Path, host: str | None = None, port: int = 8000):
    """A Chroma client with telemetry off: nothing may phone home at run time."""
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if host:
        return chromadb.HttpClient(host=host, port=port, settings=settings)
    persist_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(persist_dir), settings=settings)


_CONFIGURATION = {"hnsw": {"space": "cosine"}}
_VACUUM = "import sys, chromadb_rust_bindings; chromadb_rust_bindings.cli(sys.argv[1:])"


def get_collection(client, embeddings_id: str, corpus: str = PUBLIC):
    """The public corpus's chromadb collection for a model (created if new), for precomputed vectors.

    A private corpus's vectors are never given to Chroma (bot.knowledge.sqlvectors keeps them in SQL)."""
    if check_corpus(corpus) != PUBLIC:
        raise ValueError(f"the {corpus} corpus is private: its vectors are kept in SQL, not in Chroma")
    return client.get_or_create_collection(
        name=collection_name(embeddings_id, corpus), configuration=_CONFIGURATION, embedding_function=None
    )


def forget_private_collections(client, corpus: str) -> bool:
    """Drop the Chroma collections an earlier version kept a private corpus's vectors (and its text) in, of
    every model, then make Chroma's own file forget them; True if it did, and the caller restores the
    corpus's vectors into SQL from its chunks (`Ingester.upsert_texts(corpus, [])`)."""
    if check_corpus(corpus) == PUBLIC:
        return False
    prefix = f"resolute-{corpus}."  # collection_name's form for a private corpus, cut or not
    names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
    dropped = [name for name in names if name.startswith(prefix)]
    from chromadb.errors import NotFoundError

    for name in dropped:  # another instance, upgrading at the same moment, may have dropped it first
        with contextlib.suppress(NotFoundError):
            client.delete_collection(name)
    if dropped:
        vacuum_chroma(client)
        remove_orphan_segments(client)
    return bool(dropped)


_SEGMENT_DIR = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def remove_orphan_segments(client) -> list[str]:
    """Remove the index folders (one per vector segment, named by its id) that no segment in Chroma's file
    refers to any more: Chroma leaves a dropped collection's folder on disk, vectors and all, and its
    data_level0.bin may also hold bytes of the text it was given. An embedded client's folder only."""
    import sqlite3

    settings = client.get_settings()
    if not settings.is_persistent or not settings.persist_directory:
        return []
    folder = Path(settings.persist_directory)
    # the folders first, then the segments: a folder created meanwhile has its segment row already
    folders = [p for p in folder.iterdir() if p.is_dir() and _SEGMENT_DIR.fullmatch(p.name)]
    if not folders:
        return []
    with contextlib.closing(
        sqlite3.connect(f"{(folder / 'chroma.sqlite3').resolve().as_uri()}?mode=ro", uri=True)
    ) as db:
        live = {row[0] for row in db.execute("SELECT id FROM segments")}
    removed = [p.name for p in folders if p.name not in live]
    for name in removed:
        shutil.rmtree(folder / name, ignore_errors=True)
    if removed:
        log.info("removed %d index folder(s) of dropped Chroma collections from %s", len(removed), folder)
    return removed


def vacuum_chroma(client) -> None:
    """Purge Chroma's log and VACUUM its SQLite file (`chroma vacuum`), so deleted rows leave no readable
    page; an embedded client's file only: a Chroma server's operator runs `chroma vacuum` on its host."""
    settings = client.get_settings()
    if not settings.is_persistent or not settings.persist_directory:
        log.warning(
            "a private corpus's collection was dropped from the Chroma server; run `chroma vacuum --path <its "
            "path>` on the server's host so its database file forgets it too, and remove the segment folders "
            "beside that file that it no longer lists"
        )
        return
    # in a process of its own: its output is Chroma's to print, and a failure is reported, not raised
    done = subprocess.run(
        [sys.executable, "-c", _VACUUM, "chroma", "vacuum", "--path", settings.persist_directory, "--force"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if done.returncode or "Vacuum complete" not in done.stdout:
        log.warning("chroma vacuum of %s did not complete: %s", settings.persist_directory,
                    (done.stdout + done.stderr).strip().splitlines()[-1:])  # fmt: skip


def make_vectorstore(client, *, embeddings: Embeddings, embeddings_id: str, corpus: str = PUBLIC):
    """The LangChain view of the public corpus's collection (a langchain_chroma.Chroma); cosine distance, no Chroma
    default embedder. Resolute itself reads and writes the collection directly."""
    from langchain_chroma import Chroma

    if check_corpus(corpus) != PUBLIC:
        raise ValueError(f"the {corpus} corpus is private: its vectors are kept in SQL, not in Chroma")
    return Chroma(
        client=client,
        collection_name=collection_name(embeddings_id, corpus),
        embedding_function=embeddings,
        collection_configuration=_CONFIGURATION,
    )
