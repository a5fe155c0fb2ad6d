"""What a deleted note leaves: nothing an old button can act on, and nothing readable in the data dir.

Over Slack's protocol (tests.test_notes_slack's Desk, served over HTTP with its Chroma client open, as in a
running `serve`) and the notes' jobs, on SQLite and on PostgreSQL; an upgrade from revision 0006 on SQLite.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from alembic import command
from langchain_core.embeddings import Embeddings
from slack_sdk import WebClient
from sqlalchemy import MetaData, insert, select

import bot.jobs
from bot.config import load_settings
from bot.knowledge.vectorstore import collection_name
from bot.notes.model import NOTES_CORPUS
from bot.notes.store import FORGOTTEN
from bot.services import Services
from bot.slack.blocks import notes as kit
from bot.slack.fake import BOT_TOKEN as TOKEN
from bot.store import make_engine
from bot.store.engine import alembic_config
from bot.store.tables import chunks, note_tombstones
from tests.test_district import write_district
from tests.test_notes_slack import ADA, ANA, BEN, NOW, TOML, buttons, served

GONE = "That note was deleted."
STALE = "That button no longer works: type the command again."
DELETED = "Quillmorrow-5150 reading plan: the family asked us to stop the lunchtime sessions."
BEFORE = "Brackenfold-6161 attendance plan: a counsellor calls home after each absence."
AFTER = "Attendance plan revised: the counsellor calls after two absences."
EXPIRED = "Marrowgate-7272 credit rescue: the chemistry teacher re-opens the lab unit."
LIVE = "Tindlewick-9393 tutoring plan: decimals with the mathematics coach on Thursdays."


@pytest.fixture
def desk(make_services, fake_slack, tmp_path, database_url):
    """tests.test_notes_slack's Desk on SQLite or PostgreSQL, with the notes' jobs on its clock."""
    build = make_services if database_url is None else partial(make_services, database_url=database_url)
    with served(build, fake_slack, tmp_path) as running:
        bot.jobs.use(running.services, WebClient(token=TOKEN, base_url=fake_slack.url),
                     clock=lambda: running.now[0])  # fmt: skip
        yield running


def holding(folder: Path, *needles: str) -> dict[str, list[str]]:
    """Each needle -> the files under `folder` (every one: -wal, -shm, Chroma's) whose bytes hold it, in
    any case."""
    files = {p: p.read_bytes().lower() for p in sorted(folder.rglob("*")) if p.is_file()}
    return {n: [str(p.relative_to(folder)) for p, held in files.items() if n.lower().encode() in held]
            for n in needles}  # fmt: skip


# -- an old button ----------------------------------------------------------------------------------------
def test_an_old_button_never_acts_on_another_note(desk):
    logged = desk.command(ANA, "/note", f"type:tutoring student:QX-5150 {DELETED}")
    [old_edit], [old_delete] = buttons(logged)[kit.EDIT], buttons(logged)[kit.DELETE]
    assert "deleted" in desk.press(ANA, kit.DELETE, old_delete, block_id=kit.ONE)["text"]
    desk.later(60)
    ben = desk.command(BEN, "/note", f"type:tutoring {LIVE}")  # the next note, by a colleague
    [theirs] = desk.stored()
    assert buttons(ben)[kit.DELETE] == [kit.note_value(theirs)]

    # the old message's buttons, pressed by their author and by an admin (who may change any note)
    assert desk.press(ANA, kit.DELETE, old_delete, block_id=kit.ONE)["text"] == GONE
    assert desk.press(ADA, kit.DELETE, old_delete)["text"] == GONE
    assert desk.press(ANA, kit.EDIT, old_edit, block_id=kit.ONE)["text"] == GONE
    # the colleague's id with the old note's time (a value the old id could take after a restore), and
    # a bare id as older versions of Resolute put in their buttons: neither acts
    made = old_delete.partition("@")[2]
    assert desk.press(ADA, kit.DELETE, f"{theirs.id}@{made}")["text"] == GONE
    assert desk.press(ADA, kit.EDIT, f"{theirs.id}@{made}")["text"] == GONE
    assert desk.press(ADA, kit.DELETE, str(theirs.id))["text"] == STALE
    assert desk.press(ADA, kit.EDIT, str(theirs.id))["text"] == STALE
    assert desk.stored() == [theirs]  # intact
    assert not desk.fake.called("views.open")


def test_ids_are_never_reused_after_an_upgrade_from_0006(make_services, tmp_path):
    """A data dir at revision 0006 whose newest note was deleted: every row is kept, and no new note takes
    the deleted one's id (SQLite; PostgreSQL's sequences never reuse one)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'resolute.db'}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0006")
        held = MetaData()
        held.reflect(conn, only=["notes", "note_audit"])
        notes, audit = held.tables["notes"], held.tables["note_audit"]
        for n in (1, 2, 3):
            at = NOW + timedelta(minutes=n)
            conn.execute(
                insert(notes).values(id=n, type="other", text=f"Note {n}", author=ANA, created_at=at)
            )
            conn.execute(insert(audit).values(at=at, actor=ANA, action="create", note_id=n, details="{}"))
        conn.execute(notes.delete().where(notes.c.id == 3))  # the newest: SQLite would hand 3 out again
        conn.execute(insert(audit).values(at=NOW, actor=ANA, action="delete", note_id=3, details="{}"))
        before = {t.name: conn.execute(select(t).order_by(t.c.id)).all() for t in (notes, audit)}
    engine.dispose()

    write_district(tmp_path / "knowledge" / "district", toml=TOML)
    services = make_services(clock=lambda: NOW)  # opening the data dir upgrades it
    services.district.load()
    with services.engine.connect() as conn:
        assert {t.name: conn.execute(select(t).order_by(t.c.id)).all() for t in (notes, audit)} == before
    session = services.notes.session(ADA, members=lambda channel: [], now=NOW)
    fourth = session.log(session.draft({"text": "After the upgrade"}, now=NOW), now=NOW)
    assert fourth.id == 4
    session.delete(fourth.id, now=NOW)  # the newest again
    assert session.log(session.draft({"text": "And the next"}, now=NOW), now=NOW).id == 5


