"""Scheduled jobs (APScheduler): module-level functions, scheduled by reference, that call the same
services the listeners call.

Each `serve` runs its own scheduler with an in-memory job store. APScheduler 3's job stores must not
be shared between schedulers (they do no locking: two schedulers on one store would both run a job,
or lose each other's next run times), so the instances do not share a store. Instead every instance
schedules the same jobs, by textual reference, and a claim in the database decides which instance
runs each occurrence: with several `serve` processes on one PostgreSQL, each digest goes out once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from slack_sdk import WebClient

from bot.district.digest import build_digest, occurrence, week_of
from bot.district.service import District, NotLoaded
from bot.slack.blocks.district import digest_blocks
from bot.slack.blocks.kit import FALLBACK_CHARS, cut

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.notes.copies import Recall
    from bot.notes.service import Notes
    from bot.services import Services
    from bot.slack.checkin_sending import Sender
    from bot.slack.note_sending import FollowUps

log = logging.getLogger(__name__)

WEEKLY_DIGEST = "bot.jobs:weekly_digest"  # how the scheduler holds the job: a reference, not an object
CHECKIN_TICK = "bot.jobs:checkin_tick"
NOTES_TICK = "bot.jobs:notes_tick"
NOTES_RETENTION = "bot.jobs:notes_retention"
RETENTION_AT = (2, 30)  # the daily retention run, in the district's time zone: a quiet hour


@dataclass(frozen=True)
class JobContext:
    """What this process's jobs run with: its services, its Slack client and the clock."""

    services: Services
    client: WebClient
    clock: Callable[[], datetime]

    @cached_property
    def sender(self) -> Sender:
        """The check-ins' sender (it keeps the channel's member list for a few minutes)."""
        from bot.slack.checkin_sending import Sender

        return Sender(self.services.checkins, self.client, notes=self.services.notes)

    @cached_property
    def follow_ups(self) -> FollowUps:
        """The intervention notes' follow-up reminders."""
        from bot.slack.note_sending import FollowUps

        services = self.services
        return FollowUps(notes=services.notes, people=services.checkins.store, district=services.district,
                         client=self.client)  # fmt: skip

    @cached_property
    def recall(self) -> Recall:
        """What the notes take back from Slack: messages that quoted a note now gone, old export files."""
        from bot.notes.copies import Recall

        return Recall(copies=self.services.notes.copies, client=self.client)


_context: JobContext | None = None  # set once per process by start_jobs (a job can only name its function)


def use(services: Services, client: WebClient, *, clock: Callable[[], datetime] | None = None) -> None:
    """Give this process's jobs the services, Slack client and clock they run with."""
    global _context
    _context = JobContext(services, client, clock or services.clock)


def _current() -> JobContext:
    if _context is None:
        raise RuntimeError("no services for the scheduled jobs: start_jobs(services, client) was not called")
    return _context


def post_weekly_digest(district: District, client: WebClient, *, now: datetime | None = None,
                       force: bool = False, notes: Notes | None = None) -> str:  # fmt: skip
    """Post this week's digest once per channel (across restarts, retries and instances); says what it did.

    Without `force` it posts only on the day of the scheduled time, after that time: a digest missed
    while the bot was down goes out when it comes back the same day, and not on a later day. With
    `notes`, it counts the interventions logged in the seven days up to the scheduled time.
    """
    with district.pinned():  # the district file read once for the whole digest
        return _post_weekly_digest(district, client, now=now, force=force, notes=notes)


def _post_weekly_digest(district: District, client: WebClient, *, now: datetime | None, force: bool,
                        notes: Notes | None) -> str:  # fmt: skip
    now = now or datetime.now(UTC)
    try:
        config = district.config()
    except NotLoaded as exc:
        return str(exc)
    channel = config.digest_channel
    if not channel:
        return f"no digest_channel in {district.file}: nothing to post"
    due = occurrence(config, now)
    if not force and due.date() != now.astimezone(due.tzinfo).date():
        return f"not due: the last scheduled digest was {due:%a %Y-%m-%d %H:%M} ({config.timezone})"
    week = week_of(due)
    store = district.store
    if not store.claim_digest(channel, week, now):
        return f"the digest for {week} has already been posted to {channel}"
    try:
        report = district.report()
        names = {sid: s.name for sid, s in store.schools().items()}
        before = store.last_digest(channel, before_week=week)
        counts, moves = _note_counts(notes, due, channel, client, now) or (None, None)
        digest = build_digest(config, report, names, week=week, before=before, notes=counts, moves=moves)
        posted = client.chat_postMessage(
            channel=channel,
            text=cut(digest.text, FALLBACK_CHARS),
            blocks=digest_blocks(digest.title, digest.parts, digest.tail),
        )
    except Exception:
        store.release_digest(channel, week)  # nothing went out: the next attempt may post
        raise
    store.digest_posted(channel, week, ts=posted["ts"], summary=digest.summary, now=now)
    try:  # the message is out; a failed chart upload must not cause a second digest
        client.files_upload_v2(
            channel=posted["channel"], thread_ts=posted["ts"],
            file_uploads=[{"content": png, "filename": name, "title": f"Progress chart: {name.removesuffix('.png')}"}
                          for name, png in digest.charts.items()],
        )  # fmt: skip
    except Exception:
        log.exception("the digest for %s was posted but its charts could not be uploaded", week)
    return f"posted the digest for {week} to {channel} with {len(digest.charts)} charts"


