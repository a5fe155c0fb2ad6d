"""Composing an extractive answer by the structure of the text: sentences quoted verbatim, each cited.

The ranker (bot.knowledge.rank) says which sentences answer. A sentence quoted alone often means little,
so each comes with what the text gives it to be understood (bot.knowledge.structure):

- the sentence it refers back to ("These are called ...", "No. Check-ins are ...") and the ones after
  it that go on from it ("This means ...");
- a list item's lead-in, and the item from its start ("Credit recovery. A student who ...");
- what a pointer sentence points to ("... as follows:", "Table 2 presents ..."): the list or lines after it,
  on into the document's next chunk when this one ends first.

The best sentence comes first, then the best one for a question's second part ("..., and how many are
there?"), then every other sentence nearly as strong, each with its structure. The room left, up to
MAX_ANSWER_CHARS once cited, goes to the best sentence's paragraph and what follows it, then to the next
strongest sentences.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from bot.knowledge.holds import words
from bot.knowledge.question import Question
from bot.knowledge.questions import LIST
from bot.knowledge.rank import DEFAULT_RANKER, Candidate, Pool, Reranker, allowed, sentences
from bot.knowledge.structure import ENDS, TABLE, asks, labels, listed, points, refers_back
from bot.knowledge.text import Unit
from bot.knowledge.vectors import Passage

MAX_ANSWER_CHARS = 1000
CITE_CHARS = 5  # what citing a piece costs: " [n]" and the space or line break after it
STRONG = 0.6  # a sentence this far from the pool's weakest score to the best is nearly as strong as the best
FILL = 0.4  # the room left goes to sentences at least this far from the weakest score to the best
BACK = 2  # how many sentences back a chain of references is followed ("These ..." after "This ...")
MIN_PIECE = 40  # room below which no more sentences are looked for

Key = tuple[int, int]  # a unit: (passage, index of the unit in it)


@dataclass(frozen=True)
class Part:
    """A quoted piece: the passage it is cited to, its text verbatim, and whether it starts a line."""

    hit: int
    text: str
    line: bool = False
    index: int = -1  # its unit in the passage (pieces next to each other in a passage share a marker)


@dataclass(frozen=True)
class Composed:
    """The pieces quoted, in order, and the passages they are cited to."""

    parts: list[Part]
    passages: list[Passage]
    best: Part | None = None  # the piece that answers best
    unanswered: str | None = None  # the school asked about, when no sentence says what was asked of it

    def leading(self, part: Part) -> str:
        """A piece after the pieces just before it in its passage that it refers back to: what supports a
        figure from the results reads whole."""
        first = n = self.parts.index(part)
        while (
            first
            and self.parts[first - 1].hit == part.hit
            and self.parts[first - 1].index == self.parts[first].index - 1
        ):
            if not refers_back(Unit(self.parts[first].text, 0, True, False, False)):
                break
            first -= 1
        return " ".join(p.text for p in self.parts[first : n + 1])


@dataclass
class _Answer:
    """The answer being composed: the units chosen, the room left, the passages in the order they joined."""

    pool: Pool
    document: Callable[[Passage], list[Passage]]
    room: int = MAX_ANSWER_CHARS
    chosen: dict[Key, str] = field(default_factory=dict)
    group: dict[Key, int] = field(default_factory=dict)  # which quote took each unit
    quotes: int = 0
    order: list[int] = field(default_factory=list)
    after: dict[int, int] = field(default_factory=dict)  # a chunk run on into -> the one it ran on from
    said: list[frozenset[str]] = field(default_factory=list)

    def units(self, hit: int) -> list[Unit]:
        return self.pool.units[hit]

    def listed(self, hit: int, index: int) -> bool:  # a list item's sentence
        unit = self.units(hit)[index]
        return listed(unit, _lines(self.pool.passages[hit].text)[unit.line])

    def take(self, keys: Sequence[Key], *, cut: bool = False) -> bool:
        """Quote these units together if they all fit (one alone may be cut to fit when `cut`)."""
        new = [k for k in keys if k not in self.chosen]
        texts = {k: self.display(*k) for k in new}
        if any(t is None for t in texts.values()):
            return False
        held = {k: words(texts[k]) for k in new}
        new = [k for k in new if not self.repeats(held[k])]
        cost = sum(len(texts[k]) + CITE_CHARS for k in new)
        if cut and len(new) == 1 and cost > self.room:  # one very long sentence: cut at a word
            texts[new[0]] = texts[new[0]][: self.room - 2 * CITE_CHARS].rsplit(" ", 1)[0] + " …"
            cost = len(texts[new[0]]) + CITE_CHARS
        if cost > self.room:
            return False
        for k in new:
            self.chosen[k] = texts[k]
            self.group[k] = self.quotes
            self.said.append(held[k])
            if k[0] not in self.order:
                self.order.append(k[0])
        self.room -= cost
        return True

    def repeats(self, words: frozenset[str]) -> bool:
        """Says what a piece already taken says, in as many words: the same sentence in another document
        (not a short list item whose words a long paragraph happens to hold)."""
        return bool(words) and any(words <= said and 2 * len(words) >= len(said) for said in self.said)

    def display(self, hit: int, index: int) -> str | None:
        """A unit as quoted: verbatim; " …" where its chunk breaks a long sentence off; None for a scrap
        ("The"). A short line without a stop at a chunk's end is a line of its own (a title, a table's cell)."""
        units = self.units(hit)
        text = units[index].text
        last = index == len(units) - 1 and not (ENDS.search(text) or text.endswith((":", ";")))
        if not last or self.listed(hit, index):
            return text
        words = text.split()
        if len(words) >= 8:
            return f"{text} …"
        return None if len(words) == 1 and text.islower() else text

    def next_passage(self, hit: int) -> int | None:
        """The document's next chunk after this one, added to the pool if it was not retrieved."""
        passage = self.pool.passages[hit]
        following = next((p for p in self.document(passage) if p.position == passage.position + 1), None)
        if following is None:
            return None
        if following not in self.pool.passages:
            self.pool.passages.append(following)
            self.pool.units.append(list(sentences(following.text, following.location)))
        found = self.pool.passages.index(following)
        self.after.setdefault(found, hit)
        return found

    def quote(self, hit: int, index: int, *, cut: bool = False) -> bool:
        """Quote a sentence with its structure: what it refers back to, its item and lead-in, the sentences
        going on from it, and what it points to, as far as there is room. False if it did not fit."""
        self.quotes += 1
        core, going_on = _block(self, hit, index)
        units = self.units(hit)
        alone = not labels(units[index], units[index + 1] if index + 1 < len(units) else None)
        if not (self.take(core) or (alone and self.take([(hit, index)], cut=cut))):
            return False
        for key in going_on:
            if not self.take([key]):
                return True
        last = going_on[-1] if going_on else (hit, index)
        if _leads_in(self, *last):
            for key in _pointed(self, *last):
                if not self.take([key]):
                    break
        return True


