"""Slack assistant threads: the channel each leader was viewing when they asked (the thread's context).

Slack sends the context when a thread starts and when the leader moves to another channel; the next
question in the thread may reach any instance, so it is kept here rather than in memory.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from bot.store.engine import upsert_insert
from bot.store.tables import assistant_threads


class AssistantThreads:
    """Save and find a thread's context: {"channel_id": ..., "team_id": ..., "enterprise_id": ...}."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save(self, channel: str, thread_ts: str, context: dict) -> None:
        """Keep the thread's latest context (replacing an earlier one)."""
        kept = {
            k: str(v) for k, v in (context or {}).items() if isinstance(v, str | int) and k in CONTEXT_KEYS
        }
        with self._engine.begin() as conn:
            upsert = upsert_insert(conn)(assistant_threads).values(
                channel=channel, thread_ts=thread_ts, context=json.dumps(kept), updated_at=datetime.now(UTC)
            )
            conn.execute(upsert.on_conflict_do_update(
                index_elements=[assistant_threads.c.channel, assistant_threads.c.thread_ts],
                set_={"context": upsert.excluded.context, "updated_at": upsert.excluded.updated_at},
            ))  # fmt: skip

    def find(self, channel: str, thread_ts: str) -> dict | None:
        """The thread's latest context, or None if Slack never sent one."""
        with self._engine.connect() as conn:
            found = conn.execute(
                select(assistant_threads.c.context).where(
                    assistant_threads.c.channel == channel, assistant_threads.c.thread_ts == thread_ts
                )
            ).scalar()
        return json.loads(found) if found else None


CONTEXT_KEYS = ("channel_id", "team_id", "enterprise_id")  # what Slack's thread context carries
