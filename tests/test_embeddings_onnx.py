"""The packaged model run with onnxruntime: the PyTorch model's vectors, exported once, loaded without torch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.knowledge import onnx_model
from bot.knowledge.embeddings import local_model_path, make_embeddings

REPO = Path(__file__).resolve().parent.parent
TEXTS = [
    "Who leads numeracy?",
    "Élèves à l'école: naïve café, ünïcödé, 数学, emoji 📚",
    "Credit recovery. " + "A student who fails a course completes only the expectations they missed. " * 40,
    "a",
    "The five-year graduation rate rose from 78% in 2022 to 81.2% in 2025.",
]


@pytest.fixture(scope="module")
def pytorch_vectors():
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(local_model_path()), device="cpu", local_files_only=True)
    assert model.max_seq_length == 256  # the long text above is cut, as the ONNX tokenizer must cut it
    return model.encode(TEXTS, normalize_embeddings=True)


def test_vectors_match_the_pytorch_model(embeddings, pytorch_vectors):
    batch = np.asarray(embeddings.embed_documents(TEXTS))  # mixed lengths: padded together
    alone = np.asarray([embeddings.embed_query(t) for t in TEXTS])
    for got in (batch, alone):
        cosines = (got * pytorch_vectors).sum(axis=1) / np.linalg.norm(got, axis=1)
        assert cosines.min() >= 1 - 1e-4, cosines
    assert embeddings.embed_documents([]) == []


def test_the_export_is_made_once_and_reused(embeddings, monkeypatch):
    def no_export(*_args):
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_model, "export", no_export)
    again = make_embeddings("local", models_dir=embeddings.file.parent)
    assert again.file == embeddings.file
    assert again.embed_query("Who leads numeracy?") == pytest.approx(
        embeddings.embed_query("Who leads numeracy?")
    )


def test_a_file_cut_short_is_exported_again(embeddings, tmp_path):
    copy = tmp_path / embeddings.file.name
    copy.write_bytes(embeddings.file.read_bytes()[:100_000])  # a killed export, a full disk
    model = make_embeddings("local", models_dir=tmp_path)
    assert copy.stat().st_size == embeddings.file.stat().st_size
    assert model.embed_query("a") == pytest.approx(embeddings.embed_query("a"), abs=1e-6)
    assert [p.name for p in tmp_path.iterdir()] == [copy.name]  # no temporary file left behind


def test_a_new_package_version_is_a_new_file(tmp_path, monkeypatch):
    monkeypatch.setattr(onnx_model.metadata, "version", lambda _name: "9.9.9")
    assert "9.9.9" in onnx_model.model_file(local_model_path(), tmp_path).name


def test_embedding_with_an_export_loads_neither_torch_nor_transformers(embeddings, tmp_path):
    shutil.copy(embeddings.file, tmp_path / embeddings.file.name)
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from bot.knowledge.embeddings import make_embeddings\n"
        f"vector = make_embeddings('local', models_dir=Path({str(tmp_path)!r})).embed_query('Who leads numeracy?')\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules)\n"
        "print(json.dumps({'dims': len(vector), 'heavy': heavy}))\n"
    )
    ran = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    assert json.loads(ran.stdout) == {"dims": 384, "heavy": []}


def test_batches_by_length_give_the_same_vectors_in_the_same_order(embeddings, monkeypatch, pytorch_vectors):
    monkeypatch.setattr(onnx_model, "BATCH_TOKENS", 64)  # one or two texts a run
    got = np.asarray(embeddings.embed_documents(TEXTS))
    assert ((got * pytorch_vectors).sum(axis=1) >= 1 - 1e-4).all()


@pytest.fixture
def cold(embeddings, make_services, knowledge) -> dict[str, str]:
    """The environment of a new `resolute` process over an ingested index (the model already exported)."""
    services = make_services(knowledge_dir=knowledge)
    services.ingester.ingest([knowledge])
    shutil.copytree(embeddings.file.parent, services.settings.models_dir, dirs_exist_ok=True)
    return {
        **os.environ,
        "RESOLUTE_DATA_DIR": str(services.settings.data_dir),
        "RESOLUTE_KNOWLEDGE_DIR": str(knowledge),
    }


def test_a_cold_ask_imports_only_what_the_question_needs(cold, tmp_path):
    script = (
        "import json, sys\n"
        "from bot.cli import main\n"
        "main(['ask', 'What is the graduation target?'], standalone_mode=False)\n"
        "heavy = ('torch', 'sentence_transformers', 'alembic', 'langchain_chroma', 'langchain_core.prompts',\n"
        "         'bot.checkins.cli', 'bot.notes.cli', 'slack_bolt')\n"
        "print(json.dumps(sorted(m for m in heavy if m in sys.modules)))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=cold, capture_output=True, text=True, check=True
    )
    answer, imported = ran.stdout.rsplit("\n", 2)[:2]
    assert "88 percent" in answer  # it did answer, from the index ingested above
    assert json.loads(imported) == []


def test_the_console_script_answers_in_full_and_exits_with_the_commands_code(cold, tmp_path):
    def resolute(*args: str) -> subprocess.CompletedProcess:
        launch = "from bot.launch import run; run()"  # what the installed `resolute` script runs
        return subprocess.run([sys.executable, "-c", launch, *args], cwd=tmp_path, env=cold,
                              capture_output=True, text=True)  # fmt: skip

    answered = resolute("ask", "What is the graduation target?")
    # ended without Python's teardown, yet every line was written
    assert answered.returncode == 0, answered.stderr
    assert "88 percent" in answered.stdout
    assert "\nSources:\n" in answered.stdout and answered.stdout.endswith(")\n")  # the last source, whole
    as_json = resolute("ask", "--json", "What is the graduation target?")
    assert json.loads(as_json.stdout)["sources"], as_json.stderr
    refused = resolute("ask", " ")
    assert refused.returncode == 2 and "the question is empty" in refused.stderr