@lru_cache(maxsize=4096)
def _lines(text: str) -> list[str]:
    return text.split("\n")


def _block(answer: _Answer, hit: int, index: int) -> tuple[list[Key], list[Key]]:
    """The units a sentence needs (its referent, its item from the start, a list's lead-in) and the units
    going on from it (the rest of its item, the next sentence of its paragraph, sentences referring back)."""
    units = answer.units(hit)
    core = {index}
    first = index
    if answer.listed(hit, index):  # the item from its start, and the list's lead-in
        while first and units[first - 1].line == units[index].line:
            first -= 1
        core.update(range(first, index))
        if (lead := _lead_in(answer, hit, first)) is not None:
            core.add(lead)
    for _ in range(BACK):  # the sentence it refers back to
        if not first or not refers_back(units[first]) or units[first - 1].heading:
            break
        first -= 1
        core.add(first)
    going_on, last = [], index
    while last + 1 < len(units) and not units[last + 1].heading and not asks(units[last + 1]):
        following = units[last + 1]
        same_item = following.line == units[last].line and answer.listed(hit, last)
        next_one = following.line == units[last].line and not going_on
        if not (same_item or next_one or (refers_back(following) and not answer.listed(hit, last + 1))):
            break
        last += 1
        going_on.append((hit, last))
    if going_on and labels(units[max(core)], units[going_on[0][1]]):  # a label is quoted with what it labels
        core.add(going_on.pop(0)[1])
    return [(hit, k) for k in sorted(core)], going_on


