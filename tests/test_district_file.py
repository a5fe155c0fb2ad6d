"""The district file as models: unknown keys refused, every rule kept, each fault named by key path and line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.district.model import DistrictConfig, DistrictDataError, load_district
from bot.district.problems import line_of
from tests.test_district import RESULTS, TOML, write_district

SAMPLE = Path(__file__).resolve().parents[1] / "knowledge" / "district" / "district.toml"
PRIORITY = '\n[[priorities]]\nkey = "{key}"\nname = "N"\nmessage = "M"\n'


def line(text: str, needle: str, occurrence: int = 1) -> int:
    """The number of the line holding the `occurrence`-th `needle` (the test's own way to count)."""
    numbers = [n for n, text_line in enumerate(text.split("\n"), 1) if needle in text_line]
    return numbers[occurrence - 1]


def faults(tmp_path: Path, toml: str, results: str = RESULTS) -> list[str]:
    """The problems a load reports, without the district file's path (the CSVs' paths are kept)."""
    path = write_district(tmp_path / "d", toml=toml, results=results)
    with pytest.raises(DistrictDataError) as caught:
        load_district(path)
    assert all(p.startswith(str(path.parent)) for p in caught.value.problems), caught.value.problems
    return [p.removeprefix(f"{path}: ") for p in caught.value.problems]


# -- unknown keys ----------------------------------------------------------------------------------
DISTRICT_KEYS = (
    "name, timezone, leadership_channel, digest_channel, digest_schedule, help_desk, on_the_move_measures, "
    "coasting_within, coasting_change"
)
TABLES = "district, priorities, targets, checkins, notes, measures, groups, channels"
TARGET_KEYS = "priority, measure, label, baseline, goal, interim, tolerance, group"
SECOND_GOAL = "goal = { year = 2026, value = 60.0 }"


@pytest.mark.parametrize(
    ("toml", "needle", "occurrence", "expected"),
    [
        ('owner = "Board"\n' + TOML, "owner", 1,
         f"owner: unknown key 'owner' (known: {TABLES})"),
        (TOML.replace("digest_schedule =", "digest_shedule ="), "digest_shedule", 1,
         f"district.digest_shedule: unknown key 'digest_shedule' (did you mean 'digest_schedule'? "
         f"known: {DISTRICT_KEYS})"),
        (TOML.replace("tolerance = 1.0", "tolerence = 1.0"), "tolerence", 1,
         f"targets[1].tolerence: unknown key 'tolerence' (did you mean 'tolerance'? known: {TARGET_KEYS})"),
        (TOML.replace(SECOND_GOAL, "goal = { year = 2026, value = 60.0, month = 6 }"), "month", 1,
         "targets[1].goal.month: unknown key 'month' (known: year, value)"),
        (TOML + '\n[checkin]\nschedule = "mon 09:00"\n', "[checkin]", 1,
         f"checkin: unknown table 'checkin' (did you mean 'checkins'? known: {TABLES})"),
        (TOML + PRIORITY.replace("[[priorities]]", "[[priority]]").format(key="equity"), "[[priority]]", 1,
         f"priority: unknown table 'priority' (did you mean 'priorities'? known: {TABLES})"),
        # after [district], a plain `targets = [...]` belongs to [district] (TOML's rule), not the top
        (TOML.replace('digest_schedule = "fri 15:00"', 'digest_schedule = "fri 15:00"\ntargets = []'),
         "targets = []", 1, f"district.targets: unknown key 'targets' (known: {DISTRICT_KEYS})"),
    ],
)  # fmt: skip
def test_an_unknown_key_is_refused_with_its_name_and_line(tmp_path, toml, needle, occurrence, expected):
    assert faults(tmp_path, toml) == [f"line {line(toml, needle, occurrence)}: {expected}"]


# -- every rule, named by key path and line --------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "needle", "expected"),
    [
        ('priority = "literacy"\nmeasure = "g3_reading"\nlabel', 'priority = "reading"\nmeasure = "g3_reading"\nlabel',
         '"reading"', "targets[0].priority: 'reading' is not a priority key (literacy)"),
        ("measure = \"g3_reading\"\nlabel", "measure = \"G3 reading\"\nlabel", "G3 reading",
         "targets[0].measure: 'G3 reading' must be lower-case letters, digits and _"),
        (SECOND_GOAL, "goal = { year = 2021, value = 60.0 }", "year = 2021",
         "targets[1].goal.year: must be after the baseline year"),
        ("interim = { 2024 = 67.0 }", "interim = { 2024 = 67.0, 2027 = 70.0 }", "interim",
         "targets[0].interim.2027: must be a year between the baseline and the goal"),
        ("interim = { 2024 = 67.0 }", "interim = { 2024 = 167.0 }", "interim",
         "targets[0].interim.2024: must be a number from 0 to 100, not 167"),
        ("baseline = { year = 2022, value = 40.0 }", "baseline = { year = 2022, value = 140.0 }", "140",
         "targets[1].baseline.value: must be a number from 0 to 100, not 140"),
        ("baseline = { year = 2022, value = 40.0 }", "baseline = { year = 1890, value = 40.0 }", "1890",
         "targets[1].baseline.year: must be a year from 1990 to 2100, not 1890"),
        ("baseline = { year = 2022, value = 40.0 }", 'baseline = { year = 2022, value = "40" }', '"40"',
         "targets[1].baseline.value: must be a number, not '40'"),
        ("baseline = { year = 2022, value = 40.0 }", "baseline = 2022", "baseline = 2022",
         "targets[1].baseline: must be a table such as { year = 2022, value = 61.0 }, not 2022"),
        ("tolerance = 1.0", "tolerance = 60", "tolerance",
         "targets[1].tolerance: must be a number from 0 to 50, not 60"),
        ('label = "Grade 3 reading, ELL (%)"', 'label = "  "', 'label = "  "', "targets[1].label: must not be empty"),
        ('label = "Grade 3 reading, ELL (%)"\n', "", ("[[targets]]", 2), "targets[1].label: missing"),
        ('name = "Test District"\n', "", "[district]", "district.name: missing"),
        ('name = "Test District"', "name = 5", "name = 5", "district.name: must be text, not 5"),
        ('"fri 15:00"\n', '"fri 15:00"\non_the_move_measures = "g3_reading"\n', "on_the_move",
         "district.on_the_move_measures: must be a list, not 'g3_reading'"),
        ('"America/Toronto"', '"Mars/Olympus"', "Mars",
         "district.timezone: 'Mars/Olympus' is not an IANA time zone such as 'America/Toronto'"),
        ('digest_channel = "C0LEAD0001"', 'digest_channel = "#leadership"', "#leadership",
         "district.digest_channel: '#leadership' is not a Slack channel id such as 'C0123456789'"),
        ('"fri 15:00"', '"friday at 3"', "friday at 3",
         "district.digest_schedule: 'friday at 3' is not a day and a 24-hour time such as 'fri 15:00'"),
        ('"fri 15:00"', '"fri 24:00"', "fri 24:00",
         "district.digest_schedule: 'fri 24:00' is not a day and a 24-hour time such as 'fri 15:00'"),
        ('"fri 15:00"\n', '"fri 15:00"\non_the_move_measures = []\n', "on_the_move",
         "district.on_the_move_measures: must not be empty"),
        ('"fri 15:00"\n', '"fri 15:00"\non_the_move_measures = ["g3_reading", "Grade 6"]\n', "on_the_move",
         "district.on_the_move_measures[1]: 'Grade 6' must be lower-case letters, digits and _"),
        ('"fri 15:00"\n', '"fri 15:00"\ncoasting_within = 120\n', "coasting_within",
         "district.coasting_within: must be a number from 0 to 100, not 120"),
        ('"fri 15:00"\n', '"fri 15:00"\ncoasting_change = -1.5\n', "coasting_change",
         "district.coasting_change: must be a number from 0 to 100, not -1.5"),
        ('measure = "g3_reading"\ngroup', 'measure = "g9_math"\ngroup', "g9_math",
         "targets[1].measure: 'g9_math' has no rows in results.csv"),
        ('group = "ell"', 'group = "frl"', "frl", "targets[1].group: results.csv has no 'frl' rows for 'g3_reading'"),
    ],
)  # fmt: skip
def test_each_rule_refuses_with_the_key_path_and_line(tmp_path, old, new, needle, expected):
    assert old in TOML
    toml = TOML.replace(old, new, 1)
    needle, occurrence = needle if isinstance(needle, tuple) else (needle, 1)
    assert faults(tmp_path, toml) == [f"line {line(toml, needle, occurrence)}: {expected}"]


