"""pydantic's validation errors, told in the TOML file's own terms: file, line, key path, plain words.

tomllib keeps no positions, so the line is found in the text: the table's header (the n-th `[[name]]` for
an entry of an array of tables), then the key inside it; else the header; else no line.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

Loc = Sequence[str | int]

_PLAIN = {
    "missing": "missing",
    "string_type": "must be text, not {input}",
    "string_too_short": "must not be empty",
    "int_type": "must be a whole number, not {input}",
    "float_type": "must be a number, not {input}",
    "bool_type": "must be true or false, not {input}",
    "list_type": "must be a list, not {input}",
    "too_short": "must not be empty",
    "dict_type": "must be a table, not {input}",
    "model_type": "must be a table{example}, not {input}",
}
_HEADER = re.compile(r"\s*(\[\[?)([^\[\]]+)\]")
_OWN = "district_file"  # the error type of the models' own messages


def problem(message: str, *at: str | int) -> PydanticCustomError:
    """A validation error told as written; `at` names the key below the validated value it is about."""
    return PydanticCustomError(_OWN, "{message}", {"message": message, "at": at})


def describe(error: ValidationError, root: type[BaseModel], path: Path, text: str) -> list[str]:
    """Each of pydantic's errors as a `fault`, in the file's order (as a reader goes through it)."""
    errors = sorted(error.errors(), key=lambda e: line_of(text, _loc(e)) or math.inf)
    return [fault(path, text, _loc(e), _message(e, root, _loc(e))) for e in errors]


def fault(path: Path, text: str, loc: Loc, message: str) -> str:
    """'file: line N: key.path: message', without the line when the key is not written in the file."""
    line = line_of(text, loc)
    return f"{path}: {f'line {line}: ' if line else ''}{key_path(loc)}: {message}"


def _loc(error: dict) -> Loc:
    loc = (*error["loc"], *error.get("ctx", {}).get("at", ()))
    return loc[:-1] if loc[-1:] == ("[key]",) else loc  # a table's key at fault: `groups.Some_Group`


def key_path(loc: Loc) -> str:
    """('targets', 1, 'goal', 'year') -> 'targets[1].goal.year'."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def _message(error: dict, root: type[BaseModel], loc: Loc) -> str:
    kind = error["type"]
    if kind == _OWN:
        return error["msg"]
    if kind == "extra_forbidden":
        known = list(_model_at(root, loc[:-1]).model_fields)
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        value = error["input"]
        table = isinstance(value, dict) or (isinstance(value, list) and value and isinstance(value[0], dict))
        what = "table" if table else "key"
        return f"unknown {what} '{loc[-1]}' ({hint}known: {', '.join(known)})"
    model = _model_at(root, loc)
    if kind == "missing" and model is not None and len(loc) == 1:
        return f"missing: add a [{loc[0]}] table"
    template = _PLAIN.get(kind)
    if template is None:
        return error["msg"]
    example = f" such as {model.example}" if getattr(model, "example", "") else ""
    return template.format(input=_shown(error.get("input")), example=example)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model whose keys are valid at `loc`, if the value there is a table."""
    model: type[BaseModel] | None = root
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if model is not None else None
        model = _model_in(field.annotation) if field is not None else None
    return model


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for arg in get_args(annotation) if (m := _model_in(arg)) is not None), None)


class _Header(NamedTuple):
    line: int
    name: str  # dotted, unquoted: 'targets.goal'
    array: bool


def line_of(text: str, loc: Loc) -> int | None:
    """The 1-based line where the key at `loc` is written in TOML `text`, else its table's header."""
    lines = dict(_code_lines(text))
    headers = [
        _Header(n, ".".join(p.strip().strip("\"'") for p in m[2].split(".")), m[1] == "[[")
        for n, line in lines.items()
        if (m := _HEADER.match(line))
    ]
    table, found, start = "", None, 0  # the table reached so far: its dotted name and header line
    parts = list(loc)
    while parts:
        part = parts.pop(0)
        if isinstance(part, int):
            continue
        name = f"{table}.{part}" if table else str(part)
        # headers of the current table's span: its sub-tables, up to the next table outside it
        later = [h for h in headers if h.line > start]
        outside = [i for i, h in enumerate(later) if table and not h.name.startswith(table + ".")]
        span = later[: outside[0]] if outside else later
        named = [h for h in span if h.name == name] or [h for h in span if h.name.startswith(name + ".")]
        if named:
            index = parts[0] if parts and isinstance(parts[0], int) and named[0].array else 0
            if index >= len(named):
                return found
            table, found, start = name, named[index].line, named[index].line
            continue
        # a key written in the table's own body (before the next header of any kind); deeper keys of an
        # inline table or an array are on the same line
        body_end = next((h.line for h in headers if h.line > start), math.inf)
        key = re.compile(r"\s*(?:{0}|\"{0}\"|'{0}')\s*[=.]".format(re.escape(str(part))))
        return next((n for n, line in lines.items() if start < n < body_end and key.match(line)), found)
    return found


def _code_lines(text: str) -> Iterator[tuple[int, str]]:
    """(number, line) for each line that starts outside a multi-line string (those may look like keys)."""
    open_quote = None
    for number, line in enumerate(text.split("\n"), 1):  # not splitlines: TOML strings may hold U+2028
        if open_quote is None:
            yield number, line
        for quote in ('"""', "'''"):
            if open_quote in (None, quote) and line.count(quote) % 2:
                open_quote = None if open_quote else quote