def _lead_in(answer: _Answer, hit: int, index: int) -> int | None:
    """The sentence a list leads in from: the last one before its items, if it points at them."""
    units = answer.units(hit)
    before = index - 1
    while before >= 0 and answer.listed(hit, before):
        before -= 1
    if before < 0 or units[before].heading or asks(units[before]):
        return None
    return before if points(units[before]) or not ENDS.search(units[before].text) else None


def _leads_in(answer: _Answer, hit: int, index: int) -> bool:
    """A pointer sentence, or one the list after it finishes ("our three goals are" + its items)."""
    units = answer.units(hit)
    after = index + 1
    return points(units[index]) or (
        not ENDS.search(units[index].text)
        and after < len(units)
        and units[after].first_in_line
        and answer.listed(hit, after)
    )


def _pointed(answer: _Answer, hit: int, index: int) -> list[Key]:
    """What a pointer sentence points to: the items or lines after it (a list, a table's cells), or the
    paragraph after it; on into the document's next chunk when this one ends first. A new section ends
    it, unless the pointer names a table or figure and the section is more of its cells."""
    table = bool(TABLE.search(answer.units(hit)[index].text))
    location = answer.pool.passages[hit].location
    found: list[Key] = []
    line = answer.units(hit)[index].line
    prose = 0  # paragraphs of prose taken
    while len(found) < 60:
        index += 1
        if index >= len(answer.units(hit)):
            if (following := answer.next_passage(hit)) is None:
                break
            hit, index, line = following, -1, -1
            continue
        unit = answer.units(hit)[index]
        if asks(unit):
            break
        if unit.heading:
            if answer.pool.passages[hit].location == location:
                continue  # the section's heading again, at the head of its next chunk
            # a new section ends it, unless it is more of the table: cells read as a heading, no prose
            cells = not any(ENDS.search(u.text) for u in answer.units(hit) if not u.heading)
            if found and not (table and cells):
                break
            location = answer.pool.passages[hit].location
        if unit.line != line:
            item = answer.listed(hit, index) or not ENDS.search(unit.text)
            if prose or (found and not item):  # the list or table has ended, or its paragraph has
                break
            prose += not item
        found.append((hit, index))
        line = unit.line
    return found


def _go_on(answer: _Answer, hit: int, index: int) -> None:
    """Fill the room with what follows a sentence in its document: its paragraph, then the next ones."""
    while answer.room > MIN_PIECE:
        index = max([index] + [k for h, k in answer.chosen if h == hit])
        index += 1
        if index >= len(answer.units(hit)):
            if (following := answer.next_passage(hit)) is None:
                return
            hit, index = following, -1
            continue
        unit = answer.units(hit)[index]
        if asks(unit):
            return
        if not unit.heading and not answer.quote(hit, index):
            return


