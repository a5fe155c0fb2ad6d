"""Send-once claims: a row per message to send, inserted before sending, so each goes out once.

The first process to insert a claim sends; every other one (a retry, a restart, a second `serve` on
the same PostgreSQL) finds the row and does not. A claim whose sender died before marking it posted
may be taken over once it is STALE_CLAIM old; a failed send gives its claim back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, Table, and_, delete, insert, update
from sqlalchemy.exc import IntegrityError

STALE_CLAIM = timedelta(minutes=15)


def _where(table: Table, key: dict):
    return and_(*(table.c[name] == value for name, value in key.items()))


def claim(engine: Engine, table: Table, key: dict, now: datetime) -> bool:
    """True if this caller should send (the first claim, or one left stale by a sender that died)."""
    try:
        with engine.begin() as conn:
            conn.execute(insert(table).values(**key, status="posting", claimed_at=now))
        return True
    except IntegrityError:
        pass
    with engine.begin() as conn:
        taken = conn.execute(
            update(table)
            .where(_where(table, key), table.c.status == "posting", table.c.claimed_at < now - STALE_CLAIM)
            .values(claimed_at=now)
        ).rowcount
    return taken == 1


def release(engine: Engine, table: Table, key: dict) -> None:
    """Give a claim back after a failed send, so the next attempt can send."""
    with engine.begin() as conn:
        conn.execute(delete(table).where(_where(table, key), table.c.status == "posting"))


def posted(engine: Engine, table: Table, key: dict, now: datetime, **values) -> None:
    """Mark a claim as sent, with whatever else the table keeps about the message."""
    with engine.begin() as conn:
        conn.execute(update(table).where(_where(table, key)).values(status="posted", posted_at=now, **values))
