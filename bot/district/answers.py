"""Questions about the district's results, answered from the results store and cited to the data card.

"How is Maple PS doing in Grade 6 math?", "What was the graduation rate in 2025?" and "Which schools are
coasting?" get the value asked for, its trend and its status against the target, computed as the
digest computes them, instead of whichever card sentences resemble the question. Questions about
people, practices or plans at a school ("Who is the principal of Maple PS?") are not data questions:
the documents answer them, and the cards are kept out of their way.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.district.cards import (
    beside_district,
    gap_sentence,
    group_label,
    listed,
    measure_name,
    school_lines,
    standing_lines,
)
from bot.district.progress import STATUS_LABELS, Series, gap, status_of
from bot.district.service import District, NotLoaded
from bot.knowledge.index import Hit
from bot.knowledge.text import split_sentences, terms
from bot.knowledge.vectors import Passage

_GRADE = re.compile(r"\b(?:grade|gr\.?|g)\s*-?\s*(\d{1,2}|three|six)\b", re.I)
_GRADE_WORDS = {"three": "3", "six": "6"}
_SUBJECTS = {
    "reading": r"read\w*|literacy", "math": r"math\w*|numeracy", "writing": r"writ\w*",
    "graduation": r"graduat\w*|grad rates?",
}  # fmt: skip
_YEAR = re.compile(r"\b(20\d\d)\b")
# "How much has it gone up since 2021?", "since the 2022 baseline", "between 2022 and 2025": the change
# from that year
_SINCE = re.compile(
    r"\bsince\s+(?:the\s+|our\s+)?(20\d\d)\b|\b(?:between|from)\s+(20\d\d)\s+(?:and|to|until|through)\s+(20\d\d)\b",
    re.I,
)  # "from 2023" alone asks for that year's results
_RESULTS = re.compile(
    r"\b(?:results?|scores?|rates?|percent\w*|doing|perform\w*|improv\w*|trend\w*|targets?|goals?|on track|"
    r"behind|at risk|off track|progress\w*|standard|achievement|data(?!\s+walls?)|numbers?|values?|rose|fell|went|moved|moving|change\w*|"
    r"stack\w* up|measur\w* up|versus|vs|against the district|above|below|ahead of|"
    # how a result moved: "Did Brookside PS slip in Grade 6 math?"
    r"slip\w*|slid\w*|dip\w*|drop\w*|declin\w*|falling|fallen|falls|climb\w*|gain\w*|gr[eo]w\w*|increas\w*|"
    r"decreas\w*|jump\w*|worse|better|(?:go|goes|gone|going)\s+(?:up|down)|"
    r"how (?:well|much|many|far)|compare\w*)\b|%",
    re.I,
)
# what a plan or memo is about, not a result: "How much did the memo request for numeracy coaches?"
_DOCUMENT_TOPIC = re.compile(
    r"\b(?:budget\w*|costs?|fund\w*|spend\w*|money|dollars?|request\w*|memo|coach\w*|staff\w*|FTE|hir\w+|"
    r"strateg\w*|practices?|networks?|lead(?:s|er|ers)?|meetings?|plans?)\b|\$",
    re.I,
)
# "do" as a result: "How did Juniper PS do in Grade 6 reading?", "How did they do?" (not "How do they do
# credit rescue ...?", which asks how a practice works)
_DO_WELL = (
    r"do(?=\s*(?:[?.!,]|$)|\s+(?:in|on|at|this|last|so|overall|against|compared|relative|since|from|across|"
    r"between|during|over)\b)"
)
# "How did Juniper PS do in Grade 6 reading?", "How is Maple PS going in math?"
_HOW_IT_DID = re.compile(
    rf"\bhow (?:is|are|was|were|did|does|do|has|have)\b.*\b(?:{_DO_WELL}|(?:fare[sd]?|go|going|gone)\b"
    r"(?!\s+(?:about|for|to|into|through|over|with)\b))",
    re.I,
)
# with a measure named: "Where is Cedar Grove PS at in Grade 6 writing?" (not "Where do students go for
# help?", "Where is the data wall?")
_WHERE = re.compile(
    r"\bwhere (?:is|are|was|were|does|do)\b(?!.*\b(?:go|goes|get|find|kept|keep|walls?|room|office)\b)", re.I
)
_GAP = re.compile(r"\bgaps?\b", re.I)  # with a student group named: "the gap for multilingual learners"
# "the idea behind the problem wall" asks why, not how far behind
_RATIONALE = re.compile(
    r"\b(?:idea|ideas|thinking|reason|reasons|logic|rationale|story|principle|research|team|people)\s+behind\b",
    re.I,
)
_TARGETS = re.compile(r"\b(?:targets?|goals?)\b", re.I)
# "since the plan started": the change from the target's baseline year
_SINCE_PLAN = re.compile(r"\bsince the (?:plan|baseline)\b(?:\s+(?:started|began|began|was adopted))?", re.I)
# "How soon after ...?", "When do teachers enter ...?": a time, which the documents give, not a result
_TIMING = re.compile(r"^\s*(?:when|how soon|how long|how often|by when|what day|what time)\b", re.I)
# a result named, or its trajectory: "where's district Grade 6 math vs where the plan said we'd be?"
_MEASURED = re.compile(
    r"\b(?:results?|scores?|rates?|percent\w*|standard|on track|at risk|off track|trajector\w*)\b|%|"
    r"\bwhere (?:the plan|we) (?:said|expected|wanted|hoped)\b",
    re.I,
)
_PRACTICE = re.compile(r"\bdoing (?:about|to|for|with|differently)\b|\bwhat does .* do\b", re.I)
# "How does Maple PS keep its data wall up to date?" asks how it works, unlike "How did Maple PS do in
# reading?", "How does Westfield SS compare with the district?" or "How does its graduation rate stand?"
_HOW_PRACTICE = re.compile(
    rf"^\s*how (?:do|does|did)\b(?!.*\b(?:{_DO_WELL}|doing|perform\w*|compar\w*|fare\w*|rank\w*|score\w*|stack\w*|"
    r"improv\w*|progress\w*|chang\w*|grow\w*|gain\w*|rise|rose|fall|fell|drop\w*|declin\w*|measure\w*|"
    r"stand\w*|look\w*|go|goes|went)\b)",
    re.I,
)
# "... against the district's?", "compared with the district('s average)": its value beside the school's
# "Lakeshore's grad rate looks like it's slipping - what's the trend?": each year's value, as the card gives it
_BY_YEAR = re.compile(
    r"\btrends?\b|\bover (?:the|these) (?:years|last)\b|\byear (?:by|on|over) year\b|\bhistory\b", re.I
)
_BESIDE_DISTRICT = re.compile(r"\bdistrict(?:['’]s)?\b|\baverage\b", re.I)
# "Who is the principal of Willow Creek?": the school's list says, when it gives principals
_PRINCIPAL_ASKED = re.compile(r"^\s*who(?:['’]s|\s+is|\s+was)?\s+(?:the\s+)?principal\b(?!s)", re.I)
_NOT_DATA = re.compile(r"^\s*(?:who|whom|whose)\b|\bwhy\b", re.I)  # people and reasons: the documents say
# but "who's bottom of the pile in Grade 3 math?" asks which school stands where
_WHO_STANDS = re.compile(
    r"^\s*who(?:['’]s|\s+is|\s+are)?\s+(?:at\s+the\s+)?(?:bottom|top|lowest|highest|best|worst|behind|ahead|"
    r"strongest|weakest|off track|on track|at risk)\b",
    re.I,
)
# a school as a question names one: "Oak Hill PS", "Westfield Secondary School"
_SCHOOL_LIKE = re.compile(
    r"\b((?:[A-Z][\w'’.-]*\s+){1,4}(?:PS|SS|P\.S\.|S\.S\.|Public School|Secondary School|Elementary School))"
    r"(?![\w.])"
)
_NOT_A_NAME = {"how", "is", "are", "was", "what", "which", "does", "did", "do", "has", "and", "at", "in", "for"}  # fmt: skip
_HOW_MANY = re.compile(r"\bhow (?:many|much)\b", re.I)
_COASTING = re.compile(r"\bcoast\w*\b", re.I)
# "Which schools are coasting?" asks for the list; "What support can a coasting school get?" and "What is a
# School on the Move?" ask what the documents say
_LIST_ASKED = re.compile(r"\b(?:which|list|name|how many|any)\b|\bwhat schools\b", re.I)
# "Which measures count for a School on the Move?" asks about the idea, not which schools
_WHICH_ELSE = re.compile(
    r"\b(?:which|what)\s+(?:measures?|criteria|results?|subjects?|grades?|requirements?|rules?|conditions?|"
    r"kinds?|steps?|things?)\b",
    re.I,
)
# "How many families came to the math night?" counts what the results do not hold; points do
_HOW_MANY_ELSE = re.compile(r"\bhow many\s+(?!points?\b|percent|percentage)", re.I)
_ABOUT_IT = re.compile(
    r"\b(?:support|help|strateg\w*|means?|meaning|defin\w*|why|how|criteria|bar|qualif\w*|count as|requir\w*)\b|"
    r"^\s*what (?:is|are)\b",
    re.I,
)
_ON_THE_MOVE = re.compile(r"\bon the move\b", re.I)
# "How many schools does Riverbend have?", "Which schools are in the South cluster?", "List the secondary
# schools": the district's schools, counted or named, when nothing else is asked of them
_SCHOOLS_ASKED = re.compile(
    r"^\s*(?P<ask>how many|which|what(?:\s+are)?|list|name)\s+(?P<before>(?:[\w'’]+\s+){0,5}?)schools\b"
    r"(?P<rest>[^?.!]*)[?.!]?\s*$",
    re.I,
)  # "Which North cluster schools are there?": a cluster or a level may come before "schools" too
_LEVEL = re.compile(r"\b(elementary|primary|secondary|high)\b", re.I)
_LEVEL_WORDS = {"primary": "elementary", "high": "secondary"}
# "Which schools are on track in Grade 3 reading?", "What school has the lowest graduation rate?"
# "Which of our high schools ...?", "which elementaries ...?"
_WHICH_SCHOOLS = re.compile(
    r"\b(?:which|what)\s+(?:of\s+(?:our|the)\s+)?(?:(?:(?:elementary|secondary|primary|high)\s+)?schools?\b(?!['’])|"
    r"elementaries|secondaries|primaries)\b|\blist\b.*\bschools\b",
    re.I,
)
# what the card's lists by status do not tell: a year, a cluster or level, the district's value, a change
_STANDING_ELSE = re.compile(
    r"\b20\d\d\b|\bcluster\b|\b(?:elementary|secondary|primary|high)\b|\bdistrict\b|\baverage\b|"
    r"\bimprov\w*|\bchang\w*|\bgain\w*|\bprogress\w*|\bgrow\w*|\brose\b|\bfell\b",
    re.I,
)
# "met the Grade 6 reading target", "reached its goal" (not "meetings look at the target")
_MET = re.compile(
    r"\b(?:met|meets?|meeting|reached|hit|achieved|passed)\s+(?:(?:the|its|their|our)\s+)?"
    r"(?:[\w%.-]+\s+){0,4}?(?:goal|target)s?\b",
    re.I,
)
_NEGATED = re.compile(r"\b(?:not|never|yet to)\b|n['’]t\b", re.I)  # "Which schools are not on track?"
_STANDINGS = (
    (re.compile(r"\bon track\b", re.I), ("on_track",)),
    (re.compile(r"\boff track\b", re.I), ("off_track",)),
    (re.compile(r"\bat risk\b", re.I), ("at_risk",)),
    (_MET, ("met",)),
    (
        re.compile(r"\b(?:behind|struggl\w*|need\w* (?:help|support)|falling short)\b", re.I),
        ("at_risk", "off_track"),
    ),
    (re.compile(r"\bahead\b", re.I), ("met", "on_track")),
    (re.compile(r"\b(?:highest|best|top|strongest|lowest|worst|bottom|weakest)\b", re.I), ("highest",)),
)
# what else a question about the district's schools may say: "are there", "in the district", "does ... have"
_SCHOOLS_FILLER = {
    "are", "is", "there", "in", "the", "our", "this", "its", "does", "do", "we", "have", "has", "run", "runs",
    "operate", "total", "all", "altogether", "now", "currently", "district", "district's", "board",
    "board's", "system", "cluster", "clusters", "cluster's", "each", "of", "by", "per", "districts",
}  # fmt: skip


@dataclass
class _Data:
    """One loaded generation of the results, read once."""

    loaded_at: str
    config: object
    schools: dict
    names: re.Pattern  # how a question or passage names a school, longest names first
    by_name: dict[str, str]  # a name as written, lower-cased: its school's id
    shared: dict[str, list[str]]  # a short name two schools share ("northgate"): their names
    principals: re.Pattern  # how a text names a school by its principal: "Okafor's", "Angela Moretti's"
    by_principal: dict[str, str]  # a principal's name as written, lower-cased: the school's id
    school_lines: dict[str, str]  # the card's "The district's schools", by what each line answers
    district: dict[tuple[str, str], Series]
    by_school: dict[str, dict[str, Series]]
    report: object
    measures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DataQuestion:
    """What a question asks of the results."""

    school: str | None = None
    measures: tuple[str, ...] = ()
    year: int | None = None
    since: int | None = None  # the year a change is asked from: the latest value is asked, beside it
    which: str | None = None  # "coasting", "on_the_move", "schools" or "standing"
    standing: tuple[str, ...] = ()  # for "standing": the statuses asked for ("on_track", ...) or "highest"
    group: str = "all"  # a student group a target is set for: "mll" for "multilingual learners"
    beside_district: bool = False  # the school's value beside the district's
    by_year: bool = False  # every year's value too: "What's the trend?"
    lines: tuple[str, ...] = ()  # for "schools": which of the card's lines answer ("all", "secondary", ...)

    @property
    def is_data(self) -> bool:
        return bool(self.which or self.measures or self.school)


class DataAnswers:
    """Answers from the results store, each citing the data card section it agrees with."""

    def __init__(self, district: District, cards_dir: Path) -> None:
        self._district = district
        self._cards = cards_dir.resolve()
        self._data: _Data | None = None
        self._lock = threading.Lock()

    # -- what the answerer asks ------------------------------------------------------------------
    def about_data(self, question: str) -> bool:
        """Whether the question asks about results, so the data cards may answer it."""
        data = self._current()
        return data is not None and self._read(data, question).is_data

    def is_card(self, passage: Passage) -> bool:
        """Whether a passage comes from a data card."""
        return self.is_card_source(passage.source)

    def is_card_source(self, source: str) -> bool:
        """Whether a cited source is a data card."""
        return Path(source).parent == self._cards

    def answer(self, question: str) -> Hit | None:
        """The value asked for, its trend and its status, as a passage citing its card; None if the
        question is not about results or names nothing the results hold."""
        data = self._current()
        if data is None:
            return None
        asked = self._read(data, question)
        if asked.which == "schools":
            text = " ".join(data.school_lines[key] for key in asked.lines)
            return self._hit(data, "district-progress", "The district's schools", text)
        if asked.which == "standing":
            return self._standing(data, asked)
        if asked.which:
            return self._which(data, asked.which)
        if asked.school and asked.measures:
            return self._school_measures(data, asked)
        if asked.school:
            return self._school_overview(data, asked.school)
        if asked.measures:
            return self._district_measure(data, asked)
        return None

    def principal(self, question: str) -> Hit | None:
        """The answer to "Who is the principal of Willow Creek?" that `schools.csv` gives, citing the
        school's card: for when no document says it of that school."""
        data = self._current()
        if data is None or not _PRINCIPAL_ASKED.match(question):
            return None
        school = next((data.schools[sid] for sid in _named(data, question)), None)
        if school is None or not school.principal:
            return None
        text = f"The principal of {school.name} is {school.principal}."
        return self._hit(data, school.school_id, "introduction", text)

    def unknown_school(self, question: str, texts: list[str]) -> str | None:
        """What to say instead of an answer when the question names a school ("Oak Hill PS") that the
        results do not hold and none of the texts (the passages found for it) mentions, or names a school
        only by a name two schools share ("Northgate": PS or SS): neither the district's figures nor a
        guess."""
        data = self._current()
        if data is None or self.schools_named(question):
            return None
        if self._read(data, question).school:  # "Northgate" in Grade 3 reading: only Northgate PS has it
            return None
        # "How is Northgate doing?": Northgate PS or SS? Even when the documents speak of one of them only:
        # a leader who meant the other must not be given its facts
        if names := _shared_named(data, question):
            name = re.sub(r"\s+\S+$", "", names[0])  # as the results write it: "Northgate"
            return (
                f"{name} could be {listed(names, 'or')}. Which one do you mean? Ask again with its full name."
            )
        found = _SCHOOL_LIKE.search(question)
        if found is None:
            return None
        words = found.group(1).split()
        while words and words[0].lower() in _NOT_A_NAME:
            words.pop(0)
        if len(words) < 2 or any(" ".join(words).lower() in t.lower() for t in texts):
            return None
        names = ", ".join(sorted(s.name for s in data.schools.values()))
        return f"No school called {' '.join(words)} is in the district's results. Its schools: {names}."

    def schools_named(self, text: str) -> list[str]:
        """The names of the schools a question or passage names ("Willow Creek" -> "Willow Creek PS")."""
        return self.namer()(text)

    def namer(self) -> Callable[[str], list[str]]:
        """`schools_named` for the results as loaded now, read once: for asking of many texts."""
        data = self._current()
        if data is None:
            return lambda text: []
        return lambda text: [data.schools[sid].name for sid in _named(data, text)]

    # -- reading the question --------------------------------------------------------------------
    def _read(self, data: _Data, question: str) -> DataQuestion:
        # "Geoffrey Hart mentioned his multilingual kids at the last meeting. How are they doing in Grade
        # 3 reading at his school?": what is asked is the last sentence; the one before names what it is of
        asked = split_sentences(question)[-1] if question.endswith("?") else question
        practice = _HOW_PRACTICE.search(asked) and not _MEASURED.search(asked)
        who_stands = bool(_WHO_STANDS.match(asked))
        if (
            (_NOT_DATA.search(asked) and not who_stands)
            or _PRACTICE.search(asked)
            or practice
            or _TIMING.match(asked)
        ):
            return DataQuestion()
        measures = _measures(question, data.measures)
        school = next(iter(_named(data, question)), None) or _only_one_has(data, question, measures)
        which = "coasting" if _COASTING.search(question) else None
        if which is None and _ON_THE_MOVE.search(question):
            which = "on_the_move"
        if which and school and measures:  # "Maple PS is a School on the Move, but how's its Grade 3 math?"
            which = None
        asked_else = _WHICH_ELSE.search(_ON_THE_MOVE.sub(" ", question))
        if (
            which
            and not asked_else
            and (school or _LIST_ASKED.search(question) or not _ABOUT_IT.search(question))
        ):
            return DataQuestion(which=which)
        if which:
            return DataQuestion()
        if school is None and (lines := _schools_asked(question, data)):
            return DataQuestion(which="schools", lines=lines)
        group = next((g for g, words in _groups(data).items() if words <= set(terms(question))), "all")
        plan_start = _SINCE_PLAN.search(question)
        topic = _DOCUMENT_TOPIC.search(_SINCE_PLAN.sub(" ", asked)) and not _MEASURED.search(question)
        if school is None and measures and not topic and (_WHICH_SCHOOLS.search(question) or who_stands):
            standing = _standing_asked(_level_said(question, data, measures), group)
            if standing:
                return DataQuestion(measures=measures, which="standing", standing=standing)
        since, year = _years(question)
        if plan_start and since is None and (target := _target(data, measures[0]) if measures else None):
            since = target.baseline_year  # "since the plan started": from its baseline
        # "How many students are at Riverbend SS?" counts something the results do not hold; "How much
        # did graduation rise?" names a measure
        counts_else = not measures or _HOW_MANY_ELSE.search(question)
        counted = _RATIONALE.sub(" ", _HOW_MANY.sub(" ", question) if counts_else else question)
        results = bool(_RESULTS.search(counted) or _HOW_IT_DID.search(counted)) or year is not None
        results = results or bool(
            measures and (_WHERE.search(counted) or (group != "all" and _GAP.search(counted)))
        )
        if topic:
            results = False
        own_targets = school and not measures and _TARGETS.search(question) and not _MEASURED.search(question)
        if own_targets and not _MET.search(question):
            results = False  # "What 2026 targets did Riverbend SS agree to?": its profile says (not "met")
        if not results:  # "What is Maple PS's plan?" names a school but asks no result
            return DataQuestion()
        if not measures and not school:
            return DataQuestion()
        if len(_named(data, question)) > 1 and re.search(r"\bthan\b", question, re.I):
            return DataQuestion()  # "Is Maple PS better than Northgate PS ...?": not one school's figure
        return DataQuestion(
            school,
            measures,
            year,
            since,
            group=group,
            beside_district=bool(_BESIDE_DISTRICT.search(question)),
            by_year=bool(_BY_YEAR.search(question)),
        )

    # -- answers -----------------------------------------------------------------------------------
    def _which(self, data: _Data, which: str) -> Hit:
        report = data.report
        ids = report.coasting_schools if which == "coasting" else report.schools_on_the_move
        names = ", ".join(data.schools[s].name for s in ids) or "none"
        text = (f"Coasting schools, offered support: {names}." if which == "coasting"
                else f"Schools on the Move: {names}.")  # fmt: skip
        return self._hit(data, "district-progress", "Schools on the Move and coasting schools", text)

    def _standing(self, data: _Data, asked: DataQuestion) -> Hit | None:
        """The schools with the status asked for on each target measure named, as the card lists them."""
        names = {sid: school.name for sid, school in data.schools.items()}
        sentences, sections = [], []  # each measure's lists come from its own section of the card
        for measure in asked.measures:
            target = _target(data, measure)
            lines = standing_lines(target, data.by_school, names) if target else {}
            if lines:
                sections.append(f"{target.label.removesuffix(' (%)')}: the schools")
                sentences += [lines[status] for status in asked.standing]
        if not sentences:
            return None
        return self._hit(data, "district-progress", "; ".join(sections), " ".join(sentences))

    def _school_measures(self, data: _Data, asked: DataQuestion) -> Hit | None:
        school = data.schools[asked.school]
        sentences, sections = [], []  # each measure's figures come from its own section of the card
        for measure in asked.measures:
            if asked.group == "all":
                series = data.by_school.get(asked.school, {}).get(measure)
            else:  # a group's results are read when asked for
                series = self._district.store.school_series(
                    {measure}, school_id=asked.school, group=asked.group
                ).get(asked.school, {}).get(measure)  # fmt: skip
            if not series:
                continue
            label = _label(data, measure, asked.group)
            sections.append(f"{school.name}: {label}")
            sentences.append(self._value(f"{school.name}, {label.lower()}", series, asked.year, asked.since))
            if asked.by_year:
                sentences.append(_by_year(series))
            year = asked.year if asked.year in series else max(series)
            if asked.group != "all":  # a group's result may count a handful of students: say how many
                counted = self._district.store.students(asked.school, measure, asked.group, year)
                if counted is not None:
                    sentences.append(f"In {year} the group counted {counted} students.")
            standing = self._against_target(data, measure, series, asked.year, asked.group)
            if standing:
                sentences.append(f"Against the district's target for it, {school.name} {standing}.")
            overall = data.district.get((measure, asked.group), {})
            if asked.beside_district and year in overall:  # as the card says it
                sentences.append(beside_district(school.name, series[year], overall[year], year))
        if not sentences:
            return None
        if asked.school in data.report.coasting_schools:  # a school offered support: said with its figures
            sentences.append(
                f"{school.name} is coasting: its results are close to the district's but have not moved."
            )
        return self._hit(data, asked.school, "; ".join(sections), " ".join(sentences))

    def _school_overview(self, data: _Data, school_id: str) -> Hit | None:
        school = data.schools[school_id]
        series = data.by_school.get(school_id, {})
        if not series:
            return None
        latest = max(max(s) for s in series.values())
        values = [f"{measure_name(m).lower()} {s[max(s)]:.1f}%" for m, s in sorted(series.items())]
        text = f"{school.name} in {latest}: {', '.join(values)}."
        if school_id in data.report.schools_on_the_move:
            text += f" {school.name} is one of the Schools on the Move."
        if school_id in data.report.coasting_schools:
            text += f" {school.name} is coasting: its results are close to the district's but have not moved."
        return self._hit(data, school_id, "introduction", text)

    def _district_measure(self, data: _Data, asked: DataQuestion) -> Hit | None:
        sentences, location = [], ""
        for measure in asked.measures:
            series = data.district.get((measure, asked.group))
            if not series:
                continue
            target = _target(data, measure, asked.group)
            label = target.label if target else measure_name(measure)
            location = location or f"District {label}"
            sentences.append(self._value(f"District {label.lower()}", series, asked.year, asked.since))
            if asked.by_year:
                sentences.append(_by_year(series))
            if target:
                year = asked.year if asked.year in series else max(series)
                status = status_of(series[year], target.expected(year), target.goal_value, target.tolerance)
                sentences.append(
                    f"The trajectory expected {target.expected(year):.1f} in {year}; the goal is "
                    f"{target.goal_value:g} by {target.goal_year}. Status: {STATUS_LABELS[status]}."
                )
            everyone = data.district.get((measure, "all"))
            upto = (
                asked.year if asked.year in series else max(series)
            )  # the year asked: its gap, and the one before
            until = {y: v for y, v in series.items() if y <= upto}
            if asked.group != "all" and everyone and (found := gap(until, everyone)):  # as the card says it
                sentences.append(gap_sentence(found))
        if not sentences:
            return None
        return self._hit(data, "district-progress", location, " ".join(sentences))

    @staticmethod
    def _value(subject: str, series: Series, year: int | None, since: int | None = None) -> str:
        """'Maple PS, grade 6 mathematics: 52.3% in 2025, up 3.0 points from 49.3% in 2024 and +11.5 since
        2021.' With a year asked `since`: '... and +3.6 since 2022, when it was 77.6%.'"""
        if year not in series:
            shown = f" (no result for {year})" if year is not None else ""
            year = max(series)
        else:
            shown = ""
        text = f"{subject}: {series[year]:.1f}% in {year}{shown}"
        earlier = sorted(y for y in series if y < year)
        if earlier:
            step = series[year] - series[earlier[-1]]
            moved = "up" if step > 0 else "down" if step < 0 else "unchanged,"
            text += f", {moved} {abs(step):.1f} points from {series[earlier[-1]]:.1f}% in {earlier[-1]}"
            if since in series and since < earlier[-1]:  # (the year before's value is said already)
                text += f" and {series[year] - series[since]:+.1f} since {since}, when it was {series[since]:.1f}%"
            elif since != earlier[-1] and len(earlier) > 1:
                text += f" and {series[year] - series[earlier[0]]:+.1f} since {earlier[0]}"
        if since is not None and since not in series:
            text += f" (no result for {since})"
        elif since is not None and since >= year:
            text += f" ({year} is the latest year with a result: there is no change since then)"
        return text + "."

    @staticmethod
    def _against_target(
        data: _Data, measure: str, series: Series, year: int | None, group: str = "all"
    ) -> str:
        target = _target(data, measure, group)
        if target is None:
            return ""
        year = year if year in series else max(series)
        status = status_of(series[year], target.expected(year), target.goal_value, target.tolerance)
        standing = "has met the goal" if status == "met" else f"is {STATUS_LABELS[status]}"
        return (f"{standing} (the trajectory expected {target.expected(year):.1f} in {year}; "
                f"the goal is {target.goal_value:g} by {target.goal_year})")  # fmt: skip

    def _hit(self, data: _Data, card: str, location: str, text: str) -> Hit:
        path = self._cards / f"{card}.md"
        if card == "district-progress":
            title = f"{data.config.name}: progress on the targets"
        else:
            school = data.schools[card]
            title = f"{school.name} ({card}): results"
        passage = Passage(f"card:{card}:{location}", path.as_posix(), title, location, 0, text)
        return Hit(passage, 1.0, dense=1.0)

    # -- the loaded results, read once per load ---------------------------------------------------
    def _current(self) -> _Data | None:
        store = self._district.store
        loaded_at = store.loaded_at()
        if loaded_at is None:
            return None
        with self._lock:
            if self._data is None or self._data.loaded_at != loaded_at:
                try:
                    config = self._district.config()
                except NotLoaded:
                    return None
                schools = store.schools()
                district = store.district_series()
                measures = sorted({m for m, _ in district})
                self._data = _Data(
                    loaded_at, config, schools, *_school_names(schools, config.name),
                    *_principal_names(schools),
                    school_lines(config.name, schools.values()), district,
                    store.school_series(set(measures)), store.report(config), measures,
                )  # fmt: skip
            return self._data


