"""The schema Resolute released before Alembic: knowledge index, Slack answers, district data.

A database made by that release (its `schema_migrations` table at version 3) has exactly these tables
and is stamped at this revision instead of running it.

Revision ID: 0001
Revises:
Create Date: 2025-11-23
"""

import sqlalchemy as sa
from alembic import op

# A revision freezes the tables as they are at its step and never imports bot.store.tables: the
# models keep changing, a released revision must not.

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # the knowledge index
    op.create_table(
        "documents",
        sa.Column("source", sa.String(1000), primary_key=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("chunk_count", sa.Integer, nullable=False),
        sa.Column("ingested_at", TZ_DATETIME, nullable=False),
    )
    op.create_table(
        "chunks",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("location", sa.String(500), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_chunks_source", "chunks", ["source"])
    op.create_table(
        "index_meta",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.String(1000), nullable=False),
    )
    # Slack: claims against double answers, the answers, and feedback on them
    op.create_table(
        "slack_claims",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("claimed_at", TZ_DATETIME, nullable=False),
    )
    op.create_table(
        "slack_answers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("thread_ts", sa.String(40), nullable=False),
        sa.Column("question_ts", sa.String(40)),
        sa.Column("message_ts", sa.String(40)),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("sources", sa.Text, nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("created_at", TZ_DATETIME, nullable=False),
    )
    op.create_index("ix_slack_answers_thread", "slack_answers", ["channel", "thread_ts"])
    op.create_table(
        "answer_feedback",
        sa.Column("answer_id", sa.String(32), sa.ForeignKey("slack_answers.id"), primary_key=True),
        sa.Column("user_id", sa.String(40), primary_key=True),
        sa.Column("helpful", sa.Boolean, nullable=False),
        sa.Column("created_at", TZ_DATETIME, nullable=False),
    )
    # the district: its file, schools, results and the digests posted
    op.create_table(
        "district_config",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "schools",
        sa.Column("school_id", sa.String(50), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("level", sa.String(100), nullable=False),
        sa.Column("cluster", sa.String(100), nullable=False),
    )
    op.create_table(
        "results",
        sa.Column("school_id", sa.String(50), primary_key=True),
        sa.Column("measure", sa.String(100), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("student_group", sa.String(100), primary_key=True),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("students", sa.Integer, nullable=False),
    )
    op.create_index("ix_results_measure_year", "results", ["measure", "student_group", "year"])
    op.create_table(
        "digest_posts",
        sa.Column("channel", sa.String(40), primary_key=True),
        sa.Column("week", sa.String(10), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("claimed_at", TZ_DATETIME, nullable=False),
        sa.Column("posted_at", TZ_DATETIME),
        sa.Column("message_ts", sa.String(40)),
        sa.Column("summary", sa.Text),
    )


def downgrade() -> None:
    for table in (
        "digest_posts",
        "results",
        "schools",
        "district_config",
        "answer_feedback",
        "slack_answers",
        "slack_claims",
        "index_meta",
        "chunks",
        "documents",
    ):
        op.drop_table(table)
