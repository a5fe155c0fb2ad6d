"""`resolute serve` and `resolute console` as a user runs them, and the manifest they rely on."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.slack import blocks
from bot.slack.console import YOU, Console
from bot.slack.fake import BOT_TOKEN as TOKEN
from bot.slack.fake import FakeSlack
from tests.test_slack import SECRET, Slack, wait_answers

MANIFEST = Path(__file__).resolve().parents[1] / "slack" / "manifest.yaml"


def test_serve_without_slack_settings_says_what_to_set(monkeypatch):
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 3
    for needed in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "slack/manifest.yaml", "resolute console"):
        assert needed in result.output
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    result = CliRunner().invoke(main, ["serve", "--http"])
    assert result.exit_code == 3 and "SLACK_SIGNING_SECRET" in result.output
    assert "SLACK_BOT_TOKEN" not in result.output
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-A1-1-abc")
    result = CliRunner().invoke(main, ["serve", "--check"])
    assert result.exit_code == 0 and "Socket Mode" in result.output


def test_a_token_of_the_wrong_kind_is_refused_by_name(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xapp-mixed-up")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2 and "SLACK_BOT_TOKEN must start with 'xoxb-'" in result.output


def test_manifest_declares_every_scope_event_and_command_the_app_uses():
    manifest = yaml.safe_load(MANIFEST.read_text())
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True and settings["interactivity"]["is_enabled"] is True
    assert set(settings["event_subscriptions"]["bot_events"]) >= {
        "app_mention", "app_home_opened", "message.channels", "message.groups", "message.im",
        "member_joined_channel", "member_left_channel",  # notes: a reader who leaves loses access at once
        "assistant_thread_started", "assistant_thread_context_changed"}  # the assistant panel  # fmt: skip
    assert manifest["features"]["assistant_view"]["assistant_description"]
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert list(commands) == ["/ask", "/progress", "/checkin", "/note", "/notes"]
    for escaped in ("/checkin", "/note", "/notes"):  # a person picked from the @ menu arrives as <@U...>
        assert commands[escaped]["should_escape"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_read_only_enabled"] is False
    assert set(manifest["oauth_config"]["scopes"]["bot"]) >= {
        "app_mentions:read", "channels:history", "groups:history", "im:history", "chat:write", "commands",
        "reactions:write", "files:write", "assistant:write",
        "channels:read", "groups:read", "im:write", "users:read"}  # check-ins: members, DMs, time zones  # fmt: skip


@pytest.fixture
def console_services(make_services, knowledge):
    services = make_services()
    services.ingester.ingest([knowledge])
    return services


def test_console_drives_the_real_app(console_services):
    shown: list[str] = []
    with Console(console_services, write=shown.append) as session:
        session.send("What is the graduation target?")
        answer = "\n".join(shown)
        assert "Resolute (direct message, in the thread)" in answer and "88 percent" in answer
        assert "Sources" in answer and "[1] Lakeside Improvement Plan — Graduation" in answer
        assert "[Helpful]  [Not helpful]" in answer
        shown.clear()
        session.send("/helpful")
        assert blocks.feedback_thanks(True) in "\n".join(shown)
        shown.clear()
        session.send("/reply and for reading?")
        assert "in the thread" in "\n".join(shown) and "80 percent" in "\n".join(shown)
        shown.clear()
        session.send("/ask")
        assert blocks.USAGE in "\n".join(shown)
        shown.clear()
        session.send("/ask Who is the principal of Pine Ridge?")
        out = "\n".join(shown)
        assert "#leadership" in out and "@you asked:" in out and "Farah Haddad" in out
        shown.clear()
        session.send("/progress")  # no district file in this knowledge folder
        assert "only you can see this" in "\n".join(shown) and "resolute data load" in "\n".join(shown)
        shown.clear()
        session.send("/home")
        assert "Home tab" in "\n".join(shown) and "/ask QUESTION" in "\n".join(shown)
        assert session.send("/quit") is False


def test_console_opens_and_submits_the_home_tabs_ask_modal(console_services):
    shown: list[str] = []
    with Console(console_services, write=shown.append) as session:
        session.send("/submit What is the graduation target?")
        assert "no modal is open" in "\n".join(shown)
        session.send("/home")
        assert "[Ask a question]" in "\n".join(shown)
        shown.clear()
        session.send("/click ask a question")
        modal = "\n".join(shown)
        assert "Resolute (a modal opens)" in modal and "« Ask Resolute »" in modal
        assert "Your question: ____" in modal and "[Ask]  [Cancel]" in modal
        shown.clear()
        session.send("/submit    ")  # an empty question: the modal stays open and says why
        assert "(the modal says, under Your question: Type a question first.)" in "\n".join(shown)
        shown.clear()
        session.send("/submit Who is the principal of Pine Ridge?")
        out = "\n".join(shown)
        assert "(the modal closes)" in out and "refused" not in out
        assert "Resolute (direct message, in the thread)" in out and "Farah Haddad" in out
        shown.clear()
        session.send("/submit And the graduation target?")  # the modal is gone
        assert "no modal is open" in "\n".join(shown)
        shown.clear()
        session.send("/click Ask a question")
        session.send("/close")
        assert "a modal opens" in "\n".join(shown) and "(the modal closes)" in "\n".join(shown)
        assert session.slack.views.keys() == {session.slack.homes[YOU]}  # Slack forgot both modals
        session.send("/click Nothing like this")
        assert "no [Nothing like this] button" in "\n".join(shown)


def test_console_command_reads_piped_lines(console_services, monkeypatch, knowledge, tmp_path):
    monkeypatch.setenv("RESOLUTE_KNOWLEDGE_DIR", str(knowledge))
    result = CliRunner().invoke(main, ["console", "--say", "What is the graduation target?"], input="/ask\n")
    assert result.exit_code == 0, result.output
    assert "you> What is the graduation target?" in result.output and "88 percent" in result.output
    assert "you> /ask" in result.output and blocks.USAGE in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_http(fake: FakeSlack, knowledge: Path, data: Path) -> tuple[subprocess.Popen, Slack]:
    """`resolute serve --http` started as a process, once it says it is serving."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "RESOLUTE_"))}
    env |= {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url,
            "RESOLUTE_DATA_DIR": str(data), "RESOLUTE_KNOWLEDGE_DIR": str(knowledge)}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    line = process.stderr.readline()
    while "serving Slack" not in line:
        if not line:
            process.wait(timeout=20)
            raise AssertionError("resolute serve --http exited before serving")
        line = process.stderr.readline()
    assert f"http://127.0.0.1:{port}/slack/events" in line
    return process, Slack(f"http://127.0.0.1:{port}/slack/events", SECRET)