def test_a_bad_priority_key_is_refused_and_the_targets_naming_another_are_too(tmp_path):
    toml = TOML.replace('key = "literacy"', 'key = "Literacy!"')
    assert faults(tmp_path, toml) == [
        f"line {line(toml, 'Literacy!')}: priorities[0].key: 'Literacy!' must be lower-case letters, digits and _",
        f"line {line(toml, 'priority = ', 1)}: targets[0].priority: 'literacy' is not a priority key (Literacy!)",
        f"line {line(toml, 'priority = ', 2)}: targets[1].priority: 'literacy' is not a priority key (Literacy!)",
    ]


def test_the_same_key_twice_and_no_priorities_are_refused(tmp_path):
    twice = TOML.replace("\n[[targets]]", PRIORITY.format(key="literacy") + "\n[[targets]]", 1)
    assert faults(tmp_path / "a", twice) == [
        f"line {line(twice, 'key = ', 2)}: priorities[1].key: 'literacy' is used twice"
    ]
    none = TOML.split("[[priorities]]")[0]
    assert faults(tmp_path / "b", none) == ["priorities: at least one [[priorities]] table is needed"]


def test_a_prioritys_examples_are_read_and_bad_ones_refused_by_key_path(tmp_path):
    given = TOML.replace('name = "Literacy"', 'name = "Literacy"\nexamples = ["Guided reading groups"]', 1)
    assert load_district(write_district(tmp_path / "a", toml=given)).config.priorities[0].examples == [
        "Guided reading groups"
    ]
    not_text = TOML.replace('name = "Literacy"', 'name = "Literacy"\nexamples = ["Guided reading", 3]', 1)
    assert faults(tmp_path / "b", not_text) == [
        f"line {line(not_text, 'examples')}: priorities[0].examples[1]: must be text, not 3"
    ]
    many = TOML.replace(
        'name = "Literacy"', f'name = "Literacy"\nexamples = {[f"e{i}" for i in range(21)]}', 1
    )
    (problem,) = faults(tmp_path / "c", many)
    assert problem.startswith(f"line {line(many, 'examples')}: priorities[0].examples: ") and "20" in problem


