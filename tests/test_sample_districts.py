"""The fixture districts in tests/fixtures/districts load through `resolute data load`, and every question the
answer evaluation asks about them names a document that exists once they are loaded.

They are districts whose vocabulary (measure keys, assessed grades, student groups, school names) is unlike
the sample district's, so that answering is judged on words it was not built on; a fixture that no longer
loads, or a question whose expected card is never written, would make those figures meaningless.
"""

from __future__ import annotations

import csv
import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import load_settings

FIXTURES = Path(__file__).parent / "fixtures" / "districts"
QUESTIONS = Path(__file__).resolve().parents[1] / "bench" / "questions"
DISTRICTS = ["lakeshore", "northwind"]  # lakeshore with the optional [[measures]] and [groups] tables


def _load(name: str, monkeypatch) -> tuple[object, dict, list[dict], list[dict]]:
    """`resolute data load --no-index` over a fixture district; the result and the files as written."""
    folder = FIXTURES / name / "district"
    monkeypatch.setenv("RESOLUTE_KNOWLEDGE_DIR", str(FIXTURES / name))
    result = CliRunner().invoke(main, ["data", "load", "--no-index"])
    raw = tomllib.loads((folder / "district.toml").read_text(encoding="utf-8"))
    with (folder / "schools.csv").open(encoding="utf-8", newline="") as handle:
        schools = list(csv.DictReader(handle))
    with (folder / "results.csv").open(encoding="utf-8", newline="") as handle:
        results = list(csv.DictReader(handle))
    return result, raw, schools, results


@pytest.mark.parametrize("name", DISTRICTS)
def test_a_district_with_its_own_vocabulary_loads_whole_with_the_data_load_command(name, monkeypatch):
    result, raw, schools, results = _load(name, monkeypatch)
    assert result.exit_code == 0, result.output
    counts = (f"{len(raw['priorities'])} priorities, {len(raw['targets'])} targets, {len(schools)} schools, "
              f"{len(results)} results")  # fmt: skip
    assert counts in result.output
    progress = CliRunner().invoke(main, ["progress", "--json"])
    assert progress.exit_code == 0, progress.output
    reported = [(t["measure"], t["group"], t["label"]) for t in json.loads(progress.output)["targets"]]
    assert reported == [(t["measure"], t.get("group", "all"), t["label"]) for t in raw["targets"]]


@pytest.mark.parametrize("name", DISTRICTS)
def test_every_evaluation_question_names_a_document_the_loaded_district_has(name, monkeypatch):
    result, *_ = _load(name, monkeypatch)
    assert result.exit_code == 0, result.output
    cards = [p.name for p in load_settings().cards_dir.glob("*.md")]
    documents = [p.name for p in (FIXTURES / name).rglob("*.md")]
    questions = [json.loads(line) for half in ("dev", "test")
                 for line in (QUESTIONS / f"{name}-{half}.jsonl").read_text(encoding="utf-8").splitlines() if line]  # fmt: skip
    assert len(questions) >= 32
    for question in questions:
        named = [f for f in cards + documents if f.startswith(question["doc"])]
        assert len(named) == 1, (question["q"], question["doc"], named)
        assert question["facts"] and all(question["facts"]), question["q"]
