"""`/checkin`, the check-in modal and the support buttons: the Slack side of the check-in service.

Every reply is private (ephemeral, or the modal itself); a refusal says what is wrong and repeats what
the person typed, and nothing already saved is touched. No check-in text is logged.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient

from bot.checkins.commands import USAGE, BadCommand, parse
from bot.checkins.schedule import label as week_label
from bot.checkins.sending import Sender
from bot.checkins.service import NotConfigured, Refusal, block_id
from bot.services import Services
from bot.slack.blocks import checkins as blocks
from bot.slack.blocks.kit import escape

Reply = Callable[[str, list[dict]], None]


def _typed(text: str) -> str:
    return f"\nYou typed: `/checkin {escape(text)}`" if text else ""


class CheckinSlack:
    """What the listeners call; `now` comes from the services' clock."""

    def __init__(self, services: Services, client: WebClient) -> None:
        self.services = services
        self.checkins = services.checkins
        self.client = client

    def command(self, *, user: str, text: str, trigger_id: str, reply: Reply) -> None:
        """Handle `/checkin ...`: open the modal, or add, ask, skip, pause, or show."""
        now = self.services.clock()
        try:
            config, _ = self.checkins.settings()
            keys = [p.key for p in config.priorities]
            command = parse(text, keys, today=now.astimezone(_zone(config.timezone)).date())
            said = self._do(command, user=user, trigger_id=trigger_id, now=now)
        except (BadCommand, Refusal, NotConfigured) as exc:
            reply(*blocks.reply(f"{escape(str(exc))}{_typed(text)}"))
            return
        if said is not None:
            reply(*said)

    def _do(self, command, *, user: str, trigger_id: str, now) -> tuple[str, list[dict]] | None:
        c = self.checkins
        if command.verb == "open":
            self.open_modal(user=user, trigger_id=trigger_id, week=c.week(now))
            return None
        if command.verb == "help":
            return blocks.reply(USAGE)
        if command.verb == "item":
            week, item = c.add(user, command.field, command.priority, command.text, now)
            where = command.priority or "anything else"
            return blocks.reply(f"Added under *{where}* for the week of {week_label(week)}: {escape(item.text)}\n"
                                f"You can edit it with `/checkin` until {c.close_label(week)}.")  # fmt: skip
        if command.verb == "support":
            request = c.ask(user, command.person, command.text, now)
            Sender(c, self.client).deliver_support(now)
            return blocks.reply(f"Asked <@{request.to_user}> for support: {escape(request.text)}\n"
                                "You will hear when they take it and when it is done.")  # fmt: skip
        if command.verb == "skip":
            return blocks.reply(c.skip(user, now))
        if command.verb == "away":
            return blocks.reply(c.away(user, command.until))
        if command.verb == "status":
            s = c.status(user, now)
            return blocks.status_message(week=s["week"], close=s["close"], mine=s["mine"], asked=s["asked"],
                                         answered=s["answered"], members=s["members"], skipped=s["skipped"],
                                         away_until=s["away_until"], priorities=c.settings()[0].priorities)  # fmt: skip
        if command.verb == "summary":
            config, _ = c.settings()
            return blocks.summary_message(c.summary(c.week(now), now), config.priorities)
        raise AssertionError(command.verb)

    def open_modal(self, *, user: str, trigger_id: str, week: str) -> None:
        """Open the check-in form with what the member has saved for `week`."""
        config, _ = self.checkins.settings()
        saved, requests = self.checkins.form(user, week)
        asked = [f"<@{r.to_user}>: {escape(r.text)} ({r.status})" for r in requests]
        view = blocks.checkin_modal(config.priorities, week=week, close=self.checkins.close_label(week),
                                    saved=saved, asked=asked)  # fmt: skip
        self.client.views_open(trigger_id=trigger_id, view=view)

    def submitted(self, *, user: str, view: dict) -> dict | None:
        """A submitted form: None when saved (the modal closes), else the errors to show on it."""
        week = view.get("private_metadata") or ""
        values = view["state"]["values"]
        config, _ = self.checkins.settings()
        texts = {}
        for p in config.priorities:
            for field in ("did", "next"):
                texts[block_id(field, p.key)] = _value(values, block_id(field, p.key), blocks.TEXT)
        texts["other"] = _value(values, "other", blocks.TEXT)
        person = (values.get(blocks.SUPPORT_TO) or {}).get(blocks.USER, {}).get("selected_user")
        need = _value(values, blocks.SUPPORT_TEXT, blocks.TEXT)
        now = self.services.clock()
        try:
            self.checkins.save_form(user, week, texts, (person, need), now)
        except Refusal as exc:
            first = block_id("did", config.priorities[0].key)
            where = blocks.SUPPORT_TEXT if "support" in str(exc).lower() else first
            return {where: str(exc)[:2000]}
        return None

    def deliver_support(self) -> None:
        """Send the support messages due (after the form's acknowledgement: Slack waits 3 s at most)."""
        Sender(self.checkins, self.client).deliver_support(self.services.clock())

    def support(self, *, user: str, request_id: str, done: bool, reply: Reply, replace: Reply) -> None:
        """A click on "I'll take it" or "Done": the request's message shows its new status (and only the
        button still to press), and the requester is told."""
        now = self.services.clock()
        try:
            request = self.checkins.take(int(request_id), user, now, done=done)
        except (Refusal, ValueError) as exc:
            reply(*blocks.reply(escape(str(exc))))
            return
        replace(*blocks.support_update_message(request.as_dict(now), to_asked=True))
        Sender(self.checkins, self.client).deliver_support(now)


def _value(values: dict, block: str, action: str) -> str:
    return ((values.get(block) or {}).get(action) or {}).get("value") or ""


def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)
