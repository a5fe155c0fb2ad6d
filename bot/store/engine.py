"""Engine factory and the migration runner (SQLite by default, PostgreSQL via DATABASE_URL)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url

if TYPE_CHECKING:  # Alembic is imported only when the schema is not already current (see `migrate`)
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_ADVISORY_LOCK_KEY = 0x5E5017E  # serialises migrations when several instances start at once
_SQLITE_TIMEOUT = 30  # seconds a statement waits for another connection's lock
_CHECKPOINT_WAIT = 0.5  # seconds a checkpoint waits for readers before it is left for later

# How Alembic runs and compares: batch mode lets SQLite (no ALTER for keys) take the same revisions
# as PostgreSQL; types and server defaults are compared so a change to either is seen as drift.
MIGRATION_OPTIONS = {"render_as_batch": True, "compare_type": True, "compare_server_default": True}

# The numbered runner Resolute used before Alembic kept its version in this table; a database it
# brought to version 3 has exactly the schema of revision 0001.
_LEGACY_TABLE = "schema_migrations"
_LEGACY_VERSIONS = {1, 2, 3}
_LEGACY_REVISION = "0001"


class SchemaError(RuntimeError):
    """The database's schema is one this version of Resolute cannot bring up to date."""


def make_engine(url: str) -> Engine:
    """Build the one engine the process uses; creates the SQLite file's folder if needed."""
    # hide_parameters: a failed statement's error (and SQLAlchemy's own logging) shows the SQL but not
    # the values, which can be a private note's text or a student's code
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": _SQLITE_TIMEOUT}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cursor = dbapi_conn.cursor()
            _use_wal(cursor)
            cursor.execute("PRAGMA foreign_keys=ON")
            # a deleted row's bytes are overwritten with zeros, in its page and in the pages it freed
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _use_wal(cursor, *, wait: float = 30.0) -> None:
    """Put the SQLite file in WAL mode (readers run while ingest writes); the mode is kept in the file.

    Switching needs the file to itself and SQLite does not wait for that (no busy timeout), so when
    several connections open a new file at once, the ones that lose retry until the winner is done.
    """
    deadline = time.monotonic() + wait
    while True:  # an in-memory database stays in "memory" mode: one successful call is enough
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def forget_freed(engine: Engine) -> bool:
    """Make what was just deleted unreadable in the database's files; False when that must wait.

    On SQLite, secure_delete zeroes a deleted row in its page, but the page's older copies stay in the
    write-ahead log until it is checkpointed and cut back: this does both, unless a reader still holds an
    older snapshot (then False: try again later). PostgreSQL keeps dead rows until VACUUM and its WAL
    until recycled: its operator's part (docs/privacy.md); nothing to do here.
    """
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as conn:
        # the checkpoint waits for readers: a moment, not a listener's 30 seconds
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(_CHECKPOINT_WAIT * 1000)}")
        try:
            busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={int(_SQLITE_TIMEOUT * 1000)}")
    return not busy


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code: the revisions ship inside the package, no alembic.ini."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")  # 0003_checkins.py
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this version of Resolute knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, f"no revisions under {MIGRATIONS_DIR}"
    return head


def newest_revision_file() -> str:
    """The newest revision as its file names it ("0005_sentence_vectors.py": "0005"), read without Alembic."""
    return max(
        p.name.split("_", 1)[0] for p in (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")
    )


def _current(engine: Engine) -> bool:
    """Whether the database is already at the newest revision (one cheap query, no Alembic)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        found = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return found == [newest_revision_file()]


def migrate(engine: Engine) -> str:
    """Bring the database to the newest revision in one transaction; returns that revision.

    A database already there costs one query: a cold `resolute ask` does not import Alembic.
    """
    if _current(engine):
        return newest_revision_file()
    from alembic import command

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK_KEY})
        elif conn.dialect.name == "sqlite":
            # Python's sqlite3 runs DDL outside any transaction unless one is open; IMMEDIATE also
            # takes the write lock, so a second process waits here like a second PostgreSQL instance
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        config = alembic_config(conn)
        _refuse_unknown_revision(conn, config)
        adopted = _adopt_legacy(conn, config)
        command.upgrade(config, "head")
        if adopted:  # its version now lives in alembic_version
            conn.execute(text(f"DROP TABLE {_LEGACY_TABLE}"))
    return head_revision()


def current_revision(conn: Connection) -> str | None:
    """The revision the database is at (None: Alembic has not run on it)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def _refuse_unknown_revision(conn: Connection, config: Config) -> None:
    from alembic.script import ScriptDirectory

    current = current_revision(conn)
    known = {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}
    if current is not None and current not in known:
        raise SchemaError(
            f"{_where(conn)}: the database is at schema revision {current}, which this version of "
            f"Resolute does not know (it knows up to {head_revision()}): a newer Resolute upgraded it. "
            "Run that version, or restore a backup made before the upgrade."
        )


def _adopt_legacy(conn: Connection, config: Config) -> bool:
    """Stamp a database made by the numbered runner at the revision its schema matches."""
    if not inspect(conn).has_table(_LEGACY_TABLE):
        return False
    versions = {row[0] for row in conn.execute(text(f"SELECT version FROM {_LEGACY_TABLE}"))}
    if versions != _LEGACY_VERSIONS:
        raise SchemaError(
            f"{_where(conn)}: the database's {_LEGACY_TABLE} table lists versions {sorted(versions)}; this version of "
            f"Resolute takes over databases at version {max(_LEGACY_VERSIONS)} (versions "
            f"{sorted(_LEGACY_VERSIONS)}). Nothing was changed: start the last release without Alembic "
            "once to bring it to version 3, then this one."
        )
    from alembic import command

    command.stamp(config, _LEGACY_REVISION)
    return True


def _where(conn: Connection) -> str:
    return conn.engine.url.render_as_string(hide_password=True)


def upsert_insert(conn: Connection):
    """The connection's dialect's INSERT, which has ON CONFLICT DO UPDATE (SQLite and PostgreSQL both do)."""
    from sqlalchemy.dialects import postgresql, sqlite

    if conn.dialect.name == "postgresql":
        return postgresql.insert
    if conn.dialect.name == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"Resolute supports SQLite and PostgreSQL, not {conn.dialect.name}")
