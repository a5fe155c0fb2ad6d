"""The `resolute` command: thin, calls services."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click
from pydantic import ValidationError

from bot.config import Settings, load_settings
from bot.services import Services


def _services(ctx: click.Context) -> Services:
    return ctx.ensure_object(dict)["services"]


@click.group()
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
            f"{len(report.failed)} failed. Chunks: {report.chunks_embedded} embedded, "
            f"{report.chunks_total} in the index."
        )
        for failure in report.failed:
            click.echo(f"  skipped {failure['source']}: {failure['reason']}", err=True)
    if report.failed:
        ctx.exit(1)


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
