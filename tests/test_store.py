"""The schema's migrations on SQLite and PostgreSQL: fresh, repeated, concurrent, from the released data dir."""

from __future__ import annotations

import ast
import shutil
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import (
    Column,
    DefaultClause,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    create_engine,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError

from bot.store import make_engine, migrate
from bot.store import tables as store_tables
from bot.store.__main__ import main as store_main
from bot.store.check import check_revisions, schema_differences
from bot.store.engine import (
    MIGRATIONS_DIR,
    SchemaError,
    _use_wal,
    alembic_config,
    current_revision,
    head_revision,
    newest_revision_file,
)

# tests/fixtures/schema3.db is the SQLite database of a data dir made by the release before Alembic
# (schema_migrations at version 3): from a `git worktree` of commit b0b32ee, `resolute ingest` and
# `resolute data load` over the `knowledge` fixture of conftest.py plus write_district() of
# test_district.py, one answer recorded with AnswerLog (a claim, two feedbacks), one digest claimed
# and posted with DistrictStore, then `VACUUM`.
RELEASED = Path(__file__).parent / "fixtures" / "schema3.db"
RELEASED_READ_ONLY = f"sqlite:///file:{RELEASED}?mode=ro&uri=true"  # tests copy it, never change it
RELEASED_ROWS = {"documents": 5, "chunks": 12, "index_meta": 2, "slack_claims": 1, "slack_answers": 1,
                 "answer_feedback": 2, "district_config": 3, "schools": 2, "results": 8, "digest_posts": 1}  # fmt: skip
CORPUS_TABLES = ("documents", "chunks", "index_meta")


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database(request, tmp_path, pg_schemas) -> Callable[[], str]:
    """A factory of empty databases on one backend: SQLite files, or fresh PostgreSQL schemas."""

    def new() -> str:
        if request.param == "sqlite":
            return f"sqlite:///{tmp_path / uuid.uuid4().hex[:12] / 'resolute.db'}"
        return pg_schemas.new()

    return new


def snapshot(engine: Engine) -> dict:
    """Every table's columns, primary key, indexes and foreign keys, as the database reports them."""
    inspector = inspect(engine)
    return {
        name: {
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"], str(c["default"]))
                for c in inspector.get_columns(name)
            ),
            "primary_key": inspector.get_pk_constraint(name)["constrained_columns"],
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(name)
            ),
            "foreign_keys": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                for f in inspector.get_foreign_keys(name)
            ),
        }
        for name in inspector.get_table_names()
    }


