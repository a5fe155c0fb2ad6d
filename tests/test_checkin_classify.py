"""The check-in classifier: which priority an item serves, or none, on the real packaged embedding model, and the
rule between a priority, other work and the filing, on vectors the tests choose."""

from __future__ import annotations

import math

import pytest
from langchain_core.embeddings import Embeddings

from bot.checkins.classify import FILED_MARGIN, MARGIN, Classifier, Kind, Verdict, Work, priority_passages
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
    assert verdict.score >= MARGIN


def test_off_message_items_serve_no_priority(classifier):
    verdicts = classifier.classify(OFF_MESSAGE)
    assert [v.priority for v in verdicts] == [None] * len(OFF_MESSAGE)
    assert all(v.score < MARGIN for v in verdicts)


def test_logistics_that_use_a_prioritys_words_serve_no_priority(classifier):
    verdicts = classifier.classify(["Rented chairs and a stage for the graduation ceremony",
                                    "Signed the invoice for the math department's new photocopier"])  # fmt: skip
    assert [v.priority for v in verdicts] == [None, None]


def test_a_priority_borrows_the_general_work_of_its_kind(embeddings):
    # a district file that says little: the message names no activity a member would write about
    priorities = [Priority(key="presence", name="Presence", message="Every student here, every day."),
                  Priority(key="futures", name="Futures", message="Every graduate with a plan.")]  # fmt: skip
    classifier = Classifier(embeddings, priorities, [])
    assert "Attendance" in " ".join(classifier.borrowed["presence"])
    verdicts = classifier.classify(["Phoned the families of students absent most of this month",
                                    "Helped seniors with their apprenticeship applications"])  # fmt: skip
    assert [v.priority for v in verdicts] == ["presence", "futures"]


def test_work_of_a_kind_no_priority_is_about_serves_none(embeddings):
    priorities = [Priority(key="presence", name="Attendance", message="Every student in school every day.")]
    verdicts = Classifier(embeddings, priorities, []).classify(
        ["Coached Grade 4 teachers on teaching fractions"]
    )
    assert verdicts[0].priority is None


def test_a_prioritys_examples_in_the_district_file_count(embeddings):
    plain = Priority(key="wellbeing", name="Wellbeing", message="Every student known and cared for.")
    given = plain.model_copy(update={"examples": ["Circle of Courage talking circles with Grade 7 classes"]})
    item = ["Ran a Circle of Courage session at Birch"]
    off = [Priority(key="presence", name="Attendance", message="Every student in school every day.")]
    without = Classifier(embeddings, [plain, *off], []).classify(item)[0]
    with_examples = Classifier(embeddings, [given, *off], []).classify(item)[0]
    assert with_examples.priority == "wellbeing" and with_examples.score > without.score


def test_the_filed_field_tips_an_ambiguous_item_and_not_a_clear_one(classifier):
    # Grade 3 is measured by literacy and Grade 6 by numeracy: the item sits near both
    as_literacy, as_numeracy = (
        classifier.classify([AMBIGUOUS], [filed])[0] for filed in ("literacy", "numeracy")
    )
    assert (as_literacy.priority, as_numeracy.priority) == ("literacy", "numeracy")
    clear = "Fractions PD with Grade 5 teachers"
    assert [
        classifier.classify([clear], [filed])[0].priority for filed in (None, "literacy", "graduation")
    ] == ["numeracy"] * 3  # filing under a priority the item is far from changes nothing


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
    assert len(counting.batches) == 1  # every prototype, one batch, embedded when the classifier is built
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


def item(a: float, b: float, other: float = 0.0, passage: float = 0.0) -> list[float]:
    """A unit vector with similarity `a` to priority a's prototypes, `b` to b's, `other` to the other work and
    `passage` to a's passage."""
    return [a, b, other, passage, math.sqrt(1 - a * a - b * b - other * other - passage * passage)]


ABSTRACT = [
    Priority(key="a", name="A", message="Message a."),
    Priority(key="b", name="B", message="Message b."),
]
OTHER = Work(priority_kinds=(), other=(Kind("Other", ("other work",)),))
TABLE = {"A: Message a.": [1.0, 0, 0, 0, 0], "Message a.": [1.0, 0, 0, 0, 0], "B: Message b.": [0, 1.0, 0, 0, 0],
         "Message b.": [0, 1.0, 0, 0, 0], "Other: other work": [0, 0, 1.0, 0, 0],
         "Passage about a.": [0, 0, 0, 1.0, 0]}  # fmt: skip
OTHER_SIM = 0.3  # every item's similarity to the other work
NEAR = (
    OTHER_SIM + MARGIN + FILED_MARGIN / 2
)  # ahead of the other work by the margin, and by less than the filed margin


def verdict(key: str | None, similarity: float) -> Verdict:
    return Verdict(key, round(similarity - OTHER_SIM, 3))


@pytest.mark.parametrize(
    ("a", "b", "filed", "expected"),
    [
        (NEAR + 0.05, NEAR, None, verdict("a", NEAR + 0.05)),  # the best priority
        (NEAR + 0.05, NEAR, "b", verdict("b", NEAR)),  # filed and within the filed margin: the filing wins
        (NEAR + FILED_MARGIN + 0.02, NEAR, "b", verdict("a", NEAR + FILED_MARGIN + 0.02)),  # beyond it
        (
            NEAR,
            OTHER_SIM + MARGIN - 0.02,
            "b",
            verdict("a", NEAR),
        ),  # within it, but not ahead of the other work
        (
            OTHER_SIM + MARGIN - 0.02,
            OTHER_SIM + MARGIN - 0.03,
            "a",
            verdict(None, OTHER_SIM + MARGIN - 0.02),
        ),  # filing is no pass
    ],
)
def test_the_rule_between_priorities_other_work_and_filing(a, b, filed, expected):
    table = TABLE | {"item": item(a, b, other=OTHER_SIM)}
    classifier = Classifier(TableEmbeddings(table), ABSTRACT, [], work=OTHER, top=1)
    assert classifier.classify(["item"], [filed]) == [expected]


def test_one_close_passage_is_enough():
    table = TABLE | {"item": item(0.1, 0.1, passage=0.6)}
    classifier = Classifier(TableEmbeddings(table), ABSTRACT, [], documents={"a": ["Passage about a."]}, work=OTHER,
                            top=1)  # fmt: skip
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


def test_a_priority_borrows_only_the_kind_of_work_it_names(embeddings):
    # a slogan shared with other kinds ("every student", "every day") lends nothing of theirs
    priorities = [Priority(key="pen", name="Writing", message="Every student writes every day, in every class."),
                  Priority(key="kin", name="Indigenous student success", message="Every student belongs.")]  # fmt: skip
    classifier = Classifier(embeddings, priorities, [])
    assert [about.split(":")[0] for about in classifier.borrowed["pen"]] == ["Writing"]
    assert len(classifier.borrowed["kin"]) == 1 and "Indigenous" in classifier.borrowed["kin"][0]
