"""Private corpora: text items kept apart from the public documents, lexically and densely."""

import hashlib
import re

import pytest
from sqlalchemy import select

from bot.knowledge.answer import Answerer
from bot.knowledge.ingest import chunk_id
from bot.knowledge.text_items import TextItem
from bot.knowledge.vectorstore import collection_name
from bot.store.tables import PUBLIC, chunks, documents, index_meta

NOTES = "notes"
# Would be the best passage for QUESTION by far if it were public: only it speaks of burnout.
SECRET = TextItem(
    id="note:1",
    title="Visit to Pine Ridge",
    text="Ms. Haddad said in confidence that two Grade 3 teachers at Pine Ridge are on leave for burnout.\n"
    "The reading coach has stopped visiting since February.",
    location="Pine Ridge, 12 March",
)
QUESTION = "Which Pine Ridge teachers are on leave for burnout?"
MODES = ["hybrid", "dense", "lexical"]


@pytest.fixture
def services(make_services, knowledge):
    built = make_services()
    built.ingester.ingest([knowledge])
    return built


def _texts(hits) -> str:
    return " ".join(h.passage.text for h in hits)


def _vector_ids(services, corpus: str) -> set[str]:
    return set(services.vectors(corpus).get(include=[])["ids"])


def _chunk_ids(services, corpus: str) -> set[str]:
    with services.engine.connect() as conn:
        return set(conn.execute(select(chunks.c.id).where(chunks.c.corpus == corpus)).scalars())


@pytest.mark.parametrize("mode", MODES)
def test_private_text_is_never_found_by_a_public_search(services, mode):
    services.ingester.upsert_texts(NOTES, [SECRET])
    private = services.index(NOTES).search(QUESTION, k=5, mode=mode)
    public = services.index().search(QUESTION, k=5, mode=mode)
    assert public and "burnout" not in _texts(public)
    assert {h.passage.corpus for h in public} == {PUBLIC}
    assert private[0].passage.source == "note:1" and "burnout" in private[0].passage.text
    # in scope, the note would beat every public passage
    assert private[0].dense > max(h.dense for h in public)
    assert "burnout" not in Answerer(index=services.index(), mode=mode).ask(QUESTION).answer


def test_the_public_index_and_collection_hold_no_private_chunk(services):
    services.ingester.upsert_texts(NOTES, [SECRET])
    private_ids = _chunk_ids(services, NOTES)
    assert private_ids and private_ids <= _vector_ids(services, NOTES)
    assert not private_ids & _vector_ids(services, PUBLIC)  # densely apart
    snapshot = services.index().snapshot()
    assert not private_ids & set(snapshot.by_id)  # lexically apart
    assert "burnout" not in snapshot.vocab
    assert "burnout" not in services.answerer.ask(QUESTION).answer


def test_an_answerer_given_both_indexes_answers_from_the_note(services):
    answerer = Answerer(index=[services.index(), services.index(NOTES)])
    services.ingester.upsert_texts(NOTES, [SECRET])
    answer = answerer.ask(QUESTION)
    assert "burnout" in answer.answer
    assert answer.sources[0].source == "note:1" and answer.sources[0].location == "Pine Ridge, 12 March"
    assert "graduation" in answerer.ask("What is the graduation target?").answer.lower()


def _generation(services, corpus: str) -> str | None:
    with services.engine.connect() as conn:
        return conn.execute(
            select(index_meta.c.value).where(index_meta.c.corpus == corpus, index_meta.c.key == "generation")
        ).scalar_one_or_none()


def test_a_private_item_does_not_rebuild_the_public_index(services):
    before = services.index().snapshot()
    generation = _generation(services, PUBLIC)
    report = services.ingester.upsert_texts(NOTES, [SECRET])
    assert report.added == ["note:1"] and report.chunks_embedded == report.chunks_total > 0
    assert _generation(services, PUBLIC) == generation
    after = services.index().snapshot()
    assert after is before and after.bm25 is before.bm25  # same BM25 index object, not rebuilt
    assert _generation(services, NOTES) == "1"


