"""Slack's Web API played locally: the one fake behind `resolute console`, the tests and the benchmarks.

A real HTTP server on loopback (the way slackapi/bolt-python's tests/mock_web_api_server works), so the
app's own WebClient, pointed here by SLACK_API_URL, makes real requests. It records every call, checks
the bearer token, keeps messages (so `conversations.replies` returns threads) and views (so they can be
updated and pushed), takes response_url posts and file uploads, and checks every Block Kit payload with
`slack_sdk.models`, answering `invalid_blocks` / `invalid_arguments` where Slack would.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse
from zoneinfo import ZoneInfo

from bot.slack.block_check import blocks_problem, view_problem

BOT_TOKEN, APP_TOKEN = "xoxb-fake-token", "xapp-1-A0FAKE-1-fake"
BOT_USER, BOT_ID, TEAM, APP_ID = "U0RESOLUTE", "B0RESOLUTE", "T0001", "A0FAKE"
DEFAULT_TZ = "America/Toronto"
_JSON_ARGS = ("blocks", "view", "files", "attachments", "metadata")  # sent as JSON strings in forms


@dataclass
class Call:
    """One request the fake answered: a Web API method, "response_url" or "upload"."""

    method: str
    args: dict  # JSON-encoded fields (blocks, view, files) already decoded
    headers: dict = field(default_factory=dict)
    reply: dict = field(default_factory=dict)


class Refused(Exception):
    """Slack's `{"ok": false, "error": ...}`, with the detail Slack puts in response_metadata."""

    def __init__(self, error: str, detail: str | None = None) -> None:
        super().__init__(error)
        self.error, self.detail = error, detail

    def body(self) -> dict:
        """The JSON Slack answers with."""
        body: dict = {"ok": False, "error": self.error}
        if self.detail:
            body["response_metadata"] = {"messages": [f"[ERROR] {self.detail}"]}
        return body


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


