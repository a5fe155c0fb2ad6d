"""What a data answer says: a value, a change since a year, a trend, a standing against a target, the schools
of a level or cluster side by side. Every value is named with its measure's readable name and its year.

`Results` is one load of the results as these read them; each function returns the answer's text and the
section of the data card that says the same (`Said`), so that the figure cites its card.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.district.cards import (
    beside_district,
    by_status,
    gap_sentence,
    label,
    listed,
    schools_line,
    status_line,
    trajectory,
)
from bot.district.progress import STATUS_LABELS, Series, gap
from bot.knowledge.question import Question

if TYPE_CHECKING:
    from bot.district.config import DistrictConfig, Target
    from bot.district.lexicon import Lexicon
    from bot.district.progress import ProgressReport
    from bot.district.store import DistrictStore

DISTRICT_CARD = "district-progress"


@dataclass(frozen=True)
class Said:
    """An answer's text and the card section it cites: the card's name (a school id or the district's
    card) and the section's heading."""

    text: str
    card: str
    location: str


@dataclass
class Results:
    """One load of the results, read once: the district's series and each school's, with the names."""

    loaded_at: str
    config: DistrictConfig
    lexicon: Lexicon
    district: dict[tuple[str, str], Series]  # (measure, group) -> year -> value
    by_school: dict[str, dict[str, Series]]  # all students: school -> measure -> year -> value
    report: ProgressReport
    store: DistrictStore

    def series(self, sid: str, measure: str, group: str = "all") -> Series:
        """A school's values on a measure, for a group."""
        if group == "all":
            return self.by_school.get(sid, {}).get(measure, {})
        return self.store.school_series({measure}, school_id=sid, group=group).get(sid, {}).get(measure, {})

    def schools_with(self, measure: str, group: str = "all") -> dict[str, Series]:
        """Every school's values on a measure, for a group."""
        if group == "all":
            return {sid: own[measure] for sid, own in self.by_school.items() if own.get(measure)}
        return {sid: own[measure] for sid, own in self.store.school_series({measure}, group=group).items()}

    def target(self, measure: str, group: str = "all") -> Target | None:
        """The district's target for a measure and group, if it sets one."""
        return next((t for t in self.config.targets if t.measure == measure and t.group == group), None)

    def name(self, sid: str) -> str:
        """A school's name."""
        return self.lexicon.schools[sid].name


def moved(step: float) -> str:
    """'up', 'down' or 'unchanged'."""
    return "up" if step > 0.05 else "down" if step < -0.05 else "unchanged"


def value_sentence(subject: str, series: Series, year: int | None, since: int | None) -> str:
    """'Red Oak Elementary, Grade 5 mathematics: 52.3% in 2025, up 3.0 points from 49.3% in 2024, and up 11.5 points
    since 2021, when it was 40.8%.' The year asked for, else the latest; a change since the year asked from,
    both values named; a year without a result said to be missing, never replaced silently."""
    shown = f" (no result for {year})" if year is not None and year not in series else ""
    year = year if year in series else max(series)
    text = f"{subject}: {series[year]:.1f}% in {year}{shown}"
    earlier = sorted(y for y in series if y < year)
    if earlier:
        before = earlier[-1]
        step = series[year] - series[before]
        text += f", {moved(step)} {abs(step):.1f} points from {series[before]:.1f}% in {before}"
    start = since if since in series else (earlier[0] if earlier else None)
    if since is not None and since >= year:
        return text + f" ({year} is the latest year with a result: there is no change since {since})."
    if since is not None and since not in series:
        text += f" (no result for {since})"
    if start is not None and earlier and start < earlier[-1] and (since is not None or len(earlier) > 1):
        change = series[year] - series[start]
        text += (
            f", and {moved(change)} {abs(change):.1f} points since {start}, when it was {series[start]:.1f}%"
        )
    return text + "."


def by_year(series: Series) -> str:
    """'By year: 2021: 94.6%, 2022: 95.4%, ...'"""
    return "By year: " + ", ".join(f"{y}: {series[y]:.1f}%" for y in sorted(series)) + "."