def test_delete_by_id_removes_the_item_from_search_at_once(services):
    other = TextItem("note:2", "Budget call", "The board will fund six more reading coaches in September.")
    services.ingester.upsert_texts(NOTES, [SECRET, other])
    notes = services.index(NOTES)
    assert notes.search(QUESTION, k=1)[0].passage.source == "note:1"  # its snapshot is now loaded

    assert services.ingester.delete(NOTES, ["note:1", "note:404"]) == ["note:1"]
    for mode in MODES:
        hits = notes.search(QUESTION, k=5, mode=mode)
        assert "burnout" not in _texts(hits)
        assert all(h.passage.source == "note:2" for h in hits)
    assert _vector_ids(services, NOTES) == _chunk_ids(services, NOTES)  # its vectors are gone too
    assert services.ingester.delete(NOTES, ["note:1"]) == []


def test_an_edit_replaces_the_item_and_an_unchanged_one_is_not_embedded(services, monkeypatch):
    services.ingester.upsert_texts(NOTES, [SECRET])
    notes = services.index(NOTES)
    assert "burnout" in _texts(notes.search(QUESTION, k=5))
    old = _chunk_ids(services, NOTES)

    edited = TextItem(
        SECRET.id, SECRET.title, "The two Grade 3 teachers are back from leave.", SECRET.location
    )
    report = services.ingester.upsert_texts(NOTES, [edited])
    assert (report.added, report.updated) == ([], ["note:1"])
    for mode in MODES:
        texts = _texts(notes.search(QUESTION, k=5, mode=mode))
        assert "burnout" not in texts and "back from leave" in texts
    assert not old & _chunk_ids(services, NOTES)
    assert _vector_ids(services, NOTES) == _chunk_ids(services, NOTES)

    calls = []
    monkeypatch.setattr(services.ingester, "_embed_documents", lambda texts: calls.append(texts) or [])
    again = services.ingester.upsert_texts(NOTES, [edited])
    assert again.unchanged == ["note:1"] and again.chunks_embedded == 0 and calls == []


def test_a_public_rebuild_and_prune_leave_private_corpora_alone(make_services, services, knowledge):
    services.ingester.upsert_texts(NOTES, [SECRET])
    private = _chunk_ids(services, NOTES)
    generation = _generation(services, NOTES)
    (knowledge / "plan.md").unlink()
    redo = make_services(chunk_tokens=64)  # a new chunking: the public corpus is dropped and redone
    report = redo.ingester.ingest([knowledge])
    assert report.removed == ["plan.md"] and report.updated == ["schools/pine.txt"]
    assert _chunk_ids(redo, NOTES) == private == _vector_ids(redo, NOTES)
    assert _generation(redo, NOTES) == generation
    assert redo.index(NOTES).search(QUESTION, k=1)[0].passage.source == "note:1"


def test_an_interrupted_upsert_stores_nothing(services, monkeypatch):
    services.ingester.upsert_texts(NOTES, [SECRET])
    before = _chunk_ids(services, NOTES)
    edited = TextItem(SECRET.id, SECRET.title, "Everyone is back.\n" * 3, SECRET.location)
    new = TextItem("note:2", "Call", "A new note.")

    def interrupted(texts):
        raise KeyboardInterrupt

    monkeypatch.setattr(services.ingester, "_embed_documents", interrupted)
    with pytest.raises(KeyboardInterrupt):
        services.ingester.upsert_texts(NOTES, [edited, new])
    assert _chunk_ids(services, NOTES) == before
    assert "burnout" in _texts(services.index(NOTES).search(QUESTION, k=1))


