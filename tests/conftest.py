"""Offline test fixtures: a clean environment, a temp data dir, one shared embedding model."""

from __future__ import annotations

import os
import re
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field
from sqlalchemy import create_engine, text

from bot.config import load_settings
from bot.knowledge.chunking import DEFAULT_MAX_TOKENS
from bot.knowledge.embeddings import make_embeddings
from bot.services import Services
from bot.slack.fake import FakeSlack
from tests.postgres import LOCAL_URL, NoPostgres, answers, throwaway

REFORM_DOCS = Path(__file__).resolve().parents[2] / "shared" / "reform-docs"
_SETTING_PREFIXES = ("RESOLUTE_", "OPENAI_", "CHROMA_", "DATABASE_URL", "SLACK_")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No setting leaks in from the developer's shell or a `.env` file in the checkout."""
    for name in list(os.environ):
        if name.startswith(_SETTING_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RESOLUTE_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any connection beyond loopback fails the test: nothing may download at run time."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        remote = isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1"))
        if remote and self.family in (socket.AF_INET, socket.AF_INET6):
            raise AssertionError(f"network access attempted: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def embeddings(tmp_path_factory):
    """The real packaged model, exported and loaded once for the whole run."""
    return make_embeddings("local", models_dir=tmp_path_factory.mktemp("models"))


@pytest.fixture
def knowledge(tmp_path) -> Path:
    """A small knowledge folder written for the tests."""
    folder = tmp_path / "knowledge"
    (folder / "schools").mkdir(parents=True)
    (folder / "plan.md").write_text(
        "# Lakeside Improvement Plan\n\n"
        "Lakeside has three priorities: early reading, mathematics and graduation.\n\n"
        "## Early reading\n\n"
        "Every child reads by the end of Grade 3. Reading coaches visit each primary school "
        "twice a week. The Grade 3 reading target is 80 percent by 2027.\n\n"
        "## Graduation\n\n"
        "Student success teachers run credit recovery in every secondary school. "
        "The graduation target is 88 percent by 2027.\n",
        encoding="utf-8",
    )
    (folder / "schools" / "pine.txt").write_text(
        "PINE RIDGE PUBLIC SCHOOL\n\n"
        "Pine Ridge serves 310 students in the north cluster.\n"
        "Its principal is Ms. Farah Haddad.\n\n"
        "Numeracy Focus\n\n"
        "Teachers meet every second Tuesday in a math learning network to study student work.\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def make_services(embeddings, tmp_path):
    """Build Services on the test's settings, sharing the loaded model."""

    def build(chunk_tokens: int = DEFAULT_MAX_TOKENS, clock=None, **overrides) -> Services:
        overrides.setdefault("data_dir", tmp_path / "data")
        overrides.setdefault("knowledge_dir", tmp_path / "knowledge")
        return Services(
            load_settings(**overrides), embeddings=embeddings, chunk_tokens=chunk_tokens, clock=clock
        )

    return build


@pytest.fixture
def reform_docs() -> Path:
    """The reform documents beside the checkout; tests that need them skip without them."""
    if not REFORM_DOCS.is_dir():
        pytest.skip("../shared/reform-docs is not present")
    return REFORM_DOCS


class RecordingChatModel(BaseChatModel):
    """A chat model that answers from a queue and records every prompt it was given."""

    replies: list[str] = Field(default_factory=list)
    prompts: list[str] = Field(default_factory=list)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self.prompts.append(messages[-1].content)
        text = self.replies.pop(0) if self.replies else "No reply was queued."
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs) -> Iterator[ChatGenerationChunk]:
        """The reply `_generate` gives, a word at a time, as a served model streams it."""
        text = self._generate(messages, stop, run_manager, **kwargs).generations[0].message.content
        for word in re.findall(r"\S+\s*", text):
            yield ChatGenerationChunk(message=AIMessageChunk(content=word))

    @property
    def _llm_type(self) -> str:
        return "recording"


@pytest.fixture
def fake_slack():
    """Slack's Web API played on loopback (bot.slack.fake): records calls, checks tokens and blocks."""
    with FakeSlack() as running:
        yield running


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The PostgreSQL of this test run: the one at 127.0.0.1:5432 (database `test`) when it answers, else a
    throwaway server started from the installed binaries (tests.postgres); started only when a test needs it."""
    if answers(LOCAL_URL):
        yield LOCAL_URL
        return
    try:
        with throwaway() as url:
            yield url
    except NoPostgres as exc:
        pytest.fail(str(exc), pytrace=False)


class PostgresSchemas:
    """Fresh schemas on the test run's PostgreSQL, each a database of its own for one test; dropped after it."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._admin = None
        self._made: list[str] = []

    def new(self) -> str:
        """The SQLAlchemy URL of a new, empty schema."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self._admin = self._admin or create_engine(self._url)
        with self._admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {name}"))
        self._made.append(name)
        return f"{self._url}?options=-csearch_path%3D{name}"

    def drop_all(self) -> None:
        """Drop every schema made."""
        if self._admin is None:
            return
        with self._admin.begin() as conn:
            for name in self._made:
                conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
        self._admin.dispose()


@pytest.fixture
def pg_schemas(postgres_url):
    """Make fresh PostgreSQL schemas: `pg_schemas.new()` is a database URL."""
    schemas = PostgresSchemas(postgres_url)
    yield schemas
    schemas.drop_all()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, pg_schemas) -> str | None:
    """Run the test on both stores: None is SQLite under the data dir (the default), else PostgreSQL."""
    return None if request.param == "sqlite" else pg_schemas.new()


@contextmanager
def serving(app) -> Iterator[str]:
    """The Bolt app served over HTTP on a loopback port, as `resolute serve --http` serves it: its URL."""
    from bot.slack.app import make_http_server

    server = make_http_server(app, host="127.0.0.1", port=0)
    stopping = threading.Event()

    def run() -> None:
        try:
            server.run()
        except OSError:  # the loop sees its sockets closed under it: expected only when stopping
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}/slack/events"
    finally:
        stopping.set()
        server.close()
        thread.join(timeout=10)
