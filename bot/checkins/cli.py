"""`resolute checkin ...`: the check-ins for admins and tests (send, summary, history, support, classify)."""

from __future__ import annotations

import json
import sys

import click

from bot.checkins import schedule


def _services(ctx: click.Context):
    return ctx.find_root().obj["services"]


def _checkins(ctx: click.Context):
    from bot.checkins.service import NotConfigured

    services = _services(ctx)
    try:
        services.checkins.settings()
    except NotConfigured as exc:
        raise click.UsageError(str(exc)) from None
    return services.checkins


def _client(ctx: click.Context, what: str):
    from bot.slack.app import make_web_client

    settings = _services(ctx).settings
    if settings.slack_bot_token is None:
        raise click.UsageError(f"{what} needs SLACK_BOT_TOKEN (xoxb-...) in the environment or .env")
    return make_web_client(settings)


def _echo_json(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group()
def checkin() -> None:
    """Weekly check-ins: send the prompts, see the summary, follow support, classify items."""


@checkin.command()
@click.option(
    "--now", "now_", is_flag=True, help="Prompt every member not yet prompted, whatever their local time."
)
@click.pass_context
def send(ctx: click.Context, now_: bool) -> None:
    """Send what is due this week (prompts, reminders, card, summary, support), each only once."""
    from slack_sdk.errors import SlackApiError

    from bot.slack.checkin_sending import Sender

    checkins = _checkins(ctx)
    sender = Sender(checkins, _client(ctx, "sending check-ins"), notes=_services(ctx).notes)
    now = _services(ctx).clock()
    try:
        said = sender.send_prompts(now) if now_ else sender.tick(now)
    except SlackApiError as exc:
        raise click.ClickException(f"Slack refused: {exc.response.get('error')}") from None
    click.echo("\n".join(said) or "nothing was due: every prompt and message due has already gone out")


@checkin.command()
@click.option("--week", help="An ISO week such as 2026-W48 (default: this week's check-in).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--post", is_flag=True, help="Post it to the channel now (once per week).")
@click.pass_context
def summary(ctx: click.Context, week: str | None, as_json: bool, post: bool) -> None:
    """A week's summary: participation, items by priority, support, the on-message share and its trend."""
    checkins = _checkins(ctx)
    now = _services(ctx).clock()
    if week is None:
        week = checkins.week(now)
    elif not _is_week(week):
        raise click.BadParameter(f"'{week}' is not an ISO week such as 2026-W48", param_hint="--week")
    data = checkins.summary(week, now)
    if post:
        from bot.slack.checkin_sending import Sender

        said = Sender(checkins, _client(ctx, "posting the summary"), notes=_services(ctx).notes).post_summary(
            week, now
        )
        click.echo(said[0] if said else f"the summary for {week} has already been posted", err=as_json)
    if as_json:
        _echo_json(data)
    elif not post:
        from bot.slack.blocks.checkins import summary_message
        from bot.slack.console_render import render

        config, _ = checkins.settings()
        text, built = summary_message(data, config.priorities)
        click.echo("\n".join(render(built, text)))


def _is_week(text: str) -> bool:
    try:
        schedule.monday(text)
    except (ValueError, IndexError):
        return False
    return len(text) == 8 and text[4:6] == "-W"


HISTORY_COLUMNS = ("week", "week_of", "member", "field", "filed", "serves", "text")


@checkin.command()
@click.option("--since", metavar="DATE", help="From the week of this day (YYYY-MM-DD); default: every week.")
@click.option("--member", "members", multiple=True, metavar="USER", help="A member's Slack id (repeatable).")
@click.option(
    "--priority", metavar="KEY", help="Only items that serve this priority ('none': that serve none)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the items as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the items as CSV (safe to open in a spreadsheet).")
@click.pass_context
def history(ctx: click.Context, since: str | None, members: tuple[str, ...], priority: str | None, as_json: bool,
            as_csv: bool) -> None:  # fmt: skip
    """What members filed, week by week: each item, where it was filed and the priority it serves."""
    from datetime import date

    from bot.checkins.service import Refusal
    from bot.csvcells import csv_text

    if as_json and as_csv:
        raise click.UsageError("--json and --csv are two formats: choose one")
    week = None
    if since is not None:
        try:
            week = schedule.week_of(date.fromisoformat(since))
        except ValueError:
            raise click.BadParameter(
                f"'{since}' is not a date such as 2026-09-07", param_hint="--since"
            ) from None
    checkins = _checkins(ctx)
    try:
        rows = checkins.history(since=week, users=members, priority=priority)
    except Refusal as exc:
        raise click.BadParameter(str(exc), param_hint="--priority") from None
    if as_json:
        _echo_json(rows)
    elif as_csv:
        click.echo(csv_text(HISTORY_COLUMNS, rows), nl=False)
    elif not rows:
        click.echo("no items filed" + (" that match" if since or members or priority else ""))
    for n, row in enumerate(rows if not (as_json or as_csv) else []):
        if n == 0 or rows[n - 1]["week"] != row["week"]:
            click.echo(f"Week of {schedule.label(row['week'])} ({row['week']})")
        where = row["filed"] or "anything else"
        click.echo(f"  {row['member']} {row['field']} [{where} -> {row['serves'] or 'none'}] {row['text']}")


@checkin.command()
@click.option("--open", "open_only", is_flag=True, help="Only the requests not done yet.")
@click.option("--json", "as_json", is_flag=True, help="Print them as JSON.")
@click.pass_context
def support(ctx: click.Context, open_only: bool, as_json: bool) -> None:
    """Support requests: who asked whom for what, their status and age."""
    checkins = _checkins(ctx)
    requests = checkins.support_list(_services(ctx).clock(), open_only=open_only)
    if as_json:
        _echo_json(requests)
        return
    for r in requests:
        click.echo(f"#{r['id']} {r['week']} {r['from']} asked {r['to']}: {r['text']} [{r['status']}, "
                   f"{r['age_days']} days]")  # fmt: skip
    if not requests:
        click.echo("no open support requests" if open_only else "no support requests")


@checkin.command()
@click.argument("items", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.pass_context
def classify(ctx: click.Context, items: tuple[str, ...], as_json: bool) -> None:
    """The priority each item serves, or none: items as arguments, or one a line on standard input."""
    checkins = _checkins(ctx)
    texts = [t.strip() for t in (items or sys.stdin.read().splitlines())]
    texts = [t for t in texts if t]
    rows = [
        {"text": t, "priority": v.priority, "score": v.score}
        for t, v in zip(texts, checkins.classify(texts), strict=True)
    ]
    if as_json:
        _echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['priority'] or '(none)':<12} {row['score']:.3f}  {row['text']}")