def test_a_new_model_embeds_the_stored_texts_again(make_services, services):
    services.ingester.upsert_texts(NOTES, [SECRET])
    other = make_services()
    other.__dict__["embeddings_id"] = "local:another-model"  # same weights, a new collection
    report = other.ingester.upsert_texts(
        NOTES, [TextItem("note:2", "Call", "Six more coaches in September.")]
    )
    assert report.added == ["note:2"] and report.chunks_embedded == report.chunks_total == 2
    assert _vector_ids(other, NOTES) == _chunk_ids(other, NOTES)
    top = other.index(NOTES).search(QUESTION, k=1, mode="dense")[0]
    assert top.passage.source == "note:1"


def test_bad_corpora_and_items_are_refused_before_anything_is_stored(services):
    for corpus in ("Notes", "notes!", "", "-notes", "x" * 25):
        with pytest.raises(ValueError, match="invalid corpus name"):
            services.ingester.upsert_texts(corpus, [SECRET])
    with pytest.raises(ValueError, match="invalid corpus name"):
        services.index("Notes")
    with pytest.raises(ValueError, match="cannot go into the public corpus"):
        services.ingester.upsert_texts(PUBLIC, [SECRET])
    with pytest.raises(ValueError, match="cannot go into the public corpus"):
        services.ingester.delete(PUBLIC, ["plan.md"])
    with pytest.raises(ValueError) as bad:
        services.ingester.upsert_texts(
            NOTES, [SECRET, TextItem("note:2", "", "text"), TextItem("note:1", "Again", "  ")]
        )
    assert str(bad.value) == (
        "text items not stored: item 2 ('note:2'): the title must be 1 to 500 characters; "
        "item 3 ('note:1'): the id appears twice; item 3 ('note:1'): the text is empty"
    )
    with services.engine.connect() as conn:
        assert conn.execute(select(documents.c.corpus).where(documents.c.corpus != PUBLIC)).all() == []


def test_collection_names_and_chunk_ids():
    model = "local:all-MiniLM-L6-v2"
    # public keeps the names and ids it had before corpora, so an existing index is not embedded again
    assert collection_name(model, PUBLIC) == "resolute-local-all-minilm-l6-v2"
    legacy = hashlib.sha256(f"{model}|plan.md|abc|0".encode()).hexdigest()[:32]
    assert chunk_id(PUBLIC, "plan.md", "abc", 0, model) == legacy
    assert chunk_id(NOTES, "plan.md", "abc", 0, model) not in (
        legacy,
        chunk_id("checkins", "plan.md", "abc", 0, model),
    )
    assert collection_name(model, NOTES) == "resolute-notes.local-all-minilm-l6-v2"
    # long names are cut to Chroma's limit, yet two models that differ only at the end stay apart
    models = ("openai:" + "m" * 60 + "a", "openai:" + "m" * 60 + "b")
    names = {collection_name(m, c) for m in models for c in ("x" * 24, "y" * 24)}
    assert len(names) == 4
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,58}[a-z0-9]", n) and ".." not in n for n in names)


def _recording(services, monkeypatch) -> list[str]:
    """The texts the ingester embeds from now on."""
    texts: list[str] = []
    real = services.ingester._embed_documents
    monkeypatch.setattr(
        services.ingester, "_embed_documents", lambda batch: texts.extend(batch) or real(batch)
    )
    return texts