def compose(
    question: Question,
    pool: Pool,
    document: Callable[[Passage], list[Passage]],
    *,
    about: Sequence[str] = (),
    schools_named: Callable[[str], Sequence[str]] = lambda text: (),
    ranker: Reranker = DEFAULT_RANKER,
) -> Composed:
    """Choose and order the sentences that answer; at most MAX_ANSWER_CHARS once cited.

    `about` are the district's schools the question names: a name, number or date must be said of them (in
    the sentence's line, its section heading or its document's title), and another school's own document
    does not speak for them.
    """
    may = allowed(question, pool, about, schools_named)
    if may is None:
        return Composed([], pool.passages, unanswered=" and ".join(about))
    if not may.any():
        return Composed([], pool.passages)
    scores = ranker.score(question, pool)
    ranked = [int(i) for i in np.argsort(-scores, kind="stable") if may[i]]
    best = pool.candidates[ranked[0]]
    if question.asks.kind == LIST and (sections := _numbered_sections(question, pool, document, best)):
        return sections
    answer = _Answer(pool, document)
    answer.quote(best.hit, best.index, cut=True)
    then = question.then
    if then is not None and then.kind != question.asks.kind:  # the best sentence for the second part
        second, holding = ranker.score(question, pool, then), pool.holds(question, then) >= 0.6
        found = [i for i in sorted(ranked, key=lambda i: -second[i]) if holding[i]]
        if found:
            answer.quote(pool.candidates[found[0]].hit, pool.candidates[found[0]].index)
    top, bottom = scores[ranked[0]], scores[ranked[-1]]
    strong = [pool.candidates[i] for i in ranked[1:] if scores[i] >= bottom + STRONG * (top - bottom)]
    for c in strong:
        if answer.room < MIN_PIECE:
            break
        answer.quote(c.hit, c.index)
    if (best.hit, best.index) in answer.chosen:
        _go_on(answer, best.hit, best.index)
    for i in ranked[1 + len(strong) :]:  # the room left: the next strongest sentences naming what was asked
        if answer.room < MIN_PIECE or scores[i] < bottom + FILL * (top - bottom):
            break
        if pool.mentions(i):
            answer.quote(pool.candidates[i].hit, pool.candidates[i].index)
    parts = _ordered(answer)
    lead = next((p for p in parts if (p.hit, p.index) == (best.hit, best.index)), None)
    return Composed(parts, pool.passages, best=lead)


def _ordered(answer: _Answer) -> list[Part]:
    """The quotes in the order they were taken (the best first), each in document order; a quote that goes
    on where an earlier one stopped joins it. A list item, a line that is no sentence, and what follows
    them start a line."""
    runs: list[list[Key]] = []
    for group in sorted(set(answer.group.values())):
        keys = sorted(
            (k for k in answer.chosen if answer.group[k] == group),
            key=lambda k: (answer.pool.passages[k[0]].position, k[1]),
        )
        joined = next((run for run in runs if _follows(answer, run[-1], keys[0])), None)
        if joined is not None:
            joined.extend(keys)
        else:
            runs.append(keys)
    keys = [k for run in runs for k in run]
    parts: list[Part] = []
    for n, (hit, index) in enumerate(keys):
        text, unit = answer.chosen[(hit, index)], answer.units(hit)[index]
        item = answer.listed(hit, index)
        before = keys[n - 1] if n else None
        after_line = before is not None and (
            not ENDS.search(answer.chosen[before]) or answer.listed(*before) > item
        )
        parts.append(
            Part(hit, text, bool((item and unit.first_in_line) or not ENDS.search(text) or after_line), index)
        )
    return parts


def _follows(answer: _Answer, before: Key, key: Key) -> bool:
    """The unit comes right after the other in their document (skipping a chunk's repeated heading)."""
    if key[0] == before[0]:
        return key[1] == before[1] + 1
    first = next((i for i, u in enumerate(answer.units(key[0])) if not u.heading), 0)
    return (
        answer.after.get(key[0]) == before[0]
        and key[1] == first
        and before[1] == len(answer.units(before[0])) - 1
    )


def _numbered_sections(
    question: Question, pool: Pool, document: Callable[[Passage], list[Passage]], best: Candidate
) -> Composed | None:
    """A list question answered from a document whose sections are numbered ("1. Literacy", "2. Numeracy")
    and whose best sentence leads in to them (it comes before them): the sections' headings, each cited to
    its own chunk, when there are as many as asked for, or no count is asked."""
    passage = pool.passages[best.hit]
    heads = {
        p.location: p
        for p in reversed(document(passage))
        if (number := p.location.split(" ", 1)[0])[-1:] in (".", ")") and number[:-1].isdigit()
    }
    chunks = list(heads.values())[::-1]
    wanted = question.asks.count in (None, len(chunks))
    if len(chunks) < 2 or not wanted or passage.position >= chunks[0].position:
        return None
    return Composed([Part(i, p.location, True) for i, p in enumerate(chunks)], chunks)
