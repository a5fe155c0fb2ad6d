"""Slack's Web API played locally: the one fake behind `resolute console`, the tests and the benchmarks.

A real HTTP server on loopback (the way slackapi/bolt-python's tests/mock_web_api_server works), so the
app's own WebClient, pointed here by SLACK_API_URL, makes real requests. It records every call, checks
the bearer token, keeps messages (so `conversations.replies` returns threads) and views (so they can be
updated and pushed), takes response_url posts and file uploads, and checks every Block Kit payload with
`slack_sdk.models`, answering `invalid_blocks` / `invalid_arguments` where Slack would. It also plays an
AI app's thread: the status, title and suggested prompts of assistant.threads.*, and a reply streamed with
chat.startStream / appendStream / stopStream, refused where Slack's reference for each method refuses.
"""

from __future__ import annotations

import itertools
import json
import re
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
# sent as JSON strings in forms (slack_sdk sends most of them in a JSON body, where they arrive decoded)
_JSON_ARGS = ("blocks", "view", "files", "attachments", "metadata", "prompts", "loading_messages", "chunks")
_TS = re.compile(r"\d+\.\d+")  # a message timestamp, as Slack writes them
_CHUNK_TYPES = ("markdown_text", "task_update", "plan_update", "blocks")  # chat.*Stream's chunks


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
    """A JSON argument as sent; a string that is not JSON is left as it is, for the method to refuse."""
    try:
        return json.loads(value) if isinstance(value, str) else value
    except json.JSONDecodeError:
        return value


