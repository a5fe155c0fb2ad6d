"""The Home tab, /progress and the error handler's direct message, as Slack calls them.

Signed HTTP requests go into the app served as `resolute serve --http` serves it; its Web API calls go
out to the fake Slack.
"""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlencode

import pytest

from bot.slack import blocks
from bot.slack.app import make_slack_app
from bot.slack.fake import BOT_TOKEN, FakeSlack
from tests.conftest import serving
from tests.test_district import write_district
from tests.test_slack import SECRET, Slack

WAIT = 15.0  # seconds for the app to call Slack; a missing call fails the test after this


@pytest.fixture
def services(make_services, knowledge, fake_slack: FakeSlack):
    return make_services(slack_bot_token=BOT_TOKEN, slack_signing_secret=SECRET, slack_api_url=fake_slack.url)


@pytest.fixture
def district(services, tmp_path):
    """The test district (one priority, two targets) loaded into the services."""
    write_district(tmp_path / "knowledge" / "district")
    services.district.load()
    return services.district


@pytest.fixture
def slack(services):
    with serving(make_slack_app(services)) as url:
        yield Slack(url, SECRET)


def open_home(slack: Slack, user: str = "UALICE") -> None:
    assert slack.event({"type": "app_home_opened", "user": user, "channel": "D0001", "tab": "home"})[0] == 200


def submit_question(slack: Slack, question: str, user: str = "UALICE") -> int:
    view = {"id": f"V{time.monotonic_ns()}", "callback_id": blocks.ASK_MODAL, "type": "modal",
            "state": {"values": {blocks.ASK_INPUT_BLOCK: {blocks.ASK_INPUT_ACTION: {
                "type": "plain_text_input", "value": question}}}}}  # fmt: skip
    body = {"type": "view_submission", "team": {"id": "T0001"}, "user": {"id": user}, "api_app_id": "A0001",
            "view": view}  # fmt: skip
    return slack.post(urlencode({"payload": json.dumps(body)}), "application/x-www-form-urlencoded")[0]


def slash(slack: Slack, command: str, text: str, *, response_url: str) -> int:
    form = {"token": "legacy", "team_id": "T0001", "channel_id": "C0001", "channel_name": "leadership",
            "user_id": "UALICE", "user_name": "alice", "command": command, "text": text, "api_app_id": "A0001",
            "response_url": response_url, "trigger_id": f"trig{time.monotonic_ns()}"}  # fmt: skip
    return slack.post(urlencode(form), "application/x-www-form-urlencoded")[0]


def sections(view_or_message: dict) -> list[str]:
    return [b["text"]["text"] for b in view_or_message["blocks"] if b["type"] == "section"]


def test_home_tab_shows_the_loaded_priorities_with_their_targets(slack, fake_slack, district):
    open_home(slack)
    [publish] = fake_slack.wait_for("views.publish", timeout=WAIT)
    assert publish.args["user_id"] == "UALICE"
    shown = sections(publish.args["view"])
    [literacy] = [s for s in shown if s.startswith("*Literacy*")]
    assert literacy.splitlines() == [
        "*Literacy*",
        "_Every child reading._",
        "Grade 3 reading (%): 72.0 in 2025 (expected 75.0), off track",
        "Grade 3 reading, ELL (%): 50.0 in 2025 (expected 55.0), off track",
    ]
    assert not any("will appear here once" in s for s in shown)


def test_home_tab_before_any_district_file_says_where_the_priorities_will_come_from(slack, fake_slack):
    open_home(slack)
    [publish] = fake_slack.wait_for("views.publish", timeout=WAIT)
    view = publish.args["view"]
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    after = sections(view)[headers.index("Our priorities") :]
    assert after[0].startswith("_The district's priorities will appear here once its district file is loaded")
    assert "/ask QUESTION" in after[1]


def test_progress_replies_privately_with_every_target_and_explains_an_unknown_subject(
    slack, fake_slack, district
):
    assert slash(slack, "/progress", "", response_url=fake_slack.response_url("progress-1")) == 200
    [reply] = fake_slack.wait_for("response_url", timeout=WAIT)
    assert reply.args["response_type"] == "ephemeral"
    assert reply.args["blocks"][0]["text"]["text"] == "Test District: progress on every target"
    assert (
        "• Grade 3 reading (%): 72.0 in 2025, expected 75.0, goal 80 by 2026: off track"
        in sections(reply.args)[0]
    )
    assert "*Schools on the Move:*" in reply.args["blocks"][-1]["elements"][0]["text"]
    slash(slack, "/progress", "maths", response_url=fake_slack.response_url("progress-2"))
    unknown = fake_slack.wait_for("response_url", 2, timeout=WAIT)[-1]
    assert unknown.args["text"].startswith("No school 'maths' in schools.csv")
    assert "`/progress PRIORITY` (one of: literacy)" in unknown.args["text"]


def test_a_failure_after_a_modal_submission_reaches_the_person_as_a_direct_message(
    slack, fake_slack, services, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("index exploded")

    monkeypatch.setattr(services.answerer, "ask", broken)
    caplog.set_level(logging.ERROR)
    assert submit_question(slack, "Who is the principal of Pine Ridge?") == 200
    question, error = fake_slack.wait_for("chat.postMessage", 2, timeout=WAIT)
    assert "Who is the principal of Pine Ridge?" in question.args["text"]
    assert (error.args["channel"], error.args["text"]) == ("UALICE", blocks.ERROR)
    assert "thread_ts" not in error.args  # a direct message of its own, not a reply
    logged = [r for r in caplog.records if "failed to handle a Slack request" in r.getMessage()]
    assert logged and "view_submission" in logged[0].getMessage()


def test_a_failure_while_publishing_the_home_tab_reaches_the_person_as_a_direct_message(slack, fake_slack):
    fake_slack.errors["views.publish"] = "internal_error"
    open_home(slack, user="UBEN")
    [error] = fake_slack.wait_for("chat.postMessage", timeout=WAIT)
    assert (error.args["channel"], error.args["text"]) == ("UBEN", blocks.ERROR)
