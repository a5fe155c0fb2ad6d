"""Turn .txt, .md, .pdf and .docx files into titled blocks of text with their section or page."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".docx")

_LIST_ITEM = re.compile(r"^\s*(?:[-*•·▪–]\s+|\(?\d{1,3}[.)]\s+|\(?[a-z][.)]\s+)")
_PAGE_NUMBER = re.compile(r"^\s*(?:\d{1,4}|[ivxlcdm]{1,7})\s*$", re.IGNORECASE)
# a memo's or profile's field line: "**From:** Dr. Amara Osei, Superintendent" is a line of its own
_MD_FIELD = re.compile(r"^\s*(?:\*\*|__)[^*_\n]{1,40}:(?:\*\*|__)\s")
_MD_ROW = re.compile(r"^\s*\|.*\|\s*$")  # a Markdown table's row: "| file | title | author |"
_MD_RULE = re.compile(r"\s*:?-+:?\s*")  # its header's underline, one cell of "|---|:-:|"
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_EMPHASIS = re.compile(r"(\*\*|__|\*)(?=\S)(.+?)(?<=\S)\1")
_SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to", "vs"}


class LoadError(Exception):
    """A file that cannot be read; the message says why."""


@dataclass
class Block:
    """A paragraph or list item, with the heading it sits under and its page (PDF only)."""

    text: str
    heading: str = ""
    page: int | None = None
    title_hint: str = ""


@dataclass
class LoadedDocument:
    """A readable document: its title and its blocks in reading order."""

    title: str
    blocks: list[Block] = field(default_factory=list)


def load_document(path: Path) -> LoadedDocument:
    """Read one file; raises LoadError with a reason a person can act on."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            doc = _load_pdf(path)
        elif suffix == ".docx":
            doc = _load_docx(path)
        elif suffix in (".txt", ".md"):
            doc = _load_text(path, markdown=suffix == ".md")
        else:
            raise LoadError(f"unsupported file type {suffix or '(none)'}")
    except LoadError:
        raise
    except Exception as exc:  # a corrupt file shows up as any parser error
        raise LoadError(f"could not be parsed as {suffix[1:].upper()}: {exc}") from exc
    if not any(b.text.strip() for b in doc.blocks):
        raise LoadError("no text found (a scanned PDF needs OCR before it can be ingested)")
    return doc


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LoadError("is neither UTF-8 nor Windows-1252 text")


def _load_text(path: Path, *, markdown: bool) -> LoadedDocument:
    blocks = parse_plain_text(_read_text(path), markdown=markdown)
    return LoadedDocument(title=_title_from_blocks(blocks, path), blocks=blocks)


