"""The documentation cannot rot: its links resolve and every `resolute` command it shows exists."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
_SPAN = re.compile(r"`([^`\n]+)`")
_COMMAND = re.compile(r"(?:^|/)resolute((?: [a-z][a-z-]*)+)", re.M)  # at a line's start or after a path


def _code(page: Path) -> str:
    """The page's code: its fenced blocks and its inline spans."""
    text = page.read_text(encoding="utf-8")
    return "\n".join(_FENCE.findall(text) + _SPAN.findall(_FENCE.sub("", text)))


def commands_shown(page: Path) -> set[tuple[str, ...]]:
    """Each `resolute WORD [WORD]` the page's code shows, as its words."""
    return {tuple(m.group(1).split()[:2]) for m in _COMMAND.finditer(_code(page))}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    broken = []
    for target in _LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):  # a URL, or a place on the same page
            continue
        if not (page.parent / target.split("#", 1)[0]).exists():
            broken.append(target)
    assert not broken, f"{page.name} links to what does not exist: {broken}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_shown_exists(page):
    missing = []
    context = click.Context(main)
    for words in sorted(commands_shown(page)):
        command = main.get_command(context, words[0])
        if command is None:
            missing.append(" ".join(words[:1]))
        elif (
            isinstance(command, click.Group)
            and len(words) > 1
            and command.get_command(click.Context(command, parent=context), words[1]) is None
        ):
            missing.append(" ".join(words))
    assert not missing, f"{page.name} shows commands Resolute does not have: {missing}"


def test_the_command_check_finds_a_command_that_does_not_exist(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("Run `resolute ask QUESTION`, then:\n\n```sh\n.venv/bin/resolute notes purge\n```\n")
    assert commands_shown(page) == {("ask",), ("notes", "purge")}
    context = click.Context(main)
    notes = main.get_command(context, "notes")
    assert notes.get_command(click.Context(notes, parent=context), "purge") is None
