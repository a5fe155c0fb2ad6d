"""Questions about the district's results, answered from the results store and cited to the data card.

The question is read once (`Question.parse`, with the district's lexicon); what it names decides what the
results say: a school and a measure get that value (its change, its trend, its standing against the target,
the district's beside it when asked); a measure alone the district's; a level, a cluster, several schools or
"which" the schools side by side, each named with its value; a student group its own results; a school alone
its overview; "who leads X" its principal. No wording decides whether a question is about data: the answerer
weighs this answer against what the documents say (`DataAnswer.unexplained` and `DataAnswer.yields`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from bot.district.cards import listed, school_lines
from bot.district.figures import (
    DISTRICT_CARD,
    Results,
    Said,
    compared,
    district_figures,
    overview,
    school_figures,
)
from bot.district.lexicon import Lexicon
from bot.district.service import District, NotLoaded
from bot.district.vocabulary import FILLER, PEOPLE, RESULT_WORDS
from bot.knowledge.index import Hit
from bot.knowledge.question import Question
from bot.knowledge.questions import DEFINITION, WHO, WHY
from bot.knowledge.results import DataAnswer
from bot.knowledge.text import terms
from bot.knowledge.vectors import Passage

_RESULTS = frozenset(terms(RESULT_WORDS))
_EXPLAINED = _RESULTS | frozenset(terms(f"{' '.join(PEOPLE)} {FILLER}"))  # what any data answer accounts for
_COUNTED = frozenset(terms("school schools point points percent percentage"))  # what the results count
MAX_TEXT = 950  # a data answer's text, leaving room for its marker within the answer's 1,000 characters


class DataAnswers:
    """Answers from the results store, each citing the data card section it agrees with."""

    def __init__(self, district: District, cards_dir: Path) -> None:
        self._district = district
        self._cards = cards_dir.resolve()
        self._results: Results | None = None
        self._lock = threading.Lock()

    # -- what the answerer asks ----------------------------------------------------------------------
    def lexicon(self) -> Lexicon | None:
        """The district's vocabulary as loaded now, to parse a question with; None before a load."""
        results = self._current()
        return results.lexicon if results else None

    def answer(self, question: Question) -> DataAnswer | None:
        """What the results say to the question, citing its card; None when it names nothing they hold."""
        results = self._current()
        found = self._said(results, question) if results else None
        if found is None:
            return None
        said, yields = found
        text = said.text
        if len(text) > MAX_TEXT:  # whole sentences: the measures asked about first
            text = text[: text.rfind(". ", 0, MAX_TEXT) + 1] or text[: MAX_TEXT - 1] + "…"
        counted = question.asks.counted
        yields = yields or bool(counted and counted not in _COUNTED)  # "How many students attend X?"
        other = set(terms(" ".join(question.other)))
        unexplained = frozenset(other - _EXPLAINED - set(terms(text)))
        # a school's overview answers "How is X doing?"; asked anything else of X, what is said of X answers
        yields = yields or (said.location == "introduction" and bool(unexplained))
        about = [results.name(sid) for sid in question.schools] + list(question.people) if yields else []
        hit = self._hit(results, said.card, said.location, text)
        return DataAnswer(hit, unexplained, yields, tuple(about))

    def principal(self, question: str | Question) -> Hit | None:
        """The principal of the school a "who leads ...?" question names, as schools.csv gives it, citing
        the school's card: for when no document says it of that school."""
        results = self._current()
        if results is None:
            return None
        if isinstance(question, str):
            question = Question.parse(question, results.lexicon)
        found = self._leader(results, question)
        return self._hit(results, found.card, found.location, found.text) if found else None

    def unknown_school(self, question: Question, texts: list[str]) -> str | None:
        """What to say instead of an answer when the question names a school the district does not have and
        none of the texts (the passages found for it) mentions, or a name two schools share ("Lincoln":
        the elementary or the high school?) with nothing to say which: neither the district's figures nor a guess."""
        results = self._current()
        if results is None or question.schools:
            return None
        if question.shared:
            if self._one_of_shared(results, question):
                return None
            names = [results.name(sid) for sid in question.shared]
            common = []  # the words their names share first: "Lincoln"
            for column in zip(*(name.split() for name in names), strict=False):
                if len(set(column)) > 1:
                    break
                common.append(column[0])
            called = " ".join(common) or names[0]
            return f"{called} could be {listed(names, 'or')}. Which one do you mean? Ask again with its full name."
        unknown = question.unknown_school
        if unknown is None or any(unknown.lower() in text.lower() for text in texts):
            return None
        names = ", ".join(sorted(school.name for school in results.lexicon.schools.values()))
        return f"No school called {unknown} is in the district's results. Its schools: {names}."

    def schools_named(self, text: str) -> list[str]:
        """The names of the schools a question or passage names ("Prairie Wind" -> "Prairie Wind Elementary")."""
        return self.namer()(text)

    def namer(self) -> Callable[[str], list[str]]:
        """`schools_named` for the results as loaded now, read once: for asking of many texts."""
        results = self._current()
        return results.lexicon.school_names if results else (lambda text: [])

    def is_card(self, passage: Passage) -> bool:
        """Whether a passage comes from a data card."""
        return self.is_card_source(passage.source)

    def is_card_source(self, source: str) -> bool:
        """Whether a cited source is a data card."""
        return Path(source).parent == self._cards

    # -- what the question asks of the results --------------------------------------------------------
    def _said(self, results: Results, q: Question) -> tuple[Said, bool] | None:
        """The answer's text and card section, and whether a passage that answers should be preferred."""
        kind = q.asks.kind
        if kind == WHY:  # the results hold no reasons
            return None
        schools = list(q.schools) or self._one_of_shared(results, q)
        order = q.asked & {"lowest", "highest", "worst", "best"}  # "who's bottom ...?" asks which school
        side_by_side = (
            "which" in q.asked
            or bool(q.levels or q.clusters)
            or bool(order and (kind == WHO or "schools" in q.asked))
        )
        if ("lead" in q.asked or kind == WHO) and not (q.measures and side_by_side):
            found = self._leader(results, q) if not q.measures else None
            return (found, True) if found else None
        # "What is a School on the Move?", "What do we mean by 'graduates with a plan'?" (not "What was Grade 3
        # reading in 2025?"): what something means, which the results do not say
        results_said = q.years or q.asked - {"schools"} or set(terms(q.text)) & _RESULTS
        concept = kind == DEFINITION and not results_said
        if not q.measures and (q.asked & {"coasting", "on_the_move"}):
            # "Which schools are coasting?" lists them; "What's the bar for a School on the Move?" asks what it means
            listing = bool(q.asked & {"which_schools", "how_many"}) or not q.other
            return self._report_list(results, q), concept or not listing
        group = next((g for g in q.groups if any(k[1] == g for k in results.district)), "all")
        measures = [m for m in q.measures if (m, group) in results.district]
        if not measures and group != "all":  # "How are English learners doing?": every measure they have
            measures = [m for m in results.lexicon.measures if (m, group) in results.district]
        if not measures:
            if len(schools) == 1 and not q.people:
                found = overview(results, schools[0])
                return (found, concept) if found else None
            if (
                not schools
                and "schools" in q.asked
                and (q.asked & {"which", "how_many"} or q.levels or q.clusters)
            ):
                return self._schools(results, q), concept
            return None
        if len(schools) > 1:
            found = compared(results, q, measures, group, schools)
        elif schools:
            found = school_figures(results, q, schools[0], measures, group)
            if found is None:  # a refusal, which a passage that answers beats
                names = listed([results.lexicon.measure_name(m) for m in measures], "or")
                return Said(
                    f"{results.name(schools[0])} has no results for {names}.", schools[0], "introduction"
                ), True
        elif side_by_side or ("schools" in q.asked and q.asked & {"on_track", "off_track", "at_risk", "met"}):
            found = compared(results, q, measures, group, self._among(results, q))
        else:
            found = district_figures(results, q, measures, group)
        return (found, False) if found else None

    @staticmethod
    def _one_of_shared(results: Results, q: Question) -> list[str]:
        """The one school a name two schools share stands for when only it has results for the measures
        asked about ("Lincoln" in Grade 3 reading: the elementary school), else []."""
        held = [sid for sid in q.shared if any(results.series(sid, m) for m in q.measures)]
        return held if len(held) == 1 else []

    @staticmethod
    def _among(results: Results, q: Question) -> list[str]:
        """The schools of the levels and clusters asked about (all of them when none is)."""
        lexicon = results.lexicon
        return [sid for sid, school in lexicon.schools.items()
                if (not q.levels or lexicon.levels[sid] in q.levels)
                and (not q.clusters or school.cluster.strip() in q.clusters)]  # fmt: skip

    @staticmethod
    def _leader(results: Results, q: Question) -> Said | None:
        """ "The principal of X is P." for a school named; "P is the principal of X." for a principal named."""
        schools = results.lexicon.schools
        named = [sid for sid in q.schools if schools[sid].principal]
        if named and not (q.people and schools[named[0]].principal in q.people):
            school = schools[named[0]]
            return Said(
                f"The principal of {school.name} is {school.principal}.", school.school_id, "introduction"
            )
        led = [s for s in schools.values() if s.principal and s.principal in q.people]
        if led and "lead" in q.asked:
            return Said(
                f"{led[0].principal} is the principal of {led[0].name}.", led[0].school_id, "introduction"
            )
        return None

    @staticmethod
    def _report_list(results: Results, q: Question) -> Said:
        """The coasting schools or the Schools on the Move, as the district's card lists them."""
        report, name = results.report, results.name
        if "coasting" in q.asked:
            text = f"Coasting schools, offered support: {', '.join(map(name, report.coasting_schools)) or 'none'}."
        else:
            text = f"Schools on the Move: {', '.join(map(name, report.schools_on_the_move)) or 'none'}."
        return Said(text, DISTRICT_CARD, "Schools on the Move and coasting schools")

    @staticmethod
    def _schools(results: Results, q: Question) -> Said:
        """The district's schools: counted, by level, a level's or a cluster's (by level), as its card says."""
        lines = school_lines(results.config.name, results.lexicon.schools.values())
        levels = {
            results.lexicon.levels[sid]: s.level.strip().lower() for sid, s in results.lexicon.schools.items()
        }
        if q.clusters:
            keys = [f"cluster:{c}" for c in q.clusters if f"cluster:{c}" in lines]
        elif q.levels:  # a level the district does not have: the count by level shows it
            keys = [levels[lv] for lv in q.levels if levels.get(lv) in lines] or ["all"]
        elif "how_many" in q.asked:
            keys = ["all"]
        else:
            keys = [key for key in lines if not key.startswith("cluster:")]
        return Said(" ".join(lines[key] for key in keys), DISTRICT_CARD, "The district's schools")

    # -- citing the card ---------------------------------------------------------------------------
    def _hit(self, results: Results, card: str, location: str, text: str) -> Hit:
        path = self._cards / f"{card}.md"
        if card == DISTRICT_CARD:
            title = f"{results.config.name}: progress on the targets"
        else:
            title = f"{results.name(card)} ({card}): results"
        passage = Passage(f"card:{card}:{location}", path.as_posix(), title, location, 0, text)
        return Hit(passage, 1.0, dense=1.0)

    def _current(self) -> Results | None:
        """The results as loaded now, read once a load (a new load is read at once)."""
        store = self._district.store
        loaded_at = store.loaded_at()
        if loaded_at is None:
            return None
        with self._lock:
            if self._results is None or self._results.loaded_at != loaded_at:
                try:
                    config = self._district.config()
                except NotLoaded:
                    return None
                schools = store.schools()
                district = store.district_series()
                lexicon = Lexicon.build(config, schools.values(), district)
                by_school = store.school_series({m for m, _ in district})
                report = store.report(config)
                self._results = Results(loaded_at, config, lexicon, district, by_school, report, store)
            return self._results