def _school_names(schools: dict, district: str) -> tuple[re.Pattern, dict[str, str], dict[str, list[str]]]:
    """How a question or passage names each school: its id, its name, its name without "PS"/"SS" (unless
    that is the district's name too: "Riverbend" is the Riverbend District School Board, not Riverbend SS).
    One pattern for them all, longest names first; each name (lower-cased) to its school's id; and the
    short names two schools share ("northgate": Northgate PS and Northgate SS), which name neither."""
    district_words = set(district.lower().split())
    names = []
    for sid, school in schools.items():
        names.append((sid, sid))
        names.append((school.name, sid))
        short = re.sub(
            r"\s+(?:PS|SS|P\.S\.|S\.S\.|public school|secondary school|school)$", "", school.name, flags=re.I
        )
        if short != school.name and len(short) > 3 and not set(short.lower().split()) <= district_words:
            names.append((short, sid))
        # "Northgate Public School", "Northgate S.S.": the long forms of "PS" and "SS"
        for suffix, forms in _LONG_FORMS.items():
            if school.name.endswith(f" {suffix}"):
                names.extend((f"{school.name[: -len(suffix)]}{form}", sid) for form in forms)
    # "RSS" for Riverbend SS, "HVPS" for Harbour View PS: initials, in capitals only, and never shared
    # ("BPS": Birchwood PS or Brookside PS names neither, and is asked about by no one)
    initials: dict[str, set[str]] = {}
    for sid, school in schools.items():
        words = school.name.split()
        if len(words) > 1 and words[-1] in _LONG_FORMS:
            initials.setdefault("".join(w[0] for w in words[:-1]).upper() + words[-1], set()).add(sid)
    counts: dict[str, set[str]] = {}
    for text, sid in names:
        counts.setdefault(text.lower(), set()).add(sid)
    shared = {
        text: sorted(schools[sid].name for sid in sids) for text, sids in counts.items() if len(sids) > 1
    }
    names = [(text, sid) for text, sid in names if len(counts[text.lower()]) == 1]  # "Northgate": PS or SS?
    names += [(text, next(iter(sids))) for text, sids in initials.items() if len(sids) == 1]
    names = [(text, sid) for text, sid in names if text not in initials or text.lower() not in counts]
    names.sort(key=lambda n: len(n[0]), reverse=True)  # "Northgate SS" before "Northgate"
    alternatives = (
        "|".join(f"(?-i:{re.escape(text)})" if text in initials else re.escape(text) for text, _ in names)
        or r"(?!)"
    )
    pattern = re.compile(rf"\b(?P<name>{alternatives})(?:['’]s)?\b", re.I)
    return pattern, {text.lower(): sid for text, sid in names}, shared


