"""The documentation cannot rot: its links resolve, every `resolute` command it shows exists, and every
setting and district-file key is documented in docs/configuration.md, and nothing else is."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import click
import pytest
from pydantic import BaseModel

from bot.cli import main
from bot.config import Settings
from bot.district.config import DistrictFile

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
_SPAN = re.compile(r"`([^`\n]+)`")
_COMMAND = re.compile(r"(?:^|/)resolute((?: [a-z][a-z-]*)+)", re.M)  # at a line's start or after a path
CONFIGURATION = ROOT / "docs" / "configuration.md"
_HEADING = re.compile(r"^#+ (.*)$")
_TABLE_HEADING = re.compile(r"`\[\[?([a-z_.]+)\]\]?`$")  # ### `[district]`, ### `[[targets]]`
_ROW_KEYS = re.compile(r"^\|([^|]*)\|")  # a table row's first cell


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


def _tables_in(annotation) -> list[type[BaseModel]]:
    """The table models a field holds: `X`, `list[X]` or `X | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [table for arg in get_args(annotation) for table in _tables_in(arg)]


def _key_paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    paths = set()
    for name, field in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        paths.add(path)
        for table in _tables_in(field.annotation):
            paths |= _key_paths(table, path)
    return paths


def district_file_keys() -> set[str]:
    """Every table and key the district file's models accept: `district`, `district.name`, `targets.goal.year`."""
    return _key_paths(DistrictFile)


def setting_names() -> set[str]:
    """Every environment name a setting is read from (`RESOLUTE_DATA_DIR`)."""
    return {name for field in Settings.model_fields.values() for name in field.validation_alias.choices}


def documented_keys(page: Path) -> tuple[set[str], set[str]]:
    """The settings and the district-file keys a page documents: each in the first cell of a table row, under
    `## Settings` for a setting, under a heading naming its table (### `[[targets]]`) for a district-file key.
    """
    settings, keys = set(), set()
    section: str | None = None
    for line in _FENCE.sub("", page.read_text(encoding="utf-8")).splitlines():
        if heading := _HEADING.match(line):
            table = _TABLE_HEADING.search(heading.group(1).strip())
            section = "settings" if heading.group(1).strip() == "Settings" else table and table.group(1)
            if table:
                keys.add(table.group(1))
        elif section and (row := _ROW_KEYS.match(line)):
            names = _SPAN.findall(row.group(1))
            if section == "settings":
                settings.update(names)
            else:
                keys.update(f"{section}.{name}" for name in names)
    return settings, keys


def key_faults(page: Path) -> list[str]:
    """What a page leaves out of the models' settings and district-file keys, and what it documents that they
    do not have."""
    settings, keys = documented_keys(page)
    faults = []
    for kind, models, docs in (
        ("setting", setting_names(), settings),
        ("district-file key", district_file_keys(), keys),
    ):
        faults += [f"{kind} {name} is not documented" for name in sorted(models - docs)]
        faults += [f"{kind} {name} is documented but Resolute has none" for name in sorted(docs - models)]
    return faults


def test_every_setting_and_district_file_key_is_documented_and_exists():
    faults = key_faults(CONFIGURATION)
    assert not faults, "docs/configuration.md and the models disagree:\n" + "\n".join(faults)


def test_the_key_check_finds_a_key_left_out_and_one_that_does_not_exist(tmp_path):
    text = CONFIGURATION.read_text(encoding="utf-8")
    page = tmp_path / "configuration.md"
    text = text.replace("| `CHROMA_PORT` |", "| `CHROMA_PORTS` |")
    page.write_text(text.replace("| `retention_days` |", "| `keep_days` |"), encoding="utf-8")
    assert key_faults(page) == [
        "setting CHROMA_PORT is not documented",
        "setting CHROMA_PORTS is documented but Resolute has none",
        "district-file key notes.retention_days is not documented",
        "district-file key notes.keep_days is documented but Resolute has none",
    ]


def test_the_example_env_file_names_every_setting():
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, flags=re.M))
    assert setting_names() - named == set(), "settings .env.example does not show"
    assert named - setting_names() == set(), "names in .env.example no setting reads"
