"""The `resolute` command: thin, calls services."""

from __future__ import annotations

import importlib
import json
import logging
import signal
import sys
from pathlib import Path
from typing import ClassVar

import click
from pydantic import ValidationError

from bot.config import Settings, load_settings
from bot.services import Services


def _services(ctx: click.Context) -> Services:
    return ctx.ensure_object(dict)["services"]


class _Resolute(click.Group):
    """The command group; a database it cannot bring up to date is a clear message, not a traceback."""

    # command groups in modules of their own, imported only when used: `resolute ask` starts faster
    LAZY: ClassVar[dict[str, str]] = {
        "checkin": "bot.checkins.cli:checkin",
        "notes": "bot.notes.cli:notes",
        "feedback": "bot.slack.feedback:feedback",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.LAZY:
            module, attribute = self.LAZY[name].split(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        from bot.store import SchemaError

        try:
            return super().invoke(ctx)
        except SchemaError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Resolute)
@click.option("-v", "--verbose", is_flag=True, help="Log what Resolute is doing.")
@click.version_option(package_name="resolute")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Resolute keeps a district leadership team on its few priorities."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG
    try:
        settings: Settings = load_settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise click.UsageError(f"invalid settings ({problems})") from None
    ctx.ensure_object(dict)["services"] = Services(settings)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], as_json: bool) -> None:
    """Index documents (default: the knowledge dir): .txt, .md, .pdf, .docx."""
    services = _services(ctx)
    targets = list(paths) or [services.settings.knowledge_dir]
    services.embeddings  # noqa: B018 (the packaged model is exported here, once, not at the first question)
    bar = None

    def on_plan(total: int) -> None:
        nonlocal bar
        if total and sys.stderr.isatty():
            from tqdm import tqdm

            bar = tqdm(total=total, unit="chunk", desc="Embedding", file=sys.stderr)

    report = services.ingester.ingest(
        targets, on_plan=on_plan, on_embedded=lambda n: bar.update(n) if bar else None
    )
    if bar:
        bar.close()
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        click.echo(
            f"Documents: {len(report.added)} added, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged, {len(report.removed)} removed, "
            f"{len(report.failed)} failed. Chunks: {report.chunks_embedded} embedded"
            f"{f' ({report.vectors_restored} lost vectors restored)' if report.vectors_restored else ''}, "
            f"{report.chunks_total} in the index."
        )
        for failure in report.failed:
            click.echo(f"  skipped {failure['source']}: {failure['reason']}", err=True)
    district_ok = True
    if not paths:  # a full ingest also loads the district data and indexes its data cards
        district_ok = _load_district(services, quiet=as_json)
    if report.failed or not district_ok:
        ctx.exit(1)


def _load_district(services: Services, *, quiet: bool = False, index_cards: bool = True) -> bool:
    """Load the district file and index its data cards; False (with the faults printed) if invalid."""
    from bot.district.model import DistrictDataError

    district = services.district
    if not district.file.exists():
        if not quiet:
            click.echo(f"No district file at {district.file}: priorities and progress are off.", err=True)
        return True
    try:
        summary = district.load()
    except DistrictDataError as exc:
        click.echo(f"District data not loaded; the data loaded before is unchanged. {len(exc.problems)} problem(s):",
                   err=True)  # fmt: skip
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        return False
    indexed = "written, not indexed (--no-index)"
    if index_cards:
        cards = services.ingester.ingest([services.settings.cards_dir])
        indexed = f"indexed ({cards.chunks_embedded} chunks embedded)"
    if not quiet:
        click.echo(f"District: {summary.priorities} priorities, {summary.targets} targets, {summary.schools} schools, "
                   f"{summary.results} results from {summary.source}; {len(summary.cards)} data cards {indexed}.")  # fmt: skip
    return True


@main.group()
def data() -> None:
    """The district's priorities, targets and results."""


