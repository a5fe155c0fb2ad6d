"""Everything check-ins send to Slack, each once: prompts, reminders, the card, the summary, support DMs.

`Sender.tick(now)` runs every minute (bot.jobs:checkin_tick) and sends whatever is due and not yet
sent. A claim in SQL per week, kind and recipient makes each message go out once across retries,
restarts and several `serve` processes; a send that fails gives its claim back and is tried on the
next tick, unless Slack refuses a support message for good (a bot, a closed account): that one is not
tried again, and a request that never reached its person closes with a word to the requester. A request
still waiting after four weeks closes with a word to both. A prompt missed while no instance was running
goes out when one comes back, as long as the week's check-in is still open. After a week's summary, each
author of intervention notes that week gets a private DM listing their own notes (nothing about notes goes
to the channel).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.checkins import schedule
from bot.checkins.service import CheckIns, NotConfigured
from bot.checkins.store import UNSENT, Support
from bot.slack.blocks import checkins as blocks
from bot.slack.blocks import support as support_blocks
from bot.slack.blocks.kit import FALLBACK_CHARS, cut

if TYPE_CHECKING:
    from bot.notes.service import Notes

log = logging.getLogger(__name__)

MEMBERS_TTL = timedelta(minutes=10)  # how long the channel's member list is reused
# Slack's answers that may pass: anything else it answers about a direct message it will answer again
TRANSIENT = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
TZ_TTL = timedelta(days=1)  # how long a member's time zone (users.info) is reused


class Sender:
    """Sends what is due; safe to call from any instance at any time."""

    def __init__(self, checkins: CheckIns, client: WebClient, *, notes: Notes | None = None) -> None:
        self.checkins = checkins
        self.notes = notes  # None: no notes DMs after the summary
        self.store = checkins.store
        self.client = client
        self._members: tuple[datetime, str, list[str]] | None = None
        self._not_people: set[str] = set()  # bots and deactivated accounts: never prompted
        self._lock = threading.Lock()

    # -- the tick ------------------------------------------------------------------------------------
    def tick(self, now: datetime) -> list[str]:
        """Send everything due at `now`; says what it sent. The district file is read once for all of it."""
        with self.checkins.district.pinned():
            return self._tick(now)

    def _tick(self, now: datetime) -> list[str]:
        try:
            config, c = self.checkins.settings()
        except NotConfigured as exc:
            return [str(exc)]
        now = now.astimezone(UTC)  # stored times are UTC
        with self._lock:  # one tick at a time in this process; other processes are held off by the claims
            said: list[str] = []
            week = schedule.current_week(now, config.timezone)
            try:
                for w in (week, schedule.shift(week, 1)):
                    if schedule.is_open(c, w, now, config.timezone) and w not in c.skip:
                        said += self._prompts(w, now)
            except SlackApiError as exc:  # e.g. Resolute is not in the channel: the rest still goes out
                log.warning("check-in prompts not sent this minute: Slack answered %s (is Resolute in %s?)",
                            exc.response.get("error"), c.channel)  # fmt: skip
            said += self._card(week, now)
            for w in (schedule.shift(week, -1), week):
                said += self._summary(w, now)
            self.checkins.expire(now)
            said += self.deliver_support(now)
            return said

    def members(self, now: datetime) -> list[str]:
        """The people prompted: the listed ones, or the channel's members (bots left out)."""
        _, c = self.checkins.settings()
        if c.members != "channel":
            return list(c.members)
        if self._members and self._members[1] == c.channel and now - self._members[0] < MEMBERS_TTL:
            return self._members[2]
        members: list[str] = []
        cursor = None
        while True:
            page = self.client.conversations_members(channel=c.channel, cursor=cursor, limit=200)
            members += page["members"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        self._members = (now, c.channel, members)
        return members

    def _zones(self, users: list[str], now: datetime) -> dict[str, tuple[str, object]]:
        """user -> (time zone, away until), asking Slack for zones not known or older than a day."""
        config, _ = self.checkins.settings()
        known = self.store.people(users)
        out = {}
        for user in users:
            if user in self._not_people:
                continue
            tz, checked, away = known.get(user, (None, None, None))
            if tz is None or checked is None or now - _aware(checked, now) > TZ_TTL:
                try:
                    info = self.client.users_info(user=user)["user"]
                except SlackApiError as exc:
                    log.warning("users.info for a check-in member failed (%s); using the district's time zone",
                                exc.response.get("error"))  # fmt: skip
                    info = {"tz": tz or config.timezone}
                if info.get("is_bot") or info.get("deleted"):
                    self._not_people.add(user)
                    continue
                tz = info.get("tz") or config.timezone
                self.store.set_tz(user, tz, now)
            out[user] = (tz, away)
        return out

    def _display_names(self, users: set[str]) -> dict[str, str]:
        """user -> the name Slack shows for them (display name, else real name); the id if Slack cannot say."""
        names = {}
        for user in sorted(users):
            try:
                info = self.client.users_info(user=user)["user"]
            except SlackApiError as exc:
                log.warning(
                    "users.info for a name in the check-in summary failed (%s)", exc.response.get("error")
                )
                names[user] = user
                continue
            profile = info.get("profile") or {}
            names[user] = (profile.get("display_name") or profile.get("real_name") or info.get("real_name")
                           or info.get("name") or user)  # fmt: skip
        return names

    def send_prompts(self, now: datetime) -> list[str]:
        """Prompt, now, every member not yet prompted for the open check-in, whatever their local time."""
        now = now.astimezone(UTC)
        with self._lock:
            return self._prompts(self.checkins.week(now), now, early=True)

    def _prompts(self, week: str, now: datetime, *, early: bool = False) -> list[str]:
        _, c = self.checkins.settings()
        prompted = self.store.sent(week, "prompt")
        reminded = self.store.sent(week, "reminder")
        responses = self.store.responses(week)
        snoozes, snoozed = self.store.snoozes(week), self.store.sent(week, "snoozed")
        said = []
        for user, (tz, away) in self._zones(self.members(now), now).items():
            due = schedule.prompt_at(c, week, tz)
            if user not in prompted:
                back = (
                    not away or away <= now.astimezone(due.tzinfo).date()
                )  # away until a day: prompted that day
                if (early or now >= due) and back and user not in responses:
                    said += self._send(week, "prompt", user, now, reminder=False)
            elif user in snoozes:  # asked to be reminded later: that reminder replaces the usual one
                if user not in snoozed and user not in responses and now >= snoozes[user]:
                    said += self._send(week, "snoozed", user, now, reminder=True)
            elif (user not in reminded and user not in responses and now >= schedule.reminder_at(c, week, tz)
                  and now - _aware(prompted[user], now) >= timedelta(minutes=c.reminder_minutes)):  # fmt: skip
                said += self._send(week, "reminder", user, now, reminder=True)
        return said

    def _send(self, week: str, kind: str, user: str, now: datetime, *, reminder: bool) -> list[str]:
        config, _ = self.checkins.settings()
        text, built = blocks.prompt_message(config.priorities, week=week, close=self.checkins.close_label(week),
                                            reminder=reminder, carried=self.checkins.carried(user, week),
                                            snoozed=kind == "snoozed")  # fmt: skip
        return self._post(week, kind, user, now, text=text, blocks=built)

    def _post(self, week: str, kind: str, recipient: str, now: datetime, *, channel: str | None = None,
              on_refused: Callable[[], list[str]] | None = None, **message) -> list[str]:  # fmt: skip
        """Post once. With `on_refused` (support messages), a refusal Slack will repeat is recorded, not
        retried, and `on_refused` says what follows from it."""
        if not self.store.claim(week, kind, recipient, now):
            return []
        try:
            posted = self.client.chat_postMessage(channel=channel or recipient, **message)
        except SlackApiError as exc:
            error = exc.response.get("error")
            if on_refused is not None and error not in TRANSIENT:
                self.store.refused(week, kind, recipient, now)
                log.warning(
                    "Slack refused the check-in %s for %s (%s); it is not tried again", kind, week, error
                )
                return [f"{kind} {week} -> {recipient} refused: {error}", *on_refused()]
            self.store.release(week, kind, recipient)
            log.warning(
                "the check-in %s for %s could not be sent (%s); the next tick retries", kind, week, error
            )
            return []
        except Exception:
            self.store.release(week, kind, recipient)  # nothing went out: the next tick tries again
            log.exception("the check-in %s for %s could not be sent; the next tick retries", kind, week)
            return []
        self.store.posted(week, kind, recipient, now, posted["ts"])
        return [f"{kind} {week} -> {recipient}"]

    def _card(self, week: str, now: datetime) -> list[str]:
        """The message card, on the check-in day from the prompt's time (district clock), once."""
        config, c = self.checkins.settings()
        due = schedule.at(week, c.prompt, config.timezone)
        if week in c.skip or not (due <= now and now.astimezone(due.tzinfo).date() == due.date()):
            return []
        statuses: dict[str, list[tuple[str, str]]] = {}
        try:
            for t in self.checkins.district.report().targets:
                statuses.setdefault(t.target.priority, []).append((t.target.label, t.status))
        except Exception:  # no results loaded: the card still carries the priorities and messages
            log.info("no target statuses for the check-in card", exc_info=True)
        text, built = blocks.card_message(config.priorities, statuses, week=week)
        return self._post(week, "card", c.channel, now, text=text, blocks=built)

    def _summary(self, week: str, now: datetime) -> list[str]:
        """The summary, once, after the close, for a week whose prompts went out (within a week of it)."""
        config, c = self.checkins.settings()
        closed = schedule.close_at(c, week, config.timezone)
        if week in c.skip or not (closed <= now < closed + timedelta(days=7)) or not self.store.members(week):
            return []
        return self.post_summary(week, now)

    def post_summary(self, week: str, now: datetime) -> list[str]:
        """Post a week's summary to the channel (once) with its trend chart in the thread. Before the close it
        is the summary so far, labelled so, posted each time asked: the close's own summary still goes out."""
        config, c = self.checkins.settings()
        summary = self.checkins.summary(week, now)
        people = {i["user"] for i in summary["items"]} | {
            u for r in summary["support_requests"] for u in (r["from"], r["to"])
        }
        # named in the channel, never mentioned: a summary notifies nobody
        text, built = blocks.summary_message(summary, config.priorities, self._display_names(people))
        if not summary["closed"]:
            posted = self.client.chat_postMessage(
                channel=c.channel, text=cut(text, FALLBACK_CHARS), blocks=built
            )
            return [f"summary so far {week} -> {c.channel} at {posted['ts']}"]
        said = self._post(week, "summary", c.channel, now, text=cut(text, FALLBACK_CHARS), blocks=built)
        if said and summary["trend"]:
            from bot.checkins.chart import trend_chart

            try:  # the summary is out; a failed chart must not cause a second one
                thread = self.store.message_ts(week, "summary", c.channel)
                names = {p.key: p.name for p in config.priorities}
                self.client.files_upload_v2(channel=c.channel, thread_ts=thread,
                                            content=trend_chart(summary["trend"], names),
                                            filename=f"check-ins-{week}.png",
                                            title=f"Check-ins by week, to the week of {schedule.label(week)}")  # fmt: skip
            except Exception:
                log.exception(
                    "the check-in summary for %s was posted but its chart could not be uploaded", week
                )
        if c.channel in self.store.sent(week, "summary"):  # retried each tick until every DM is out
            said += self._notes_of_the_week(week, now)
        return said

    def _notes_of_the_week(self, week: str, now: datetime) -> list[str]:
        """DM each author their own intervention notes logged since the previous check-in closed, once."""
        from bot.notes.model import NotesOff
        from bot.slack.members import channel_members
        from bot.slack.note_sending import week_message

        if self.notes is None:
            return []
        config, c = self.checkins.settings()
        try:
            self.notes.config()
        except NotesOff:
            return []
        # from the previous check-in's close to this one (a skipped week's notes come with the next): every
        # note falls in exactly one check-in's DM
        since = schedule.close_at(c, self.checkins.held_before(week), config.timezone)
        until = schedule.close_at(c, week, config.timezone)
        sent = self.store.sent(week, "notes")
        # stored times are UTC (SQLite compares them as text)
        logged = self.notes.week_by_author(since.astimezone(UTC), until.astimezone(UTC))
        waiting = {a: n for a, n in logged.items() if a not in sent}
        said: list[str] = []
        if not waiting:
            return said
        schools = {sid: s.name for sid, s in self.checkins.district.store.schools().items()}
        members = channel_members(self.client)
        for author, notes in sorted(waiting.items()):
            try:  # an author is sent only the notes they may read now (none, once no longer entitled)
                notes = [n for n in notes if self.notes.may_read(author, n, members=members, now=now)]
            except SlackApiError as exc:
                log.warning("the week's notes DMs wait: Slack answered %s", exc.response.get("error"))
                break
            if not notes:
                continue
            text, built = week_message(notes, schools, since=since, until=until)
            sent_now = self._post(week, "notes", author, now, text=text, blocks=built)
            if sent_now:  # taken back from Slack if one of these notes is deleted or expires
                ts = self.store.message_ts(week, "notes", author)
                self.notes.copies.record([n.id for n in notes], channel=author, ts=ts, kind="weekly")
            said += sent_now
        return said

    # -- support -------------------------------------------------------------------------------------
    def deliver_support(self, now: datetime) -> list[str]:
        """DM the person asked, and tell the requester when it is taken and done; each once."""
        said = []
        for request, kind in self.store.unsent_support():
            said += self._support(request, kind, now)
        return said

    def _support(self, request: Support, kind: str, now: datetime) -> list[str]:
        data = request.as_dict(now)
        to = (
            request.to_user
            if kind in ("support_ask", "support_withdrawn", "support_expired_to")
            else request.from_user
        )
        if kind == "support_ask":
            text, built = support_blocks.support_request_message(data)
        elif kind in ("support_taken", "support_done"):
            text, built = support_blocks.support_update_message(data)
        else:
            first = self.store.support(request.handed_from) if request.handed_from else None
            text, built = support_blocks.support_news_message(
                kind, data, handed_by=first.to_user if first else None
            )

        def undelivered() -> list[
            str
        ]:  # a request that never reached its person is closed, the requester told
            if kind == "support_ask" and self.store.move_support(request.id, UNSENT, now):
                return self._support(self.store.support(request.id), "support_unsent", now)
            return []

        return self._post(request.week, kind, str(request.id), now, channel=to, text=text, blocks=built,
                          on_refused=undelivered)  # fmt: skip


def _aware(moment: datetime, now: datetime) -> datetime:
    """SQLite gives back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
