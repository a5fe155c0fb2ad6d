"""A stub of Slack's Web API for tests: records every call and answers the way Slack does.

Modelled on slackapi/bolt-python's tests/mock_web_api_server: a real HTTP server on loopback, so the
app's own WebClient (pointed here by SLACK_API_URL) makes real requests. It checks the bearer token,
rejects blocks Slack would reject (`invalid_blocks`), keeps posted messages so `conversations.replies`
returns the thread, and takes `response_url` posts and file uploads too.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse

TOKEN, BOT_USER, BOT_ID, TEAM = "xoxb-test-token", "UBOT", "BBOT", "T0001"


@dataclass
class Call:
    method: str  # Web API method, "response_url" or "upload"
    args: dict
    headers: dict = field(default_factory=dict)


def blocks_problem(blocks) -> str | None:
    """What Slack would say is wrong with these blocks, or None."""
    if blocks is None:
        return None
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if len(blocks) > 50:
        return "more than 50 blocks"
    for block in blocks:
        if block["type"] == "section" and len(block["text"]["text"]) > 3000:
            return "section text over 3000 characters"
        if block["type"] == "context" and len(block["elements"]) > 10:
            return "context block with more than 10 elements"
    return None


class SlackStub:
    """Start with `with SlackStub() as stub:`; `stub.url` is the Web API base URL."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.threads: dict[tuple[str, str], list[dict]] = {}  # (channel, thread root ts) -> messages
        self.errors: dict[str, str] = {}  # method -> error to answer with, to simulate Slack failing
        self._ts = itertools.count(1)
        self._lock = threading.Condition()
        handler = type("Handler", (_Handler,), {"stub": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.url = self.base + "/api/"

    def __enter__(self) -> SlackStub:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def new_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def person_says(
        self, channel: str, text: str, *, user: str = "UALICE", thread_ts: str | None = None
    ) -> dict:
        """Put a person's message into the workspace (as Slack would before sending its event)."""
        message = {"type": "message", "user": user, "text": text, "ts": self.new_ts()}
        if thread_ts:
            message["thread_ts"] = thread_ts
        self.threads.setdefault((channel, thread_ts or message["ts"]), []).append(message)
        return message

    def called(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 60.0) -> list[Call]:
        """Wait until `method` has been called `count` times; returns those calls."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len([c for c in self.calls if c.method == method]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{method} was called {len(self.called(method))} times, expected {count}"
                    )
                self._lock.wait(left)
        return self.called(method)

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    def answer(self, method: str, args: dict, headers: dict) -> dict:
        if method != "response_url" and headers.get("authorization") != f"Bearer {TOKEN}":
            return {"ok": False, "error": "invalid_auth"}
        if method in self.errors:
            return {"ok": False, "error": self.errors[method]}
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": BOT_ID, "team_id": TEAM, "user": "resolute"}
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.publish", "views.open",
                      "response_url"):  # fmt: skip
            view = args.get("view")
            problem = blocks_problem(args.get("blocks") or (json.loads(view)["blocks"] if isinstance(view, str) else
                                                            (view or {}).get("blocks")))  # fmt: skip
            if problem:
                return {"ok": False, "error": "invalid_blocks", "detail": problem}
        if method == "chat.postMessage":
            channel = args["channel"]
            if channel.startswith("U"):
                channel = "D" + channel[1:]
            message = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "text": args.get("text", ""),
                       "ts": self.new_ts()}  # fmt: skip
            root = args.get("thread_ts") or message["ts"]
            if args.get("thread_ts"):
                message["thread_ts"] = root
            self.threads.setdefault((channel, root), []).append(message)
            return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}
        if method == "chat.update":
            return {"ok": True, "channel": args["channel"], "ts": args["ts"], "text": args.get("text", "")}
        if method == "conversations.replies":
            return {"ok": True, "messages": list(self.threads.get((args["channel"], args["ts"]), [])),
                    "has_more": False}  # fmt: skip
        if method in ("views.publish", "views.open"):
            view = args["view"]
            return {
                "ok": True,
                "view": {"id": "V0001", **(json.loads(view) if isinstance(view, str) else view)},
            }
        if method == "users.info":
            return {"ok": True, "user": {"id": args["user"], "name": "alice", "tz": "America/Toronto"}}
        if method == "files.getUploadURLExternal":
            return {"ok": True, "file_id": f"F{next(self._ts):04d}", "upload_url": f"{self.base}/upload"}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": f["id"]} for f in json.loads(args["files"])]}
        if method in ("reactions.add", "reactions.remove", "chat.postEphemeral", "response_url", "upload"):
            return {"ok": True}
        return {"ok": False, "error": "unknown_method"}


class _Handler(BaseHTTPRequestHandler):
    stub: SlackStub

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.command == "GET":  # some methods (conversations.replies) send their arguments in the query
            raw = urlparse(self.path).query.encode()
        path = urlparse(self.path).path
        headers = {k.lower(): v for k, v in self.headers.items()}
        if path == "/upload":
            method, args = "upload", {"bytes": len(raw)}
        else:
            method = "response_url" if path.startswith("/respond") else path.removeprefix("/api/")
            if "json" in headers.get("content-type", ""):
                args = json.loads(raw or b"{}")
            else:
                args = dict(parse_qsl(raw.decode()))
        reply = self.stub.answer(method, args, headers)
        self.stub._record(Call(method, args, headers))
        body = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass
