"""Scheduled jobs (APScheduler): they call the same services the listeners call."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from slack_sdk import WebClient

from bot.district.digest import build_digest, occurrence, week_of
from bot.district.service import District, NotLoaded

log = logging.getLogger(__name__)


def post_weekly_digest(district: District, client: WebClient, *, now: datetime | None = None,
                       force: bool = False) -> str:  # fmt: skip
    """Post this week's digest once per channel (across restarts, retries and instances); says what it did.

    Without `force` it posts only on the day of the scheduled time, after that time: a digest missed
    while the bot was down goes out when it comes back the same day, and not on a later day.
    """
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
        digest = build_digest(
            config, report, names, week=week, before=store.last_digest(channel, before_week=week)
        )
        posted = client.chat_postMessage(channel=channel, text=digest.text[:3000], blocks=digest.blocks)
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


def start_jobs(district: District, client: WebClient):
    """Schedule the weekly digest at the district's time, and catch up on one missed earlier today."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger

    try:
        config = district.config()
    except NotLoaded as exc:
        log.warning("weekly digest not scheduled: %s", exc)
        return None
    scheduler = BackgroundScheduler()

    def run() -> None:
        log.info("weekly digest: %s", post_weekly_digest(district, client))

    hour, minute = map(int, config.digest_time.split(":"))
    trigger = CronTrigger(day_of_week=config.digest_day, hour=hour, minute=minute, timezone=config.timezone)
    scheduler.add_job(run, trigger, id="weekly_digest", misfire_grace_time=3600, coalesce=True)
    scheduler.add_job(run, id="weekly_digest_catch_up")  # once, now
    scheduler.start()
    return scheduler
