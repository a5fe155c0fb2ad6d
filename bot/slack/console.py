"""`resolute console`: the real Bolt app and listeners, driven from a terminal instead of Slack.

Each line typed becomes the signed request Slack would send (a DM event, a slash command, a button
click); what the app posts comes back through a local stand-in for the Web API and is printed.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from pydantic import SecretStr
from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.services import Services
from bot.slack import blocks
from bot.slack.app import make_slack_app
from bot.slack.standin import BOT_USER, TEAM, LocalSlack

YOU, DM, CHANNEL = "U0YOU", "D0YOU", "C0LEADERS"
HELP = """Type a question and press Enter: it is sent to Resolute as a direct message.
  /ask QUESTION      ask in #leadership with the slash command (answered in a thread)
  /reply TEXT        follow up in the thread of the last answer
  /helpful, /nothelpful   click a button under the last answer
  /progress [priority|school]   each target against its trajectory
  /digest            run the weekly digest job now (posted once per week)
  /home              open Resolute's Home tab
  /help, /quit       this text; leave (Ctrl-D works too)"""


class _TrackedExecutor(ThreadPoolExecutor):
    """The listener pool, which also tells the console when the app has finished its work."""

    def __init__(self) -> None:
        super().__init__(8, thread_name_prefix="console")
        self._busy = 0
        self._idle = threading.Condition()

    def submit(self, fn, /, *args, **kwargs):
        with self._idle:
            self._busy += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _future) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float = 120.0) -> None:
        """Block until every listener has finished."""
        with self._idle:
            self._idle.wait_for(lambda: self._busy == 0, timeout)


def render(blocks_: list[dict], fallback: str = "") -> list[str]:
    """Block Kit as terminal lines."""
    lines: list[str] = []
    for block in blocks_ or []:
        kind = block.get("type")
        if kind in ("section", "header"):
            lines += _text(block["text"]["text"]).splitlines()
        elif kind == "context":
            lines += [_text(e.get("text", "")) for e in block.get("elements", [])]
        elif kind == "actions":
            lines.append(
                "  ".join(f"[{e['text']['text']}]" for e in block.get("elements", []) if "text" in e)
            )
        elif kind == "divider":
            lines.append("─" * 40)
        elif kind == "input":
            lines.append(f"{block['label']['text']}: ____")
    return lines or _text(fallback).splitlines()


def _text(mrkdwn: str) -> str:
    mrkdwn = re.sub(r"<@([A-Z0-9]+)>", lambda m: "@you" if m.group(1) == YOU else "@" + m.group(1), mrkdwn)
    mrkdwn = re.sub(r"(?<!\w)\*([^*\n]+)\*(?!\w)", r"\1", mrkdwn)  # *bold*
    mrkdwn = re.sub(r"(?<!\w)_([^_\n]+)_(?!\w)", r"\1", mrkdwn)  # _italic_
    return html.unescape(mrkdwn)


class Console:
    """One terminal session: `send(line)` drives the app, `write` shows what it posts."""

    def __init__(self, services: Services, *, write: Callable[[str], None] = print) -> None:
        self._write = write
        self._secret = secrets.token_hex(16)
        self._slack = LocalSlack(self._show)
        self._executor = _TrackedExecutor()
        self._services = services
        self._app: App | None = None
        self._last_answer: dict | None = None  # {"channel", "thread_ts", "answer_id"}

    def __enter__(self) -> Console:
        self._slack.__enter__()
        settings = self._services.settings.model_copy(
            update={
                "slack_bot_token": SecretStr("xoxb-console"),
                "slack_signing_secret": SecretStr(self._secret),
                "slack_api_url": self._slack.url,
            }
        )
        self._app = make_slack_app(
            settings, self._services.asking, self._services.district, executor=self._executor
        )
        return self

    def __exit__(self, *exc) -> None:
        self._executor.shutdown(wait=True)
        self._slack.__exit__(*exc)

    def run(self, lines: Iterable[str]) -> None:
        """Handle lines until /quit or the end of input."""
        for line in lines:
            if not self.send(line):
                break

    def send(self, line: str) -> bool:
        """Act on one line; False when the session should end."""
        line = line.strip()
        if not line:
            return True
        command, _, rest = line.partition(" ")
        rest = rest.strip()
        if command in ("/quit", "/exit"):
            return False
        if command == "/help":
            self._write(HELP)
        elif command == "/digest":
            from bot.jobs import post_weekly_digest

            self._write(
                f"(running the weekly digest job now: {post_weekly_digest(self._services.district, self._app.client, force=True)})"
            )
        elif command == "/home":
            self._event({"type": "app_home_opened", "user": YOU, "channel": DM, "tab": "home"})
        elif command in ("/helpful", "/nothelpful"):
            self._click(blocks.FEEDBACK_HELPFUL if command == "/helpful" else blocks.FEEDBACK_NOT_HELPFUL)
        elif command == "/reply":
            if not self._last_answer:
                self._write("(nothing to reply to yet: ask a question first)")
            elif rest:
                self._message(self._last_answer["channel"], rest, thread_ts=self._last_answer["thread_ts"])
        elif command.startswith("/"):
            self._command(command, rest)
        else:
            self._message(DM, line)
        self._executor.wait_idle()
        return True

    # -- what Slack would send -------------------------------------------------------------
    def _message(self, channel: str, text: str, *, thread_ts: str | None = None) -> None:
        ts = self._slack.new_ts()
        message = {"type": "message", "user": YOU, "text": text, "ts": ts, "channel": channel,
                   "channel_type": "im" if channel.startswith("D") else "channel", "event_ts": ts}  # fmt: skip
        if thread_ts:
            message["thread_ts"] = thread_ts
        self._slack.add_message(channel, message)
        self._event(message)

    def _event(self, event: dict) -> None:
        envelope = {"token": "console", "team_id": TEAM, "api_app_id": "A0CONSOLE", "event": event,
                    "type": "event_callback", "event_id": f"Ev{secrets.token_hex(6)}", "event_time": int(time.time()),
                    "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]}  # fmt: skip
        self._dispatch(json.dumps(envelope), "application/json")

    def _command(self, command: str, text: str) -> None:
        form = {"token": "console", "team_id": TEAM, "channel_id": CHANNEL, "channel_name": "leadership",
                "user_id": YOU, "user_name": "you", "command": command, "text": text, "api_app_id": "A0CONSOLE",
                "response_url": self._slack.response_url("command"), "trigger_id": secrets.token_hex(8)}  # fmt: skip
        response = self._dispatch(urlencode(form), "application/x-www-form-urlencoded")
        if response.status == 404:
            self._write(f"(Resolute has no {command} command; /help lists what you can type)")
        elif response.body:
            self._show("ack", _json_or_text(response.body))

    def _click(self, action_id: str) -> None:
        last = self._last_answer
        if not last:
            self._write("(no answer to give feedback on yet)")
            return
        payload = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": YOU, "name": "you"},
                   "channel": {"id": last["channel"]}, "container": {"type": "message", "message_ts": last["ts"]},
                   "trigger_id": secrets.token_hex(8), "response_url": self._slack.response_url("action"),
                   "actions": [{"type": "button", "action_id": action_id, "block_id": "feedback",
                                "value": last["answer_id"], "action_ts": str(time.time())}]}  # fmt: skip
        self._dispatch(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def _dispatch(self, body: str, content_type: str):
        timestamp = str(int(time.time()))
        signature = SignatureVerifier(self._secret).generate_signature(timestamp=timestamp, body=body)
        headers = {"content-type": [content_type], "x-slack-request-timestamp": [timestamp],
                   "x-slack-signature": [signature]}  # fmt: skip
        return self._app.dispatch(BoltRequest(body=body, headers=headers))

    # -- what the app posts ------------------------------------------------------------------
    def _show(self, kind: str, data: dict) -> None:
        if kind == "reactions.add":
            self._write("  (Resolute is looking through the documents...)")
            return
        if kind == "reactions.remove":
            return
        where = {"views.publish": "Home tab", "views.open": "a modal opens", "ack": "only you can see this",
                 "response_url": "only you can see this"}.get(kind)  # fmt: skip
        if where is None:
            channel = data.get("channel", "")
            where = "direct message" if channel.startswith("D") else "#leadership"
            if kind == "files.completeUploadExternal":
                where += ", in the digest's thread"
            if data.get("thread_ts"):
                where += ", in the thread"
        if kind == "files.completeUploadExternal":
            lines = [f"[image] {f.get('title')}" for f in data.get("files", [])]
        else:
            lines = render(data.get("blocks") or [], data.get("text", ""))
        self._write(f"\nResolute ({where}):\n" + "\n".join("  " + line for line in lines))
        answer_id = _answer_id(data.get("blocks") or [])
        if answer_id and kind == "chat.postMessage":
            self._last_answer = {"channel": data["channel"], "thread_ts": data.get("thread_ts") or data["ts"],
                                 "ts": data["ts"], "answer_id": answer_id}  # fmt: skip
            self._write("  (/reply to follow up in this thread; /helpful or /nothelpful to rate it)")


def _answer_id(blocks_: list[dict]) -> str | None:
    for block in blocks_:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == blocks.FEEDBACK_HELPFUL:
                return element.get("value")
    return None


def _json_or_text(body: str) -> dict:
    try:
        data = json.loads(body)
    except ValueError:
        return {"text": body}
    return data if isinstance(data, dict) else {"text": body}
