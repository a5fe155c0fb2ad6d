"""The district file contract: `district.toml` with `schools.csv` and `results.csv` beside it.

Everything is validated before anything is stored; every problem names its file, its line and, in the
district file, its key path (`bot.district.config` holds the file's models).
"""

from __future__ import annotations

import csv
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from bot.district.config import DAYS, DistrictConfig, DistrictFile, Priority, Target
from bot.district.problems import describe, fault
from bot.district.vocabulary import measures_of

__all__ = ["DAYS", "DistrictConfig", "DistrictData", "DistrictDataError", "Priority", "Result", "School", "Target",
           "district_file", "load_district"]  # fmt: skip
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


class DistrictDataError(Exception):
    """The district file or its CSVs are invalid; `problems` lists each fault with where it is."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class School:
    school_id: str
    name: str
    level: str
    cluster: str
    principal: str = ""  # optional: "Nilsson's school" names the school she leads
    edfi_id: int | None = None  # optional: its schoolId in the state's Ed-Fi API (the notes' export)


@dataclass(frozen=True)
class Result:
    school_id: str
    measure: str
    year: int
    group: str
    value: float
    students: int


@dataclass
class DistrictData:
    config: DistrictConfig
    schools: list[School]
    results: list[Result]


def district_file(knowledge_dir: Path, override: Path | None) -> Path:
    """Where the district file is: RESOLUTE_DISTRICT_FILE, else <knowledge dir>/district/district.toml."""
    return override if override is not None else knowledge_dir / "district" / "district.toml"


def load_district(path: Path) -> DistrictData:
    """Read and validate the district file and its CSVs; raises DistrictDataError listing every fault."""
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except FileNotFoundError:
        raise DistrictDataError([f"{path}: not found"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DistrictDataError([f"{path}: not valid TOML ({exc})"]) from None
    problems: list[str] = []
    try:
        config = DistrictFile.read(raw).to_config()
    except ValidationError as exc:
        config = None
        problems += describe(exc, DistrictFile, path, text)
    schools = _schools(path.with_name("schools.csv"), problems)
    known = {s.school_id for s in schools}
    results = _results(path.with_name("results.csv"), known, problems)
    if config is not None and results:
        measures = {(r.measure, r.group) for r in results}
        for i, t in enumerate(config.targets):
            if not any(m == t.measure for m, _ in measures):
                key, message = "measure", f"'{t.measure}' has no rows in results.csv"
            elif (t.measure, t.group) not in measures:
                key, message = "group", f"results.csv has no '{t.group}' rows for '{t.measure}'"
            else:
                continue
            problems.append(fault(path, text, ("targets", i, key), message))
        problems += _names_used(config, {(r.measure, r.group) for r in results}, path, text)
    if config is not None:  # a channel's school is known only once schools.csv is read
        problems += [fault(path, text, ("channels", i, "school"), f"'{c.school}' is not a school_id in schools.csv")
                     for i, c in enumerate(config.channels) if c.school is not None and c.school not in known]  # fmt: skip
    if config is not None and config.notes is not None:  # so are the schools of its school readers
        problems += [fault(path, text, ("notes", "school_readers", school), f"'{school}' is not a school_id in schools.csv")
                     for school in config.notes.school_readers if school not in known]  # fmt: skip
    if problems:
        raise DistrictDataError(problems)
    if not config.on_the_move_measures:  # the default: every measure with a grade
        held = {(r.measure, r.group) for r in results}
        measures, _ = measures_of(config, held)
        graded = tuple(k for k, measure in measures.items() if measure.grade)
        config = config.model_copy(update={"on_the_move_measures": graded})
    return DistrictData(config, schools, results)


def _names_used(config: DistrictConfig, held: set[tuple[str, str]], path: Path, text: str) -> list[str]:
    """A [[measures]] entry or a [groups] name for a key results.csv never uses is a misspelt key."""
    measures, groups = {m for m, _ in held}, {g for _, g in held}
    problems = [
        fault(path, text, ("measures", i, "key"), f"'{m.key}' has no rows in results.csv")
        for i, m in enumerate(config.measures)
        if m.key not in measures
    ]
    problems += [
        fault(path, text, ("groups", key), f"'{key}' has no rows in results.csv (its group column)")
        for key in config.groups
        if key not in groups
    ]
    return problems


def _rows(path: Path, required: tuple[str, ...], problems: list[str]):
    """(line number, row) for each data row; None if the file cannot be used at all."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        problems.append(f"{path}: not found (it belongs beside district.toml)")
        return None
    with handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in required if c not in header]
        if missing:
            problems.append(
                f"{path}: line 1: missing column(s) {', '.join(missing)} (header is {','.join(header)})"
            )
            return None
        reader.fieldnames = header
        try:
            return [(reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader]
        except (csv.Error, UnicodeDecodeError) as exc:
            problems.append(f"{path}: line {reader.line_num}: unreadable ({exc})")
            return None


def _schools(path: Path, problems: list[str]) -> list[School]:
    rows = _rows(path, ("school_id", "name", "level", "cluster"), problems)
    schools: list[School] = []
    seen: set[str] = set()
    for line, row in rows or []:
        if not row["school_id"] or not row["name"]:
            problems.append(f"{path}: line {line}: school_id and name are required")
        elif row["school_id"] in seen:
            problems.append(f"{path}: line {line}: school_id '{row['school_id']}' appears twice")
        elif (edfi := row.get("edfi_id", "")) and not (edfi.isdigit() and 0 < int(edfi) < 2**63):
            problems.append(
                f"{path}: line {line}: edfi_id '{edfi}' is not an Ed-Fi school id (a whole number)"
            )
        else:
            seen.add(row["school_id"])
            schools.append(School(row["school_id"], row["name"], row["level"], row["cluster"],
                                  row.get("principal", ""), int(edfi) if edfi else None))  # fmt: skip
    return schools


def _results(path: Path, schools: set[str], problems: list[str]) -> list[Result]:
    rows = _rows(path, ("school_id", "measure", "year", "value", "students"), problems)
    results: list[Result] = []
    seen: set[tuple] = set()
    for line, row in rows or []:
        if len(problems) > 50:
            problems.append(f"{path}: stopped after 50 problems")
            break
        where = f"{path}: line {line}"
        try:
            year, value, students = int(row["year"]), float(row["value"]), int(row["students"])
        except ValueError:
            problems.append(f"{where}: year and students must be whole numbers and value a number "
                            f"(got year={row['year']!r}, value={row['value']!r}, students={row['students']!r})")  # fmt: skip
            continue
        group = row.get("group") or "all"
        if row["school_id"] not in schools:
            problems.append(f"{where}: school_id '{row['school_id']}' is not in schools.csv")
        elif not _KEY.match(row["measure"]) or not _KEY.match(group):
            problems.append(
                f"{where}: measure and group must be lower-case keys (got '{row['measure']}', '{group}')"
            )
        elif not (0.0 <= value <= 100.0) or math.isnan(value):
            problems.append(f"{where}: value {value:g} is not a percentage from 0 to 100")
        elif students <= 0:
            problems.append(f"{where}: students must be at least 1 (got {students})")
        elif not 1990 <= year <= 2100:
            problems.append(f"{where}: year {year} is out of range")
        elif (key := (row["school_id"], row["measure"], year, group)) in seen:
            problems.append(
                f"{where}: a second row for {row['school_id']}, {row['measure']}, {year}, group {group}"
            )
        else:
            seen.add(key)
            results.append(Result(row["school_id"], row["measure"], year, group, value, students))
    return results
