"""A local stand-in for Slack's Web API, so the console can run the real app with no workspace.

It answers the methods Resolute calls the way Slack does, keeps the conversation in memory so that
threads can be read back, and hands every post to an observer that shows it.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse

BOT_USER, BOT_ID, TEAM = "U0RESOLUTE", "B0RESOLUTE", "T0CONSOLE"
Observer = Callable[[str, dict], None]


class LocalSlack:
    """The Web API on a loopback port: `url` is what SLACK_API_URL points at."""

    def __init__(self, observe: Observer) -> None:
        self._observe = observe
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self.messages: dict[str, list[dict]] = {}  # channel -> messages, in order
        self.files: dict[str, dict] = {}
        handler = type("Handler", (_Handler,), {"slack": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the Web API."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def response_url(self, name: str) -> str:
        """A response_url for a slash command or a button."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/respond/{name}"

    def __enter__(self) -> LocalSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def new_ts(self) -> str:
        """A message timestamp, unique and increasing like Slack's."""
        return f"{int(time.time())}.{next(self._counter):06d}"

    def add_message(self, channel: str, message: dict) -> dict:
        """Record a message (a person's or the bot's) so threads can be read back."""
        with self._lock:
            self.messages.setdefault(channel, []).append(message)
        return message

    def call(self, method: str, args: dict) -> dict:
        """Answer one Web API method."""
        channel = args.get("channel", "")
        if channel.startswith("U"):  # posting to a person opens the app's DM with them
            channel = "D" + channel[1:]
        if method == "auth.test":
            return {
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
                "team_id": TEAM,
                "user": "resolute",
                "team": "Console",
            }
        if method in ("chat.postMessage", "chat.postEphemeral"):
            ts = self.new_ts()
            message = {"type": "message", "ts": ts, "user": BOT_USER, "bot_id": BOT_ID, "text": args.get("text", ""),
                       "blocks": _json(args.get("blocks")) or []}  # fmt: skip
            if args.get("thread_ts"):
                message["thread_ts"] = args["thread_ts"]
            if method == "chat.postMessage":
                self.add_message(channel, message)
            self._observe(method, {**message, "channel": channel})
            return {"channel": channel, "ts": ts, "message": message}
        if method == "chat.update":
            self._observe(method, {**args, "blocks": _json(args.get("blocks")) or []})
            return {"channel": channel, "ts": args.get("ts"), "text": args.get("text", "")}
        if method == "conversations.replies":
            with self._lock:
                thread = [
                    m
                    for m in self.messages.get(channel, [])
                    if args.get("ts") in (m["ts"], m.get("thread_ts"))
                ]
            return {"messages": thread, "has_more": False}
        if method in ("views.publish", "views.open"):
            view = _json(args.get("view"))
            self._observe(method, view)
            return {"view": {"id": f"V{next(self._counter):08d}", **view}}
        if method == "users.info":
            return {
                "user": {"id": args.get("user"), "name": "you", "real_name": "You", "tz": "America/Toronto"}
            }
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._counter):08d}"
            self.files[file_id] = {"name": args.get("filename"), "title": args.get("filename")}
            base = self.url.removesuffix("api/")
            return {"file_id": file_id, "upload_url": f"{base}upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = _json(args.get("files")) or []
            for f in files:
                self.files.setdefault(f["id"], {}).update(title=f.get("title"))
            self._observe(method, {"channel": args.get("channel_id"), "files": [self.files[f["id"]] for f in files],
                                   "initial_comment": args.get("initial_comment")})  # fmt: skip
            return {"files": [{"id": f["id"]} for f in files]}
        if method in ("reactions.add", "reactions.remove", "conversations.open"):
            if method != "conversations.open":
                self._observe(method, args)
            return (
                {"channel": {"id": "D" + args.get("users", "U")[1:]}}
                if method == "conversations.open"
                else {}
            )
        return {"ok": False, "error": "unknown_method"}


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


class _Handler(BaseHTTPRequestHandler):
    slack: LocalSlack

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.command == "GET":  # some methods (conversations.replies) send their arguments in the query
            raw = urlparse(self.path).query.encode()
        path = urlparse(self.path).path
        if path.startswith("/upload/"):
            self.slack.files.setdefault(path.rsplit("/", 1)[1], {})["content"] = raw
            return self._send(200, b"OK", "text/plain")
        if "json" in (self.headers.get("Content-Type") or ""):
            args = json.loads(raw or b"{}")
        else:
            args = dict(parse_qsl(raw.decode()))
        if path.startswith("/respond/"):
            self.slack._observe("response_url", args)
            return self._send(200, b"ok", "text/plain")
        reply = self.slack.call(path.removeprefix("/api/"), args)
        self._send(200, json.dumps({"ok": True, **reply}).encode(), "application/json")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # the console shows posts, not an access log
        pass
