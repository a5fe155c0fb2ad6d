"""Check-ins: what members file each week, the support they ask of one another, and the summary.

Every method takes `now` from the caller (the one clock, injected in tests); the Slack listeners,
the jobs and the CLI all call this service.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.checkins import schedule
from bot.checkins.commands import invisible
from bot.checkins.store import (
    ACTIVE,
    ANSWERED,
    DECLINED,
    DONE,
    HANDED,
    SKIPPED,
    TAKEN,
    WITHDRAWN,
    CheckinStore,
    Item,
    NewItem,
    Support,
)
from bot.district.config import CheckinsConfig, DistrictConfig
from bot.district.service import District, NotLoaded

FIELD_CHARS = 3000  # Slack's limit on a modal input: a field's items must fit back into the modal
TREND_WEEKS = 12
SNOOZE_AFTERNOON, SNOOZE_MORNING = time(14, 0), time(9, 0)  # "Remind me at 2 pm", "Tomorrow morning"
STALE_WEEKS = 3  # a "next" item planned this many check-ins running is pointed out to its author
SUPPORT_DAYS = 28  # a request nobody has closed after four weeks is closed, and both people told


class NotConfigured(Exception):
    """No district data, or no [checkins] section in the district file."""


class Refusal(Exception):
    """What is wrong with a request, in words for the person who made it."""


class ClearFirst(Exception):
    """A form saved with every field empty: the member confirms before their `count` items go (the newest
    of them `newest`: what the confirmation clears, and nothing filed after it)."""

    def __init__(self, week: str, count: int, newest: int) -> None:
        super().__init__(f"{count} items in {week}")
        self.week, self.count, self.newest = week, count, newest


def block_id(field: str, priority: str | None) -> str:
    """Where a field's text lives in the modal: 'did:literacy', 'next:literacy', 'other'."""
    return f"{field}:{priority}" if priority else field


def lines(text: str) -> list[str]:
    """A modal field's items: one a line, bullets and blank lines dropped."""
    kept = (line.strip().lstrip("-•*").strip() for line in text.splitlines())
    return [line for line in kept if not invisible(line)]  # a zero-width space alone is a blank line


def asks_to_move(item: Item) -> bool:
    """Filed under a priority, but read as serving none: the member is asked to keep it there or move it."""
    return item.filed is not None and item.priority is None


class CheckIns:
    """The check-in service."""

    def __init__(
        self, *, store: CheckinStore, district: District, classifier: Callable[[DistrictConfig], object]
    ):
        self.store = store
        self.district = district
        self._make_classifier = classifier
        self._classifier: tuple[tuple, object] | None = None
        self._lock = threading.Lock()

    # -- configuration and the week ------------------------------------------------------------------
    def settings(self) -> tuple[DistrictConfig, CheckinsConfig]:
        try:
            config = self.district.config()
        except NotLoaded as exc:
            raise NotConfigured(str(exc)) from None
        if config.checkins is None:
            raise NotConfigured(f"check-ins are off: {self.district.file} has no [checkins] section "
                                "(docs/checkins.md)")  # fmt: skip
        return config, config.checkins

    def week(self, now: datetime) -> str:
        """The check-in that what is filed now goes into: this week's until its close, then next week's; a
        week the district file skips gives way to the first one after it."""
        config, c = self.settings()
        week = schedule.current_week(now, config.timezone)
        week = week if schedule.is_open(c, week, now, config.timezone) else schedule.shift(week, 1)
        while week in c.skip:  # at most a year of weeks: the district file refuses a longer closure
            week = schedule.shift(week, 1)
        return week

    def snooze(self, user: str, week: str, later: str, now: datetime) -> str:
        """A member's "remind me later" on the prompt, once per week: at 14:00 today ("afternoon") or 09:00
        tomorrow ("tomorrow"), in their own time zone; says when, or raises Refusal with why not."""
        config, c = self.settings()
        if week != self.week(now):
            raise Refusal(f"The check-in for the week of {schedule.label(week)} has closed.")
        if self.store.response(week, user):
            raise Refusal("You have answered this week's check-in already: no reminder needed.")
        tz = self.store.people([user]).get(user, (None,))[0] or config.timezone
        asked = self.store.snoozes(week).get(user)
        if asked is not None:
            raise Refusal(
                f"You asked for a reminder this week already: {asked.astimezone(ZoneInfo(tz)):%a %H:%M}."
            )
        local = now.astimezone(ZoneInfo(tz))
        if later == "afternoon":
            until = datetime.combine(local.date(), SNOOZE_AFTERNOON, ZoneInfo(tz))
            if until <= local:
                raise Refusal("It is past 2 pm where you are: choose *Tomorrow morning*, or fill it in now.")
        elif later == "tomorrow":
            until = datetime.combine(local.date() + timedelta(days=1), SNOOZE_MORNING, ZoneInfo(tz))
        else:
            raise Refusal("That button no longer works: type `/checkin` to fill in your check-in.")
        if until >= schedule.close_at(c, week, config.timezone):
            raise Refusal(f"The check-in closes {self.close_label(week)}, before then: fill it in now.")
        earlier = self.store.snooze(week, user, until.astimezone(UTC), now)
        if earlier is not None:  # asked at the same moment from another click
            raise Refusal(
                f"You asked for a reminder this week already: {earlier.astimezone(ZoneInfo(tz)):%a %H:%M}."
            )
        return f"I'll remind you {until:%a %H:%M} ({tz})."

    def held_before(self, week: str) -> str:
        """The last week before `week` whose check-in was held (not skipped)."""
        _, c = self.settings()
        week = schedule.shift(week, -1)
        while week in c.skip:
            week = schedule.shift(week, -1)
        return week

    def close_label(self, week: str) -> str:
        config, c = self.settings()
        return f"{schedule.close_at(c, week, config.timezone):%a %d %b %H:%M} ({config.timezone})"

    def check_open(self, week: str, now: datetime) -> None:
        """Refuse filing into a week that has closed (a modal left open past the close)."""
        config, c = self.settings()
        if not schedule.is_open(c, week, now, config.timezone):
            raise Refusal(f"The check-in for the week of {schedule.label(week)} closed {self.close_label(week)}; "
                          "its summary has gone out. Nothing was saved: copy your text from this form and add it "
                          "with `/checkin` to this week's check-in.")  # fmt: skip

    # -- classification ------------------------------------------------------------------------------
    def classify(self, texts: list[str], filed: list[str | None] | None = None) -> list:
        """The priority each text serves, or None (Verdicts, in input order)."""
        config, _ = self.settings()
        key = (tuple(config.priorities), tuple(config.targets))
        with self._lock:
            if self._classifier is None or self._classifier[0] != key:
                self._classifier = (key, self._make_classifier(config))
            classifier = self._classifier[1]
        return classifier.classify(texts, filed) if texts else []

    def _new_items(self, entries: list[tuple[str, str | None, str]], kept: list[Item] = ()) -> list[NewItem]:
        """Items to store. Filed under a priority, an item shows there unless the classifier is confident it
        serves none (then the member is asked); an item saved again unchanged keeps what it was (and so the
        member's own choice)."""
        known = {(i.field, i.filed, i.text): (i.priority, i.score) for i in kept}
        fresh = [e for e in entries if e not in known]
        verdicts = dict(
            zip(fresh, self.classify([t for _, _, t in fresh], [f for _, f, _ in fresh]), strict=True)
        )
        out = []
        for entry in entries:
            field, filed, text = entry
            if entry in known:
                out.append(NewItem(field, filed, text, *known[entry]))
                continue
            v = verdicts[entry]
            out.append(
                NewItem(field, filed, text, filed if filed and not v.surely_none else v.priority, v.score)
            )
        return out

    # -- filing --------------------------------------------------------------------------------------
    def add(self, user: str, field: str, filed: str | None, text: str, now: datetime) -> tuple[str, Item]:
        """One item from `/checkin key: text`; returns the week and the item as stored."""
        week = self.week(now)
        if invisible(text):
            raise Refusal("That item has nothing to read in it: write what you did.")
        mine = [i for i in self.store.items(week, user) if i.field == field and i.filed == filed]
        used = len("\n".join(i.text for i in mine)) + (1 if mine else 0)  # a line break before the new one
        if used + len(text) > FIELD_CHARS:
            held = (
                f"already holds {used:,} of them this week, so this one can be at most {FIELD_CHARS - used:,}"
            )
            raise Refusal(f"That item is {len(text):,} characters. A field of the check-in form holds {FIELD_CHARS:,} "
                          f"characters in all (Slack's limit) and this one {held}: shorten it, or edit the "
                          "field with `/checkin`.")  # fmt: skip
        self.store.add_items(week, user, self._new_items([(field, filed, text)]), now)
        return week, self.store.items(week, user)[-1]

    def form(self, user: str, week: str) -> tuple[dict[str, str], list[Support], bool]:
        """What the modal opens with: each field's saved items, one a line, the support asked, and whether the
        "did" fields hold last week's "next" items, offered as done (only while nothing is saved this week)."""
        saved: dict[str, list[str]] = {}
        for item in self.store.items(week, user):
            saved.setdefault(block_id(item.field, item.filed), []).append(item.text)
        offered = not saved and bool(planned := self.carried(user, week).planned)
        for item in planned if offered else []:
            saved.setdefault(block_id("did", item.filed), []).append(item.text)
        asked = [r for r in self.store.support_requests(week=week, user=user) if r.from_user == user]
        return {k: "\n".join(v) for k, v in saved.items()}, asked, offered

    def carried(self, user: str, week: str) -> Carried:
        """What a member's check-in for `week` carries from the weeks before: the "next" items of the last
        check-in held, those of them planned in each of the last STALE_WEEKS check-ins, and the support they
        asked for that is still waiting."""
        held = [self.held_before(week)]
        while len(held) < STALE_WEEKS:
            held.append(self.held_before(held[-1]))
        planned = [[i for i in self.store.items(w, user) if i.field == "next"] for w in held]
        again = [{_same(i.text) for i in items} for items in planned[1:]]
        stale = [i.text for i in planned[0] if all(_same(i.text) in earlier for earlier in again)]
        waiting = [r for r in self.store.support_requests(open_only=True, user=user) if r.from_user == user]
        return Carried(planned[0], stale, waiting)

    def save_form(self, user: str, week: str, texts: dict[str, str], support: tuple[str | None, str],
                  now: datetime) -> tuple[list[Item], Support | None]:  # fmt: skip
        """The modal's answers replace what the member filed this week; a support request is added."""
        self.check_open(week, now)
        config, _ = self.settings()
        person, need = support[0], " ".join(support[1].split())
        if bool(person) != bool(need):
            raise Refusal("A support request needs both the person and what you need from them.")
        if person == user:  # refused before anything is saved, like every other fault of the form
            raise Refusal("You asked yourself for support; pick the colleague whose help you need.")
        entries = []
        for p in config.priorities:
            for field in ("did", "next"):
                entries += [(field, p.key, line) for line in lines(texts.get(block_id(field, p.key), ""))]
        entries += [("other", None, line) for line in lines(texts.get("other", ""))]
        saved = self.store.items(week, user)
        if not entries and not person:
            if saved:  # withdrawing everything: asked first, then `clear`
                raise ClearFirst(week, len(saved), max(i.id for i in saved))
            raise Refusal("Your check-in is empty: write at least one thing you did, or use `/checkin skip`.")
        if entries or not saved:
            self.store.add_items(week, user, self._new_items(entries, saved), now, replace=True)
        request = self.ask(user, person, need, now, week=week) if person else None
        return self.store.items(week, user), request

    def ask(self, user: str, person: str, text: str, now: datetime, *, week: str | None = None) -> Support:
        """A support request; the person asked gets a DM (sent by the caller's Sender)."""
        if person == user:
            raise Refusal("You asked yourself for support; pick the colleague whose help you need.")
        return self.store.add_support(week or self.week(now), user, person, text, now)

    def clear(self, user: str, week: str, shown: tuple[int, int], now: datetime) -> str:
        """Withdraw everything a member filed for a week (still open): as if they had not answered. `shown` is
        what they were asked to confirm, (count, newest item id); if the week's items changed since, nothing
        is removed (ids are never reused, so the same count up to the same newest id is the same items)."""
        self.check_open(week, now)
        count, newest = shown
        removed = self.store.clear(week, user, count=count, newest=newest)
        if removed is None:
            held = len(self.store.items(week, user))
            raise Refusal(f"Your check-in changed since you asked to clear it: you were shown {_items(count)}, and it "
                          f"holds {_items(held)} now{' (edited since)' if held == count else ''}. Nothing was removed; "
                          "`/checkin clear` again clears what is there now.")  # fmt: skip
        return (f"Cleared your check-in for the week of {schedule.label(week)}: {_items(removed)} removed. "
                "Fill it in again with `/checkin`, or skip the week with `/checkin skip`.")  # fmt: skip

    def to_clear(self, user: str, now: datetime) -> tuple[str, int, int]:
        """The open week, how many items the member has filed in it and the newest one's id (0: none): what
        `/checkin clear` would remove."""
        week = self.week(now)
        items = self.store.items(week, user)
        return week, len(items), max((i.id for i in items), default=0)

    def refile(self, item_id: int, user: str, keep: bool, now: datetime) -> tuple[Item, str]:
        """The member's answer to "keep it there, or move it to Anything else?"; it stands."""
        item = self.store.item(item_id)
        if item is not None and item.user != user:
            raise Refusal("Only the member who filed that item can keep it there or move it.")
        if item is None or not asks_to_move(item):
            raise Refusal(
                "That item has been changed or removed since; `/checkin status` shows your check-in."
            )
        self.check_open(item.week, now)
        config, _ = self.settings()
        name = next((p.name for p in config.priorities if p.key == item.filed), item.filed)
        if keep:
            changed = self.store.refile(item, priority=item.filed)
            said = f"Kept under *{name}*"
        else:
            changed = self.store.refile(item, field="other", filed=None)
            said = "Moved to *Anything else*"
        if not changed:
            raise Refusal(
                "That item has been changed or removed since; `/checkin status` shows your check-in."
            )
        return item, said

    def skip(self, user: str, now: datetime) -> str:
        week = self.week(now)
        if self.store.items(week, user):
            return (f"You have already filed items for the week of {schedule.label(week)}; they stay. "
                    "Use `/checkin` to edit them.")  # fmt: skip
        self.store.set_response(week, user, SKIPPED, now)
        return (
            f"Skipped the week of {schedule.label(week)}: no reminder, and the summary counts you as skipped."
        )

    def away(self, user: str, until: date) -> str:
        self.store.set_away(user, until)
        return f"Prompts are paused until {until:%a %d %b %Y}; welcome back then. `/checkin back` ends it sooner."

    def back(self, user: str, now: datetime) -> str:
        """End an away early: prompts resume (this week's, if it is still open and was missed)."""
        person = self.store.people([user]).get(user)
        if not person or not person[2] or person[2] <= now.date():
            return "You are not away: your prompts are on."
        self.store.set_away(user, None)
        return "Welcome back: your prompts are on again."

    def take(self, request_id: int, user: str, now: datetime, *, done: bool = False) -> Support:
        """The person asked takes a request, or marks it done; only they may."""
        request = self._mine(request_id, user, "Only the person asked can take this request or mark it done.")
        return self._move(request, DONE if done else TAKEN, now)

    def decline(self, request_id: int, user: str, now: datetime) -> Support:
        """The person asked cannot help: the request closes and the requester is told."""
        return self._move(self._mine(request_id, user, "Only the person asked can decline this request."),
                          DECLINED, now)  # fmt: skip

    def withdraw(self, request_id: int, user: str, now: datetime) -> Support:
        """The requester no longer needs it: the request closes and the person asked is told."""
        request = self._mine(request_id, user, "Only the person who asked can withdraw this request.",
                             by="from_user")  # fmt: skip
        return self._move(request, WITHDRAWN, now)

    def hand_on(
        self, request_id: int, user: str, person: str, now: datetime, *, vet: Callable[[str], None]
    ) -> Support:
        """The person asked passes a request to a colleague: a new request with the first one's age; the
        requester is told who has it now. Whose request it is comes first, then `vet(person)` (which raises
        Refusal for someone who cannot take it)."""
        request = self._mine(request_id, user, "Only the person asked can hand this request on.")
        if person in (user, request.from_user):
            who = "yourself" if person == user else f"<@{request.from_user}>, who asked"
            raise Refusal(f"You picked {who}; hand it on to the colleague who can help.")
        vet(person)
        self._move(request, HANDED, now)
        return self.store.add_support(request.week, request.from_user, person, request.text, now,
                                      handed_from=request)  # fmt: skip

    def _mine(self, request_id: int, user: str, refusal: str, *, by: str = "to_user") -> Support:
        """The request, if `user` is the person asked (`by`: or the person who asked); else Refusal."""
        request = self.store.support(request_id)
        if request is None or getattr(request, by) != user:
            raise Refusal(refusal)
        return request

    def _move(self, request: Support, to: str, now: datetime) -> Support:
        if not self.store.move_support(request.id, to, now):
            raise Refusal(f"This request is already {_closed(request.status)}.")
        return self.store.support(request.id)

    def expire(self, now: datetime) -> int:
        """Close requests still waiting after SUPPORT_DAYS; both people are told (by the Sender)."""
        return self.store.expire_support((now - timedelta(days=SUPPORT_DAYS)).astimezone(UTC), now)

    # -- reading -------------------------------------------------------------------------------------
    def status(self, user: str, now: datetime) -> dict:
        week = self.week(now)
        people = self.store.people([user]).get(user)
        away = people[2] if people and people[2] and people[2] > now.date() else None
        p = self.participation(week)
        return {"week": week, "close": self.close_label(week),
                "mine": [i.__dict__ for i in self.store.items(week, user)],
                "asked": [r.as_dict(now) for r in self.store.support_requests(user=user, open_only=False)
                          if r.from_user == user and r.status != HANDED and (r.week == week or r.status in ACTIVE)],
                "answered": p["answered"], "members": p["members"], "skipped_count": p["skipped"],
                "skipped": self.store.response(week, user) == SKIPPED,
                "away_until": away.isoformat() if away else None}  # fmt: skip

    def participation(self, week: str) -> dict:
        """Who answered of those expected (the members, less those who skipped): the summary's and status's count."""
        members = self.store.members(week)
        responses = self.store.responses(week)
        answered = sum(1 for s in responses.values() if s == ANSWERED)
        skipped = sum(1 for s in responses.values() if s == SKIPPED)
        expected = len(members) - skipped
        return {"answered": answered, "members": expected,
                "rate": round(answered / expected, 3) if expected else None, "skipped": skipped}  # fmt: skip

    def support_list(self, now: datetime, *, open_only: bool = False) -> list[dict]:
        return [r.as_dict(now) for r in self.store.support_requests(open_only=open_only)]

    def history(
        self, *, since: str | None = None, users: Sequence[str] = (), priority: str | None = None
    ) -> list[dict]:
        """Items over the weeks, oldest first, as rows (what `checkin history` prints and exports). `priority`
        is a priority key, or "none" for the items that serve none; an unknown one is refused."""
        config, _ = self.settings()
        keys = [p.key for p in config.priorities]
        if priority is not None and priority not in [*keys, "none"]:
            raise Refusal(f"'{priority}' is not one of the priorities ({', '.join(keys)}) or 'none'.")
        items = self.store.history(since=since, users=users, priority=None if priority == "none" else priority,
                                   none=priority == "none")  # fmt: skip
        return [{"week": i.week, "week_of": schedule.monday(i.week).isoformat(), "member": i.user, "field": i.field,
                 "filed": i.filed or "", "serves": i.priority or "", "text": i.text} for i in items]  # fmt: skip

    def recent(self, user: str, weeks: int, now: datetime) -> list[dict]:
        """A member's items of their last `weeks` check-ins (this week's included), oldest first, each with
        `serves_name`: the name of the priority it serves, or "serves no priority"."""
        config, _ = self.settings()
        names = {p.key: p.name for p in config.priorities}
        rows = self.history(since=schedule.shift(self.week(now), -(weeks - 1)), users=[user])
        return [{**r, "serves_name": names.get(r["serves"], "serves no priority")} for r in rows]

    def summary(self, week: str, now: datetime) -> dict:
        """The week's summary as data (what `checkin summary --json` prints and the channel is shown)."""
        with self.district.pinned():  # one version of the district file for all of it
            return self._summary(week, now)

    def _summary(self, week: str, now: datetime) -> dict:
        config, c = self.settings()
        items = self.store.items(week)
        first = schedule.shift(week, -(TREND_WEEKS - 1))
        shares, counts = self.store.shares(first, week), self.store.counts(first, week)
        week_start = datetime.combine(schedule.monday(week), datetime.min.time(), ZoneInfo(config.timezone))
        return {
            "week": week,
            "closes": schedule.close_at(c, week, config.timezone).isoformat(),
            "closed": not schedule.is_open(c, week, now, config.timezone),  # else: the summary so far
            "participation": self.participation(week),
            "on_message_share": shares.get(week),
            # a skipped week is a gap in the trend, named so
            "trend": [{"week": w, "share": shares.get(w), "items": _by_priority(counts.get(w, {})),
                       "participation": self.participation(w)["rate"], **({"skipped": True} if w in c.skip else {})}
                      for w in sorted(set(shares) | _skipped_between(c.skip, first, week))],
            "items": [{"user": i.user, "priority": i.priority, "text": i.text, "field": i.field, "filed": i.filed}
                      for i in items],
            "support_requests": [r.as_dict(now) for r in self.store.support_requests(
                week=week, done_since=week_start) if r.status != HANDED],  # the one handed on carries it
        }  # fmt: skip


@dataclass(frozen=True)
class Carried:
    planned: list[Item]  # "next" items of the last check-in held
    stale: list[str]  # of those, the ones planned in each of the last STALE_WEEKS check-ins
    waiting: list[Support]  # the member's support requests not done yet


def _by_priority(counts: dict[str | None, int]) -> dict[str, int]:
    """A week's items by the priority they serve, "none" for those that serve none."""
    return {key or "none": n for key, n in counts.items()}


def _same(text: str) -> str:
    """An item's text as compared week to week: case and spacing aside."""
    return " ".join(text.casefold().split())


def _skipped_between(skip: tuple[str, ...], first: str, last: str) -> set[str]:
    return {w for w in skip if first <= w <= last}


def _items(n: int) -> str:
    return "1 item" if n == 1 else f"{n} items"


def _closed(status: str) -> str:
    return {HANDED: "handed on", "expired": "closed after four weeks", "unsent": "closed: Slack would not deliver it"
            }.get(status, status)  # fmt: skip