def test_six_priorities_are_refused_at_the_sixth_with_why_focus_matters(tmp_path):
    toml = TOML + "".join(PRIORITY.format(key=f"p{i}") for i in range(5))
    (problem,) = faults(tmp_path, toml)
    assert problem.startswith(
        f"line {line(toml, '[[priorities]]', 6)}: priorities[5]: 6 priorities; Resolute accepts at most 5."
    )
    assert "small number of key priorities" in problem


def test_without_a_district_table_the_fault_has_no_line(tmp_path):
    toml = "[[priorities]]" + TOML.split("[[priorities]]", 1)[1]
    assert faults(tmp_path, toml) == ["district: missing: add a [district] table"]


def test_every_fault_is_reported_at_once_in_the_files_order(tmp_path):
    toml = (
        TOML.replace("name =", "nmae =", 1)
        .replace('"America/Toronto"', '"Mars/Olympus"')
        .replace('priority = "literacy"\nmeasure = "g3_reading"\ngroup', 'priority = "equity"\nmeasure = "g3_reading"\ngroup')
        .replace(SECOND_GOAL, "goal = { year = 2026, value = 600.0 }")
    )  # fmt: skip
    problems = faults(tmp_path, toml, results=RESULTS + "Z,g3_reading,2025,60,10,all\n")
    assert problems[:5] == [
        "line 1: district.name: missing",  # at the [district] header
        f"line 2: district.nmae: unknown key 'nmae' (did you mean 'name'? known: {DISTRICT_KEYS})",
        "line 3: district.timezone: 'Mars/Olympus' is not an IANA time zone such as 'America/Toronto'",
        f"line {line(toml, 'equity')}: targets[1].priority: 'equity' is not a priority key (literacy)",
        f"line {line(toml, '600')}: targets[1].goal.value: must be a number from 0 to 100, not 600",
    ]
    assert problems[5:] == [f"{tmp_path / 'd' / 'results.csv'}: line 10: school_id 'Z' is not in schools.csv"]


