"""The district's data in SQL: replaced all at once on load, read by progress, cards and digests."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import Engine, and_, delete, func, insert, select

from bot.district.model import DistrictConfig, DistrictData, School
from bot.district.progress import ProgressReport, Series, build_report
from bot.store import claims
from bot.store.tables import digest_posts, district_config, results, schools


class DistrictStore:
    """Repository for the district tables; the one place that reads or writes them."""

    def __init__(self, *, engine: Engine) -> None:
        self._engine = engine
        self._parsed: tuple[str, DistrictConfig] | None = None  # the stored file's text, and it validated

    def replace(self, data: DistrictData, *, source: str) -> None:
        """Swap in a validated load in one transaction: all of it is kept, or none of it."""
        with self._engine.begin() as conn:
            conn.execute(delete(results))
            conn.execute(delete(schools))
            conn.execute(delete(district_config))
            conn.execute(insert(district_config), [
                {"key": "config", "value": json.dumps(data.config.as_dict())},
                {"key": "source", "value": source},
                {"key": "loaded_at", "value": datetime.now(UTC).isoformat()},
            ])  # fmt: skip
            conn.execute(insert(schools), [s.__dict__ for s in data.schools])
            rows = [{"school_id": r.school_id, "measure": r.measure, "year": r.year, "student_group": r.group,
                     "value": r.value, "students": r.students} for r in data.results]  # fmt: skip
            for start in range(0, len(rows), 20_000):
                conn.execute(insert(results), rows[start : start + 20_000])

    def config(self) -> DistrictConfig | None:
        """The loaded district file, or None before the first load. Read every time (another process may have
        loaded a new one), validated once per load: a check-in tick asks for it once per member."""
        with self._engine.connect() as conn:
            raw = conn.execute(
                select(district_config.c.value).where(district_config.c.key == "config")
            ).scalar()
        if not raw:
            return None
        parsed = self._parsed
        if parsed is None or parsed[0] != raw:  # DistrictConfig is frozen: one value serves every caller
            parsed = self._parsed = (raw, DistrictConfig.from_dict(json.loads(raw)))
        return parsed[1]

    def loaded_at(self) -> str | None:
        """When the data now stored was loaded (a new load is a new value), or None before any."""
        with self._engine.connect() as conn:
            return conn.execute(
                select(district_config.c.value).where(district_config.c.key == "loaded_at")
            ).scalar()

    def schools(self) -> dict[str, School]:
        """Every school by id."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(schools)).all()
        return {r.school_id: School(r.school_id, r.name, r.level, r.cluster, r.principal or "", r.edfi_id)
                for r in rows}  # fmt: skip

    def district_series(self) -> dict[tuple[str, str], Series]:
        """(measure, group) -> year -> students-weighted mean of the school values."""
        weighted = func.sum(results.c.value * results.c.students) / func.sum(results.c.students)
        query = select(results.c.measure, results.c.student_group, results.c.year, weighted).group_by(
            results.c.measure, results.c.student_group, results.c.year
        )
        series: dict[tuple[str, str], Series] = {}
        with self._engine.connect() as conn:
            for measure, group, year, value in conn.execute(query):
                series.setdefault((measure, group), {})[year] = float(value)
        return series

    def school_series(self, measures: set[str], *, since: int | None = None, school_id: str | None = None,
                      group: str = "all") -> dict[str, dict[str, Series]]:  # fmt: skip
        """school -> measure -> year -> value, for the given measures (and years, school)."""
        conditions = [results.c.measure.in_(sorted(measures)), results.c.student_group == group]
        if since is not None:
            conditions.append(results.c.year >= since)
        if school_id is not None:
            conditions.append(results.c.school_id == school_id)
        query = select(results.c.school_id, results.c.measure, results.c.year, results.c.value).where(
            and_(*conditions)
        )
        out: dict[str, dict[str, Series]] = {}
        with self._engine.connect() as conn:
            for sid, measure, year, value in conn.execute(query):
                out.setdefault(sid, {}).setdefault(measure, {})[year] = value
        return out

    def students(self, school_id: str, measure: str, group: str, year: int) -> int | None:
        """How many students a school's result for a group and year counts."""
        query = select(results.c.students).where(
            results.c.school_id == school_id, results.c.measure == measure,
            results.c.student_group == group, results.c.year == year,
        )  # fmt: skip
        with self._engine.connect() as conn:
            return conn.execute(query).scalar_one_or_none()

    def report(self, config: DistrictConfig) -> ProgressReport:
        """Progress on every target, Schools on the Move and coasting schools."""
        district = self.district_series()
        measures = {t.measure for t in config.targets} | set(config.on_the_move_measures)
        # the rules look back at most four years of each measure's data
        starts = [sorted(s)[-4:][0] for (m, g), s in district.items() if g == "all" and m in measures]
        since = min(starts) if starts else None
        return build_report(config, district, self.school_series(measures, since=since))

    # -- digests: one per channel per ISO week, claimed before posting -----------------------------
    def claim_digest(self, channel: str, week: str, now: datetime) -> bool:
        """True if this caller should post the week's digest (first claim, or a stale failed one)."""
        return claims.claim(self._engine, digest_posts, {"channel": channel, "week": week}, now)

    def release_digest(self, channel: str, week: str) -> None:
        """Give the claim back after a failed post, so the next attempt can post."""
        claims.release(self._engine, digest_posts, {"channel": channel, "week": week})

    def digest_posted(self, channel: str, week: str, *, ts: str, summary: dict, now: datetime) -> None:
        """Record the posted digest and what it showed (the next one says what changed)."""
        claims.posted(self._engine, digest_posts, {"channel": channel, "week": week}, now,
                      message_ts=ts, summary=json.dumps(summary))  # fmt: skip

    def last_digest(self, channel: str, *, before_week: str) -> dict | None:
        """What the previous posted digest in this channel showed."""
        with self._engine.connect() as conn:
            raw = conn.execute(
                select(digest_posts.c.summary)
                .where(digest_posts.c.channel == channel, digest_posts.c.status == "posted",
                       digest_posts.c.week < before_week)
                .order_by(digest_posts.c.week.desc()).limit(1)
            ).scalar()  # fmt: skip
        return json.loads(raw) if raw else None
