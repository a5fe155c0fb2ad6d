"""Data cards: the results written as short Markdown documents, one per school, so they are indexed
and a leader can ask "How is Maple PS doing in Grade 6 math?" and get a cited answer."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from bot.district.model import DistrictData, School
from bot.district.progress import STATUS_LABELS, Series, build_report, status_of

MEASURE_NAMES = {
    "g3_reading": "Grade 3 reading", "g3_writing": "Grade 3 writing", "g3_math": "Grade 3 mathematics",
    "g6_reading": "Grade 6 reading", "g6_writing": "Grade 6 writing", "g6_math": "Grade 6 mathematics",
    "graduation": "Graduation rate",
}  # fmt: skip


def measure_name(measure: str) -> str:
    """A readable name for a measure key."""
    return MEASURE_NAMES.get(measure, measure.replace("_", " ").capitalize())


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
    """ "15 elementary and 5 secondary", or with the names: "5 elementary (Fairview PS, ...) and 1 secondary
    (Northgate SS)"."""
    parts = [
        f"{len(names)} {level or 'with no level recorded'}" + (f" ({listed(names)})" if named else "")
        for level, names in sorted(levels.items(), key=lambda item: item[0] == "")
    ]
    return listed(parts)


def _count(n: int) -> str:
    return f"{n} school{'' if n == 1 else 's'}"


