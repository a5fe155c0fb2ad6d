"""Progress as text (the CLI) and the digest preview folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.district.digest import Digest, build_digest, occurrence, week_of
from bot.district.model import DistrictConfig
from bot.district.progress import STATUS_LABELS, ProgressReport
from bot.district.service import District


def target_lines(report: ProgressReport) -> list[str]:
    """One line per target: value, expected, goal, status, and the gap for a group target."""
    lines = []
    for t in report.targets:
        target = t.target
        line = (f"{target.label}: {t.value:.1f} in {t.latest_year}, expected {t.expected:.1f}, goal "
                f"{target.goal_value:g} by {target.goal_year}: {STATUS_LABELS[t.status]}")  # fmt: skip
        if t.gap:
            line += f"; gap to all students {t.gap['value']:.1f}"
            if "narrowed" in t.gap:
                line += " (narrowed)" if t.gap["narrowed"] else " (not narrowed)"
        lines.append(line)
    return lines


def progress_text(config: DistrictConfig, report: ProgressReport, names: dict[str, str]) -> str:
    """What `resolute progress` prints."""
    out = []
    if report.school:
        s = report.school
        out.append(f"{s['name']} ({s['school_id']}), {s['level']}, {s['cluster']} cluster"
                   + (": a School on the Move" if s["on_the_move"] else "")
                   + (": coasting, offered support" if s["coasting"] else ""))  # fmt: skip
    by_priority = {p.key: p for p in config.priorities}
    lines = target_lines(report)
    for key in dict.fromkeys(t.target.priority for t in report.targets):
        out.append(f"\n{by_priority[key].name} ({key})")
        out += [
            f"  {line}" for t, line in zip(report.targets, lines, strict=True) if t.target.priority == key
        ]
    if not report.targets:
        out.append("No results for these targets yet.")
    out.append(
        "\nSchools on the Move: " + (", ".join(names.get(s, s) for s in report.schools_on_the_move) or "none")
    )
    out.append(
        "Coasting schools (to support): "
        + (", ".join(names.get(s, s) for s in report.coasting_schools) or "none")
    )
    return "\n".join(out)


def write_preview(
    district: District, folder: Path, *, blocks: Callable[[Digest], list[dict]], now: datetime | None = None
) -> list[Path]:
    """Write this week's digest (digest.md, and blocks.json as `blocks` renders it) and its charts to `folder`,
    without posting."""
    config = district.config()
    week = week_of(occurrence(config, now or datetime.now(UTC)))
    names = {sid: s.name for sid, s in district.store.schools().items()}
    before = district.store.last_digest(config.digest_channel or "", before_week=week)
    digest = build_digest(config, district.report(), names, week=week, before=before)
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "digest.md", folder / "blocks.json"]
    written[0].write_text(f"# {config.name}: weekly progress ({week})\n\n{digest.text}\n", encoding="utf-8")
    written[1].write_text(json.dumps(blocks(digest), indent=2, ensure_ascii=False), encoding="utf-8")
    for name, png in digest.charts.items():
        (folder / name).write_bytes(png)
        written.append(folder / name)
    return written
