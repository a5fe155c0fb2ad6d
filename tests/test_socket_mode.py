"""Socket Mode, the default connection: Slack's envelopes in over a WebSocket, acknowledgements back.

As slackapi/bolt-python tests its socket-mode adapter: the fake Slack answers `apps.connections.open`
with the ws:// URL of a local WebSocket server, which says `hello` and then sends envelopes as Slack does.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from websockets.sync.server import ServerConnection, serve

from bot.slack import blocks
from bot.slack.app import make_slack_app
from bot.slack.fake import APP_TOKEN, BOT_TOKEN, BOT_USER, TEAM
from tests.test_slack import answers_in, mention, wait_answers

APP_ID = "A0FAKE"


class SocketModeServer:
    """Slack's end of a Socket Mode connection: `hello`, then the envelopes given to `send`."""

    def __init__(self) -> None:
        self.received: list[dict] = []  # what the app sent back: acknowledgements
        self._outbox: queue.Queue[str | None] = queue.Queue()
        self._arrived = threading.Condition()
        self._server = serve(self._session, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/link/?ticket=fake&app_id={APP_ID}"

    def __enter__(self) -> SocketModeServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._outbox.put(None)
        self._server.shutdown()

    def _session(self, websocket: ServerConnection) -> None:
        websocket.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": APP_ID},
                                   "debug_info": {"host": "fake", "approximate_connection_time": 3600}}))  # fmt: skip

        def forward() -> None:
            while (envelope := self._outbox.get()) is not None:
                websocket.send(envelope)

        threading.Thread(target=forward, daemon=True).start()
        for message in websocket:
            with self._arrived:
                self.received.append(json.loads(message))
                self._arrived.notify_all()

    def send(self, kind: str, **fields) -> str:
        """Send one envelope (`events_api`, `slash_commands`...); returns its envelope_id."""
        envelope_id = f"env-{time.monotonic_ns()}"
        self._outbox.put(json.dumps({"envelope_id": envelope_id, "type": kind, **fields}))
        return envelope_id

    def ack(self, envelope_id: str, timeout: float = 30.0) -> dict:
        """The acknowledgement of one envelope, once it has come back."""
        with self._arrived:
            found = self._arrived.wait_for(
                lambda: any(r.get("envelope_id") == envelope_id for r in self.received), timeout
            )
            assert found, f"no acknowledgement of {envelope_id}; received {self.received}"
            return next(r for r in self.received if r.get("envelope_id") == envelope_id)


def events_api(event: dict, *, retry_attempt: int = 0) -> dict:
    """The fields of an `events_api` envelope carrying one event."""
    return {"payload": {"token": "legacy", "team_id": TEAM, "api_app_id": APP_ID, "event": event,
                        "type": "event_callback", "event_id": f"Ev{event['ts']}", "event_time": int(time.time()),
                        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]},
            "accepts_response_payload": False, "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else ""}  # fmt: skip


def slash_command(text: str, *, channel: str = "C0001") -> dict:
    """The fields of a `slash_commands` envelope carrying `/ask TEXT`."""
    return {"accepts_response_payload": True, "payload": {"token": "legacy", "team_id": TEAM, "channel_id": channel, "channel_name": "leadership",
            "user_id": "UALICE", "user_name": "alice", "command": "/ask", "text": text, "api_app_id": APP_ID,
            "response_url": "", "trigger_id": f"trig{time.monotonic_ns()}"}}  # fmt: skip


@pytest.fixture
def socket_server(fake_slack):
    """A Socket Mode server, attached to the fake Slack so apps.connections.open hands out its URL."""
    with SocketModeServer() as server:
        fake_slack.socket_mode_url = server.url
        yield server


def test_envelopes_are_acknowledged_and_answered_in_threads(
    make_services, knowledge, fake_slack, socket_server
):
    services = make_services(
        slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN, slack_api_url=fake_slack.url
    )
    services.ingester.ingest([knowledge])
    handler = SocketModeHandler(make_slack_app(services), APP_TOKEN)
    handler.connect()  # what run_socket_mode does, without blocking
    try:
        [opened] = fake_slack.called("apps.connections.open")
        assert (
            opened.headers["authorization"] == f"Bearer {APP_TOKEN}"
            and opened.reply["url"] == socket_server.url
        )

        event = mention(fake_slack, "What is the graduation target?")
        mentioned = socket_server.send("events_api", **events_api(event))
        assert socket_server.ack(mentioned) == {"envelope_id": mentioned}  # acknowledged, nothing more
        [answer] = wait_answers(fake_slack, 1)
        assert answer.args["channel"] == "C0001" and answer.args["thread_ts"] == event["ts"]
        assert "88 percent" in answer.args["text"]
        # Slack redelivers an event it thinks was lost: acknowledged again, answered once
        retried = socket_server.send("events_api", **events_api(event, retry_attempt=1))
        assert socket_server.ack(retried) == {"envelope_id": retried}

        asked = socket_server.send("slash_commands", **slash_command("Who is the principal of Pine Ridge?"))
        assert socket_server.ack(asked) == {
            "envelope_id": asked
        }  # an empty ack: the answer comes in a thread
        answers = wait_answers(fake_slack, 2)
        question = next(c for c in fake_slack.called("chat.postMessage") if "asked" in c.args["text"])
        assert question.args["channel"] == "C0001" and "thread_ts" not in question.args
        assert (
            answers[1].args["thread_ts"] == question.reply["ts"] and "Farah Haddad" in answers[1].args["text"]
        )

        usage = socket_server.send("slash_commands", **slash_command("  "))
        assert socket_server.ack(usage) == {"envelope_id": usage, "payload": {"text": blocks.USAGE}}
        assert len(answers_in(fake_slack)) == 2  # the retry and the empty /ask were not answered
    finally:
        handler.close()


def test_resolute_serve_connects_over_socket_mode(
    make_services, knowledge, tmp_path, fake_slack, socket_server
):
    """`resolute serve` with SLACK_APP_TOKEN, as a process: the default way a district runs it."""
    make_services().ingester.ingest([knowledge])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "RESOLUTE_"))}
    env |= {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_URL": fake_slack.url,
            "RESOLUTE_DATA_DIR": str(tmp_path / "data"), "RESOLUTE_KNOWLEDGE_DIR": str(knowledge)}  # fmt: skip
    log = tmp_path / "serve.log"
    with log.open("w") as err:
        process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], env=env, stderr=err)
    try:
        try:
            fake_slack.wait_for("apps.connections.open", timeout=120)
        except AssertionError:
            raise AssertionError(f"resolute serve did not connect:\n{log.read_text()}") from None
        event = mention(fake_slack, "What is the graduation target?")
        mentioned = socket_server.send("events_api", **events_api(event))
        assert socket_server.ack(mentioned, timeout=60) == {"envelope_id": mentioned}
        [answer] = wait_answers(fake_slack, 1)
        assert answer.args["thread_ts"] == event["ts"] and "88 percent" in answer.args["text"]
    finally:
        process.terminate()
        process.wait(timeout=20)
