"""The PostgreSQL the tests run on: the one at 127.0.0.1:5432 (database `test`, trust auth) when it answers,
else a throwaway server started from the installed binaries for this test run and removed after it."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

LOCAL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
INSTALL = (
    "install PostgreSQL's server (Debian and Ubuntu: `apt install postgresql`) or start one at 127.0.0.1:5432"
)


class NoPostgres(RuntimeError):
    """No PostgreSQL answers and none can be started here; the message says what to install."""


def answers(url: str) -> bool:
    """Whether a PostgreSQL answers at this URL now."""
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def _binary(name: str) -> str | None:
    """An installed PostgreSQL program: on PATH, or in Debian's versioned folder (the newest)."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[4]))
    return versions[-1] if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def throwaway() -> Iterator[str]:
    """A PostgreSQL server of its own in a temporary folder, on a free port, with a `test` database and trust
    auth: its URL while the context lasts; stopped and removed after. As root it runs as the `postgres`
    user, since PostgreSQL refuses to run as root."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not (initdb and pg_ctl):
        raise NoPostgres(f"PostgreSQL is not reachable at 127.0.0.1:5432 and is not installed: {INSTALL}")
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="resolute-pg-"))
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if not runuser:
            raise NoPostgres(f"PostgreSQL cannot run as root and `runuser` is missing: {INSTALL}")
        as_user = [runuser, "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*as_user, *args], capture_output=True, text=True, check=False, timeout=120)
        if done.returncode:
            raise NoPostgres(
                f"could not start a throwaway PostgreSQL ({args[0]}): {done.stderr.strip()[-300:]}"
            )

    try:
        run(initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start")
        try:
            admin = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
                                  isolation_level="AUTOCOMMIT")  # fmt: skip
            with admin.connect() as conn:
                conn.execute(text("CREATE DATABASE test"))
            admin.dispose()
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/test"
        finally:
            run(pg_ctl, "-D", str(data), "-m", "immediate", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