# -- finding the line in the TOML text ------------------------------------------------------------
def test_line_of_follows_toml_tables_not_the_first_match():
    text = (
        '[district]\nname = "X"\n'  # 1-2
        '[[priorities]]\nkey = "a"\nmessage = """\n[[targets]]\ngoal = 1\n"""\n'  # 3-8: a string, not a table
        "[[ targets ]]\ngoal = { year = 2020 }\n"  # 9-10
        '[[targets]]\n"goal" = { year = 2021 }\n'  # 11-12
        "[[targets]]\nlabel = 'L'\n[targets.goal]\nyear = 2022\n"  # 13-16: a sub-table of the third
        "[[targets]]\ngoal.year = 2023\n"  # 17-18: a dotted key
        "[checkin.reminder]\nafter = '4h'\n"  # 19-20
    )
    assert line_of(text, ("targets", 0, "goal", "year")) == 10
    assert line_of(text, ("targets", 1, "goal", "year")) == 12
    assert line_of(text, ("targets", 2, "goal", "year")) == 16
    assert line_of(text, ("targets", 2, "label")) == 14
    assert line_of(text, ("targets", 3, "goal", "year")) == 18
    assert line_of(text, ("targets", 3, "measure")) == 17  # missing: the entry's header
    assert line_of(text, ("targets", 4, "goal")) is None  # no fifth entry
    assert line_of(text, ("priorities", 0, "message")) == 5
    assert line_of(text, ("priorities", 0, "name")) == 3
    assert line_of(text, ("district", "timezone")) == 1
    assert line_of(text, ("checkin",)) == 19  # only its sub-table is written
    assert line_of(text, ("notes",)) is None


# -- the sample district, and the config as stored -------------------------------------------------
def test_the_sample_district_loads_with_the_data_load_command(make_services, tmp_path, monkeypatch):
    monkeypatch.setenv("RESOLUTE_KNOWLEDGE_DIR", str(tmp_path / "knowledge"))
    monkeypatch.setenv("RESOLUTE_DISTRICT_FILE", str(SAMPLE))
    result = CliRunner().invoke(main, ["data", "load", "--no-index"])
    assert result.exit_code == 0, result.output
    assert "3 priorities, 6 targets" in result.output
    config = make_services(knowledge_dir=tmp_path / "knowledge", district_file=SAMPLE).district.config()
    assert (config.digest_day, config.digest_time, config.timezone) == ("mon", "08:00", "America/Toronto")
    assert [p.key for p in config.priorities] == ["literacy", "numeracy", "graduation"]
    assert config.targets[0].interim == {2023: 63.0, 2024: 67.0, 2025: 70.0}


def test_the_stored_config_round_trips_and_reads_what_earlier_releases_stored(tmp_path):
    config = load_district(SAMPLE).config
    stored = json.dumps(config.as_dict())
    assert DistrictConfig.from_dict(json.loads(stored)) == config
    assert json.loads(stored)["targets"][0]["interim"] == {"2023": 63.0, "2024": 67.0, "2025": 70.0}
    assert (
        config.channel("C0LEADERS01").respond_to == "mentions" and config.priorities[0].owner == "U0LITLEAD01"
    )
    earlier = {  # the JSON the store holds from before the file was validated by models
        "name": "D", "timezone": "America/Toronto", "leadership_channel": None, "digest_channel": "C0LEAD0001",
        "digest_day": "fri", "digest_time": "15:00",
        "priorities": [{"key": "literacy", "name": "Literacy", "message": "Every child reading."}],
        "targets": [{"priority": "literacy", "measure": "g3_reading", "label": "L", "baseline_year": 2022,
                     "baseline_value": 60.0, "goal_year": 2026, "goal_value": 80.0, "interim": {"2024": 67.0},
                     "tolerance": 2.0, "group": "all"}],
        "on_the_move_measures": ["g3_reading"], "coasting_within": 5.0, "coasting_change": 2.0,
    }  # fmt: skip
    read = DistrictConfig.from_dict(earlier)
    assert read.targets[0].interim == {2024: 67.0} and read.targets[0].expected(2024) == 67.0
    assert read.on_the_move_measures == ("g3_reading",) and read.checkins is None  # check-ins off
    priorities = [{**p, "examples": [], "owner": None} for p in earlier["priorities"]]  # these came later
    assert read.as_dict() == {**earlier, "priorities": priorities, "checkins": None, "notes": None, "measures": [],
                              "groups": {}, "channels": [], "help_desk": None}  # fmt: skip
    assert read.channel("C0LEAD0001") is None  # no [[channels]]: Resolute answers when mentioned


