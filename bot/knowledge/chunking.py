"""Pack blocks into chunks that fit the embedding model's window, never across a section."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from bot.knowledge.loaders import Block
from bot.knowledge.text import split_sentences

# all-MiniLM-L6-v2 reads 256 word pieces including [CLS] and [SEP]; a longer chunk's tail is
# silently dropped, so chunks stay well inside the window.
DEFAULT_MAX_TOKENS = 200
# Bump when loading or chunking changes what chunks a file gives: the next ingest redoes them all.
CHUNKING_VERSION = 6


@dataclass(frozen=True)
class Chunk:
    """A passage to embed, with where it sits in its document."""

    text: str
    location: str
    position: int


class TokenCounter:
    """Counts word pieces with the embedding model's own tokenizer."""

    def __init__(self, tokenizer_file: Path) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()

    def __call__(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)


def chunk_blocks(
    blocks: list[Block],
    count_tokens: Callable[[str], int],
    *,
    title: str = "",
    max_tokens: int = DEFAULT_MAX_TOKENS,
    lead_with_heading: bool = True,
) -> list[Chunk]:
    """Group blocks by section (or page) and pack whole paragraphs, then sentences, into chunks.

    Each paragraph starts a new line of the chunk's text, so answers can tell where one begins.
    """
    chunks: list[Chunk] = []
    paragraph_number = 0
    for (heading, page), section in groupby(blocks, key=lambda b: (b.heading, b.page)):
        section = list(section)
        location = _location("" if heading == title else heading, page, paragraph_number + 1)
        paragraph_number += len(section)
        pieces: list[_Piece] = []
        for block in section:
            size = count_tokens(block.text)
            if size <= max_tokens:
                pieces.append(_Piece(block.text, size, starts_paragraph=True))
            else:
                pieces.extend(_split_long(block.text, count_tokens, max_tokens))
        # a section's heading leads each of its chunks: the chunk's vector then knows what it is about,
        # and a list of sections ("1. Literacy", "2. Numeracy") can be quoted as it stands
        lead = location if lead_with_heading and heading and location == heading else ""
        budget = max_tokens - (count_tokens(lead) if lead else 0)
        for text in _pack(pieces, max(budget, max_tokens // 2)):
            text = f"{lead}\n{text}" if lead else text
            chunks.append(Chunk(text=text, location=location, position=len(chunks)))
    return chunks


@dataclass(frozen=True)
class _Piece:
    text: str
    size: int
    starts_paragraph: bool


def _location(heading: str, page: int | None, paragraph: int) -> str:
    if page is not None:
        return f"p. {page}"
    if heading:
        return heading
    return "introduction" if paragraph == 1 else f"paragraph {paragraph}"


def _split_long(text: str, count_tokens: Callable[[str], int], max_tokens: int):
    first = True
    for sentence in split_sentences(text):
        size = count_tokens(sentence)
        if size <= max_tokens:
            yield _Piece(sentence, size, first)
            first = False
            continue
        words = sentence.split()  # a run-on "sentence" (a table, a list without stops)
        step = max(1, len(words) * max_tokens // (size + 1))
        for start in range(0, len(words), step):
            piece = " ".join(words[start : start + step])
            yield _Piece(piece, count_tokens(piece), first)
            first = False


def _pack(pieces: list[_Piece], max_tokens: int) -> list[str]:
    packed: list[str] = []
    current = ""
    used = 0
    for piece in pieces:
        if current and used + piece.size > max_tokens:
            packed.append(current)
            current, used = "", 0
        separator = "\n" if piece.starts_paragraph else " "
        current = f"{current}{separator}{piece.text}" if current else piece.text
        used += piece.size
    if current:
        packed.append(current)
    return packed
