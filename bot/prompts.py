"""Prompt templates are files in `prompts/`, loaded by name."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from langchain_core.prompts import PromptTemplate

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@cache
def load_prompt(name: str) -> PromptTemplate:
    """The template `prompts/<name>.md`."""
    path = PROMPTS_DIR / f"{name}.md"
    return PromptTemplate.from_template(path.read_text(encoding="utf-8"))
