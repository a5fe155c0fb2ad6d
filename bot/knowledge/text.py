"""Text helpers shared by chunking, lexical ranking and extractive answers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

# Words that end in a period without ending the sentence.
_ABBREVIATIONS = {
    "dr", "mr", "mrs", "ms", "prof", "st", "vs", "etc", "e.g", "i.e", "al", "no", "p", "pp",
    "fig", "ed", "eds", "vol", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "inc", "ltd", "co", "u.s", "u.k", "gr", "approx", "dept", "min", "max",
    "ext", "tel", "rm",
}  # fmt: skip
_SENTENCE_END = re.compile(r"""(?<=[.!?])["'”’)\]]*\s+(?=["'“‘(\[]?[A-Z0-9])""")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves according say says said tell us
    mean means""".split()  # noqa: SIM905
)


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping abbreviations such as 'Dr.' and 'p. 20' intact."""
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        before = text[start : match.start()].rstrip("\"'”’)]")
        last_word = before.rsplit(None, 1)[-1].lstrip("(\"'“‘[") if before.split() else ""
        stem = last_word.rstrip(".!?").lower()
        if last_word.endswith(".") and (stem in _ABBREVIATIONS or len(stem) == 1):
            continue
        closing = len(match.group(0)) - len(match.group(0).lstrip("\"'”’)]"))  # '... "loose coupling."'
        parts.append(text[start : match.start() + closing].strip())
        start = match.end()
    parts.append(text[start:].strip())
    return [p for p in parts if p]


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def terms(text: str) -> list[str]:
    """Lower-cased, stemmed content words: the lexical ranker's and the answer scorer's tokens."""
    words = [w.lower().replace("’", "'") for w in _WORD.findall(text)]
    words = [w[:-2] if w.endswith("'s") else w for w in words]
    stems = _stemmer().stemWords([w for w in words if w not in STOPWORDS])
    return [_SAME.get(s, s) for s in stems]


# Words leaders use for one thing, stemmed: "Grade 6 math" asks about "Grade 6 mathematics".
_SAME = {"math": "mathemat", "grad": "graduat", "ell": "multilingu"}


def count_words(text: str) -> int:
    """Number of words, for summaries."""
    return len(_WORD.findall(text))


@dataclass(frozen=True)
class Unit:
    """A sentence of a passage as answers quote it: verbatim, with where it sits."""

    text: str
    line: int  # which line (paragraph or list item) of the passage
    first_in_line: bool
    in_list: bool
    heading: bool  # the section heading that leads a chunk


_LIST_MARK = re.compile(r"^\s*(?:[-*•·▪–]\s|\(?\d{1,3}[.)]\s)")


def answer_units(passage: str, heading: str = "") -> list[Unit]:
    """A passage's sentences in order; ingest embeds each, and answers choose among them.

    Ingest and answers must cut a passage the same way (the stored vectors are in this order), so
    a change here is a change of ANSWER_UNITS_VERSION.
    """
    units = []
    for n, line in enumerate(passage.split("\n")):
        if n == 0 and heading and line == heading:
            units.append(Unit(line, n, True, False, True))
            continue
        listed = bool(_LIST_MARK.match(line))
        for i, sentence in enumerate(split_sentences(line)):
            units.append(Unit(sentence, n, i == 0, listed, False))
    return units


ANSWER_UNITS_VERSION = 2
