"""The Chroma vector store: embedded PersistentClient by default, a Chroma server when configured."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_core.embeddings import Embeddings

from bot.store.tables import PUBLIC

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


def get_collection(client, embeddings_id: str, corpus: str):
    """The chromadb collection of a corpus and model (created if new), for precomputed vectors."""
    return client.get_or_create_collection(
        name=collection_name(embeddings_id, corpus), configuration=_CONFIGURATION, embedding_function=None
    )


def make_vectorstore(client, *, embeddings: Embeddings, embeddings_id: str, corpus: str):
    """The LangChain view of a corpus's collection (a langchain_chroma.Chroma); cosine distance, no Chroma
    default embedder. Resolute itself reads and writes the collection directly."""
    from langchain_chroma import Chroma

    return Chroma(
        client=client,
        collection_name=collection_name(embeddings_id, corpus),
        embedding_function=embeddings,
        collection_configuration=_CONFIGURATION,
    )
