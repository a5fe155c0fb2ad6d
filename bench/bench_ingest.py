"""Ingestion and query benchmark. Prints figures; asserts nothing.

    python bench/bench_ingest.py [--docs DIR] [--large 10000]

1. The time to embed the corpus's own chunk texts alone, and the time to ingest the same corpus
   (load, chunk, embed chunks and their sentences, write Chroma and SQL) in the same run.
2. Re-ingesting the unchanged corpus: how many chunks were embedded (should be 0).
3. Warm query latency, p50 and p95, of full extractive answers over about 200 and about
   10,000 chunks (the large corpus is the documents copied with a distinct line per copy).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.config import load_settings
from bot.knowledge.chunking import TokenCounter, chunk_blocks
from bot.knowledge.embeddings import local_model_path, make_embeddings
from bot.knowledge.loaders import SUPPORTED_SUFFIXES, load_document
from bot.services import Services

HERE = Path(__file__).resolve().parent
QUESTIONS = [
    "What are the district's priorities?", "How are targets negotiated with schools?",
    "What is collective capacity?", "How should leaders respond to a struggling school?",
    "What do data walls show?", "What is credit recovery?", "Why does focus matter?",
    "What is intelligent accountability?", "How is progress reported?", "What is a coasting school?",
]  # fmt: skip


def corpus_files(docs: Path) -> list[Path]:
    return sorted(p for p in docs.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES)


def write_copies(files: list[Path], target: Path, copies: int) -> None:
    """`copies` copies of every document, each made distinct by its first line."""
    for n in range(copies):
        for f in files:
            text = f.read_text(encoding="utf-8", errors="replace")
            out = target / f"copy{n:03d}" / f.name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(f"Copy {n} of {f.stem}\n\n{text}", encoding="utf-8")


def latency(services: Services, rounds: int = 5) -> tuple[float, float]:
    answerer = services.answerer
    answerer.ask(QUESTIONS[0])  # warm: model, snapshot, BM25 index
    times = []
    for _ in range(rounds):
        for q in QUESTIONS:
            start = time.perf_counter()
            answerer.ask(q)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default_docs = HERE.parent.parent / "shared" / "reform-docs"
    parser.add_argument(
        "--docs", type=Path, default=default_docs if default_docs.is_dir() else HERE.parent / "knowledge"
    )
    parser.add_argument("--small", type=int, default=200, help="Chunks in the small corpus (about).")
    parser.add_argument(
        "--large", type=int, default=10_000, help="Chunks in the large corpus (about); 0 skips it."
    )
    args = parser.parse_args()
    files = corpus_files(args.docs)
    embeddings = make_embeddings("local")
    count = TokenCounter(local_model_path() / "tokenizer.json")
    per_copy = []
    for f in files:
        doc = load_document(f)
        per_copy += [c.text for c in chunk_blocks(doc.blocks, count, title=doc.title)]
    print(f"corpus: {args.docs} ({len(files)} files, {len(per_copy)} chunks a copy)")

    with tempfile.TemporaryDirectory(prefix="resolute-bench-") as tmp:
        tmp = Path(tmp)
        small_copies = max(1, round(args.small / len(per_copy)))
        write_copies(files, tmp / "small", small_copies)
        texts = [f"Copy {n} of x " + t for n in range(small_copies) for t in per_copy]
        embeddings.embed_documents(texts[:64])  # warm-up: neither figure pays the model's first call

        def raw_rate() -> float:
            start = time.perf_counter()
            embeddings.embed_documents(texts)
            return len(texts) / (time.perf_counter() - start)

        before = raw_rate()

        services = Services(
            load_settings(data_dir=tmp / "data-small", knowledge_dir=tmp / "small"), embeddings=embeddings
        )
        _ = services.ingester  # migrations, tokenizer and Chroma client are start-up, not ingestion
        start = time.perf_counter()
        report = services.ingester.ingest([tmp / "small"])
        ingest_seconds = time.perf_counter() - start
        raw = (before + raw_rate()) / 2  # raw measured either side of the ingest, as the machine drifts
        raw_seconds = report.chunks_embedded / raw
        print(
            f"chunks alone:   {raw_seconds:6.1f} s to embed {report.chunks_embedded} chunks ({raw:.1f} chunks/s)"
        )
        print(
            f"ingestion:      {ingest_seconds:6.1f} s with sentence vectors "
            f"= {ingest_seconds / raw_seconds:.2f} x the chunks alone (bar: <= 2.2 x)"
        )
        start = time.perf_counter()
        again = services.ingester.ingest([tmp / "small"])
        print(
            f"re-ingest unchanged: {again.chunks_embedded} chunks embedded, "
            f"{len(again.unchanged)} documents unchanged, {time.perf_counter() - start:.2f} s"
        )
        p50, p95 = latency(services)
        print(f"query latency, {report.chunks_total} chunks: p50 {p50:.0f} ms, p95 {p95:.0f} ms")

        if args.large <= 0:
            return 0
        large_copies = max(1, round(args.large / len(per_copy)))
        write_copies(files, tmp / "large", large_copies)
        large = Services(
            load_settings(data_dir=tmp / "data-large", knowledge_dir=tmp / "large"), embeddings=embeddings
        )
        start = time.perf_counter()
        big = large.ingester.ingest([tmp / "large"])
        took = time.perf_counter() - start
        print(
            f"large corpus ingested: {big.chunks_total} chunks in {took:.0f} s ({big.chunks_total / took:.1f} chunks/s)"
        )
        p50, p95 = latency(large)
        print(
            f"query latency, {big.chunks_total} chunks: p50 {p50:.0f} ms, p95 {p95:.0f} ms (bar: p95 <= 150 ms)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
