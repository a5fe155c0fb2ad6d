"""What a sentence holds of the kind of thing a question asks for: a name, a number, a date or time of day,
a definition, a reason, several things.

Each test reads the sentence alone (and, for names, what the passages write as ordinary words), so that
ranking and composing can ask it of every sentence without reading the question's text again: the
question's kind, the thing it counts and the thing it asks to define come parsed in `Question.asks`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from functools import lru_cache

from bot.knowledge.questions import DEFINITION, LIST, NUMBER, WHEN, WHO, WHY, QuestionKind
from bot.knowledge.text import STOPWORDS, terms

# a word of a person's name ("Amara", "Jean-Marc", "O'Connell", "McGuinty"), two or more in a row, an
# initial allowed between them ("Richard F. Elmore"), a title allowed before them ("Dr. Amara Osei")
_NAME_WORD = r"(?:[A-Z][a-z]*['’])?[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_NAME = re.compile(
    rf"\b(?P<title>(?:Dr|Mr|Ms|Mrs|Prof)\.\s)?(?P<name>{_NAME_WORD}(?:\s(?:[A-Z]\.\s)?{_NAME_WORD})+)"
)
PERSON_NAME = _NAME  # a person's name as a question may give it in full ("Who is Farah Haddad?")
_TITLED = re.compile(rf"\b(?:Dr|Mr|Ms|Mrs|Prof)\.\s{_NAME_WORD}")  # "Ms. Baptiste": one word will do
_YEAR = re.compile(r"\b(?:1[89]\d\d|20\d\d)(?:[–-]\d{2,4})?s?\b")
_NUMBER = re.compile(
    r"\d|%|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|half|"
    r"twice|double|dozens?|hundreds?|thousands?|millions?|billions?|percent)\b",
    re.I,
)
# a date, a day, a time of day, a season, a stage of school or of life, or a span of time
_DATE = re.compile(
    r"\b(?:1[89]\d\d|20\d\d)s?\b"
    r"|\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b(?:\.?\s\d{1,2}\b)?"
    r"|\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)days?\b"
    r"|\b\d{1,2}(?::\d\d)?\s?(?:a\.m\.|p\.m\.|am\b|pm\b)|\b(?:noon|midnight|morning|afternoon|evening)s?\b"
    r"|\b(?:spring|summer|autumn|winter)\b|\b(?:the|this|next|last) fall\b"
    r"|\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|\d{1,2}th) grade\b"
    r"|\bat (?:the )?age (?:of )?\d{1,2}\b"
    r"|\b(?:within|after|before|for|every|each|by)\s(?:the\s)?(?:\d+|\w+)?\s?(?:school\s)?"
    r"(?:days?|weeks?|months?|years?|cycles?|windows?)\b",
)
_REASON = re.compile(
    r"\b(?:because|so that|in order to|so as to|due to|owing to|given that|stems? from|reasons?|therefore|"
    r"which is why|that is why|as a result|otherwise|helps?|leads? to|results? in)\b"
    r"|\bsince\b(?!\s+(?:\d|then\b|the\s+(?:start|beginning|end)\b|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)))"
    r"|, (?:so|as)\b(?! (?:far|many|much|long|well)\b)",
    re.I,
)
# "X is ...", "X means ...", "X refers to ...", and what it is after a colon
_DEFINING = re.compile(r"\b(?:is|are|was|were|means?|refers? to|describes?|denotes?)\b|:", re.I)
_DEFINED = re.compile(
    r"\b(?:whereby|in which|means|refers to|that is|i\.e\.|defined as|called|known as|termed|(?:I|we) mean)\b"
    r"|\w\s?[—–]\s?(?:the|a|an)\b",
    re.I,
)
_MARKER = re.compile(r"^\W*")  # a list marker, bold, a quote: what opens a sentence before its first word
_LABEL = re.compile(r"\*\*|__|^\W*")  # bold and what opens a sentence: "- **Term.** ..." reads "Term. ..."


@lru_cache(maxsize=16384)
def words(text: str) -> frozenset[str]:
    """A text's words as `terms` gives them; kept, since the same sentences are read for every question."""
    return frozenset(terms(text))


def _one_of(pattern: re.Pattern, text: str, asked: Collection[str]) -> bool:
    """The pattern found in the text, other than in the question's own words (a date that is part of a name
    the question uses, "the Monday Three", is not when anything happens)."""
    return any(
        not words(found.group(0)) <= asked or not words(found.group(0)) for found in pattern.finditer(text)
    )


class Holds:
    """How far each sentence holds what a question asks for (0 to 1), for one question and its passages."""

    def __init__(
        self, asked: Collection[str], texts: Sequence[str], schools_named: Callable[[str], Sequence[str]]
    ) -> None:
        self.asked = frozenset(asked)  # the question's words, as `terms` gives them
        # a word the passages also write in lower case is an ordinary word: "Learning Partner" is no person
        self.plain = {w for text in texts for w in re.findall(r"(?<![\w'’@./-])[a-z]{2,}\b", text)}
        self.schools_named = schools_named

    def kind(self, kind: QuestionKind, text: str) -> float:
        """How far the text holds the kind of thing asked for."""
        if kind.kind == WHO:
            return self.person(text)
        if kind.kind == NUMBER:
            return _number(text, kind.counted)
        if kind.kind == WHEN:
            return float(_one_of(_DATE, text, self.asked))
        if kind.kind == WHY:
            return float(bool(_REASON.search(text)))
        if kind.kind == DEFINITION:
            return _definition(text, kind.subject)
        if kind.kind == LIST:
            return 1.0 if text.rstrip().endswith(":") else 0.5 * (len(re.findall(r"[,;]", text)) >= 2)
        return 0.0

    def person(self, text: str) -> float:
        """1 for a person the question does not name ("Lead: Hannah Kowalski"), 0.5 for one it does, else 0.
        A school, or words ending in one the passages write in lower case ("the Learning Partner school",
        "New York City"), are no one."""
        best = 0.0
        if _TITLED.search(text):
            best = 1.0
        for found in _NAME.finditer(text):
            name = found.group("name")
            surname = name.split()[-1].lower()
            if not found.group("title") and (surname in self.plain | STOPWORDS or self.schools_named(name)):
                continue
            best = max(best, 0.5 if words(name) <= self.asked else 1.0)
        return best


def _number(text: str, counted: str | None) -> float:
    """1 for a number (not a year) of the thing counted, 0.5 for a number of something else, else 0."""
    plain = _YEAR.sub(" ", text)
    if not _NUMBER.search(plain):
        return 0.0
    if counted is None:
        return 1.0
    tokens = re.findall(r"[\w$%.,’'–-]+", plain)
    for i, word in enumerate(tokens):
        if _NUMBER.match(word) and any(counted in words(w) for w in tokens[i : i + 5]):
            return 1.0
    return 0.5


def _definition(text: str, subject: Collection[str]) -> float:
    """1 for "X is ...", "X: ..." and a term as a label ("**X.** What it is ..."), 0.7 for a sentence naming X
    with a definer ("called X", "X, whereby ...")."""
    if not subject:
        return 0.0
    label, stop, rest = _LABEL.sub("", text).partition(". ")
    if stop and rest and words(label) == set(subject):
        return 1.0
    opening = _MARKER.sub("", text).split()
    reach = len(subject) + 3
    if set(subject) <= words(" ".join(opening[:reach])) and _DEFINING.search(" ".join(opening[: reach + 2])):
        return 1.0
    return 0.7 if set(subject) <= words(text) and _DEFINED.search(text) else 0.0
