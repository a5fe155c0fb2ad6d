"""`/checkin`, the check-in modal and the support buttons: the Slack side of the check-in service.

Every reply is private (ephemeral, a direct message, or the modal itself); a refusal says what is wrong
and repeats (the start of) what the person typed, and nothing already saved is touched. No check-in text
is logged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.checkins.commands import ECHO_CHARS, USAGE, BadCommand, parse
from bot.checkins.schedule import label as week_label
from bot.checkins.service import ClearFirst, NotConfigured, Refusal, asks_to_move, block_id
from bot.slack.blocks import checkin_values
from bot.slack.blocks import checkins as blocks
from bot.slack.blocks import support as support_blocks
from bot.slack.blocks.kit import cut, escape
from bot.slack.checkin_sending import Sender
from bot.slack.typed import from_slack, shown

if TYPE_CHECKING:  # its type only: the services wire Slack in, and sit above it
    from bot.services import Services

Reply = Callable[[str, list[dict]], None]
HISTORY_WEEKS = 8  # `/checkin history`: the member's last check-ins, newest first
# a button or form value Resolute did not make (or made before it named what it acts on): nothing changes
STALE_BUTTON = "That button no longer works: type the command again."
STALE_FORM = "That form no longer works: type `/checkin` again."
QUESTIONS = (
    5  # "keep it there, or move it?" asked after one form, at most (the rest show in `/checkin status`)
)


def _typed(text: str) -> str:
    return f"\nYou typed: `/checkin {escape(cut(text, ECHO_CHARS))}`" if text else ""


class CheckinSlack:
    """What the listeners call; `now` comes from the services' clock."""

    def __init__(self, services: Services, client: WebClient) -> None:
        self.services = services
        self.checkins = services.checkins
        self.client = client

    def command(self, *, user: str, text: str, trigger_id: str, reply: Reply) -> None:
        """Handle `/checkin ...`: open the modal, or add, ask, skip, pause, or show."""
        now = self.services.clock()
        text = from_slack(text)  # `&amp;` is `&`, a picked colleague is <@U...>: the text as typed
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
            text, built = blocks.reply(f"Added under *{where}* for the week of {week_label(week)}: {shown(item.text)}\n"
                                       f"You can edit it with `/checkin` until {c.close_label(week)}.")  # fmt: skip
            if asks_to_move(item):  # asked now, while the member is here; the answer stands
                q_text, q_built = blocks.move_question(item.id, item.text, self._name(item.filed))
                return f"{text} {q_text}", [*built, *q_built]
            return text, built
        if command.verb == "support":
            self.vet(command.person, user)
            request = c.ask(user, command.person, command.text, now)
            Sender(c, self.client).deliver_support(now)
            return support_blocks.support_asked_reply(request.as_dict(now))
        if command.verb == "skip":
            return blocks.reply(c.skip(user, now))
        if command.verb == "clear":
            week, count, newest = c.to_clear(user, now)
            if not count:
                return blocks.reply(f"You have nothing filed for the week of {week_label(week)}.")
            return blocks.clear_prompt(week, count, newest)
        if command.verb == "away":
            return blocks.reply(c.away(user, command.until))
        if command.verb == "back":
            return blocks.reply(c.back(user, now))
        if command.verb == "status":
            s = c.status(user, now)
            return blocks.status_message(week=s["week"], close=s["close"], mine=s["mine"], asked=s["asked"],
                                         answered=s["answered"], members=s["members"], skipped=s["skipped"],
                                         away_until=s["away_until"], priorities=c.settings()[0].priorities,
                                         skipped_count=s["skipped_count"])  # fmt: skip
        if command.verb == "history":  # the member's own items, to them alone
            return blocks.history_message(c.recent(user, HISTORY_WEEKS, now), weeks=HISTORY_WEEKS)
        if command.verb == "summary":
            config, _ = c.settings()
            return blocks.summary_message(c.summary(c.week(now), now), config.priorities)
        raise AssertionError(command.verb)

    def open_modal(self, *, user: str, trigger_id: str, week: str) -> None:
        """Open the check-in form with what the member has saved for `week`."""
        config, _ = self.checkins.settings()
        saved, requests, offered = self.checkins.form(user, week)
        asked = [f"<@{r.to_user}>: {shown(r.text)} ({r.status})" for r in requests]
        view = blocks.checkin_modal(config.priorities, week=week, close=self.checkins.close_label(week),
                                    saved=saved, asked=asked, offered=offered)  # fmt: skip
        self.client.views_open(trigger_id=trigger_id, view=view)

    def _name(self, key: str | None) -> str:
        config, _ = self.checkins.settings()
        return next((p.name for p in config.priorities if p.key == key), key or "anything else")

    def vet(self, person: str, user: str) -> None:
        """Refuse asking (or handing on to) someone who cannot answer: yourself, Resolute, a bot, a closed account."""
        if person == user:
            raise Refusal("You asked yourself for support; pick the colleague whose help you need.")
        try:
            if person == self.client.auth_test().get("user_id"):
                raise Refusal(
                    "Resolute cannot take a support request; pick the colleague whose help you need."
                )
            info = self.client.users_info(user=person)["user"]
        except SlackApiError as exc:
            if exc.response.get("error") == "user_not_found":
                raise Refusal(
                    "Slack does not know the person you picked; pick a colleague from the @ menu."
                ) from None
            raise Refusal("Slack could not say who that is just now; try again in a minute.") from None
        if info.get("is_bot") or info.get("is_app_user"):
            raise Refusal(
                "The person you picked is a bot and cannot take a support request; pick a colleague."
            )
        if info.get("deleted"):
            raise Refusal("The person you picked has a deactivated account; pick a colleague who can help.")

    def submitted(self, *, user: str, view: dict) -> tuple[dict | None, Callable[[], None]]:
        """A submitted form: what to acknowledge with (None: saved, the modal closes; else its errors, or the
        confirmation pushed over an emptied form) and what to do once Slack has the acknowledgement."""
        week = checkin_values.read_week(view.get("private_metadata"))
        if week is None:
            return {"response_action": "update", "view": blocks.modal_note("Check-in", STALE_FORM)}, _nothing
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
            if person and need.strip():
                try:
                    self.vet(person, user)
                except Refusal as exc:
                    return _errors({blocks.SUPPORT_TO: str(exc)}), _nothing
            items, _ = self.checkins.save_form(user, week, texts, (person, need), now)
        except ClearFirst as empty:
            confirm = blocks.clear_modal(empty.week, empty.count, empty.newest)
            return {"response_action": "push", "view": confirm}, _nothing
        except Refusal as exc:
            first = block_id("did", config.priorities[0].key)
            where = blocks.SUPPORT_TEXT if "support" in str(exc).lower() else first
            return _errors({where: str(exc)}), _nothing

        def then() -> None:
            self.deliver_support()
            for item in [i for i in items if asks_to_move(i)][:QUESTIONS]:
                text, built = blocks.move_question(item.id, item.text, self._name(item.filed))
                self.client.chat_postMessage(channel=user, text=text, blocks=built)

        return None, then

    def cleared(self, *, user: str, view: dict) -> dict:
        """The confirmation over an emptied form: clear what it named, and show what happened in its place."""
        said = self._clear(user, view.get("private_metadata"), stale=STALE_FORM)
        return {"response_action": "update", "view": blocks.modal_note("Check-in", said)}

    def clear(self, *, user: str, value: str, replace: Reply) -> None:
        """The button under `/checkin clear`: it removes what it was shown for, or nothing."""
        replace(*blocks.reply(escape(self._clear(user, value, stale=STALE_BUTTON))))

    def _clear(self, user: str, value: object, *, stale: str) -> str:
        """Clear what a button or a form named (a week, how many items and the newest); what to tell the member."""
        named = checkin_values.read_clear(value)
        if named is None:
            return stale
        week, count, newest = named
        try:
            return self.checkins.clear(user, week, (count, newest), self.services.clock())
        except Refusal as exc:
            return str(exc)

    def snooze(self, *, user: str, week: str, later: str, reply: Reply) -> None:
        """A prompt's "Remind me at 2 pm" or "Tomorrow morning": said privately, once a week."""
        try:
            said = self.checkins.snooze(user, week, later, self.services.clock())
        except (Refusal, NotConfigured) as exc:
            said = str(exc)
        reply(*blocks.reply(said))

    def refile(self, *, user: str, item_id: str, keep: bool, replace: Reply) -> None:
        """Keep an item under the priority it was filed under, or move it to Anything else; the answer stands."""
        number = checkin_values.read_id(item_id)
        try:
            if number is None:
                raise Refusal(STALE_BUTTON)
            item, said = self.checkins.refile(number, user, keep, self.services.clock())
        except Refusal as exc:
            replace(*blocks.reply(escape(str(exc))))
            return
        replace(*blocks.reply(f"{said}: {shown(item.text)}"))

    def deliver_support(self) -> None:
        """Send the support messages due (after the form's acknowledgement: Slack waits 3 s at most)."""
        Sender(self.checkins, self.client).deliver_support(self.services.clock())

    def support(self, *, user: str, request_id: str, act: str, reply: Reply, replace: Reply,
                person: str | None = None) -> None:  # fmt: skip
        """A click on a request's buttons: take, done, decline or hand on (the person asked), withdraw (the
        requester). The message clicked shows what happened, and the other person is told."""
        now = self.services.clock()
        c = self.checkins
        rid, picked = checkin_values.read_id(request_id), checkin_values.read_user(person)
        try:
            if rid is None or (act == "hand_on" and picked is None):
                raise Refusal(STALE_BUTTON)
            if act == "hand_on":  # whose request it is comes before who was picked
                handed = c.hand_on(rid, user, picked, now, vet=lambda who: self.vet(who, user))
                request = c.store.support(rid)
            else:
                handed = None
                request = {"take": lambda: c.take(rid, user, now), "done": lambda: c.take(rid, user, now, done=True),
                           "decline": lambda: c.decline(rid, user, now),
                           "withdraw": lambda: c.withdraw(rid, user, now)}[act]()  # fmt: skip
        except Refusal as exc:
            reply(*blocks.reply(escape(str(exc))))
            return
        data = request.as_dict(now)
        replace(*support_blocks.support_update_message(data, to_asked=act != "withdraw",
                                               handed_to=handed.to_user if handed else None))  # fmt: skip
        Sender(c, self.client).deliver_support(now)


def _errors(errors: dict[str, str]) -> dict:
    return {"response_action": "errors", "errors": {k: v[:2000] for k, v in errors.items()}}


def _nothing() -> None:
    return None


def _value(values: dict, block: str, action: str) -> str:
    return ((values.get(block) or {}).get(action) or {}).get("value") or ""


def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)