class FakeSlack:
    """Start with `with FakeSlack() as slack:`; SLACK_API_URL is `slack.url`.

    Settable state: `errors` (method, or "method channel", -> error to answer with), `members` (channel -> user ids, for
    conversations.members, in pages of its `limit`, and chat.postEphemeral; change it at any time), `channels`
    (channel id -> fields conversations.info answers with, such as is_private; None leaves a field out), `users` (user id -> fields such as tz, tz_offset,
    real_name for users.info), `socket_mode_url` (what apps.connections.open answers). `token` and
    `app_token` are the bearer tokens accepted (None accepts any); `observe` sees every call as made.
    """

    def __init__(self, *, token: str | None = BOT_TOKEN, app_token: str | None = APP_TOKEN,
                 observe: Callable[[Call], None] | None = None) -> None:  # fmt: skip
        self.token, self.app_token, self._observe = token, app_token, observe
        self.calls: list[Call] = []
        self.errors: dict[str, str] = {}
        self.messages: dict[str, list[dict]] = {}  # channel -> messages in order, people's and the bot's
        self.members: dict[str, list[str]] = {}
        self.channels: dict[str, dict] = {}  # channel id -> conversations.info's fields (over its defaults)
        self.users: dict[str, dict] = {}
        self.views: dict[str, dict] = {}  # view id -> the view as Slack holds it (id, hash, state)
        self.homes: dict[str, str] = {}  # user id -> the id of their published Home tab
        self.files: dict[str, dict] = {}
        self.reactions: set[tuple[str, str, str]] = set()  # (channel, ts, name)
        self.socket_mode_url: str | None = None
        self._counter = itertools.count(1)
        self._lock = threading.Condition(threading.RLock())
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), {"fake": self}))
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.url = self.base + "/api/"
        self._methods: dict[str, Callable[[dict], dict]] = {
            "auth.test": self._auth_test, "chat.postMessage": self._post, "chat.postEphemeral": self._ephemeral,
            "chat.update": self._update, "chat.delete": self._delete,
            "reactions.add": lambda args: self._react(args, adding=True),
            "reactions.remove": lambda args: self._react(args, adding=False), "conversations.replies": self._replies,
            "conversations.open": self._open_dm, "conversations.members": self._members,
            "conversations.info": self._info,
            "users.info": self._user, "views.open": lambda args: self._modal(args, pushing=False),
            "views.push": lambda args: self._modal(args, pushing=True),
            "views.update": self._view_update, "views.publish": self._publish,
            "files.getUploadURLExternal": self._upload_url, "files.completeUploadExternal": self._complete_upload,
            "files.delete": self._delete_file,
            "apps.connections.open": self._connections_open,
        }  # fmt: skip

    def __enter__(self) -> FakeSlack:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- for tests and the console -----------------------------------------------------------------
    def response_url(self, name: str = "command") -> str:
        """A response_url for a slash command or a button click."""
        return f"{self.base}/respond/{name}"

    def new_ts(self) -> str:
        """A message timestamp, unique and increasing like Slack's."""
        return f"{int(time.time())}.{next(self._counter):06d}"

    def add_message(self, channel: str, message: dict) -> dict:
        """Put a message into a channel (as Slack holds it before sending its event)."""
        with self._lock:
            self.messages.setdefault(channel, []).append(message)
        return message

    def person_says(
        self, channel: str, text: str, *, user: str = "UALICE", thread_ts: str | None = None
    ) -> dict:
        """A person's message, stored in the channel; returns it."""
        message = {"type": "message", "user": user, "text": text, "ts": self.new_ts()}
        if thread_ts:
            message["thread_ts"] = thread_ts
        return self.add_message(channel, message)

    def thread(self, channel: str, ts: str) -> list[dict]:
        """The thread rooted at `ts`, root first (what conversations.replies returns)."""
        with self._lock:
            return [m for m in self.messages.get(channel, []) if ts in (m["ts"], m.get("thread_ts"))]

    def take_view(self, view: dict, *, current: dict, push: bool) -> dict:
        """The view a modal submission's response_action puts on top of `current` (push) or in its place."""
        with self._lock:
            if push:
                return self._stored_view(view, previous=current)
            previous = self.views.get(current.get("previous_view_id") or "")
            return self._stored_view(view, view_id=current["id"], previous=previous)

    def close_view(self, view_id: str) -> None:
        """Forget a modal the person closed or submitted, as Slack does (updating it is then not_found)."""
        with self._lock:
            self.views.pop(view_id, None)

    def called(self, method: str) -> list[Call]:
        """Every call of `method` so far, in order."""
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 60.0) -> list[Call]:
        """Wait until `method` has been called `count` times; returns those calls."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.called(method)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{method} was called {len(self.called(method))} times, expected {count}"
                    )
                self._lock.wait(left)
            return self.called(method)

    # -- answering ---------------------------------------------------------------------------------
    def answer(self, method: str, args: dict, headers: dict) -> dict:
        """Record and answer one call."""
        args = {k: _json(v) if k in _JSON_ARGS else v for k, v in args.items()}
        try:
            reply = {"ok": True, **self._answer(method, args, headers.get("authorization", ""))}
        except Refused as refused:
            reply = refused.body()
        call = Call(method, args, headers, reply)
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()
        if self._observe:
            self._observe(call)
        return reply

    def _answer(self, method: str, args: dict, auth: str) -> dict:
        if method in self.errors:
            raise Refused(self.errors[method])
        if (
            f"{method} {args.get('channel', '')}" in self.errors
        ):  # one recipient refused ("chat.postMessage U1")
            raise Refused(self.errors[f"{method} {args['channel']}"])
        if method in ("response_url", "upload"):  # the URL itself is the credential
            return self._respond(args) if method == "response_url" else self._upload(args)
        wanted = self.app_token if method == "apps.connections.open" else self.token
        given = auth.removeprefix("Bearer ")
        if wanted is not None and given != wanted:
            if not given:
                raise Refused("not_authed")
            # an app-level token where a bot token belongs (or the reverse) is a different error
            raise Refused("invalid_auth" if given[:5] == wanted[:5] else "not_allowed_token_type")
        if method not in self._methods:
            raise Refused("unknown_method")
        with self._lock:
            return self._methods[method](args)

    @staticmethod
    def _check_message(args: dict) -> None:
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            raise Refused("no_text")
        problem = blocks_problem(args.get("blocks"))
        if problem:
            raise Refused("invalid_blocks", problem)

    def _channel(self, args: dict, key: str = "channel") -> str:
        channel = args.get(key) or ""
        if not channel:
            raise Refused("channel_not_found")
        # posting to a person goes to the app's DM with them
        return "D" + channel[1:] if channel.startswith(("U", "W")) else channel

    def _find(self, channel: str, ts: str) -> dict:
        for message in self.messages.get(channel, []):
            if message["ts"] == ts:
                return message
        raise Refused("message_not_found")

    def _auth_test(self, args: dict) -> dict:
        return {"url": self.base + "/", "team": "Riverbend", "user": "resolute", "team_id": TEAM,
                "user_id": BOT_USER, "bot_id": BOT_ID, "is_enterprise_install": False}  # fmt: skip

    def _post(self, args: dict) -> dict:
        channel = self._channel(args)
        self._check_message(args)
        message = {"type": "message", "ts": self.new_ts(), "user": BOT_USER, "bot_id": BOT_ID,
                   "app_id": APP_ID, "text": args.get("text", ""), "blocks": args.get("blocks") or []}  # fmt: skip
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        self.add_message(channel, message)
        return {"channel": channel, "ts": message["ts"], "message": message}

    def _ephemeral(self, args: dict) -> dict:
        channel = self._channel(args)
        if channel in self.members and args.get("user") not in self.members[channel]:
            raise Refused("user_not_in_channel")
        self._check_message(args)
        return {"message_ts": self.new_ts()}

    def _update(self, args: dict) -> dict:
        channel = self._channel(args)
        message = self._find(channel, args.get("ts", ""))
        self._check_message(args)
        message.update(text=args.get("text", ""), blocks=args.get("blocks") or [], edited={"user": BOT_USER})
        return {"channel": channel, "ts": message["ts"], "text": message["text"], "message": message}

    def _delete(self, args: dict) -> dict:
        channel = self._channel(args)
        self.messages[channel].remove(self._find(channel, args.get("ts", "")))
        return {"channel": channel, "ts": args["ts"]}

    def _react(self, args: dict, *, adding: bool) -> dict:
        key = (self._channel(args), args.get("timestamp", ""), args.get("name", ""))
        if adding == (key in self.reactions):
            raise Refused("already_reacted" if adding else "no_reaction")
        (self.reactions.add if adding else self.reactions.discard)(key)
        return {}

    def _replies(self, args: dict) -> dict:
        messages = self.thread(self._channel(args), args.get("ts", ""))
        if not messages:
            raise Refused("thread_not_found")
        return {"messages": messages, "has_more": False, "response_metadata": {"next_cursor": ""}}

    def _open_dm(self, args: dict) -> dict:
        users = [u for u in (args.get("users") or "").split(",") if u]
        if not users:
            raise Refused("users_list_not_supplied")
        channel = "D" + users[0][1:] if len(users) == 1 else "G" + "".join(u[1:4] for u in users)
        return {"channel": {"id": channel}}

    def _members(self, args: dict) -> dict:
        channel = self._channel(args)
        if channel not in self.members:
            raise Refused("channel_not_found")
        start, limit = int(args.get("cursor") or 0), int(args.get("limit") or 100)  # the cursor is an offset
        members = list(self.members[channel])
        after = start + limit if start + limit < len(members) else ""
        return {"members": members[start : start + limit], "response_metadata": {"next_cursor": str(after)}}

    def _info(self, args: dict) -> dict:
        """conversations.info for a channel the fake knows: an id starting with C is a public channel, G a
        private one, D a DM (which, as in Slack, says nothing of is_private); `channels` overrides these."""
        channel = self._channel(args)
        if channel not in self.members and channel not in self.channels and channel not in self.messages:
            raise Refused("channel_not_found")
        kind = channel[:1]
        found = {"id": channel, "is_channel": kind == "C", "is_group": kind == "G", "is_im": kind == "D"}
        if kind != "D":
            found["is_private"] = kind == "G"
        found.update(self.channels.get(channel, {}))
        return {"channel": {k: v for k, v in found.items() if v is not None}}

    def _user(self, args: dict) -> dict:
        user_id = args.get("user") or ""
        if not user_id.startswith(("U", "W")):
            raise Refused("user_not_found")
        user = {"id": user_id, "team_id": TEAM, "name": user_id.lower(), "real_name": user_id,
                "tz": DEFAULT_TZ, "is_bot": False, **self.users.get(user_id, {})}  # fmt: skip
        if "tz_offset" not in user:  # Slack gives the offset in seconds, for today's daylight saving
            user["tz_offset"] = int(datetime.now(ZoneInfo(user["tz"])).utcoffset().total_seconds())
        user.setdefault("tz_label", user["tz"])
        user.setdefault("profile", {"real_name": user["real_name"], "display_name": user["name"]})
        return {"user": user}

    def _stored_view(self, view: dict, *, view_id: str | None = None, previous: dict | None = None) -> dict:
        problem = view_problem(view)
        if problem:
            raise Refused("invalid_arguments", problem)
        old = self.views.get(view_id or "") or {}
        kept = {"external_id": old["external_id"]} if old.get("external_id") else {}  # updates keep it
        view_id = view_id or f"V{next(self._counter):010d}"
        root = previous["root_view_id"] if previous else view_id
        stored = {**kept, **view, "id": view_id, "team_id": TEAM, "app_id": APP_ID, "bot_id": BOT_ID,
                  "hash": f"{time.time():.6f}.{next(self._counter)}", "root_view_id": root,
                  "previous_view_id": previous["id"] if previous else None,
                  "state": {"values": {}}}  # fmt: skip
        self.views[view_id] = stored
        return stored

    def _modal(self, args: dict, *, pushing: bool) -> dict:
        """views.open and views.push: a trigger opens a modal; a push stacks one on the latest."""
        if not args.get("trigger_id"):
            raise Refused("invalid_arguments", "missing required field: trigger_id")
        if (args.get("view") or {}).get("type") != "modal":
            raise Refused("invalid_arguments", "view type must be modal")
        modals = [v for v in self.views.values() if v["type"] == "modal"]
        if pushing and not modals:
            raise Refused("not_found")  # nothing open to push onto
        return {"view": self._stored_view(args["view"], previous=modals[-1] if pushing else None)}

    def _view_update(self, args: dict) -> dict:
        by_external = {v.get("external_id"): v for v in self.views.values() if v.get("external_id")}
        current = self.views.get(args.get("view_id") or "") or by_external.get(args.get("external_id"))
        if current is None:
            raise Refused("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise Refused("hash_conflict")
        previous = self.views.get(current["previous_view_id"] or "")
        return {"view": self._stored_view(args.get("view") or {}, view_id=current["id"], previous=previous)}

    def _publish(self, args: dict) -> dict:
        if not args.get("user_id"):
            raise Refused("invalid_arguments", "missing required field: user_id")
        if (args.get("view") or {}).get("type") != "home":
            raise Refused("invalid_arguments", "view type must be home")
        home_id = self.homes.get(args["user_id"])  # one Home tab per person, republished in place
        if home_id and args.get("hash") and args["hash"] != self.views[home_id]["hash"]:
            raise Refused("hash_conflict")
        stored = self._stored_view(args["view"], view_id=home_id)
        self.homes[args["user_id"]] = stored["id"]
        return {"view": stored}

    def _upload_url(self, args: dict) -> dict:
        file_id = f"F{next(self._counter):010d}"
        self.files[file_id] = {"id": file_id, "name": args.get("filename"), "title": args.get("filename")}
        return {"file_id": file_id, "upload_url": f"{self.base}/upload/{file_id}"}

    def _upload(self, args: dict) -> dict:
        with self._lock:
            if args.get("file_id") not in self.files:
                raise Refused("file_not_found")
            self.files[args["file_id"]].update(bytes=args["bytes"], content=args.get("content", b""))
        return {}

    def _complete_upload(self, args: dict) -> dict:
        files = args.get("files") or []
        if not files or any("bytes" not in self.files.get(f.get("id"), {}) for f in files):
            raise Refused("file_not_found")  # every file must have been uploaded first
        for f in files:  # where it was shared: `content` and `channel` are the fake's, for tests
            self.files[f["id"]].update(title=f.get("title") or self.files[f["id"]]["title"],
                                       channel=args.get("channel_id"), comment=args.get("initial_comment"))  # fmt: skip
        return {"files": [{k: v for k, v in self.files[f["id"]].items() if k != "content"} for f in files]}

    def _delete_file(self, args: dict) -> dict:
        if self.files.pop(args.get("file") or "", None) is None:
            raise Refused("file_not_found")  # never uploaded, or deleted already
        return {}

    def _connections_open(self, args: dict) -> dict:
        if not self.socket_mode_url:
            raise Refused("no_socket_mode_server")  # the fake's own error: no server was attached
        return {"url": self.socket_mode_url}

    def _respond(self, args: dict) -> dict:
        problem = blocks_problem(args.get("blocks"))
        if problem:
            raise Refused("invalid_blocks", problem)
        if not (args.get("text") or args.get("blocks") or args.get("delete_original")):
            raise Refused("no_text")
        return {}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlack

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlparse(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        if url.path.startswith("/upload/"):
            method, args = (
                "upload",
                {"file_id": url.path.rsplit("/", 1)[1], "bytes": len(raw), "content": raw},
            )
        else:
            method = "response_url" if url.path.startswith("/respond/") else url.path.removeprefix("/api/")
            if self.command == "GET":  # conversations.replies sends its arguments in the query
                args = dict(parse_qsl(url.query))
            elif "json" in headers.get("content-type", ""):
                args = json.loads(raw or b"{}")
            else:
                args = dict(parse_qsl(raw.decode()))
        reply = self.fake.answer(method, args, headers)
        if method == "response_url":  # Slack answers these in plain text, 400 when refused
            body, status = (b"ok", 200) if reply["ok"] else (reply["error"].encode(), 400)
        else:
            body, status = json.dumps(reply).encode(), 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if method != "response_url" else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # calls are recorded in `calls`, not logged
        pass