def _year(question: Question, series: Series) -> int:
    asked = [y for y in question.years if y != question.since and y in series]
    return asked[0] if asked else max(series)


def _asked_year(question: Question) -> int | None:
    return next((y for y in question.years if y != question.since), None)


def _since(results: Results, question: Question, measure: str, group: str) -> int | None:
    """The year a change is asked from; "since the plan started": its target's baseline year."""
    if question.since is None and "baseline" in question.asked and (t := results.target(measure, group)):
        return t.baseline_year
    return question.since


def school_figures(
    results: Results, question: Question, sid: str, measures: list[str], group: str
) -> Said | None:
    """A school's value on each measure asked for (for a group, if one is named): the year asked or the
    latest, the change from the year before or since a year, every year when a trend is asked, its standing
    against the district's target, and the district's value beside it when the district is named."""
    school = results.name(sid)
    sentences, sections = [], []
    for measure in measures:
        series = results.series(sid, measure, group)
        if not series:
            continue
        called = label(results.lexicon, measure, group)
        sections.append(f"{school}: {called}")
        since = _since(results, question, measure, group)
        sentences.append(value_sentence(f"{school}, {called}", series, _asked_year(question), since))
        if "trend" in question.asked:
            sentences.append(by_year(series))
        year = _year(question, series)
        if group != "all" and (counted := results.store.students(sid, measure, group, year)) is not None:
            sentences.append(f"In {year} the group counted {counted} students.")
        if target := results.target(measure, group):
            sentences.append(
                f"Against the district's target for it, {school} {_standing(target, series[year], year)}."
            )
        overall = results.district.get((measure, group), {})
        if "district" in question.asked and year in overall:
            sentences.append(beside_district(school, series[year], overall[year], year))
    if not sentences:
        return None
    if sid in results.report.coasting_schools:  # a school offered support: said with its figures
        sentences.append(f"{school} is coasting: its results are close to the district's but have not moved.")
    return Said(" ".join(sentences), sid, "; ".join(sections))


def _standing(target: Target, value: float, year: int) -> str:
    status = target.status(value, year)
    standing = "has met the goal" if status == "met" else f"is {STATUS_LABELS[status]}"
    return (f"{standing} (the trajectory expected {target.expected(year):.1f} in {year}; the goal is "
            f"{target.goal_value:g} by {target.goal_year})")  # fmt: skip


def district_figures(results: Results, question: Question, measures: list[str], group: str) -> Said | None:
    """The district's value on each measure asked for, with its target's trajectory and status, the gap
    with all students for a group, and every year when a trend is asked."""
    sentences, location = [], ""
    for measure in measures:
        series = results.district.get((measure, group))
        if not series:
            continue
        called = label(results.lexicon, measure, group)
        location = location or f"District {called}"
        since = _since(results, question, measure, group)
        sentences.append(value_sentence(f"District {called}", series, _asked_year(question), since))
        if "trend" in question.asked:
            sentences.append(by_year(series))
        year = _year(question, series)
        if target := results.target(measure, group):
            sentences.append(f"The trajectory expected {target.expected(year):.1f} in {year}; the goal is "
                             f"{target.goal_value:g} by {target.goal_year}. Status: "
                             f"{STATUS_LABELS[target.status(series[year], year)]}.")  # fmt: skip
            if "trend" in question.asked:  # "the year-by-year interim targets"
                sentences.append(trajectory(target))
        everyone = results.district.get((measure, "all"))
        upto = {y: v for y, v in series.items() if y <= year}
        if group != "all" and everyone and (found := gap(upto, everyone)):
            sentences.append(gap_sentence(found))
    if not sentences:
        return None
    return Said(" ".join(sentences), DISTRICT_CARD, location)