_LONG_FORMS = {
    "PS": ("Public School", "P.S.", "Elementary School"),
    "SS": ("Secondary School", "S.S.", "High School", "Secondary", "High"),
}


def _only_one_has(data: _Data, question: str, measures: tuple[str, ...]) -> str | None:
    """The school a name two schools share means when only one of them has results for the measures
    asked about: "How is Northgate doing in Grade 3 reading?" (Northgate SS has no Grade 3)."""
    ids = [data.by_name[name.lower()] for name in _shared_named(data, question)] if measures else []
    held = [sid for sid in ids if set(measures) & set(data.by_school.get(sid, {}))]
    return held[0] if len(held) == 1 else None


def _shared_named(data: _Data, text: str) -> list[str]:
    """The schools a name two of them share stands for, if the text uses one ("Northgate"), else []."""
    return next(
        (names for short, names in data.shared.items() if re.search(rf"\b{re.escape(short)}\b", text, re.I)),
        [],
    )


def _principal_names(schools: dict) -> tuple[re.Pattern, dict[str, str]]:
    """How a text names a school by its principal, as `schools.csv` gives them: "Angela Moretti's school",
    "Ms. Moretti's staff", "Okafor's school", "Marisol's school" (in the possessive: "Angela Moretti" alone
    is a person); the full name in a text that says "his school" or "her school" (`_named` checks that).
    A form two principals share names neither."""
    forms: dict[str, set[str]] = {}
    for sid, school in schools.items():
        words = school.principal.split()
        if not words:
            continue
        found = {school.principal, words[0], words[-1]}
        found |= {f"{title} {words[-1]}" for title in ("Mr.", "Ms.", "Mrs.", "Dr.", "Mr", "Ms", "Mrs", "Dr")}
        for form in found:
            forms.setdefault(form.lower(), set()).add(sid)
    by_form = {form: next(iter(sids)) for form, sids in forms.items() if len(sids) == 1}
    alternatives = "|".join(re.escape(f) for f in sorted(by_form, key=len, reverse=True)) or r"(?!)"
    # (not "Jean-Marc's" for a principal called Marc)
    return re.compile(rf"(?<![\w-])(?P<name>{alternatives})(?P<own>['’]s\b)?", re.I), by_form