# -- nothing readable left on disk --------------------------------------------------------------------------
def test_a_deleted_edited_or_expired_note_leaves_no_readable_trace_in_the_data_dir(desk, database_url,
                                                                                     tmp_path):  # fmt: skip
    data = tmp_path / "data"
    desk.log(ANA, EXPIRED, student="QX-7272", type="credit_rescue")  # two years before the others
    desk.later(731 * 24 * 3600)
    deleted = desk.command(ANA, "/note", f"type:tutoring student:QX-5150 {DELETED}")
    edited = desk.command(ANA, "/note", f"type:attendance {BEFORE}")
    desk.log(BEN, LIVE, student="QX-9393", type="tutoring")
    desk.command(ADA, "/notes", "student:QX-5150")  # the audit keeps the filter: who looked at this student

    assert "deleted" in desk.press(ANA, kit.DELETE, buttons(deleted)[kit.DELETE][0])["text"]
    form = desk.press(ANA, kit.EDIT, buttons(edited)[kit.EDIT][0], block_id=kit.ONE, opens=True)
    assert desk.submit(ANA, form, text=AFTER) is None
    assert (
        bot.jobs.notes_retention()
        == "1 note older than 730 days deleted; 0 audit rows removed, 365 days after their notes"
    )
    stored = {n.text for n in desk.stored()}
    assert stored == {AFTER, LIVE}

    found = holding(data, DELETED, "QX-5150", BEFORE, EXPIRED, "QX-7272", LIVE, "QX-9393", AFTER)
    gone = {needle: files for needle, files in found.items() if needle not in (LIVE, "QX-9393", AFTER)}
    assert gone == {needle: [] for needle in gone}, gone
    # no note, kept or deleted, ever reached Chroma: its vectors are in SQL with the note
    notes = collection_name(desk.services.embeddings_id, NOTES_CORPUS)
    assert notes not in [c.name for c in desk.services.chroma_client.list_collections()]
    if database_url is None:  # the scan sees what SQLite holds: the notes that stay are found
        assert found[LIVE] and found["QX-9393"] and found[AFTER]
    else:  # the notes and their vectors live in PostgreSQL; Chroma, under the data dir, holds none of them
        assert found[LIVE] == found["QX-9393"] == found[AFTER] == []

    # what the deleted ones leave: the audit, without their student references; a hash of their fields
    rows = desk.services.notes.operator("it").audit()
    assert {"delete", "edit", "expire", "list"} <= {r["action"] for r in rows}
    dumped = json.dumps(rows).upper()
    assert "QX-5150" not in dumped and "QX-7272" not in dumped and FORGOTTEN.upper() in dumped
    assert "QX-9393" in dumped  # a note that stays keeps its student reference in the audit
    with desk.services.engine.connect() as conn:
        assert len(conn.execute(select(note_tombstones)).all()) == 2
    # and search still finds the notes that stay
    [hit] = desk.services.index(NOTES_CORPUS).search("decimals with the mathematics coach", k=1)
    assert hit.passage.text.startswith(LIVE)


