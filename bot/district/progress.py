"""Progress against the district's targets: the rules, as pure functions over values by year.

- District value: the students-weighted mean of school values (computed by the store, in SQL).
- Expected value: the interim value for the year if given, else linear from baseline to goal.
- Status in the latest year with data: met (>= goal), on_track (>= expected), at_risk (>= expected
  minus tolerance), else off_track; mirrored (<=) for a target whose goal is below its baseline.
- Schools on the Move: rose strictly at each of the last three year-on-year steps (the district's
  last four years with data for the measure) on at least four of the on-the-move measures.
- Coasting: over the district's last three years, the school's mean across the target measures is
  within `coasting_within` points of the district's mean on the same measures and years, and no
  target measure moved more than `coasting_change` points from the first to the last of those years.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from bot.district.config import EPSILON, DistrictConfig, Target
from bot.district.config import status_of as status_of  # the rule a status follows, kept with Target

Series = dict[int, float]  # year -> value
STATUS_LABELS = {"met": "met", "on_track": "on track", "at_risk": "at risk", "off_track": "off track"}


@dataclass
class TargetProgress:
    target: Target
    latest_year: int
    value: float
    expected: float
    status: str
    trend: Series
    gap: dict | None = None

    @property
    def previous(self) -> tuple[int, float] | None:
        """The year before the latest with data, and its value."""
        earlier = [y for y in self.trend if y < self.latest_year]
        return (max(earlier), self.trend[max(earlier)]) if earlier else None

    def as_dict(self) -> dict:
        """The JSON contract of one target."""
        t = self.target
        data = {"priority": t.priority, "measure": t.measure, "label": t.label, "group": t.group,
                "latest_year": self.latest_year, "value": round(self.value, 2), "expected": round(self.expected, 2),
                "goal": {"year": t.goal_year, "value": t.goal_value}, "status": self.status,
                "trend": {str(y): round(v, 2) for y, v in sorted(self.trend.items())}}  # fmt: skip
        if self.gap is not None:
            data["gap"] = self.gap
        return data


def target_progress(
    target: Target, series: Series, all_students: Series | None = None
) -> TargetProgress | None:
    """A target's status in its latest year with data (None without data); the gap for a group target."""
    if not series:
        return None
    year = max(series)
    value, expected = series[year], target.expected(year)
    progress = TargetProgress(target, year, value, expected, target.status(value, year), dict(series))
    if target.group != "all" and all_students:
        progress.gap = gap(series, all_students)
    return progress


def gap(group: Series, everyone: Series) -> dict | None:
    """The gap (all students minus the group) in the latest common year, against the year before."""
    years = sorted(set(group) & set(everyone))
    if not years:
        return None
    latest = years[-1]
    result = {"year": latest, "value": round(everyone[latest] - group[latest], 2)}
    if len(years) > 1:
        before = years[-2]
        was = everyone[before] - group[before]
        result |= {"previous_year": before, "previous_value": round(was, 2),
                   "narrowed": everyone[latest] - group[latest] < was - EPSILON}  # fmt: skip
    return result


def schools_on_the_move(schools: dict[str, dict[str, Series]], district: dict[str, Series],
                        measures: tuple[str, ...], *, needed: int = 4) -> list[str]:  # fmt: skip
    """Schools that rose at each of the last three steps on at least `needed` of `measures`."""
    windows = {m: sorted(district[m])[-4:] for m in measures if len(district.get(m, {})) >= 4}
    moving = []
    for school_id, by_measure in schools.items():
        rising = 0
        for measure, years in windows.items():
            values = by_measure.get(measure, {})
            if all(y in values for y in years) and all(values[a] < values[b] for a, b in pairwise(years)):
                rising += 1
        if rising >= needed:
            moving.append(school_id)
    return sorted(moving)


def coasting_schools(schools: dict[str, dict[str, Series]], district: dict[str, Series], measures: list[str],
                     *, within: float, change: float) -> list[str]:  # fmt: skip
    """Schools near the district's level whose results on the target measures have stopped moving."""
    years = sorted({y for m in measures for y in district.get(m, {})})[-3:]
    if len(years) < 2:
        return []
    first, last = years[0], years[-1]
    coasting = []
    for school_id, by_measure in schools.items():
        own, theirs, steady, assessed = [], [], True, 0
        for measure in measures:
            values = by_measure.get(measure, {})
            for y in years:
                if y in values and y in district.get(measure, {}):
                    own.append(values[y])
                    theirs.append(district[measure][y])
            if first in values and last in values:
                assessed += 1
                steady = steady and abs(values[last] - values[first]) <= change + EPSILON
        if assessed and steady and abs(sum(own) / len(own) - sum(theirs) / len(theirs)) <= within + EPSILON:
            coasting.append(school_id)
    return sorted(coasting)


@dataclass
class ProgressReport:
    targets: list[TargetProgress]
    schools_on_the_move: list[str]
    coasting_schools: list[str]
    school: dict | None = None
    missing: list[Target] = field(default_factory=list)  # targets with no data yet

    def as_dict(self) -> dict:
        """`{"targets": [...], "schools_on_the_move": [ids], "coasting_schools": [ids]}` (+ "school")."""
        data = {"targets": [t.as_dict() for t in self.targets], "schools_on_the_move": self.schools_on_the_move,
                "coasting_schools": self.coasting_schools}  # fmt: skip
        if self.school is not None:
            data["school"] = self.school
        return data


def build_report(config: DistrictConfig, district: dict[tuple[str, str], Series],
                 schools: dict[str, dict[str, Series]]) -> ProgressReport:  # fmt: skip
    """Every target's progress, and the schools to celebrate and to support (from 'all' students)."""
    everyone = {m: s for (m, g), s in district.items() if g == "all"}
    done, missing = [], []
    for target in config.targets:
        progress = target_progress(target, district.get((target.measure, target.group), {}),
                                   everyone.get(target.measure))  # fmt: skip
        if progress:
            done.append(progress)
        else:
            missing.append(target)
    measures = sorted({t.measure for t in config.targets})
    return ProgressReport(
        done,
        schools_on_the_move(schools, everyone, config.on_the_move_measures),
        coasting_schools(
            schools, everyone, measures, within=config.coasting_within, change=config.coasting_change
        ),
        missing=missing,
    )