_THEIR_SCHOOL = re.compile(r"\b(?:his|her|their) school\b", re.I)  # "Geoffrey Hart ... at his school"


def _named(data: _Data, text: str) -> list[str]:
    """The ids of the schools a text names, in the order it first names them: by name, or by its
    principal ("Okafor's school")."""
    found = [(m.start(), data.by_name[m.group("name").lower()]) for m in data.names.finditer(text)]
    their = _THEIR_SCHOOL.search(text)
    for m in data.principals.finditer(text):
        name = m.group("name").lower()
        full = " " in name and name.split()[0].rstrip(".") not in {"mr", "ms", "mrs", "dr"}
        if m.group("own") or (full and their):
            found.append((m.start(), data.by_principal[name]))
    return list(dict.fromkeys(sid for _, sid in sorted(found)))


def _schools_asked(question: str, data: _Data) -> tuple[str, ...]:
    """Which lines of the card's "The district's schools" answer a question about the schools themselves:
    the count ("How many schools ...?"), the count and each level's schools ("Which schools ...?"), a
    level's, a cluster's (by level); () when the question asks something else of them ("How many schools
    are on track?", "Which schools have a literacy coach?")."""
    asked = _SCHOOLS_ASKED.match(question)
    if asked is None:
        return ()
    rest = f"{asked.group('before')} {asked.group('rest')}".lower()
    level = next(iter(_LEVEL.findall(asked.group("before"))), "").lower()
    rest = _LEVEL.sub(" ", rest, count=1) if level else rest
    clusters = [key for key in data.school_lines if key.startswith("cluster:")]
    named = []
    for key in sorted(clusters, key=len, reverse=True):  # "North East" before "North"
        found = re.search(rf"\b{re.escape(key.removeprefix('cluster:').lower())}\b", rest)
        if found:
            named.append(key)
            rest = rest[: found.start()] + " " + rest[found.end() :]
    known = _SCHOOLS_FILLER | set(data.config.name.lower().split())
    if any(w not in known for w in re.findall(r"[\w'’]+", rest)):
        return ()
    if named:  # its schools by level: "How many secondary schools are in the North cluster?" too
        return tuple(sorted(named))
    level = _LEVEL_WORDS.get(level, level)
    if level:  # a level the district does not have: the count by level shows it
        return (level,) if level in data.school_lines else ("all",)
    if re.search(r"\bclusters?\b", rest):
        return ("all", *clusters)
    if asked.group("ask").lower() == "how many":
        return ("all",)
    return tuple(key for key in data.school_lines if not key.startswith("cluster:"))


