"""How a passage's sentences lean on one another: what a sentence refers back to, what points ahead, lists.

These read the shape of the text, not the question: a sentence opening with a pronoun or a connective
leans on the one before it; a sentence ending in a colon, or saying "the following" or "Table 2
presents", points at what comes after it; a line opening with a bullet or a number is a list item.
Composing (bot.knowledge.compose) quotes a sentence with what it leans on or points at.
"""

from __future__ import annotations

import re

from bot.knowledge.text import Unit

ENDS = re.compile(r"[.!?…][\"'”’)\]*]*$")  # a sentence's end, after any closing quote or bracket
# a line opening with a list marker: a bullet of any kind ("-", "•", "❑"), or "1." "(a)" "2)"
MARKED = re.compile(r"^\s*(?:[^\w\s\"'“‘(\[*_]{1,2}\s|\(?(?:\d{1,3}|[a-z])[.)]\s)")
# words that open a sentence leaning on the one before: pronouns, demonstratives, connectives, a reply
_BACK = frozenset(
    """this these that those it its they their them such he she his her both either neither yes no but so
    thus hence however therefore also yet instead otherwise then again still further moreover indeed
    consequently accordingly likewise similarly meanwhile finally rather and or""".split()  # noqa: SIM905
)
_BACK_PHRASE = re.compile(
    r"^(?:in other words|put simply|simply put|in short|that is|for example|for instance|as a result|"
    r"in (?:this|that|these|such) \w+|the (?:latter|former|same|other|rest|result|reason|answer)\b|"
    r"(?:one|each|all|some|many|most|none) of (?:them|these|those))",
    re.I,
)
# a sentence pointing at what follows it: "the following", "as follows", "listed below", "Table 2 presents ..."
_POINTS = re.compile(r"\b(?:the following|as follows|(?:listed|shown|set out|described) below)\b", re.I)
TABLE = re.compile(r"\b(?:Table|Figure|Exhibit|Chart|Box)\s+\d+(?:\.\d+)?\b(?!:)")
# a short phrase before the sentence proper: "In engineering terms, "
_OPENING = re.compile(r"^[^,;:]{2,30},\s+")


def refers_back(unit: Unit) -> bool:
    """A sentence that leans on the one before it: it opens, perhaps after a short phrase, with a pronoun
    or a connective ("In engineering terms, these are ...")."""
    text = MARKED.sub("", unit.text).lstrip("*_\"'“‘( ")
    for start in (text, _OPENING.sub("", text, count=1)):
        first = re.split(r"[^\w'’-]", start, maxsplit=1)[0].lower()
        if first in _BACK or _BACK_PHRASE.match(start):
            return True
    return False


def points(unit: Unit) -> bool:
    """A sentence pointing at what follows it: a lead-in ending in a colon, "the following", "Table 2 ..."."""
    return unit.text.rstrip("*_ ").endswith(":") or bool(_POINTS.search(unit.text) or TABLE.search(unit.text))


def asks(unit: Unit) -> bool:
    """A question in the text (a FAQ's): it never answers, but says what the next line answers."""
    return unit.first_in_line and unit.text.rstrip("\"'”’*").endswith("?")


def listed(unit: Unit, line: str) -> bool:
    """A list item's sentence: its line opens with a bullet of any kind or a number."""
    return unit.in_list or bool(MARKED.match(line))


LABEL_WORDS = 5  # at most this many words: a label ("- Reading data wall."), not a sentence


def labels(unit: Unit, following: Unit | None) -> bool:
    """A label: a line's first few words before its first sentence, a list item's ("- **Math routines.**
    Since January ...") or a paragraph's ("No. Check-ins are about ..."): it says little without the
    sentence that follows it on its line, and is read and quoted with it."""
    return (
        unit.first_in_line
        and following is not None
        and following.line == unit.line
        and not following.first_in_line
        and len(MARKED.sub("", unit.text).split()) <= LABEL_WORDS
    )