def rows(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table but Alembic's own, sorted, keyed by table."""
    reflected = MetaData()
    reflected.reflect(engine)
    with engine.connect() as conn:
        return {
            name: sorted(tuple(row) for row in conn.execute(select(table)))
            for name, table in reflected.tables.items()
            if name != "alembic_version"
        }


def differences(engine: Engine, target: MetaData = store_tables.metadata) -> list[str]:
    with engine.connect() as conn:
        return schema_differences(conn, target)


def released_database(url: str) -> Engine:
    """A database as the release before Alembic left it, rows included."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True)
        shutil.copy(RELEASED, path)
        return make_engine(url)
    # PostgreSQL: revision 0001 builds the released schema (the SQLite case proves it is the same),
    # then the numbered runner's table and the fixture's rows are put in
    engine = make_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(
            text("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL)")
        )
    source = create_engine(RELEASED_READ_ONLY)
    stored, target = MetaData(), MetaData()
    stored.reflect(source)
    target.reflect(engine)
    with source.connect() as read, engine.begin() as write:
        for table in stored.sorted_tables:
            found = [dict(row._mapping) for row in read.execute(select(table))]
            write.execute(target.tables[table.name].insert(), found)
    source.dispose()
    return engine


# -- a fresh database ----------------------------------------------------------------------------
def test_a_fresh_database_is_built_to_the_schema_in_tables_py(new_database):
    engine = make_engine(new_database())
    assert migrate(engine) == head_revision()
    with engine.connect() as conn:
        assert current_revision(conn) == head_revision()
    assert set(inspect(engine).get_table_names()) == set(store_tables.metadata.tables) | {"alembic_version"}
    assert differences(engine) == []
    engine.dispose()


def test_migrating_again_changes_nothing(new_database):
    engine = make_engine(new_database())
    migrate(engine)
    before = snapshot(engine)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert migrate(engine) == head_revision()
    writes = [
        s
        for s in statements
        if s.split()[0].upper() in ("CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE")
    ]
    assert writes == [] and statements  # it looked, and wrote nothing
    assert snapshot(engine) == before
    engine.dispose()


class _BusyCursor:
    """A cursor whose first `PRAGMA journal_mode=WAL` calls find the file locked by another connection."""

    def __init__(self, busy: int) -> None:
        self.busy, self.calls = busy, 0

    def execute(self, sql: str):
        self.calls += 1
        if self.calls <= self.busy:
            raise sqlite3.OperationalError("database is locked")
        return self


def test_switching_a_new_sqlite_file_to_wal_waits_for_the_connection_that_holds_it():
    cursor = _BusyCursor(busy=3)  # SQLite does not apply its busy timeout to this switch
    _use_wal(cursor)
    assert cursor.calls == 4
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _use_wal(_BusyCursor(busy=10**9), wait=0)  # and gives up after `wait` seconds


def test_an_in_memory_database_opens_although_it_cannot_use_wal():
    opened: list[str] = []

    def open_memory() -> None:
        with make_engine("sqlite://").connect() as conn:
            opened.append(conn.exec_driver_sql("PRAGMA journal_mode").scalar())

    thread = threading.Thread(target=open_memory, daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert opened == ["memory"], "opening an in-memory database did not finish"


def test_instances_starting_together_end_with_one_schema(new_database):
    url = new_database()
    if url.startswith("postgresql"):  # unserialised start-ups can deadlock: fail, do not hang
        url += "%20-clock_timeout%3D20s"
    engines = [make_engine(url) for _ in range(4)]  # one per instance, as separate processes have
    start = threading.Barrier(len(engines))
    failures: list[BaseException] = []

    def start_up(engine: Engine) -> None:
        start.wait()
        try:
            migrate(engine)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=start_up, args=(engine,), daemon=True) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a start-up is still waiting"
    assert failures == []
    with engines[0].connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [
            head_revision()
        ]
    assert differences(engines[0]) == []
    for engine in engines:
        engine.dispose()


# -- a data dir made by the release before Alembic -----------------------------------------------
def test_revision_0001_is_the_released_schema(tmp_path):
    released = create_engine(RELEASED_READ_ONLY)
    built = make_engine(f"sqlite:///{tmp_path / 'built.db'}")
    with built.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
    expected, found = snapshot(released), snapshot(built)
    del expected["schema_migrations"], found["alembic_version"]
    assert found == expected
    released.dispose()
    built.dispose()


def test_the_released_data_dir_is_upgraded_without_losing_a_row(new_database):
    engine = released_database(new_database())
    before = rows(engine)
    assert {name: len(found) for name, found in before.items()} == RELEASED_ROWS | {"schema_migrations": 3}
    assert migrate(engine) == head_revision()
    after = rows(engine)
    new = {
        name
        for name in after
        if name.startswith(("checkin_", "note", "private_", "assistant_", "slack_handoffs"))
    }  # added since, empty
    assert "schema_migrations" not in after and set(after) - new == set(RELEASED_ROWS)
    assert new and not any(after[name] for name in new)
    reflected = MetaData()
    reflected.reflect(engine)
    for name in RELEASED_ROWS:
        if name in CORPUS_TABLES:  # the new columns are last: every old row is there, now in "public"
            columns = [c.name for c in reflected.tables[name].columns]
            added = ["corpus", "sentence_vectors"] if name == "chunks" else ["corpus"]
            assert columns[-len(added) :] == added
            assert {row[len(columns) - len(added)] for row in after[name]} == {"public"}
            if name == "chunks":  # sentence vectors come with the next ingest, which redoes the corpus
                assert {row[-1] for row in after[name]} == {None}
            assert sorted(row[: -len(added)] for row in after[name]) == before[name]
        elif name == "schools":  # its principal and Ed-Fi id come with the next load of the district data
            assert [c.name for c in reflected.tables[name].columns][-2:] == ["principal", "edfi_id"]
            assert {row[-2:] for row in after[name]} == {(None, None)}
            assert sorted(row[:-2] for row in after[name]) == before[name]
        elif name == "slack_claims":  # a claim kept before its status was: its question was answered
            assert [c.name for c in reflected.tables[name].columns][-2:] == ["status", "posted_at"]
            assert {row[-2:] for row in after[name]} == {("posted", None)}
            assert sorted(row[:-2] for row in after[name]) == before[name]
        else:
            assert after[name] == before[name]
    assert differences(engine) == []
    fresh = make_engine(new_database())
    migrate(fresh)
    assert snapshot(engine) == snapshot(fresh)
    engine.dispose()
    fresh.dispose()


def test_an_unexpected_legacy_version_is_refused_and_nothing_changes(new_database):
    engine = released_database(new_database())
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM schema_migrations WHERE version = 3"))
    before = snapshot(engine), rows(engine)
    with pytest.raises(SchemaError, match=r"lists versions \[1, 2\]; .* takes over databases at version 3"):
        migrate(engine)
    assert (snapshot(engine), rows(engine)) == before
    engine.dispose()


def test_a_failing_upgrade_leaves_the_database_as_it_was(new_database):
    engine = released_database(new_database())
    with engine.begin() as conn:  # an index of that name elsewhere makes revision 0002's last step fail
        conn.execute(text("CREATE INDEX ix_chunks_corpus_source ON schools (name)"))
    before = snapshot(engine), rows(engine)
    with pytest.raises(DBAPIError, match="ix_chunks_corpus_source"):
        migrate(engine)
    assert (snapshot(engine), rows(engine)) == before  # documents and index_meta were rebuilt, then undone
    engine.dispose()


def test_a_database_from_a_newer_release_is_refused(new_database):
    engine = make_engine(new_database())
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(SchemaError, match="revision 0099, which this version of Resolute does not know"):
        migrate(engine)
    engine.dispose()


def test_a_command_on_a_database_it_cannot_upgrade_says_why_without_a_traceback(tmp_path, monkeypatch):
    from bot.cli import main

    url = f"sqlite:///{tmp_path / 'newer.db'}"
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    result = CliRunner().invoke(main, ["progress"])
    assert result.exit_code == 1
    assert "revision 0099, which this version of Resolute does not know" in result.output
    assert "Traceback" not in result.output and result.exception.__class__ is SystemExit


def test_downgrades_round_trip_and_keep_private_corpora(new_database):
    engine = make_engine(new_database())
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO index_meta (corpus, key, value) VALUES ('notes', 'generation', '1')"))
        command.downgrade(alembic_config(conn), "0002")  # check-ins and notes go; the corpora stay
    assert not {t for t in inspect(engine).get_table_names() if t.startswith(("checkin_", "note"))}
    with (
        pytest.raises(RuntimeError, match="index_meta holds rows of private corpora"),
        engine.begin() as conn,
    ):
        command.downgrade(alembic_config(conn), "0001")
    with engine.begin() as conn:
        assert current_revision(conn) == "0002"
        conn.execute(text("DELETE FROM index_meta"))
        command.downgrade(alembic_config(conn), "0001")
    built = make_engine(new_database())
    with built.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
    assert snapshot(engine) == snapshot(built)
    built.dispose()
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert inspect(engine).get_table_names() == ["alembic_version"]
    migrate(engine)
    assert differences(engine) == []
    engine.dispose()


# -- tables.py and the revisions cannot drift apart ----------------------------------------------
def drifted(change: Callable[[MetaData], None]) -> MetaData:
    copy = MetaData()
    for table in store_tables.metadata.sorted_tables:
        table.to_metadata(copy)
    change(copy)
    return copy


def test_drift_between_tables_py_and_the_revisions_is_found(new_database):
    engine = make_engine(new_database())
    migrate(engine)
    assert differences(engine) == []

    def add_column(md: MetaData) -> None:
        md.tables["schools"].append_column(Column("phone", String(200)))

    def drop_index(md: MetaData) -> None:
        chunks = md.tables["chunks"]
        chunks.indexes.remove(next(i for i in chunks.indexes if i.name == "ix_chunks_corpus_source"))

    def other_default(md: MetaData) -> None:
        md.tables["chunks"].c.corpus.server_default = DefaultClause("shared")

    def narrow_key(md: MetaData) -> None:
        md.tables["documents"].c.corpus.primary_key = False
        md.tables["documents"].append_constraint(PrimaryKeyConstraint("source"))

    assert differences(engine, drifted(add_column)) == ["add_column schools.phone"]
    assert differences(engine, drifted(drop_index)) == [
        "remove_index ix_chunks_corpus_source on chunks(corpus, source)"
    ]
    assert [d.split(":")[0] for d in differences(engine, drifted(other_default))] == [
        "modify_default chunks.corpus"
    ]
    assert differences(engine, drifted(narrow_key)) == [
        "primary key of documents: database (corpus, source), tables.py (source)"
    ]
    engine.dispose()


def test_the_check_command_runs_from_any_folder_and_fails_on_drift(monkeypatch):
    assert check_revisions() == []
    ok = CliRunner().invoke(store_main, ["check"])
    assert ok.exit_code == 0 and f"The revisions (head {head_revision()}) build" in ok.output
    monkeypatch.setattr("bot.store.__main__.check_revisions", lambda: ["add_column schools.phone"])
    bad = CliRunner().invoke(store_main, ["check"])
    assert bad.exit_code == 1 and "add_column schools.phone" in bad.output


def test_revisions_do_not_import_the_models():
    revisions = sorted((MIGRATIONS_DIR / "versions").glob("*.py"))
    assert len(revisions) >= 2
    for revision in revisions:
        tree = ast.parse(revision.read_text())
        imported = {
            alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        }
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert imported == {"sqlalchemy", "alembic"}, revision.name  # frozen shapes, never the models


def test_the_newest_revision_file_is_alembics_head():
    assert newest_revision_file() == head_revision()  # the fast path below reads the file names


def test_a_current_database_is_checked_without_importing_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'current.db'}"
    migrate(make_engine(url))
    script = (
        "import sys\n"
        "from bot.store import make_engine, migrate\n"
        f"assert migrate(make_engine({url!r})) == {head_revision()!r}\n"
        "print('alembic' in sys.modules)\n"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "False"  # a cold `resolute ask` saves the import


def test_the_audit_kept_before_a_students_record_of_access_is_linked_to_its_notes(new_database):
    engine = make_engine(new_database())
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0013")
        conn.execute(text("INSERT INTO notes (id, type, text, author, created_at) VALUES "
                          "(4, 'tutoring', 'x', 'UANA', '2026-11-01 10:00:00'), "
                          "(7, 'tutoring', 'y', 'UANA', '2026-11-01 10:00:00')"))  # fmt: skip
        conn.execute(text(
            "INSERT INTO note_audit (id, at, actor, action, note_id, details) VALUES "
            "(1, '2026-11-01 10:00:00', 'UANA', 'create', 4, '{\"school\": \"A\"}'), "
            "(2, '2026-11-02 10:00:00', 'UBEN', 'list', NULL, '{\"filters\": {}, \"ids\": [7, 4]}'), "
            "(3, '2026-11-03 10:00:00', 'UBEN', 'export', NULL, '{\"filters\": {}, \"ids\": []}')"
        ))  # fmt: skip
    migrate(engine)
    with engine.connect() as conn:
        links = conn.execute(text("SELECT audit_id, note_id FROM note_access ORDER BY 1, 2")).all()
    assert [tuple(r) for r in links] == [(1, 4), (2, 4), (2, 7)]
    assert differences(engine) == []
    engine.dispose()