def test_serve_stopped_by_sigterm_finishes_the_answer_under_way_and_exits_cleanly(
    console_services, knowledge, tmp_path
):
    """systemd (and Docker) stop a service with SIGTERM: an answer being written still reaches Slack."""
    reacting = threading.Event()

    def slow_marker(call) -> None:  # Slack takes a while to add the :eyes: marker
        if call.method == "reactions.add":
            reacting.set()
            time.sleep(1.5)

    with FakeSlack(observe=slow_marker) as fake:
        process, slack = _serve_http(fake, knowledge, tmp_path / "data")
        try:
            assert slack.command("What is the graduation target?")[0] == 200
            assert reacting.wait(60)
            process.send_signal(signal.SIGTERM)  # while the answer is under way
            assert process.wait(timeout=60) == 0
            assert "stopping" in process.stderr.read()
            [answer] = wait_answers(fake, 1, timeout=1)
            assert answer.reply["ok"] and "88 percent" in answer.args["text"]
        finally:
            process.kill()
            process.wait(timeout=20)


def test_serve_http_answers_signed_requests_end_to_end(console_services, knowledge, tmp_path):
    """`resolute serve --http` as a process: the real server, the real settings, Slack faked."""
    with FakeSlack() as fake:
        process, slack = _serve_http(fake, knowledge, tmp_path / "data")
        try:
            assert slack.command("What is the graduation target?", secret="wrong")[0] == 401
            status, _, _ = slack.command("What is the graduation target?")
            assert status == 200
            [answer] = wait_answers(fake, 1)
            assert "88 percent" in answer.args["text"]
            assert fake.called("auth.test")  # the app checked its token against SLACK_API_URL
            time.sleep(0.2)
            assert json.loads(json.dumps(answer.args["blocks"]))[-1]["type"] == "context_actions"
        finally:
            process.terminate()
            process.wait(timeout=20)


def test_the_consoles_digest_runs_the_job_it_was_given(console_services):
    ran: list[tuple] = []

    def job(district, client, *, force):
        ran.append((district, force))
        return "posted to #leadership"

    shown: list[str] = []
    with Console(console_services, write=shown.append, post_digest=job) as session:
        session.send("/digest")
    assert ran == [(console_services.district, True)]
    assert "(running the weekly digest job now: posted to #leadership)" in shown
    with Console(console_services, write=shown.append) as session:
        session.send("/digest")
    assert shown[-1] == "(the weekly digest job is not part of this console)"
