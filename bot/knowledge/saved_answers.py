"""Answers people saved: an owner's reply to a question the documents did not answer, kept as a Markdown
file in the data folder and indexed with the district's documents, so the next leader who asks is
answered with it, cited as "Answered by @name, date".

Nothing is saved without its owner's press; a question that drew on intervention notes is never handed
over, so no note's words reach this corpus. Saving again replaces the file; removing it takes it out of
the index before the call returns.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.knowledge.ingest import Ingester


class SavedAnswers:
    """The `answers` folder of the data folder, indexed as the district's documents are."""

    def __init__(self, folder: Path, ingester: Ingester) -> None:
        self._folder = folder
        self._ingester = ingester

    def save(self, answer_id: str, *, by: str, question: str, reply: str, when: datetime) -> str:
        """Write (or rewrite) the answer and index it; returns the title it is cited by."""
        title = f"Answered by @{by}, {when.day} {when:%B %Y}"
        text = f"# {title}\n\n**Question:** {' '.join(question.split())}\n\n{reply.strip()}\n"
        self._folder.mkdir(parents=True, exist_ok=True)
        path = self._path(answer_id)
        fd, temporary = tempfile.mkstemp(dir=self._folder, suffix=".part")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, path)  # whole or not at all
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._ingester.ingest([path])
        return title

    def remove(self, answer_id: str) -> bool:
        """Delete the answer and take it out of the index; False if it was not saved."""
        path = self._path(answer_id)
        existed = path.exists()
        path.unlink(missing_ok=True)
        if self._folder.is_dir():  # a folder's vanished files leave the index, this one's or an earlier one's
            self._ingester.ingest([self._folder])
        return existed

    def _path(self, answer_id: str) -> Path:
        if not answer_id.isalnum():  # an id from a button's value: never a path
            raise ValueError(f"not an answer id: {answer_id!r}")
        return self._folder / f"{answer_id}.md"
