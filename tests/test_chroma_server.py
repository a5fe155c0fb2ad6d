"""The vectors in a real Chroma server (`chroma run`, started here on loopback), as districts deploy it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

QUESTION = "What is the graduation target?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """A Chroma server of the installed chromadb on 127.0.0.1 and a free port; its data in a temp folder."""
    command = Path(sys.executable).with_name("chroma")
    if not command.exists():
        pytest.skip(f"no `chroma` command beside {sys.executable}; chromadb ships it")
    folder = tmp_path_factory.mktemp("chroma-server")
    port = _free_port()
    log = folder / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHROMA_")} | {"NO_COLOR": "1"}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(command), "run", "--path", str(folder / "data"), "--host", "127.0.0.1", "--port", str(port)],
            cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    heartbeat = f"http://127.0.0.1:{port}/api/v2/heartbeat"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            pytest.skip(f"`chroma run` could not start (exit {proc.returncode}): {log.read_text()[-1500:]}")
        try:
            with urllib.request.urlopen(heartbeat, timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            _stop(proc)
            pytest.skip(f"`chroma run` did not answer its heartbeat within 60 s: {log.read_text()[-1500:]}")
        time.sleep(0.2)
    yield port, folder, log
    _stop(proc)


@pytest.fixture
def server_client(chroma_server):
    """The server's own view of what it stores."""
    port, _, _ = chroma_server
    return chromadb.HttpClient(
        host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False)
    )


@pytest.fixture
def clear_server(server_client):
    """Each test starts with an empty server."""
    for collection in server_client.list_collections():
        server_client.delete_collection(collection.name)
    return server_client


def _stored_counts(client) -> dict[str, int]:
    return {c.name: c.count() for c in client.list_collections() if c.count()}


def test_ingest_and_answer_through_a_chroma_server(make_services, knowledge, chroma_server, clear_server,
                                                    embeddings, tmp_path):  # fmt: skip
    port, _, log = chroma_server
    services = make_services(chroma_host="127.0.0.1", chroma_port=port)
    report = services.ingester.ingest([knowledge])
    assert report.failed == [] and report.chunks_total > 0

    # every chunk's vector is in the server, in one collection, and nothing in the embedded store
    counts = _stored_counts(clear_server)
    assert list(counts.values()) == [report.chunks_total], counts
    assert not (tmp_path / "data" / "chroma").exists()
    # the server's own nearest neighbour of the question is the passage with the target
    (name,) = counts
    nearest = clear_server.get_collection(name).query(
        query_embeddings=[embeddings.embed_query(QUESTION)], n_results=1
    )
    assert "88 percent" in nearest["documents"][0][0]

    answer = services.answerer.ask(QUESTION)
    assert "88 percent" in answer.answer and "[1]" in answer.answer
    assert answer.sources and answer.sources[0].source == "plan.md"
    assert f"listening on address, addr: 127.0.0.1:{port}" in log.read_text()  # loopback only


def test_a_second_instance_shares_the_servers_vectors(make_services, knowledge, chroma_server, clear_server,
                                                      tmp_path):  # fmt: skip
    port, _, _ = chroma_server
    database_url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = make_services(chroma_host="127.0.0.1", chroma_port=port, database_url=database_url)
    first.ingester.ingest([knowledge])
    stored = _stored_counts(clear_server)

    # another `serve` on another machine: its own empty data dir, the same database and Chroma server
    second = make_services(chroma_host="127.0.0.1", chroma_port=port, database_url=database_url,
                           data_dir=tmp_path / "elsewhere")  # fmt: skip
    again = second.ingester.ingest([knowledge])
    assert again.chunks_embedded == 0 and again.added == [] and again.updated == []
    assert _stored_counts(clear_server) == stored  # nothing was written twice
    answer = second.answerer.ask(QUESTION)
    assert "88 percent" in answer.answer and answer.sources[0].source == "plan.md"
    assert not (tmp_path / "elsewhere" / "chroma").exists()


def test_the_next_ingest_refills_a_chroma_server_that_lost_its_data(make_services, knowledge, chroma_server,
                                                                   clear_server):  # fmt: skip
    port, _, _ = chroma_server
    first = make_services(chroma_host="127.0.0.1", chroma_port=port).ingester.ingest([knowledge])
    for collection in clear_server.list_collections():  # a new, empty server in place of the old one
        clear_server.delete_collection(collection.name)

    services = make_services(chroma_host="127.0.0.1", chroma_port=port)
    again = services.ingester.ingest([knowledge])
    assert again.chunks_embedded == first.chunks_total
    assert list(_stored_counts(clear_server).values()) == [first.chunks_total]
    assert "88 percent" in services.answerer.ask(QUESTION).answer