class FakeSlack:
    """Start with `with FakeSlack() as slack:`; SLACK_API_URL is `slack.url`.

    Settable state: `errors` (method, or "method channel", -> error to answer with), `members` (channel -> user ids, for
    conversations.members, in pages of its `limit`, and chat.postEphemeral; change it at any time), `channels`
    (channel id -> fields conversations.info answers with, such as is_private; None leaves a field out), `users` (user id -> fields such as tz, tz_offset,
    real_name for users.info), `socket_mode_url` (what apps.connections.open answers). `token` and
    `app_token` are the bearer tokens accepted (None accepts any); `observe` sees every call as made.

    Kept state, to read: `calls`, `messages`, `views`, `homes`, `files`, `reactions`; and for an AI app's
    threads, keyed by (channel, thread_ts): `statuses` (the status shown now: "" clears it, and so does the
    app's reply in that thread, as in Slack), `titles` (the latest assistant.threads.setTitle) and `prompts`
    (the latest suggested prompts as {"title", "prompts"}; thread_ts None when none was given). `streaming`
    is the (channel, ts) of every message chat.startStream began and chat.stopStream has not yet ended.
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
        self.statuses: dict[tuple[str, str], str] = {}  # (channel, thread_ts) -> the status shown now
        self.titles: dict[tuple[str, str], str] = {}
        self.prompts: dict[tuple[str, str | None], dict] = {}  # -> {"title": str | None, "prompts": [...]}
        self.streaming: set[tuple[str, str]] = set()  # (channel, ts) of messages still being streamed
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
            "assistant.threads.setStatus": self._set_status, "assistant.threads.setTitle": self._set_title,
            "assistant.threads.setSuggestedPrompts": self._set_prompts,
            "chat.startStream": self._start_stream, "chat.appendStream": self._append_stream,
            "chat.stopStream": self._stop_stream,
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
            self.statuses.pop((channel, args["thread_ts"]), None)  # the app's reply clears its status
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

    # -- an AI app's threads: assistant.threads.* --------------------------------------------------------
    @staticmethod
    def _required(args: dict, *names: str) -> None:
        """Slack checks these methods' arguments against a schema: a missing one is invalid_arguments."""
        for name in names:
            if args.get(name) is None:
                raise Refused("invalid_arguments", f"missing required field: {name}")

    def _assistant_thread(self, args: dict, *, thread_required: bool = True) -> tuple[str, str | None]:
        channel = self._channel(args, "channel_id")
        thread_ts = args.get("thread_ts")
        if (thread_required or thread_ts is not None) and not _TS.fullmatch(str(thread_ts)):
            raise Refused("invalid_thread_ts")
        return channel, thread_ts

    def _set_status(self, args: dict) -> dict:
        """Shows "<app> <status>" under the thread; nothing is posted. "" clears it, as does the app's reply."""
        self._required(args, "channel_id", "thread_ts", "status")
        if not isinstance(args["status"], str):
            raise Refused("invalid_arguments", "status must be a string [json-pointer:/status]")
        loading = args.get("loading_messages")
        if loading is not None:
            if not isinstance(loading, list) or not 1 <= len(loading) <= 10:
                raise Refused("invalid_arguments", "loading_messages must be a list of 1 to 10 strings [json-pointer:/loading_messages]")  # fmt: skip
            for n, line in enumerate(loading):
                if not isinstance(line, str) or not 1 <= len(line) <= 50:
                    raise Refused("invalid_arguments", f"a loading message must be 1 to 50 characters [json-pointer:/loading_messages/{n}]")  # fmt: skip
        key = self._assistant_thread(args)
        if args["status"]:
            self.statuses[key] = args["status"]
        else:
            self.statuses.pop(key, None)
        return {}

    def _set_title(self, args: dict) -> dict:
        self._required(args, "channel_id", "thread_ts", "title")
        self.titles[self._assistant_thread(args)] = args["title"]
        return {}

    def _set_prompts(self, args: dict) -> dict:
        """Up to four prompts, each a title to show and the message it sends."""
        self._required(args, "channel_id", "prompts")
        prompts = args["prompts"]
        if not isinstance(prompts, list) or not 1 <= len(prompts) <= 4:
            raise Refused(
                "invalid_arguments", "prompts must be a list of 1 to 4 items [json-pointer:/prompts]"
            )
        for n, prompt in enumerate(prompts):
            for part in ("title", "message"):
                if not isinstance(prompt, dict) or not prompt.get(part) or not isinstance(prompt[part], str):
                    raise Refused("invalid_arguments", f"missing required field: {part} [json-pointer:/prompts/{n}]")  # fmt: skip
        key = self._assistant_thread(args, thread_required=False)
        self.prompts[key] = {"title": args.get("title"), "prompts": prompts}
        return {}

    # -- a streamed reply: chat.startStream, chat.appendStream, chat.stopStream ----------------------------
    @staticmethod
    def _streamed_text(args: dict) -> str | None:
        """What one call adds to a streamed message: its markdown_text, then its markdown_text chunks (what
        slack_sdk's chat_stream sends); None when it sends neither. Other chunks (tasks, plans) add no text."""
        chunks = args.get("chunks")
        if chunks is not None:
            if not isinstance(chunks, list):
                raise Refused("invalid_chunks", "chunks must be a list [json-pointer:/chunks]")
            for n, chunk in enumerate(chunks):
                kind = chunk.get("type") if isinstance(chunk, dict) else None
                if kind not in _CHUNK_TYPES or (
                    kind == "markdown_text" and not isinstance(chunk.get("text"), str)
                ):
                    raise Refused("invalid_chunks", f"unsupported chunk [json-pointer:/chunks/{n}]")
        text = args.get("markdown_text")
        if text is not None and not isinstance(text, str):
            raise Refused("invalid_arguments", "markdown_text must be a string [json-pointer:/markdown_text]")
        if text is None and chunks is None:
            return None
        return (text or "") + "".join(c["text"] for c in chunks or [] if c["type"] == "markdown_text")

    def _start_stream(self, args: dict) -> dict:
        """A bot message, empty or with the first text, that appendStream adds to until stopStream. Outside a
        DM Slack wants the person it is streamed to (recipient_team_id, recipient_user_id). Slack's reference
        now has thread_ts optional (without it, a top-level message), though slack_sdk 3.48 always sends it."""
        channel = self._channel(args)
        if not channel.startswith("D"):
            for part in ("team", "user"):  # with neither, Slack is seen to name the team
                if not args.get(f"recipient_{part}_id"):
                    raise Refused(f"missing_recipient_{part}_id")
        text = self._streamed_text(args) or ""
        message = {"type": "message", "ts": self.new_ts(), "user": BOT_USER, "bot_id": BOT_ID,
                   "app_id": APP_ID, "text": text, "blocks": []}  # fmt: skip
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
            self.statuses.pop((channel, args["thread_ts"]), None)  # the reply has begun
        self.add_message(channel, message)
        self.streaming.add((channel, message["ts"]))
        return {"channel": channel, "ts": message["ts"]}

    def _streamed(self, args: dict) -> tuple[str, dict]:
        channel = self._channel(args)
        message = self._find(channel, args.get("ts") or "")
        if message.get("bot_id") != BOT_ID:
            raise Refused("message_not_owned_by_app")
        if (channel, message["ts"]) not in self.streaming:
            raise Refused("message_not_in_streaming_state")  # never streamed, or stopped already
        return channel, message

    def _append_stream(self, args: dict) -> dict:
        text = self._streamed_text(args)
        if text is None:
            raise Refused("no_text")  # markdown_text (or chunks) is required
        channel, message = self._streamed(args)
        message["text"] += text
        return {"channel": channel, "ts": message["ts"]}

    def _stop_stream(self, args: dict) -> dict:
        """Ends the stream: the last text is added and `blocks` go under it; an ordinary message from then."""
        problem = blocks_problem(args.get("blocks"))
        if problem:
            raise Refused("invalid_blocks", problem)
        text = self._streamed_text(args) or ""
        channel, message = self._streamed(args)
        message.update(text=message["text"] + text, blocks=args.get("blocks") or [])
        self.streaming.discard((channel, message["ts"]))
        return {"channel": channel, "ts": message["ts"], "message": message}

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
