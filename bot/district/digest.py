"""The weekly digest: per priority, its message, each target against its trajectory, what changed,
Schools on the Move to celebrate and coasting schools to support, with one chart per priority."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.district.model import DAYS, DistrictConfig, Priority
from bot.district.progress import STATUS_LABELS, ProgressReport, TargetProgress

MARKERS = {"met": ":white_check_mark:", "on_track": ":large_green_circle:", "at_risk": ":large_yellow_circle:",
           "off_track": ":red_circle:"}  # fmt: skip


@dataclass
class Digest:
    """A week's digest as data: Slack's Block Kit for it is bot.slack.blocks.digest_blocks(title, parts, tail)."""

    week: str
    title: str  # "<district>: weekly progress"
    parts: list[str]  # mrkdwn, one a priority
    tail: list[str]  # the schools on the move and those to support, the notes logged
    charts: dict[str, bytes] = field(default_factory=dict)  # file name -> PNG
    summary: dict = field(default_factory=dict)  # what the next digest compares with

    @property
    def text(self) -> str:
        """The whole digest in mrkdwn: the preview's text and Slack's notification text."""
        return "\n\n".join(self.parts + self.tail)


def occurrence(config: DistrictConfig, now: datetime) -> datetime:
    """The latest scheduled digest time at or before `now`, in the district's time zone."""
    tz = ZoneInfo(config.timezone)
    local = now.astimezone(tz)
    hour, minute = map(int, config.digest_time.split(":"))
    days_back = (local.weekday() - DAYS.index(config.digest_day)) % 7
    candidate = (local - timedelta(days=days_back)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return candidate if candidate <= local else candidate - timedelta(days=7)


def week_of(moment: datetime) -> str:
    """ISO week key, e.g. '2026-W47'."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def _key(t: TargetProgress) -> str:
    return f"{t.target.measure}:{t.target.group}"


def _target_line(t: TargetProgress, before: dict | None) -> str:
    target = t.target
    line = (f"{MARKERS[t.status]} *{target.label}*: {t.value:.1f} in {t.latest_year} against {t.expected:.1f} "
            f"expected on the trajectory to {target.goal_value:g} by {target.goal_year}: *{STATUS_LABELS[t.status]}*.")  # fmt: skip
    if t.previous:
        year, value = t.previous
        line += f" {t.value - value:+.1f} points on {year}."
    if t.gap:
        g = t.gap
        line += f" Gap to all students: {g['value']:.1f} points"
        if "narrowed" in g:
            line += f" ({'narrowed' if g['narrowed'] else 'not narrowed'} from {g['previous_value']:.1f} in {g['previous_year']})"
        line += "."
    if before is None:
        return line
    was = before.get(_key(t))
    if was is None:
        line += " _New since the last digest._"
    elif was["status"] != t.status or abs(was["value"] - t.value) >= 0.05:
        line += (f" _Since the last digest: {was['value']:.1f} ({STATUS_LABELS[was['status']]}) → {t.value:.1f} "
                 f"({STATUS_LABELS[t.status]})._")  # fmt: skip
    else:
        line += " _No change since the last digest._"
    return line


def notes_line(counts: dict[tuple[str, str | None], int], priorities: list[Priority],
               moves: dict[str, int] | None = None) -> str:  # fmt: skip
    """The digest's line on intervention notes: how many were logged, by type and by priority, and how many
    recorded a move between tiers (`moves`: "up" to more support, "down" to less).

    Counts only, for a channel: never a school, a student, an author or a note's words.
    """
    total = sum(counts.values())
    if not total:
        return ":memo: *Interventions logged this week*: none."
    up, down = (moves or {}).get("up", 0), (moves or {}).get("down", 0)
    moved = ""
    if up or down:
        said = [f"{up} to more support" if up else "", f"{down} to less" if down else ""]
        moved = f" Tier changes: {up + down} ({', '.join(s for s in said if s)})."
    by_type: dict[str, int] = {}
    by_priority: dict[str | None, int] = {}
    for (kind, priority), n in counts.items():
        by_type[kind] = by_type.get(kind, 0) + n
        by_priority[priority] = by_priority.get(priority, 0) + n
    named = {p.key: p.name for p in priorities}

    def listed(pairs: dict, label) -> str:  # most first; "no priority" after the priorities it ties with
        ordered = sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0] is None, label(kv[0]).casefold()))
        return ", ".join(f"{label(k)} {n}" for k, n in ordered)

    types = listed(by_type, lambda k: k.replace("_", " "))
    # a priority the district file no longer lists keeps its key
    keys = listed(by_priority, lambda k: "no priority" if k is None else named.get(k, k))
    return f":memo: *Interventions logged this week*: {total}. By type: {types}. By priority: {keys}.{moved}"


def build_digest(config: DistrictConfig, report: ProgressReport, names: dict[str, str], *, week: str,
                 before: dict | None, charts: bool = True,
                 notes: dict[tuple[str, str | None], int] | None = None,
                 moves: dict[str, int] | None = None) -> Digest:  # fmt: skip
    """The digest's text and blocks (and charts) from a progress report; `notes`: the week's intervention
    counts by (type, priority), or None when notes are off (no line then); `moves`: its tier changes."""
    parts: list[str] = []
    for p in config.priorities:
        mine = [t for t in report.targets if t.target.priority == p.key]
        lines = [f"*{p.name}*", f"_{p.message}_"] + [_target_line(t, before) for t in mine]
        if not mine:
            lines.append("No results yet for this priority's targets.")
        parts.append("\n".join(lines))
    moving = ", ".join(names.get(s, s) for s in report.schools_on_the_move) or "none this year"
    coasting = ", ".join(names.get(s, s) for s in report.coasting_schools) or "none"
    tail = [f":tada: *Schools on the Move*, to celebrate and learn from: {moving}.",
            f":handshake: *Schools we are supporting*, whose results have levelled off near the district's: "
            f"{coasting}. This is support, not blame: ask how the district can help."]  # fmt: skip
    if notes is not None:
        tail.append(notes_line(notes, config.priorities, moves))
    summary = {_key(t): {"value": round(t.value, 2), "status": t.status} for t in report.targets}
    digest = Digest(week, f"{config.name}: weekly progress", parts, tail, summary=summary)
    if charts:
        digest.charts = {f"{p.key}.png": chart(p, [t for t in report.targets if t.target.priority == p.key])
                         for p in config.priorities}  # fmt: skip
    return digest


def chart(priority: Priority, targets: list[TargetProgress]) -> bytes:
    """One PNG per priority: each target's values by year, its trajectory and its goal."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4), dpi=100)
    ax = fig.subplots()
    for i, t in enumerate(targets):
        color = f"C{i}"
        years = sorted(t.trend)
        ax.plot(years, [t.trend[y] for y in years], marker="o", color=color, label=t.target.label)
        path = sorted({t.target.baseline_year, t.target.goal_year, *t.target.interim})
        ax.plot(path, [t.target.expected(y) for y in path], linestyle="--", color=color, alpha=0.6)
        ax.scatter([t.target.goal_year], [t.target.goal_value], marker="*", s=160, color=color, zorder=3)
    ax.set_title(priority.name)
    ax.set_ylabel("% meeting the standard")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    if targets:
        ax.legend(fontsize=7, loc="lower right", title="solid: results · dashed: trajectory · ★ goal",
                  title_fontsize=7)  # fmt: skip
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()
