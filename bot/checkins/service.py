"""Check-ins: what members file each week, the support they ask of one another, and the summary.

Every method takes `now` from the caller (the one clock, injected in tests); the Slack listeners,
the jobs and the CLI all call this service.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.checkins import schedule
from bot.checkins.store import ANSWERED, DONE, SKIPPED, TAKEN, CheckinStore, Item, NewItem, Support
from bot.district.config import CheckinsConfig, DistrictConfig
from bot.district.service import District, NotLoaded

FIELD_CHARS = 3000  # Slack's limit on a modal input: a field's items must fit back into the modal
TREND_WEEKS = 12


class NotConfigured(Exception):
    """No district data, or no [checkins] section in the district file."""


class Refusal(Exception):
    """What is wrong with a request, in words for the person who made it."""


def block_id(field: str, priority: str | None) -> str:
    """Where a field's text lives in the modal: 'did:literacy', 'next:literacy', 'other'."""
    return f"{field}:{priority}" if priority else field


def lines(text: str) -> list[str]:
    """A modal field's items: one a line, bullets and blank lines dropped."""
    return [
        line.strip().lstrip("-•*").strip() for line in text.splitlines() if line.strip().lstrip("-•*").strip()
    ]


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
            raise NotConfigured(f"check-ins are off: {self.district.file} has no [checkins] section (README, "
                                "'Weekly check-ins')")  # fmt: skip
        return config, config.checkins

    def week(self, now: datetime) -> str:
        """The check-in that what is filed now goes into: this week's until its close, then next week's."""
        config, c = self.settings()
        week = schedule.current_week(now, config.timezone)
        return week if schedule.is_open(c, week, now, config.timezone) else schedule.shift(week, 1)

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

    def _new_items(self, entries: list[tuple[str, str | None, str]]) -> list[NewItem]:
        verdicts = self.classify([text for _, _, text in entries], [filed for _, filed, _ in entries])
        return [
            NewItem(field, filed, text, v.priority, v.score)
            for (field, filed, text), v in zip(entries, verdicts, strict=True)
        ]

    # -- filing --------------------------------------------------------------------------------------
    def add(self, user: str, field: str, filed: str | None, text: str, now: datetime) -> tuple[str, Item]:
        """One item from `/checkin key: text`; returns the week and the item as stored."""
        week = self.week(now)
        mine = [i for i in self.store.items(week, user) if i.field == field and i.filed == filed]
        if len("\n".join([*(i.text for i in mine), text])) > FIELD_CHARS:
            raise Refusal(f"That field already holds {sum(len(i.text) + 1 for i in mine)} characters this week, "
                          f"and Slack's form holds {FIELD_CHARS}; edit it with `/checkin` to make room.")  # fmt: skip
        self.store.add_items(week, user, self._new_items([(field, filed, text)]), now)
        return week, self.store.items(week, user)[-1]

    def form(self, user: str, week: str) -> tuple[dict[str, str], list[Support]]:
        """What the modal opens with: each field's saved items, one a line, and the support asked."""
        saved: dict[str, list[str]] = {}
        for item in self.store.items(week, user):
            saved.setdefault(block_id(item.field, item.filed), []).append(item.text)
        asked = [r for r in self.store.support_requests(week=week, user=user) if r.from_user == user]
        return {k: "\n".join(v) for k, v in saved.items()}, asked

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
        if not entries and not person:
            raise Refusal("Your check-in is empty: write at least one thing you did, or use `/checkin skip`.")
        if entries or not self.store.items(week, user):
            self.store.add_items(week, user, self._new_items(entries), now, replace=True)
        request = self.ask(user, person, need, now, week=week) if person else None
        return self.store.items(week, user), request

    def ask(self, user: str, person: str, text: str, now: datetime, *, week: str | None = None) -> Support:
        """A support request; the person asked gets a DM (sent by the caller's Sender)."""
        if person == user:
            raise Refusal("You asked yourself for support; pick the colleague whose help you need.")
        return self.store.add_support(week or self.week(now), user, person, text, now)

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
        return f"Prompts are paused until {until:%a %d %b %Y}; welcome back then."

    def take(self, request_id: int, user: str, now: datetime, *, done: bool = False) -> Support:
        """The person asked takes a request, or marks it done; only they may."""
        request = self.store.support(request_id)
        if request is None or request.to_user != user:
            raise Refusal("Only the person asked can take or close this request.")
        if not self.store.move_support(request_id, DONE if done else TAKEN, now):
            raise Refusal(f"This request is already {request.status}.")
        return self.store.support(request_id)

    # -- reading -------------------------------------------------------------------------------------
    def status(self, user: str, now: datetime) -> dict:
        week = self.week(now)
        people = self.store.people([user]).get(user)
        away = people[2] if people and people[2] and people[2] > now.date() else None
        answered = [u for u, s in self.store.responses(week).items() if s == ANSWERED]
        return {"week": week, "close": self.close_label(week),
                "mine": [i.__dict__ for i in self.store.items(week, user)],
                "asked": [r.as_dict(now) for r in self.store.support_requests(user=user, open_only=False)
                          if r.from_user == user and (r.week == week or r.status != DONE)],
                "answered": len(answered), "members": len(self.store.members(week) | {user}),
                "skipped": self.store.response(week, user) == SKIPPED,
                "away_until": away.isoformat() if away else None}  # fmt: skip

    def support_list(self, now: datetime, *, open_only: bool = False) -> list[dict]:
        return [r.as_dict(now) for r in self.store.support_requests(open_only=open_only)]

    def summary(self, week: str, now: datetime) -> dict:
        """The week's summary as data (what `checkin summary --json` prints and the channel is shown)."""
        config, c = self.settings()
        members = self.store.members(week)
        responses = self.store.responses(week)
        answered = sum(1 for s in responses.values() if s == ANSWERED)
        skipped = sum(1 for s in responses.values() if s == SKIPPED)
        expected = len(members) - skipped
        items = self.store.items(week)
        shares = self.store.shares(schedule.shift(week, -(TREND_WEEKS - 1)), week)
        week_start = datetime.combine(schedule.monday(week), datetime.min.time(), ZoneInfo(config.timezone))
        return {
            "week": week,
            "closes": schedule.close_at(c, week, config.timezone).isoformat(),
            "participation": {"answered": answered, "members": expected,
                              "rate": round(answered / expected, 3) if expected else None, "skipped": skipped},
            "on_message_share": shares.get(week),
            "trend": [{"week": w, "share": shares[w]} for w in sorted(shares)],
            "items": [{"user": i.user, "priority": i.priority, "text": i.text, "field": i.field, "filed": i.filed}
                      for i in items],
            "support_requests": [r.as_dict(now) for r in self.store.support_requests(
                week=week, done_since=week_start)],
        }  # fmt: skip