# -- [notes] ---------------------------------------------------------------------------------------
NOTES = '\n[notes]\nreaders = "channel"\nretention_days = 365\n'


def test_the_notes_section_defaults_and_reads_its_readers(tmp_path):
    config = load_district(write_district(tmp_path / "d", toml=TOML + NOTES)).config
    notes = config.notes
    assert notes.readers == "channel" and notes.channel == "C0LEAD0001" and notes.retention_days == 365
    assert notes.types[0] == "credit_rescue" and "school_support_visit" in notes.types and not notes.admins
    assert notes.allow_student_names is False
    listed = TOML + '\n[notes]\nreaders = ["U0ANA0001"]\nadmins = ["U0BEN0001"]\ntypes = ["tutoring"]\n'
    notes = load_district(write_district(tmp_path / "e", toml=listed)).config.notes
    assert notes.readers == ["U0ANA0001"] and notes.admins == ("U0BEN0001",) and notes.types == ("tutoring",)
    assert DistrictConfig.from_dict(json.loads(json.dumps(config.as_dict()))) == config
    assert load_district(write_district(tmp_path / "f")).config.notes is None  # no section: notes are off


@pytest.mark.parametrize(
    ("section", "needle", "expected"),
    [
        ('readers = "everyone"', "readers", 'notes.readers: must be "channel" (the leadership channel\'s members) '
         'or a list of Slack user ids such as ["U0123456789"]'),
        ('readers = ["alice"]', "readers", "notes.readers[0]: 'alice' is not a Slack user id such as 'U0123456789'"),
        ('types = ["tutoring", "tutoring"]', "types", "notes.types[1]: 'tutoring' is listed twice"),
        ("types = []", "types", "notes.types: must not be empty"),
        ('types = ["Credit Rescue"]', "types", "notes.types[0]: 'Credit Rescue' must be lower-case letters, digits and _"),
        ("retention_days = 0", "retention_days", "notes.retention_days: must be a number of days from 1 to 36500, not 0"),
        ('allow_student_names = "no"', "allow_student", "notes.allow_student_names: must be true or false, not 'no'"),
        ('reader = "channel"', "reader =", "notes.reader: unknown key 'reader' (did you mean 'readers'? known: "
         "readers, admins, school_readers, types, allow_student_names, retention_days, audit_retention_days, edfi)"),
        ("audit_retention_days = 0", "audit_retention",
         "notes.audit_retention_days: must be a number of days from 1 to 36500, not 0"),
        ('admins = ["U0ADMIN1"]\nschool_readers = { RB01 = ["U0ADMIN1"] }', "school_readers",
         "notes.school_readers.RB01[0]: U0ADMIN1 reads every school's notes already (in admins)"),
        ('school_readers = { RB01 = ["ana"] }', "school_readers",
         "notes.school_readers.RB01[0]: 'ana' is not a Slack user id such as 'U0123456789'"),
        ('[notes.edfi]\neducation_organization_id = 255901\ntype_map = { tutorng = "Supplement" }', "tutorng",
         "notes.edfi.type_map.tutorng: 'tutorng' is not a note type (credit_rescue, credit_recovery, "
         "credit_anticipation, tutoring, attendance, school_support_visit, other)"),
        ('[notes.edfi]\neducation_organization_id = "255901"', "education_organization_id",
         "notes.edfi.education_organization_id: must be a whole number, not '255901'"),
        ('school_readers = { Z = ["U0ANA00001"] }', "school_readers",  # known once schools.csv is read
         "notes.school_readers.Z: 'Z' is not a school_id in schools.csv"),
        ('[notes.edfi]\neducation_organization_id = 1\nnamespace = "ed-fi.org"', "namespace",
         "notes.edfi.namespace: must be a descriptor namespace such as 'uri://ed-fi.org', not 'ed-fi.org'"),
    ],
)  # fmt: skip
def test_each_notes_rule_refuses_with_the_key_path_and_line(tmp_path, section, needle, expected):
    toml = TOML + f"\n[notes]\n{section}\n"
    assert faults(tmp_path, toml) == [f"line {line(toml, needle)}: {expected}"]


