"""A cross-encoder that reads a question and a sentence together and says how well the sentence answers.

The packaged all-MiniLM-L6-v2, fine-tuned here on question-sentence pairs (`bench/train_reranker.py`)
and exported to ONNX with int8 weights, run with onnxruntime like the embedding model: no PyTorch, no
download. Unlike the embedding model, which reads the two apart, it reads them as one input, each word
attending to the other text's; its score is the cosine of the two texts' mean word vectors after that
reading (the head it was trained with; `--head cls` models give a probability instead). It costs a model
run per sentence, so it re-scores the short list a cheaper scorer has chosen, not every sentence retrieved.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from bot.knowledge.question import Question
from bot.knowledge.questions import QuestionKind
from bot.knowledge.rank import DEFAULT_RANKER, Pool, Reranker

MODEL_FILE = "cross-encoder-minilm.onnx"  # written by bench/train_reranker.py into the models dir
DEFAULT_MAX_LENGTH = 128  # word pieces of question and sentence together, if the file does not say
SHORTLIST = 12  # the default ranker's best sentences the cross-encoder reads (its cost grows with each)
# how much its score (a cosine, mostly 0.3 to 0.9) adds to theirs (their weights add up to about 1.3): the
# best of 0.25 to 5 on documents the model was not trained on; above it, its own mistakes take over
WEIGHT = 3.0


class CrossEncoderMissing(RuntimeError):
    """The trained model file is absent or cannot be loaded."""


class CrossEncoderScorer:
    """Scores (question, sentence) pairs with the exported cross-encoder, all of them in one run."""

    def __init__(self, file: Path, model_dir: Path | None = None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        if model_dir is None:
            from bot.knowledge.embeddings import local_model_path

            model_dir = local_model_path()  # fine-tuning keeps the packaged model's word pieces
        self.file = Path(file)
        if not self.file.is_file():
            raise CrossEncoderMissing(
                f"{self.file}: no trained cross-encoder here; build it with `python bench/train_reranker.py`"
            )
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = min(2, os.cpu_count() or 1)
        options.log_severity_level = 3  # errors only
        try:
            self._session = onnxruntime.InferenceSession(
                str(self.file), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # a file cut short, or not a model
            raise CrossEncoderMissing(f"{self.file}: the cross-encoder cannot be loaded ({exc})") from exc
        meta = self._session.get_modelmeta().custom_metadata_map
        self.max_length = int(meta.get("max_length", DEFAULT_MAX_LENGTH))
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # the question is kept whole; a long sentence is cut (as in training)
        self._tokenizer.enable_truncation(max_length=self.max_length, strategy="only_second")
        self._tokenizer.no_padding()

    def score(self, question: str, sentences: list[str]) -> np.ndarray:
        """How well each sentence answers the question (higher is better; mostly 0 to 1), in their order."""
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        encoded = self._tokenizer.encode_batch([(question, s) for s in sentences])
        width = max(len(e.ids) for e in encoded)  # padded to the longest pair of this batch only

        def column(field: str) -> np.ndarray:
            return np.asarray(
                [getattr(e, field) + [0] * (width - len(e.ids)) for e in encoded], dtype=np.int64
            )

        feed = {"input_ids": column("ids"), "attention_mask": column("attention_mask"),
                "token_type_ids": column("type_ids")}  # fmt: skip
        return self._session.run(None, feed)[0].astype(np.float32)


class CrossEncoderRanker:
    """A `Reranker`: the default ranker's best few sentences, each raised by what the cross-encoder says
    of it.

    The cross-encoder reads only the short list: scoring every sentence of ten passages (about seventy)
    takes the better part of a second on two cores. A sentence off the list keeps its default score, so
    the ranking below the list and the composer's relative floors stay as they were.
    """

    def __init__(
        self, scorer: CrossEncoderScorer, *, base: Reranker | None = None, shortlist: int = SHORTLIST,
        weight: float = WEIGHT,
    ) -> None:  # fmt: skip
        self.scorer = scorer
        self.base = base or DEFAULT_RANKER
        self.shortlist = shortlist
        self.weight = weight

    def score(self, question: Question, pool: Pool, kind: QuestionKind | None = None) -> np.ndarray:
        """The default score of every candidate, plus `weight` times the cross-encoder's for the short list."""
        scores = np.asarray(self.base.score(question, pool, kind), dtype=np.float64).copy()
        if not len(scores):
            return scores
        top = np.argsort(-scores, kind="stable")[: self.shortlist]
        scores[top] += self.weight * self.scorer.score(question.text, [pool.text(int(i)) for i in top])
        return scores


def make_ranker(spec: str, file: Path) -> Reranker:
    """The ranker RESOLUTE_RERANKER names: 'signals' (the default scorer) or 'cross-encoder' (the trained
    model in `file`; a clear error if it was never built)."""
    if spec == "signals":
        return DEFAULT_RANKER
    if spec == "cross-encoder":
        return CrossEncoderRanker(CrossEncoderScorer(file))
    raise ValueError(f"RESOLUTE_RERANKER={spec!r} is not 'signals' or 'cross-encoder'")
