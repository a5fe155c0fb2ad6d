"""The current schema, for queries (the migrations own how it came to be)."""

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text

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
