"""The weekly digest: posted once per channel per week, caught up the same day, previewed without posting."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient

from bot.jobs import post_weekly_digest
from tests.slack_stub import TOKEN, SlackStub
from tests.test_district import write_district

TZ = ZoneInfo("America/Toronto")
FRIDAY_3PM = datetime(2026, 11, 20, 15, 0, tzinfo=TZ)  # the sample schedule is "fri 15:00"


@pytest.fixture
def stub():
    with SlackStub() as running:
        yield running


@pytest.fixture
def loaded(make_services, tmp_path):
    write_district(tmp_path / "knowledge" / "district")

    def build():
        services = make_services()
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
    result = CliRunner().invoke(main, ["--verbose", "digest", "--preview", str(tmp_path / "out")],
                                env={"RESOLUTE_KNOWLEDGE_DIR": str(tmp_path / "knowledge")})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "literacy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Schools on the Move" in (tmp_path / "out" / "digest.md").read_text()
