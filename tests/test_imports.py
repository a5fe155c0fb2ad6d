"""The house's imports point down: each package imports only the packages below it, and no two modules
import each other. The order is written once, here; an import that runs up must be named below with why."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"
# from the bottom up; a module belongs to the longest entry its dotted name starts with (each package's
# command-line group is the command line's, loaded by bot.cli alone)
LAYERS = (
    ("bot.csvcells", "bot.prompts", "bot.store", "bot.config"),
    ("bot.knowledge",),
    ("bot.district",),
    ("bot.notes",),
    ("bot.checkins",),
    ("bot.slack",),
    ("bot.services",),  # wires every package together, Slack's included
    ("bot.jobs",),
    ("bot.cli", "bot.checkins.cli", "bot.notes.cli"),
    ("bot.launch", "bot.__main__"),
)
# imports that still run up, each with why; a new one fails the test, and one moved away must leave this list
UPWARD: dict[tuple[str, str], str] = {}


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    found = [(len(p), floor) for floor, packages in enumerate(LAYERS) for p in packages
             if module == p or module.startswith(p + ".")]  # fmt: skip
    assert found, f"{module} belongs to no layer: add its package to LAYERS"
    return max(found)[1]


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(path: Path) -> set[str]:
    """The bot modules a file imports when it runs (at load or inside a function; not for type checking)."""
    found: set[str] = set()
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("bot"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up level - 1 packages
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            if base.startswith("bot"):
                found.add(base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    found.discard(name)
    return found


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in sorted(BOT.rglob("*.py")) if "migrations" not in p.parts}


def upward(edges: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {(a, b) for a, targets in edges.items() for b in targets if layer(b) > layer(a)}


def mutual(edges: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {(a, b) for a, targets in edges.items() for b in targets if a < b and a in edges.get(b, set())}


def test_every_import_points_down_but_those_named():
    found = upward(graph())
    assert found - set(UPWARD) == set(), "imports that run up the house (move the code, or name it in UPWARD)"
    assert set(UPWARD) - found == set(), "named in UPWARD but no longer imported: take them off the list"


def test_no_two_modules_import_each_other():
    assert mutual(graph()) == set()


def test_the_check_sees_an_upward_import_and_a_pair(tmp_path):
    edges = {
        "bot.knowledge.a": {"bot.slack.b"},
        "bot.slack.b": {"bot.knowledge.a"},
        "bot.notes.cli": {"bot.jobs"},
    }
    assert upward(edges) == {("bot.knowledge.a", "bot.slack.b")}  # a package's command line sits on top
    assert mutual(edges) == {("bot.knowledge.a", "bot.slack.b")}


# the modules that read and write the tables, each its package's repository; anything else asks one of them
TABLE_OWNERS = {
    "bot.checkins.store": "check-ins: responses, items, support requests, sends",
    "bot.district.store": "the loaded district file, schools, results, digest posts",
    "bot.notes.store": "intervention notes, their audit, follow-ups and tombstones",
    "bot.notes.copies": "where a note was shown in Slack, and export files, to take them back",
    "bot.knowledge.ingest": "documents and chunks, written at ingest",
    "bot.knowledge.index": "chunks, read into the lexical index",
    "bot.knowledge.vectors": "chunks' sentence vectors",
    "bot.knowledge.sqlvectors": "a private corpus's vectors",
}
CONSTANTS = {"PUBLIC"}  # names of bot.store.tables that are values, not tables


def table_users() -> dict[str, set[str]]:
    """Module -> the tables it imports from bot.store.tables (outside bot.store itself)."""
    found: dict[str, set[str]] = {}
    for path in sorted(BOT.rglob("*.py")):
        name = module_name(path)
        if name.startswith("bot.store"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "bot.store"
                and any(a.name == "tables" for a in node.names)
            ):
                found.setdefault(name, set()).add("*")
            elif isinstance(node, ast.ImportFrom) and node.module == "bot.store.tables":
                tables = {a.name for a in node.names} - CONSTANTS
                if tables:
                    found.setdefault(name, set()).update(tables)
    return found


def test_only_the_repositories_touch_the_tables():
    assert set(table_users()) - set(TABLE_OWNERS) == set(), "SQL outside a repository: move it into one"
    assert set(TABLE_OWNERS) - set(table_users()) == set(), "named in TABLE_OWNERS but touches no table"
