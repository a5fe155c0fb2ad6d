"""The check-in trend as a small PNG, posted in the thread of the check-in summary: each week's items by the
priority they serve, and the members who answered."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from bot.checkins.schedule import monday, shift

LABELS = 13  # week labels along the axis at most; with a year of weeks every fourth is named
PALETTE = ("#1f5fa8", "#e08a1e", "#2e8b57", "#8e44ad", "#c0392b")  # one colour per priority (at most five)
LINE, GAP = "0.25", "0.6"


def weeks(trend: list[dict]) -> list[dict]:
    """Every week from the trend's first to its last, oldest first; a week missing from it is a gap (no share)."""
    known = {t["week"]: t for t in trend}
    if not known:
        return []
    week, last = min(known), max(known)
    out = [known[week]]
    while week < last:
        week = shift(week, 1)
        out.append(known.get(week, {"week": week, "share": None}))
    return out


def _day(week: str) -> str:
    """'2026-W49' -> '30 Nov': the week's Monday, as a leader names the week."""
    return f"{monday(week).day} {monday(week):%b}"


def trend_chart(trend: list[dict], names: Mapping[str, str]) -> bytes:
    """A bar per week: the share of its items serving each priority (stacked, so the bar's top is the on-message
    share) with the number of items over it, and the share of members who answered as a line."""
    series = weeks(trend)
    n = len(series)
    fig = Figure(figsize=(min(12.0, 3.6 + 0.35 * n), 3.6), dpi=100)
    FigureCanvasAgg(fig)  # Agg on this figure alone: pyplot's global backend is left as it is
    ax = fig.subplots()
    keys = [*names, *sorted({k for t in series for k in t.get("items", {})} - {*names, "none"})]
    colours = {key: PALETTE[i % len(PALETTE)] for i, key in enumerate(keys)}
    for i, t in enumerate(series):
        items = t.get("items", {})
        total = sum(items.values())
        if t.get("share") is None or not total:  # skipped, or no items: a mark on the axis, not a bar at 0%
            ax.plot([i], [0], marker="x", color=GAP, clip_on=False)
            continue
        bottom = 0.0
        for key in keys:
            height = 100 * items.get(key, 0) / total
            if height:
                ax.bar(i, height, bottom=bottom, color=colours[key], width=0.7,
                       label=names.get(key, key) if i == _first_with(series, key) else None)  # fmt: skip
                bottom += height
        if i == n - 1 or n <= LABELS:
            ax.annotate(f"{total} item{'s' if total != 1 else ''}", (i, bottom), xytext=(0, 2), textcoords="offset points",
                        ha="center", va="bottom", fontsize=7, fontweight="bold" if i == n - 1 else "normal")  # fmt: skip
    # a week without a check-in breaks the line (NaN), rather than joining the weeks either side of it
    answered = [math.nan if t.get("participation") is None else t["participation"] * 100 for t in series]
    if any(not math.isnan(a) for a in answered):
        ax.plot(range(n), answered, color=LINE, marker="o", markersize=3, linewidth=1.2,
                label="members who answered")  # fmt: skip
    step = max(1, math.ceil(n / LABELS))
    shown = [i for i in range(n) if (n - 1 - i) % step == 0]  # counted back from the latest, always named
    ax.set_xticks(shown, [_day(series[i]["week"]) for i in shown], fontsize=8,
                  rotation=45 if len(shown) > 6 else 0, ha="right" if len(shown) > 6 else "center")  # fmt: skip
    if shown:
        ax.get_xticklabels()[-1].set_fontweight("bold")
    ax.set_xlim(-0.6, max(n, 1) - 0.4)
    ax.set_ylim(0, 112)  # room for the label over a 100% bar
    ax.yaxis.set_major_formatter(PercentFormatter(100))
    ax.set_yticks([0, 25, 50, 75, 100])
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    title = (
        f"Items serving each priority, and members who answered, to the week of {_day(series[-1]['week'])}"
    )
    if any(t.get("share") is None for t in series):
        title += "\n× no check-in that week, or no items"
    ax.set_title(title, fontsize=9)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def _first_with(series: list[dict], key: str) -> int:
    """The first week with items serving `key`: its bar carries the legend's entry."""
    return next((i for i, t in enumerate(series) if t.get("items", {}).get(key)), -1)
