"""The Chroma vector store: embedded PersistentClient by default, a Chroma server when configured."""

from __future__ import annotations

import re
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings


def collection_name(embeddings_id: str) -> str:
    """One collection per embedding model, so vectors of different models never mix."""
    slug = re.sub(r"[^a-z0-9]+", "-", embeddings_id.lower()).strip("-")
    return f"resolute-{slug}"[:60].rstrip("-")


def make_chroma_client(*, persist_dir: Path, host: str | None = None, port: int = 8000):
    """A Chroma client with telemetry off: nothing may phone home at run time."""
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if host:
        return chromadb.HttpClient(host=host, port=port, settings=settings)
    persist_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(persist_dir), settings=settings)


_CONFIGURATION = {"hnsw": {"space": "cosine"}}


def get_collection(client, embeddings_id: str):
    """The chromadb collection for a model (created if new), for writing precomputed vectors."""
    return client.get_or_create_collection(
        name=collection_name(embeddings_id), configuration=_CONFIGURATION, embedding_function=None
    )


def make_vectorstore(client, *, embeddings: Embeddings, embeddings_id: str) -> Chroma:
    """The LangChain view of the collection; cosine distance, no Chroma default embedder."""
    return Chroma(
        client=client,
        collection_name=collection_name(embeddings_id),
        embedding_function=embeddings,
        collection_configuration=_CONFIGURATION,
    )
