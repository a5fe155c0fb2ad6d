import json
import re

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.knowledge.answer import MAX_ANSWER_CHARS, Answerer, check_citations, extractive_answer
from bot.knowledge.index import Hit, Passage


@pytest.fixture
def services(make_services, knowledge):
    built = make_services()
    built.ingester.ingest([knowledge])
    return built


def _sentences_without_markers(answer_text: str) -> list[str]:
    return [s.strip() for s in re.split(r"\s*\[\d+\]\s*", answer_text) if s.strip()]


def test_extractive_answer_quotes_cited_passages_verbatim(services):
    answer = services.answerer.ask("What is the graduation target?")
    assert answer.mode == "extractive"
    assert "88 percent" in answer.answer
    assert len(answer.answer) <= MAX_ANSWER_CHARS
    cited = [int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)]
    assert sorted(set(cited)) == [s.n for s in answer.sources] == list(range(1, len(answer.sources) + 1))
    sources = " ".join(s.text.replace("\n", " ") for s in answer.sources)
    for piece in _sentences_without_markers(answer.answer):
        assert piece in sources  # nothing is said that is not in a cited passage
    assert answer.sources[0].title == "Lakeside Improvement Plan"
    assert answer.sources[0].location == "Graduation"
    assert answer.sources[0].source == "plan.md"


def test_nothing_relevant_says_so_and_suggests_what_is_covered(services):
    answer = services.answerer.ask("What is the recipe for a good lasagna?")
    assert answer.sources == []
    assert "couldn't find anything" in answer.answer
    assert "Lakeside Improvement Plan" in answer.answer and "Pine Ridge Public School" in answer.answer


def test_an_empty_index_asks_for_ingest(make_services):
    answer = make_services().answerer.ask("What are our priorities?")
    assert answer.sources == [] and "resolute ingest" in answer.answer


def test_follow_up_is_searched_with_the_earlier_question(services):
    from bot.knowledge.answer import Turn

    first = services.answerer.ask("Who is the principal of Pine Ridge?")
    follow = services.answerer.ask(
        "How many students?", history=[Turn("Who is the principal of Pine Ridge?", first.answer)]
    )
    assert "310 students" in follow.answer


def _hits(*texts: str) -> list[Hit]:
    return [
        Hit(Passage(f"id{i}", f"doc{i}.md", f"Doc {i}", "Section", 0, text), 0.5, dense=0.5)
        for i, text in enumerate(texts)
    ]


def test_llm_citations_are_renumbered_in_citation_order():
    hits = _hits("Alpha passage.", "Beta passage.", "Gamma passage.")
    answer = check_citations("Gamma says so [3]. Alpha agrees [1][3].", hits)
    assert answer.mode == "llm"
    assert answer.answer == "Gamma says so [1]. Alpha agrees [2][1]."
    assert [(s.n, s.text) for s in answer.sources] == [(1, "Gamma passage."), (2, "Alpha passage.")]


@pytest.mark.parametrize(
    "reply", ["No citations at all.", "Cites a passage that is not there [4].", "", "[0] zero"]
)
def test_unverifiable_llm_answers_are_rejected(reply):
    assert check_citations(reply, _hits("One.", "Two.", "Three.")) is None


def test_a_very_long_sentence_is_cut_to_the_limit():
    hits = _hits("Graduation " + "rates rose again " * 200 + "in every school.")
    answer = extractive_answer("graduation rates", hits, {})
    assert len(answer.answer) <= MAX_ANSWER_CHARS and answer.answer.endswith("… [1]")


def test_cli_ask_json_schema(knowledge, monkeypatch, embeddings):
    monkeypatch.setattr("bot.knowledge.embeddings.make_embeddings", lambda *a, **k: embeddings)
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(knowledge)]).exit_code == 0
    result = runner.invoke(main, ["ask", "--json", "Who", "is", "the", "principal", "of", "Pine", "Ridge?"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"answer", "mode", "sources"} and payload["mode"] == "extractive"
    assert "Farah Haddad" in payload["answer"]
    assert set(payload["sources"][0]) == {"n", "title", "source", "location", "text", "score"}
    human = runner.invoke(main, ["ask", "Who is the principal of Pine Ridge?"])
    assert "Sources:" in human.stdout and "[1] Pine Ridge Public School" in human.stdout


def test_cli_bad_settings_are_a_clear_usage_error(monkeypatch):
    monkeypatch.setenv("RESOLUTE_LLM", "gpt4")
    result = CliRunner().invoke(main, ["ask", "anything"])
    assert result.exit_code == 2
    assert "RESOLUTE_LLM='gpt4' is not 'none' or a 'provider:model' string" in result.output


def test_reform_documents_answer_with_the_right_source(make_services, reform_docs):
    services = make_services(knowledge_dir=reform_docs)
    services.ingester.ingest([reform_docs])
    answer = services.answerer.ask("What are buddy days?")
    assert answer.sources and answer.sources[0].source.endswith("000_ab3e897746d16373.txt")
    assert "buddy" in answer.answer.lower()


def test_filler_sentences_never_include_list_items_out_of_their_list():
    hits = _hits(
        "Graduation rose to 81 percent in 2025. Credit recovery helped most.",
        "The district opens a conversation when:\n- a graduation measure is 10 points below the district",
    )
    answer = extractive_answer("graduation 2025", hits, {})
    assert "81 percent" in answer.answer
    assert "10 points below" not in answer.answer  # the item means nothing without its lead-in


def test_a_person_named_in_full_in_a_passage_found_is_answered_whatever_the_meaning_score(services):
    # a bare name resembles little in meaning: with a bar no passage reaches, only the name can answer
    strict = Answerer(index=services.index(), threshold=0.99)
    answer = strict.ask("Who is Farah Haddad?")
    assert "Its principal is Ms. Farah Haddad." in answer.answer
    assert "couldn't find anything" in strict.ask("Who is Jane Doe?").answer  # a name no passage has
    assert "couldn't find anything" in strict.ask("Who is the principal?").answer
