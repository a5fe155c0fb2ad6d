import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from bot.knowledge.vectors import Passage, embedded_text
from bot.knowledge.vectorstore import collection_name
from bot.store.tables import PUBLIC, chunks, documents


def _vector_ids(services) -> set[str]:
    return set(services.vectorstore().get(include=[])["ids"])


def _embedded_texts(services) -> list[str]:
    """What each committed chunk's vector is made from."""
    with services.engine.connect() as conn:
        return [embedded_text(Passage(**row._mapping)) for row in conn.execute(select(chunks))]


def _chunk_ids(services) -> set[str]:
    with services.engine.connect() as conn:
        return set(conn.execute(select(chunks.c.id)).scalars())


def test_first_ingest_then_nothing_to_embed(make_services, knowledge):
    services = make_services()
    first = services.ingester.ingest([knowledge])
    assert sorted(first.added) == ["plan.md", "schools/pine.txt"]
    assert first.chunks_embedded == first.chunks_total > 0
    assert _vector_ids(services) == _chunk_ids(services)

    calls = []
    again = make_services()
    again.ingester._embed_documents = lambda texts: calls.append(texts) or []
    second = again.ingester.ingest([knowledge])
    assert second.unchanged == ["plan.md", "schools/pine.txt"]
    assert (second.added, second.updated, second.removed, second.chunks_embedded) == ([], [], [], 0)
    assert calls == []  # re-ingesting an unchanged corpus embeds nothing


def test_changed_files_are_replaced_and_deleted_files_removed(make_services, knowledge):
    services = make_services()
    services.ingester.ingest([knowledge])
    before = _chunk_ids(services)
    (knowledge / "schools" / "pine.txt").write_text("Pine Ridge now runs a breakfast club for 90 students.\n")
    (knowledge / "plan.md").unlink()
    report = services.ingester.ingest([knowledge])
    assert report.updated == ["schools/pine.txt"]
    assert report.removed == ["plan.md"]
    assert not (before & _chunk_ids(services))  # no chunk of either old version survives
    assert _vector_ids(services) == _chunk_ids(services)
    with services.engine.connect() as conn:
        assert conn.execute(select(documents.c.source)).scalars().all() == ["schools/pine.txt"]
    hits = services.index().search("breakfast club", k=3)
    assert "breakfast club" in hits[0].passage.text


def test_an_unreadable_file_is_reported_and_the_rest_ingested(make_services, knowledge):
    services = make_services()
    services.ingester.ingest([knowledge])
    (knowledge / "plan.md").write_bytes(b"\x81\x8d\x8f\x90 not text")  # an edit that broke the file
    (knowledge / "minutes.pdf").write_bytes(b"%PDF-1.4 truncated")
    (knowledge / "memo.md").write_text("# Memo\n\nThe board approved two coaches.\n")
    report = services.ingester.ingest([knowledge])
    failed = {f["source"]: f["reason"] for f in report.failed}
    assert set(failed) == {"plan.md", "minutes.pdf"}
    assert "Windows-1252" in failed["plan.md"] and "PDF" in failed["minutes.pdf"]
    assert report.added == ["memo.md"]
    # the last good version of plan.md stays searchable rather than vanishing
    assert any(h.passage.source == "plan.md" for h in services.index().search("graduation target", k=5))


def test_an_interrupted_ingest_leaves_the_index_as_it_was(make_services, knowledge, monkeypatch):
    monkeypatch.setattr("bot.knowledge.ingest.EMBED_BATCH", 2)
    services = make_services()
    services.ingester.ingest([knowledge])
    before = _chunk_ids(services)
    answer_before = services.answerer.ask("Who is the principal of Pine Ridge?").answer

    (knowledge / "schools" / "pine.txt").write_text("Pine Ridge has a new principal, Mr. Omar Diallo.\n")
    (knowledge / "extra.md").write_text("# Extra\n\n" + "More text about reading. " * 200)
    real = services.ingester._embed_documents
    batches = []

    def fail_on_second_batch(texts):
        batches.append(texts)
        if len(batches) == 2:
            raise KeyboardInterrupt  # the operator pressed Ctrl-C mid-way
        return real(texts)

    services.ingester._embed_documents = fail_on_second_batch
    with pytest.raises(KeyboardInterrupt):
        services.ingester.ingest([knowledge])
    assert _chunk_ids(services) == before
    assert services.answerer.ask("Who is the principal of Pine Ridge?").answer == answer_before
    assert len(_vector_ids(services)) > len(before)  # uncommitted vectors exist but are never served

    services.ingester._embed_documents = real
    report = services.ingester.ingest([knowledge])
    assert report.updated == ["schools/pine.txt"] and report.added == ["extra.md"]
    assert _vector_ids(services) == _chunk_ids(services)  # the orphans are gone
    assert "Omar Diallo" in services.answerer.ask("Who is the principal of Pine Ridge?").answer


