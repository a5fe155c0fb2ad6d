"""The check-in tables: the one place that reads or writes them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine, and_, case, delete, func, insert, select, union, update
from sqlalchemy.exc import IntegrityError

from bot.store import claims
from bot.store.tables import (
    checkin_items,
    checkin_people,
    checkin_responses,
    checkin_sends,
    checkin_snoozes,
    checkin_support,
)

ANSWERED, SKIPPED = "answered", "skipped"
OPEN, TAKEN, DONE = "open", "taken", "done"
# a request closed without being done: by the requester, by the person asked, by age, or because Slack
# would not deliver it; HANDED: the person asked passed it on (a new request, `handed_from` this one)
WITHDRAWN, DECLINED, HANDED, EXPIRED, UNSENT = "withdrawn", "declined", "handed", "expired", "unsent"
ACTIVE = (OPEN, TAKEN)  # still waiting on someone


@dataclass(frozen=True)
class Item:
    """One thing a member reported: under a priority ("did" / "next") or as "other"."""

    id: int
    week: str
    user: str
    field: str
    filed: str | None
    text: str
    priority: str | None  # what it serves, as classified
    score: float


@dataclass(frozen=True)
class NewItem:
    field: str
    filed: str | None
    text: str
    priority: str | None
    score: float


@dataclass(frozen=True)
class Support:
    """A request for support from one member to another, followed until done."""

    id: int
    week: str
    from_user: str
    to_user: str
    text: str
    status: str
    created_at: datetime
    handed_from: int | None = None  # the request the person first asked handed on as this one

    def as_dict(self, now: datetime) -> dict:
        created = self.created_at if self.created_at.tzinfo else self.created_at.replace(tzinfo=UTC)
        return {"id": self.id, "from": self.from_user, "to": self.to_user, "text": self.text,
                "status": self.status, "week": self.week, "age_days": (now - created).days,
                "handed_from": self.handed_from}  # fmt: skip


class _Changed(Exception):
    """What was to be cleared changed meanwhile: the transaction rolls back."""


def _item(row) -> Item:
    return Item(row.id, row.week, row.user_id, row.field, row.filed, row.text, row.priority, row.score)


def _support(row) -> Support:
    return Support(row.id, row.week, row.from_user, row.to_user, row.text, row.status, row.created_at,
                   row.handed_from)  # fmt: skip


class CheckinStore:
    """Repository over the check-in tables; safe to share between threads and instances."""

    def __init__(self, *, engine: Engine) -> None:
        self._engine = engine

    # -- people --------------------------------------------------------------------------------------
    def people(self, users: list[str]) -> dict[str, tuple[str | None, datetime | None, date | None]]:
        """user -> (time zone, when it was read from Slack, away until)."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(checkin_people).where(checkin_people.c.user_id.in_(users))).all()
        return {r.user_id: (r.tz, r.tz_checked_at, r.away_until) for r in rows}

    def _upsert_person(self, user: str, **values) -> None:
        """Update the person, or add them; another instance adding them first is no error."""
        row = update(checkin_people).where(checkin_people.c.user_id == user).values(**values)
        with self._engine.begin() as conn:
            if conn.execute(row).rowcount:
                return
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(checkin_people).values(user_id=user, **values))
        except IntegrityError:  # added meanwhile by another instance (two `serve` on one PostgreSQL)
            with self._engine.begin() as conn:
                conn.execute(row)

    def set_tz(self, user: str, tz: str, now: datetime) -> None:
        self._upsert_person(user, tz=tz, tz_checked_at=now)

    def set_away(self, user: str, until: date | None) -> None:
        self._upsert_person(user, away_until=until)

    def snooze(self, week: str, user: str, until: datetime, now: datetime) -> datetime | None:
        """Keep a member's one "remind me later" of a week; returns the one already asked for, if any."""
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(checkin_snoozes).values(week=week, user_id=user, until=until, asked_at=now)
                )
            return None
        except IntegrityError:
            return self.snoozes(week)[user]

    def snoozes(self, week: str) -> dict[str, datetime]:
        """user -> when they asked to be reminded of the week's check-in (UTC)."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(checkin_snoozes).where(checkin_snoozes.c.week == week)).all()
        return {r.user_id: r.until if r.until.tzinfo else r.until.replace(tzinfo=UTC) for r in rows}

    # -- answers -------------------------------------------------------------------------------------
    def response(self, week: str, user: str) -> str | None:
        """'answered', 'skipped' or None."""
        with self._engine.connect() as conn:
            return conn.execute(
                select(checkin_responses.c.status).where(
                    checkin_responses.c.week == week, checkin_responses.c.user_id == user
                )
            ).scalar()

    def responses(self, week: str) -> dict[str, str]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(checkin_responses.c.user_id, checkin_responses.c.status).where(
                    checkin_responses.c.week == week
                )
            ).all()
        return dict(rows)

    @staticmethod
    def _set_response(conn, week: str, user: str, status: str, now: datetime) -> None:
        key = and_(checkin_responses.c.week == week, checkin_responses.c.user_id == user)
        if not conn.execute(
            update(checkin_responses).where(key).values(status=status, updated_at=now)
        ).rowcount:
            conn.execute(
                insert(checkin_responses).values(week=week, user_id=user, status=status, updated_at=now)
            )

    def set_response(self, week: str, user: str, status: str, now: datetime) -> None:
        with self._engine.begin() as conn:
            self._set_response(conn, week, user, status, now)

    def add_items(
        self, week: str, user: str, items: list[NewItem], now: datetime, *, replace: bool = False
    ) -> None:
        """Store items (all or none); `replace` swaps out everything the member filed this week."""
        with self._engine.begin() as conn:
            if replace:
                conn.execute(
                    delete(checkin_items).where(checkin_items.c.week == week, checkin_items.c.user_id == user)
                )
            if items:
                conn.execute(insert(checkin_items), [
                    {"week": week, "user_id": user, "created_at": now, **i.__dict__} for i in items
                ])  # fmt: skip
            self._set_response(conn, week, user, ANSWERED, now)

    def clear(self, week: str, user: str, *, count: int, newest: int) -> int | None:
        """Remove everything a member filed for a week, and their answer: as if they had not answered; only if
        it is still the `count` items up to id `newest` they were shown (else None, and nothing changes)."""
        mine = (checkin_items.c.week == week, checkin_items.c.user_id == user)
        try:
            with self._engine.begin() as conn:
                removed = conn.execute(
                    delete(checkin_items).where(*mine, checkin_items.c.id <= newest)
                ).rowcount
                later = conn.execute(
                    select(checkin_items.c.id).where(*mine, checkin_items.c.id > newest)
                ).first()
                if removed != count or later is not None:  # edited, added to or cleared since: keep it all
                    raise _Changed
                conn.execute(
                    delete(checkin_responses).where(
                        checkin_responses.c.week == week, checkin_responses.c.user_id == user
                    )
                )
        except _Changed:  # the transaction rolled back
            return None
        return removed

    def item(self, item_id: int) -> Item | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(checkin_items).where(checkin_items.c.id == item_id)).first()
        return _item(row) if row else None

    def refile(self, item: Item, **values) -> bool:
        """Change an item if it is still as `item` says (False: edited or removed meanwhile)."""
        same = [checkin_items.c[k] == v for k, v in (("field", item.field), ("text", item.text))]
        same.append(checkin_items.c.filed == item.filed if item.filed else checkin_items.c.filed.is_(None))
        with self._engine.begin() as conn:
            return bool(
                conn.execute(
                    update(checkin_items).where(checkin_items.c.id == item.id, *same).values(**values)
                ).rowcount
            )

    def items(self, week: str, user: str | None = None) -> list[Item]:
        query = select(checkin_items).where(checkin_items.c.week == week).order_by(checkin_items.c.id)
        if user:
            query = query.where(checkin_items.c.user_id == user)
        with self._engine.connect() as conn:
            return [_item(r) for r in conn.execute(query)]

    def history(self, *, since: str | None = None, users: Sequence[str] = (), priority: str | None = None,
                none: bool = False) -> list[Item]:  # fmt: skip
        """Items over the weeks from `since` (oldest first), of `users` if given, serving `priority` if given,
        or serving none with `none`."""
        query = select(checkin_items).order_by(
            checkin_items.c.week, checkin_items.c.user_id, checkin_items.c.id
        )
        if since:
            query = query.where(checkin_items.c.week >= since)
        if users:
            query = query.where(checkin_items.c.user_id.in_(list(users)))
        if priority:
            query = query.where(checkin_items.c.priority == priority)
        if none:
            query = query.where(checkin_items.c.priority.is_(None))
        with self._engine.connect() as conn:
            return [_item(r) for r in conn.execute(query)]

    def members(self, week: str) -> set[str]:
        """Who took part in a week's check-in: everyone prompted, and everyone who answered or skipped."""
        prompted = select(checkin_sends.c.recipient.label("user")).where(
            checkin_sends.c.week == week, checkin_sends.c.kind == "prompt", checkin_sends.c.status == "posted"
        )
        responded = select(checkin_responses.c.user_id.label("user")).where(checkin_responses.c.week == week)
        with self._engine.connect() as conn:
            return set(conn.execute(union(prompted, responded)).scalars())

    def shares(self, since: str, until: str) -> dict[str, float | None]:
        """week -> the share of its items that serve a priority, for weeks with items in [since, until]."""
        serving = func.sum(case((checkin_items.c.priority.is_not(None), 1), else_=0))
        query = (
            select(checkin_items.c.week, serving, func.count())
            .where(checkin_items.c.week >= since, checkin_items.c.week <= until)
            .group_by(checkin_items.c.week)
        )
        with self._engine.connect() as conn:
            return {week: round(on / total, 3) for week, on, total in conn.execute(query) if total}

    def counts(self, since: str, until: str) -> dict[str, dict[str | None, int]]:
        """week -> priority (None: serves none) -> its items, for weeks with items in [since, until]."""
        query = (
            select(checkin_items.c.week, checkin_items.c.priority, func.count())
            .where(checkin_items.c.week >= since, checkin_items.c.week <= until)
            .group_by(checkin_items.c.week, checkin_items.c.priority)
        )
        found: dict[str, dict[str | None, int]] = {}
        with self._engine.connect() as conn:
            for week, priority, n in conn.execute(query):
                found.setdefault(week, {})[priority] = n
        return found

    # -- support -------------------------------------------------------------------------------------
    def add_support(self, week: str, from_user: str, to_user: str, text: str, now: datetime, *,
                    handed_from: Support | None = None) -> Support:  # fmt: skip
        """A new request; asking the same person the same thing again the same week, while the first is
        still waiting, returns the first. One handed on keeps the first's age and points back to it."""
        with self._engine.begin() as conn:
            same = conn.execute(
                select(checkin_support).where(
                    checkin_support.c.week == week, checkin_support.c.from_user == from_user,
                    checkin_support.c.to_user == to_user, checkin_support.c.text == text,
                    checkin_support.c.status.in_(ACTIVE),
                )
            ).first()  # fmt: skip
            if same:
                return _support(same)
            values = {"week": week, "from_user": from_user, "to_user": to_user, "text": text, "status": OPEN}
            if handed_from is not None:
                values |= {"handed_from": handed_from.id}
            created = handed_from.created_at if handed_from is not None else now
            new_id = conn.execute(
                insert(checkin_support).values(**values, created_at=created)
            ).inserted_primary_key[0]
            return _support(conn.execute(select(checkin_support).where(checkin_support.c.id == new_id)).one())

    def support(self, request_id: int) -> Support | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(checkin_support).where(checkin_support.c.id == request_id)).first()
        return _support(row) if row else None

    def move_support(self, request_id: int, to: str, now: datetime) -> bool:
        """open -> taken -> done (or closed otherwise), never back; False when it is already there or past it."""
        allowed = {TAKEN: [OPEN], UNSENT: [OPEN]}.get(to, ACTIVE)
        stamp = "taken_at" if to == TAKEN else "done_at"
        with self._engine.begin() as conn:
            return bool(
                conn.execute(
                    update(checkin_support)
                    .where(checkin_support.c.id == request_id, checkin_support.c.status.in_(allowed))
                    .values(status=to, **{stamp: now})
                ).rowcount
            )

    def support_requests(self, *, open_only: bool = False, week: str | None = None,
                         done_since: datetime | None = None, user: str | None = None) -> list[Support]:  # fmt: skip
        """Oldest first. `week`: those asked that week, those from before still not done (they carry
        over), and those done since `done_since`."""
        query = select(checkin_support).order_by(checkin_support.c.id)
        if open_only:
            query = query.where(checkin_support.c.status.in_(ACTIVE))
        if week:
            shown = (checkin_support.c.week == week) | checkin_support.c.status.in_(ACTIVE)
            if done_since is not None:
                shown = shown | (checkin_support.c.done_at >= done_since)
            query = query.where(checkin_support.c.week <= week, shown)
        if user:
            query = query.where((checkin_support.c.from_user == user) | (checkin_support.c.to_user == user))
        with self._engine.connect() as conn:
            return [_support(r) for r in conn.execute(query)]

    # -- sends ---------------------------------------------------------------------------------------
    @staticmethod
    def _key(week: str, kind: str, recipient: str) -> dict:
        return {"week": week, "kind": kind, "recipient": recipient}

    def claim(self, week: str, kind: str, recipient: str, now: datetime) -> bool:
        return claims.claim(self._engine, checkin_sends, self._key(week, kind, recipient), now)

    def release(self, week: str, kind: str, recipient: str) -> None:
        claims.release(self._engine, checkin_sends, self._key(week, kind, recipient))

    def posted(self, week: str, kind: str, recipient: str, now: datetime, ts: str | None) -> None:
        claims.posted(self._engine, checkin_sends, self._key(week, kind, recipient), now, message_ts=ts)

    def sent(self, week: str, kind: str) -> dict[str, datetime]:
        """recipient -> when it went out."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(checkin_sends.c.recipient, checkin_sends.c.posted_at).where(
                    checkin_sends.c.week == week,
                    checkin_sends.c.kind == kind,
                    checkin_sends.c.status == "posted",
                )
            ).all()
        return dict(rows)

    def message_ts(self, week: str, kind: str, recipient: str) -> str | None:
        """The Slack timestamp of a message that went out."""
        with self._engine.connect() as conn:
            return conn.execute(
                select(checkin_sends.c.message_ts).where(*(checkin_sends.c[k] == v for k, v in
                                                           self._key(week, kind, recipient).items()))
            ).scalar()  # fmt: skip

    def refused(self, week: str, kind: str, recipient: str, now: datetime) -> None:
        """Slack will never take this message (a deactivated account, a bot): it is not tried again."""
        with self._engine.begin() as conn:
            conn.execute(
                update(checkin_sends)
                .where(*(checkin_sends.c[k] == v for k, v in self._key(week, kind, recipient).items()))
                .values(status="refused", posted_at=now)
            )

    def expire_support(self, before: datetime, now: datetime) -> int:
        """Close every request still waiting that was asked before `before`; how many."""
        with self._engine.begin() as conn:
            return conn.execute(
                update(checkin_support)
                .where(checkin_support.c.status.in_(ACTIVE), checkin_support.c.created_at < before)
                .values(status=EXPIRED, done_at=now)
            ).rowcount

    def unsent_support(self) -> list[tuple[Support, str]]:
        """Requests and status changes whose message has not gone out yet: (request, kind). A message Slack
        refused for good counts as gone; news for the person asked goes only where the request reached."""
        with self._engine.connect() as conn:
            done = {(k, r): st for k, r, st in conn.execute(
                select(checkin_sends.c.kind, checkin_sends.c.recipient, checkin_sends.c.status)
                .where(checkin_sends.c.kind.like("support_%"), checkin_sends.c.status.in_(["posted", "refused"]))
            ).all()}  # fmt: skip
        due = {
            OPEN: ["support_ask"],
            TAKEN: ["support_ask", "support_taken"],
            DONE: ["support_ask", "support_done"],
            DECLINED: ["support_declined"],
            WITHDRAWN: ["support_withdrawn"],
            EXPIRED: ["support_expired", "support_expired_to"],
            UNSENT: ["support_unsent"],
            HANDED: [],
        }
        to_asked = {"support_withdrawn", "support_expired_to"}  # only if the request reached them
        out = []
        for r in self.support_requests():
            kinds = due[r.status] + (["support_handed"] if r.handed_from is not None else [])
            for kind in kinds:
                if (kind, str(r.id)) in done:
                    continue
                if kind in to_asked and done.get(("support_ask", str(r.id))) != "posted":
                    continue
                out.append((r, kind))
        return out