def _note_counts(notes: Notes | None, due: datetime, channel: str, client: WebClient,
                 now: datetime) -> tuple[dict[tuple[str, str | None], int], dict[str, int]] | None:  # fmt: skip
    """The interventions logged in the week up to the digest's time, by (type, priority), and their moves
    between tiers ("up", "down"); None (no line):
    notes off, or `channel` public, of unknown privacy or with someone not entitled to notes in it (even
    counts say what the team is doing)."""
    if notes is None:
        return None
    from slack_sdk.errors import SlackApiError

    from bot.notes.model import NotesOff
    from bot.slack.members import channel_members

    until = due.astimezone(UTC)  # stored times are UTC (SQLite compares them as text)
    try:
        notes.config()  # notes turned off keep their rows until retention: no line then
        private = client.conversations_info(channel=channel)["channel"].get("is_private")
        itself = client.auth_test()["user_id"]  # Resolute, in the channel to post: not a reader
        why = notes.why_not_only_readers(channel, private=private if isinstance(private, bool) else None,
                                         members=channel_members(client), now=now, besides=[itself])  # fmt: skip
        if why:
            log.info("the digest's notes line is left out: %s", why)
            return None
        since = until - timedelta(days=7)
        return notes.counts(since, until), notes.moves(since, until)
    except NotesOff:
        return None
    except SlackApiError as exc:  # who can read the channel is unknown: no line, rather than a wrong one
        log.warning("the digest's notes line is left out: Slack answered %s", exc.response.get("error"))
        return None


def weekly_digest() -> str:
    """The weekly digest job: post this week's digest if it is due and no instance has posted it yet.

    It takes no arguments: the channel and the schedule are read from the loaded district data when it
    runs, so a `data load` that changes the channel is honoured by the next run.
    """
    context = _current()
    services = context.services
    said = post_weekly_digest(services.district, context.client, now=context.clock(), notes=services.notes)
    log.info("weekly digest: %s", said)
    return said


def checkin_tick() -> list[str]:
    """The check-ins' job, every minute: send each prompt, reminder, card, summary and support message
    that is due and not yet sent (by any instance)."""
    context = _current()
    said = context.sender.tick(context.clock())
    for line in said:
        log.info("check-ins: %s", line)
    return said


def notes_tick() -> list[str]:
    """The notes' job, every minute: send each follow-up reminder that is due and not yet sent (by any
    instance); redact Resolute's messages that quoted a note since deleted or expired, and delete export
    files a day old. Its lines name note ids, messages and files only."""
    context = _current()
    now = context.clock()
    said = context.follow_ups.tick(now) + context.recall.tick(now)
    context.services.notes.forget_deleted(pending_only=True)  # a deletion the database was too busy to scrub
    for line in said:
        log.info("notes: %s", line)
    return said


def notes_retention() -> str:
    """The notes' retention job, daily and at start-up: delete the notes older than the district keeps."""
    from bot.slack.note_sending import expire

    context = _current()
    said = expire(context.services.notes, context.clock())
    log.info("notes retention: %s", said)
    return said


def start_jobs(services: Services, client: WebClient, *, clock: Callable[[], datetime] | None = None,
               paused: bool = False) -> BackgroundScheduler:  # fmt: skip
    """Run the check-ins' and the notes' ticks every minute and once now; run the notes' retention daily
    and once now; schedule the weekly digest at the district's day, time and time zone, and catch up on
    one missed earlier today; returns the started scheduler (`paused`: started but running nothing).

    The ticks read the district data each time they run, so check-ins and notes start with a `data load`
    made after `serve` started; the digest's schedule and the retention's time zone are read here, once
    (a new one needs a restart).
    """
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger

    use(services, client, clock=clock)
    scheduler = BackgroundScheduler(timezone=UTC)  # the default in-memory job store, see above
    # every minute, and once now: prompts and follow-up reminders are due at each person's own 09:00,
    # and one missed while no instance was running goes out as soon as one is
    for ref, job_id in ((CHECKIN_TICK, "checkin_tick"), (NOTES_TICK, "notes_tick")):
        scheduler.add_job(ref, "interval", minutes=1, id=job_id, replace_existing=True,
                          next_run_time=datetime.now(UTC), coalesce=True, max_instances=1,
                          misfire_grace_time=None)  # fmt: skip
    try:
        config = services.district.config()
    except NotLoaded as exc:
        config = None
        log.warning("weekly digest not scheduled: %s", exc)
    # before any data is loaded there are no notes to expire; UTC then, until the next restart
    hour, minute = RETENTION_AT
    daily = CronTrigger(hour=hour, minute=minute, timezone=config.timezone if config else UTC)
    scheduler.add_job(NOTES_RETENTION, daily, id="notes_retention", replace_existing=True, coalesce=True,
                      misfire_grace_time=None)  # fmt: skip
    # once, now: a day without a running instance leaves no expired note behind
    scheduler.add_job(NOTES_RETENTION, id="notes_retention_at_start", name="notes retention (start-up)",
                      replace_existing=True, misfire_grace_time=None)  # fmt: skip
    if config is None:
        scheduler.start(paused=paused)
        return scheduler
    hour, minute = map(int, config.digest_time.split(":"))
    trigger = CronTrigger(day_of_week=config.digest_day, hour=hour, minute=minute, timezone=config.timezone)
    scheduler.add_job(WEEKLY_DIGEST, trigger, id="weekly_digest", replace_existing=True,
                      misfire_grace_time=3600, coalesce=True)  # fmt: skip
    # once, now: a digest missed while no instance was running goes out if it is still the same day
    scheduler.add_job(
        WEEKLY_DIGEST,
        id="weekly_digest_catch_up",
        name="weekly digest (start-up catch-up)",
        replace_existing=True,
        misfire_grace_time=None,
    )
    scheduler.start(paused=paused)
    return scheduler
