"""Data cards: the results written as short Markdown documents, one per school and one for the district, so
they are indexed and every figure a data answer gives cites the card section that says it.

Measures and groups are named as the district's lexicon names them (`bot.district.lexicon`): a leader
never reads a key."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.district.lexicon import Lexicon
from bot.district.model import DistrictData, School
from bot.district.progress import STATUS_LABELS, Series, build_report

if TYPE_CHECKING:
    from bot.district.model import Target


def label(lexicon: Lexicon, measure: str, group: str = "all") -> str:
    """What a measure's results are called, for a group too: "Grade 3 reading, multilingual learners"; the
    heading of its section on a card."""
    name = lexicon.measure_name(measure)
    return name if group == "all" else f"{name}, {lexicon.group_name(group)}"


def _kind(level: str) -> str:
    """'an elementary school', 'a secondary school', 'a school'."""
    kind = f"{level} school" if level else "school"
    return f"{'an' if kind[0].lower() in 'aeiou' else 'a'} {kind}"


def school_lines(district: str, schools: Iterable[School]) -> dict[str, str]:
    """The district's schools, counted and named, as the card says them and as a question about them is
    answered: the whole district ("all"), each level, lower-cased ("secondary"), the schools with no
    level ("no level") and each cluster ("cluster:Central", its schools by level)."""
    schools = sorted(schools, key=lambda school: school.school_id)
    if not schools:
        return {"all": f"{district} has no schools in its results."}
    levels = _grouped(schools, _level)
    lines = {"all": f"{district} has {_count(len(schools))}: {_by_level(levels, named=False)}."}
    for level, names in levels.items():
        if level:
            lines[level] = (
                f"The district's only {level} school is {names[0]}." if len(names) == 1
                else f"The district's {len(names)} {level} schools are {listed(names)}."
            )  # fmt: skip
    if "" in levels:
        lines["no level"] = f"No level is recorded for {listed(levels[''])}."
    for cluster in sorted({school.cluster.strip() for school in schools} - {""}):
        members = [school for school in schools if school.cluster.strip() == cluster]
        called = cluster if cluster.lower().endswith("cluster") else f"{cluster} cluster"
        by_level = _by_level(_grouped(members, _level), named=True)
        lines[f"cluster:{cluster}"] = f"The {called} has {_count(len(members))}: {by_level}."
    return lines


def _level(school: School) -> str:
    return school.level.strip().lower()


def _grouped(schools: list[School], key) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for school in schools:
        groups.setdefault(key(school), []).append(school.name)
    return dict(sorted(groups.items()))


def _by_level(levels: dict[str, list[str]], *, named: bool) -> str:
    """ "15 elementary and 5 secondary", or with the names: "5 elementary (Bluestem Elementary, ...) and 1 high
    (Harbor High School)"."""
    parts = [
        f"{len(names)} {level or 'with no level recorded'}" + (f" ({listed(names)})" if named else "")
        for level, names in sorted(levels.items(), key=lambda item: item[0] == "")
    ]
    return listed(parts)


def _count(n: int) -> str:
    return f"{n} school{'' if n == 1 else 's'}"