def test_a_process_that_first_uses_a_private_corpus_restores_the_vectors_it_lost(make_services, services,
                                                                                 monkeypatch):  # fmt: skip
    other = TextItem("note:2", "Budget call", "The board will fund six more reading coaches in September.")
    services.ingester.upsert_texts(NOTES, [SECRET, other])
    written = services.vectors(NOTES).get(include=["embeddings"])
    public = _vector_ids(services, PUBLIC)
    services.vectors(NOTES).delete(ids=written["ids"])  # the vectors are lost; the chunks are not

    again = make_services()
    embedded = _recording(again, monkeypatch)
    again.vectors(NOTES)  # its first use: the lost vectors are embedded again, once
    assert len(embedded) == 2
    report = again.ingester.upsert_texts(NOTES, [])
    assert report.vectors_restored == report.chunks_embedded == 0 and report.chunks_total == 2
    with again.engine.connect() as conn:
        stored = conn.execute(select(chunks.c.text).where(chunks.c.corpus == NOTES)).scalars().all()
    assert sorted(embedded) == sorted(stored)  # embedded again from the text SQL keeps
    restored = again.vectors(NOTES).get(include=["embeddings"])
    assert sorted(restored["ids"]) == sorted(written["ids"])  # under the same ids
    top = again.index(NOTES).search(QUESTION, k=1, mode="dense")[0]
    assert top.passage.source == "note:1" and top.dense > 0.5
    assert _vector_ids(again, PUBLIC) == public  # the public corpus was not touched
    # nothing of a private corpus is given to Chroma: no collection, and no LangChain view of one
    names = [c.name for c in again.chroma_client.list_collections()]
    assert names == [collection_name(again.embeddings_id, PUBLIC)]
    with pytest.raises(ValueError, match="the notes corpus is private"):
        again.vectorstore(NOTES)

    embedded.clear()
    assert again.ingester.upsert_texts(NOTES, [SECRET]).chunks_embedded == 0 and embedded == []


def test_an_upsert_embeds_only_its_items_and_the_lost_vectors(services, monkeypatch):
    other = TextItem("note:2", "Budget call", "The board will fund six more reading coaches in September.")
    services.ingester.upsert_texts(NOTES, [SECRET, other])
    with services.engine.connect() as conn:
        lost = conn.execute(select(chunks.c.id, chunks.c.text).where(chunks.c.source == "note:2")).one()
    services.vectors(NOTES).delete(ids=[lost.id])
    embedded = _recording(services, monkeypatch)

    new = TextItem("note:3", "Call", "A new note.")
    report = services.ingester.upsert_texts(NOTES, [SECRET, new])
    assert (report.added, report.unchanged, report.vectors_restored) == (["note:3"], ["note:1"], 1)
    assert sorted(embedded) == sorted([lost.text, "A new note."])
    assert _vector_ids(services, NOTES) == _chunk_ids(services, NOTES)


def test_an_upsert_leaves_other_items_uncommitted_vectors_alone(services):
    services.ingester.upsert_texts(NOTES, [SECRET])
    old = _chunk_ids(services, NOTES)
    # another process's upsert of note:9, its vector written and its commit still to come
    services.vectors(NOTES).upsert(ids=["in-flight"], embeddings=services.embeddings.embed_documents(["Not yet."]),
                                   metadatas=[{"source": "note:9"}])  # fmt: skip
    edited = TextItem(
        SECRET.id, SECRET.title, "The two Grade 3 teachers are back from leave.", SECRET.location
    )
    services.ingester.upsert_texts(NOTES, [edited])
    assert _vector_ids(services, NOTES) == _chunk_ids(services, NOTES) | {"in-flight"}
    assert not old & _vector_ids(services, NOTES)  # the replaced version's vector is gone


def test_a_vector_restored_for_an_item_deleted_meanwhile_does_not_outlive_it(make_services, services,
                                                                            monkeypatch):  # fmt: skip
    services.ingester.upsert_texts(NOTES, [SECRET])
    services.vectors(NOTES).delete(ids=list(_chunk_ids(services, NOTES)))
    elsewhere = make_services()  # another process deletes the note while this one restores it
    real = services.ingester._embed_documents

    def delete_then_embed(texts):
        assert elsewhere.ingester.delete(NOTES, ["note:1"]) == ["note:1"]
        return real(texts)

    monkeypatch.setattr(services.ingester, "_embed_documents", delete_then_embed)
    assert services.ingester.upsert_texts(NOTES, []).vectors_restored == 1
    assert _chunk_ids(services, NOTES) == set() == _vector_ids(services, NOTES)