def test_notes_read_by_the_channel_need_a_leadership_channel(tmp_path):
    toml = TOML.replace('leadership_channel = "C0LEAD0001"\n', "") + NOTES
    assert faults(tmp_path, toml) == [
        f'line {line(toml, "readers = ")}: notes.readers: readers = "channel" needs leadership_channel in '
        "[district]; or list the readers"
    ]


# -- [[channels]], priority owners and the help desk -----------------------------------------------
CHANNELS = """
[[channels]]
id = "C0LEAD0001"

[[channels]]
id = "G0ALPHA001"
respond_to = "questions"
school = "A"
"""
ROUTED = TOML.replace('"America/Toronto"', '"America/Toronto"\nhelp_desk = "U0DESK0001"').replace(
    'name = "Literacy"', 'name = "Literacy"\nowner = "U0LIT00001"'
)


def test_channels_owners_and_the_help_desk_are_read_and_kept(tmp_path):
    config = load_district(write_district(tmp_path / "d", toml=ROUTED + CHANNELS)).config
    lead, alpha = config.channels
    assert (lead.id, lead.respond_to, lead.school) == ("C0LEAD0001", "mentions", None)  # the default
    assert (alpha.id, alpha.respond_to, alpha.school) == ("G0ALPHA001", "questions", "A")
    assert config.channel("G0ALPHA001") == alpha and config.channel("C0OTHER001") is None
    assert config.priorities[0].owner == "U0LIT00001" and config.help_desk == "U0DESK0001"
    assert DistrictConfig.from_dict(json.loads(json.dumps(config.as_dict()))) == config
    plain = load_district(write_district(tmp_path / "e")).config  # all three are optional
    assert plain.channels == () and plain.priorities[0].owner is None and plain.help_desk is None


CHANNEL_KEYS = "id, respond_to, school"


@pytest.mark.parametrize(
    ("entry", "needle", "expected"),
    [
        ('id = "C0LEAD0002"\nrespond = "questions"', "respond =",
         f"channels[1].respond: unknown key 'respond' (did you mean 'respond_to'? known: {CHANNEL_KEYS})"),
        ('id = "C0LEAD0002"\nschool_id = "A"', "school_id",
         f"channels[1].school_id: unknown key 'school_id' (did you mean 'school'? known: {CHANNEL_KEYS})"),
        ('id = "#alpha"', "#alpha", "channels[1].id: '#alpha' is not a Slack channel id such as 'C0123456789'"),
        ('id = "U0ANA00001"', "U0ANA", "channels[1].id: 'U0ANA00001' is not a Slack channel id such as 'C0123456789'"),
        ('respond_to = "questions"', ("[[channels]]", 2), "channels[1].id: missing"),
        ('id = "C0LEAD0002"\nrespond_to = "always"', "always",
         "channels[1].respond_to: 'always' must be \"mentions\" (answer only when mentioned) or \"questions\" "
         "(answer every question, in a thread)"),
        ('id = "C0LEAD0002"\nrespond_to = true', "respond_to", "channels[1].respond_to: must be text, not True"),
        ('id = "C0LEAD0002"\nschool = " "', ("school", 2), "channels[1].school: must not be empty"),
        ('id = "C0LEAD0002"\nschool = 12', ("school", 2), "channels[1].school: must be text, not 12"),
        ('id = "C0LEAD0002"\nschool = "Z"', ("school", 2),
         "channels[1].school: 'Z' is not a school_id in schools.csv"),  # known once schools.csv is read
        ('id = "G0ALPHA001"', ("id = ", 2), "channels[1].id: 'G0ALPHA001' is listed twice (first in channels[0])"),
    ],
)  # fmt: skip
def test_each_channel_rule_refuses_with_the_key_path_and_line(tmp_path, entry, needle, expected):
    toml = TOML + '\n[[channels]]\nid = "G0ALPHA001"\nschool = "B"\n' + f"\n[[channels]]\n{entry}\n"
    needle, occurrence = needle if isinstance(needle, tuple) else (needle, 1)
    assert faults(tmp_path, toml) == [f"line {line(toml, needle, occurrence)}: {expected}"]