def test_a_new_chunking_or_model_redoes_every_document(make_services, knowledge, tmp_path):
    extra = tmp_path / "elsewhere" / "memo.md"
    extra.parent.mkdir()
    extra.write_text("# Memo\n\nThe board met in May.\n")
    make_services().ingester.ingest([knowledge, extra])
    extra.unlink()  # gone, and outside the folder ingested next: only the rebuild can drop it
    redo = make_services(chunk_tokens=64)
    result = redo.ingester.ingest([knowledge])
    assert sorted(result.updated) == ["plan.md", "schools/pine.txt"]
    assert result.removed == [extra.resolve().as_posix()]  # reported, not dropped silently
    with redo.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(documents)).scalar() == 2
    assert _vector_ids(redo) == _chunk_ids(redo)


def test_cli_ingest_json_and_failures(knowledge, monkeypatch, embeddings):
    monkeypatch.setattr("bot.knowledge.embeddings.make_embeddings", lambda *a, **k: embeddings)
    (knowledge / "broken.docx").write_bytes(b"nope")
    runner = CliRunner()
    result = runner.invoke(main, ["ingest", str(knowledge), "--json"])
    assert result.exit_code == 1  # something was skipped: scripts can tell
    summary = json.loads(result.stdout)
    assert sorted(summary["added"]) == ["plan.md", "schools/pine.txt"]
    assert summary["failed"][0]["source"] == "broken.docx"
    assert set(summary) == {
        "added",
        "updated",
        "unchanged",
        "removed",
        "failed",
        "chunks_embedded",
        "vectors_restored",
        "chunks_total",
    }

    result = runner.invoke(main, ["ingest", str(knowledge / "missing.md")])
    assert "missing.md: no such file or folder" in result.stderr


def _vectors(services, ids=None) -> dict:
    got = services.vectorstore().get(ids=ids, include=["documents", "metadatas", "embeddings"])
    return {i: (d, m, list(e)) for i, d, m, e in zip(got["ids"], got["documents"], got["metadatas"],
                                                       got["embeddings"], strict=True)}  # fmt: skip


def test_the_next_ingest_refills_a_collection_that_lost_its_vectors(make_services, knowledge):
    first = make_services()
    report = first.ingester.ingest([knowledge])
    written = _vectors(first)
    assert len(written) == report.chunks_total > 2
    first.chroma_client.delete_collection(collection_name(first.embeddings_id, PUBLIC))  # Chroma data lost

    services = make_services()
    calls = []
    real = services.ingester._embed_documents
    services.ingester._embed_documents = lambda texts: calls.append(texts) or real(texts)
    again = services.ingester.ingest([knowledge])
    assert again.unchanged == ["plan.md", "schools/pine.txt"] and (again.added, again.updated) == ([], [])
    assert again.chunks_embedded == again.vectors_restored == report.chunks_total
    assert sorted(t for batch in calls for t in batch) == sorted(_embedded_texts(services))
    restored = _vectors(services)
    assert restored.keys() == written.keys() == _chunk_ids(services)  # the same ids, none added
    for cid, (text, metadata, vector) in written.items():
        assert restored[cid][:2] == (text, metadata)
        assert restored[cid][2] == pytest.approx(vector, abs=1e-5)
    assert "88 percent" in services.answerer.ask("What is the graduation target?").answer

    calls.clear()
    assert services.ingester.ingest([knowledge]).vectors_restored == 0 and calls == []


def test_only_the_lost_vectors_are_embedded_again(make_services, knowledge):
    services = make_services()
    services.ingester.ingest([knowledge])
    with services.engine.connect() as conn:
        lost = conn.execute(select(chunks).where(chunks.c.source == "plan.md")).all()
    kept = _vectors(services, sorted(_chunk_ids(services) - {row.id for row in lost}))
    services.vectorstore().delete(ids=[lost[0].id])
    (knowledge / "memo.md").write_text("# Memo\n\nThe board approved two coaches.\n")
    calls, planned = [], []
    real = services.ingester._embed_documents
    services.ingester._embed_documents = lambda texts: calls.append(texts) or real(texts)

    report = services.ingester.ingest([knowledge / "memo.md"], on_plan=planned.append)
    assert report.added == ["memo.md"] and report.vectors_restored == 1 and planned == [2]
    assert report.chunks_embedded == 2  # the new file's chunk and the lost one, nothing else
    # the lost chunk's vector (its text under its document's title), the new chunk's, and its sentence's
    assert sorted(t for batch in calls for t in batch) == sorted(
        [embedded_text(Passage(**lost[0]._mapping)), "Memo\nThe board approved two coaches.",
         "The board approved two coaches."]
    )  # fmt: skip
    assert _vector_ids(services) == _chunk_ids(services)
    assert _vectors(services, list(kept)) == kept  # the others were not written again


def test_a_replaced_or_removed_file_is_not_restored(make_services, knowledge):
    services = make_services()
    services.ingester.ingest([knowledge])
    services.chroma_client.delete_collection(collection_name(services.embeddings_id, PUBLIC))
    (knowledge / "schools" / "pine.txt").write_text("Pine Ridge now runs a breakfast club for 90 students.\n")
    (knowledge / "plan.md").unlink()

    again = make_services()
    planned = []
    report = again.ingester.ingest([knowledge], on_plan=planned.append)
    assert report.updated == ["schools/pine.txt"] and report.removed == ["plan.md"]
    assert (report.chunks_embedded, report.vectors_restored) == (1, 0) and planned == [1]
    assert _vector_ids(again) == _chunk_ids(again)