@data.command("load")
@click.option(
    "--no-index", is_flag=True, help="Store the data but do not embed the data cards (large districts)."
)
@click.pass_context
def data_load(ctx: click.Context, no_index: bool) -> None:
    """Validate and load the district file and its CSVs (all or nothing), then index the data cards."""
    if not _load_district(_services(ctx), index_cards=not no_index):
        ctx.exit(1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the progress as JSON.")
@click.option("--priority", help="Only this priority's targets (its key).")
@click.option("--school", help="The targets as seen from one school (id or name).")
@click.pass_context
def progress(ctx: click.Context, as_json: bool, priority: str | None, school: str | None) -> None:
    """Each target against its trajectory, Schools on the Move and coasting schools."""
    from bot.district.service import NotLoaded, UnknownSubject
    from bot.district.views import progress_text

    district = _services(ctx).district
    try:
        report = district.report(priority=priority, school=school)
    except (NotLoaded, UnknownSubject) as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        names = {sid: s.name for sid, s in district.store.schools().items()}
        click.echo(progress_text(district.config(), report, names))


@main.command()
@click.option(
    "--preview", "preview", type=click.Path(path_type=Path), help="Write the digest and charts here."
)
@click.option("--post", "post", is_flag=True, help="Post this week's digest now (once per channel per week).")
@click.pass_context
def digest(ctx: click.Context, preview: Path | None, post: bool) -> None:
    """The weekly progress digest: preview it in a folder, or post it now."""
    from bot.district.service import NotLoaded

    services = _services(ctx)
    if bool(preview) == post:
        raise click.UsageError("give exactly one of --preview DIR or --post")
    if preview:
        from bot.district.views import write_preview
        from bot.slack.blocks.district import digest_blocks

        try:
            written = write_preview(
                services.district, preview, blocks=lambda d: digest_blocks(d.title, d.parts, d.tail)
            )
        except NotLoaded as exc:
            raise click.UsageError(str(exc)) from None
        click.echo(f"Wrote {', '.join(p.name for p in written)} to {preview}")
        return
    from slack_sdk.errors import SlackApiError

    from bot.jobs import post_weekly_digest
    from bot.slack.app import make_web_client

    token = services.settings.slack_bot_token
    if token is None:  # posting is one Web API call: no app token or signing secret is involved
        raise click.UsageError(
            "posting the digest needs SLACK_BOT_TOKEN (xoxb-...) in the environment or .env; "
            "`resolute digest --preview DIR` works without Slack"
        )
    client = make_web_client(services.settings)
    try:
        click.echo(post_weekly_digest(services.district, client, force=True, notes=services.notes))
    except SlackApiError as exc:
        raise click.ClickException(f"Slack refused the digest: {exc.response.get('error')}") from None


@main.command()
@click.argument("question", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the answer and its sources as JSON.")
@click.pass_context
def ask(ctx: click.Context, question: tuple[str, ...], as_json: bool) -> None:
    """Answer a question from the indexed documents, with citations."""
    text = " ".join(question).strip()
    if not text:
        raise click.UsageError("the question is empty")
    answer = _services(ctx).answerer.ask(text)
    if as_json:
        click.echo(json.dumps(answer.as_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(answer.answer)
    if answer.sources:
        click.echo("\nSources:")
        for s in answer.sources:
            click.echo(f"  [{s.n}] {s.title} — {s.location} ({s.source})")


@main.command()
@click.option("--http", "http", is_flag=True, help="Serve HTTP at /slack/events instead of Socket Mode.")
@click.option("--port", default=3000, show_default=True, help="Port for --http.")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address for --http.")
@click.option("--check", is_flag=True, help="Only say whether Slack is configured (exit 0) or not (exit 3).")
@click.pass_context
def serve(ctx: click.Context, http: bool, port: int, host: str, check: bool) -> None:
    """Run Resolute in Slack: Socket Mode with SLACK_APP_TOKEN, or HTTP with --http."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.slack.app import (
        LISTENER_THREADS,
        SlackNotConfigured,
        check_mode,
        make_http_server,
        make_slack_app,
        run_socket_mode,
    )

    services = _services(ctx)
    try:
        mode = check_mode(services.settings, http=http)
    except SlackNotConfigured as exc:
        click.echo(str(exc), err=True)
        ctx.exit(3)
    if check:
        click.echo(f"Slack is configured for {'HTTP' if mode == 'http' else 'Socket Mode'}.")
        return
    services.warm_up()
    answering = ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="slack")
    app = make_slack_app(services, executor=answering)
    from bot.jobs import start_jobs

    jobs = start_jobs(services, app.client)
    # systemd, Docker and Kubernetes stop a service with SIGTERM: stop as on Ctrl-C, then finish the
    # answers and sends under way before the process ends, rather than dying in the middle of them
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if mode == "socket":
            click.echo("Resolute is connecting to Slack (Socket Mode). Ctrl-C stops it.", err=True)
            run_socket_mode(app, services.settings)
        else:
            server = make_http_server(app, host=host, port=port)
            click.echo(f"Resolute is serving Slack at http://{host}:{server.effective_port}/slack/events. "
                       "Ctrl-C stops it.", err=True)  # fmt: skip
            try:
                server.run()  # returns on Ctrl-C (waitress takes the interrupt itself)
            finally:
                server.close()
    except KeyboardInterrupt:
        pass
    click.echo("Resolute is stopping: finishing the answers and messages under way.", err=True)
    jobs.shutdown(wait=True)
    answering.shutdown(wait=True)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@main.command()
@click.option("--say", "said", multiple=True, metavar="LINE", help="Send this line first (repeatable).")
@click.pass_context
def console(ctx: click.Context, said: tuple[str, ...]) -> None:
    """Try Resolute in the terminal: the real Slack app with a local fake of Slack."""
    from bot.jobs import post_weekly_digest
    from bot.slack.console import HELP, Console

    services = _services(ctx)
    if not logging.getLogger().isEnabledFor(
        logging.INFO
    ):  # Bolt's hints about unknown commands are noise here
        logging.getLogger("slack_bolt").setLevel(logging.ERROR)
    interactive = sys.stdin.isatty()
    click.echo("Loading the knowledge index...", err=True)
    services.warm_up()
    with Console(services, write=click.echo, post_digest=post_weekly_digest) as session:
        click.echo(f"Resolute console: this is the Slack app, with Slack played locally.\n{HELP}")
        for line in said:
            click.echo(f"\nyou> {line}")
            session.send(line)

        def lines():
            while True:
                try:
                    if interactive:
                        yield input("\nyou> ")
                        continue
                    line = sys.stdin.readline()
                    if not line:  # end of piped input (or none at all, as under `make run` in CI)
                        return
                    click.echo(f"\nyou> {line.rstrip()}")
                    yield line
                except (EOFError, KeyboardInterrupt):
                    click.echo()
                    return

        session.run(lines())


if __name__ == "__main__":
    main()
