"""Offline test fixtures: a clean environment, a temp data dir, one shared embedding model."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from bot.config import load_settings
from bot.knowledge.chunking import DEFAULT_MAX_TOKENS
from bot.knowledge.embeddings import make_embeddings
from bot.services import Services

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
def embeddings():
    """The real packaged model, loaded once for the whole run."""
    return make_embeddings("local")


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

    def build(chunk_tokens: int = DEFAULT_MAX_TOKENS, **overrides) -> Services:
        overrides.setdefault("data_dir", tmp_path / "data")
        overrides.setdefault("knowledge_dir", tmp_path / "knowledge")
        return Services(load_settings(**overrides), embeddings=embeddings, chunk_tokens=chunk_tokens)

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

    @property
    def _llm_type(self) -> str:
        return "recording"