def _load_pdf(path: Path) -> LoadedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise LoadError("is an encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PdfReadError as exc:
        raise LoadError(f"is not a readable PDF: {exc}") from exc
    blocks: list[Block] = []
    heading = ""
    for number, page_text in enumerate(pages, start=1):
        for block in parse_plain_text(page_text, markdown=False, heading=heading):
            block.page = number
            blocks.append(block)
            heading = block.heading
    meta_title = (reader.metadata.title if reader.metadata else None) or ""
    return LoadedDocument(title=meta_title.strip() or _title_from_blocks(blocks, path), blocks=blocks)


def _load_docx(path: Path) -> LoadedDocument:
    import docx

    document = docx.Document(str(path))
    blocks: list[Block] = []
    heading = ""
    title = (document.core_properties.title or "").strip()
    for para in document.paragraphs:
        text = " ".join(para.text.split())
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        if style.startswith(("Heading", "Title")):
            title = title or (text if style == "Title" or style == "Heading 1" else "")
            heading = text
            continue
        blocks.append(Block(text=text, heading=heading))
    for table in document.tables:
        for row in table.rows:
            cells = [" ".join(c.text.split()) for c in row.cells]
            if any(cells):
                blocks.append(Block(text=" | ".join(cells), heading=heading or "Tables"))
    return LoadedDocument(title=title or _pretty_stem(path), blocks=blocks)


def parse_plain_text(text: str, *, markdown: bool, heading: str = "") -> list[Block]:
    """Split text into paragraphs and list items, re-joining hard-wrapped lines, tracking headings.

    The first block carries the document's first heading as `title_hint`, even when that heading
    had no text of its own (a title line), so callers can find the title.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[Block] = []
    current: list[str] = []
    heading_run = False  # the last thing seen was a heading: a plain-text heading continues it
    first_heading = ""
    header: list[str] = []  # the column names of the Markdown table being read

    def flush() -> None:
        nonlocal heading_run
        if current:
            blocks.append(Block(text=_clean(" ".join(current)), heading=heading))
            current.clear()
            heading_run = False

    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or _PAGE_NUMBER.match(stripped):
            if not stripped and not (current and _runs_on(current[-1], _next_nonblank(lines, index))):
                flush()
                header = []  # a blank line ends a table
            continue
        if markdown and _MD_ROW.match(line):  # a table: one block a row, each cell with its column's name
            flush()
            cells = _cells(stripped)
            if all(_MD_RULE.fullmatch(cell) for cell in cells):
                continue
            if _rule(lines[index + 1] if index + 1 < len(lines) else ""):
                header = cells  # the row above the rule names the columns
                continue
            # a row longer than its header keeps its extra cells, unnamed; a table without a header is
            # read as its cells
            named = [f"{name}: {cell}" if name else cell for name, cell in zip_longest(header, cells) if cell]
            blocks.append(
                Block(text="; ".join(named) if header else " | ".join(c for c in cells if c), heading=heading)
            )
            continue
        header = []
        md = _MD_HEADING.match(line) if markdown else None
        tabbed = line.startswith("\t")  # a table cell in text exported from a word processor
        if md or (
            not markdown and not tabbed and _looks_like_heading(stripped, _next_nonblank(lines, index))
        ):
            flush()
            title = _soften_caps(_clean(md.group(2) if md else stripped))
            joined = f"{heading} — {title}"
            heading = joined if heading_run and not md and len(joined) <= 120 else title
            heading_run = True
            first_heading = first_heading or heading
            continue
        if (
            _LIST_ITEM.match(line)
            or (markdown and _MD_FIELD.match(line))
            or (line[:1].isspace() and current and not markdown)
        ):
            flush()
        if current and current[-1].endswith("—"):
            current[-1] += stripped
        else:
            current.append(stripped)
    flush()
    if blocks and first_heading:
        blocks[0].title_hint = first_heading
    return blocks


def _cells(row: str) -> list[str]:
    return [_clean(cell) for cell in row.strip().strip("|").split("|")]


def _rule(line: str) -> bool:
    """A Markdown table's header underline: "|---|:-:|"."""
    return bool(_MD_ROW.match(line)) and all(_MD_RULE.fullmatch(cell) for cell in _cells(line))


def _next_nonblank(lines: list[str], index: int) -> str:
    for line in lines[index + 1 : index + 3]:
        if line.strip():
            return line.strip()
    return ""


def _runs_on(line: str, next_line: str) -> bool:
    """A sentence a page break cut in two: a line that stops mid-sentence, a blank line, and the rest
    of the sentence in lower case ("... at different" / "" / "times. Some systems ...")."""
    return not _SENTENCE_STOP.search(line) and next_line[:1].islower()


_SENTENCE_STOP = re.compile(r"[.!?:;\"'”’)\]*_|]$")


def _looks_like_heading(line: str, next_line: str) -> bool:
    """A short title-case or capitalised line that does not run on into the next line."""
    if len(line) > 100 or _LIST_ITEM.match(line) or line[-1] in ".,;:!)\"'”’-—":
        return False
    if line.lower().startswith(("by ", "source", "from ")):  # bylines and credits
        return False
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*", line)
    if not words or len(words) > 14 or not (line[0].isupper() or line[0].isdigit()):
        return False
    if next_line[:1].islower():
        return False
    letters = [c for c in line if c.isalpha()]
    if len(letters) >= 4 and all(c.isupper() for c in letters):
        return True
    significant = [w for w in words if w.lower() not in _SMALL_WORDS and len(w) > 3]
    if not significant:
        return False
    capitalised = sum(1 for w in significant if w[0].isupper())
    return capitalised / len(significant) >= 0.7 and (line[-1] != "?" or len(words) <= 8)


def _clean(text: str) -> str:
    text = _EMPHASIS.sub(r"\2", text)
    return " ".join(text.split())


def _soften_caps(text: str) -> str:
    """'THE IDEA OF REFORM' reads better as 'The Idea of Reform' in a citation."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 4 and all(c.isupper() for c in letters):
        words = text.lower().split()
        return " ".join(
            w if (i and w in _SMALL_WORDS) else "-".join(p[:1].upper() + p[1:] for p in w.split("-"))
            for i, w in enumerate(words)
        )
    return text


def _title_from_blocks(blocks: list[Block], path: Path) -> str:
    for block in blocks:
        if block.title_hint or block.heading:
            return block.title_hint or block.heading
    return _pretty_stem(path)


def _pretty_stem(path: Path) -> str:
    return re.sub(r"[_-]+", " ", path.stem).strip().capitalize() or path.name
