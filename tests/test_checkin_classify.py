"""The check-in classifier: which priority an item serves, or none, on the real packaged embedding model."""

from __future__ import annotations

import math

import pytest
from langchain_core.embeddings import Embeddings

from bot.checkins.classify import FILED_MARGIN, THRESHOLD, Classifier, Verdict, priority_passages
from bot.district.config import Priority, Target

PRIORITIES = [
    Priority(key="literacy", name="Literacy", message="Every child reading by the end of Grade 3."),
    Priority(key="numeracy", name="Numeracy", message="Every student confident in mathematics."),
    Priority(key="graduation", name="Graduation", message="Every student graduates with a plan."),
]


def target(priority: str, measure: str, label: str) -> Target:
    return Target(priority=priority, measure=measure, label=label, baseline_year=2022, baseline_value=60.0,
                  goal_year=2026, goal_value=70.0)  # fmt: skip


TARGETS = [
    target("literacy", "g3_reading", "Grade 3 reading at the provincial standard (%)"),
    target("numeracy", "g6_math", "Grade 6 mathematics at the provincial standard (%)"),
    target("graduation", "graduation", "Five-year graduation rate (%)"),
]
DOCUMENTS = {
    "literacy": ["Reading coaches work in K-3 classrooms on phonics, guided reading and small groups."],
    "numeracy": [
        "Math learning networks: teachers plan a lesson together, watch it taught, and study student work."
    ],
    "graduation": ["Student success teams rescue credits before a course ends and run credit recovery."],
}
OFF_MESSAGE = [
    "HVAC repair in the gym",
    "Bus route changes for the new subdivision",
    "Parent complaint about parking at drop-off",
    "Renewed the Microsoft licences",
]
# Grade 3 is measured by literacy and by numeracy: this item sits near both, a little nearer literacy
AMBIGUOUS = "Looked at Grade 3 and Grade 6 results with the principals"


class CountingEmbeddings(Embeddings):
    """The real model, counting the batches it is asked to embed."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.batches: list[list[str]] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.batches.append(list(texts))
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


@pytest.fixture(scope="module")
def classifier(embeddings) -> Classifier:
    return Classifier(embeddings, PRIORITIES, TARGETS, documents=DOCUMENTS)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Guided reading with Grade 2 at Maple", "literacy"),
        ("Fractions PD with Grade 5 teachers", "numeracy"),
        ("Credit rescue meetings with Grade 11 students", "graduation"),
    ],
)
def test_an_obvious_item_goes_to_its_priority(classifier, text, key):
    [verdict] = classifier.classify([text])
    assert verdict.priority == key
    assert verdict.score >= THRESHOLD


def test_off_message_items_serve_no_priority(classifier):
    verdicts = classifier.classify(OFF_MESSAGE)
    assert [v.priority for v in verdicts] == [None] * len(OFF_MESSAGE)
    assert all(v.score < THRESHOLD for v in verdicts)


def test_the_filed_field_tips_an_ambiguous_item(classifier):
    unfiled, as_literacy, as_numeracy, as_graduation = (
        classifier.classify([AMBIGUOUS], [filed])[0] for filed in (None, "literacy", "numeracy", "graduation")
    )
    assert unfiled.priority == as_literacy.priority == "literacy"
    assert as_numeracy.priority == "numeracy"
    assert as_numeracy.score < unfiled.score  # the score is the chosen priority's own similarity
    assert (
        as_graduation.priority == "literacy"
    )  # filing under a priority the item is far from changes nothing


def test_filing_under_a_priority_does_not_make_an_off_message_item_serve_it(classifier):
    verdicts = classifier.classify(OFF_MESSAGE, ["literacy"] * len(OFF_MESSAGE))
    assert [v.priority for v in verdicts] == [None] * len(OFF_MESSAGE)


def test_verdicts_come_back_in_input_order(classifier):
    texts = ["Credit rescue meetings with Grade 11 students", "HVAC repair in the gym",
             "Guided reading with Grade 2 at Maple", "Fractions PD with Grade 5 teachers"]  # fmt: skip
    forward = classifier.classify(texts)
    backward = classifier.classify(texts[::-1])
    assert [v.priority for v in forward] == ["graduation", None, "literacy", "numeracy"]
    assert backward == forward[::-1]


def test_one_embedding_call_per_batch_and_the_prototypes_once(embeddings):
    counting = CountingEmbeddings(embeddings)
    classifier = Classifier(counting, PRIORITIES, TARGETS, documents=DOCUMENTS)
    assert len(counting.batches) == 1  # the prototypes, embedded when the classifier is built
    classifier.classify(
        ["Guided reading with Grade 2 at Maple", "HVAC repair in the gym"], ["literacy", None]
    )
    classifier.classify(["Fractions PD with Grade 5 teachers"])
    assert counting.batches[1:] == [
        ["Guided reading with Grade 2 at Maple", "HVAC repair in the gym"],
        ["Fractions PD with Grade 5 teachers"],
    ]


def test_an_empty_batch_embeds_nothing(embeddings):
    counting = CountingEmbeddings(embeddings)
    classifier = Classifier(counting, PRIORITIES, TARGETS)
    assert classifier.classify([]) == []
    assert classifier.classify([], []) == []
    assert len(counting.batches) == 1


def test_a_priority_with_no_targets_still_works(embeddings):
    classifier = Classifier(embeddings, PRIORITIES, [t for t in TARGETS if t.priority != "graduation"])
    verdicts = classifier.classify(
        ["Helped Grade 12 students make a plan for after graduation", "HVAC repair in the gym"]
    )
    assert [v.priority for v in verdicts] == ["graduation", None]


def test_scores_are_rounded_to_three_decimals(classifier):
    for verdict in classifier.classify(["Guided reading with Grade 2 at Maple", "HVAC repair in the gym"]):
        assert verdict.score == round(verdict.score, 3)
    assert Verdict("literacy", 0.5) == Verdict("literacy", 0.5)


def test_a_filed_list_of_another_length_is_refused(classifier):
    with pytest.raises(ValueError, match="2 texts but 1 filed"):
        classifier.classify(["a", "b"], ["literacy"])


class TableEmbeddings(Embeddings):
    """Unit vectors looked up by text, so that every similarity in a test is chosen by the test."""

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.table = table

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.table[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.table[text]


def item(a: float, b: float, passage: float = 0.0) -> list[float]:
    """A unit vector with similarity `a` to priority a's prototypes, `b` to b's and `passage` to a's passage."""
    return [a, b, passage, math.sqrt(1 - a * a - b * b - passage * passage)]


