"""The words any school system uses for grades, subjects, school levels and what is asked of results.

A district's own names (its measures, groups, schools, principals, clusters) come from its files, through
`bot.district.lexicon`; what is here is general: "third grade", "3rd", "Grade 3", "G3" and "third graders"
name grade 3 anywhere, "literacy" is reading and "numeracy" is math anywhere, "high school" is a level
anywhere. Texts are read as tokens (`tokens`), and every phrase here is a tuple of lower-case tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # its type only
    from bot.district.config import DistrictConfig

_TOKEN = re.compile(r"[A-Za-zÀ-ÿ0-9]+(?:['’][A-Za-z]+)?")


@dataclass(frozen=True)
class Token:
    """A word of a text: as written (without a possessive 's), lower-cased, and where it is."""

    text: str
    low: str
    start: int
    end: int
    owner: bool = False  # written with a possessive: "Nilsson's"
    joined: bool = False  # right after a hyphen: "Marc" in "Jean-Marc"


def tokens(text: str) -> list[Token]:
    """The words of a text, in order; "Nilsson's" is "Nilsson", marked as an owner."""
    found = []
    for m in _TOKEN.finditer(text):
        word = m.group(0)
        owner = word[-2:].lower() in ("'s", "’s")
        word = word[:-2] if owner else word
        joined = (
            m.start() > 0 and text[m.start() - 1] == "-" and m.start() > 1 and text[m.start() - 2].isalnum()
        )
        found.append(Token(word, word.lower().replace("’", "'"), m.start(), m.end(), owner, joined))
    return found


def phrase(text: str) -> tuple[str, ...]:
    """A name as the tuple of lower-case tokens it is matched by."""
    return tuple(t.low for t in tokens(text))


class Phrases:
    """Phrases (tuples of lower-case tokens), each with a value, found where they start, longest first."""

    def __init__(self, pairs: Iterable[tuple[tuple[str, ...], str]]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for words, value in sorted(pairs, key=lambda pair: -len(pair[0])):
            if words:
                self._by_first.setdefault(words[0], []).append((words, value))

    def at(self, lows: list[str], i: int) -> Iterator[tuple[int, str]]:
        """(where it ends, its value) for each phrase that starts at token i."""
        for words, value in self._by_first.get(lows[i], ()):
            if tuple(lows[i : i + len(words)]) == words:
                yield i + len(words), value


# -- grades ------------------------------------------------------------------------------------------
_NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
             "eleventh", "twelfth")  # fmt: skip
_GRADE_WORD = ("grade", "grades", "gr")
_GRADERS = ("grade", "grader", "graders")
_SHORT_GRADE = re.compile(r"(?:g|gr|grade)(\d{1,2}|k)")  # "G3", "gr6", "grade3" as one word
_NUMBERED = re.compile(r"(\d{1,2})(?:st|nd|rd|th)")  # "3rd", "8th"
KINDERGARTEN = ("kindergarten", "kindergartens", "kindergartners", "kindergarteners")


def _grade_number(word: str) -> str | None:
    """ "3", "three", "third", "3rd" -> "3"; "k" -> "K"; else None."""
    if word.isdigit() and 1 <= int(word) <= 12:
        return str(int(word))
    if word in _NUMBERS:
        return str(_NUMBERS.index(word) + 1)
    if word in _ORDINALS:
        return str(_ORDINALS.index(word) + 1)
    if (m := _NUMBERED.fullmatch(word)) and 1 <= int(m.group(1)) <= 12:
        return str(int(m.group(1)))
    return "K" if word == "k" else None


def grades_at(words: list[Token]) -> list[tuple[int, int, str]]:
    """(first token, end token, grade) for each grade a text names: "Grade 3", "grade three", "G3", "gr 6",
    "third grade", "3rd-grade", "eighth graders", "grades 3 and 6", "kindergarten"."""
    found = []
    i = 0
    while i < len(words):
        low = words[i].low
        if (m := _SHORT_GRADE.fullmatch(low)) and low not in _GRADE_WORD:
            found.append((i, i + 1, _grade_number(m.group(1)) or ""))
        elif low in KINDERGARTEN:
            found.append((i, i + 1, "K"))
        elif low in _GRADE_WORD and i + 1 < len(words) and (grade := _grade_number(words[i + 1].low)):
            found.append((i, i + 2, grade))
            j = i + 2  # "grades 3 and 6", "grades 3, 6"
            while (
                j + 1 < len(words) and words[j].low in ("and", "or", "to") and _grade_number(words[j + 1].low)
            ):
                found.append((j + 1, j + 2, _grade_number(words[j + 1].low) or ""))
                j += 2
            i = j
            continue
        elif (
            (grade := _grade_number(low))
            and not low.isdigit()
            and i + 1 < len(words)
            and words[i + 1].low in _GRADERS
        ):
            found.append((i, i + 2, grade))
            i += 2
            continue
        i += 1
    return [f for f in found if f[2]]


def grade_in(text: str) -> str | None:
    """The one grade a name or label says ("Grade 4 reading at grade level" -> "4"), else None."""
    found = {g for _, _, g in grades_at(tokens(text))}
    return found.pop() if len(found) == 1 else None


# -- a target's label and a measure's key, read for a name ----------------------------------------
_QUALIFIER = re.compile(
    r"\s+(?:at|meeting|above|on|to)\s+[\w\s-]*$", re.I
)  # "... at the provincial standard"


def label_parts(label: str) -> tuple[str, str]:
    """A target label's measure and group: "Grade 3 reading, multilingual learners (%)" -> ("Grade 3 reading",
    "multilingual learners"); "Grade 4 reading at grade level (%)" -> ("Grade 4 reading", "")."""
    text = re.sub(r"\s*\([^)]*\)\s*$", "", label).strip()
    head, _, rest = text.partition(",")
    head = _QUALIFIER.sub("", head.split(":")[0]).strip()
    rest = re.sub(r"\s+(?:proficient|at standard|meeting standard)$", "", rest.strip(), flags=re.I)
    return head or text, rest


def readable_key(key: str) -> str:
    """The last resort for a measure with no name anywhere: "math_g5" -> "Grade 5 math"."""
    words = " ".join(re.findall(r"[a-z]+|\d+", key.replace("_", " ")))
    parts = key.split("_")
    grade = grade_in(" ".join(parts))
    rest = [p for p in parts if grade_in(p) is None] if grade else parts
    text = " ".join(rest) if grade else words
    return f"Grade {grade} {text}" if grade else text[:1].upper() + text[1:]


# -- subjects ----------------------------------------------------------------------------------------
# a subject and the words for it; a measure whose subject is one of these is named by any of them
SUBJECTS: dict[str, tuple[str, ...]] = {
    "reading": ("reading", "read", "readers", "literacy", "ela", "english language arts", "language arts",
                "english"),
    "writing": ("writing", "write", "writers", "written"),
    "math": ("math", "maths", "mathematics", "numeracy", "arithmetic"),
    "algebra": ("algebra",),
    "science": ("science", "sciences"),
    "graduation": ("graduation", "graduate", "graduates", "graduating", "grad", "grads"),
    "attendance": ("attendance", "attending", "absence", "absences", "absent", "absenteeism"),
}  # fmt: skip
BROADER = {"algebra": "math"}  # "math" names an algebra measure when nothing closer is math
_SUBJECT_PHRASES = Phrases((phrase(w), s) for s, words in SUBJECTS.items() for w in words)


def subjects_at(words: list[Token]) -> list[tuple[int, int, str]]:
    """(first token, end token, subject) for each subject word a text uses, longest phrases first."""
    lows = [w.low for w in words]
    found, i = [], 0
    while i < len(lows):
        end, subject = next(_SUBJECT_PHRASES.at(lows, i), (i + 1, ""))
        if subject:
            found.append((i, end, subject))
        i = end
    return found


def subject_in(text: str) -> str | None:
    """The subject a name or label is about ("Grade 3 English language arts" -> "reading"), else None."""
    found = [s for _, _, s in subjects_at(tokens(text))]
    return found[0] if found else None


# -- school levels -----------------------------------------------------------------------------------
# a level and the words for it; "high" and "secondary" are one level, as are "middle" and "junior high"
LEVELS: dict[str, tuple[str, ...]] = {
    "elementary": ("elementary", "primary", "elementaries", "primaries", "grade school"),
    "middle": ("middle", "junior high", "intermediate", "middles"),
    "high": ("high", "secondary", "secondaries", "senior high", "collegiate", "collegiates"),
}
_PLURAL_LEVELS = {"elementaries", "primaries", "secondaries", "middles", "collegiates"}  # a level on its own
SCHOOL = ("school", "schools")
# words a school's name ends (or starts) with that say what kind of school it is, not which one
TYPE_WORDS = frozenset(
    {"school", "schools", "public", "community", "academy", "collegiate", "institute", "college", "ecole",
     "école", "centre", "center", "elementary", "primary", "middle", "junior", "senior", "high", "secondary",
     "intermediate", "catholic", "charter", "magnet"}
)  # fmt: skip


def level_of(written: str) -> str:
    """The level a school's level as written is ("Secondary" -> "high", "K-8" -> "k 8")."""
    words = phrase(written)
    return next((level for level, names in LEVELS.items() if " ".join(words) in names), " ".join(words))


def level_phrases(own: dict[tuple[str, ...], str]) -> Phrases:
    """The general level words with a district's own levels as written (their phrases): what `levels_at`
    reads a text with."""
    return Phrases([*((phrase(n), lv) for lv, names in LEVELS.items() for n in names), *own.items()])


def levels_at(words: list[Token], levels: Phrases) -> list[tuple[int, int, str]]:
    """(first token, end token, level) where a text names a level of school: a level word before "school(s)"
    ("middle school", "high schools", "K-8 school"), after "which" or "what" ("which collegiate"), or on its
    own as a plural ("elementaries")."""
    lows = [w.low for w in words]
    found, i = [], 0
    while i < len(lows):
        for end, level in levels.at(lows, i):
            if end < len(lows) and lows[end] in (*SCHOOL, "one", "ones"):
                found.append((i, end + 1, level))
            elif (end == i + 1 and lows[i] in _PLURAL_LEVELS) or (i and lows[i - 1] in ("which", "what")):
                found.append((i, end, level))
            else:
                continue
            i = end - 1
            break
        i += 1
    return found


# -- what is asked of the results --------------------------------------------------------------------
# each is a set of phrases; `asked_in` says which a text uses
ASKS: dict[str, tuple[str, ...]] = {
    "trend": ("trend", "trends", "trending", "over time", "year by year", "year over year", "year on year",
              "each year", "every year", "by year", "history", "over the years"),
    "lowest": ("lowest", "least", "bottom", "smallest"),
    "highest": ("highest", "top", "largest", "biggest"),
    "worst": ("worst", "weakest", "behind", "furthest behind", "further behind", "struggling", "lagging",
              "trailing", "poorest"),
    "best": ("best", "strongest", "ahead", "leading", "furthest ahead"),
    "improved": ("improved", "improvement", "improving", "gained", "gains", "grew", "growth", "rose",
                 "progress"),
    "which": ("which", "what schools", "what school", "rank", "ranking", "ranked", "compare", "list", "name"),
    "which_schools": ("which schools", "which school", "what schools", "what school", "which of our schools",
                      "which of the schools", "list the schools", "name the schools"),
    "target": ("target", "targets", "goal", "goals", "interim", "trajectory", "expected", "on track", "off track",
               "at risk", "plan said", "planned", "supposed to be", "should be"),
    "on_track": ("on track",),
    "off_track": ("off track",),
    "at_risk": ("at risk",),
    "met": ("met", "reached", "achieved", "hit", "meeting"),
    "not": ("not", "n't", "never", "yet to"),
    "district": ("district", "division", "board", "average", "overall", "systemwide", "district wide",
                 "division wide", "across the district"),
    "gap": ("gap", "gaps"),
    "coasting": ("coasting", "coast", "coasts"),
    "on_the_move": ("on the move",),
    "schools": SCHOOL,
    "how_many": ("how many",),
    "since": ("since",),
    "between": ("between", "from"),
    "baseline": ("baseline", "plan started", "plan began", "start of the plan", "plan was adopted"),
    "lead": ("principal", "principals", "lead", "leads", "leader", "head", "heads", "runs", "run", "charge"),
}  # fmt: skip
_ASK_PHRASES = Phrases((phrase(w), a) for a, words in ASKS.items() for w in words)


def asked_in(words: list[Token]) -> dict[str, list[int]]:
    """Which of `ASKS` a text uses, each with the positions of the tokens that say it (first the first)."""
    lows = [w.low.replace("’", "'") for w in words]
    lows = [("n't" if w.endswith("n't") else w) for w in lows]
    found: dict[str, list[int]] = {}
    for i in range(len(lows)):
        for end, ask in _ASK_PHRASES.at(lows, i):
            found.setdefault(ask, []).extend(range(i, end))
    return found


# words the results answer, whatever the wording: what a data answer accounts for in a question
RESULT_WORDS = (
    "result results score scores rate rates percent percentage number numbers figure figures value values "
    "doing do did done perform performing performance look looking looks stand standing stack fare faring "
    "go going gone went up down move moved moving change changed changes slip slipped drop dropped fall fell "
    "fallen decline declined rise risen increase increased decrease decreased jump climb better worse well "
    "far much many point points year years latest now current currently this last compared against versus "
    "vs above below where status progress level levels close closing closed narrow narrowing narrowed widen "
    "widening"
)
# what a leader says around a question, asking nothing of it: "quick one", "right now", "actually"
FILLER = (
    "quick one right now actually exactly basically really just roughly already everyone keeps keep talking "
    "remind wondering wonder know think"
)
PEOPLE = ("student", "students", "learner", "learners", "pupil", "pupils", "child", "children", "kid", "kids")


@dataclass(frozen=True)
class Measure:
    """A measure as a leader reads it: its name, grade, subjects, other names and direction."""

    key: str
    name: str
    grade: str | None = None
    subjects: frozenset[str] = frozenset()
    aliases: tuple[str, ...] = ()
    higher_is_better: bool = True


def measures_of(
    config: DistrictConfig, held: set[tuple[str, str]]
) -> tuple[dict[str, Measure], dict[str, str]]:
    """Each measure as a leader reads it, from the district file (its [[measures]] entry, else its targets'
    labels, else its key made readable) and the (measure, group) pairs results.csv holds; and each group's name
    as its targets' labels give it."""
    declared = {m.key: m for m in config.measures}
    labels: dict[str, list[str]] = {}
    group_labels: dict[str, str] = {}
    for t in config.targets:
        measure, group = label_parts(t.label)
        labels.setdefault(t.measure, []).append(measure if t.group == "all" else "")
        if t.group != "all" and group:
            group_labels.setdefault(t.group, group)
            labels[t.measure].append(measure)
    measures = {}
    # in the order the district file gives them ([[measures]], then [[targets]]), then the rest
    for key in dict.fromkeys([*declared, *labels, *sorted(m for m, _ in held)]):
        info = declared.get(key)
        named = [n for n in labels.get(key, []) if n]
        name = info.name if info else (named[0] if named else readable_key(key))
        aliases = tuple(info.aliases) if info else ()
        texts = [name, *aliases, *named, readable_key(key)]
        grade = info.grade if info and info.grade else next(filter(None, map(grade_in, texts)), None)
        subjects = {s for s in map(subject_in, [info.subject or "" if info else "", *texts]) if s}
        lower = next((t.goal_value < t.baseline_value for t in config.targets if t.measure == key), False)
        better = info.higher_is_better if info else not lower
        measures[key] = Measure(key, name, grade, frozenset(subjects), aliases, better)
    return measures, group_labels
