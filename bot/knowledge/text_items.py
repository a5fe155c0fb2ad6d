"""Text items: what goes into a private corpus without being a file (a note, a check-in answer)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from bot.knowledge.chunking import Chunk, chunk_blocks
from bot.knowledge.loaders import Block
from bot.knowledge.vectorstore import check_corpus
from bot.store.tables import PUBLIC


@dataclass(frozen=True)
class TextItem:
    """A text that is not a file, kept under a stable id such as "note:42"."""

    id: str
    title: str
    text: str
    location: str = ""  # shown with citations (a school, a date); paragraph numbers when empty

    def content_hash(self) -> str:
        """What the item says: a changed title, location or text is a new version."""
        return hashlib.sha256(json.dumps([self.title, self.location, self.text]).encode()).hexdigest()

    def chunks(self, count_tokens: Callable[[str], int], max_tokens: int) -> list[Chunk]:
        """The item cut into chunks like a file's, one line a paragraph."""
        lines = [line.strip() for line in self.text.splitlines() if line.strip()]
        blocks = [Block(line, heading=self.location) for line in lines]
        # the location (a date, a school) is cited with the item, not written into its text
        return chunk_blocks(
            blocks, count_tokens, title=self.title, max_tokens=max_tokens, lead_with_heading=False
        )


def private_corpus(corpus: str) -> str:
    """The corpus name if it is a valid private one; a ValueError says why not."""
    if check_corpus(corpus) == PUBLIC:
        raise ValueError(
            "text items cannot go into the public corpus: it holds the files of the knowledge folder, "
            "and every ingest brings it back in line with them; name a private corpus such as 'notes'"
        )
    return corpus


def check_items(items: list[TextItem]) -> None:
    """Refuse the whole batch, naming each bad item, before anything is stored."""
    problems: list[str] = []
    seen: set[str] = set()
    for n, item in enumerate(items, start=1):
        if not isinstance(item, TextItem):
            problems.append(f"item {n} is a {type(item).__name__}, not a TextItem")
            continue
        where = f"item {n} ({item.id!r})"
        if not item.id.strip() or len(item.id) > 1000:
            problems.append(f"{where}: the id must be 1 to 1000 characters")
        elif item.id in seen:
            problems.append(f"{where}: the id appears twice")
        seen.add(item.id)
        if not item.title.strip() or len(item.title) > 500:
            problems.append(f"{where}: the title must be 1 to 500 characters")
        if len(item.location) > 500:
            problems.append(f"{where}: the location is longer than 500 characters")
        if not item.text.strip():
            problems.append(f"{where}: the text is empty")
    if problems:
        raise ValueError("text items not stored: " + "; ".join(problems))
