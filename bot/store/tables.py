"""The current schema, for queries (the migrations own how it came to be)."""

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, MetaData, String, Table, Text

metadata = MetaData()

documents = Table(
    "documents",
    metadata,
    Column("source", String(1000), primary_key=True),
    Column("title", String(500), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("chunk_count", Integer, nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
)

chunks = Table(
    "chunks",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("source", String(1000), nullable=False),
    Column("position", Integer, nullable=False),
    Column("title", String(500), nullable=False),
    Column("location", String(500), nullable=False),
    Column("text", Text, nullable=False),
)

index_meta = Table(
    "index_meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", String(1000), nullable=False),
)

# Slack: one claim per question message or command (retries and duplicate events answer once)
slack_claims = Table(
    "slack_claims",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
)

slack_answers = Table(
    "slack_answers",
    metadata,
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

answer_feedback = Table(
    "answer_feedback",
    metadata,
    Column("answer_id", String(32), ForeignKey("slack_answers.id"), primary_key=True),
    Column("user_id", String(40), primary_key=True),
    Column("helpful", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
