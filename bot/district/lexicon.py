"""The district's own vocabulary, read from its files once a load: what its measures, student groups, schools,
principals, levels and clusters are called, and how a question names them.

A measure is called what [[measures]] says, else what its targets' labels say ("Grade 4 reading at grade
level (%)" -> "Grade 4 reading"), else a readable form of its key as the last resort; its grade and subject
come from the same places and are matched with the general words of `bot.district.vocabulary` ("third grade
literacy" is the Grade 3 English language arts measure). A school is named by its full name, its name
without the words that say what kind of school it is ("Prairie Wind" for Prairie Wind Elementary, unless
that is also the district's, a cluster's or a level's name), that name with its level ("Harbor High"),
its initials in capitals where no other school has them ("PWE"), its id, or its principal ("Nilsson's
school").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.district.vocabulary import (
    BROADER,
    LEVELS,
    PEOPLE,
    SCHOOL,
    SUBJECTS,
    TYPE_WORDS,
    Measure,
    Token,
    asked_in,
    grades_at,
    level_of,
    level_phrases,
    levels_at,
    measures_of,
    phrase,
    readable_key,
    subjects_at,
    tokens,
)
from bot.knowledge.question import Names
from bot.knowledge.text import STOPWORDS

if TYPE_CHECKING:
    from bot.district.config import DistrictConfig
    from bot.district.model import School

_AREA = ("cluster", "clusters", "region", "area", "zone", "network", "family")  # after a cluster's name
# general names for the same students, whatever a district calls them: a group named by one is named by all
_SAME_STUDENTS = (
    ("english learners", "english language learners", "ell", "ells", "el", "els", "esl", "multilingual learners",
     "mll", "mlls", "emergent bilinguals"),
    ("students with disabilities", "swd", "special education", "special needs", "iep"),
)  # fmt: skip


class Lexicon:
    """A district's names, and `read`: what a text names of them."""

    def __init__(self, district: str, measures: dict[str, Measure], groups: dict[str, str],
                 schools: dict[str, School]) -> None:  # fmt: skip
        self.district = district
        self.measures = measures
        self.groups = groups
        self.schools = schools
        self.levels = {sid: level_of(s.level) for sid, s in schools.items()}
        self._own_levels = {
            phrase(s.level): self.levels[sid] for sid, s in schools.items() if s.level.strip()
        }
        self._level_words = level_phrases(self._own_levels)
        self._clusters = {phrase(s.cluster): s.cluster.strip() for s in schools.values() if s.cluster.strip()}
        self._names: dict[tuple[str, ...], set[tuple[str, str]]] = {}
        self._initials: dict[str, set[tuple[str, str]]] = {}
        self._suffix: dict[str, str] = {}  # a school's name's closing abbreviation: "ES", "HS"
        self._index()

    @classmethod
    def build(
        cls, config: DistrictConfig, schools: Iterable[School], held: Iterable[tuple[str, str]]
    ) -> Lexicon:
        """From the district file, schools.csv and the (measure, group) pairs results.csv holds."""
        held = set(held)
        measures, group_labels = measures_of(config, held)
        groups = {g: config.groups.get(g) or group_labels.get(g) or (g.upper() if len(g) <= 4 else g.replace("_", " "))
                  for g in sorted({g for _, g in held} | set(group_labels) | set(config.groups)) if g != "all"}  # fmt: skip
        return cls(config.name, measures, groups, {s.school_id: s for s in schools})

    # -- names ----------------------------------------------------------------------------------------
    def measure_name(self, key: str) -> str:
        """What a measure is called."""
        return self.measures[key].name if key in self.measures else readable_key(key)

    def group_name(self, key: str) -> str:
        """What a student group is called ("all" is every student)."""
        return "all students" if key == "all" else self.groups.get(key, key)

    def graded(self) -> tuple[str, ...]:
        """The measures with a grade: the on-the-move measures when the district file names none."""
        return tuple(k for k, m in self.measures.items() if m.grade)

    # -- the index a text is read with ----------------------------------------------------------------
    def _add(self, words: tuple[str, ...], kind: str, value: str) -> None:
        if words:
            self._names.setdefault(words, set()).add((kind, value))

    def _index(self) -> None:
        district = set(phrase(self.district))
        apart = set(self._clusters) | {phrase(w) for names in LEVELS.values() for w in names}
        apart |= {phrase(w) for words in SUBJECTS.values() for w in words} | set(self._own_levels)
        surnames: dict[str, set[str]] = {}
        for sid, school in self.schools.items():
            full = phrase(school.name)
            self._add(full, "school", sid)
            if re.search(r"\d", sid) and len(sid) >= 3:
                self._add((sid.lower(),), "school", sid)
            words = school.name.split()
            if len(words) > 1 and re.fullmatch(r"[A-Z]{2,4}", words[-1].replace(".", "")):
                self._suffix[sid] = words[-1].replace(".", "")
            short = _short(full, self._suffix.get(sid))
            if short and short != full:
                alone = not (set(short) <= district or short in apart or set(short) <= STOPWORDS)
                self._add(short, "short" if alone else "short-typed", sid)
            initials = "".join(w if w.isupper() and len(w) > 1 else w[0].upper() for w in words
                               if w[0].isupper() or w.isupper())  # fmt: skip
            if len(initials) >= 3:
                self._initials.setdefault(initials, set()).add(("school", sid))
            person = phrase(school.principal)
            if person:
                self._add(person, "person", sid)
                surnames.setdefault(person[-1], set()).add(sid)
                surnames.setdefault(f"first:{person[0]}", set()).add(sid)
        for word, sids in surnames.items():
            if len(sids) == 1 and (word.split(":")[-1],) not in self._names:
                self._add(
                    (word.split(":")[-1],),
                    "first" if word.startswith("first:") else "person",
                    next(iter(sids)),
                )
        for words, cluster in self._clusters.items():
            self._add(words, "cluster", cluster)
        for key, measure in self.measures.items():
            for name in (measure.name, *measure.aliases):
                self._add(phrase(name), "measure", key)
        for key, name in self.groups.items():
            self._group_names(key, name)
        self._initials = {k: v for k, v in self._initials.items() if len(v) == 1}
        self._longest = max(map(len, self._names), default=1)

    def _group_names(self, key: str, name: str) -> None:
        words = phrase(name)
        self._add(words, "group", key)
        plain = tuple(w for w in words if w not in PEOPLE)
        while plain and plain[0] in STOPWORDS:
            plain = plain[1:]
        if plain and not subjects_at(tokens(" ".join(plain))) and not set(plain) <= STOPWORDS:
            self._add(plain, "group", key)  # "emergent bilingual", and "emergent bilinguals"
            self._add(
                (*plain[:-1], plain[-1][:-1] if plain[-1].endswith("s") else plain[-1] + "s"), "group", key
            )
        if len(key) >= 2 and key not in STOPWORDS and not subjects_at(tokens(key)):
            self._add((key,), "group", key)
            self._add((key + "s",), "group", key)
        for same in _SAME_STUDENTS:
            if " ".join(words) in same or " ".join(plain) in same:
                for other in same:
                    self._add(phrase(other), "group", key)
        for kept in ([w for w in name.split()], [w for w in name.split() if w.lower() not in STOPWORDS],
                     [w for w in name.split() if w.lower() not in STOPWORDS and w.lower() not in PEOPLE]):  # fmt: skip
            initials = "".join(w[0].upper() for w in kept if w[0].isalpha())
            if len(initials) >= 2:
                self._initials.setdefault(initials, set()).add(("group", key))

    # -- reading a text -------------------------------------------------------------------------------
    def read(self, text: str) -> Names:
        """What a text names of the district: schools, people, measures, groups, years, levels, clusters,
        and what it asks of the results."""
        words = tokens(text)
        found, used = self._matches(words, text)
        free = [w if i not in used else Token("", "", w.start, w.end) for i, w in enumerate(words)]
        by_kind: dict[str, list[str]] = {}
        for _, kind, value in sorted(found):
            by_kind.setdefault(kind, [])
            if value not in by_kind[kind]:
                by_kind[kind].append(value)
        named = by_kind.get("measure", [])
        measures = named + [m for m in self._inferred(free, words, named) if m not in named]
        levels = list(dict.fromkeys(level for _, _, level in levels_at(free, self._level_words)))
        asked = asked_in(free)
        years = [int(w.low) for w in words if re.fullmatch(r"(?:19|20)\d\d", w.low)]
        since = _since(words, asked, years)
        said = used | {i for ask in asked.values() for i in ask}
        for start, end, _ in [*grades_at(words), *subjects_at(free), *levels_at(free, self._level_words)]:
            said.update(range(start, end))
        other = [
            w.low
            for i, w in enumerate(words)
            if i not in said and w.low not in STOPWORDS and not w.low.isdigit()
        ]
        return Names(
            schools=tuple(by_kind.get("school", [])),
            people=tuple(self.schools[sid].principal for sid in by_kind.get("person", [])),
            measures=tuple(measures),
            subjects=tuple(
                dict.fromkeys(
                    [
                        *(s for _, _, s in subjects_at(free)),
                        *(s for m in named for s in sorted(self.measures[m].subjects)),
                    ]
                )
            ),
            groups=tuple(by_kind.get("group", [])),
            years=tuple(dict.fromkeys(years)),
            levels=tuple(levels),
            clusters=tuple(by_kind.get("cluster", [])),
            since=since,
            asked=frozenset(asked),
            shared=tuple(by_kind.get("shared", [])),
            unknown=None if by_kind.get("school") or by_kind.get("shared") else self._unknown(free, text),
            other=tuple(other),
        )

    def school_names(self, text: str) -> list[str]:
        """The names of the schools a text names ("Prairie Wind" -> "Prairie Wind Elementary")."""
        found, _ = self._matches(tokens(text), text)
        ids = [value for _, kind, value in sorted(found) if kind == "school"]
        return [self.schools[sid].name for sid in dict.fromkeys(ids)]

    def _matches(self, words: list[Token], text: str) -> tuple[list[tuple[int, str, str]], set[int]]:
        """(position, kind, value) for each name a text uses, longest first, and the token positions used."""
        lows = [w.low for w in words]
        found: list[tuple[int, str, str]] = []
        used: set[int] = set()
        their = bool(re.search(r"\b(?:his|her|their) school\b", text, re.I))
        i = 0
        while i < len(words):
            if (hit := self._initials.get(words[i].text)) and not words[i].joined:
                (kind, value) = next(iter(hit))
                found.append((i, kind, value))
                used.add(i)
                i += 1
                continue
            for size in range(min(self._longest, len(words) - i), 0, -1):
                entries = self._names.get(tuple(lows[i : i + size]))
                if not entries or words[i].joined:
                    continue
                end = self._take(words, i, size, entries, found, their)
                if end:
                    used.update(range(i, end))
                    i = end - 1
                    break
            i += 1
        return found, used

    def _take(self, words, i, size, entries, found, their) -> int:
        """Record what the words at i..i+size name (with any level or kind of school after a school's
        short name); the end of what was used, or 0 when they name nothing here."""
        last = words[i + size - 1]
        capital = words[i].text[:1].isupper()
        kinds = {kind for kind, _ in entries}
        if "school" in kinds or "measure" in kinds or "group" in kinds:
            kind = "school" if "school" in kinds else "measure" if "measure" in kinds else "group"
            found += [(i, kind, v) for k, v in sorted(entries) if k == kind]
            return i + size
        if kinds & {"short", "short-typed"}:
            sids = sorted(v for k, v in entries if k in ("short", "short-typed"))
            end, sids, typed = self._kind_after(words, i + size, sids)
            if typed and not sids:
                return 0  # "Jefferson High" where the district's Jefferson is elementary: another school
            if len(sids) == 1 and (typed or "short" in kinds):
                found.append((i, "school", sids[0]))
                return end
            if len(sids) > 1 and "short" in kinds:
                found += [(i, "shared", s) for s in sids]
                return end
        if kinds & {"person", "first"} and (capital or size > 1) and ("person" in kinds or last.owner):
            sid = sorted(v for k, v in entries if k in ("person", "first"))[0]
            found.append((i, "person", sid))
            if last.owner or (their and size > 1):
                found.append((i, "school", sid))
            return i + size
        area = i + size < len(words) and words[i + size].low in _AREA
        if "cluster" in kinds and (capital or area):
            found.append((i, "cluster", next(v for k, v in entries if k == "cluster")))
            return i + size + area
        return 0

    def _kind_after(self, words: list[Token], start: int, sids: list[str]) -> tuple[int, list[str], bool]:
        """The words after a school's short name that say what kind of school it is ("High", "Public
        School", "P.S."): where they end, the schools they fit (none: another school), whether there were any."""
        end = start
        while (
            end < len(words)
            and (words[end].low in TYPE_WORDS or len(words[end].low) == 1)
            and end - start < 3
        ):
            end += 1
        typed = any(w.low in TYPE_WORDS for w in words[start:end])
        while end > start:
            said = words[start:end]
            level = level_of(" ".join(w.low for w in said if w.low not in SCHOOL))
            initials = "".join(w.text[0].upper() for w in said)
            fits = [s for s in sids if self._suffix.get(s) == initials or self.levels[s] == level
                    or {w.low for w in said} <= set(phrase(self.schools[s].name)) | set(SCHOOL)]  # fmt: skip
            if fits:
                return end, fits, True
            end -= 1
        return start, [] if typed else sids, typed

    def _inferred(self, free: list[Token], words: list[Token], named: list[str]) -> list[str]:
        """The measures a text names by grade and subject ("third grade literacy", "Grade 8 math", "reading"
        alone: every reading measure), when it does not use their names (whose grades count)."""
        grades = {g for _, _, g in grades_at(words)}
        subjects = [s for _, _, s in subjects_at(free)]
        pool = list(self.measures.values())
        found: list[Measure] = []
        for subject in dict.fromkeys(subjects):
            about = [m for m in pool if subject in m.subjects]
            about = about or [m for m in pool if any(BROADER.get(s) == subject for s in m.subjects)]
            found += [m for m in about if not grades or m.grade in grades]
        if not subjects and grades and not named:
            found = [m for m in pool if m.grade in grades]
        return [m.key for m in found]

    def _unknown(self, free: list[Token], text: str) -> str | None:
        """A school's name the district does not have: capitalised words closed by a word that says what
        kind of school it is ("Oak Hollow ES", "Oak Hollow Elementary School")."""
        closing = set(self._suffix.values())
        run: list[Token] = []
        for word in [*free, Token("", "", len(text), len(text))]:
            if word.text[:1].isupper() and word.low not in STOPWORDS:
                run.append(word)
                continue
            typed = [w for w in run if w.low in TYPE_WORDS or w.text in closing]
            if typed and run[0] not in typed and run[-1] in typed:
                return text[run[0].start : run[-1].end]
            run = []
        return None


def _short(full: tuple[str, ...], suffix: str | None) -> tuple[str, ...]:
    """A school's name without the words that say what kind of school it is."""
    words = list(full)
    if suffix and words and words[-1].replace(".", "").upper() == suffix:
        words.pop()
    while words and words[-1] in TYPE_WORDS:
        words.pop()
    while words and words[0] in TYPE_WORDS:
        words.pop(0)
    return tuple(words)


def _since(words: list[Token], asked: dict[str, list[int]], years: list[int]) -> int | None:
    """The year a change is asked from: "since 2021", "between 2022 and 2025", "from 2022 to 2025"."""
    for i in asked.get("since", []):
        year = next((int(w.low) for w in words[i + 1 : i + 4] if re.fullmatch(r"(?:19|20)\d\d", w.low)), None)
        if year:
            return year
    for i in asked.get("between", []):
        after = [int(w.low) for w in words[i + 1 : i + 5] if re.fullmatch(r"(?:19|20)\d\d", w.low)]
        if len(after) == 2:
            return min(after)
    return None