def test_notes_kept_as_text_in_chroma_by_an_earlier_version_are_forgotten_on_upgrade(make_services, tmp_path,
                                                                                       database_url):  # fmt: skip
    write_district(tmp_path / "knowledge" / "district", toml=TOML)
    build = make_services if database_url is None else partial(make_services, database_url=database_url)
    earlier = build(clock=lambda: NOW)
    earlier.district.load()
    session = earlier.notes.session(ADA, members=lambda channel: [], now=NOW)
    kept = session.log(session.draft({"text": LIVE, "student": "QX-9393"}, now=NOW), now=NOW)
    gone = session.log(session.draft({"text": DELETED, "student": "QX-5150"}, now=NOW), now=NOW)
    with earlier.engine.connect() as conn:
        rows = conn.execute(select(chunks).where(chunks.c.corpus == NOTES_CORPUS)).all()
    session.delete(gone.id, now=NOW)
    # the notes collection as an earlier version wrote it: each chunk's text and place beside its vector,
    # and a note deleted since, whose text Chroma's log and file kept
    client, name = earlier.chroma_client, collection_name(earlier.embeddings_id, NOTES_CORPUS)
    assert [c.name for c in client.list_collections()] == []  # this version gives Chroma nothing of a note
    old = client.create_collection(name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
    old.upsert(ids=[r.id for r in rows], embeddings=earlier.embeddings.embed_documents([r.text for r in rows]),
               documents=[r.text for r in rows],
               metadatas=[{"source": r.source, "title": r.title, "location": r.location, "position": r.position}
                          for r in rows])  # fmt: skip
    old.delete(ids=[r.id for r in rows if r.source == f"note:{gone.id}"])
    chroma = tmp_path / "data" / "chroma"
    # (its index folder holds the notes' vectors, and may hold their text too: Chroma writes its files from
    # memory it does not clear first)
    found = holding(chroma, DELETED, "QX-5150", LIVE)
    assert all("chroma.sqlite3" in files for files in found.values()), found
    [index] = [p.name for p in chroma.iterdir() if p.is_dir()]
    assert (chroma / index / "data_level0.bin").stat().st_size > 0

    upgraded = build(clock=lambda: NOW)  # the same data dir, a new process: its first search of notes
    [hit] = upgraded.index(NOTES_CORPUS).search("decimals with the mathematics coach", k=1, mode="dense")
    assert hit.passage.source == f"note:{kept.id}" and hit.dense > 0.5  # its vector restored from SQL
    assert holding(chroma, DELETED, "QX-5150", LIVE, "QX-9393") == {
        DELETED: [], "QX-5150": [], LIVE: [], "QX-9393": []}  # fmt: skip
    assert [c.name for c in client.list_collections()] == []  # the notes' vectors are in SQL now
    assert not (chroma / index).exists()  # Chroma leaves a dropped collection's folder: it is removed
    assert upgraded.vectors(NOTES_CORPUS).get()["ids"] == [
        r.id for r in rows if r.source == f"note:{kept.id}"
    ]


def test_a_note_logged_in_one_process_is_found_by_another_process_that_searched_before(make_services,
                                                                                       tmp_path,
                                                                                       database_url):  # fmt: skip
    write_district(tmp_path / "knowledge" / "district", toml=TOML)
    build = make_services if database_url is None else partial(make_services, database_url=database_url)
    serving, asking = build(clock=lambda: NOW), build(clock=lambda: NOW)  # two processes, one data dir
    serving.district.load()
    session = serving.notes.session(ADA, members=lambda channel: [], now=NOW)
    session.log(session.draft({"text": BEFORE, "student": "QX-6161"}, now=NOW), now=NOW)
    for services in (serving, asking):  # each has searched the notes as they were
        [hit] = services.index(NOTES_CORPUS).search("decimals with the mathematics coach", k=1, mode="dense")
        assert hit.passage.text.startswith(BEFORE)
    later = session.log(session.draft({"text": LIVE, "student": "QX-9393"}, now=NOW), now=NOW)
    for services in (asking, serving):
        [hit] = services.index(NOTES_CORPUS).search("decimals with the mathematics coach", k=1, mode="dense")
        assert hit.passage.source == f"note:{later.id}" and hit.dense > 0.5


class _OtherModel(Embeddings):
    """A model of another size, as after RESOLUTE_EMBEDDINGS changed: 8 dimensions from each text's hash."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[float(b) + 1.0 for b in hashlib.sha256(t.encode()).digest()[:8]] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def test_notes_embedded_by_another_model_are_embedded_again_when_a_process_first_uses_them(
    make_services, tmp_path, database_url
):
    write_district(tmp_path / "knowledge" / "district", toml=TOML)
    build = make_services if database_url is None else partial(make_services, database_url=database_url)
    before = Services(load_settings(data_dir=tmp_path / "data", knowledge_dir=tmp_path / "knowledge",
                                    embeddings="test:other-model", **({"database_url": database_url}
                                                                      if database_url else {})),
                      embeddings=_OtherModel(), clock=lambda: NOW)  # fmt: skip
    before.district.load()
    session = before.notes.session(ADA, members=lambda channel: [], now=NOW)
    session.log(session.draft({"text": LIVE, "student": "QX-9393"}, now=NOW), now=NOW)

    after = build(clock=lambda: NOW)  # the packaged model again, with no note written since
    for mode in ("hybrid", "lexical", "dense"):  # no vector of the other model is compared with this one's
        [hit] = after.index(NOTES_CORPUS).search("decimals with the mathematics coach", k=1, mode=mode)
        assert hit.passage.text.startswith(LIVE) and hit.dense > 0.5


def test_a_deletion_the_database_was_too_busy_to_scrub_is_scrubbed_by_the_next_tick(make_services, fake_slack,
                                                                                      tmp_path):  # fmt: skip
    with served(make_services, fake_slack, tmp_path) as desk:
        bot.jobs.use(
            desk.services, WebClient(token=TOKEN, base_url=fake_slack.url), clock=lambda: desk.now[0]
        )
        logged = desk.command(ANA, "/note", f"type:tutoring student:QX-5150 {DELETED}")
        data = tmp_path / "data"
        reader = sqlite3.connect(data / "resolute.db")  # another process, in the middle of a long read
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM notes").fetchall()
        assert "deleted" in desk.press(ANA, kit.DELETE, buttons(logged)[kit.DELETE][0])["text"]
        assert desk.stored() == []
        assert holding(data, DELETED)[DELETED] == ["resolute.db-wal"]  # the log could not be cut back yet
        desk.later(60)
        bot.jobs.notes_tick()
        assert holding(data, DELETED)[DELETED] == ["resolute.db-wal"]  # still reading
        reader.rollback()
        desk.later(60)
        bot.jobs.notes_tick()
        assert holding(data, DELETED, "QX-5150") == {DELETED: [], "QX-5150": []}
        reader.close()


def test_a_student_reference_no_stored_note_has_reads_deleted_in_every_audit_row(desk, tmp_path):
    def audit() -> str:
        return json.dumps(desk.services.notes.operator("it").audit())

    def edit(reply: dict, **fields: str) -> None:
        form = desk.press(ANA, kit.EDIT, buttons(reply)[kit.EDIT][0], block_id=kit.ONE, opens=True)
        assert desk.submit(ANA, form, **fields) is None

    mine = desk.command(ANA, "/note", f"type:tutoring student:QX-5150 {LIVE}")
    theirs = desk.command(BEN, "/note", f"type:attendance student:qx-5150 {BEFORE}")  # the same child
    accented = desk.command(ANA, "/note", f"type:tutoring student:\u00c9L-2020 {AFTER}")
    desk.command(ADA, "/notes", "student:Qx-5150")  # who looked: the audit keeps the filter
    desk.command(ADA, "/notes", "student:\u00c9L-2020")
    desk.command(ADA, "/notes", "student:\u00e9l-2020")

    edit(mine, student="QX-6262")  # the wrong child: BEN's note still names QX-5150
    assert "QX-5150" in audit().upper()  # a reference a note still has stays, in every row
    [delete] = buttons(theirs)[kit.DELETE]
    assert "deleted" in desk.press(BEN, kit.DELETE, delete)["text"]
    # no note has QX-5150 now: not the create and edit rows of ANA's note, nor the listing's filter
    assert "QX-5150" not in audit().upper()
    assert {n.student for n in desk.stored()} == {"QX-6262", "\u00c9L-2020"}

    desk.command(ADA, "/notes", "student:QX-6262")
    edit(mine, student="QX-7373")  # an edit takes the last QX-6262 away: its own row too
    edit(accented, student="ZQ-8484")
    held = audit()
    assert "QX-6262" not in held.upper() and "\u00c9L-2020" not in held and "\u00e9l-2020" not in held
    assert "\\u00c9L-2020" not in held and "\\u00e9l-2020" not in held  # as JSON writes them
    rows = desk.services.notes.operator("it").audit()
    edits = [r["details"] for r in rows if r["action"] == "edit"]
    assert edits[-2:] == [
        {"before": {"student": FORGOTTEN, "type": "tutoring"}, "after": {"student": "QX-7373", "type": "tutoring"},
         "text_changed": False},
        {"before": {"student": FORGOTTEN, "type": "tutoring"}, "after": {"student": "ZQ-8484", "type": "tutoring"},
         "text_changed": False},
    ]  # fmt: skip
    assert "QX-7373" in held and "ZQ-8484" in held  # what stored notes have stays
    assert holding(tmp_path / "data", "QX-5150", "QX-6262") == {"QX-5150": [], "QX-6262": []}
