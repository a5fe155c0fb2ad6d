"""`resolute feedback`: the answers people marked "Not helpful", to see what the knowledge base lacks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, tzinfo

import click


def _zone(services) -> tzinfo:
    """The district's time zone, or UTC when no district is loaded."""
    from zoneinfo import ZoneInfo

    from bot.district.service import NotLoaded

    try:
        return ZoneInfo(services.district.config().timezone)
    except NotLoaded:
        return UTC


@click.command()
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]),
    help="Marked on or after this day (YYYY-MM-DD) or time, on the district's clock.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.pass_context
def feedback(ctx: click.Context, since: datetime | None, as_json: bool) -> None:
    """List the answers marked "Not helpful": the question, the answer and its sources, newest first."""
    services = ctx.find_root().obj["services"]
    zone = _zone(services)
    start = since.replace(tzinfo=zone) if since is not None else None  # a day: its start, on that clock
    found = services.answer_log.unhelpful(since=start)
    if as_json:
        click.echo(json.dumps([u.as_dict() for u in found], indent=2, ensure_ascii=False))
        return
    if not found:
        after = f" since {start:%Y-%m-%d %H:%M %Z}" if start else ""
        click.echo(f'No answers were marked "Not helpful"{after}.')
        return
    for u in found:
        others = f"; {u.helpful} found it helpful" if u.helpful else ""
        click.echo(
            f"{u.marked_at.astimezone(zone):%Y-%m-%d %H:%M %Z}  not helpful to {', '.join(u.marked_by)}"
            f"{others}  (asked by {u.asked_by} in {u.channel})"
        )
        click.echo(f"  Q: {u.question}")
        click.echo("  A: " + u.answer.replace("\n", "\n     "))
        for n, source in enumerate(u.sources, start=1):
            where = f" — {source['location']}" if source["location"] else ""
            named = f" ({source['source']})" if source["source"] else ""
            click.echo(f"     [{n}] {source['title']}{where}{named}")
        click.echo("")
    click.echo(
        f"{len(found)} answer(s). Add or fix what they needed in the knowledge folder, "
        "then run `resolute ingest`."
    )