ABSTRACT = [
    Priority(key="a", name="A", message="Message a."),
    Priority(key="b", name="B", message="Message b."),
]
TABLE = {"A: Message a.": [1.0, 0, 0, 0], "Message a.": [1.0, 0, 0, 0], "Passage about a.": [0, 0, 1.0, 0],
         "B: Message b.": [0, 1.0, 0, 0], "Message b.": [0, 1.0, 0, 0]}  # fmt: skip
NEAR = THRESHOLD + FILED_MARGIN / 2  # above the threshold, by less than the margin


@pytest.mark.parametrize(
    ("a", "b", "filed", "expected"),
    [
        (NEAR + 0.05, NEAR, None, Verdict("a", round(NEAR + 0.05, 3))),  # the best priority
        (
            NEAR + 0.05,
            NEAR,
            "b",
            Verdict("b", round(NEAR, 3)),
        ),  # filed and within the margin: the filing wins
        (
            NEAR + FILED_MARGIN + 0.02,
            NEAR,
            "b",
            Verdict("a", round(NEAR + FILED_MARGIN + 0.02, 3)),
        ),  # beyond it
        (
            NEAR,
            THRESHOLD - 0.02,
            "b",
            Verdict("a", round(NEAR, 3)),
        ),  # within the margin, but below the threshold
        (
            THRESHOLD - 0.02,
            THRESHOLD - 0.03,
            "a",
            Verdict(None, round(THRESHOLD - 0.02, 3)),
        ),  # filing is no pass
    ],
)
def test_the_rule_between_threshold_and_filing(a, b, filed, expected):
    table = TABLE | {"item": item(a, b)}
    assert Classifier(TableEmbeddings(table), ABSTRACT, []).classify(["item"], [filed]) == [expected]


def test_one_close_passage_is_enough():
    table = TABLE | {"item": item(0.1, 0.1, passage=0.6)}
    classifier = Classifier(TableEmbeddings(table), ABSTRACT, [], documents={"a": ["Passage about a."]})
    assert classifier.classify(["item"]) == [Verdict("a", 0.6)]


def test_passages_come_from_the_sections_whose_heading_names_a_priority(tmp_path):
    (tmp_path / "schools").mkdir()
    (tmp_path / "plan.md").write_text(
        "# Plan\n\nThe plan has three priorities and no others.\n\n"
        "## Priority 1: Literacy\n\n**Message:** every child reading.\n\nStrategies.\n\n"
        "- A reading coach in every primary school.\n- A six-week reading check for K-3.\n\n"
        "### Who leads it\n\nThe literacy lead visits each school once a month.\n\n"
        "## Budget\n\nThe plan costs 3.6 million dollars a year.\n",
        encoding="utf-8",
    )
    (tmp_path / "schools" / "pine.md").write_text(
        "# Pine PS\n\n## Graduation work\n\n1. Transition profiles for every Grade 8 student.\n",
        encoding="utf-8",
    )
    (tmp_path / "notes.txt").write_text("## Numeracy\n\nNot Markdown, so not read.\n", encoding="utf-8")
    assert priority_passages(tmp_path, PRIORITIES) == {
        "literacy": [
            "Message: every child reading.",
            "A reading coach in every primary school.",
            "A six-week reading check for K-3.",
            "The literacy lead visits each school once a month.",
        ],
        "numeracy": [],
        "graduation": ["Transition profiles for every Grade 8 student."],
    }
