"""The district rules, pinned with hand-computed numbers; loading, all or nothing; SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.district.model import DistrictDataError, Target, load_district
from bot.district.progress import coasting_schools, gap, schools_on_the_move, status_of, target_progress

TOML = """\
[district]
name = "Test District"
timezone = "America/Toronto"
leadership_channel = "C0LEAD0001"
digest_channel = "C0LEAD0001"
digest_schedule = "fri 15:00"

[[priorities]]
key = "literacy"
name = "Literacy"
message = "Every child reading."

[[targets]]
priority = "literacy"
measure = "g3_reading"
label = "Grade 3 reading (%)"
baseline = { year = 2022, value = 60.0 }
goal = { year = 2026, value = 80.0 }
interim = { 2024 = 67.0 }

[[targets]]
priority = "literacy"
measure = "g3_reading"
group = "ell"
label = "Grade 3 reading, ELL (%)"
baseline = { year = 2022, value = 40.0 }
goal = { year = 2026, value = 60.0 }
tolerance = 1.0
"""
SCHOOLS = "school_id,name,level,cluster\nA,Alpha PS,elementary,North\nB,Beta PS,elementary,South\n"
# district g3_reading (all): 2023 (50*10 + 70*30)/40 = 65.0; 2025 (60*10 + 76*30)/40 = 72.0
RESULTS = """\
school_id,measure,year,value,students,group
A,g3_reading,2023,50,10,all
B,g3_reading,2023,70,30,all
A,g3_reading,2025,60,10,all
B,g3_reading,2025,76,30,all
A,g3_reading,2023,30,5,ell
B,g3_reading,2023,50,5,ell
A,g3_reading,2025,44,5,ell
B,g3_reading,2025,56,5,ell
"""


def write_district(folder: Path, toml: str = TOML, schools: str = SCHOOLS, results: str = RESULTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "district.toml").write_text(toml)
    (folder / "schools.csv").write_text(schools)
    (folder / "results.csv").write_text(results)
    return folder / "district.toml"


def t(**kw) -> Target:
    base = dict(priority="p", measure="m", label="L", baseline_year=2022, baseline_value=61.0, goal_year=2026,
                goal_value=75.0)  # fmt: skip
    return Target(**(base | kw))


# -- the rules, as pure functions ----------------------------------------------------------------
def test_expected_is_interim_if_given_else_linear_between_baseline_and_goal():
    plain = t()
    assert plain.expected(2022) == 61.0 and plain.expected(2026) == 75.0
    assert plain.expected(2024) == pytest.approx(68.0)  # 61 + 14 * 2/4
    assert plain.expected(2025) == pytest.approx(71.5)  # 61 + 14 * 3/4
    with_interim = t(interim={2024: 67.0})
    assert with_interim.expected(2024) == 67.0 and with_interim.expected(2025) == pytest.approx(71.5)


def test_status_thresholds():
    assert status_of(71.5, 71.5, 75.0, 2.0) == "on_track"  # equal to expected is on track
    assert status_of(69.5, 71.5, 75.0, 2.0) == "at_risk"  # exactly expected - tolerance
    assert status_of(69.4, 71.5, 75.0, 2.0) == "off_track"
    assert status_of(75.0, 80.0, 75.0, 2.0) == "met"  # the goal reached wins over the trajectory
    assert status_of(70.4, 71.5, 75.0, 1.0) == "off_track"  # a tighter tolerance


def test_status_is_taken_in_the_latest_year_with_data():
    progress = target_progress(t(), {2023: 70.0, 2025: 70.0, 2024: 60.0})
    assert progress.latest_year == 2025 and progress.expected == pytest.approx(71.5)
    assert progress.status == "at_risk" and progress.previous == (2024, 60.0)


def test_gap_to_all_students_and_whether_it_narrowed():
    result = gap({2024: 50.0, 2025: 55.0}, {2024: 65.0, 2025: 68.0})
    assert result == {
        "year": 2025,
        "value": 13.0,
        "previous_year": 2024,
        "previous_value": 15.0,
        "narrowed": True,
    }
    assert gap({2024: 50.0, 2025: 51.0}, {2024: 65.0, 2025: 68.0})["narrowed"] is False


SIX = ("g3_reading", "g3_writing", "g3_math", "g6_reading", "g6_writing", "g6_math")


def rising(start: float = 50.0) -> dict[int, float]:
    return {2021: start, 2022: start + 1, 2023: start + 2, 2024: start + 3}


def test_schools_on_the_move_need_three_rises_on_four_of_six_measures():
    district = {m: {2021: 50.0, 2022: 50.0, 2023: 50.0, 2024: 50.0} for m in SIX}
    four = {m: rising() for m in SIX[:4]} | {m: {2021: 50, 2022: 49, 2023: 51, 2024: 52} for m in SIX[4:]}
    three = {m: rising() for m in SIX[:3]} | {m: {2021: 50, 2022: 49, 2023: 51, 2024: 52} for m in SIX[3:]}
    flat_step = {m: rising() for m in SIX[:3]} | {SIX[3]: {2021: 50, 2022: 51, 2023: 51, 2024: 52}}
    missing_year = {m: rising() for m in SIX[:3]} | {SIX[3]: {2022: 51, 2023: 52, 2024: 53}}
    early = {m: {2020: 40.0, **rising()} for m in SIX[:4]}  # only the last three steps count
    schools = {"four": four, "three": three, "flat": flat_step, "gap": missing_year, "early": early}
    assert schools_on_the_move(schools, district, SIX) == ["early", "four"]
    # the window is the district's last four years: a fifth year that falls breaks the run
    later = {m: {**s, 2025: 60.0} for m, s in district.items()}
    assert schools_on_the_move({"four": {m: {**s, 2025: 40.0} for m, s in four.items()}}, later, SIX) == []


def test_coasting_schools_are_near_the_district_and_not_moving():
    district = {
        "g3_reading": {2023: 70.0, 2024: 71.0, 2025: 72.0},
        "g6_math": {2023: 50.0, 2024: 51.0, 2025: 52.0},
    }
    measures = ["g3_reading", "g6_math"]
    schools = {
        # mean (74+75+76 + 54+54+54)/6 = 64.5, district (70+71+72+50+51+52)/6 = 61.0: within 5; changes 2.0 and 0
        "steady": {
            "g3_reading": {2023: 74.0, 2024: 75.0, 2025: 76.0},
            "g6_math": {2023: 54.0, 2024: 54.0, 2025: 54.0},
        },
        # a change of 2.5 on one measure is movement
        "moving": {
            "g3_reading": {2023: 74.0, 2024: 75.0, 2025: 76.5},
            "g6_math": {2023: 54.0, 2024: 54.0, 2025: 54.0},
        },
        # mean 66.5 is 5.5 above the district's 61.0: not near it
        "high": {
            "g3_reading": {2023: 76.0, 2024: 77.0, 2025: 78.0},
            "g6_math": {2023: 56.0, 2024: 56.0, 2025: 56.0},
        },
    }
    assert coasting_schools(schools, district, measures, within=5.0, change=2.0) == ["steady"]
    assert coasting_schools(schools, district, measures, within=6.0, change=2.5) == [
        "high",
        "moving",
        "steady",
    ]


# -- loading: every fault named, all or nothing ---------------------------------------------------
def test_load_reads_the_contract(tmp_path):
    data = load_district(write_district(tmp_path / "d"))
    assert [p.key for p in data.config.priorities] == ["literacy"]
    assert data.config.targets[1].group == "ell" and data.config.targets[1].tolerance == 1.0
    assert data.config.digest_day == "fri" and data.config.digest_time == "15:00"
    assert len(data.schools) == 2 and len(data.results) == 8


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s.replace('priority = "literacy"\nmeasure = "g3_reading"\nlabel = "Grade 3 reading (%)"',
                             'priority = "reading"\nmeasure = "g3_reading"\nlabel = "Grade 3 reading (%)"'),
         "targets[0].priority: 'reading' is not a priority key (literacy)"),
        (lambda s: s.replace('measure = "g3_reading"\ngroup', 'measure = "g9_math"\ngroup'),
         "targets[1].measure: 'g9_math' has no rows in results.csv"),
        (lambda s: s.replace('timezone = "America/Toronto"', 'timezone = "Mars/Olympus"'), "district.timezone"),
        (lambda s: s.replace('"fri 15:00"', '"friday at 3"'), "district.digest_schedule"),
        (lambda s: s.replace("goal = { year = 2026, value = 80.0 }", "goal = { year = 2021, value = 80.0 }"),
         "targets[0].goal.year: must be after the baseline year"),
        (lambda s: s.replace("[district]", "[district"), "not valid TOML"),
    ],
)  # fmt: skip
def test_a_bad_district_file_is_refused_with_the_key_at_fault(tmp_path, change, expected):
    path = write_district(tmp_path / "d", toml=change(TOML))
    with pytest.raises(DistrictDataError) as caught:
        load_district(path)
    assert expected in str(caught.value) and str(path) in str(caught.value)


def test_more_than_five_priorities_is_refused_with_why_focus_matters(tmp_path):
    extra = "".join(f'\n[[priorities]]\nkey = "p{i}"\nname = "P{i}"\nmessage = "M{i}"\n' for i in range(5))
    with pytest.raises(DistrictDataError) as caught:
        load_district(write_district(tmp_path / "d", toml=TOML + extra))
    assert "6 priorities; Resolute accepts at most 5" in str(caught.value)
    assert "small number of key priorities" in str(caught.value)


def test_bad_csv_rows_are_named_by_file_and_line(tmp_path):
    results = (
        RESULTS + "C,g3_reading,2025,60,10,all\nA,g3_reading,2024,abc,10,all\nA,g3_reading,2024,150,10,all\n"
    )
    results += "A,g3_reading,2025,61,10,all\n"
    with pytest.raises(DistrictDataError) as caught:
        load_district(write_district(tmp_path / "d", results=results))
    problems = caught.value.problems
    assert any("results.csv: line 10: school_id 'C' is not in schools.csv" in p for p in problems)
    assert any("results.csv: line 11:" in p and "value='abc'" in p for p in problems)
    assert any("results.csv: line 12: value 150 is not a percentage" in p for p in problems)
    assert any("results.csv: line 13: a second row for A, g3_reading, 2025" in p for p in problems)
    with pytest.raises(DistrictDataError, match=r"schools.csv: line 1: missing column\(s\) cluster"):
        load_district(write_district(tmp_path / "e", schools="school_id,name,level\nA,Alpha,elementary\n"))


# -- the store, on SQLite and on PostgreSQL ------------------------------------------------------
@pytest.fixture
def district_services(make_services, tmp_path, database_url):
    path = write_district(tmp_path / "knowledge" / "district")
    services = make_services(**({"database_url": database_url} if database_url else {}))
    assert services.district.file == path
    return services


def test_progress_json_matches_the_contract(district_services, monkeypatch, database_url):
    district_services.district.load()
    report = district_services.district.report().as_dict()
    assert set(report) == {"targets", "schools_on_the_move", "coasting_schools"}
    # all: 72.0 against 60 + 20 * 3/4 = 75.0, below 75 - 2: off track
    everyone, ell = report["targets"]
    assert everyone == {"priority": "literacy", "measure": "g3_reading", "label": "Grade 3 reading (%)",
                        "group": "all", "latest_year": 2025, "value": 72.0, "expected": 75.0,
                        "goal": {"year": 2026, "value": 80.0}, "status": "off_track",
                        "trend": {"2023": 65.0, "2025": 72.0}}  # fmt: skip
    # ell: 2025 (44*5 + 56*5)/10 = 50.0 against 40 + 20*3/4 = 55.0, tolerance 1: off track
    assert ell["value"] == 50.0 and ell["expected"] == 55.0 and ell["status"] == "off_track"
    # gap: 2023 65.0 - 40.0 = 25.0; 2025 72.0 - 50.0 = 22.0: narrowed
    assert ell["gap"] == {
        "year": 2025,
        "value": 22.0,
        "previous_year": 2023,
        "previous_value": 25.0,
        "narrowed": True,
    }
    if database_url:
        monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RESOLUTE_KNOWLEDGE_DIR", str(district_services.settings.knowledge_dir))
    result = CliRunner().invoke(main, ["progress", "--json", "--school", "beta ps"])
    assert result.exit_code == 0, result.output
    school = json.loads(result.output)
    assert school["school"]["school_id"] == "B" and school["targets"][0]["value"] == 76.0
    bad = CliRunner().invoke(main, ["progress", "--priority", "maths"])
    assert bad.exit_code == 2 and "no priority 'maths'; the priorities are literacy" in bad.output


def test_a_bad_load_keeps_the_previous_data_whole(district_services):
    district = district_services.district
    district.load()
    before = district.report().as_dict()
    folder = district.file.parent
    (folder / "results.csv").write_text(RESULTS + "A,g3_reading,2026,99,10,all\nB,g3_reading,2026,x,1,all\n")
    with pytest.raises(DistrictDataError, match="line 11"):
        district.load()
    assert district.report().as_dict() == before
    (folder / "results.csv").write_text(
        RESULTS + "A,g3_reading,2026,99,10,all\nB,g3_reading,2026,99,30,all\n"
    )
    district.load()
    assert district.report().as_dict()["targets"][0]["latest_year"] == 2026  # a good load replaces it


def test_data_load_command_reports_faults_and_keeps_the_previous_data(make_services, tmp_path, monkeypatch):
    path = write_district(tmp_path / "knowledge" / "district")
    monkeypatch.setenv("RESOLUTE_KNOWLEDGE_DIR", str(tmp_path / "knowledge"))
    ok = CliRunner().invoke(main, ["data", "load", "--no-index"])
    assert ok.exit_code == 0 and "1 priorities, 2 targets, 2 schools, 8 results" in ok.output
    assert "3 data cards written, not indexed" in ok.output
    path.write_text(TOML.replace('key = "literacy"', 'key = "Literacy!"'))
    bad = CliRunner().invoke(main, ["data", "load", "--no-index"])
    assert bad.exit_code == 1 and "the data loaded before is unchanged" in bad.output
    assert "priorities[0].key: 'Literacy!' must be lower-case" in bad.output
    report = make_services(knowledge_dir=tmp_path / "knowledge").district.report()
    assert report.targets[0].value == 72.0  # still the first load
