"""Questions about a district's results are answered from its results in its own vocabulary, through
`Answerer.ask` and the `resolute ask` command.

Most tests run on a small district written here, with measure keys, grades, groups and school names unlike
the sample district's (grades 3 and 8, `ela3`, "Emergent bilingual students", "Prairie Wind Elementary"), so
that nothing they guard can come from the sample's words; the last ones run on the sample in `knowledge/`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main

SAMPLE = Path(__file__).resolve().parent.parent / "knowledge"

TOML = """\
[district]
name = "Sagebrush Valley Schools"
timezone = "America/Denver"
digest_schedule = "fri 15:00"

[[priorities]]
key = "early_reading"
name = "Early reading"
message = "Every child reading by the end of third grade."

[[priorities]]
key = "attendance"
name = "Attendance"
message = "Every student in school every day."
{measures}
[[targets]]
priority = "early_reading"
measure = "ela3"
label = "Grade 3 ELA, students proficient (%)"
baseline = {{ year = 2022, value = 50.0 }}
goal = {{ year = 2026, value = 66.0 }}

[[targets]]
priority = "early_reading"
measure = "ela3"
group = "eb"
label = "Grade 3 ELA, emergent bilinguals proficient (%)"
baseline = {{ year = 2022, value = 35.0 }}
goal = {{ year = 2026, value = 50.0 }}

[[targets]]
priority = "early_reading"
measure = "mth8"
label = "Grade 8 mathematics at standard (%)"
baseline = {{ year = 2022, value = 38.0 }}
goal = {{ year = 2026, value = 50.0 }}

[[targets]]
priority = "attendance"
measure = "chronic_abs"
label = "Chronic absenteeism, students missing 10% of days (%)"
baseline = {{ year = 2022, value = 20.0 }}
goal = {{ year = 2026, value = 12.0 }}
"""
MEASURES = """
[[measures]]
key = "ela3"
name = "Grade 3 English language arts"
grade = "3"
subject = "English language arts"
aliases = ["third grade literacy"]

[[measures]]
key = "mth8"
name = "Grade 8 mathematics"
grade = 8
subject = "Mathematics"

[[measures]]
key = "cohort_grad"
name = "Four-year cohort graduation rate"

[[measures]]
key = "chronic_abs"
name = "Chronic absenteeism"
higher_is_better = false

[[measures]]
key = "mth3"
name = "Grade 3 mathematics"
grade = "3"
subject = "Mathematics"

[[measures]]
key = "ela8"
name = "Grade 8 English language arts"
grade = "8"
subject = "English language arts"

[groups]
eb = "Emergent bilingual students"
"""
SCHOOLS = """\
school_id,name,level,cluster,principal
SVA,Prairie Wind Elementary,elementary,Upland,Rosa Delgado
SVB,Cottonwood Creek Elementary,elementary,Lowland,Tomas Okonkwo
SVC,Canyon Ridge Middle School,middle,Lowland,Irene Paulsen
SVD,Mesa Verde Middle School,middle,Upland,Kofi Mensah
SVE,Coyote Flats Middle School,middle,Lowland,Ada Lindqvist
SVF,Sagebrush High School,high,Upland,Owen Marsh
"""
# (school, measure, group, students, values 2021..2025)
SERIES = [
    ("SVA", "ela3", "all", 40, (48.0, 50.0, 53.0, 55.0, 58.0)),
    ("SVB", "ela3", "all", 60, (60.0, 59.0, 61.0, 62.0, 64.0)),
    ("SVA", "ela3", "eb", 12, (30.0, 33.0, 35.0, 38.0, 41.0)),
    ("SVB", "ela3", "eb", 15, (40.0, 41.0, 43.0, 44.0, 46.0)),
    ("SVC", "mth8", "all", 50, (40.0, 41.0, 42.0, 43.0, 44.5)),
    ("SVD", "mth8", "all", 50, (35.0, 34.0, 36.0, 37.0, 36.2)),
    ("SVE", "mth8", "all", 50, (45.0, 46.0, 47.0, 49.0, 51.3)),
    ("SVF", "cohort_grad", "all", 200, (80.0, 81.0, 82.5, 83.0, 84.6)),
    ("SVA", "mth3", "all", 40, (50.0, 51.0, 52.0, 54.0, 55.0)),
    ("SVB", "mth3", "all", 60, (57.0, 58.0, 58.5, 60.0, 61.0)),
    *((sid, "ela8", "all", 50, (55.0, 56.0, 57.0, 58.0, 59.0)) for sid in ("SVC", "SVD", "SVE")),
    ("SVA", "chronic_abs", "all", 100, (19.0, 18.0, 17.0, 16.0, 15.0)),
    ("SVB", "chronic_abs", "all", 100, (18.0, 17.0, 16.0, 15.0, 14.0)),
    ("SVC", "chronic_abs", "all", 100, (19.0, 18.0, 17.5, 17.0, 16.5)),
    ("SVD", "chronic_abs", "all", 100, (20.0, 19.0, 19.0, 18.5, 18.2)),
    ("SVE", "chronic_abs", "all", 100, (17.0, 16.0, 15.0, 14.0, 13.1)),
    ("SVF", "chronic_abs", "all", 100, (21.0, 20.0, 19.0, 18.0, 15.0)),
]  # fmt: skip
KEYS = ("ela3", "ela8", "mth3", "mth8", "cohort_grad", "chronic_abs", "eb")
BOARD_UPDATE = """\
# Board update, September

