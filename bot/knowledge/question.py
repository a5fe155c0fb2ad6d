"""A question, parsed once: what it asks for and what it names. Every later stage reads this value.

`Question.parse` reads the text once. What kind of answer is wanted (a name, a number, a list ...) comes
from the question's own words; what it names (schools, people, measures, student groups, years, levels,
clusters) comes from the district's vocabulary, passed in as a lexicon built from the district's files
(`bot.district.lexicon`). Without district data, those are empty and only the grades and subjects general
to any school system are read.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Protocol

from bot.knowledge.questions import QuestionKind, measures_in, question_kind, second_kind, spelled_out


@dataclass(frozen=True)
class Names:
    """What a text names of a district, resolved against its vocabulary: ids and keys, never the words."""

    schools: tuple[str, ...] = ()  # school ids, in the order first named (by name, initials or principal)
    people: tuple[str, ...] = ()  # principals named, as schools.csv writes them
    measures: tuple[str, ...] = ()  # measure keys
    subjects: tuple[str, ...] = ()  # the subjects it speaks of, any grade ("reading" for "literacy")
    groups: tuple[str, ...] = ()  # student-group keys
    years: tuple[int, ...] = ()
    levels: tuple[
        str, ...
    ] = ()  # levels of school ("elementary", "middle", "high", or as the district writes it)
    clusters: tuple[str, ...] = ()
    since: int | None = None  # the year a change is asked from ("since 2021", "between 2022 and 2025")
    asked: frozenset[str] = frozenset()  # what is asked of the results ("trend", "lowest", "target", ...)
    shared: tuple[str, ...] = ()  # the schools a name two of them share could mean ("Lincoln")
    unknown: str | None = None  # a school's name the district does not have ("Oak Hollow Elementary")
    other: tuple[str, ...] = ()  # the words that name nothing of the district and ask nothing of its results


class Vocabulary(Protocol):
    """What `Question.parse` needs of a district's vocabulary: to read what a text names."""

    def read(self, text: str) -> Names:
        """The schools, people, measures, groups, years, levels and clusters a text names."""


@dataclass(frozen=True)
class Question:
    """What a question asks for and what it names."""

    text: str  # as asked: whitespace normalised, a leader's shorthand spelled out
    asks: QuestionKind  # what its (first) part asks for
    then: QuestionKind | None = None  # what a second part asks for ("..., and how many are there?")
    topics: frozenset[str] = frozenset()  # the grades and subjects it names ("grade:6", "math")
    # what it names of the district, resolved against the district's vocabulary (ids and keys)
    schools: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    levels: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    since: int | None = None  # a change asked for from this year
    asked: frozenset[str] = frozenset()  # what it asks of the results: "trend", "lowest", "target" ...
    shared: tuple[str, ...] = ()  # the schools a name it uses could mean, when two share it
    unknown_school: str | None = None  # a school it names that the district does not have
    other: tuple[str, ...] = ()  # its words that name nothing of the district: "memo", "coaches", "wall"

    @classmethod
    def parse(cls, text: str, lexicon: Vocabulary | None = None) -> Question:
        """Read a question's text once; with a lexicon, what it names of the district too."""
        text = spelled_out(" ".join(text.split()))
        if not text:
            raise ValueError("the question is empty")
        names = lexicon.read(text) if lexicon is not None else Names()
        named = {f.name: getattr(names, f.name) for f in fields(Names) if f.name != "unknown"}
        return cls(
            text=text,
            asks=question_kind(text),
            then=second_kind(text),
            topics=frozenset(measures_in(text)),
            unknown_school=names.unknown,
            **named,
        )

    @property
    def names_district(self) -> bool:
        """Whether it names anything the district's results hold: a school, measure, group or person."""
        return bool(self.schools or self.measures or self.groups or self.people)