def _measures(question: str, known: list[str]) -> tuple[str, ...]:
    """The measures a question names: "Grade 6 math" is g6_math; "reading" alone is both grades'."""
    grade = _GRADE.search(question)
    grades = [_GRADE_WORDS.get(grade.group(1).lower(), grade.group(1))] if grade else ["3", "6"]
    found = []
    for subject, pattern in _SUBJECTS.items():
        if not re.search(rf"\b(?:{pattern})\b", question, re.I):
            continue
        if subject == "graduation":
            found.append("graduation")
        else:
            found += [f"g{g}_{subject}" for g in grades]
    return tuple(m for m in found if m in known)


def _years(question: str) -> tuple[int | None, int | None]:
    """(the year a change is asked from, the year asked): "since 2021" -> (2021, None); "between 2024 and
    2022" -> (2022, 2024); "in 2023" -> (None, 2023)."""
    found = _SINCE.search(question)
    if found is None:
        return None, next((int(y) for y in _YEAR.findall(question)), None)
    if found.group(1):
        return int(found.group(1)), next(
            (int(y) for y in _YEAR.findall(question) if y != found.group(1)), None
        )
    first, second = sorted((int(found.group(2)), int(found.group(3))))
    return first, second


def _standing_asked(question: str, group: str) -> tuple[str, ...]:
    """The statuses (or "highest") a question about which schools stand where asks for; () when it asks
    what the card's lists do not tell (a year, a group, a cluster or level, beside the district, a change)."""
    if group != "all" or _STANDING_ELSE.search(question):
        return ()
    asked = tuple(
        dict.fromkeys(s for pattern, found in _STANDINGS if pattern.search(question) for s in found)
    )
    if asked and _NEGATED.search(question) and "highest" not in asked:
        # "not on track": behind it; "not met the target": every other status; "not behind": ahead
        asked = _NOT.get(asked, tuple(s for s in STATUS_LABELS if s not in asked))
    return asked


