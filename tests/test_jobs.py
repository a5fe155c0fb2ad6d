"""The scheduled jobs: held by reference, on the district's day, time and time zone, and run once per
occurrence however many `serve` processes share the database."""

from __future__ import annotations

import multiprocessing
import pickle
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient

from bot.jobs import CHECKIN_TICK, NOTES_RETENTION, NOTES_TICK, WEEKLY_DIGEST, start_jobs
from bot.slack.fake import BOT_TOKEN as TOKEN
from tests.test_district import TOML, write_district

# Hour and minute differ (a swap would show), in a zone that is nobody's local time, whose clocks go
# back on Sunday 2026-11-01: NDT is UTC-2:30 before, NST UTC-3:30 after.
ZONE = "America/St_Johns"
TZ = ZoneInfo(ZONE)
SCHEDULED = TOML.replace('"America/Toronto"', f'"{ZONE}"').replace('"fri 15:00"', '"tue 07:15"')
TUESDAY = datetime(2026, 10, 27, 7, 15, tzinfo=TZ)  # an occurrence, before the change of time


@pytest.fixture
def district(make_services, tmp_path, database_url):
    """Settings for a loaded district that posts its digest on Tuesdays at 07:15, St. John's time."""
    write_district(tmp_path / "knowledge" / "district", toml=SCHEDULED)
    settings = {"database_url": database_url} if database_url else {}
    make_services(**settings).district.load()
    return settings


@pytest.fixture
def scheduled(make_services, district, fake_slack):
    """start_jobs on a paused scheduler (nothing fires by itself), with a clock the test sets."""
    now = [TUESDAY]
    services = make_services(**district)
    scheduler = start_jobs(
        services, WebClient(token=TOKEN, base_url=fake_slack.url), clock=lambda: now[0], paused=True
    )
    yield scheduler, now
    scheduler.shutdown(wait=False)


def fire(job) -> str:
    """Run a job the way the scheduler's executor does."""
    return job.func(*job.args, **job.kwargs)


def test_the_digest_is_scheduled_at_the_district_day_time_and_zone(scheduled):
    scheduler, _ = scheduled
    job = scheduler.get_job("weekly_digest")
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["day_of_week"], fields["hour"], fields["minute"]) == ("tue", "7", "15")
    assert str(job.trigger.timezone) == ZONE
    # the next occurrence from a given moment, in UTC: 07:15 local on either side of the change of time
    assert job.trigger.get_next_fire_time(None, datetime(2026, 10, 26, 12, 0, tzinfo=TZ)) == datetime(
        2026, 10, 27, 9, 45, tzinfo=UTC
    )
    assert job.trigger.get_next_fire_time(None, TUESDAY + timedelta(minutes=1)) == datetime(
        2026, 11, 3, 10, 45, tzinfo=UTC
    )
    local = job.next_run_time.astimezone(TZ)  # what the started scheduler will actually wait for
    assert (local.strftime("%a"), local.hour, local.minute) == ("Tue", 7, 15)


def test_every_job_is_held_by_reference_so_a_job_store_could_keep_it(scheduled):
    scheduler, _ = scheduled
    jobs = {job.id: job for job in scheduler.get_jobs()}
    refs = {"weekly_digest": WEEKLY_DIGEST, "weekly_digest_catch_up": WEEKLY_DIGEST,
            "checkin_tick": CHECKIN_TICK, "notes_tick": NOTES_TICK,
            "notes_retention": NOTES_RETENTION, "notes_retention_at_start": NOTES_RETENTION}  # fmt: skip
    assert set(jobs) == set(refs)
    for job in jobs.values():
        expected = refs[job.id]
        assert job.func_ref == expected and job.args == () and job.kwargs == {}
        # what a persistent job store writes: it fails for a closure or a bound object
        assert pickle.loads(pickle.dumps(job.__getstate__()))["func"] == expected
    tick = jobs["checkin_tick"]  # every minute, and once at start-up (missed prompts go out)
    assert tick.trigger.interval.total_seconds() == 60 and tick.next_run_time is not None
    assert type(jobs["weekly_digest_catch_up"].trigger).__name__ == "DateTrigger"  # once, at start-up


def test_the_start_up_catch_up_posts_a_digest_missed_earlier_the_same_day_only(scheduled, fake_slack):
    scheduler, now = scheduled
    catch_up = scheduler.get_job("weekly_digest_catch_up")
    now[0] = TUESDAY + timedelta(days=1)  # started the next day: that week's digest is not sent late
    assert fire(catch_up).startswith("not due")
    now[0] = TUESDAY - timedelta(minutes=1)
    assert fire(catch_up).startswith("not due")
    assert fake_slack.called("chat.postMessage") == []
    now[0] = TUESDAY + timedelta(hours=9)  # started later on the day
    assert fire(catch_up).startswith("posted the digest for 2026-W44 to C0LEAD0001")
    now[0] = TUESDAY + timedelta(hours=10)
    assert "already been posted" in fire(scheduler.get_job("weekly_digest"))
    assert len(fake_slack.called("chat.postMessage")) == 1


def test_before_the_district_data_is_loaded_no_digest_is_scheduled_and_the_tick_waits_for_it(
    make_services, fake_slack
):
    services = make_services()
    scheduler = start_jobs(services, WebClient(token=TOKEN, base_url=fake_slack.url), paused=True)
    try:  # no digest schedule to read yet; the tick reads the data each minute, so a later load starts it
        assert {job.id for job in scheduler.get_jobs()} == {"checkin_tick", "notes_tick", "notes_retention",
                                                            "notes_retention_at_start"}  # fmt: skip
        assert "no district data is loaded yet" in fire(scheduler.get_job("checkin_tick"))[0]
    finally:
        scheduler.shutdown(wait=False)


def _serve_and_fire(settings: dict, slack_url: str, now: datetime, gate, said) -> None:
    """One `serve` process: its own services and scheduler, firing the occurrence at `now`."""
    from bot.config import load_settings
    from bot.services import Services

    services = Services(load_settings(**settings))
    scheduler = start_jobs(
        services, WebClient(token=TOKEN, base_url=slack_url), clock=lambda: now, paused=True
    )
    try:
        jobs = [scheduler.get_job("weekly_digest"), scheduler.get_job("weekly_digest_catch_up")]
        due = jobs[0].trigger.get_next_fire_time(None, now - timedelta(minutes=1))
        gate.wait(timeout=120)  # both processes fire together
        said.put((due, [fire(job) for job in jobs]))
    finally:
        scheduler.shutdown(wait=False)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_serve_processes_on_one_postgresql_post_each_digest_once(district, fake_slack, tmp_path):
    settings = district | {"knowledge_dir": tmp_path / "knowledge", "data_dir": tmp_path / "data"}
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter each, as two `serve` would be
    gate, said = spawn.Barrier(2), spawn.Queue()
    at = TUESDAY + timedelta(seconds=2)  # the scheduled occurrence, as each scheduler fires it
    processes = [
        spawn.Process(target=_serve_and_fire, args=(settings, fake_slack.url, at, gate, said)) for _ in "ab"
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=180)
        assert process.exitcode == 0  # a failure in the process shows its traceback above
    results = [said.get(timeout=5) for _ in processes]
    assert {due for due, _ in results} == {TUESDAY}  # the same occurrence in both
    messages = [message for _, messages in results for message in messages]
    assert sum(m.startswith("posted") for m in messages) == 1, messages
    assert sum("already been posted" in m for m in messages) == 3, messages
    [posted] = fake_slack.called("chat.postMessage")
    assert posted.args["channel"] == "C0LEAD0001"
