"""Numbered schema migrations. Never edit a released one: add the next number instead.

Each migration declares the tables as they were at that step, so a fresh database and an
upgraded one end in the same shape.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Column, Connection, DateTime, Integer, MetaData, String, Table, Text


def _001_knowledge_index(conn: Connection) -> None:
    md = MetaData()
    Table(
        "documents",
        md,
        Column("source", String(1000), primary_key=True),
        Column("title", String(500), nullable=False),
        Column("content_hash", String(64), nullable=False),
        Column("chunk_count", Integer, nullable=False),
        Column("ingested_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "chunks",
        md,
        Column("id", String(64), primary_key=True),
        Column("source", String(1000), nullable=False, index=True),
        Column("position", Integer, nullable=False),
        Column("title", String(500), nullable=False),
        Column("location", String(500), nullable=False),
        Column("text", Text, nullable=False),
    )
    Table(
        "index_meta",
        md,
        Column("key", String(100), primary_key=True),
        Column("value", String(1000), nullable=False),
    )
    md.create_all(conn)


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "knowledge index", _001_knowledge_index),
]
