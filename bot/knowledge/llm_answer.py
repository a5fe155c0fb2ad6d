"""A language model's answer: the prompt it is shown, and its reply or None when it gives none."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.knowledge.index import Hit

if TYPE_CHECKING:  # importing LangChain's model classes takes half a second a cold `ask` need not pay
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)

LLM_PASSAGES = 6  # of the passages retrieved, shown to a language model (after the data card, if any)
HISTORY_TURNS = 3  # earlier questions (and answers) of a conversation shown with a follow-up


def model_prompt(question: str, hint: str, shown: Sequence[Hit], history: Sequence[tuple[str, str]]) -> str:
    """The answer prompt (prompts/answer.*) with the passages numbered [1]..[n] as their citations, and
    the conversation's last turns as (question, answer) pairs, an answer empty when there was none."""
    from bot.prompts import load_prompt  # LangChain's prompt classes: only with a model configured

    passages = "\n\n".join(
        f"[{i}] {h.passage.title} ({h.passage.location})\n{h.passage.text}"
        for i, h in enumerate(shown, start=1)
    )
    earlier = ""
    if history:
        turns = (f"Q: {q}" + (f"\nA: {a}" if a else "") for q, a in history[-HISTORY_TURNS:])
        earlier = "\nEarlier in this conversation:\n" + "\n".join(turns) + "\n"
    return load_prompt("answer").format(question=question, passages=passages, history=earlier, hint=hint)


def model_reply(llm: BaseChatModel, prompt: str, on_text: Callable[[str], None] | None = None) -> str | None:
    """The model's reply as text, or None when it failed (the caller answers extractively instead).

    With `on_text`, the reply is streamed and each piece handed to it as it comes (a failure of `on_text`
    is its own to handle: it must not raise)."""
    try:
        if on_text is None:
            reply = llm.invoke(prompt)
            return _text(reply.content).strip()
        pieces = []
        for chunk in llm.stream(prompt):
            piece = _text(chunk.content)
            if piece:
                pieces.append(piece)
                on_text(piece)
        return "".join(pieces).strip()
    except Exception as exc:  # timeouts, refused connections, provider errors: fall back
        # the type only: a provider's message can echo the prompt, which may quote private notes
        log.warning("language model failed (%s); answering extractively", type(exc).__name__)
        return None


def _text(content) -> str:
    return content if isinstance(content, str) else str(content)