## Math coaches

The board update requests $210,000 for two math coaches to work with the middle schools' Grade 8 teachers.

## Targets

The Grade 8 mathematics target is 50% by 2026.
"""


def write_district(folder: Path, *, measures: str = MEASURES, documents: bool = False) -> Path:
    """A knowledge folder with the district written above; with [[measures]] and [groups] unless told not."""
    (folder / "district").mkdir(parents=True)
    (folder / "district" / "district.toml").write_text(TOML.format(measures=measures))
    (folder / "district" / "schools.csv").write_text(SCHOOLS)
    rows = ["school_id,measure,year,value,students,group"]
    for sid, measure, group, students, values in SERIES:
        rows += [f"{sid},{measure},{2021 + i},{v},{students},{group}" for i, v in enumerate(values)]
    (folder / "district" / "results.csv").write_text("\n".join(rows) + "\n")
    if documents:
        (folder / "board-update.md").write_text(BOARD_UPDATE)
    return folder


def _ready(make_services, folder: Path):
    services = make_services(knowledge_dir=folder)
    services.district.load()
    services.ingester.ingest([folder])
    services.ingester.ingest([services.settings.cards_dir])
    return services


@pytest.fixture
def district(make_services, tmp_path):
    """The district above, loaded, its documents and data cards indexed."""
    return _ready(make_services, write_district(tmp_path / "sagebrush", documents=True))


def _card_says(services, answer, *figures: str) -> None:
    """The answer cites a data card whose cited section says each figure."""
    source = answer.sources[0]
    card = Path(source.source)
    assert card.parent == services.settings.cards_dir.resolve(), source
    text = card.read_text()
    for section in source.location.split("; "):
        body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0] if section != "introduction" else text
        for figure in figures:
            if figure in source.text:
                assert figure in body or figure in text, (figure, section)


def test_a_school_named_without_its_level_word(district):
    answer = district.answerer.ask("How is Prairie Wind doing in Grade 3 English language arts?")
    assert answer.answer.startswith("Prairie Wind Elementary, Grade 3 English language arts: 58.0% in 2025")
    assert answer.sources[0].location == "Prairie Wind Elementary: Grade 3 English language arts"
    _card_says(district, answer, "58.0%")
    # with its level word instead of the rest of its name, and by its initials in capitals
    middle = district.answerer.ask("How is Canyon Ridge Middle doing in grade 8 math?")
    assert middle.answer.startswith("Canyon Ridge Middle School, Grade 8 mathematics: 44.5% in 2025")
    assert district.answerer.ask("How is PWE doing in grade 3 ELA?").answer.startswith(
        "Prairie Wind Elementary,"
    )


def test_a_principal_named_instead_of_the_school(district):
    answer = district.answerer.ask("How is Delgado's school doing in third grade literacy?")
    assert answer.answer.startswith("Prairie Wind Elementary, Grade 3 English language arts: 58.0% in 2025")
    who = district.answerer.ask("Who leads Cottonwood Creek?")
    assert who.answer == "The principal of Cottonwood Creek Elementary is Tomas Okonkwo. [1]"
    assert "Its principal is Tomas Okonkwo." in Path(who.sources[0].source).read_text()
    which = district.answerer.ask("Which school does Kofi Mensah lead?")
    assert which.answer.startswith("Kofi Mensah is the principal of Mesa Verde Middle School.")


@pytest.mark.parametrize(
    "measure",
    ["third grade reading", "3rd grade ELA", "G3 literacy", "grade three English language arts",
     "third grade literacy", "Grade 3 English"],
)  # fmt: skip
def test_a_measure_asked_for_by_grade_word_and_subject_synonym(district, measure):
    # the district also has Grade 3 mathematics and Grade 8 English language arts: neither is this one
    answer = district.answerer.ask(f"How is Cottonwood Creek doing in {measure}?")
    assert answer.answer.startswith(
        "Cottonwood Creek Elementary, Grade 3 English language arts: 64.0% in 2025"
    )
    assert "mathematics" not in answer.answer
    overall = district.answerer.ask(f"What was {measure} across the district in 2025?")
    assert overall.answer.startswith("District Grade 3 English language arts: 61.6% in 2025")
    assert "Grade 8" not in overall.answer and "mathematics" not in overall.answer


def test_a_change_since_a_year_names_both_values(district):
    school = district.answerer.ask("How much has Prairie Wind improved in third grade reading since 2021?")
    assert "58.0% in 2025" in school.answer
    assert "up 10.0 points since 2021, when it was 48.0%" in school.answer
    # the district's, from two years given either way round
    between = district.answerer.ask("How much did the graduation rate change between 2025 and 2022?")
    assert between.answer.startswith("District Four-year cohort graduation rate: 84.6% in 2025")
    assert "up 3.6 points since 2022, when it was 81.0%" in between.answer
    # a year the results do not have is said to be missing, and the change given from the first they have
    missing = district.answerer.ask("Has the graduation rate gone up since 2018?")
    assert "(no result for 2018)" in missing.answer and "since 2021, when it was 80.0%" in missing.answer


def test_a_comparison_within_a_level_names_every_school(district):
    answer = district.answerer.ask("Which middle school is furthest behind in eighth grade math?")
    text = answer.answer
    named = [
        "Mesa Verde Middle School 36.2%",
        "Canyon Ridge Middle School 44.5%",
        "Coyote Flats Middle School 51.3%",
    ]
    assert [text.index(n) for n in named] == sorted(text.index(n) for n in named)  # the furthest behind first
    assert "Grade 8 mathematics in 2025" in text and "Elementary" not in text
    assert answer.sources[0].location == "Grade 8 mathematics: the schools"
    _card_says(district, answer, *named)
    # where lower is better, the worst is the highest; only the level's schools, though all have results
    absent = district.answerer.ask("Which middle school has the worst chronic absenteeism?").answer
    named = [
        "Mesa Verde Middle School 18.2%",
        "Canyon Ridge Middle School 16.5%",
        "Coyote Flats Middle School 13.1%",
    ]
    assert [absent.index(n) for n in named] == sorted(absent.index(n) for n in named)
    assert "Elementary" not in absent and "High" not in absent
    # a cluster; and highest first when the best is asked for
    upland = district.answerer.ask("Which Upland school is best on chronic absenteeism?")
    assert "Prairie Wind Elementary 15.0%" in upland.answer and "Cottonwood" not in upland.answer
    assert district.answerer.ask("Which middle school is highest in Grade 8 math?").answer.index(
        "Coyote Flats"
    ) < district.answerer.ask("Which middle school is highest in Grade 8 math?").answer.index("Mesa Verde")


def test_a_measure_is_never_shown_by_its_key(district):
    key = re.compile(rf"\b(?:{'|'.join(KEYS)})\b")
    for question in (
        "How is Prairie Wind doing?",
        "What was the district's Grade 8 math in 2024?",
        "What's the trend in chronic absenteeism at Mesa Verde?",
        "Which middle schools are off track in Grade 8 math?",
        "How are emergent bilingual students doing in third grade reading?",
        "What is Sagebrush High's graduation rate?",
    ):
        answer = district.answerer.ask(question)
        assert answer.sources, question
        assert not key.search(answer.answer), (question, answer.answer)
    for card in district.settings.cards_dir.glob("*.md"):
        assert not key.search(card.read_text()), card.name


def test_a_student_group_named_by_the_districts_own_name(district):
    answer = district.answerer.ask("How are emergent bilingual students doing in third grade reading?")
    # the district's value weighs each school's by its students: (41 x 12 + 46 x 15) / 27
    assert answer.answer.startswith(
        "District Grade 3 English language arts, Emergent bilingual students: 43.8% in 2025"
    )
    assert "The gap with all students was 17.8 points in 2025" in answer.answer
    _card_says(district, answer, "43.8%")
    school = district.answerer.ask("How are emergent bilinguals doing at Prairie Wind in grade 3 ELA?")
    assert school.answer.startswith(
        "Prairie Wind Elementary, Grade 3 English language arts, Emergent bilingual students: 41.0% in 2025"
    )
    assert "In 2025 the group counted 12 students." in school.answer


def test_names_come_from_the_targets_labels_without_measures_or_groups_tables(make_services, tmp_path):
    services = _ready(make_services, write_district(tmp_path / "labels", measures=""))
    group = services.answerer.ask("How are emergent bilinguals doing in grade 3 reading?")
    assert group.answer.startswith("District Grade 3 ELA, emergent bilinguals: 43.8% in 2025")
    math = services.answerer.ask("What was Grade 8 math at Mesa Verde in 2024?")
    assert math.answer.startswith("Mesa Verde Middle School, Grade 8 mathematics: 37.0% in 2024")
    # a measure with no name anywhere reads as its key's words, never as the key itself
    overview = services.answerer.ask("How is Sagebrush High doing?")
    assert "Cohort grad 84.6%" in overview.answer and "cohort_grad" not in overview.answer


def test_a_trend_asked_for_gives_every_year(district):
    answer = district.answerer.ask("What's the trend in chronic absenteeism at Mesa Verde?")
    assert "By year: 2021: 20.0%, 2022: 19.0%, 2023: 19.0%, 2024: 18.5%, 2025: 18.2%." in answer.answer
    assert "By year" not in district.answerer.ask("What is Mesa Verde's chronic absenteeism?").answer


def test_a_target_whose_goal_is_below_its_baseline_is_met_by_going_down(district):
    # chronic absenteeism 15.3% in 2025 against a trajectory at 14.0 (from 20 in 2022 to 12 in 2026): above it,
    # within the tolerance of 2 points, so at risk (not "met", as 15.3 above the goal of 12 would be were higher
    # better)
    answer = district.answerer.ask("Are we on track for the chronic absenteeism goal?")
    assert answer.answer.startswith("District Chronic absenteeism: 15.3% in 2025")
    assert "The trajectory expected 14.0 in 2025; the goal is 12 by 2026. Status: at risk." in answer.answer


def test_a_value_found_beats_a_passage_about_the_target(district):
    answer = district.answerer.ask("What is the Grade 8 math goal and where are we?")
    assert answer.answer.startswith("District Grade 8 mathematics: 44.0% in 2025")
    assert "the goal is 50 by 2026" in answer.answer and answer.sources[0].title.endswith(
        "progress on the targets"
    )


def test_a_passage_that_answers_beats_the_results(district):
    # the question names a measure the results hold, but asks what only the document says
    answer = district.answerer.ask("How much did the board update request for math coaches?")
    assert "$210,000" in answer.answer and answer.sources[0].source.endswith("board-update.md")
    assert "% in 2025" not in answer.answer


PROFILE = """\
# Prairie Wind Elementary

