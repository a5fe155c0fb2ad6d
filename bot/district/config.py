"""`district.toml` as pydantic models, and the district config the rest of the code reads.

`DistrictFile` mirrors the file: one model per table, every key typed, unknown keys refused, TOML's own
types required (`60`, not `"60"`). `DistrictFile.to_config()` gives the flat `DistrictConfig` that the
digest, the jobs and the views read and the store keeps as JSON. A new section of the file is one more
table model and one more field of `DistrictFile`.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from bot.district.fields import DAYS as DAYS  # the week's days, as schedules write them
from bot.district.fields import (
    ChannelId,
    Closure,
    Grade,
    Key,
    Minutes,
    Percent,
    Schedule,
    Text,
    TimeZone,
    Tolerance,
    UserId,
    Year,
    channel_or_people,
    closure_weeks,
    rule,
    week_minute,
)
from bot.district.problems import problem

MAX_PRIORITIES = 5
MAX_EXAMPLES = 20  # a priority's examples of work that serves it
TOO_MANY = (
    "{n} priorities; Resolute accepts at most 5. Systems that improve keep relentless focus on a "
    "small number of key priorities; with more, no one can say which matters most and the message is lost. "
    "Choose the few that matter most and fold the others into how those are pursued."
)


class Table(BaseModel):
    """A table of the district file: known keys only, each of TOML's own type."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    example: ClassVar[str] = ""  # shown when a value is not a table at all


class Priority(Table):
    """One [[priorities]] entry: the key everything refers to, its name, its one-line message and, optionally,
    a few examples of work that serves it (check-in items are judged against them) and its owner: the person
    a question about it goes to when the documents fall short."""

    key: Key
    name: Text
    message: Text
    examples: list[Text] = Field(default_factory=list, max_length=MAX_EXAMPLES)
    owner: UserId | None = None


RESPOND_TO = ("mentions", "questions")  # only when mentioned; every question asked, answered in a thread
RespondTo = Annotated[str, rule(lambda v: v in RESPOND_TO, "'{value}' must be \"mentions\" (answer only when "
                                "mentioned) or \"questions\" (answer every question, in a thread)")]  # fmt: skip


class ChannelRule(Table):
    """One [[channels]] entry: how Resolute answers in a channel and, optionally, the school the channel is
    about (checked against schools.csv when the data is loaded)."""

    example: ClassVar[str] = '{ id = "C0123456789", respond_to = "questions" }'
    id: ChannelId
    respond_to: RespondTo = "mentions"
    school: Text | None = None


class Point(Table):
    example: ClassVar[str] = "{ year = 2022, value = 61.0 }"
    year: Year
    value: Percent


