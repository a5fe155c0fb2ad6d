"""What a question asks for: the kind of answer (a name, a number, a list...) and the grade and subject."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.knowledge.text import split_sentences, terms

WHO, NUMBER, WHEN, DEFINITION, WHY, LIST, HOW, FACT = (
    "who", "number", "when", "definition", "why", "list", "how", "fact",
)  # fmt: skip


@dataclass(frozen=True)
class QuestionKind:
    """What a question asks for, and for a definition the words of the thing to define."""

    kind: str
    count: int | None = None  # "What are the three priorities?" -> 3
    subject: frozenset[str] = frozenset()
    counted: str | None = None  # "How many students are at Hillcrest?" -> "student" (a stem, as terms gives)

    def hint(self) -> str:
        """A line telling a language model what kind of answer is wanted."""
        return _HINTS[self.kind].format(count=self.count or "the")


_HINTS = {
    WHO: "The question asks who: answer with the person's name and role.",
    NUMBER: "The question asks for a number: give the figure and what it counts.",
    WHEN: "The question asks when: give the date or year.",
    DEFINITION: "The question asks what something is: give its definition.",
    WHY: "The question asks why: give the reason.",
    LIST: "The question asks for a list: give {count} items, each with what the passages say of it.",
    HOW: "The question asks how: give the steps or the way it is done.",
    FACT: "Answer with the fact asked for.",
}

NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                 "ten": 10}  # fmt: skip
_LIST_Q = re.compile(
    r"^(?:what|which) (?:are|were) (?:(?:the|our|its|their|\w+['’]s) )+(?:(\d+|"
    + "|".join(NUMBER_WORDS)
    + r") )?|^(?:list|name) (?:the |all )",
    re.I,
)
_DEFINITION_Q = re.compile(
    r"^(?:what(?:'s| is| are| was) (?!the\b|our\b|its\b|their\b)(?:an? )?(.+?)\??$"
    # "What is the goal for ...?" asks for a value; "What is the Monday Three?" names a thing
    r"|what(?:'s| is| are| was) the ((?-i:[A-Z][\w'’-]*)(?: (?:of|on|the|and|for|in|(?-i:[A-Z][\w'’-]*)))*)\??$"
    r"|what (?:is|are) meant by (.+?)\??$|what do(?:es)? (?:.+?) mean by (.+?)\??$|what do(?:es)? (.+?) mean\??$"
    r"|define (.+?)\??$|how (?:do|does|did|would|should) .+? define (.+?)\??$"
    # "What is the task environment in Moore's triangle?" names a thing (unless a word of it is a value's,
    # _VALUE_WORDS below: "What is the literacy coaching budget?")
    r"|what(?:'s| is| are| was) the ((?-i:[a-z][\w'’-]*(?: [a-z][\w'’-]*){1,2}))"
    r"(?: (?:in|of|for|at|according to|within) .+)?\??$)",
    re.I,
)


# "What kinds of people ...?", "Which familiar practices does ...?", "What key ideas sit ...?": several
# things are asked for (a plural before the verb; not "focus", "status", "analysis")
_MANY_ASKED = re.compile(
    r"^(?:what|which) (?:(?:kinds?|types?|sorts?) of (?:\w+ )*?\w+|(?:[a-z-]+ ){0,3}?[a-z-]+[^\Wsiu]s)"
    r" (?:do|does|did|are|were|have|has|had|can|could|should|would|must|will|sit|lie|make|made|go|come)\b()",
    re.I,
)

_DOING = re.compile(r"^what (?:is|are|was|were) (?!the\b)[\w'’. -]{2,60}? doing\b(?! well\b)", re.I)

# a clause before the question proper: "When Albert's school looked, what share ...?", "Per Moore, why ...?"
_LEADING_CLAUSE = re.compile(r"^[^,?]{3,100},\s+(?=(?:who|whom|whose|what|which|when|why|how)\b)", re.I)
# a request around the question: "Remind me who the three cluster supers are?", "Can you tell me when ...?"
_ASKING = re.compile(
    r"^(?:(?:can|could|would) you\s+)?(?:please\s+)?(?:remind me|tell me|let me know|do you know|any idea)\s+"
    r"(?=(?:who|whom|whose|what|which|when|why|how)\b)",
    re.I,
)


# what leaders type for what the documents write: "the VP at Hillcrest", "the cluster supers", "grad rates"
_SHORTHAND = (
    (re.compile(r"\bVPs\b"), "vice-principals"),
    (re.compile(r"\bVP\b"), "vice-principal"),
    (re.compile(r"\bsupers\b", re.I), "superintendents"),
    (re.compile(r"\bgrad (rates?)\b", re.I), r"graduation \1"),
    (re.compile(r"\bMLLs?\b"), "multilingual learners"),
    (re.compile(r"\bML\b(?=\s+(?:students|learners|kids|pupils)\b)"), "multilingual"),
)


def spelled_out(question: str) -> str:
    """The question with a leader's shorthand written as the documents write it."""
    for pattern, plain in _SHORTHAND:
        question = pattern.sub(plain, question)
    return question


