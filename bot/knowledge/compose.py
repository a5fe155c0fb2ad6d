"""Extractive answers: the sentences that answer the question, quoted verbatim and cited.

Every sentence of the retrieved passages is scored on how well it answers: its meaning against the
question's (sentence vectors stored at ingest, so a question costs dot products), the question's rare
words it shares, whether it holds the kind of thing asked for (a name for "who", a number for "how
many", a year for "when", a definition for "what is", a reason for "why"), and whether it adds
something beyond the words of the question. The best sentence leads; the rest of its paragraph and
other strong sentences follow while there is room.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from bot.knowledge.questions import (
    DEFINITION,
    FACT,
    HOW,
    LIST,
    NUMBER,
    NUMBER_WORDS,
    WHEN,
    WHO,
    WHY,
    QuestionKind,
    conflict,
    measures_in,
    second_kind,
)
from bot.knowledge.text import STOPWORDS, Unit, answer_units, terms
from bot.knowledge.vectors import Passage

SchoolsNamed = Callable[[str], Sequence[str]]  # the district's schools a text names
MAX_ANSWER_CHARS = 1000
CARRY = 0.8  # the share of the sentence before's (or a list's lead-in's) similarity a sentence inherits
HEADING_CARRY = 0.6  # and of its section heading's
# how much holding the kind of thing asked for (a name, a number, a definition) counts
FIT_WEIGHT = {WHO: 0.35, NUMBER: 0.35, WHEN: 0.35, DEFINITION: 0.4, WHY: 0.15, HOW: 0.1, LIST: 0.1, FACT: 0.0}
CONFLICT = 0.3  # taken off a sentence about another grade or subject than the one asked about
UNFIT = 0.1  # taken off a sentence that holds no name, number, date or definition when one is asked for
TITLED = 0.2  # times the share of the question's words (by rarity) its document's title holds: "Maple PS"
# taken off a school's own document (its profile) when a question naming no school asks what something is:
# "What is credit recovery?" asks for the district's definition, not how one school describes its own
ONE_SCHOOLS = 0.1
OWN_SCHOOL = 0.1  # added to the documents of the school a question names (its profile): its own say
WINDOW_LEFT = 0.35  # the sentences after the best one may use the room down to this share
OTHERS_FLOOR = 0.8  # a sentence from elsewhere joins the answer only if this strong beside the best
TYPED_FLOOR = 0.85  # and when it must hold a name, a number or a definition too
UNSURE_FLOOR = 0.9  # and when one is asked for that neither it nor the best sentence holds
WINDOW_FLOOR = 0.6  # past the best sentence's paragraph, a sentence follows it only if this strong
CATALOGUE = 0.5  # taken off a folder index (its rows and its prose) when the question is not who wrote what
RIVAL = 0.95  # a sentence this strong beside the best is taken before the best one's paragraph goes on


# one word of a person's name: "Amara", "Jean-Marc", "O'Connell", "McGuinty" (not "Maple's")
_NAME_WORD = r"(?:[A-Z][a-z]*['’]?)?[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
# a person's name; not a place's ("Cedar Grove PS", "Harbour View School")
PERSON_NAME = re.compile(
    # a person takes no article: "a Focused Partnership", "the Priorities Room" are not people
    r"(?<!\b[Aa] )(?<!\b[Aa]n )(?<!\b[Tt]he )"
    r"\b(?:(?:Dr|Mr|Ms|Mrs|Prof)\.\s)?" + _NAME_WORD + r"\s(?:[A-Z]\.\s)?" + _NAME_WORD + r"\b"
    r"(?!\s+(?:[A-Z]{2,}\b|(?:Public |Secondary |High |Elementary )?Schools?\b|District|Board|University|"
    r"College|Ministry|Department|Council|Institute|Cent(?:re|er)))"
)
_SURNAMES = re.compile(r"\b([A-Z][a-z]{2,}) (?:and|&) ([A-Z][a-z]{2,})\b")
_AFTER_ARTICLE = re.compile(r"\b(?:[Aa]n?|[Tt]he)\s(" + _NAME_WORD + r"\s" + _NAME_WORD + r")\b")
# a word written in lower case, not inside a name or an address ("Jean-Marc", "h.kowalski@...")
_PLAIN = re.compile(r"(?<![\w'’@./-])[a-z]{2,}\b(?![@'’-]|\.\w)")
# a person named in full, as the owner of something: "Irina Fedra's school"
_FULL_NAME = re.compile(r"(?<=\w )[A-Z][a-z]+(?:\s[A-Z][a-z]+(?:-[A-Z][a-z]+)?)+(?=['’]s\b)")
# whose view a question asks for: "What does Elmore say ...?", "according to Fullan", "Moore's view"
_ATTRIBUTED = re.compile(
    r"\b(?:according to|in the view of)\s+([A-Z][a-z]+(?:\s[A-Z]\.)?(?:\s[A-Z][a-z]+)?)"
    # a verb of saying or thinking: "What does Elmore liken ...?", not "How does Riverbend support ...?"
    r"|\b(?:do|does|did)\s+([A-Z][a-z]+(?:\s[A-Z]\.)?(?:\s[A-Z][a-z]+)?)\s+(?:say|think|argue|mean|"
    r"define|describe|see|view|write|suggest|propose|recommend|call|claim|believe|want|liken|compare|"
    r"credit|consider|stress|emphasi[sz]e|conclude|find|note|explain|warn|insist|predict)\b"
    r"|\b([A-Z][a-z]+)['’]s\s+(?:view|argument|claim|definition|idea|point)\b"
)
_SHARE_ASKED = re.compile(r"\b(?:percentage|percent|proportion|share of|what share)\b|%", re.I)
_SHARE = re.compile(r"%|\bper ?cent\b|\b(?:half|third|quarter)\b|\b(?:one|two|three|four|\d+)(?:\s[a-z]+){0,3}\sin\s(?:two|three|four|five|ten|\d{1,2})\b(?!\s*%)", re.I)  # fmt: skip
_CHANGE_ASKED = re.compile(r"\b(?:improv\w*|increas\w*|gain\w*|gr[eo]w\w*|rise|rose|risen|fell|fall\w*|drop\w*|declin\w*|chang\w*)\b", re.I)  # fmt: skip
_CHANGE = re.compile(r"\bfrom\b[^.;]*?\d[^.;]*?\bto\b[^.;]*?\d|\d[\d.,]*\s*(?:-\s*)?(?:percentage\s+)?points?\b|\b(?:up|down|gain\w*|rose|fell|increase\w*|decrease\w*)\b[^.;]*\d", re.I)  # fmt: skip
_ROLE = re.compile(
    r"\b(?:lead|leads|led by|superintendent|vice[- ]principal|principal|director|chair|minister|premier|trustee|"
    r"coordinator|head|manager|officer|author|founder|teacher|coach|facilitator|counsell?or)\b",
    re.I,
)
# a role with the word before it: "cluster superintendent", "From: Dr. Amara Osei, Superintendent"
_QUALIFIED = re.compile(
    r"(?:\b([\w.,:-]+)\s+|^)(superintendents?|principals?|directors?|leads?|chairs?|coordinators?|heads?|"
    r"managers?|officers?|trustees?|ministers?|premiers?|teachers?|coach(?:es)?|facilitators?|counsell?ors?)\b",
    re.I,
)
_NUMBER = re.compile(r"\d|%|\b(?:" + "|".join(NUMBER_WORDS) + r"|half|twice|double|dozens?|hundreds?|thousands?|millions?)\b", re.I)  # fmt: skip
_DATE = re.compile(
    r"\b(?:1[89]\d\d|20\d\d)s?\b|\b(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December)\b|\b(?:spring|summer|fall|autumn|winter)\b"
    r"|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)s?\b"  # "every Wednesday morning"
    # a stage of schooling or of life: "in the eighth grade", "at age 16"
    r"|\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|\d{1,2}th) grade\b"
    r"|\bat (?:the )?age (?:of )?\d{1,2}\b",
)
_REASON = re.compile(
    # "since" as a cause, not a time: "Since January 2025, ...", "since 2022", "since then"
    r"\b(?:because|so that|in order to|since(?!\s+(?:\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|"
    r"then\b|last\b|the (?:start|beginning|end|fall|spring|summer|winter)\b))|reason|due to|therefore|which is why|that is why|"
    # "so" as a conjunction ("..., so ..."), not "or so", "so far", nor an opening "So"
    r"otherwise|helps?|(?<=, )so\b(?! (?:far|many|much|long|on)\b)|the point|lead to|leads to|result|"
    r"(?<=, )as (?:it|they|this|these|its|their)\b|"  # "..., as it draws on resources that exist"
    r"stems? from|given that|owing to)",
    re.I,
)  # a sentence that opens with "So" draws a conclusion: the reason is before it
# "X is ...", not "X are delivering ..." (what it is doing is no definition)
_DEFINING = re.compile(
    r"\b(?:is|are|was|were)\b(?!\s+(?!(?:no|some|every|any)thing\b|being\b)\w+ing\b)|\b(?:means|refers to|describes)\b",
    re.I,
)
_DEFINED_INLINE = re.compile(
    r"\b(?:whereby|in which|means|refers to|that is|i\.e\.|defined as|called)\b"
    r"|\w\s?[—–]\s?the\b",  # "the default culture of public schools—the deeply rooted beliefs ..."
    re.I,
)
# "By initiatives, I mean ...": the writer's own definition
_OPENING = re.compile(r"^\W*(?:to|for|in|on|at|by|according to)\s[^,\d]{1,30},\s", re.I)  # "To many, "
_SAYS_WHAT = re.compile(r"\b(?:sounds?|seems?|looks?|comes? down to|boils? down to)\b[^:]{0,40}:", re.I)
_I_MEAN = re.compile(r"^\W*by (.{3,80}?),? (?:I|we) mean\b", re.I)
_LIST_MARKER = re.compile(r"^\s*(?:[-*•·▪–]\s+|\(?\d{1,3}[.)]\s+)")
_NUMBERED = re.compile(r"^\s*(\d{1,2})[.)]\s")
_PERSON_ASKED = re.compile(r"\s*(?i:who\s+(?:is|was))\s+(?:(?:Dr|Mr|Ms|Mrs|Prof)\.?\s+)?[A-Z][a-z]")
# roles that say only who is in charge: "Who leads numeracy?", "Who heads Maple PS?"
_IN_CHARGE = {"lead", "head"}
# roles that work under whoever is in charge: they answer only when asked for by name
_UNDER = {"vice", "teacher", "coach", "facilit", "counsellor", "counselor"}
# words before a role that do not make it another one: "its new principal", "became principal"
_SAME_ROLE = {"new", "current", "acting", "interim", "became", "becomes", "named", "appointed"}
# a folder index's row naming a file ("file: 003_foreword.txt; title: ...; author: ..."): the index says who
# wrote a document and what it is called, and answers nothing else
_CATALOGUE = re.compile(r"^(?:file|file ?name|path): [^;]+\.(?:txt|md|markdown|pdf|docx?|html?)\b", re.I)
_ABOUT_DOCUMENT = re.compile(
    r"\b(?:wr[io]te|written|writer|authou?rs?|authored|titled?|published|files?)\b", re.I
)
_MEMBERS = re.compile(
    r"\bwho(?:['’]s| is| are| sits?| serves?)?(?: actually)? (?:on|in(?! charge)|part of)\b|\bmade up of\b|"
    r"\bmembers?\b",
    re.I,
)
_REPLY = re.compile(r"(?:yes|no)\b[.,;!]", re.I)  # "Yes, as long as ...": the reply to a question
_CONTINUATIONS = {"this", "these", "that", "those", "it", "they", "such", "but", "so", "thus", "hence",
                  "he", "she", "his", "her", "its", "their"}  # fmt: skip


@dataclass
class _Sentence:
    hit: int  # index into the passages
    index: int  # index into that passage's units
    unit: Unit
    score: float = 0.0
    fit: float = 0.0  # holds the kind of thing asked for


@dataclass(frozen=True)
class Composed:
    """Quoted sentences in order, each with the passage (index) it is cited to."""

    parts: list[tuple[int, str]]
    passages: list[Passage]
    as_list: bool = False  # one item a line
    best: tuple[int, str] | None = None  # the sentence that answers best, and its passage
    unanswered: str | None = None  # the school asked about, when no sentence says what was asked of it
    items: frozenset[int] = frozenset()  # the parts that open a list's item: each starts a line
    listed: frozenset[int] = frozenset()  # the parts in a list (an item's later sentences too)


class _Scorer:
    def __init__(
        self,
        question: str,
        kind: QuestionKind,
        vector: np.ndarray | None,
        idf: dict[str, float],
        about: Sequence[str] = (),
        texts: Sequence[str] = (),
        schools_named: SchoolsNamed = lambda text: (),
    ):
        self.kind = kind
        self.asked = question
        # what the passages (texts) say of words: those they also write in lower case ("learning",
        # "partner"), and the capitalised pairs they put after an article ("the Learning Partner school")
        self.plain = {word for text in texts for word in _PLAIN.findall(text)}
        self.things = {m.group(1) for text in texts for m in _AFTER_ARTICLE.finditer(text)}
        self.q_terms = set(terms(question))
        if kind.kind != WHO:  # "What does Elmore say about ...?": his view is asked, not his name
            # (a school is no one with a view: "How does Stonebridge compare ...?")
            viewers = [next(g for g in m.groups() if g) for m in _ATTRIBUTED.finditer(question)]
            self.q_terms -= {t for name in viewers if not schools_named(name) for t in terms(name)}
        self.idf = idf
        self.weight = {t: idf.get(t, 1.0) for t in self.q_terms}
        self.total = sum(self.weight.values()) or 1.0
        self.vector = vector
        self.measures = measures_in(question)
        self.about_document = bool(_ABOUT_DOCUMENT.search(question))  # "Who wrote the foreword?"
        self.members = bool(_MEMBERS.search(question))  # "Who is on the support team?"
        self.change = bool(_CHANGE_ASKED.search(question))
        self.share = bool(_SHARE_ASKED.search(question))  # "What percentage ...?": a share, "77%"
        self.roles = {_role(m.group(0)) for m in _ROLE.finditer(question)}  # "Who is the principal of ...?"
        # "Who is Albert?": whatever role the person has answers
        self.person_asked = not self.roles and bool(_PERSON_ASKED.match(question))
        # "Irina Fedra's school": a sentence saying "Irina's school" names it too
        self.named = {
            t: group
            for found in _FULL_NAME.finditer(question)
            if len(group := set(terms(found.group(0))) & self.q_terms) > 1
            for t in group
        }
        # "the principal of Willow Creek": the schools a who/number/date answer must be said of
        self.subjects = list(about) if kind.kind in (WHO, NUMBER, WHEN) else []
        self.schools = [set(terms(name)) for name in about]  # "Harbour View" is a place, never a person
        self.schools_named = schools_named  # and so is any other school: "Cedar Valley's main target"

    def said_of(self, named: Collection[str]) -> bool:
        """Whether a sentence's paragraph, heading and document title (the schools they name) name
        every school asked about."""
        return all(school in named for school in self.subjects)

    def dense(self, passage: Passage) -> np.ndarray | None:
        if self.vector is None:
            return None
        matrix = passage.sentence_matrix(len(self.vector))
        return None if matrix is None else matrix @ self.vector

    def score(
        self, unit: Unit, dense: float, prior: float, lead_of: Unit | None, *, said_of: bool = True
    ) -> float:
        words = set(terms(unit.text))
        overlap = self.overlap(words)
        if lead_of is not None:  # the answer to a FAQ's question, the definition after its bold lead
            overlap = max(overlap, CARRY * self.overlap(set(terms(lead_of.text))))
        new = words - self.q_terms
        novelty = sum(self.idf.get(t, 1.0) for t in new) / (sum(self.idf.get(t, 1.0) for t in words) or 1.0)
        score = 0.5 * dense + 0.35 * overlap + prior + 0.12 * novelty
        fit = self.fits(unit, lead_of) if said_of else 0.0
        score += FIT_WEIGHT[self.kind.kind] * fit
        if not fit and self.kind.kind in (WHO, NUMBER, WHEN, DEFINITION):
            score -= UNFIT
        said = measures_in(unit.text)
        if conflict(self.measures, said):  # "Grade 3 reading" when asked about Grade 6 mathematics
            score -= CONFLICT
        elif len(self.measures) > 1 and self.measures <= said:  # the very grade and subject asked about
            score += CONFLICT / 2
        if (unit.heading and self.kind.kind != LIST) or _asks(unit):
            score -= 0.25
        # says nothing the question did not (unless it leads in to a list on what was asked: the list says it)
        if len(new) < 2 and not (unit.text.endswith(":") and overlap):
            score -= 0.15
        return score

    def _another_role(self, text: str) -> bool:
        """The role asked about appears only qualified: "cluster superintendent" for "the superintendent"."""
        found = [
            (m.group(1), m.group(2))
            for m in _QUALIFIED.finditer(text)
            if terms(m.group(2))[0] in self.q_terms
        ]
        if not found:
            return False
        return all(
            before is not None
            and before.islower()
            and before not in STOPWORDS
            and before not in _SAME_ROLE
            and not set(terms(before)) & self.q_terms
            for before, _role in found
        )

    def _people(self, text: str) -> Iterator[str]:
        """The people a text names. A capitalised pair that is not one is tried again from its second
        word: "Director of Learning Tomas Lindqvist"."""
        at = 0
        while found := PERSON_NAME.search(text, at):
            name = found.group(0)
            # "Lena Park has run ..." names her; "The Board ..." names no one
            if (found.start() or name.split()[0].lower() not in STOPWORDS) and self._person(name):
                yield name
                at = found.end()
            else:
                at = found.start() + len(name.split()[0]) + 1
        # authors cited by surname: "Murphy and Hallinger, in a study of ...", not "Literacy and Numeracy"
        for pair in _SURNAMES.finditer(text):
            if not any(word.lower() in self.plain or word.lower() in STOPWORDS for word in pair.groups()):
                yield pair.group(0)

    def _person(self, name: str) -> bool:
        """A capitalised pair that names a person: "Dr. Amara Osei", "Liam O'Connell", "Rose Martin", but
        not a school ("Cedar Valley") nor "Learning Partner" or "Focused Partnership", which the passages
        put after an article, or all of whose words they also write as ordinary words (a title, "Dr.",
        is never one)."""
        words = re.split(r"[\s-]+", name)
        return (
            not all(word.lower() in self.plain for word in words)
            and name not in self.things
            and not self.schools_named(name)
        )

    def overlap(self, words: set[str], *, named: bool = True) -> float:
        """The share of the question's words, weighted by rarity, that the words hold ("Irina's school"
        holds all of "Irina Fedra's school" unless named is False)."""
        held = {
            t for t in self.q_terms if t in words or (named and t in self.named and self.named[t] & words)
        }
        return sum(self.weight[t] for t in held) / self.total

    def fits(self, unit: Unit, lead_of: Unit | None) -> float:
        """How far a sentence holds the kind of thing the question asks for (0 to 1)."""
        text, kind = unit.text, self.kind.kind
        if kind == WHO:
            # asked who holds a role, a person the question does not name: not "Harbour View" in "the
            # principal of Harbour View" (but "Who is Irina Fedra?" is answered by a sentence naming her)
            named = any(
                not ((self.roles or not self.person_asked) and set(terms(name)) & self.q_terms)
                and not any(set(terms(name)) <= school for school in self.schools)
                for name in self._people(text)
            )
            # the role asked about, not another: a cluster superintendent does not answer "Who is the
            # principal?"; "Who leads / heads ...?" is answered by whoever is in charge, but not a deputy
            role = any(
                _role(m.group(0)) in self.roles
                or self.person_asked
                or ((not self.roles or self.roles & _IN_CHARGE) and _role(m.group(0)) not in _UNDER)
                for m in _ROLE.finditer(text)
            )
            fit = 0.6 * named + 0.4 * role
            # "Who is on the support team?": the roles it is made up of ("the cluster superintendent, the
            # priority lead, a coach ...") answer as names do, and so does a list of three ("a
            # vice-principal, the guidance head and the special education head")
            held = [_role(m.group(0)) for m in _ROLE.finditer(text)]
            if self.members and (len(set(held)) >= 3 or (len(held) >= 3 and _enumerates(text))):
                fit = 1.0
            return fit * (0.3 if self._another_role(text) else 1.0)
        if kind == NUMBER:
            if not _NUMBER.search(text):
                return 0.0
            # "What share ... were falling behind?" asks for a share, "25%", whatever else it says;
            # "How much did it improve?" for a change: "from 33% ... to 82%", "a 14-point gain"
            if self.share:
                return 1.0 if _SHARE.search(text) else 0.5
            if self.change and not _CHANGE.search(text):
                return 0.5
            # "How many students ...?" asks for a count of students: "1,340 students", not "$5,000"
            return 1.0 if not self.kind.counted or _counts(text, self.kind.counted) else 0.5
        if kind == WHEN:  # a date the question gives is not the answer: "When are the 2025 schools ...?"
            return float(
                any(not re.search(rf"\b{re.escape(m.group(0))}\b", self.asked) for m in _DATE.finditer(text))
            )
        if kind == WHY:
            return float(bool(_REASON.search(_LIST_MARKER.sub("", text).lstrip("*_"))))
        if kind == DEFINITION:
            subject = self.kind.subject
            if lead_of is not None and subject and subject <= set(terms(lead_of.text)):
                return 1.0  # the sentence after a bold-led item naming the thing: its definition
            # "Credit recovery is ...", "A check-in is ...": the thing named first, then what it is (after
            # a short opening phrase: "To many, a systemic effect is ...")
            words = _OPENING.sub("", _LIST_MARKER.sub("", text)).split()
            reach = len(subject) + 2
            if (
                subject
                and subject <= set(terms(" ".join(words[:reach])))
                # "... is ...", or what it is after a colon: "Standards-based reform sounds simple: ..." (not
                # a field's label: "Literacy coach: full-time")
                and (
                    _DEFINING.search(" ".join(words[: reach + 2]))
                    or _SAYS_WHAT.search(" ".join(words[: reach + 4]))
                )
            ):
                return 1.0 if not _is_lead(unit) else 0.6
            if subject and (own := _I_MEAN.match(text)) and subject <= set(terms(own.group(1))):
                return 1.0
            if subject and subject <= set(terms(text)) and _DEFINED_INLINE.search(text):
                return 0.7  # '... "collaborative competition" whereby ...'
            return 0.0
        if kind == LIST:  # several things asked for: a sentence naming several, or leading in to a list
            return float(_enumerates(text) or text.endswith(":"))
        if kind == HOW:
            return 0.5 * bool(
                re.search(r"\b(?:by|through|using|each|every|first|then|weekly|meet)", text, re.I)
            )
        return 0.0


def _in_context(units: list[Unit], dense: np.ndarray) -> list[float]:
    """Each sentence's similarity to the question, or a share of its context's if that is higher.

    The sentence that answers often resembles the question less than the one before it ("Numeracy
    is coordinated centrally. Lead: Hannah Kowalski."), the item less than its list's lead-in, the
    definition less than its bold lead: each inherits part of what introduces it.
    """
    carried: list[float] = []
    heading = lead_in = None
    for index, unit in enumerate(units):
        own = float(dense[index])
        context = []
        if index and (units[index - 1].line == unit.line or _asks(units[index - 1])):
            context.append(carried[-1] * CARRY)
        if heading is not None:
            context.append(heading * HEADING_CARRY)
        if unit.in_list and lead_in is not None:
            context.append(lead_in * CARRY)
        carried.append(max([own, *context]))
        if unit.heading:
            heading = own
        elif not unit.in_list:
            lead_in = own if unit.text.endswith(":") else None
    return carried


_SEPARATOR = re.compile(r"\s*(?:[,;]|\s[–—]\s|\s-\s)\s*")
_INTRODUCED = re.compile(r":\s|\s[–—]\s|\b(?:among them|including|such as|the following)\b", re.I)


def _enumerates(text: str) -> bool:
    """A sentence naming several things: items after a colon, a dash or "among them" ("The top needs
    to do a small number of critical things well: establish ..., invest in ..., and ..."), items in
    semicolons, or items that open alike ("new ideas about ..., new ideas about ...")."""
    text = re.sub(r"\([^)]*\)", "", text)
    introduced = _INTRODUCED.search(text)
    if introduced and len([p for p in _SEPARATOR.split(text[introduced.end() :]) if p]) >= 2:
        return True
    if text.count(";") >= 2:
        return True
    parts = [re.sub(r"^(?:and|or)\s", "", p.lower()) for p in _SEPARATOR.split(text)]
    openings = [" ".join(p.split()[:2]) for p in parts if len(p.split()) >= 3]
    return len(openings) >= 3 and len(openings) - len(set(openings)) >= 1


def _counts(text: str, counted: str) -> bool:
    """A number in the text counts the thing: "1,340 students", "22 Grade 3 students", "a 14-point gain",
    "Enrolment: 412", "coaches (11.0 FTE)"; not a grade ("Grade 11 and 12 students"), a year, a share
    ("60% of its students"), money, or a span of time ("15 school days", "every two weeks to coach")."""
    for before in _LABELLED.findall(text):
        if terms(before)[-1:] == [counted]:
            return True
    words = _TOKEN.findall(text)
    for i, word in enumerate(words):
        if not _NUMBER.match(word) or _NOT_A_COUNT.search(word) or _graded(words, i):
            continue
        if counted in terms(word):  # "a 14-point gain"
            return True
        stems = [terms(w) for w in words[i + 1 : i + 6]]
        at = next((n for n, stem in enumerate(stems[:4]) if counted in stem), None)
        # and not a span of time before it or after it: "every two weeks to coach", "15 school days"
        if at is not None and not {t for stem in stems[: at + 2] for t in stem if t != counted} & _UNITS:
            return True
    return False


def _graded(words: list[str], i: int) -> bool:
    """The number at i is a grade: "Grade 3", "Grades 4 and 5", "Grade 11 and 12"."""
    grade = ("grade", "grades")
    return (i >= 1 and words[i - 1].lower() in grade) or (
        i >= 3 and words[i - 1].lower() in ("and", "or", "to") and words[i - 3].lower() in grade
    )


_LABELLED = re.compile(r"\b(\w+)\s*(?::|\()\s*\d")  # "Enrolment: 412", "coaches (11.0 FTE)"
_NOT_A_COUNT = re.compile(r"^(?:1[89]\d\d|20\d\d)\b|%|\$|^\d+(?:st|nd|rd|th)$")  # a year, a share, money
_UNITS = {"day", "week", "month", "year", "hour", "minut", "time", "term", "semest"}  # stems, as terms gives
_TOKEN = re.compile(r"[\w$%.,’'–-]+")  # "K–3" is one word, not a 3


def _role(word: str) -> str:
    """A role word as one: "leads", "led by" and "Lead" are "lead"."""
    stem = terms(word)[0]
    return "lead" if stem == "led" else stem


def _scrap(text: str) -> bool:
    """A few words the document broke off ("The …"): they say nothing."""
    return text.endswith(" …") and len(text.split()) < 5


def _introduces(before: Unit, unit: Unit) -> bool:
    """A bold lead before its definition, a FAQ's question before its answer, or a sentence before the one
    saying what it means ('... a term for it: "loose coupling." Put simply, this means ...')."""
    return (
        (_is_lead(before) and before.line == unit.line)
        or _asks(before)
        or (before.line == unit.line and bool(_THIS_MEANS.match(unit.text)))
    )


_THIS_MEANS = re.compile(
    r"^\W*(?:(?:put simply|simply put|in other words|that is|in short|in plain terms)\s*,\s*)?"
    r"(?:this|that|it)\s+(?:means|refers to)\b",
    re.I,
)


def _asks(unit: Unit) -> bool:
    """A question in the text (a FAQ's): it never answers, but says what the next line answers."""
    return unit.first_in_line and unit.text.rstrip("\"'”’*").endswith("?")


def _after_lead(found: list[Unit], index: int) -> bool:
    """A list item's sentence after its short lead ("Credit recovery. A student who ..."): it means
    little without it. A numbered paragraph's later sentences ("23) The point is ... The reason ...")
    stand on their own."""
    unit = found[index]
    if not unit.in_list or unit.first_in_line:
        return False
    first = next(i for i in range(index, -1, -1) if found[i].first_in_line)
    return _is_lead(found[first])


def _lead_in_of(found: list[Unit], index: int) -> int | None:
    """The lead-in a list item finishes ("Ms. Baptiste asked for:" before "- a second teacher, because
    ..."): an item in lower case means little without it."""
    unit = found[index]
    text = _LIST_MARKER.sub("", unit.text)
    if not (unit.in_list and unit.first_in_line and text[:1].islower()):
        return None
    before = next((i for i in range(index - 1, -1, -1) if not found[i].in_list), None)
    return before if before is not None and found[before].text.endswith(":") else None


def _leads_in(found: list[Unit], index: int) -> bool:
    """A list's lead-in: "we mean three things:", or a sentence the list finishes ("Hattie tells us
    that the critical change agents are" before "- Knowledge and skills")."""
    unit = found[index]
    after = found[index + 1] if index + 1 < len(found) else None
    return unit.text.endswith(":") or (
        not unit.in_list
        and not ENDS.search(unit.text)
        and after is not None
        and after.in_list
        and after.first_in_line
    )


def _continues(unit: Unit) -> bool:
    """A sentence that only makes sense after the one before it ("This means ...")."""
    return unit.text.split(" ", 1)[0].lower().strip("\"'“”,") in _CONTINUATIONS


def _is_lead(unit: Unit) -> bool:
    """A list item's short opening phrase, such as "Credit recovery." before its definition, or a
    paragraph's title-case one ("Tier 1: Learning Conversation. The principal, ...")."""
    words = _LIST_MARKER.sub("", unit.text).split()
    titled = len(words) >= 2 and all(w[0].isupper() or w[0].isdigit() for w in words)
    return (
        (unit.in_list or titled)
        and unit.first_in_line
        and len(words) <= 6
        and unit.text.rstrip("\"'”’*").endswith((".", ":"))
    )


def display(text: str, in_list: bool = False) -> str:
    """A unit as quoted: without a list marker (still a verbatim piece of the passage), and marked
    " …" where the document breaks off mid-sentence (a list item need not end in a stop)."""
    text = _LIST_MARKER.sub("", text)
    whole = in_list or ENDS.search(text) or text.endswith((":", ";")) or _FIELD.match(text)
    return text if whole else f"{text} …"


# a memo's or profile's "From: Dr. Amara Osei", a table row's "title: Foreword to Breakthrough; author: ..."
_FIELD = re.compile(r"[A-Z][\w '’-]{0,30}: \S|[a-z][\w '’-]{0,30}: [^;]+; [a-z][\w '’-]{0,30}: \S")
ENDS = re.compile(r"[.!?…][\"'”’)\]*]*$")  # a sentence's end, after any closing quote or bracket


def compose(
    question: str,
    kind: QuestionKind,
    vector: np.ndarray | None,
    passages: list[Passage],
    priors: list[float],
    idf: dict[str, float],
    document: Callable[[Passage], list[Passage]],
    schools_named: SchoolsNamed = lambda text: (),  # without district data no text names a school
) -> Composed:
    """Choose and order the sentences that answer; at most MAX_ANSWER_CHARS once cited.

    `schools_named` gives the district's schools a text names ("Riverbend" alone is the district, not
    Riverbend SS): a name, number or date is taken only where the schools the question names are
    named, and a school's own document (its title names it) is told from the district's.
    """
    named_in = cache(lambda text: frozenset(schools_named(text)))
    foreign: frozenset[int] = frozenset()  # the passages of other schools' documents than the one asked about
    about = list(schools_named(question))
    scorer = _Scorer(question, kind, vector, idf, about, [p.text for p in passages], named_in)
    # "Who picks the student success teachers, and how many are there?": the second part asks for another
    # kind of thing, and its best sentence joins the answer
    other = second_kind(question)
    second = (
        _Scorer(question, other, vector, idf, about, [p.text for p in passages], named_in)
        if other is not None and other.kind != kind.kind and other.kind in (WHO, NUMBER, WHEN, DEFINITION)
        else None
    )
    also: _Sentence | None = None
    units = [answer_units(p.text, p.location) for p in passages]
    scored: list[_Sentence] = []
    # whose profile, which plan: how much of the question each passage's document title holds
    titled = [TITLED * scorer.overlap(set(terms(p.title)), named=False) for p in passages]
    if kind.kind == DEFINITION and not about:
        titled = [t - ONE_SCHOOLS * bool(named_in(p.title)) for t, p in zip(titled, passages, strict=True)]
    elif about:  # "What targets did Riverbend SS agree to?": its own document says, before the plan's, and
        # another school's profile ("Secondary destination: Lakeshore SS") does not speak for it
        owned = [_own(about, named_in(p.title)) for p in passages]
        titled = [t + OWN_SCHOOL * own for t, own in zip(titled, owned, strict=True)]
        foreign = frozenset(hit for hit, own in enumerate(owned) if own < 0)
    if not scorer.about_document:  # a folder's index says what its files are, not what they say
        index = {p.source: _catalogues(p, document) for p in reversed(passages)}  # one look a document
        titled = [t - CATALOGUE * index[p.source] for t, p in zip(titled, passages, strict=True)]
    headed = [named_in(f"{p.title}\n{p.location}") for p in passages] if scorer.subjects else []
    lines = [p.text.split("\n") for p in passages]
    for hit, (passage, found) in enumerate(zip(passages, units, strict=True)):
        dense = scorer.dense(passage)
        if dense is not None and len(dense) != len(found):
            dense = None  # cut differently from when they were embedded: rank on words alone
        similarity = _in_context(found, dense) if dense is not None else [0.8 * priors[hit]] * len(found)
        for index, unit in enumerate(found):
            lead_of = found[index - 1] if index and _introduces(found[index - 1], unit) else None
            prior = 0.25 * priors[hit] + 0.08 / (hit + 1) + titled[hit]
            # a name, number or date not said of the school asked about gives nothing asked for:
            # Cedar Valley's principal, when asked for Willow Creek's
            said_of = not scorer.subjects or scorer.said_of(headed[hit] | named_in(lines[hit][unit.line]))
            score = scorer.score(unit, similarity[index], prior, lead_of, said_of=said_of)
            scored.append(_Sentence(hit, index, unit, score, scorer.fits(unit, lead_of) if said_of else 0.0))
            if second is not None and said_of and second.fits(unit, lead_of) >= 0.6:
                candidate = _Sentence(hit, index, unit, second.score(unit, similarity[index], prior, lead_of))
                also = candidate if also is None or candidate.score > also.score else also
    if not scored:
        return Composed([], passages)
    if scorer.subjects and max(s.fit for s in scored) < 0.6:  # nothing says it of the school asked about
        return Composed([], passages, unanswered=" and ".join(scorer.subjects))
    if kind.kind == LIST:
        listed = _list_answer(scorer, scored, units, passages, document)
        if listed is not None:
            return listed
    return _prose_answer(kind.kind, scored, units, list(passages), document, titled, foreign, also)


def _catalogues(passage: Passage, document: Callable[[Passage], list[Passage]]) -> bool:
    """Whether the passage's document is a folder's index: a row of it names a file."""
    return any(_CATALOGUE.match(line.strip()) for p in document(passage) for line in p.text.split("\n"))


def _own(about: Sequence[str], titled: Collection[str]) -> int:
    """1 for a document whose title names a school asked about, -1 for another school's, else 0."""
    if set(about) & set(titled):
        return 1
    return -1 if titled else 0


def _next_passage(passage: Passage, document: Callable[[Passage], list[Passage]]) -> Passage | None:
    return next((p for p in document(passage) if p.position == passage.position + 1), None)


def _prose_answer(
    kind: str,
    scored: list[_Sentence],
    units: list[list[Unit]],
    passages: list[Passage],
    document: Callable[[Passage], list[Passage]],
    titled: list[float],
    foreign: frozenset[int] = frozenset(),
    also: _Sentence | None = None,
) -> Composed:
    best = sorted(scored, key=lambda s: s.score, reverse=True)
    chosen: dict[tuple[int, int], str] = {}
    seen: set[str] = set()
    said: list[set[str]] = []  # the words of each sentence taken
    room = MAX_ANSWER_CHARS

    def take(hit: int, index: int, *, cut: bool = False) -> bool:
        nonlocal room
        text = display(units[hit][index].text, units[hit][index].in_list)
        key = " ".join(text.lower().split())
        words = set(terms(text))
        if (hit, index) in chosen or key in seen or _scrap(text) or any(_repeats(words, w) for w in said):
            return True
        if cut and len(text) + 5 > room:  # one very long sentence: cut it at a word boundary
            text = text[: room - 10].rsplit(" ", 1)[0] + " …"
        if len(text) + 5 > room:
            return False
        chosen[(hit, index)] = text
        seen.add(key)
        said.append(words)
        room -= len(text) + 5  # the space and the "[n]" marker
        return True

    # of the sentences nearly as strong as the best, the one that holds what was asked for leads
    top = best[0].score

    def near(s: _Sentence) -> bool:  # within RIVAL of the best score, whatever its sign
        return s.score >= top - abs(top) * (1 - RIVAL)

    # (a sentence naming several things is a weaker sign of an answer than a name or a number: it adds
    # to the score only)
    anchor = max((s for s in best if near(s)), key=lambda s: (s.fit if kind != LIST else 0, s.score))
    best.remove(anchor)
    best.insert(0, anchor)
    score_of = {(s.hit, s.index): s.score for s in scored}
    line = units[anchor.hit]
    first = anchor.index
    head = line[first].text.split(" ", 1)[0].lower().strip("\"'“”,")
    if (
        first
        and (head in _CONTINUATIONS or _is_lead(line[first - 1]) or _THIS_MEANS.match(line[first].text))
        and not line[first - 1].heading
    ):
        first -= 1
    if (lead := _lead_in_of(line, anchor.index)) is not None:
        take(anchor.hit, lead)
    for index in range(first, anchor.index + 1):
        take(anchor.hit, index, cut=True)
    # what follows the anchor: an answer usually goes on past the sentence that names it, sometimes
    # into the document's next passage
    # a question asking for a name, a number or a definition that the best sentence gives: the rest of
    # its paragraph may follow, and other sentences only if they give one too
    typed = anchor.fit >= 0.6 and FIT_WEIGHT[kind] > 0.1
    # asked for a name, number, date or definition the best sentence does not give: a sentence that
    # gives none either joins only if nearly as strong
    unsure = not typed and kind in (WHO, NUMBER, WHEN, DEFINITION)

    def joins(s: _Sentence) -> bool:
        return not (
            (unsure and s.fit < 0.6 and s.score < anchor.score * UNSURE_FLOOR)
            or s.unit.heading
            or _asks(s.unit)
            or _REPLY.match(s.unit.text)  # a FAQ's "No. ..." means nothing without its question
            or _after_lead(units[s.hit], s.index)
            # "This would cost about $38,000 a year" means nothing without the sentence before it
            or (_continues(s.unit) and s.index and (s.hit, s.index - 1) not in chosen)
            or (typed and s.fit < anchor.fit)  # a name and role is joined by names with roles
            # the question names the best sentence's document ("Maple PS"): not another school's principal
            or (typed and titled[s.hit] < titled[anchor.hit])
            # nor, beside it, what another school's profile says of itself
            or (s.hit in foreign and anchor.hit not in foreign)
        )

    ran_on: list[tuple[int, int]] = []  # the passages an answer ran on into, each with the one before it

    def run_on(hit: int) -> int | None:
        """The document's next passage after this one (found or not), as an index: None at its end."""
        after = _next_passage(passages[hit], document)
        if after is None:
            return None
        if after not in passages:
            passages.append(after)
            units.append(answer_units(after.text, after.location))
        ran_on.append((passages.index(after), hit))
        return passages.index(after)

    def take_led(s: _Sentence) -> bool:
        """Take a sentence, after its list's lead-in if the item finishes the lead-in's sentence."""
        lead = _lead_in_of(units[s.hit], s.index)
        return (lead is None or take(s.hit, lead)) and take(s.hit, s.index)

    def with_list(hit: int, index: int) -> None:
        """A sentence taken that leads in to a list ("... for them:") brings the list, even from the
        next passage."""
        if not _leads_in(units[hit], index):
            return
        line = None
        while True:
            index += 1
            if index >= len(units[hit]):
                # a list's items may go on in the next passage (a heading there ends it)
                if (following := run_on(hit)) is None:
                    return
                hit, index = following, -1
                continue
            unit = units[hit][index]
            if not unit.in_list or unit.heading:
                return
            if (unit.first_in_line or unit.line == line) and not take(hit, index):
                return
            line = unit.line

    # what the question's second part asks for ("..., and how many are there?") comes next
    if also is not None and (also.hit, also.index) not in chosen:
        take_led(also)
    # a sentence nearly as strong as the best comes before what merely follows the best
    for s in best[1:]:
        if not near(s):
            break
        if joins(s) and take_led(s):
            with_list(s.hit, s.index)
    hit, index = anchor.hit, anchor.index + 1
    last = (anchor.hit, units[anchor.hit][anchor.index].line)  # the line of the sentence taken last
    lead_in = _leads_in(units[anchor.hit], anchor.index)  # the sentence taken last leads in to a list
    in_list = False  # the answer is in the list a lead-in introduced
    while room >= MAX_ANSWER_CHARS * WINDOW_LEFT:
        if index >= len(units[hit]):
            if (following := run_on(hit)) is None:
                break
            hit, index = following, 0
            # a list does not run on into the next passage's; a lead-in that ends its passage does
            in_list = False
            continue
        unit = units[hit][index]
        if _asks(unit):  # the next question of a FAQ
            break
        # the rest of the paragraph or list item the answer has reached goes with it
        same_line = (hit, unit.line) == last
        if unit.heading or (unit.in_list and not unit.first_in_line and not same_line):
            index += 1
            continue
        relevant = score_of.get((hit, index), 0.0) >= anchor.score * WINDOW_FLOOR
        # "we mean three crucial things:": the list that follows is the answer
        listed = (lead_in and (unit.in_list or (hit, unit.line) != last)) or (in_list and unit.in_list)
        if not (same_line or listed or _continues(unit) or (not typed and relevant)) or not take(hit, index):
            break
        in_list = (lead_in or in_list) and unit.in_list
        lead_in = _leads_in(units[hit], index)
        last = (hit, unit.line)
        index += 1
    # then the other sentences that answer well, while they are strong and there is room
    floor = anchor.score * (TYPED_FLOOR if typed else OTHERS_FLOOR)
    for s in best[1:]:
        if s.score < floor or room < 80:
            break
        if joins(s) and take_led(s):
            with_list(s.hit, s.index)
    lead = (anchor.hit, chosen[(anchor.hit, anchor.index)]) if (anchor.hit, anchor.index) in chosen else None
    order = _in_order(chosen, best, ran_on)
    listed = [n for n, (hit, index) in enumerate(order) if units[hit][index].in_list]
    return Composed(
        [(hit, chosen[(hit, index)]) for hit, index in order],
        passages,
        best=lead,
        items=frozenset(n for n in listed if units[order[n][0]][order[n][1]].first_in_line),
        listed=frozenset(listed),
    )


def _repeats(words: set[str], taken: set[str]) -> bool:
    """A sentence that says what one already taken says: no word of its own, or one word that is not a
    number ("The agreed targets are signed off by June 15." after "Targets are signed off by June 15.")."""
    own = words - taken
    return bool(words) and (not own or (len(own) == 1 and not next(iter(own)).isdigit() and len(words) >= 4))


def _in_order(
    chosen: dict[tuple[int, int], str], best: list[_Sentence], ran_on: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Passages in the order their best sentence ranks; sentences in document order within each; the
    passages the answer ran on into come right after the one it ran on from."""
    rank: dict[int, float] = {}
    for s in best:
        rank.setdefault(s.hit, len(rank))
    for n, (hit, before) in enumerate(ran_on, 1):
        rank[hit] = rank[before] + n / 1000
    return sorted(chosen, key=lambda k: (rank[k[0]], k[1]))


def _list_answer(scorer: _Scorer, scored, units, passages, document) -> Composed | None:
    """The items of the list that best answers, each with what follows it on its line."""
    by_key = {(s.hit, s.index): s for s in scored}
    groups: list[tuple[float, list[tuple[int, int]]]] = []
    # lists inside a passage: runs of list items, each item's first sentence
    for hit, found in enumerate(units):
        run: list[tuple[int, int]] = []
        for index, unit in enumerate([*found, None]):
            if unit is not None and unit.in_list and unit.first_in_line:
                run.append((hit, index))
                continue
            if len(run) >= 2:
                items = sum(by_key[k].score for k in run) / len(run)
                before = (hit, run[0][1] - 1)
                if run[0][1] and (found[before[1]].text.endswith(":") or found[before[1]].heading):
                    # the lead-in or heading says what the list is: its items inherit from it
                    items = max((items + by_key[before].score) / 2, by_key[before].score * CARRY)
                groups.append((items, list(run)))
            run = []
    # numbered sections of a document ("1. Literacy", "2. Numeracy", ...), each its own passage
    want = scorer.kind.count
    for rank, source in enumerate(dict.fromkeys(p.source for p in passages[:5])):
        passage = next(p for p in passages if p.source == source)
        heads = [
            p for p in document(passage)
            if p.location and _NUMBERED.match(p.location) and p.text.startswith(p.location)
        ]  # fmt: skip
        heads = list({p.location: p for p in reversed(heads)}.values())[::-1]  # first chunk of each
        if len(heads) >= 2 and (len(heads) == want or (want is None and rank < 2)):
            return Composed([(i, p.location) for i, p in enumerate(heads)], heads, as_list=True)
    if not groups:
        return None
    score, keys = max(groups, key=lambda g: (want is None or len(g[1]) == want, g[0]))
    if (want is None or len(keys) != want) and score < max(s.score for s in scored) * 0.7:
        return None
    parts: list[tuple[int, str]] = []
    room = MAX_ANSWER_CHARS
    hit = keys[0][0]
    found = units[hit]
    lead_in = keys[0][1] - 1
    if lead_in >= 0 and not found[lead_in].in_list and found[lead_in].text.endswith(":"):
        parts.append((hit, found[lead_in].text))
        room -= len(found[lead_in].text) + 1
    for _, index in keys:
        item = display(found[index].text, True)
        if _is_lead(found[index]) and index + 1 < len(found) and found[index + 1].line == found[index].line:
            item = f"{item} {found[index + 1].text}"
            if item not in passages[hit].text:  # joined across a gap the passage does not have
                item = display(found[index].text, True)
        if len(item) + 5 > room:
            break
        parts.append((hit, item))
        room -= len(item) + 1
    return Composed(parts, passages, as_list=True)