def listed(items: list[str], word: str = "and") -> str:
    """ "Bluestem Elementary, Sandhill Elementary and Red Oak Elementary"; with "or", a choice."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


def beside_district(school: str, value: float, overall: float, year: int) -> str:
    """'The district was at 81.2% in 2025, so Harbor High School is 4.7 points below the district.'"""
    diff = value - overall
    where = "above" if diff > 0 else "below" if diff < 0 else "level with"
    return f"The district was at {overall:.1f}% in {year}, so {school} is {abs(diff):.1f} points {where} the district."


def schools_line(
    subject: str, year: int, values: list[tuple[str, float]], order: str = "highest first", scope: str = ""
) -> str:
    """ "Grade 8 mathematics in 2025, middle schools, lowest first: Lincoln Middle School 35.2%, ..." """
    said = ", ".join(f"{name} {value:.1f}%" for name, value in values) or "no school"
    return f"{subject} in {year}{scope}{', ' + order if len(values) > 1 else ''}: {said}."


def by_status(
    target: Target, year: int, values: list[tuple[str, float]]
) -> dict[str, list[tuple[str, float]]]:
    """The schools' values against a target's trajectory in a year, by status ("met", "on_track", ...)."""
    statuses: dict[str, list[tuple[str, float]]] = {status: [] for status in STATUS_LABELS}
    for name, value in values:
        statuses[target.status(value, year)].append((name, value))
    return statuses


def status_line(
    subject: str, year: int, status: str, values: list[tuple[str, float]], scope: str = ""
) -> str:
    """ "Grade 3 reading in 2025, on track: Red Oak Elementary 72.0%, ..." ("met the goal" for met)."""
    said = "met the goal" if status == "met" else STATUS_LABELS[status]
    return (
        f"{subject} in {year}{scope}, {said}: {', '.join(f'{n} {v:.1f}%' for n, v in values) or 'no school'}."
    )


def trajectory(target: Target) -> str:
    """ "The trajectory by year: 2022: 48, 2023: 50, ..., 2026: 60." """
    years = range(target.baseline_year, target.goal_year + 1)
    return "The trajectory by year: " + ", ".join(f"{y}: {target.expected(y):g}" for y in years) + "."


def gap_sentence(gap: dict) -> str:
    """'The gap with all students was 10.0 points in 2025 (12.4 in 2024): it narrowed.'"""
    text = f"The gap with all students was {gap['value']:.1f} points in {gap['year']}"
    if "previous_year" in gap:
        moved = "narrowed" if gap["narrowed"] else "did not narrow"
        text += f" ({gap['previous_value']:.1f} in {gap['previous_year']}): it {moved}"
    return text + "."


def _trend(series: Series) -> str:
    years = sorted(series)
    text = ", ".join(f"{y}: {series[y]:.1f}%" for y in years)
    if len(years) > 1:
        step = series[years[-1]] - series[years[-2]]
        text += f". {'Up' if step > 0 else 'Down' if step < 0 else 'Unchanged'} {abs(step):.1f} points from {years[-2]}"
        text += f" to {years[-1]}, and {series[years[-1]] - series[years[0]]:+.1f} points since {years[0]}"
    return text + "."


def write_cards(data: DistrictData, folder: Path) -> list[Path]:
    """Rewrite the cards folder from the data (old cards go, so removed schools leave the index)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    rows: dict[tuple[str, str], dict[int, list[tuple[float, int]]]] = {}
    series: dict[tuple[str, str, str], Series] = {}  # (school, measure, group) -> year -> value
    counted: dict[tuple[str, str, str], dict[int, int]] = {}
    for r in data.results:
        rows.setdefault((r.measure, r.group), {}).setdefault(r.year, []).append((r.value, r.students))
        series.setdefault((r.school_id, r.measure, r.group), {})[r.year] = r.value
        counted.setdefault((r.school_id, r.measure, r.group), {})[r.year] = r.students
    weighted = {key: {y: sum(v * n for v, n in pairs) / sum(n for _, n in pairs) for y, pairs in years.items()}
                for key, years in rows.items()}  # fmt: skip
    by_school: dict[str, dict[str, Series]] = {}
    for (sid, measure, group), values in series.items():
        if group == "all":
            by_school.setdefault(sid, {})[measure] = values
    report = build_report(data.config, weighted, by_school)
    lexicon = Lexicon.build(data.config, data.schools, rows)
    order = {key: n for n, key in enumerate(lexicon.measures)}
    held = sorted(rows, key=lambda mg: (mg[1] != "all", mg[1], order.get(mg[0], 0)))
    name = data.config.name
    written = []
    for school in data.schools:
        sid = school.school_id
        lines = [f"# {school.name} ({sid}): results", "",
                 f"{school.name} ({sid}) is {_kind(school.level)}"
                 + (f" in the {school.cluster.strip()} cluster" if school.cluster.strip() else "") + f" of {name}."
                 + (f" Its principal is {school.principal}." if school.principal else "")
                 + " Its results are the percentage of its students meeting each measure, by year."]  # fmt: skip
        if sid in report.schools_on_the_move:
            lines.append(f"{school.name} is one of the Schools on the Move: it rose for three years running on "
                         "at least four measures. Other schools can learn from what it did.")  # fmt: skip
        if sid in report.coasting_schools:
            lines.append(f"{school.name} is coasting: its results are close to the district's but have not moved "
                         "in three years. The district offers it support (see the support and intervention guide).")  # fmt: skip
        for measure, group in held:
            own = series.get((sid, measure, group))
            if not own:
                continue
            called = label(lexicon, measure, group)
            latest = max(own)
            lines += ["", f"## {school.name}: {called}", "",
                      f"{school.name}, {called}, by year: {_trend(own)}"]  # fmt: skip
            overall = weighted[(measure, group)].get(latest)
            if group != "all":
                lines.append(
                    f"In {latest} the group counted {counted[(sid, measure, group)][latest]} students."
                )
            elif overall is not None:
                lines.append(beside_district(school.name, own[latest], overall, latest))
        path = folder / f"{sid}.md"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(path)
    path = folder / "district-progress.md"
    path.write_text(_district_card(data, lexicon, report, held, weighted, series), encoding="utf-8")
    return [*written, path]


def _district_card(data: DistrictData, lexicon: Lexicon, report, held, weighted, series) -> str:
    """The district's card: each measure's trend and its target, every school's value on it, the Schools
    on the Move and the coasting schools, and the district's schools."""
    lines = [f"# {data.config.name}: progress on the targets", ""]
    progress = {(p.target.measure, p.target.group): p for p in report.targets}
    for measure, group in held:
        called = label(lexicon, measure, group)
        lines += [
            f"## District {called}",
            "",
            f"District {called}, by year: {_trend(weighted[(measure, group)])}",
        ]
        if p := progress.get((measure, group)):
            t = p.target
            lines[-1] += (f" The trajectory expected {p.expected:.1f} in {p.latest_year}; the goal is {t.goal_value:g} "
                          f"by {t.goal_year}. Status: {STATUS_LABELS[p.status]}."
                          + (f" {gap_sentence(p.gap)}" if p.gap else "") + f" {trajectory(t)}")  # fmt: skip
        lines.append("")
    names = {s.school_id: s.name for s in data.schools}
    targets = {(t.measure, t.group): t for t in data.config.targets}
    for measure, group in held:
        own = {sid: s for (sid, m, g), s in series.items() if m == measure and g == group}
        year = max(max(s) for s in own.values())
        values = sorted(
            ((names[sid], s[year]) for sid, s in own.items() if year in s), key=lambda nv: (-nv[1], nv[0])
        )
        called = label(lexicon, measure, group)
        lines += [f"## {called}: the schools", "", schools_line(called, year, values)]
        if target := targets.get((measure, group)):
            lines += [
                status_line(called, year, status, found)
                for status, found in by_status(target, year, values).items()
            ]
        lines.append("")
    lines += ["## Schools on the Move and coasting schools", "",
              "Schools on the Move: " + (", ".join(names[s] for s in report.schools_on_the_move) or "none") + ".",
              "Coasting schools, offered support: " + (", ".join(names[s] for s in report.coasting_schools) or "none")
              + "."]  # fmt: skip
    lines += ["", "## The district's schools", "", *school_lines(data.config.name, data.schools).values()]
    return "\n".join(lines) + "\n"
