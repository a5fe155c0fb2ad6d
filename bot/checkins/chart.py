"""The on-message share by week as a small PNG, posted in the thread of the check-in summary."""

from __future__ import annotations

import io
import math

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from bot.checkins.schedule import monday, shift

LABELS = 13  # week labels along the axis at most; with a year of weeks every fourth is named
PAST, NOW, GAP = "#9fb7d9", "#1f5fa8", "0.6"


def weeks(trend: list[dict]) -> list[tuple[str, float | None]]:
    """Every week from the trend's first to its last, oldest first; a week with no share is a gap (None)."""
    shares = {t["week"]: t["share"] for t in trend}
    if not shares:
        return []
    week, last = min(shares), max(shares)
    out = [(week, shares[week])]
    while week < last:
        week = shift(week, 1)
        out.append((week, shares.get(week)))
    return out


def trend_chart(trend: list[dict]) -> bytes:
    """A bar per week of the share of items that serve a priority (0-100%), the latest week highlighted."""
    series = weeks(trend)
    n = len(series)
    fig = Figure(figsize=(min(12.0, 3.0 + 0.3 * n), 3.2), dpi=100)
    FigureCanvasAgg(fig)  # Agg on this figure alone: pyplot's global backend is left as it is
    ax = fig.subplots()
    for i, (_, share) in enumerate(series):
        if share is None:  # no items that week: a mark on the axis, not a bar at 0%
            ax.plot([i], [0], marker="x", color=GAP, clip_on=False)
            continue
        ax.bar(i, share * 100, color=NOW if i == n - 1 else PAST, width=0.7)
        if i == n - 1 or n <= LABELS:
            ax.annotate(f"{share:.0%}", (i, share * 100), xytext=(0, 2), textcoords="offset points", ha="center",
                        va="bottom", fontsize=8, fontweight="bold" if i == n - 1 else "normal")  # fmt: skip
    step = max(1, math.ceil(n / LABELS))
    shown = [
        i for i in range(n) if (n - 1 - i) % step == 0
    ]  # counted back from the latest, which is always named
    ax.set_xticks(shown, [f"{monday(series[i][0]):%d %b}" for i in shown], fontsize=8,
                  rotation=45 if len(shown) > 6 else 0, ha="right" if len(shown) > 6 else "center")  # fmt: skip
    if shown:
        ax.get_xticklabels()[-1].set_fontweight("bold")
    ax.set_xlim(-0.6, max(n, 1) - 0.4)
    ax.set_ylim(0, 108)  # room for the label over a 100% bar
    ax.yaxis.set_major_formatter(PercentFormatter(100))
    ax.set_yticks([0, 25, 50, 75, 100])
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    title = "On-message share: items that serve a priority, by week"
    if any(share is None for _, share in series):
        title += "\n× no items that week"
    ax.set_title(title, fontsize=9)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()
