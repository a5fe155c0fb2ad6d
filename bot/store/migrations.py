"""Numbered schema migrations. Never edit a released one: add the next number instead.

Each migration declares the tables as they were at that step, so a fresh database and an
upgraded one end in the same shape.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)


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


def _002_slack_answers(conn: Connection) -> None:
    md = MetaData()
    Table(
        "slack_claims",
        md,
        Column("key", String(200), primary_key=True),
        Column("claimed_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "slack_answers",
        md,
        Column("id", String(32), primary_key=True),
        Column("channel", String(40), nullable=False),
        Column("thread_ts", String(40), nullable=False),
        Column("question_ts", String(40)),
        Column("message_ts", String(40)),
        Column("user_id", String(40), nullable=False),
        Column("question", Text, nullable=False),
        Column("answer", Text, nullable=False),
        Column("sources", Text, nullable=False),
        Column("mode", String(20), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "answer_feedback",
        md,
        Column("answer_id", String(32), ForeignKey("slack_answers.id"), primary_key=True),
        Column("user_id", String(40), primary_key=True),
        Column("helpful", Boolean, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    md.create_all(conn)
    conn.execute(text("CREATE INDEX ix_slack_answers_thread ON slack_answers (channel, thread_ts)"))


def _003_district(conn: Connection) -> None:
    md = MetaData()
    Table(
        "district_config",
        md,
        Column("key", String(100), primary_key=True),
        Column("value", Text, nullable=False),
    )
    Table(
        "schools",
        md,
        Column("school_id", String(50), primary_key=True),
        Column("name", String(300), nullable=False),
        Column("level", String(100), nullable=False),
        Column("cluster", String(100), nullable=False),
    )
    Table(
        "results",
        md,
        Column("school_id", String(50), primary_key=True),
        Column("measure", String(100), primary_key=True),
        Column("year", Integer, primary_key=True),
        Column("student_group", String(100), primary_key=True),
        Column("value", Float, nullable=False),
        Column("students", Integer, nullable=False),
    )
    Table(
        "digest_posts",
        md,
        Column("channel", String(40), primary_key=True),
        Column("week", String(10), primary_key=True),
        Column("status", String(20), nullable=False),
        Column("claimed_at", DateTime(timezone=True), nullable=False),
        Column("posted_at", DateTime(timezone=True)),
        Column("message_ts", String(40)),
        Column("summary", Text),
    )
    md.create_all(conn)
    conn.execute(text("CREATE INDEX ix_results_measure_year ON results (measure, student_group, year)"))


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "knowledge index", _001_knowledge_index),
    (2, "slack answers and feedback", _002_slack_answers),
    (3, "district data and digests", _003_district),
]
