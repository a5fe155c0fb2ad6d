"""CSV cells a spreadsheet cannot run: for every CSV Resolute writes, and for reading one back.

A spreadsheet treats a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula
(CSV injection: `=HYPERLINK(...)` typed into a note would run in whoever opens the export). As OWASP
recommends, such a cell is written with a single quote in front (`'=HYPERLINK(...)`), which spreadsheets
show as text. The quote is added to a cell that already begins with quotes before one of those characters
too, so `read_cell` can always take exactly one off: `read_cell(safe_cell(x)) == x` for every text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula
QUOTE = "'"


def _risky(text: str) -> bool:
    return text.lstrip(QUOTE).startswith(TRIGGERS)


def safe_cell(value: object) -> str:
    """A value as a CSV cell a spreadsheet shows as text: None is empty, a risky start gets a quote."""
    text = "" if value is None else str(value)
    return QUOTE + text if _risky(text) else text


def read_cell(cell: str) -> str:
    """A cell as it was before `safe_cell` (a cell it did not change comes back as it is)."""
    return cell[1:] if cell.startswith(QUOTE) and _risky(cell[1:]) else cell


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> str:
    """Rows as CSV text with a header, every cell through `safe_cell`."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns))
    writer.writeheader()
    for row in rows:
        writer.writerow({column: safe_cell(row.get(column)) for column in columns})
    return out.getvalue()
