"""The current schema, for queries (the migrations own how it came to be)."""

from sqlalchemy import Boolean, Column, DateTime, Float, ForeignKey, Integer, MetaData, String, Table, Text

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

# District: the loaded district file (as JSON), schools and results, and the digests posted
district_config = Table(
    "district_config",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

schools = Table(
    "schools",
    metadata,
    Column("school_id", String(50), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("level", String(100), nullable=False),
    Column("cluster", String(100), nullable=False),
)

results = Table(
    "results",
    metadata,
    Column("school_id", String(50), primary_key=True),
    Column("measure", String(100), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("student_group", String(100), primary_key=True),
    Column("value", Float, nullable=False),
    Column("students", Integer, nullable=False),
)

digest_posts = Table(
    "digest_posts",
    metadata,
    Column("channel", String(40), primary_key=True),
    Column("week", String(10), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("posted_at", DateTime(timezone=True)),
    Column("message_ts", String(40)),
    Column("summary", Text),
)
