"""What the answerer needs from the district's results, and how it tells whether they or the documents answer.

A question goes to the results and to the documents alike (`Answerer.ask`). The results say what they hold
(`DataAnswering.answer`), with the question's words they leave unexplained and whether what they give is only a
roster or a refusal; `documents_answer` then says whether a passage found answers instead. No wording decides
it: a value found beats a passage about it, and a passage that answers beats a refusal from the results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.knowledge.index import Hit, Passage
from bot.knowledge.question import Question, Vocabulary
from bot.knowledge.questions import HOW, WHY
from bot.knowledge.text import terms


@dataclass(frozen=True)
class DataAnswer:
    """What the district's results say to a question, and how far that answers it."""

    hit: Hit  # the data card section, the answer's text as its passage text
    unexplained: frozenset[str] = (
        frozenset()
    )  # the question's words (as `terms`) the answer does not account for
    yields: bool = False  # a roster or a refusal: a passage that answers the question is preferred
    about: tuple[str, ...] = ()  # for a roster or a refusal: what a passage must name to answer instead


class DataAnswering(Protocol):
    """What the Answerer needs from the district's results: the district's vocabulary to read a question
    with, what the results say to it, and which passages are data cards (answered through the results)."""

    def lexicon(self) -> Vocabulary | None:
        """The district's vocabulary as loaded now; None before any district data is loaded."""

    def answer(self, question: Question) -> DataAnswer | None:
        """What the results say to the question, citing its data card; None when it names nothing they hold."""

    def is_card(self, passage: Passage) -> bool:
        """Whether a passage is a data card."""

    def principal(self, question: str) -> Hit | None:
        """The principal of the school a "Who is the principal of ...?" question names, as the district's
        list of schools gives it, citing the school's data card; None if it gives none."""

    def unknown_school(self, question: Question, texts: list[str]) -> str | None:
        """What to say when the question names a school that neither the results nor these passages
        know, else None."""

    def namer(self) -> Callable[[str], list[str]]:
        """A function giving the names of the district's schools a question or passage names ("Prairie
        Wind Elementary" for "Prairie Wind"; none for the district's own name)."""


# A paragraph found answers a question instead of the results when it says at least this share of the words the
# results leave unexplained (each weighted by its rarity in the corpus), of what the question names.
COVERED_SHARE = 0.5
# what the results never say: how something is done, and why (the documents are asked, when one is relevant)
_NOT_A_VALUE = frozenset({HOW, WHY})


def documents_answer(
    asked: Question, data: DataAnswer, hits: list[Hit], idf: dict[str, float], vocabulary: Vocabulary
) -> bool:
    """Whether the passages found (relevant to the question) answer it rather than the results: the results
    give only a roster or a refusal, or the question asks something they leave unexplained ("What is Math
    Morning at Red Oak?") that a paragraph found says of the schools and subjects the question names (the
    paragraph, or its passage's title and heading, names one of each; `vocabulary` reads them)."""
    # "What is X doing about ...?", "Why ...?": what is done, not a figure; unless it asks the results
    # something too ("How does X's grade 3 ELA stack up against the district?")
    if asked.asks.kind in _NOT_A_VALUE and not asked.asked:
        return True
    if data.yields:  # "Who is the principal of X?": a passage that speaks of X (or of the person asked about)
        return not data.about or any(
            n.lower() in f"{h.passage.title}\n{h.passage.text}".lower() for h in hits for n in data.about
        )
    # each word by its rarity in the corpus; a word no passage has, no passage answers
    unexplained = {t: idf[t] for t in data.unexplained if t in idf}
    wanted = COVERED_SHARE * sum(unexplained.values())
    for hit in hits if unexplained else []:
        around = f"{hit.passage.title}. {hit.passage.location}"
        heading = None
        for line in hit.passage.text.split("\n"):  # a paragraph or a list item: one thing said
            said_words = set(terms(f"{around} {line}"))
            if sum(w for t, w in unexplained.items() if t in said_words) < wanted:
                continue
            heading = heading or vocabulary.read(around)
            said = vocabulary.read(line)
            # of a school asked about, and of a subject asked about, in any grade ("Math Morning" is math)
            if _of(asked.schools, said.schools + heading.schools) and _of(
                asked.subjects, said.subjects + heading.subjects
            ):
                return True
    return False


def _of(asked: tuple[str, ...], said: tuple[str, ...]) -> bool:
    """A paragraph speaks of what the question names: of one of them, when it names any."""
    return not asked or bool(set(asked) & set(said))