_LEVEL_SAID = {
    "elementary": r"elementary|elementaries|primary|primaries",
    "secondary": r"secondary|secondaries|high(?:\s+schools?)?",
}


def _level_said(question: str, data: _Data, measures: tuple[str, ...]) -> str:
    """The question without a level that every school with these results has: "Which elementary schools
    are off track in Grade 6 math?" asks of every school with Grade 6 results, so it is a question the
    lists by status answer."""
    levels = {data.schools[sid].level for sid, held in data.by_school.items() if set(measures) & set(held)}
    if len(levels) != 1 or (words := _LEVEL_SAID.get(next(iter(levels)))) is None:
        return question
    return re.sub(rf"\b(?:{words})\b", " ", question, flags=re.I)


_NOT = {("on_track",): ("at_risk", "off_track"), ("at_risk", "off_track"): ("met", "on_track")}


def _by_year(series: Series) -> str:
    """'By year: 2021: 94.6%, 2022: 95.4%, ...'"""
    return "By year: " + ", ".join(f"{y}: {series[y]:.1f}%" for y in sorted(series)) + "."


def _target(data: _Data, measure: str, group: str = "all"):
    return next((t for t in data.config.targets if t.measure == measure and t.group == group), None)


def _label(data: _Data, measure: str, group: str) -> str:
    """What a measure is called, as the school's card heads it: "Grade 6 mathematics", or for a group
    "Grade 3 reading, multilingual learners"."""
    return measure_name(measure) if group == "all" else group_label(data.config, measure, group)


def _groups(data: _Data) -> dict[str, set[str]]:
    """The words that name each student group a target is set for: the words its label adds to the
    measure's ("multilingual" in "Grade 3 reading, multilingual learners (%)"; "ELL" is the same word)."""
    groups: dict[str, set[str]] = {}
    for t in data.config.targets:
        if t.group != "all":
            overall = _target(data, t.measure)
            plain = set(terms(overall.label if overall else measure_name(t.measure)))
            groups[t.group] = (set(terms(t.label)) - plain - _ANY_STUDENTS) or {t.group}
    return groups


_ANY_STUDENTS = set(terms("learners students pupils children kids"))  # said of every group
