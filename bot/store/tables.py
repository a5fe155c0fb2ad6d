"""The schema, written once: queries use it and Alembic's revisions are checked against it."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# Knowledge: every document, chunk and index setting belongs to one corpus. "public" holds the
# documents anyone may be answered from; private corpora (notes, check-in answers) are searched only
# when a caller names them.
PUBLIC = "public"

documents = Table(
    "documents",
    metadata,
    Column("corpus", String(40), primary_key=True, server_default=PUBLIC),
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
    Column("corpus", String(40), nullable=False, server_default=PUBLIC),
    Column("source", String(1000), nullable=False),
    Column("position", Integer, nullable=False),
    Column("title", String(500), nullable=False),
    Column("location", String(500), nullable=False),
    Column("text", Text, nullable=False),
    # one float16 vector a sentence (bot.knowledge.text.answer_units), so answers rank sentences by meaning
    Column("sentence_vectors", LargeBinary),
    Index("ix_chunks_corpus_source", "corpus", "source"),
)

# per corpus: "generation" (bumped by every commit that changes what is searchable) and "pipeline"
index_meta = Table(
    "index_meta",
    metadata,
    Column("corpus", String(40), primary_key=True, server_default=PUBLIC),
    Column("key", String(100), primary_key=True),
    Column("value", String(1000), nullable=False),
)

# A private corpus's chunk vectors (float32 bytes), kept in SQL beside its chunks so that nothing of a
# private item reaches Chroma's files, which keep what was deleted; the public corpus's are in Chroma
private_vectors = Table(
    "private_vectors",
    metadata,
    Column("corpus", String(40), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("source", String(1000), nullable=False),
    Column("vector", LargeBinary, nullable=False),
    Index("ix_private_vectors_corpus_source", "corpus", "source"),
)

# Slack: one claim per question message or command (retries and duplicate events answer once); a
# claim still "posting" after claims.STALE_CLAIM belongs to an answerer that died and may be taken over
slack_claims = Table(
    "slack_claims",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False, server_default="posted"),  # posting | posted
    Column("posted_at", DateTime(timezone=True)),
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
    Index("ix_slack_answers_thread", "channel", "thread_ts"),
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
    Column("principal", String(300)),  # optional: none in schools.csv is NULL
    Column("edfi_id", BigInteger),  # optional: the school's id in the state's Ed-Fi API
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
    Index("ix_results_measure_year", "measure", "student_group", "year"),
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

# Check-ins: people's time zones and absences, each week's answers (items, skips), support asked of
# one another, and every message sent (one claim per week, kind and recipient: each goes out once)
checkin_people = Table(
    "checkin_people",
    metadata,
    Column("user_id", String(40), primary_key=True),
    Column("tz", String(64)),
    Column("tz_checked_at", DateTime(timezone=True)),
    Column("away_until", Date),
)

# a member's "Remind me later" on a week's prompt: once per week, a moment in UTC
checkin_snoozes = Table(
    "checkin_snoozes",
    metadata,
    Column("week", String(10), primary_key=True),
    Column("user_id", String(40), primary_key=True),
    Column("until", DateTime(timezone=True), nullable=False),
    Column("asked_at", DateTime(timezone=True), nullable=False),
)

checkin_responses = Table(
    "checkin_responses",
    metadata,
    Column("week", String(10), primary_key=True),
    Column("user_id", String(40), primary_key=True),
    Column("status", String(20), nullable=False),  # answered | skipped
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

checkin_items = Table(
    "checkin_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("week", String(10), nullable=False),
    Column("user_id", String(40), nullable=False),
    Column("field", String(10), nullable=False),  # did | next | other
    Column("filed", String(40)),  # the priority it was filed under; none for "other"
    Column("text", Text, nullable=False),
    Column("priority", String(40)),  # the priority it serves, as classified; none: serves none
    Column("score", Float, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_checkin_items_week", "week", "user_id"),
    sqlite_autoincrement=True,  # ids are never reused: a button naming an item never names another
)

checkin_support = Table(
    "checkin_support",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("week", String(10), nullable=False),
    Column("from_user", String(40), nullable=False),
    Column("to_user", String(40), nullable=False),
    Column("text", Text, nullable=False),
    # open | taken | done, or closed otherwise: withdrawn | declined | handed | expired | unsent
    Column("status", String(10), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("taken_at", DateTime(timezone=True)),
    Column("done_at", DateTime(timezone=True)),  # when it was done or closed
    Column("handed_from", Integer),  # the request this one was handed on from
    Index("ix_checkin_support_status", "status"),
    sqlite_autoincrement=True,  # a button naming a request never names a later one
)

checkin_sends = Table(
    "checkin_sends",
    metadata,
    Column("week", String(10), primary_key=True),
    Column("kind", String(20), primary_key=True),  # prompt | reminder | card | summary | support_*
    Column("recipient", String(40), primary_key=True),  # a user, a channel or a support request's id
    Column("status", String(20), nullable=False),  # posting | posted | refused (Slack will never take it)
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("posted_at", DateTime(timezone=True)),
    Column("message_ts", String(40)),
)

# Intervention notes: private to the people the district file entitles. Each note is also a text
# item of the "notes" corpus (id "note:<id>"), searched only for an entitled reader's direct message.
# The audit keeps who did what to which note and with which fields, never a note's text; its rows
# outlive the notes they name. A follow-up reminder is claimed once per note, like a check-in message.
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("school_id", String(50)),
    Column("student", String(100)),  # a local student code or initials, as written
    Column("student_key", String(100)),  # the same in lower case: `/notes student:` matches any case
    Column("type", String(40), nullable=False),
    Column("tier", Integer),  # 1-3
    Column("tier_from", Integer),  # a move between tiers: the tier before (tier is the one after)
    Column("priority", String(40)),
    Column("text", Text, nullable=False),
    Column("follow_up", Date),
    Column("author", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True)),
    Column("updated_by", String(40)),
    Index("ix_notes_created", "created_at", "id"),  # newest first, keyset pages
    Index("ix_notes_school_created", "school_id", "created_at"),
    Index("ix_notes_student_key", "student_key"),
    Index("ix_notes_follow_up", "follow_up"),
    # ids are never reused (PostgreSQL's sequences never reuse one either): an Edit or Delete button
    # left in an old message can never name a newer note
    sqlite_autoincrement=True,
)

note_audit = Table(
    "note_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(100), nullable=False),  # a Slack user id, or "cli:<login>"
    Column("action", String(20), nullable=False),  # create | edit | delete | list | export | import | expire
    Column("note_id", Integer),  # none for listings, exports and imports (their ids are in details)
    Column("details", Text, nullable=False),  # JSON: fields, filters, ids; never a note's text
    Index("ix_note_audit_at", "at"),
)

# Which notes each audit row is about (a create, a read, an answer that showed them, an export): how "who
# accessed this student's notes?" is answered, and how long a row is kept (as long as its notes, and then
# audit_retention_days more)
note_access = Table(
    "note_access",
    metadata,
    Column("audit_id", Integer, ForeignKey("note_audit.id"), primary_key=True),
    Column("note_id", Integer, primary_key=True),
    Index("ix_note_access_note", "note_id"),
)

note_followups = Table(
    "note_followups",
    metadata,
    Column("note_id", Integer, primary_key=True),
    Column("status", String(20), nullable=False),  # posting | posted
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("posted_at", DateTime(timezone=True)),
)


# A deleted note leaves only a hash of its fields, so an import can tell a row that was deleted on
# purpose (refused unless --restore) from a new one; nothing readable is kept.
note_tombstones = Table(
    "note_tombstones",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("deleted_at", DateTime(timezone=True), nullable=False),
)

# Messages Resolute posted that quote a note (a follow-up reminder, the weekly DM of an author's notes,
# a DM answer that cited it, a confirmation sent by DM): redacted with chat.update when the note goes.
note_copies = Table(
    "note_copies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("note_id", Integer, nullable=False),
    Column("channel", String(40), nullable=False),
    Column("ts", String(40), nullable=False),
    Column("kind", String(20), nullable=False),  # followup | weekly | answer | confirmation
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_note_copies_note", "note_id"),
    Index("ix_note_copies_message", "channel", "ts"),
)

# Export files Resolute uploaded to someone's DM: deleted from Slack (files.delete) after 24 hours.
note_exports = Table(
    "note_exports",
    metadata,
    Column("file_id", String(40), primary_key=True),
    Column("user_id", String(40), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
)

# Slack's assistant panel: the channel each leader was viewing when they asked in a thread
assistant_threads = Table(
    "assistant_threads",
    metadata,
    Column("channel", String(40), primary_key=True),
    Column("thread_ts", String(40), primary_key=True),
    Column("context", Text, nullable=False),  # JSON: channel_id, team_id, enterprise_id
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A question the documents did not answer, handed (at the asker's click) to the person the district file
# names for its priority; the owner's replies in their direct message go back to the asker's thread
slack_handoffs = Table(
    "slack_handoffs",
    metadata,
    Column("answer_id", String(32), primary_key=True),  # one hand-over per answer
    Column("owner", String(40), nullable=False),
    Column("asked_by", String(40), nullable=False),
    Column("channel", String(40), nullable=False),  # the asker's thread
    Column("thread_ts", String(40), nullable=False),
    Column("owner_channel", String(40)),  # the message to the owner, once posted
    Column("owner_ts", String(40)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_slack_handoffs_owner_thread", "owner_channel", "owner_ts"),
)
