"""The weekly digest: posted once per channel per week, caught up the same day, previewed without posting;
on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient

from bot.jobs import post_weekly_digest
from bot.slack.fake import BOT_TOKEN as TOKEN
from bot.slack.fake import FakeSlack
from tests.test_district import write_district

TZ = ZoneInfo("America/Toronto")
FRIDAY_3PM = datetime(2026, 11, 20, 15, 0, tzinfo=TZ)  # the sample schedule is "fri 15:00"


@pytest.fixture
def stub():
    with FakeSlack() as running:
        yield running


@pytest.fixture
def loaded(make_services, tmp_path, database_url, monkeypatch):
    """Build Services on the district data, on SQLite or on PostgreSQL (the commands too)."""
    write_district(tmp_path / "knowledge" / "district")
    monkeypatch.setenv("RESOLUTE_KNOWLEDGE_DIR", str(tmp_path / "knowledge"))
    if database_url:
        monkeypatch.setenv("DATABASE_URL", database_url)

    def build():
        services = make_services(**({"database_url": database_url} if database_url else {}))
        services.district.load()
        return services

    return build


def test_the_digest_is_posted_once_per_week_with_a_chart_per_priority(loaded, stub):
    services = loaded()
    client = WebClient(token=TOKEN, base_url=stub.url)
    said = post_weekly_digest(services.district, client, now=FRIDAY_3PM.replace(minute=1))
    assert said.startswith("posted the digest for 2026-W47 to C0LEAD0001")
    [message] = stub.called("chat.postMessage")
    assert message.args["channel"] == "C0LEAD0001"
    assert "Grade 3 reading (%)" in message.args["text"] and "off track" in message.args["text"]
    assert "Every child reading." in message.args["text"]  # the message to stay on
    [upload] = stub.called("upload")
    assert upload.args["bytes"] > 1000  # a real PNG went up
    [complete] = stub.called("files.completeUploadExternal")
    assert (
        complete.args["channel_id"] == "C0LEAD0001" and complete.args["thread_ts"]
    )  # in the digest's thread
    # again the same week (a retry, a restart): nothing more
    assert "already been posted" in post_weekly_digest(
        services.district, client, now=FRIDAY_3PM.replace(hour=18)
    )
    assert len(stub.called("chat.postMessage")) == 1


def test_several_instances_post_one_digest(loaded, stub):
    instances = [loaded() for _ in range(4)]
    said = []
    gate = threading.Barrier(len(instances))

    def run(services):
        gate.wait()
        said.append(post_weekly_digest(services.district, WebClient(token=TOKEN, base_url=stub.url),
                                       now=FRIDAY_3PM.replace(minute=5)))  # fmt: skip

    threads = [threading.Thread(target=run, args=(s,)) for s in instances]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(s.startswith("posted") for s in said) == 1 and len(stub.called("chat.postMessage")) == 1


def test_a_missed_digest_is_caught_up_the_same_day_only(loaded, stub):
    services = loaded()
    client = WebClient(token=TOKEN, base_url=stub.url)
    assert "not due" in post_weekly_digest(
        services.district, client, now=FRIDAY_3PM.replace(hour=14, minute=59)
    )
    assert "not due" in post_weekly_digest(
        services.district, client, now=datetime(2026, 11, 21, 9, 0, tzinfo=TZ)
    )
    assert stub.called("chat.postMessage") == []
    assert post_weekly_digest(services.district, client, now=FRIDAY_3PM.replace(hour=23)).startswith("posted")


def test_a_failed_post_can_be_retried_and_the_next_week_says_what_changed(loaded, stub):
    services = loaded()
    client = WebClient(token=TOKEN, base_url=stub.url)
    stub.errors["chat.postMessage"] = "ratelimited"
    with pytest.raises(Exception, match="ratelimited"):
        post_weekly_digest(services.district, client, now=FRIDAY_3PM)
    del stub.errors["chat.postMessage"]
    assert post_weekly_digest(services.district, client, now=FRIDAY_3PM).startswith("posted")
    next_week = FRIDAY_3PM.replace(day=27)
    assert post_weekly_digest(services.district, client, now=next_week).startswith(
        "posted the digest for 2026-W48"
    )
    assert "No change since the last digest" in stub.called("chat.postMessage")[-1].args["text"]


def test_preview_writes_the_digest_and_charts_without_posting(loaded, tmp_path):
    from click.testing import CliRunner

    from bot.cli import main

    loaded()
    result = CliRunner().invoke(main, ["--verbose", "digest", "--preview", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "literacy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Schools on the Move" in (tmp_path / "out" / "digest.md").read_text()


def test_digest_post_needs_only_the_bot_token(loaded, stub):
    from click.testing import CliRunner

    from bot.cli import main

    loaded()
    # no signing secret and no app token: posting is one Web API call with the bot token
    result = CliRunner().invoke(
        main, ["digest", "--post"], env={"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": stub.url}
    )
    assert result.exit_code == 0, result.output
    assert "posted the digest for" in result.output and "to C0LEAD0001" in result.output
    [message] = stub.called("chat.postMessage")
    assert message.args["channel"] == "C0LEAD0001" and "Grade 3 reading (%)" in message.args["text"]
    again = CliRunner().invoke(
        main, ["digest", "--post"], env={"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": stub.url}
    )
    assert "already been posted" in again.output and len(stub.called("chat.postMessage")) == 1


def test_digest_post_without_a_bot_token_says_what_to_set(loaded, stub):
    from click.testing import CliRunner

    from bot.cli import main

    loaded()
    result = CliRunner().invoke(main, ["digest", "--post"], env={"SLACK_API_URL": stub.url})
    assert result.exit_code == 2
    assert "posting the digest needs SLACK_BOT_TOKEN (xoxb-...)" in result.output
    assert stub.calls == []


def test_digest_post_refused_by_slack_says_why_and_can_be_retried(loaded, stub):
    from click.testing import CliRunner

    from bot.cli import main

    loaded()
    wrong = CliRunner().invoke(
        main, ["digest", "--post"], env={"SLACK_BOT_TOKEN": "xoxb-revoked", "SLACK_API_URL": stub.url}
    )
    assert wrong.exit_code == 1 and "Slack refused the digest: invalid_auth" in wrong.output
    assert "Traceback" not in wrong.output
    right = CliRunner().invoke(
        main, ["digest", "--post"], env={"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": stub.url}
    )
    assert right.exit_code == 0 and "posted the digest for" in right.output  # the week was not left claimed