def compared(
    results: Results, question: Question, measures: list[str], group: str, among: list[str]
) -> Said | None:
    """The schools side by side on each measure: every school of the level or cluster asked about (or the
    schools named, or all), each named with its value, lowest first when the lowest or the furthest behind
    is asked for; the statuses asked for against the target; the change since a year when improvement is."""
    sentences, sections = [], []
    for measure in measures:
        own = {sid: s for sid, s in results.schools_with(measure, group).items() if sid in among}
        if not own:
            continue
        called = label(results.lexicon, measure, group)
        asked = _asked_year(question)
        year = asked if asked and any(asked in s for s in own.values()) else max(max(s) for s in own.values())
        values = [(results.name(sid), s[year]) for sid, s in own.items() if year in s]
        subject, scope = called, _scope(results, question, among)
        if "improved" in question.asked:
            text = _improvement(results, question, own, subject, year)
            if text:
                sentences.append(text)
                sections.append(f"{called}: the schools")
                continue
        low = _lowest_first(question, results.lexicon.measures[measure].higher_is_better)
        values.sort(key=lambda nv: (nv[1], nv[0]) if low else (-nv[1], nv[0]))
        statuses = [s for s in STATUS_LABELS if s in question.asked]
        target = results.target(measure, group)
        if statuses and target:
            if "not" in question.asked:
                statuses = [s for s in STATUS_LABELS if s not in statuses]
            found = by_status(target, year, values)
            sentences += [status_line(subject, year, status, found[status], scope) for status in statuses]
        else:
            sentences.append(
                schools_line(subject, year, values, "lowest first" if low else "highest first", scope)
            )
        if "district" in question.asked and (overall := results.district.get((measure, group), {}).get(year)):
            sentences.append(f"The district was at {overall:.1f}% in {year}.")
        sections.append(f"{called}: the schools")
    if not sentences:
        return None
    return Said(" ".join(sentences), DISTRICT_CARD, "; ".join(sections))


def _lowest_first(question: Question, higher_is_better: bool) -> bool:
    """Lowest first when the lowest is asked for, or the worst of a measure where higher is better (the
    best, where lower is better: chronic absence)."""
    asked = question.asked
    if "lowest" in asked or "highest" in asked:
        return "lowest" in asked
    if "worst" in asked or "best" in asked:
        return ("worst" in asked) == higher_is_better
    return False


def _scope(results: Results, question: Question, among: list[str]) -> str:
    if question.levels:
        written = sorted({results.lexicon.schools[sid].level.strip() for sid in among})
        return f", {listed(written)} schools"
    if question.clusters:
        return f", {listed(list(question.clusters))} cluster"
    return ""


def _improvement(
    results: Results, question: Question, own: dict[str, Series], subject: str, year: int
) -> str:
    """ "Grade 3 reading, change from 2022 to 2025, most improved first: Red Oak Elementary up 16.0 points (56.0% to
    72.0%), ..." """
    start = question.since or min(min(s) for s in own.values())
    changes = [(results.name(sid), s[start], s[year]) for sid, s in own.items() if start in s and year in s]
    if not changes or start >= year:
        return ""
    changes.sort(key=lambda c: (c[1] - c[2], c[0]))
    said = ", ".join(
        f"{n} {moved(b - a)} {abs(b - a):.1f} points ({a:.1f}% to {b:.1f}%)" for n, a, b in changes
    )
    return f"{subject}, change from {start} to {year}, most improved first: {said}."


def overview(results: Results, sid: str) -> Said | None:
    """A school's latest value on every measure, and whether it is a School on the Move or coasting."""
    school = results.name(sid)
    own = results.by_school.get(sid, {})
    if not own:
        return None
    latest = max(max(s) for s in own.values())
    order = list(results.lexicon.measures)
    values = [f"{results.lexicon.measure_name(m)} {s[max(s)]:.1f}%" + ("" if max(s) == latest else f" ({max(s)})")
              for m, s in sorted(own.items(), key=lambda ms: order.index(ms[0]) if ms[0] in order else 0)]  # fmt: skip
    text = f"{school} in {latest}: {', '.join(values)}."
    if sid in results.report.schools_on_the_move:
        text += f" {school} is one of the Schools on the Move."
    if sid in results.report.coasting_schools:
        text += f" {school} is coasting: its results are close to the district's but have not moved."
    return Said(text, sid, "introduction")