class TargetEntry(Table):
    """One [[targets]] entry as written."""

    priority: Key
    measure: Key
    label: Text
    baseline: Point
    goal: Point
    interim: dict[str, Percent] = {}
    tolerance: Tolerance = 2.0
    group: Key = "all"

    @field_validator("priority")
    @classmethod
    def _known_priority(cls, key: str, info: ValidationInfo) -> str:
        keys = (info.context or {}).get("priority_keys")
        if keys is not None and key not in keys:
            raise problem(f"'{key}' is not a priority key ({', '.join(sorted(keys)) or 'none defined'})")
        return key

    @field_validator("goal")
    @classmethod
    def _after_baseline(cls, goal: Point, info: ValidationInfo) -> Point:
        baseline = info.data.get("baseline")  # absent when the baseline itself is at fault
        if baseline is not None and goal.year <= baseline.year:
            raise problem("must be after the baseline year", "year")
        return goal

    @field_validator("interim")
    @classmethod
    def _between_baseline_and_goal(cls, interim: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        baseline, goal = info.data.get("baseline"), info.data.get("goal")
        for year in interim:
            if not year.isdigit() or (baseline and goal and not baseline.year < int(year) < goal.year):
                raise problem("must be a year between the baseline and the goal", year)
        return interim

    def target(self) -> Target:
        """The flat form the progress rules use."""
        return Target(priority=self.priority, measure=self.measure, label=self.label,
                      baseline_year=self.baseline.year, baseline_value=self.baseline.value,
                      goal_year=self.goal.year, goal_value=self.goal.value,
                      interim={int(y): v for y, v in self.interim.items()}, tolerance=self.tolerance,
                      group=self.group)  # fmt: skip


class MeasureEntry(Table):
    """One [[measures]] entry: what a measure key is called, so that a leader never reads the key."""

    key: Key
    name: Text
    grade: Grade | None = None
    subject: Text | None = None
    aliases: list[Text] = []
    higher_is_better: bool = True

    def info(self) -> MeasureInfo:
        """The form the code reads and the store keeps."""
        return MeasureInfo(key=self.key, name=self.name, grade=self.grade and self.grade.upper(),
                           subject=self.subject, aliases=tuple(self.aliases),
                           higher_is_better=self.higher_is_better)  # fmt: skip


class DistrictTable(Table):
    """The [district] table."""

    name: Text
    timezone: TimeZone
    leadership_channel: ChannelId | None = None
    digest_channel: ChannelId | None = None
    digest_schedule: Schedule = "fri 15:00"
    help_desk: UserId | None = None  # who a question no priority owns goes to when the documents fall short
    # default: every measure with a grade (from [[measures]], its targets' labels or its key), set at load
    on_the_move_measures: Annotated[list[Key], Field(min_length=1)] | None = None
    coasting_within: Percent = 5.0
    coasting_change: Percent = 2.0


class CheckinsTable(Table):
    """The [checkins] table: the weekly prompt, its reminder and the close, in the district's words."""

    schedule: Schedule = "mon 09:00"  # in each member's own time zone
    reminder_after: Minutes = 240  # written "4h"
    close: Schedule = Field("wed 17:00", validate_default=True)  # in the district's time zone
    members: list[UserId] | None = None  # written "channel" (the default: its members) or user ids
    channel: ChannelId | None = None
    skip: list[Closure] = []  # weeks without a check-in: holidays, closures

    @field_validator("members", mode="before")
    @classmethod
    def _channel_or_people(cls, value: object) -> object:
        return channel_or_people(value, "its members")

    @field_validator("close")
    @classmethod
    def _after_prompt(cls, close: str, info: ValidationInfo) -> str:
        schedule, wait = info.data.get("schedule"), info.data.get("reminder_after")
        if schedule is None:
            return close
        if week_minute(close) <= week_minute(schedule):
            raise problem(
                f"'{close}' must come after the prompt ('{schedule}') in the same week (mon to sun)"
            )
        if wait is not None and week_minute(schedule) + wait >= week_minute(close):
            raise problem(
                f"the reminder ({wait // 60}h{wait % 60:02d} after '{schedule}') would come after the close"
            )
        return close


NOTE_TYPES = ("credit_rescue", "credit_recovery", "credit_anticipation", "tutoring", "attendance",
              "school_support_visit", "other")  # fmt: skip


Days = Annotated[
    int, rule(lambda v: 1 <= v <= 36500, "must be a number of days from 1 to 36500, not {value!r}")
]
# an Ed-Fi descriptor's code value: at most 50 characters, no space at either end (the Ed-Fi API's rule)
CodeValue = Annotated[str, rule(lambda v: 0 < len(v) <= 50 and v == v.strip(),
                                "must be an Ed-Fi code value of 1 to 50 characters, not {value!r}")]  # fmt: skip
Namespace = Annotated[str, rule(lambda v: 5 <= len(v) <= 255 and v.startswith("uri://") and "#" not in v,
                                "must be a descriptor namespace such as 'uri://ed-fi.org', not {value!r}")]  # fmt: skip


class EdfiTable(Table):
    """[notes.edfi]: how notes are written as the Ed-Fi API's interventions and their students'
    associations (`resolute notes export --format edfi`)."""

    example: ClassVar[str] = '{ education_organization_id = 255901, type_map = { tutoring = "Supplement" } }'
    education_organization_id: Annotated[int, rule(lambda v: 0 < v < 2**63,
                                                    "must be the district's Ed-Fi id, a positive whole number")]  # fmt: skip
    # each note type's InterventionClassDescriptor code value (Ed-Fi's own: Curriculum, Other, Practice,
    # Supplement); a type left out is not exported, and the export says so
    type_map: dict[Key, CodeValue] = {}
    delivery_method: CodeValue = "Individual"  # DeliveryMethodDescriptor: a note is about one student
    namespace: Namespace = "uri://ed-fi.org"  # whose descriptors: Ed-Fi's, or the state's own


class NotesTable(Table):
    """The [notes] table: who may log and read intervention notes, their types, and how long they are kept."""

    readers: list[UserId] | None = None  # written "channel" (the default: the leadership channel's members)
    admins: list[UserId] = []  # may edit and delete anyone's notes (authors may always change their own)
    # readers of some schools' notes only: a school id (checked against schools.csv) -> user ids
    school_readers: dict[str, list[UserId]] = {}
    types: Annotated[list[Key], Field(min_length=1)] = list(NOTE_TYPES)
    allow_student_names: bool = False
    retention_days: Days = 730
    # how long the record of who accessed a note outlives the note
    audit_retention_days: Days = 365
    edfi: EdfiTable | None = None

    @field_validator("school_readers")
    @classmethod
    def _narrower(cls, school_readers: dict[str, list[str]], info: ValidationInfo) -> dict[str, list[str]]:
        # a district reader (listed, or an admin) reads every school already: listing them for a school too
        # would say two things about the same person
        district = set(info.data.get("admins") or ()) | set(info.data.get("readers") or ())
        for school, users in school_readers.items():
            for i, user in enumerate(users):
                if user in district:
                    where = "admins" if user in (info.data.get("admins") or ()) else "readers"
                    raise problem(f"{user} reads every school's notes already (in {where})", school, i)
        return school_readers

    @field_validator("edfi")
    @classmethod
    def _mapped_types(cls, edfi: EdfiTable | None, info: ValidationInfo) -> EdfiTable | None:
        types = info.data.get("types") or []
        for key in edfi.type_map if edfi else ():
            if key not in types:
                raise problem(f"'{key}' is not a note type ({', '.join(types)})", "type_map", key)
        return edfi

    @field_validator("readers", mode="before")
    @classmethod
    def _channel_or_people(cls, value: object) -> object:
        return channel_or_people(value, "the leadership channel's members")

    @field_validator("types")
    @classmethod
    def _unique_types(cls, types: list[str]) -> list[str]:
        for i, key in enumerate(types):
            if key in types[:i]:
                raise problem(f"'{key}' is listed twice", i)
        return types


class DistrictFile(Table):
    """The whole district file, validated with `read`; each section is a table model, so a misspelt table
    is an unknown key."""

    district: DistrictTable
    priorities: list[Priority] = Field(default_factory=list, validate_default=True)
    targets: list[TargetEntry] = []
    checkins: CheckinsTable | None = None
    notes: NotesTable | None = None
    measures: list[MeasureEntry] = []
    groups: dict[Key, Text] = {}  # a readable name per student-group key
    channels: list[ChannelRule] = []

    @field_validator("channels", mode="before")
    @classmethod
    def _unique_channels(cls, entries: object) -> object:
        # before the entries are checked, so that a channel listed twice is said even when an entry is at fault
        if not isinstance(entries, list):
            return entries
        written = [e.get("id") if isinstance(e, dict) else None for e in entries]
        ids = [i.strip() if isinstance(i, str) else None for i in written]
        for i, id_ in enumerate(ids):
            if isinstance(id_, str) and id_ in ids[:i]:
                raise problem(f"'{id_}' is listed twice (first in channels[{ids.index(id_)}])", i, "id")
        return entries

    @field_validator("measures", mode="before")
    @classmethod
    def _unique_measures(cls, entries: object) -> object:
        # before the entries are checked, so that a key described twice is said even when an entry is at fault
        keys = [e.get("key") for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
        for i, key in enumerate(keys):
            if isinstance(key, str) and key in keys[:i]:
                raise problem(f"'{key}' is described twice (first in measures[{keys.index(key)}])", i, "key")
        return entries

    @field_validator("groups")
    @classmethod
    def _not_all(cls, groups: dict[str, str]) -> dict[str, str]:
        if "all" in groups:
            raise problem("'all' is every student, not a group: leave it out", "all")
        return groups

    @field_validator("priorities", mode="before")
    @classmethod
    def _few(cls, entries: object) -> object:
        if isinstance(entries, list) and not entries:
            raise problem("at least one [[priorities]] table is needed")
        if isinstance(entries, list) and len(entries) > MAX_PRIORITIES:
            raise problem(TOO_MANY.format(n=len(entries)), MAX_PRIORITIES)  # at the first one too many
        return entries

    @field_validator("priorities")
    @classmethod
    def _unique(cls, priorities: list[Priority]) -> list[Priority]:
        keys = [p.key for p in priorities]
        for i, key in enumerate(keys):
            if key in keys[:i]:
                raise problem(f"'{key}' is used twice", i, "key")
        return priorities

    @classmethod
    def read(cls, raw: dict) -> DistrictFile:
        """Validate a parsed district file; pydantic's ValidationError lists every fault."""
        entries = raw.get("priorities")
        keys = [p.get("key") for p in entries if isinstance(p, dict)] if isinstance(entries, list) else []
        # targets check their priority against the file's keys even when another part of the file is at fault
        context = {"priority_keys": {k.strip() for k in keys if isinstance(k, str)}}
        return cls.model_validate(raw, context=context)

    @field_validator("checkins")
    @classmethod
    def _has_channel(cls, checkins: CheckinsTable | None, info: ValidationInfo) -> CheckinsTable | None:
        district = info.data.get("district")
        if checkins and not checkins.channel and district and not district.leadership_channel:
            raise problem("no channel for the summary: set channel here or leadership_channel in [district]",
                          "channel")  # fmt: skip
        return checkins

    @field_validator("notes")
    @classmethod
    def _has_readers(cls, notes: NotesTable | None, info: ValidationInfo) -> NotesTable | None:
        district = info.data.get("district")
        if notes and notes.readers is None and district and not district.leadership_channel:
            raise problem('readers = "channel" needs leadership_channel in [district]; or list the readers',
                          "readers")  # fmt: skip
        return notes

    def to_config(self) -> DistrictConfig:
        """The flat config the code reads and the store keeps."""
        d = self.district
        day, time = d.digest_schedule.split()
        c = self.checkins
        checkins = c and CheckinsConfig(prompt=c.schedule, reminder_minutes=c.reminder_after,
                                        close=c.close, members=c.members or "channel",
                                        channel=c.channel or d.leadership_channel,
                                        skip=tuple(sorted({w for x in c.skip for w in closure_weeks(x)})))  # fmt: skip
        n = self.notes
        notes = n and NotesConfig(readers=n.readers or "channel", channel=d.leadership_channel,
                                  admins=tuple(n.admins), types=tuple(n.types),
                                  allow_student_names=n.allow_student_names, retention_days=n.retention_days,
                                  school_readers={k: tuple(v) for k, v in n.school_readers.items()},
                                  audit_retention_days=n.audit_retention_days, edfi=n.edfi)  # fmt: skip
        return DistrictConfig(name=d.name, timezone=d.timezone, leadership_channel=d.leadership_channel,
                              digest_channel=d.digest_channel, digest_day=day, digest_time=time,
                              priorities=self.priorities, targets=[t.target() for t in self.targets],
                              on_the_move_measures=tuple(d.on_the_move_measures or ()),
                              coasting_within=d.coasting_within, coasting_change=d.coasting_change,
                              checkins=checkins, notes=notes, measures=tuple(m.info() for m in self.measures),
                              groups=dict(self.groups), channels=tuple(self.channels),
                              help_desk=d.help_desk)  # fmt: skip


class CheckinsConfig(BaseModel):
    """The weekly check-in as the code reads it: 'mon 09:00' schedules, the reminder in minutes."""

    model_config = ConfigDict(frozen=True)
    prompt: str  # in each member's time zone
    reminder_minutes: int
    close: str  # in the district's time zone
    members: str | list[str]  # "channel" or user ids
    channel: str
    skip: tuple[str, ...] = ()  # ISO weeks ('2026-W52') with no prompt, reminder, card or summary


class NotesConfig(BaseModel):
    """Intervention notes as the code reads them: who is entitled, the types, the retention."""

    model_config = ConfigDict(frozen=True)
    readers: str | list[str]  # "channel" (the leadership channel's members) or user ids
    channel: str | None  # the leadership channel
    admins: tuple[str, ...] = ()
    types: tuple[str, ...] = NOTE_TYPES
    allow_student_names: bool = False
    retention_days: int = 730
    school_readers: dict[str, tuple[str, ...]] = {}  # school id -> the people who read its notes only
    audit_retention_days: int = 365
    edfi: EdfiTable | None = None

    def schools_of(self, user: str) -> frozenset[str]:
        """The schools whose notes `user` reads as a school reader (empty: not one)."""
        return frozenset(school for school, users in self.school_readers.items() if user in users)


class MeasureInfo(BaseModel):
    """A measure as [[measures]] describes it: its name, grade, subject, other names and direction."""

    model_config = ConfigDict(frozen=True)
    key: str
    name: str
    grade: str | None = None
    subject: str | None = None
    aliases: tuple[str, ...] = ()
    higher_is_better: bool = True


EPSILON = 1e-9  # values are compared as computed; this only absorbs floating-point noise


def status_of(
    value: float, expected: float, goal: float, tolerance: float, *, lower_is_better: bool = False
) -> str:
    """The status of a value against its trajectory; for a measure whose goal is below its baseline (chronic
    absence), the same rules with every value mirrored."""
    if lower_is_better:
        value, expected, goal = -value, -expected, -goal
    if value >= goal - EPSILON:
        return "met"
    if value >= expected - EPSILON:
        return "on_track"
    if value >= expected - tolerance - EPSILON:
        return "at_risk"
    return "off_track"


class Target(BaseModel):
    """A target as the progress rules use it: baseline and goal points flattened, interim years as ints."""

    model_config = ConfigDict(frozen=True)
    priority: str
    measure: str
    label: str
    baseline_year: int
    baseline_value: float
    goal_year: int
    goal_value: float
    interim: dict[int, float] = {}
    tolerance: float = 2.0
    group: str = "all"

    def status(self, value: float, year: int) -> str:
        """The status of a value in a year against this target's trajectory (`status_of`)."""
        lower = self.goal_value < self.baseline_value  # chronic absence: lower is better
        return status_of(value, self.expected(year), self.goal_value, self.tolerance, lower_is_better=lower)

    def expected(self, year: int) -> float:
        """The trajectory: the interim value for `year` if given, else linear from baseline to goal."""
        if year in self.interim:
            return self.interim[year]
        span = self.goal_year - self.baseline_year
        t = min(max(year, self.baseline_year), self.goal_year)
        return self.baseline_value + (self.goal_value - self.baseline_value) * (t - self.baseline_year) / span


class DistrictConfig(BaseModel):
    """The validated district file as the code reads it (and the store keeps it)."""

    model_config = ConfigDict(frozen=True)
    name: str
    timezone: str
    leadership_channel: str | None
    digest_channel: str | None
    digest_day: str
    digest_time: str  # HH:MM, local
    priorities: list[Priority]
    targets: list[Target]
    on_the_move_measures: tuple[str, ...] = ()
    coasting_within: float = 5.0
    coasting_change: float = 2.0
    checkins: CheckinsConfig | None = None
    notes: NotesConfig | None = None
    measures: tuple[MeasureInfo, ...] = ()  # from [[measures]]: what each measure key is called
    groups: dict[str, str] = {}  # from [groups]: what each student-group key is called
    channels: tuple[ChannelRule, ...] = ()  # from [[channels]]: how Resolute answers in each channel listed
    help_desk: str | None = None  # a user id: who a question no priority owns goes to

    def channel(self, channel_id: str) -> ChannelRule | None:
        """The [[channels]] entry for a channel, if the district file lists it."""
        return next((c for c in self.channels if c.id == channel_id), None)

    def as_dict(self) -> dict:
        """JSON-ready form (stored with the data)."""
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: dict) -> DistrictConfig:
        """Inverse of `as_dict`."""
        return cls.model_validate(data)