def test_a_channel_listed_twice_is_said_even_when_an_entry_is_at_fault(tmp_path):
    toml = (
        TOML + '\n[[channels]]\nid = "C0LEAD0001"\nrespond_to = "all"\n\n[[channels]]\nid = " C0LEAD0001"\n'
    )
    assert faults(tmp_path, toml) == [  # as for [[measures]]: the entries are checked once it is fixed
        f"line {line(toml, 'id = ', 2)}: channels[1].id: 'C0LEAD0001' is listed twice (first in channels[0])",
    ]


@pytest.mark.parametrize(
    ("old", "new", "needle", "expected"),
    [
        ('name = "Literacy"', 'name = "Literacy"\nowner = "@ana"', "@ana",
         "priorities[0].owner: '@ana' is not a Slack user id such as 'U0123456789'"),
        ('name = "Literacy"', 'name = "Literacy"\nowner = "C0LEAD0001"', "owner",
         "priorities[0].owner: 'C0LEAD0001' is not a Slack user id such as 'U0123456789'"),
        ('name = "Literacy"', 'name = "Literacy"\nowner = ["U0LIT00001"]', "owner",
         "priorities[0].owner: must be text, not ['U0LIT00001']"),
        ('name = "Literacy"', 'name = "Literacy"\nowners = "U0LIT00001"', "owners",
         "priorities[0].owners: unknown key 'owners' (did you mean 'owner'? known: key, name, message, examples, "
         "owner)"),
        ('"America/Toronto"', '"America/Toronto"\nhelp_desk = "helpdesk@riverbend.example"', "help_desk",
         "district.help_desk: 'helpdesk@riverbend.example' is not a Slack user id such as 'U0123456789'"),
        ('"America/Toronto"', '"America/Toronto"\nhelp_desk = 7', "help_desk", "district.help_desk: must be text, not 7"),
    ],
)  # fmt: skip
def test_each_owner_and_help_desk_rule_refuses_with_the_key_path_and_line(
    tmp_path, old, new, needle, expected
):
    assert old in TOML
    toml = TOML.replace(old, new, 1)
    assert faults(tmp_path, toml) == [f"line {line(toml, needle)}: {expected}"]


def test_the_sample_districts_commented_channel_loads_once_uncommented(tmp_path):
    text = SAMPLE.read_text(encoding="utf-8")
    example = text[text.index("# [[channels]]") :].split("\n\n", 1)[0]
    folder = tmp_path / "district"
    folder.mkdir()
    for name in ("schools.csv", "results.csv"):
        (folder / name).write_text(SAMPLE.with_name(name).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "district.toml").write_text(
        text.replace(example, re.sub("^# ", "", example, flags=re.M)), encoding="utf-8"
    )
    school = load_district(folder / "district.toml").config.channel("C0MAPLEPS01")
    assert (school.respond_to, school.school) == ("questions", "RB01")


def test_a_schools_edfi_id_is_a_whole_number_and_is_kept(tmp_path):
    schools = "school_id,name,level,cluster,edfi_id\nA,Alpha PS,elementary,North,255901001\nB,Beta PS,elementary,South,\n"
    data = load_district(write_district(tmp_path / "ok", schools=schools))
    assert {s.school_id: s.edfi_id for s in data.schools} == {"A": 255901001, "B": None}
    path = write_district(tmp_path / "bad", schools=schools.replace("255901001", "25-59"))
    with pytest.raises(DistrictDataError) as caught:
        load_district(path)
    assert caught.value.problems[0] == (
        f"{path.parent / 'schools.csv'}: line 2: edfi_id '25-59' is not an Ed-Fi school id (a whole number)"
    )