def listed(items: list[str], word: str = "and") -> str:
    """ "Maple PS, Birchwood PS and Oak Hill PS"; with "or", a choice."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


def beside_district(school: str, value: float, overall: float, year: int) -> str:
    """'The district was at 81.2% in 2025, so Westfield SS is 4.7 points below the district.'"""
    diff = value - overall
    where = "above" if diff > 0 else "below" if diff < 0 else "level with"
    return f"The district was at {overall:.1f}% in {year}, so {school} is {abs(diff):.1f} points {where} the district."


def standing_lines(target, by_school: dict[str, dict[str, Series]], names: dict[str, str]) -> dict[str, str]:
    """The schools on a target's measure in the latest year any has a result, by status against the
    target's trajectory and highest first, as the card says them and as "Which schools are on track in
    Grade 3 reading?" is answered: one line a status ("met", "on_track", ...) and "highest" (the highest
    and the lowest). {} when no school has a result."""
    values = {sid: series for sid, measures in by_school.items() if (series := measures.get(target.measure))}
    if not values:
        return {}
    year = max(max(series) for series in values.values())
    ranked = sorted(((names.get(sid, sid), s[year]) for sid, s in values.items() if year in s),
                    key=lambda item: (-item[1], item[0]))  # fmt: skip
    subject = f"{target.label.removesuffix(' (%)')} in {year}"
    lines = {}
    for status, label in STATUS_LABELS.items():
        found = [f"{name} {value:.1f}%" for name, value in ranked
                 if status_of(value, target.expected(year), target.goal_value, target.tolerance) == status]  # fmt: skip
        said = "met the goal" if status == "met" else label
        lines[status] = f"{subject}, {said}: {', '.join(found) or 'no school'}."
    (top, high), (bottom, low) = ranked[0], ranked[-1]
    lines["highest"] = f"{subject}, highest: {top} {high:.1f}%; lowest: {bottom} {low:.1f}%."
    return lines


def gap_sentence(gap: dict) -> str:
    """'The gap with all students was 10.0 points in 2025 (12.4 in 2024): it narrowed.'"""
    text = f"The gap with all students was {gap['value']:.1f} points in {gap['year']}"
    if "previous_year" in gap:
        moved = "narrowed" if gap["narrowed"] else "did not narrow"
        text += f" ({gap['previous_value']:.1f} in {gap['previous_year']}): it {moved}"
    return text + "."


def group_label(config, measure: str, group: str) -> str:
    """What a student group's results on a measure are called: its target's label ("Grade 3 reading,
    multilingual learners"), else the measure's name and the group's key ("Grade 6 writing, mll group")."""
    target = next((t for t in config.targets if t.measure == measure and t.group == group), None)
    return target.label.removesuffix(" (%)") if target else f"{measure_name(measure)}, {group} group"


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
    district: dict[tuple[str, str], dict[int, list[tuple[float, int]]]] = {}
    by_school: dict[str, dict[str, Series]] = {}
    groups: dict[tuple[str, str, str], dict[int, tuple[float, int]]] = {}  # (school, measure, group)
    for r in data.results:
        district.setdefault((r.measure, r.group), {}).setdefault(r.year, []).append((r.value, r.students))
        if r.group == "all":
            by_school.setdefault(r.school_id, {}).setdefault(r.measure, {})[r.year] = r.value
        else:
            groups.setdefault((r.school_id, r.measure, r.group), {})[r.year] = (r.value, r.students)
    weighted = {key: {y: sum(v * n for v, n in rows) / sum(n for _, n in rows) for y, rows in years.items()}
                for key, years in district.items()}  # fmt: skip
    report = build_report(data.config, weighted, by_school)
    name = data.config.name
    written = []
    for school in data.schools:
        measures = by_school.get(school.school_id, {})
        lines = [f"# {school.name} ({school.school_id}): results", "",
                 f"{school.name} ({school.school_id}) is {_kind(school.level)} in the {school.cluster or ''} "
                 f"cluster of {name}."
                 + (f" Its principal is {school.principal}." if school.principal else "")
                 + " Values are the percentage of students meeting the provincial standard "
                 "(for graduation, the five-year graduation rate)."]  # fmt: skip
        if school.school_id in report.schools_on_the_move:
            lines.append(f"{school.name} is one of the Schools on the Move: it rose for three years running on "
                         "at least four measures. Other schools can learn from what it did.")  # fmt: skip
        if school.school_id in report.coasting_schools:
            lines.append(f"{school.name} is coasting: its results are close to the district's but have not moved "
                         "in three years. The district offers it support (see the support and intervention guide).")  # fmt: skip
        for measure, series in sorted(measures.items()):
            label = measure_name(measure)
            lines += ["", f"## {school.name}: {label}", "",
                      f"{school.name} {label.lower()} ({measure}) by year: {_trend(series)}"]  # fmt: skip
            latest = max(series)
            overall = weighted.get((measure, "all"), {}).get(latest)
            if overall is not None:
                lines.append(beside_district(school.name, series[latest], overall, latest))
        for (school_id, measure, group), years in sorted(groups.items()):
            if school_id != school.school_id:
                continue
            label = group_label(data.config, measure, group)
            latest = max(years)
            lines += ["", f"## {school.name}: {label}", "",
                      f"{school.name} {label.lower()} ({measure}, {group} group) by year: "
                      f"{_trend({y: v for y, (v, _) in years.items()})} In {latest} the group counted "
                      f"{years[latest][1]} students."]  # fmt: skip
        path = folder / f"{school.school_id}.md"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(path)
    lines = [f"# {name}: progress on the targets", ""]
    for p in report.targets:
        t = p.target
        who = "" if t.group == "all" else f" for the {t.group} group"
        lines += [f"## District {t.label}{who}", "",
                  f"District {t.label.lower()}{who}: {_trend(p.trend)} The trajectory expected {p.expected:.1f} in "
                  f"{p.latest_year}; the goal is {t.goal_value:g} by {t.goal_year}. Status: "
                  f"{STATUS_LABELS[p.status]}." + (f" {gap_sentence(p.gap)}" if p.gap else ""), ""]  # fmt: skip
    schools = {s.school_id: s.name for s in data.schools}
    for p in report.targets:  # the schools against each target for all students
        if p.target.group == "all" and (standing := standing_lines(p.target, by_school, schools)):
            lines += [f"## {p.target.label.removesuffix(' (%)')}: the schools", "", *standing.values(), ""]
    lines += ["## Schools on the Move and coasting schools", "",
              "Schools on the Move: " + (", ".join(schools[s] for s in report.schools_on_the_move) or "none") + ".",
              "Coasting schools, offered support: " + (", ".join(schools[s] for s in report.coasting_schools) or "none")
              + "."]  # fmt: skip
    lines += ["", "## The district's schools", "", *school_lines(name, data.schools).values()]
    path = folder / "district-progress.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [*written, path]
