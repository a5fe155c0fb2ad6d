"""The district file contract: `district.toml` with `schools.csv` and `results.csv` beside it.

Everything is validated before anything is stored; every problem names its file and its line or key.
"""

from __future__ import annotations

import csv
import math
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_PRIORITIES = 5
DEFAULT_ON_THE_MOVE = ("g3_reading", "g3_writing", "g3_math", "g6_reading", "g6_writing", "g6_math")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{6,}$")
TOO_MANY = (
    "{path}: {n} priorities; Resolute accepts at most 5. Systems that improve keep relentless focus on a "
    "small number of key priorities; with more, no one can say which matters most and the message is lost. "
    "Choose the few that matter most and fold the others into how those are pursued."
)


class DistrictDataError(Exception):
    """The district file or its CSVs are invalid; `problems` lists each fault with where it is."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Priority:
    key: str
    name: str
    message: str


@dataclass(frozen=True)
class Target:
    priority: str
    measure: str
    label: str
    baseline_year: int
    baseline_value: float
    goal_year: int
    goal_value: float
    interim: dict[int, float] = field(default_factory=dict)
    tolerance: float = 2.0
    group: str = "all"

    def expected(self, year: int) -> float:
        """The trajectory: the interim value for `year` if given, else linear from baseline to goal."""
        if year in self.interim:
            return self.interim[year]
        span = self.goal_year - self.baseline_year
        t = min(max(year, self.baseline_year), self.goal_year)
        return self.baseline_value + (self.goal_value - self.baseline_value) * (t - self.baseline_year) / span


@dataclass(frozen=True)
class DistrictConfig:
    name: str
    timezone: str
    leadership_channel: str | None
    digest_channel: str | None
    digest_day: str
    digest_time: str  # HH:MM, local
    priorities: list[Priority]
    targets: list[Target]
    on_the_move_measures: tuple[str, ...] = DEFAULT_ON_THE_MOVE
    coasting_within: float = 5.0
    coasting_change: float = 2.0

    def as_dict(self) -> dict:
        """JSON-ready form (stored with the data)."""
        data = asdict(self)
        for t in data["targets"]:
            t["interim"] = {str(y): v for y, v in t["interim"].items()}
        return data

    @classmethod
    def from_dict(cls, data: dict) -> DistrictConfig:
        """Inverse of `as_dict`."""
        targets = [
            Target(**{**t, "interim": {int(y): v for y, v in t["interim"].items()}}) for t in data["targets"]
        ]
        return cls(**{**data, "priorities": [Priority(**p) for p in data["priorities"]], "targets": targets,
                      "on_the_move_measures": tuple(data["on_the_move_measures"])})  # fmt: skip


@dataclass(frozen=True)
class School:
    school_id: str
    name: str
    level: str
    cluster: str


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
    problems: list[str] = []
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DistrictDataError([f"{path}: not found"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DistrictDataError([f"{path}: not valid TOML ({exc})"]) from None
    config = _config(raw, path, problems)
    schools = _schools(path.with_name("schools.csv"), problems)
    known = {s.school_id for s in schools}
    results = _results(path.with_name("results.csv"), known, problems)
    if config is not None and results:
        measures = {(r.measure, r.group) for r in results}
        for i, t in enumerate(config.targets):
            if not any(m == t.measure for m, _ in measures):
                problems.append(f"{path}: targets[{i}].measure: '{t.measure}' has no rows in results.csv")
            elif (t.measure, t.group) not in measures:
                problems.append(
                    f"{path}: targets[{i}].group: results.csv has no '{t.group}' rows for '{t.measure}'"
                )
    if problems:
        raise DistrictDataError(problems)
    return DistrictData(config, schools, results)


def _config(raw: dict, path: Path, problems: list[str]) -> DistrictConfig | None:
    start = len(problems)

    def fail(key: str, message: str) -> None:
        problems.append(f"{path}: {key}: {message}")

    def text(table: dict, key: str, where: str, *, required: bool = True) -> str | None:
        value = table.get(key)
        if value is None:
            if required:
                fail(f"{where}{key}", "missing")
            return None
        if not isinstance(value, str) or not value.strip():
            fail(f"{where}{key}", f"must be non-empty text, not {value!r}")
            return None
        return value.strip()

    def number(value, key: str, *, low: float = 0.0, high: float = 100.0) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            fail(key, f"must be a number from {low:g} to {high:g}, not {value!r}")
            return None
        return float(value)

    district = raw.get("district")
    if not isinstance(district, dict):
        fail("[district]", "missing table")
        district = {}
    name = text(district, "name", "district.")
    tz = text(district, "timezone", "district.")
    if tz:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            fail("district.timezone", f"'{tz}' is not an IANA time zone such as 'America/Toronto'")
    channels = {}
    for key in ("leadership_channel", "digest_channel"):
        channels[key] = text(district, key, "district.", required=False)
        if channels[key] and not _CHANNEL.match(channels[key]):
            fail(f"district.{key}", f"'{channels[key]}' is not a Slack channel id such as 'C0123456789'")
    day, time_ = "fri", "15:00"
    schedule = text(district, "digest_schedule", "district.", required=False)
    if schedule:
        m = re.fullmatch(r"(\w{3})\w*\s+(\d{1,2}):(\d{2})", schedule.lower())
        if not m or m.group(1) not in DAYS or int(m.group(2)) > 23 or int(m.group(3)) > 59:
            fail(
                "district.digest_schedule",
                f"'{schedule}' is not a day and a 24-hour time such as 'fri 15:00'",
            )
        else:
            day, time_ = m.group(1), f"{int(m.group(2)):02d}:{m.group(3)}"
    moving = district.get("on_the_move_measures", list(DEFAULT_ON_THE_MOVE))
    if (
        not isinstance(moving, list)
        or not moving
        or not all(isinstance(x, str) and _KEY.match(x) for x in moving)
    ):
        fail("district.on_the_move_measures", "must be a list of measure keys")
        moving = list(DEFAULT_ON_THE_MOVE)
    within = number(district.get("coasting_within", 5.0), "district.coasting_within")
    change = number(district.get("coasting_change", 2.0), "district.coasting_change")

    priorities: list[Priority] = []
    raw_priorities = raw.get("priorities", [])
    if not isinstance(raw_priorities, list) or not raw_priorities:
        fail("[[priorities]]", "at least one priority is needed")
        raw_priorities = []
    if len(raw_priorities) > MAX_PRIORITIES:
        problems.append(TOO_MANY.format(path=path, n=len(raw_priorities)))
    for i, p in enumerate(raw_priorities):
        where = f"priorities[{i}]."
        key, pname, message = text(p, "key", where), text(p, "name", where), text(p, "message", where)
        if key and not _KEY.match(key):
            fail(f"{where}key", f"'{key}' must be lower-case letters, digits and _")
        elif key in {x.key for x in priorities}:
            fail(f"{where}key", f"'{key}' is used twice")
        if key and pname and message:
            priorities.append(Priority(key, pname, message))

    targets: list[Target] = []
    raw_targets = raw.get("targets", [])
    if not isinstance(raw_targets, list):
        fail("[[targets]]", "must be an array of tables")
        raw_targets = []
    keys = {p.key for p in priorities}
    for i, t in enumerate(raw_targets):
        where = f"targets[{i}]."
        priority, measure = text(t, "priority", where), text(t, "measure", where)
        label = text(t, "label", where)
        group = text(t, "group", where, required=False) or "all"
        if priority and priority not in keys:
            fail(
                f"{where}priority",
                f"'{priority}' is not a priority key ({', '.join(sorted(keys)) or 'none defined'})",
            )
        if measure and not _KEY.match(measure):
            fail(f"{where}measure", f"'{measure}' must be lower-case letters, digits and _")
        points = {}
        for end in ("baseline", "goal"):
            point = t.get(end)
            if not isinstance(point, dict) or "year" not in point or "value" not in point:
                fail(f"{where}{end}", "must be { year = YYYY, value = N }")
                continue
            year = point["year"]
            if isinstance(year, bool) or not isinstance(year, int) or not 1990 <= year <= 2100:
                fail(f"{where}{end}.year", f"must be a year, not {year!r}")
                continue
            value = number(point["value"], f"{where}{end}.value")
            if value is not None:
                points[end] = (year, value)
        if len(points) == 2 and points["goal"][0] <= points["baseline"][0]:
            fail(f"{where}goal.year", "must be after the baseline year")
            points.pop("goal")
        interim: dict[int, float] = {}
        raw_interim = t.get("interim", {})
        if not isinstance(raw_interim, dict):
            fail(f"{where}interim", "must be a table such as { 2024 = 67.0 }")
            raw_interim = {}
        for year_text, value in raw_interim.items():
            year = int(year_text) if str(year_text).isdigit() else None
            if year is None or (len(points) == 2 and not points["baseline"][0] < year < points["goal"][0]):
                fail(f"{where}interim.{year_text}", "must be a year between the baseline and the goal")
                continue
            checked = number(value, f"{where}interim.{year_text}")
            if checked is not None:
                interim[year] = checked
        tolerance = number(t.get("tolerance", 2.0), f"{where}tolerance", high=50.0)
        if priority and measure and label and len(points) == 2 and tolerance is not None:
            targets.append(Target(priority, measure, label, *points["baseline"], *points["goal"], interim,
                                  tolerance, group))  # fmt: skip
    if len(problems) > start or name is None or tz is None:
        return None
    return DistrictConfig(name, tz, channels["leadership_channel"], channels["digest_channel"], day, time_,
                          priorities, targets, tuple(moving), within, change)  # fmt: skip


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
        else:
            seen.add(row["school_id"])
            schools.append(School(row["school_id"], row["name"], row["level"], row["cluster"]))
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