## Practices

- **Emergent bilingual students.** Newcomer families meet a bilingual liaison in their first week, and each
  child reads with a language tutor three mornings a week.
- **Reading checks.** Every six weeks each K-3 class checks every child's reading.
"""


def test_what_a_school_is_doing_is_answered_from_its_documents_not_its_figures(make_services, tmp_path):
    folder = write_district(tmp_path / "sagebrush", documents=True)
    (folder / "prairie-wind.md").write_text(PROFILE)
    services = _ready(make_services, folder)
    doing = services.answerer.ask("What is Prairie Wind doing for emergent bilingual students?")
    assert "bilingual liaison" in doing.answer and "% in 2025" not in doing.answer
    assert doing.sources[0].source.endswith("prairie-wind.md")
    # asked with "how", a comparison is still the results' to answer
    compared = services.answerer.ask("How does Prairie Wind's grade 3 ELA stack up against the district?")
    assert "% in 2025" in compared.answer and "bilingual liaison" not in compared.answer


def test_a_school_the_district_does_not_have_is_said_to_be_unknown(district):
    answer = district.answerer.ask("How is Oak Hollow Elementary doing in grade 3 ELA?")
    assert answer.answer.startswith("No school called Oak Hollow Elementary is in the district's results.")
    assert "Prairie Wind Elementary" in answer.answer and answer.sources == []
    # a school of another level than the district's school of that name is another school
    assert district.answerer.ask("How is Prairie Wind High doing?").answer.startswith(
        "No school called Prairie Wind High"
    )


def test_the_ask_command_answers_from_the_results_citing_the_card(tmp_path, monkeypatch, embeddings):
    monkeypatch.setattr("bot.knowledge.embeddings.make_embeddings", lambda *a, **k: embeddings)
    folder = write_district(tmp_path / "sagebrush")
    monkeypatch.setenv("RESOLUTE_KNOWLEDGE_DIR", str(folder))
    runner = CliRunner()
    assert runner.invoke(main, ["data", "load"]).exit_code == 0
    result = runner.invoke(main, ["ask", "--json", "Which middle school is lowest in grade 8 math?"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["answer"].startswith(
        "Grade 8 mathematics in 2025, middle schools, lowest first: Mesa Verde"
    )
    [source] = payload["sources"]
    assert (
        source["source"].endswith("district-progress.md")
        and source["location"] == "Grade 8 mathematics: the schools"
    )


# -- the sample district ----------------------------------------------------------------------------------
@pytest.fixture
def sample(make_services):
    return _ready(make_services, SAMPLE)


def test_the_sample_district_answers_a_school_and_a_measure_from_its_card(sample):
    answer = sample.answerer.ask("How is Maple PS doing in Grade 6 math?")
    assert answer.answer.startswith(
        "Maple PS, Grade 6 mathematics: 52.3% in 2025, up 3.0 points from 49.3% in 2024"
    )
    assert "Maple PS is off track (the trajectory expected 55.0 in 2025" in answer.answer
    assert answer.sources[0].location == "Maple PS: Grade 6 mathematics"
    _card_says(sample, answer, "52.3%")


def test_a_name_two_schools_share_is_asked_about_unless_a_measure_says_which(sample):
    answer = sample.answerer.ask("How is Northgate doing?")
    assert (
        answer.answer.startswith("Northgate could be Northgate PS or Northgate SS.") and answer.sources == []
    )
    assert sample.answerer.ask("How is Northgate doing in Grade 3 reading?").answer.startswith(
        "Northgate PS, Grade 3 reading: 52.0% in 2025"
    )
    assert sample.answerer.ask("How is Northgate Secondary doing on graduation?").answer.startswith(
        "Northgate SS,"
    )


def test_a_list_items_label_is_never_quoted_without_what_it_labels(sample):
    # the sample's school profiles list their practices as "- **Label.** What it is ...": an answer that
    # runs out of room quotes a label with its text or not at all
    answer = sample.answerer.ask("What is Maple PS doing about multilingual learners?")
    lines = [line.split(" [")[0] for line in answer.answer.split("\n")]
    assert any(line.startswith("- Multilingual learners. Newcomer students") for line in lines), answer.answer
    bare = [line for line in lines if re.fullmatch(r"- [\w ,'’-]+\.", line) and len(line.split()) <= 5]
    assert not bare, answer.answer


def test_a_principal_no_document_names_comes_from_the_list_of_schools(sample):
    answer = sample.answerer.ask("Who is the principal of Willow Creek?")
    assert answer.answer == "The principal of Willow Creek PS is Teresa Alvarez. [1]"
    assert [(s.title, s.location) for s in answer.sources] == [
        ("Willow Creek PS (RB08): results", "introduction")
    ]
    # a school whose profile says who its principal is: the profile answers
    profile = sample.answerer.ask("Who is the principal of Cedar Valley SS?")
    assert "Raymond Desjardins" in profile.answer and profile.sources[0].title == "Cedar Valley SS (RB19)"


def test_nothing_found_lists_the_documents_and_the_results_once_not_every_card(sample):
    answer = sample.answerer.ask("What's the weather tomorrow?")
    assert answer.answer.startswith("I couldn't find anything in the knowledge base that answers that")
    assert "FAQ for School Leaders" in answer.answer and "): results" not in answer.answer
    assert answer.answer.endswith(
        "; other documents; the district's results, school by school. Try asking about one of those."
    )


def test_a_new_load_is_read_at_once(make_services, tmp_path):
    folder = write_district(tmp_path / "sagebrush")
    services = _ready(make_services, folder)
    assert "84.6% in 2025" in services.answerer.ask("What is the graduation rate?").answer
    results = folder / "district" / "results.csv"
    results.write_text(results.read_text().replace("SVF,cohort_grad,2025,84.6", "SVF,cohort_grad,2025,90.1"))
    services.district.load()
    assert "90.1% in 2025" in services.answerer.ask("What is the graduation rate?").answer
