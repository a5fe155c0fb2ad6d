"""Train the sentence reranker: a cross-encoder from the packaged all-MiniLM-L6-v2, exported to ONNX.

    python bench/train_reranker.py                          # district sets' development halves -> <data dir>/models
    python bench/train_reranker.py --check reform           # and judge it on documents it never saw
    python bench/train_reranker.py --train reform --check district --out build/reranker/reform.onnx

Training pairs come from development halves only (`dev`, `dev2`, ... of bench/eval_answers.py's sets; never
`test` nor a held-out half). Each set's documents are ingested into a temporary data dir as the bot
ingests them; for each question, the passages hybrid search returns are cut into the sentences answers
choose among (`answer_units`), and each sentence is labelled with the share of the question's fact groups
it holds (0 for most). A few sentences that hold no fact are kept per question, half of them those most
like the question (the ones a ranker must learn to pass over), half at random.

The model is the packaged MiniLM reading the question and the sentence together (one input, attention
across both), fine-tuned on CPU, exported to ONNX and quantised to int8 weights (four times smaller, about
twice as fast). Its head is the cosine of the two texts' mean token vectors (`--head pair`): it starts
near what the embedding model says and learns from there. The usual cross-encoder head, a new linear layer
on the first token (`--head cls`, sentence_transformers' CrossEncoder with num_labels=1), learnt nothing
that carried to other documents from a few thousand pairs: its scores stayed near the share of positives.
`--check SET` ranks the check set's sentences by the question's cosine and by the cross-encoder and prints,
per ranking, how often the top sentence holds a fact and the reciprocal rank of the first that does.
Nothing is downloaded: the model loads from the installed package with HF_HUB_OFFLINE set.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before anything imports huggingface_hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))  # eval_answers: the sets and how they are ingested

import eval_answers
import numpy as np

PASSAGES = 10  # what an answer's sentences are chosen from (bot.knowledge.answer.CANDIDATE_PASSAGES)
MODEL_FILE = "cross-encoder-minilm.onnx"  # the name bot.knowledge.cross_encoder looks for in the models dir


@dataclass(frozen=True)
class Pair:
    question: str
    sentence: str
    label: float  # the share of the question's fact groups the sentence holds
    dense: float  # the sentence's cosine with the question


def holds(sentence: str, strings: list[str]) -> bool:
    """Whether a sentence holds one of a fact group's strings, as a whole word or number: "75" is not
    held by "1975", nor "ela" by "relations"."""
    low = sentence.lower()
    return any(re.search(rf"(?<![\w.]){re.escape(s.lower())}(?!\w)", low) for s in strings)


def set_pairs(eval_set, *, negatives: int, rng: random.Random, cards: bool) -> dict[str, list[Pair]]:
    """Labelled pairs of each development question of a set, by question; the data cards' sentences only
    if `cards` (written from the results by a template, they teach the wording of one district's cards)."""
    from bot.knowledge.rank import asks
    from bot.knowledge.text import answer_units

    halves = {h: p for h, p in eval_set.halves.items() if h.startswith("dev") and p.exists()}
    if not halves or not eval_set.docs.is_dir():
        print(f"[{eval_set.name}] no development halves or no documents: skipped")
        return {}
    by_question: dict[str, list[Pair]] = {}
    with tempfile.TemporaryDirectory(prefix="resolute-rerank-") as tmp:
        services = eval_answers._services(eval_set, Path(tmp))
        index = services.index()
        card_dir = str(services.settings.cards_dir.resolve())
        for half, path in halves.items():
            items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            for item in items:
                vector = index.embed(item["q"])
                query = np.asarray(vector, dtype=np.float32)
                seen: set[str] = set()
                positive, negative = [], []
                # as answers do for a question about documents: past the cards, the first passages of documents
                hits = index.search(item["q"], k=PASSAGES * 3, mode="hybrid", vector=vector)
                hits = [h for h in hits if cards or not h.passage.source.startswith(card_dir)][:PASSAGES]
                for hit in hits:
                    units = answer_units(hit.passage.text, hit.passage.location)
                    matrix = hit.passage.sentence_matrix(len(query))
                    cosines = matrix @ query if matrix is not None and len(matrix) == len(units) else None
                    for n, unit in enumerate(units):
                        text = " ".join(unit.text.split())
                        if unit.heading or asks(unit) or text in seen or len(text) < 3:  # not candidates
                            continue
                        seen.add(text)
                        share = sum(holds(text, g) for g in item["facts"]) / len(item["facts"])
                        dense = float(cosines[n]) if cosines is not None else 0.0
                        (positive if share else negative).append(Pair(item["q"], text, share, dense))
                if not positive:
                    continue  # the passages hold none of its facts: nothing to learn from it
                negative.sort(key=lambda p: p.dense, reverse=True)
                hard = negative[: negatives // 2]
                rest = negative[negatives // 2 :]
                kept = hard + rng.sample(rest, min(len(rest), negatives - len(hard)))
                by_question[item["q"]] = positive + kept
            print(f"[{eval_set.name}] {half}: {len(items)} questions")
    return by_question


def groups_of(by_question: dict[str, list[Pair]], most: int) -> list[list[Pair]]:
    """Each question's pairs, at most `most` of the sentences that hold a fact first (some lists hold many)."""
    return [
        [p for p in ps if p.label > 0][:most] + [p for p in ps if not p.label] for ps in by_question.values()
    ]


def build(head: str, max_length: int):
    """The packaged MiniLM reading (question, sentence) together, with its head: 'pair' scores the cosine of
    the question's and the sentence's mean token vectors (at the start, close to what the embedding
    model says of the two apart); 'cls' is sentence_transformers' CrossEncoder (num_labels=1), a new
    linear layer on the first token."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    from bot.knowledge.embeddings import local_model_path

    hf_logging.set_verbosity_error()  # "classifier weights newly initialised": they are, and trained below
    hf_logging.disable_progress_bar()
    if head == "cls":
        from sentence_transformers import CrossEncoder

        encoder = CrossEncoder(
            str(local_model_path()), num_labels=1, max_length=max_length, local_files_only=True
        )
        bert = encoder.model

        def score(input_ids, attention_mask, token_type_ids):
            out = bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.logits[:, 0]

    else:
        bert = AutoModel.from_pretrained(str(local_model_path()), local_files_only=True)

        def score(input_ids, attention_mask, token_type_ids):
            hidden = bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            second = token_type_ids.unsqueeze(-1).to(hidden.dtype)  # the sentence's word pieces

            def mean(weights):
                return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)

            return torch.nn.functional.cosine_similarity(
                mean(mask * (1 - second)), mean(mask * second), dim=-1
            )

    class Scorer(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert
            # how sharply a question's sentences are told apart in training ('pair'); the score is the cosine
            self.scale = torch.nn.Parameter(torch.tensor(20.0))

        def forward(self, input_ids, attention_mask, token_type_ids):
            raw = score(input_ids, attention_mask, token_type_ids)
            return torch.sigmoid(raw) if head == "cls" and not self.training else raw

    return Scorer()


def train(groups: list[list[Pair]], *, head: str, epochs: int, max_length: int, lr: float, seed: int):
    """Fine-tune on CPU. 'pair': a step a question, a listwise loss (its sentences' softmax against the
    share of facts each holds); 'cls': batches of 16 pairs, binary cross-entropy on the share."""
    import torch
    from transformers import AutoTokenizer

    from bot.knowledge.embeddings import local_model_path

    torch.manual_seed(seed)
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    model = build(head, max_length)
    tokenizer = AutoTokenizer.from_pretrained(str(local_model_path()), local_files_only=True)
    model.bert.get_input_embeddings().weight.requires_grad_(False)  # 30,522 word vectors: kept as packaged
    body = [p for p in model.bert.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        [{"params": body, "lr": lr}, {"params": [model.scale], "lr": 1e-2}], weight_decay=0.01
    )
    rng = random.Random(seed)
    if head == "cls":  # pairs in batches of similar length, in random order
        flat = sorted((p for g in groups for p in g), key=lambda p: len(p.sentence))
        groups = [flat[s : s + 16] for s in range(0, len(flat), 16)]
    steps, warmup = epochs * len(groups), max(1, epochs * len(groups) // 10)
    model.train()
    step = 0
    for epoch in range(epochs):
        rng.shuffle(groups)
        total = 0.0
        for group in groups:
            optimiser.param_groups[0]["lr"] = lr * min(
                (step + 1) / warmup, (steps - step) / (steps - warmup + 1)
            )
            encoded = tokenizer(
                [p.question for p in group], [p.sentence for p in group],
                padding=True, truncation="only_second", max_length=max_length, return_tensors="pt",
            )  # fmt: skip
            raw = model(encoded["input_ids"], encoded["attention_mask"], encoded["token_type_ids"])
            labels = torch.tensor([p.label for p in group], dtype=torch.float32)
            if head == "cls":
                loss = torch.nn.functional.binary_cross_entropy_with_logits(raw, labels)
            else:
                loss = -(labels / labels.sum() * torch.log_softmax(model.scale * raw, 0)).sum()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(body, 1.0)
            optimiser.step()
            optimiser.zero_grad()
            total += float(loss.detach())
            step += 1
        print(f"epoch {epoch + 1}/{epochs}: mean loss {total / len(groups):.4f} ({step} steps)", flush=True)
    return model.eval()


def export(model, target: Path, *, head: str, max_length: int, trained_on: str, quantise: bool) -> Path:
    """Write the scorer to ONNX, int8 weights if `quantise`, atomically (a reader sees all of it or none)."""
    import warnings

    import onnx
    import torch

    target.parent.mkdir(parents=True, exist_ok=True)
    names = ("input_ids", "attention_mask", "token_type_ids")
    sample = (torch.ones(2, 8, dtype=torch.long), torch.ones(2, 8, dtype=torch.long),
              torch.tensor([[0] * 4 + [1] * 4] * 2))  # fmt: skip
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as tmp:
        final = plain = Path(tmp) / "plain.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on shapes: the check below runs the file
            torch.onnx.export(
                model, sample, str(plain), input_names=list(names), output_names=["score"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names} | {"score": {0: "batch"}},
                opset_version=17, dynamo=False,
            )  # fmt: skip
        if quantise:
            import logging

            from onnxruntime.quantization import QuantType, quantize_dynamic

            logging.getLogger().setLevel(logging.ERROR)  # its advice to pre-process: measured, not needed
            final = Path(tmp) / "int8.onnx"
            quantize_dynamic(str(plain), str(final), weight_type=QuantType.QInt8)
        graph = onnx.load(str(final))
        props = {"max_length": str(max_length), "head": head, "trained_on": trained_on, "int8": str(quantise)}
        onnx.helper.set_model_props(graph, props)
        onnx.save(graph, str(final))
        os.replace(final, target)
    return target


def first_positive(scores: list[float], pairs: list[Pair]) -> tuple[float, float]:
    """(1 if the top-scored sentence holds a fact, the reciprocal rank of the first that does)."""
    ranked = sorted(range(len(pairs)), key=lambda i: scores[i], reverse=True)
    rank = next(n for n, i in enumerate(ranked, 1) if pairs[i].label > 0)
    return float(rank == 1), 1.0 / rank


def check(by_question: dict[str, list[Pair]], rankers: dict[str, object]) -> None:
    """How well each ranking puts a sentence that holds a fact first, over every checked question."""
    for name, score in rankers.items():
        top = rr = 0.0
        start = time.perf_counter()
        for pairs in by_question.values():
            t, r = first_positive(score(pairs), pairs)
            top, rr = top + t, rr + r
        n = len(by_question)
        print(f"  {name:22} top sentence holds a fact {top / n:.2f}, MRR {rr / n:.2f} "
              f"({n} questions, {time.perf_counter() - start:.1f} s)")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    district = [s.name for s in eval_answers.SETS if s.district]
    names = [s.name for s in eval_answers.SETS]
    parser.add_argument("--train", action="append", choices=names,
                        help=f"Sets whose development halves it learns from (default: {', '.join(district)}).")  # fmt: skip
    parser.add_argument("--check", action="append", choices=names, default=[],
                        help="Sets whose development halves judge the ranking (documents it never saw).")  # fmt: skip
    parser.add_argument("--out", type=Path, help=f"The ONNX file (default: <data dir>/models/{MODEL_FILE}).")
    parser.add_argument("--head", choices=["pair", "cls"], default="pair", help="See `build`.")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=128, help="Word pieces of question and sentence.")
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--negatives", type=int, default=12, help="Sentences holding no fact, per question.")
    parser.add_argument("--positives", type=int, default=4, help="Sentences holding a fact, per question.")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--cards", action="store_true", help="Learn from the data cards' sentences too.")
    parser.add_argument("--no-int8", action="store_true", help="Keep float weights (four times larger).")
    args = parser.parse_args()
    trained_on = args.train or district
    if overlap := set(trained_on) & set(args.check):
        parser.error(f"--check {', '.join(overlap)} is also trained on: its documents are not unseen")
    if args.out is None:
        from bot.config import load_settings

        args.out = load_settings().models_dir / MODEL_FILE
    rng = random.Random(args.seed)
    sets = {s.name: s for s in eval_answers.SETS}

    start = time.perf_counter()
    groups: list[list[Pair]] = []
    for name in trained_on:
        found = set_pairs(sets[name], negatives=args.negatives, rng=rng, cards=args.cards)
        groups += groups_of(found, args.positives)
    checked: dict[str, list[Pair]] = {}
    for name in args.check:  # every sentence retrieved
        checked |= set_pairs(sets[name], negatives=10_000, rng=rng, cards=args.cards)
    if not groups:
        print("no training pairs: are the sets' documents present?")
        return 1
    pairs = sum(len(g) for g in groups)
    positives = sum(p.label > 0 for g in groups for p in g)
    print(f"pairs: {pairs} ({positives} holding a fact) of {len(groups)} questions "
          f"in {time.perf_counter() - start:.0f} s")  # fmt: skip

    start = time.perf_counter()
    model = train(groups, head=args.head, epochs=args.epochs, max_length=args.max_length, lr=args.lr,
                  seed=args.seed)  # fmt: skip
    print(f"training: {time.perf_counter() - start:.0f} s ({args.head} head, {args.epochs} epochs, "
          f"max length {args.max_length})")  # fmt: skip

    start = time.perf_counter()
    saved = dict(head=args.head, max_length=args.max_length, trained_on=",".join(trained_on))
    target = export(model, args.out, quantise=not args.no_int8, **saved)
    print(f"export: {time.perf_counter() - start:.0f} s -> {target} ({target.stat().st_size / 1e6:.1f} MB)")
    if not checked:
        return 0
    from bot.knowledge.cross_encoder import CrossEncoderScorer

    print(f"check on {', '.join(args.check)} (documents never trained on):")
    rankers = {"question cosine": lambda ps: [p.dense for p in ps]}
    with tempfile.TemporaryDirectory() as tmp:
        files = {"cross-encoder": target}
        if not args.no_int8:  # what the int8 weights cost, if anything
            files = {"cross-encoder, float": export(model, Path(tmp) / "float.onnx", quantise=False, **saved),
                     "cross-encoder, int8": target}  # fmt: skip
        for name, file in files.items():
            scorer = CrossEncoderScorer(file)
            rankers[name] = lambda ps, scorer=scorer: list(
                scorer.score(ps[0].question, [p.sentence for p in ps])
            )
        check(checked, rankers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
