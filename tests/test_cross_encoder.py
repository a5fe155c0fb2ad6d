"""The cross-encoder reranker (RESOLUTE_RERANKER=cross-encoder): chosen by a setting, refused clearly when its
model was never trained, and, once trained, telling a sentence that answers from one that does not.

The trained model is not in the repository: `python bench/train_reranker.py` writes it into the checkout's
data dir, and the tests that need it skip without it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import load_settings
from bot.knowledge.cross_encoder import MODEL_FILE, CrossEncoderMissing, CrossEncoderScorer

TRAINED = Path(__file__).resolve().parent.parent / "data" / "models" / MODEL_FILE
needs_model = pytest.mark.skipif(
    not TRAINED.is_file(), reason=f"no trained cross-encoder at {TRAINED} (python bench/train_reranker.py)"
)

# (question, a sentence that answers it, a sentence on the same subject that does not), about nothing the
# model was trained on
ANSWERS = [
    ("When does the library close on Fridays?", "On Fridays the library closes at 4:30 p.m.",
     "The library has a large collection of books on the history of Fridays."),
    ("Who chairs the parent council?", "The parent council is chaired by Dana Whitfield.",
     "The parent council meets four times a year to discuss school matters."),
    ("How many students attend the school?", "The school serves 612 students in kindergarten to Grade 8.",
     "Students at the school take part in many clubs and teams."),
    ("Why did the board change the bus schedule?",
     "The bus schedule changed because two routes were merged to save fuel costs.",
     "The board publishes the bus schedule on its website every August."),
    ("What does the attendance officer do?",
     "The attendance officer calls families when a student misses three days in a row.",
     "The attendance office is located near the main entrance."),
]  # fmt: skip


def test_the_default_ranking_needs_no_trained_model(make_services, knowledge):
    services = make_services()
    services.ingester.ingest([knowledge])
    assert services.settings.reranker == "signals"
    assert "Farah Haddad" in services.answerer.ask("Who is the principal of Pine Ridge?").answer


def test_choosing_the_cross_encoder_before_training_it_names_the_file_and_how_to_build_it(
    make_services, tmp_path
):
    services = make_services(reranker="cross-encoder")
    with pytest.raises(CrossEncoderMissing) as refused:
        _ = services.answerer
    message = str(refused.value)
    assert str(tmp_path / "data" / "models" / MODEL_FILE) in message and "bench/train_reranker.py" in message


def test_a_file_that_is_not_a_model_is_refused_with_its_name(make_services, tmp_path):
    broken = tmp_path / "cut-short.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(CrossEncoderMissing) as refused:
        _ = make_services(reranker="cross-encoder", reranker_model=broken).answerer
    assert f"{broken}: the cross-encoder cannot be loaded" in str(refused.value)


def test_an_unknown_ranker_is_a_settings_error_naming_the_variable():
    with pytest.raises(ValidationError) as refused:
        load_settings(reranker="llm")
    assert "RESOLUTE_RERANKER='llm' is not 'signals' or 'cross-encoder'" in str(refused.value)


@needs_model
def test_a_sentence_that_answers_scores_above_one_on_the_same_subject_that_does_not():
    scorer = CrossEncoderScorer(TRAINED)
    for question, answers, does_not in ANSWERS:
        better, worse = scorer.score(question, [answers, does_not])
        assert better > worse, (question, better, worse)
    assert scorer.score("Who chairs the parent council?", []).shape == (0,)


@needs_model
def test_answers_ranked_by_the_cross_encoder_lead_with_the_sentence_that_answers(make_services, tmp_path):
    # every sentence shares the question's words; a ranker that put the cross-encoder's choice last would
    # lead with one that does not answer
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "transport.md").write_text(
        "# Transportation\n\n"
        "The board publishes the bus schedule on its website every August.\n"
        "Families who want a change to the bus schedule should write to the board.\n"
        "In 2025 the bus schedule changed because two routes were merged to save fuel costs.\n"
        "Bus schedule questions from the board are answered by the transportation office.\n\n"
        "## Late buses\n\n"
        "A late bus leaves each secondary school at 5:15 p.m. on Tuesdays and Thursdays.\n"
        "The late bus schedule is set by the board each year.\n",
        encoding="utf-8",
    )
    services = make_services(reranker="cross-encoder", reranker_model=TRAINED)
    services.ingester.ingest([folder])
    why = services.answerer.ask("Why did the board change the bus schedule?").answer
    assert why.startswith("In 2025 the bus schedule changed because two routes were merged"), why
    when = services.answerer.ask("When does the late bus leave?").answer
    assert when.startswith("A late bus leaves each secondary school at 5:15 p.m."), when
