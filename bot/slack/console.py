"""`resolute console`: the real Bolt app and listeners, driven from a terminal instead of Slack.

Each line typed becomes the signed request Slack would send (a DM event, a slash command, a button
click, a modal submission); what the app sends back goes to the local fake of Slack's Web API
(bot.slack.fake), which checks it as Slack would, and is printed.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from pydantic import SecretStr
from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.slack import blocks
from bot.slack.app import make_slack_app
from bot.slack.block_check import blocks_problem
from bot.slack.console_render import YOU, buttons, form_state, render
from bot.slack.fake import BOT_TOKEN, BOT_USER, TEAM, Call, FakeSlack, Refused

if TYPE_CHECKING:  # its type only: the services wire Slack in, and sit above it
    from bot.services import Services

DM, CHANNEL, APP_ID = "D0YOU", "C0LEADERS", "A0CONSOLE"
HELP = """Type a question and press Enter: it is sent to Resolute as a direct message.
  /ask QUESTION      ask in #leadership with the slash command (answered in a thread)
  /reply TEXT        follow up in the thread of the last answer
  /helpful, /nothelpful   click a button under the last answer
  /progress [priority|school]   each target against its trajectory
  /digest            run the weekly digest job now (posted once per week)
  /checkin [...]     the weekly check-in: /checkin opens your form, /checkin literacy: TEXT adds an item,
                     /checkin support @U0ALEX: TEXT, /checkin status, /checkin summary, /checkin help
  /prompt            send this week's check-in prompt now (as on check-in day); /click Fill in my check-in
  /home              open Resolute's Home tab
  /assistant         open a conversation in Slack's assistant panel, beside #leadership: it greets you and
                     suggests questions; what you type then goes into it (/assistant close leaves it)
  /click LABEL       click the button labelled LABEL (in the open modal, the Home tab or a message sent to you)
  /submit TEXT       fill in the open modal and submit it (several fields: TEXT | TEXT; an empty
                     part keeps what the field holds, - empties it)
  /close             close the open modal without submitting
  /note [...]        log an intervention note: /note opens the form, /note school:RB01 type:tutoring TEXT logs
                     one; /notes [filters] lists them (/click More, /click Edit 12), /notes export, /note help
  /as U0OTHER        act as another Slack user from now on (/as U0YOU is you again, a member of the
                     district's leadership channel and so entitled to notes)
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


class Console:
    """One terminal session: `send(line)` drives the app, `write` shows what it posts."""

    def __init__(
        self,
        services: Services,
        *,
        write: Callable[[str], None] = print,
        post_digest: Callable[..., str] | None = None,
    ) -> None:
        """`post_digest(district, client, force=True)` is the weekly digest job `/digest` runs (bot.jobs's, from
        the command line); without it `/digest` says it is not here."""
        self._write = write
        self._post_digest = post_digest
        self._secret = secrets.token_hex(16)
        self._slack = FakeSlack(observe=self._seen)
        self._executor = _TrackedExecutor()
        self._services = services
        self._app: App | None = None
        self._last_answer: dict | None = None  # {"channel", "thread_ts", "ts", "answer_id"}
        self._modals: list[dict] = []  # the open modal stack, top last
        # what was shown with buttons, newest last: {"view"} or {"message"}, and "to": whose it is (None: a
        # channel's, anyone's to click)
        self._surfaces: list[dict] = []
        self._you = YOU  # who is typing: /as changes it
        self._assistant: str | None = None  # the open assistant-panel thread's ts: typed lines go there

    @property
    def slack(self) -> FakeSlack:
        """The fake Slack this session runs on (what the app has posted, opened and published)."""
        return self._slack

    def __enter__(self) -> Console:
        self._slack.__enter__()
        settings = self._services.settings.model_copy(
            update={
                "slack_bot_token": SecretStr(BOT_TOKEN),
                "slack_signing_secret": SecretStr(self._secret),
                "slack_api_url": self._slack.url,
            }
        )
        self._app = make_slack_app(self._services, settings=settings, executor=self._executor)
        self._seat_you()
        return self

    def _seat_you(self) -> None:
        """You are a member of the district's leadership channel, as its leaders are: entitled to notes."""
        from bot.district.service import NotLoaded

        try:
            channel = self._services.district.config().leadership_channel
        except NotLoaded:  # no district data loaded: nothing to be a member of
            return
        if channel:
            self._slack.members.setdefault(channel, [YOU])

    @property
    def _dm(self) -> str:
        return "D" + self._you[1:]

    def _as(self, who: str) -> None:
        user = who.strip().removeprefix("<").removeprefix("@").split("|")[0].rstrip(">").upper()
        if not re.fullmatch(r"[UW][A-Z0-9]{2,}", user):
            self._write("(as whom? /as U0OTHER: a Slack user id; /as U0YOU is you again)")
            return
        self._you = user
        self._write(f"(you are now {user}: what you type reaches Resolute as theirs)")

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
            if self._post_digest is None:
                self._write("(the weekly digest job is not part of this console)")
            else:
                said = self._post_digest(self._services.district, self._app.client, force=True)
                self._write(f"(running the weekly digest job now: {said})")
        elif command == "/prompt":
            self._prompt()
        elif command == "/assistant":
            self._open_assistant(closing=rest == "close")
        elif command == "/home":
            self._event({"type": "app_home_opened", "user": self._you, "channel": self._dm, "tab": "home"})
        elif command == "/as":
            self._as(rest)
        elif command in ("/helpful", "/nothelpful"):
            self._click("Helpful" if command == "/helpful" else "Not helpful")
        elif command == "/click":
            self._click(rest)
        elif command == "/submit":
            self._submit(rest)
        elif command == "/close":
            if self._modals:
                self._close(notify=True)
            else:
                self._write("(no modal is open)")
        elif command == "/reply":
            if not self._last_answer:
                self._write("(nothing to reply to yet: ask a question first)")
            elif rest:
                self._message(self._last_answer["channel"], rest, thread_ts=self._last_answer["thread_ts"])
        elif command.startswith("/"):
            self._command(command, rest)
        else:
            self._message(self._dm, line, thread_ts=self._assistant)
        self._executor.wait_idle()
        return True

    def _open_assistant(self, *, closing: bool) -> None:
        """Slack opens a new assistant thread in your DM with Resolute, viewing #leadership, and says so."""
        if closing:
            self._assistant = None
            self._write("(assistant conversation closed: what you type is a direct message again)")
            return
        ts = self._slack.new_ts()
        self._slack.add_message(self._dm, {"type": "message", "subtype": "assistant_app_thread", "user": self._you,
                                           "text": "", "ts": ts})  # fmt: skip
        self._assistant = ts
        self._event({"type": "assistant_thread_started", "event_ts": ts,
                     "assistant_thread": {"user_id": self._you, "channel_id": self._dm, "thread_ts": ts,
                                          "context": {"channel_id": CHANNEL, "team_id": TEAM}}})  # fmt: skip

    def _prompt(self) -> None:
        """Run the check-ins' sender as on check-in day: you are the channel's one member."""
        from bot.checkins.service import NotConfigured
        from bot.slack.checkin_sending import Sender

        checkins = self._services.checkins
        try:
            _, c = checkins.settings()
        except NotConfigured as exc:
            self._write(f"({exc})")
            return
        self._slack.members.setdefault(c.channel, [YOU])
        said = Sender(checkins, self._app.client).send_prompts(self._services.clock())
        if not said:
            self._write(
                "(no prompt to send: you already had this week's, answered it, skipped it or are away)"
            )

    # -- what Slack would send -------------------------------------------------------------
    def _message(self, channel: str, text: str, *, thread_ts: str | None = None) -> None:
        ts = self._slack.new_ts()
        message = {"type": "message", "user": self._you, "text": text, "ts": ts, "channel": channel,
                   "channel_type": "im" if channel.startswith("D") else "channel", "event_ts": ts}  # fmt: skip
        if thread_ts:
            message["thread_ts"] = thread_ts
        self._slack.add_message(channel, message)
        self._event(message)

    def _event(self, event: dict) -> None:
        envelope = {"token": "console", "team_id": TEAM, "api_app_id": APP_ID, "event": event,
                    "type": "event_callback", "event_id": f"Ev{secrets.token_hex(6)}", "event_time": int(time.time()),
                    "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]}  # fmt: skip
        self._dispatch(json.dumps(envelope), "application/json")

    def _command(self, command: str, text: str) -> None:
        form = {"token": "console", "team_id": TEAM, "channel_id": CHANNEL, "channel_name": "leadership",
                "user_id": self._you, "user_name": "you", "command": command, "text": text, "api_app_id": APP_ID,
                "response_url": self._slack.response_url("command"), "trigger_id": secrets.token_hex(8)}  # fmt: skip
        response = self._dispatch(urlencode(form), "application/x-www-form-urlencoded")
        if response.status == 404:
            self._write(f"(Resolute has no {command} command; /help lists what you can type)")
        elif response.body:
            reply = _json_or_text(response.body)
            problem = blocks_problem(reply.get("blocks"))
            if problem:  # Slack shows the person nothing and tells the app's developers why
                self._write(f"  (Slack refused the acknowledgement: invalid_blocks — {problem})")
            else:
                self._show("only you can see this", reply)

    def _interaction(self, payload: dict):
        payload = {"team": {"id": TEAM}, "user": {"id": self._you, "name": "you"}, "api_app_id": APP_ID,
                   "trigger_id": secrets.token_hex(8), **payload}  # fmt: skip
        return self._dispatch(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )

    def _click(self, label: str) -> None:
        """Click the newest button with this label (`LABEL VALUE`: the one of them whose value is VALUE, such as
        `Edit 12` for note 12): in the open modal, then on what was shown last to you (a direct message to
        someone else is theirs to click: /as them first)."""
        shown = self._surfaces[::-1]
        mine = [{"view": v} for v in self._modals[-1:]] + [
            s for s in shown if s.get("to") in (None, self._you)
        ]
        named, _, value = label.rpartition(" ")
        for surfaces in (mine, [s for s in shown if s not in mine]):
            for wanted, of in ((label, None), (named, value)) if named else ((label, None),):
                for surface in surfaces:
                    held = surface.get("view") or surface["message"]
                    for block, button in buttons(held.get("blocks", [])):
                        # a note's button carries "12@<its creation time>": `Edit 12` names it by its id
                        values = (None, button.get("value"), str(button.get("value")).partition("@")[0])
                        if button["text"]["text"].lower() != wanted.lower() or of not in values:
                            continue
                        if surfaces is mine:
                            return self._press(surface, block, button)
                        self._write(f"(no [{label}] button in what was sent to you, {self._you}: the newest is in "
                                    f"{surface['to']}'s messages; /as {surface['to']} to click it as them)")  # fmt: skip
                        return None
        self._write(
            f"(no [{label}] button to click: /home shows the Home tab)"
            if label
            else "(click what? /click LABEL)"
        )

    def _press(self, surface: dict, block: dict, button: dict) -> None:
        if button.get("confirm"):  # Slack asks first; the console answers yes
            asked = button["confirm"]
            self._write(f"  (Slack asks: {asked['title']['text']} {asked['text']['text']} — "
                        f"[{(asked.get('confirm') or {}).get('text', 'Yes')}])")  # fmt: skip
        action = {"type": button.get("type", "button"), "action_id": button.get("action_id"), "block_id": block.get("block_id", "b"),
                  "text": button["text"], "value": button.get("value"), "action_ts": str(time.time())}  # fmt: skip
        if "view" in surface:
            view = surface["view"]
            self._interaction({"type": "block_actions", "container": {"type": "view", "view_id": view["id"]},
                               "view": view, "actions": [action]})  # fmt: skip
            return
        message = surface["message"]
        self._interaction({"type": "block_actions", "channel": {"id": message["channel"]}, "message": message,
                           "container": {"type": "message", "message_ts": message["ts"],
                                         "channel_id": message["channel"]},
                           "response_url": self._slack.response_url("action"), "actions": [action]})  # fmt: skip

    def _submit(self, text: str) -> None:
        """Fill the open modal's inputs in order (`a | b` for two; `a || c` leaves the second as it is) and
        submit it, as Slack does."""
        if not self._modals:
            self._write(
                "(no modal is open: /click a button that opens one, e.g. /home then /click Ask a question)"
            )
            return
        view = self._modals[-1]
        inputs = [b for b in view.get("blocks", []) if b.get("type") == "input"]
        # the last field takes the rest, "|" and all (a note's text may hold one)
        said = [part.strip() for part in text.split("|", len(inputs) - 1)] if len(inputs) > 1 else [text]
        try:
            values = {block.get("block_id", f"input{n}"): {block["element"].get("action_id", "input"):
                      form_state(block["element"], said[n] if n < len(said) else "")}
                      for n, block in enumerate(inputs)}  # fmt: skip
        except ValueError as exc:  # Slack's own inputs would not let that through
            self._write(f"  ({exc}: the modal stays open)")
            return
        response = self._interaction(
            {"type": "view_submission", "view": {**view, "state": {"values": values}}}
        )
        reply = _json_or_text(response.body) if response.body else {}
        action = reply.get("response_action")
        if action == "errors":
            labels = {b.get("block_id"): b["label"]["text"] for b in inputs}
            for block_id, error in reply.get("errors", {}).items():
                self._write(f"  (the modal says, under {labels.get(block_id, block_id)}: {error})")
        elif action in ("update", "push"):
            try:
                stored = self._slack.take_view(reply.get("view") or {}, current=view, push=action == "push")
            except (
                Refused
            ) as refused:  # Slack keeps the modal as it was and logs why for the app's developers
                self._write(f"  (Slack refused the response_action view: {refused.detail or refused.error})")
                return
            self._modals[-1 if action == "update" else len(self._modals) :] = [stored]
            self._show("the modal changes", stored)
        else:  # an empty ack or "clear": the modal closes (every modal, for clear)
            self._close(everything=action == "clear")

    def _close(self, *, everything: bool = False, notify: bool = False) -> None:
        """Close the top modal (or all of them); Slack forgets closed views."""
        closing, self._modals = (self._modals, []) if everything else (self._modals[-1:], self._modals[:-1])
        for view in closing:
            self._slack.close_view(view["id"])
            if notify and view.get("notify_on_close"):
                self._interaction({"type": "view_closed", "view": view, "is_cleared": everything})
        self._write("(the modal closes)")

    def _dispatch(self, body: str, content_type: str):
        timestamp = str(int(time.time()))
        signature = SignatureVerifier(self._secret).generate_signature(timestamp=timestamp, body=body)
        headers = {"content-type": [content_type], "x-slack-request-timestamp": [timestamp],
                   "x-slack-signature": [signature]}  # fmt: skip
        return self._app.dispatch(BoltRequest(body=body, headers=headers))

    # -- what the app sends ------------------------------------------------------------------
    def _seen(self, call: Call) -> None:
        """Every Web API call the app made, as the fake answered it."""
        method, args, reply = call.method, call.args, call.reply
        if not reply.get("ok"):
            detail = "; ".join((reply.get("response_metadata") or {}).get("messages", []))
            self._write(f"  (Slack refused {method}: {reply.get('error')}{' — ' + detail if detail else ''})")
        elif method == "reactions.add":
            self._write("  (Resolute is looking through the documents...)")
        elif method == "chat.startStream":
            self._write("  (Resolute is writing its answer...)")
        elif method == "assistant.threads.setStatus" and args.get("status"):
            self._write(f"  (Resolute {args['status']})")
        elif method == "assistant.threads.setTitle":
            self._write(f"  (the conversation is titled: {args.get('title')})")
        elif method == "assistant.threads.setSuggestedPrompts":
            prompts = _json_or_list(args.get("prompts"))
            self._write(f"\nResolute suggests ({args.get('title') or 'prompts'}):\n"
                        + "\n".join(f"  • {p.get('message')}" for p in prompts))  # fmt: skip
        elif method in ("chat.postMessage", "chat.update"):
            message = {**reply["message"], "channel": reply["channel"]}
            to = _addressee(str(args.get("channel", "")), reply["channel"])
            self._show(self._where(message, edited=method == "chat.update", to=to), message)
            self._remember(message, to)
        elif method in ("chat.postEphemeral", "response_url"):
            to = args.get("user") or self._you  # a response_url answers whoever acted
            self._show("only you can see this" if to == self._you else f"only {to} can see this", args)
            if any(True for _ in buttons(args.get("blocks") or [])):  # Edit, Delete, More: clickable
                message = {**args, "channel": args.get("channel") or CHANNEL, "ts": self._slack.new_ts()}
                self._surfaces = [*self._surfaces[-20:], {"message": message, "to": to}]
        elif method == "views.publish":
            self._show("Home tab", reply["view"])
            self._surfaces = [*self._surfaces[-20:], {"view": reply["view"], "to": args.get("user_id")}]
        elif method in ("views.open", "views.push", "views.update"):
            view = reply["view"]
            if method == "views.update":  # in place, wherever it is in the stack
                self._modals = [view if v["id"] == view["id"] else v for v in self._modals]
            else:
                self._modals.append(view)
            self._show("a modal opens" if method != "views.update" else "the modal changes", view)
            self._write("  (/submit TEXT to fill it in and submit it; /close to cancel)")
        elif method == "files.completeUploadExternal":
            where = self._where({"channel": args.get("channel_id", ""), "thread_ts": args.get("thread_ts")})
            lines = "\n".join(f"  [{'image' if str(f.get('name')).endswith('.png') else 'file'}] {f.get('title')} "
                              f"({f.get('name')})" for f in reply.get("files", []))  # fmt: skip
            self._write(f"\nResolute ({where}):\n{lines}")

    def _where(self, message: dict, *, edited: bool = False, to: str | None = None) -> str:
        where = "direct message" if message.get("channel", "").startswith("D") else "#leadership"
        if to and to != self._you:  # someone else's: say whose, so it is not taken for yours
            where += f" to {to}"
        if message.get("thread_ts"):
            where += ", in the thread"
        return where + (", edited" if edited else "")

    def _show(self, where: str, data: dict) -> None:
        lines = render(data.get("blocks") or [], data.get("text", ""))
        if data.get("type") == "modal":
            title, submit = (data.get(k) or {} for k in ("title", "submit"))
            lines = [f"« {title.get('text', '')} »", *lines]
            lines += (
                [f"[{submit['text']}]  [{(data.get('close') or {}).get('text', 'Cancel')}]"] if submit else []
            )
        self._write(f"\nResolute ({where}):\n" + "\n".join("  " + line for line in lines))

    def _remember(self, message: dict, to: str | None) -> None:
        if any(True for _ in buttons(message.get("blocks") or [])):
            self._surfaces = [*self._surfaces[-20:], {"message": message, "to": to}]
        clicks = [blocks.feedback_click(b.get("value") or "") for _, b in buttons(message.get("blocks") or [])
                  if b.get("action_id") == blocks.FEEDBACK]  # fmt: skip
        answer_id = next((click[1] for click in clicks if click), None)
        if answer_id:
            self._last_answer = {"channel": message["channel"], "thread_ts": message.get("thread_ts") or message["ts"],
                                 "ts": message["ts"], "answer_id": answer_id}  # fmt: skip
            self._write("  (/reply to follow up in this thread; /helpful or /nothelpful to rate it)")


def _addressee(sent_to: str, channel: str) -> str | None:
    """Whose direct message this is (a user id), or None for a channel's message."""
    if sent_to.startswith(("U", "W")):
        return sent_to
    return "U" + channel[1:] if channel.startswith("D") else None


def _json_or_list(value) -> list:
    """A list argument as the app sent it: already decoded, or JSON in a form field."""
    return json.loads(value) if isinstance(value, str) else list(value or [])


def _json_or_text(body: str) -> dict:
    try:
        data = json.loads(body)
    except ValueError:
        return {"text": body}
    return data if isinstance(data, dict) else {"text": body}