def question_kind(question: str) -> QuestionKind:
    """Read what kind of answer a question wants from its first words (after any clause before them)."""
    q = " ".join(question.strip().split())
    # "Moore talks about strategic capacity. What are the three parts?": the question is the last sentence
    # ("Ms." and "F." end no sentence: the splitter knows titles and initials)
    q = split_sentences(q)[-1] if q.endswith("?") else q
    q = _ASKING.sub("", _LEADING_CLAUSE.sub("", q))
    low = q.lower()
    if re.match(r"(?:who|whom|whose)\b", low) or re.search(r"\bwhich (?:person|people|leader)\b", low):
        return QuestionKind(WHO)
    if re.match(r"when\b|(?:in |by )?(?:what|which) year\b|how long ago\b", low):
        return QuestionKind(WHEN)
    if re.match(
        r"(?:by )?how (?:many|much)\b|how (?:is|are|was|were|did) .+ (?:doing|do|going)\b", low
    ) or re.search(r"\b(?:what|which) (?:percentage|percent|share|proportion|number|rate|figure)\b", low):
        return QuestionKind(NUMBER, counted=_counted(low))
    if re.match(r"why\b|what (?:is|was) the (?:reason|rationale|point)\b|for what reason\b", low):
        return QuestionKind(WHY)
    if _DOING.match(q):  # "What is Hillcrest doing to get kids to like math?": how, not what it is
        return QuestionKind(HOW)
    listed = _LIST_Q.match(q) or _MANY_ASKED.match(q)
    if listed:
        count = listed.group(1)
        n = int(count) if count and count.isdigit() else NUMBER_WORDS.get((count or "").lower())
        return QuestionKind(LIST, count=n)
    defined = _DEFINITION_Q.match(q)
    if defined and defined.lastindex == _THE_TERM and set(terms(defined.group(_THE_TERM))) & _VALUE_WORDS:
        defined = None  # "What is the new funding request for 2026-27?" asks for a value
    if defined:
        subject = next(g for g in defined.groups() if g)
        subject = re.split(r"\s(?:at|in|for|from|within|across)\s", subject, maxsplit=1)[
            0
        ]  # "X at Hillcrest"
        return QuestionKind(DEFINITION, subject=frozenset(terms(subject)))
    if re.match(r"how (?:do|does|did|can|could|should|is|are|will|would)\b", low):
        return QuestionKind(HOW)
    return QuestionKind(FACT)


# "..., and how many of them are there?", "... - how many programs?": a second question after the first
_SECOND = re.compile(r"(?:,?\s+and|\s+[-–—])\s+(?=(?:who|whom|whose|what|which|when|how)\b)", re.I)


def second_kind(question: str) -> QuestionKind | None:
    """What a question's second part asks for ("Who picks them, and how many are there?": a number),
    or None when it asks one thing."""
    parts = _SECOND.split(" ".join(question.strip().split()), maxsplit=1)
    return question_kind(parts[1]) if len(parts) == 2 else None


_THE_TERM = _DEFINITION_Q.groups  # the last alternative's group: "the task environment"
_VALUE_WORDS = set(
    terms(
        "goal target rate result score number percentage percent share date deadline budget cost status "
        "trend gap size amount total average name role purpose point difference best main first last next "
        "latest current funding request spending allocation price fee salary enrolment count level figure "
        "value time timeline schedule year plan"
    )
)

_HOW_MANY = re.compile(r"\bhow many ((?:[\w'’–-]+ ?){1,5})", re.I)
_PLURALS = {"people", "children", "staff", "men", "women"}  # plurals without an "s"


def _counted(question: str) -> str | None:
    """The thing a how-many question counts, as its stem: the first plural after "how many" ("How many
    named Grade 3 students ...?" -> "student"); None when there is none ("How many is that?")."""
    found = _HOW_MANY.search(question)
    for word in found.group(1).split() if found else []:
        word = word.lower()
        if word in _PLURALS or (word.endswith("s") and not word.endswith("ss") and terms(word)):
            return terms(word)[0] if terms(word) else word
    return None


_GRADE = re.compile(r"\bgrades?\s*(\d{1,2})\b", re.I)
_SUBJECT = {
    "reading": re.compile(r"\b(?:read\w*|literacy)\b", re.I),
    "math": re.compile(r"\b(?:math\w*|numeracy)\b", re.I),
    "writing": re.compile(r"\bwrit\w*\b", re.I),
    "graduation": re.compile(r"\bgraduat\w*\b", re.I),
}


def measures_in(text: str) -> set[str]:
    """The grades and subjects a text names ("grade:6", "math"): a school's results are told by them."""
    found = {f"grade:{g}" for g in _GRADE.findall(text)}
    return found | {subject for subject, pattern in _SUBJECT.items() if pattern.search(text)}


def conflict(asked: set[str], said: set[str]) -> bool:
    """The sentence names another grade, or another subject, than the question does."""
    grades = {m for m in asked if m.startswith("grade:")}, {m for m in said if m.startswith("grade:")}
    subjects = asked - grades[0], said - grades[1]
    return any(a and b and not (a & b) for a, b in (grades, subjects))
