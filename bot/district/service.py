"""The district service: load the data, answer progress questions, feed the Home tab and the digest."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.district.cards import write_cards
from bot.district.model import DistrictConfig, district_file, load_district
from bot.district.progress import STATUS_LABELS, ProgressReport, target_progress
from bot.district.store import DistrictStore

SUGGESTIONS = 4  # the most suggested prompts Slack shows in an assistant thread
BEHIND = 2  # of them, at most this many targets behind their trajectory


class NotLoaded(Exception):
    """No district file has been loaded yet."""


class UnknownSubject(Exception):
    """A priority key or school that the loaded data does not have."""


@dataclass
class LoadSummary:
    source: Path
    priorities: int
    targets: int
    schools: int
    results: int
    cards: list[Path]


class District:
    """Everything the CLI, the listeners and the jobs ask about the district."""

    def __init__(self, *, store: DistrictStore, knowledge_dir: Path, district_file: Path | None,
                 cards_dir: Path) -> None:  # fmt: skip
        self.store = store
        self.path = district_file
        self._knowledge_dir = knowledge_dir
        self._cards_dir = cards_dir
        self._pinned = threading.local()

    @property
    def file(self) -> Path:
        """The district file this install reads."""
        return district_file(self._knowledge_dir, self.path)

    def load(self) -> LoadSummary:
        """Validate and store the district file and CSVs, then rewrite the data cards.

        Raises DistrictDataError (with every fault and where it is) and keeps the previous data.
        """
        data = load_district(self.file)
        self.store.replace(data, source=str(self.file))
        cards = write_cards(data, self._cards_dir)
        c = data.config
        return LoadSummary(
            self.file, len(c.priorities), len(c.targets), len(data.schools), len(data.results), cards
        )

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Within the block, this thread reads the district file once: a tick, a digest or a summary sees
        one version of it, even if `resolute data load` stores a new one meanwhile. Blocks nest."""
        if getattr(self._pinned, "config", None) is not None:
            yield
            return
        self._pinned.config = self.store.config()
        try:
            yield
        finally:
            self._pinned.config = None

    def config(self) -> DistrictConfig:
        """The loaded district file; NotLoaded before the first load."""
        config = getattr(self._pinned, "config", None) or self.store.config()
        if config is None:
            raise NotLoaded(f"no district data is loaded yet: run `resolute data load` (reads {self.file})")
        return config

    def report(self, *, priority: str | None = None, school: str | None = None) -> ProgressReport:
        """Progress on the targets, optionally for one priority, or as seen from one school."""
        config = self.config()
        report = self.store.report(config)
        if priority is not None:
            keys = [p.key for p in config.priorities]
            if priority not in keys:
                raise UnknownSubject(f"no priority '{priority}'; the priorities are {', '.join(keys)}")
            report.targets = [t for t in report.targets if t.target.priority == priority]
        if school is not None:
            report = self._school_view(config, report, school)
        return report

    def suggested_questions(
        self, names: Sequence[str] = (), *, limit: int = SUGGESTIONS
    ) -> list[tuple[str, str]]:
        """Questions to offer a member who opens a new conversation, as (title, question), most useful first:
        how their own school is doing when `names` (their Slack names) is a principal's in schools.csv, two
        targets behind their trajectory (off track first), then each priority's plan. Empty before a load."""
        try:
            config = self.config()
        except NotLoaded:
            return []
        wanted = {" ".join(n.split()).lower() for n in names if n and n.strip()}
        found: list[tuple[str, str]] = []
        for school in self.store.schools().values():
            if school.principal and " ".join(school.principal.split()).lower() in wanted:
                found.append((f"How is {school.name} doing?", f"How is {school.name} doing on our targets?"))
        behind = [t for t in self.store.report(config).targets if t.status in ("off_track", "at_risk")]
        behind.sort(key=lambda t: (t.status != "off_track", t.target.label))
        for t in behind[:BEHIND]:  # leave room for the priorities
            found.append((f"{t.target.label}: {STATUS_LABELS[t.status]}",
                          f"How are we doing on {t.target.label}, and which schools are furthest behind?"))  # fmt: skip
        for p in config.priorities:
            found.append((f"Our plan for {p.name.lower()}", f"What is our plan for {p.name.lower()}?"))
        return list(dict.fromkeys(found))[:limit]

    def find_school(self, text: str) -> str | None:
        """A school id from an id or a name, ignoring case ("ls01", "Prairie Wind Elementary", "prairie")."""
        schools = self.store.schools()
        wanted = text.strip().lower()
        for sid, s in schools.items():
            if wanted in (sid.lower(), s.name.lower()):
                return sid
        matches = [sid for sid, s in schools.items() if s.name.lower().startswith(wanted)]
        return matches[0] if len(matches) == 1 else None

    def _school_view(self, config: DistrictConfig, report: ProgressReport, school: str) -> ProgressReport:
        sid = self.find_school(school)
        if sid is None:
            raise UnknownSubject(
                f"no school '{school}' in schools.csv (use its id, such as RB01, or its name)"
            )
        info = self.store.schools()[sid]
        wanted = {t.target.measure for t in report.targets}
        own = {}
        for group in {t.target.group for t in report.targets}:
            for measure, series in (
                self.store.school_series(wanted, school_id=sid, group=group).get(sid, {}).items()
            ):
                own[(measure, group)] = series
        targets = []
        for t in report.targets:
            progress = target_progress(t.target, own.get((t.target.measure, t.target.group), {}),
                                       own.get((t.target.measure, "all")))  # fmt: skip
            if progress:
                targets.append(progress)
        school_data = {"school_id": sid, "name": info.name, "level": info.level, "cluster": info.cluster,
                       "on_the_move": sid in report.schools_on_the_move,
                       "coasting": sid in report.coasting_schools}  # fmt: skip
        return ProgressReport(
            targets, report.schools_on_the_move, report.coasting_schools, school=school_data
        )

    def home_priorities(self) -> list[dict]:
        """For the Home tab: each priority with its message and its targets' statuses."""
        try:
            config = self.config()
        except NotLoaded:
            return []
        report = self.store.report(config)
        out = []
        for p in config.priorities:
            lines = [f"{t.target.label}: {t.value:.1f} in {t.latest_year} (expected {t.expected:.1f}), "
                     f"{STATUS_LABELS[t.status]}" for t in report.targets if t.target.priority == p.key]  # fmt: skip
            out.append({"name": p.name, "message": p.message, "status": "\n".join(lines)})
        return out
