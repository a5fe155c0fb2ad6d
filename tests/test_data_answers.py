"""Questions about results are answered from the results store, citing the data card; others are not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.district.cards import write_cards
from bot.district.model import load_district

SAMPLE = Path(__file__).resolve().parent.parent / "knowledge"


@pytest.fixture
def services(make_services):
    built = make_services(knowledge_dir=SAMPLE)
    built.district.load()
    return built


@pytest.fixture
def data(services):
    return services.data_answers


def _text(data, question: str) -> str:
    hit = data.answer(question)
    assert hit is not None, question
    return hit.passage.text


def test_a_school_and_a_measure_get_that_value_its_trend_and_its_status(data, services):
    hit = data.answer("How is Maple PS doing in Grade 6 math?")
    text = hit.passage.text
    assert text.startswith(
        "Maple PS, grade 6 mathematics: 52.3% in 2025, up 3.0 points from 49.3% in 2024 and +11.5 since 2021."
    )
    assert "Against the district's target for it, Maple PS is off track" in text
    assert "expected 55.0 in 2025" in text
    for other in ("reading", "writing", "grade 3"):  # nothing about other measures
        assert other not in text.lower()
    card = services.settings.cards_dir.resolve() / "RB01.md"
    assert hit.passage.source == card.as_posix() and hit.passage.location == "Maple PS: Grade 6 mathematics"
    assert "52.3%" in card.read_text()  # the card it cites says the same
    both = data.answer("How is Maple PS doing in Grade 6 reading and math?")
    assert both.passage.location == "Maple PS: Grade 6 reading; Maple PS: Grade 6 mathematics"


def test_a_student_group_a_target_is_set_for_gets_the_groups_results(data, services):
    for asked in (
        "How are multilingual learners doing in Grade 3 reading?",
        "What is the Grade 3 reading result for ELL students?",
    ):
        text = _text(data, asked)
        assert text.startswith("District grade 3 reading, multilingual learners (%): 58.4% in 2025"), asked
        assert "the goal is 62 by 2026" in text  # the group's own target
    hit = data.answer("How are multilingual learners doing in Grade 3 reading at Maple PS?")
    text = hit.passage.text
    assert text.startswith("Maple PS, grade 3 reading, multilingual learners: 62.1% in 2025")
    assert "In 2025 the group counted 5 students." in text  # a handful of students: said so
    # the card it cites has that section, and says the same
    card = services.settings.cards_dir.resolve() / "RB01.md"
    assert hit.passage.source == card.as_posix()
    assert hit.passage.location == "Maple PS: Grade 3 reading, multilingual learners"
    assert "## Maple PS: Grade 3 reading, multilingual learners" in card.read_text()
    assert "2025: 62.1%" in card.read_text() and "In 2025 the group counted 5 students." in card.read_text()
    # a school past its goal has met it (not "is met")
    assert "Maple PS has met the goal (the trajectory expected 58.5 in 2025; the goal is 62 by 2026)" in text
    # every student, when no group is named
    assert _text(data, "How is Maple PS doing in Grade 3 reading?").startswith(
        "Maple PS, grade 3 reading: 72.0% in 2025"
    )


def test_a_school_asked_about_beside_the_district_gets_the_districts_value_too(data):
    text = _text(data, "Where does Westfield SS's graduation rate stand against the district's?")
    assert "The district was at 81.2% in 2025, so Westfield SS is 4.7 points below the district." in text
    assert "The district was at" not in _text(data, "What is Westfield SS's graduation rate?")
    # "how does ... stand / look", or any "how does" that names a result, asks for results
    assert _text(data, "How does the graduation rate at Westfield SS sit against its target?")
    assert _text(data, "How does Westfield SS's graduation rate stand against the district's?")
    assert _text(data, "How did Maple PS's Grade 3 reading results look in 2025?").startswith(
        "Maple PS, grade 3"
    )
    # comparing two schools is not asking for the district's value
    assert "The district was at" not in _text(
        data, "How does Westfield SS's graduation rate compare with Riverbend SS?"
    )


def test_a_district_measure_in_a_year(data):
    text = _text(data, "What was the graduation rate in 2025?")
    assert text.startswith(
        "District five-year graduation rate (%): 81.2% in 2025, up 0.9 points from 80.3% in 2024"
    )
    assert "The trajectory expected 82.0 in 2025; the goal is 85 by 2026. Status: at risk." in text
    assert "77.6% in 2021" not in text and "81.2" in text
    assert "78.0% in 2022" in _text(data, "What was the graduation rate in 2022?")


def test_a_change_since_a_year_gives_the_latest_value_and_the_change_from_then(data):
    text = _text(data, "How much has the district grad rate gone up since 2021?")
    assert text.startswith(
        "District five-year graduation rate (%): 81.2% in 2025, up 0.9 points from 80.3% in 2024 and +3.6 since 2021, "
        "when it was 77.6%."
    )
    assert "since 2023, when it was 63.0%." in _text(
        data, "How has Maple PS's Grade 3 reading changed since 2023?"
    )
    # a year the results do not hold is said to be missing, not replaced silently
    assert "+3.6 since 2021 (no result for 2019)." in _text(
        data, "How much has the grad rate risen since 2019?"
    )


@pytest.mark.parametrize(
    "question",
    [
        "Did Brookside PS slip in Grade 6 math this year?",
        "Has Brookside PS's Grade 6 math dropped?",
        "Is Grade 6 math at Brookside PS getting worse?",
        "Has Grade 6 math gone down at Brookside PS?",
        "How did Brookside PS do in Grade 6 math this year?",
        "How is Brookside PS going in Grade 6 math?",
        "How does Brookside PS's Grade 6 math stack up against the district?",
        "How many points did Brookside PS lose in Grade 6 math?",
        "Is Brookside PS above or below the district in Grade 6 math?",
    ],
)
def test_how_a_result_moved_is_a_data_question(data, question):
    assert _text(data, question).startswith(
        "Brookside PS, grade 6 mathematics: 47.6% in 2025, down 1.5 points"
    )


def test_whether_a_school_met_its_targets_is_answered_from_its_results(data):
    assert _text(data, "Has Maple PS met its targets?").startswith("Maple PS in 2025:")


def test_which_schools_stand_where_against_a_target_comes_from_the_card(data, services):
    on_track = data.answer("Which schools are on track in Grade 3 reading?")
    assert on_track.passage.text == (
        "Grade 3 reading at the provincial standard in 2025, on track: Willow Creek PS 73.2%, Harbour View PS "
        "73.0%, Fairview PS 72.1%, Maple PS 72.0%, Sunnyside PS 70.5%."
    )
    assert on_track.passage.location == "Grade 3 reading at the provincial standard: the schools"
    card = Path(on_track.passage.source).read_text()
    assert f"## {on_track.passage.location}" in card and on_track.passage.text in card  # says what it cites
    behind = _text(data, "Which schools are behind in Grade 6 math?")  # at risk and off track, in that order
    assert behind.index(", at risk: Fairview PS 54.5%") < behind.index(", off track: Maple PS 52.3%")
    assert "Pine Hollow PS 36.2%." in behind and "met the goal" not in behind
    assert _text(data, "What schools have met the Grade 6 reading target?").startswith(
        "Grade 6 reading at the provincial standard in 2025, met the goal: Juniper PS 81.6%,"
    )
    # a level every school with these results has narrows nothing
    assert _text(data, "Which elementary schools are off track on Grade 6 math?").startswith(
        "Grade 6 mathematics at the provincial standard in 2025, off track: Maple PS 52.3%"
    )
    assert ", off track: Cedar Valley SS 77.8%" in _text(data, "Which high schools are behind on graduation?")
    # two measures: each one's lists cited to its own section of the card
    reading = data.answer("Which schools are behind in reading?")
    assert reading.passage.location == (
        "Grade 3 reading at the provincial standard: the schools; "
        "Grade 6 reading at the provincial standard: the schools"
    )
    for section in reading.passage.location.split("; "):
        assert f"## {section}" in card
    assert _text(data, "Which school has the lowest graduation rate?") == (
        "Five-year graduation rate in 2025, highest: Lakeshore SS 87.7%; lowest: Westfield SS 76.5%."
    )
    # a school named, or no status asked: not a question about the schools' standing
    assert _text(data, "Is Maple PS on track in Grade 3 reading?").startswith("Maple PS, grade 3 reading")
    # a status denied: the others ("not on track" is behind it; "haven't met" is every other status)
    not_on_track = _text(data, "Which schools are not on track in Grade 3 reading?")
    assert ", at risk: Cedar Grove PS" in not_on_track and ", off track: " in not_on_track
    assert ", on track:" not in not_on_track and "met the goal" not in not_on_track
    not_met = _text(data, "Which schools haven't met the Grade 6 reading target?")
    assert ", on track: Northgate PS 77.5%" in not_met and "met the goal" not in not_met
    # what the lists by status do not tell (a year, a group, a cluster, the district, a change) is not
    # answered by them; nor are practices ("meetings") or a school's coach
    for other in (
        "Which schools were on track in Grade 3 reading in 2023?",
        "Which schools are on track for multilingual learners in Grade 3 reading?",
        "Which North cluster schools are behind in Grade 6 math?",
        "Which schools are behind the district in Grade 6 math?",
        "Which schools had the best improvement in Grade 3 reading?",
        "Which schools got a numeracy coach for being behind in Grade 6 math?",
        "Which schools' meetings look at the Grade 3 reading target?",
        "What can schools do to get on track in Grade 3 reading?",
    ):
        found = data.answer(other)
        assert found is None or not found.passage.location.endswith(": the schools"), other


@pytest.mark.parametrize(
    "question",
    ["What was the list of coasting schools in 2024?", "What does the list of coasting schools look like?"],
)
def test_the_coasting_list_asked_for_in_other_words(data, question):
    assert _text(data, question).startswith("Coasting schools, offered support:")


def test_which_schools_are_coasting_or_on_the_move_comes_from_the_report(data, services):
    report = services.district.report()
    names = {s.school_id: s.name for s in services.district.store.schools().values()}
    coasting = _text(data, "Which schools are coasting?")
    assert (
        coasting
        == f"Coasting schools, offered support: {', '.join(names[s] for s in report.coasting_schools)}."
    )
    assert report.coasting_schools  # the sample has some, so the list is not vacuous
    for asked in ("Which coasting schools get support?", "Coasting schools?", "Is Stonebridge PS coasting?"):
        assert _text(data, asked) == coasting
    moving = _text(data, "Which schools are Schools on the Move?")
    assert moving == f"Schools on the Move: {', '.join(names[s] for s in report.schools_on_the_move)}."


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is rb02's grade 3 reading result?", "Birchwood PS, grade 3 reading: 77.2% in 2025"),
        (
            "How did Harbour View do in G3 maths in 2025?",
            "Harbour View PS, grade 3 mathematics: 66.3% in 2025",
        ),
        (
            "How has Lakeshore SS's graduation rate changed?",
            "Lakeshore SS, graduation rate: 87.7% in 2025, down 4.2",
        ),
        (
            "What was Cedar Valley SS's graduation rate in 2022?",
            "Cedar Valley SS, graduation rate: 71.0% in 2022",
        ),
        ("Is the district on track for grade six numeracy?", "District grade 6 mathematics"),
        ("How much did graduation rise?", "District five-year graduation rate (%): 81.2% in 2025, up 0.9"),
        (
            "How many points did Maple PS gain in Grade 6 math?",
            "Maple PS, grade 6 mathematics: 52.3% in 2025",
        ),
    ],
)
def test_names_ids_and_synonyms(data, question, expected):
    assert _text(data, question).startswith(expected)


def test_reading_alone_gives_both_grades(data):
    text = _text(data, "What are Maple PS's reading results?")
    assert "grade 3 reading: 72.0%" in text and "grade 6 reading: 74.6%" in text and "math" not in text


@pytest.mark.parametrize(
    "question",
    [
        "Who is the principal of Maple PS?",
        "What is Maple PS doing about attendance?",
        "What support did Cedar Valley SS ask for?",
        "Who leads numeracy?",
        "How much did the board memo request for numeracy coaches?",
        "Why does the district focus on Grade 3 reading?",
        "What is credit recovery?",
        "How are targets negotiated with each school?",
        "What support can a coasting school get?",  # what the documents offer, not which schools coast
        "What is a School on the Move?",
        "How many students are at Riverbend SS?",  # a count the results do not hold, not its results
        "How does Maple PS keep its reading data wall up to date?",  # how it works, not its results
        "What's the idea behind the problem wall at Harbour View PS?",  # why, not how far behind
        "What 2026 targets did Riverbend SS sign up for?",  # its profile says, not its results
        "Which schools have a reading data wall?",  # a practice, not data
        "Stonebridge PS's numbers look like the district's, so why is it in a Learning Conversation?",
        "For School on the Move purposes, which measures count for a secondary school?",  # the idea
        "How many families came to Harbour View PS's family math night?",  # a count the results lack
        "What's Stonebridge PS's 'students behind the average' plan about?",  # a plan, not a result
        "How do Maple PS teachers go about teaching Grade 6 math?",
        "Where do Grade 6 math students at Maple PS go for extra help?",
        "Where is the Grade 3 reading data wall at Maple PS?",
        "What does research say about the gap in Grade 3 reading?",
        "Is Maple PS better than Northgate PS in Grade 6 math?",  # two schools: not one school's figure
        "How soon after a reading check window closes do teachers enter the results?",  # a time
    ],
)
def test_people_practices_and_plans_are_not_data_questions(data, question):
    assert not data.about_data(question) and data.answer(question) is None


def test_an_unknown_school_is_said_to_be_unknown_not_answered_with_other_results(services):
    services.ingester.ingest([SAMPLE])
    services.ingester.ingest([services.settings.cards_dir])
    for question, name in (
        ("How is Oak Hill PS doing in Grade 6 math?", "Oak Hill PS"),  # not the district's Grade 6 math
        ("How is Oakwood PS doing?", "Oakwood PS"),
        ("Who is the principal of Oak Hill Public School?", "Oak Hill Public School"),
    ):
        answer = services.answerer.ask(question)
        assert answer.answer.startswith(
            f"No school called {name} is in the district's results. Its schools: "
        )
        assert "Maple PS, Northgate PS" in answer.answer and answer.sources == []
    unknown = services.data_answers.unknown_school
    assert unknown("What did Oak Hill PS do?", []).startswith("No school called Oak Hill PS ")
    # a school a document found for the question knows, though the results do not: the documents answer
    assert unknown("What did Oak Hill PS do?", ["Oak Hill PS doubled tutoring."]) is None
    assert unknown("How is Maple PS doing?", []) is None
    # Northgate PS or SS: asked which, not answered with the district's figures or either school's
    assert unknown("How is Northgate doing?", []) == (
        "Northgate could be Northgate PS or Northgate SS. Which one do you mean? Ask again with its full name."
    )
    assert unknown("How is Northgate SS doing?", []) is None
    assert unknown("how is northgate doing?", []).startswith("Northgate could be")  # as the results write it
    # the long forms of PS and SS name one school
    assert services.data_answers.schools_named("How is Northgate Secondary School doing?") == ["Northgate SS"]
    assert services.data_answers.schools_named("Is Maple Public School on track?") == ["Maple PS"]
    assert unknown("How is Northgate Public School doing?", []) is None
    for question in ("How is Northgate doing?", "Who is the principal of Northgate?"):
        answer = services.answerer.ask(question)
        assert answer.answer.startswith("Northgate could be Northgate PS or Northgate SS.")
        assert answer.sources == []
    # but a measure only one of them has results for says which: Northgate SS has no Grade 3 reading, and
    # Northgate PS no graduation rate; the answer names the school it is about
    assert unknown("How is Northgate doing in Grade 3 reading?", []) is None
    reading = services.answerer.ask("How is Northgate doing in Grade 3 reading?")
    assert reading.answer.startswith("Northgate PS, grade 3 reading: 52.0% in 2025")
    graduation = services.answerer.ask("How is Northgate doing on graduation?")
    assert graduation.answer.startswith("Northgate SS, graduation rate: 83.4% in 2025")


def test_nothing_found_lists_the_documents_and_the_results_once_not_every_card(services):
    services.ingester.ingest([SAMPLE])
    services.ingester.ingest([services.settings.cards_dir])
    answer = services.answerer.ask("What's the weather tomorrow?")
    assert answer.answer.startswith("I couldn't find anything in the knowledge base that answers that")
    assert "FAQ for School Leaders" in answer.answer and "): results" not in answer.answer
    assert answer.answer.endswith(
        "; other documents; the district's results, school by school. Try asking about one of those."
    )


def test_a_question_whose_only_passages_are_set_aside_cards_finds_nothing(services):
    services.ingester.ingest([services.settings.cards_dir])  # the cards alone: no documents to answer from
    answer = services.answerer.ask("Who is the principal of Maple PS?")
    assert answer.answer.startswith("I couldn't find anything in the knowledge base that answers that")
    assert answer.sources == []


def test_nothing_loaded_means_no_data_answers(make_services):
    services = make_services(knowledge_dir=SAMPLE)
    assert services.data_answers.answer("What was the graduation rate in 2025?") is None
    assert not services.data_answers.about_data("Which schools are coasting?")


def test_a_new_load_is_read_at_once(make_services, tmp_path):
    knowledge = tmp_path / "sample"
    shutil.copytree(SAMPLE, knowledge)
    services = make_services(knowledge_dir=knowledge)
    services.district.load()
    assert "81.2%" in _text(services.data_answers, "What was the graduation rate in 2025?")
    results = knowledge / "district" / "results.csv"
    rows = results.read_text().splitlines()
    results.write_text("\n".join(
        ",".join([*r.split(",")[:3], "99.0", *r.split(",")[4:]]) if ",graduation,2025," in r else r for r in rows
    ) + "\n")  # fmt: skip
    services.district.load()
    assert "99.0% in 2025" in _text(services.data_answers, "What was the graduation rate in 2025?")


def test_cards_say_an_elementary_school(tmp_path):
    cards = write_cards(load_district(SAMPLE / "district" / "district.toml"), tmp_path / "cards")
    maple = next(c for c in cards if c.name == "RB01.md").read_text()
    assert "Maple PS (RB01) is an elementary school in the Central cluster" in maple
    riverbend = next(c for c in cards if c.name == "RB16.md").read_text()
    assert "is a secondary school in the Central cluster" in riverbend
    assert " a elementary" not in "".join(c.read_text() for c in cards)


def test_questions_about_the_districts_schools_are_answered_from_its_list(data, services):
    count = data.answer("How many schools does Riverbend have?")
    assert (
        count.passage.text == "Riverbend District School Board has 20 schools: 15 elementary and 5 secondary."
    )
    assert count.passage.location == "The district's schools"
    card = Path(count.passage.source).read_text()
    assert "## The district's schools" in card and count.passage.text in card  # the answer says what it cites
    assert _text(data, "How many schools are there in the district?") == count.passage.text
    secondary = "The district's 5 secondary schools are Riverbend SS, Northgate SS, Lakeshore SS, Cedar Valley SS and Westfield SS."
    assert _text(data, "List the secondary schools.") == secondary and secondary in card
    assert _text(data, "How many high schools does the board run?") == secondary
    south = _text(data, "Which schools are in the South cluster?")  # by level, so any level's count is there
    assert south == (
        "The South cluster has 8 schools: 6 elementary (Cedar Grove PS, Harbour View PS, Elm Street PS, Willow "
        "Creek PS, Sunnyside PS and Stonebridge PS) and 2 secondary (Lakeshore SS and Cedar Valley SS)."
    )
    assert south in card
    # the cluster, or the level, before "schools"
    for asked in ("Which South cluster schools are there?", "What are the schools in the South cluster?",
                  "List the South cluster's schools"):  # fmt: skip
        assert _text(data, asked) == south, asked
    assert _text(data, "Which high schools are there?") == secondary
    assert _text(data, "How many secondary schools are in the North cluster?").endswith(
        "1 secondary (Northgate SS)."
    )
    everything = _text(data, "What schools are there?")  # the count, then each level's schools
    assert everything.startswith(count.passage.text) and everything.endswith(secondary)
    assert "The district's 15 elementary schools are Maple PS, Birchwood PS," in everything
    # something else asked of the schools: a result, a list the report keeps, what the documents say
    assert _text(data, "Which schools are coasting?").startswith("Coasting schools, offered support:")
    for other in ("How many schools are on track?", "Which schools have a literacy coach?",
                  "How many schools are in Focused Partnership?", "Which schools in the North cluster improved?"):  # fmt: skip
        found = data.answer(other)
        assert found is None or found.passage.location != "The district's schools", other


def test_the_schools_lines_for_one_school_no_level_and_no_schools():
    from bot.district.cards import school_lines
    from bot.district.model import School

    lines = school_lines(
        "Lake District", [School("L2", "Bay SS", "Secondary", "East Cluster"), School("L1", "Elm PS", "", "")]
    )
    assert lines == {
        "all": "Lake District has 2 schools: 1 secondary and 1 with no level recorded.",
        "secondary": "The district's only secondary school is Bay SS.",  # its level as written, any case
        "no level": "No level is recorded for Elm PS.",
        "cluster:East Cluster": "The East Cluster has 1 school: 1 secondary (Bay SS).",
    }
    assert school_lines("Lake District", []) == {"all": "Lake District has no schools in its results."}


def test_a_cluster_of_two_words_and_a_level_the_district_lacks(make_services, tmp_path):
    knowledge = tmp_path / "sample"
    shutil.copytree(SAMPLE, knowledge)
    schools = knowledge / "district" / "schools.csv"
    rows = schools.read_text().splitlines()
    # one cluster renamed "North East"; every secondary school made elementary
    rows = [row.replace(",North", ",North East").replace(",secondary,", ",elementary,") for row in rows]
    schools.write_text("\n".join(rows) + "\n")
    services = make_services(knowledge_dir=knowledge)
    services.district.load()
    data = services.data_answers
    assert _text(data, "Which schools are in the North East cluster?").startswith(
        "The North East cluster has 6 schools"
    )
    # no secondary schools: the count by level says so, rather than nothing
    assert (
        _text(data, "List the secondary schools.")
        == "Riverbend District School Board has 20 schools: 20 elementary."
    )
    everything = _text(data, "Which schools are there?")
    assert (
        everything.startswith("Riverbend District School Board has 20 schools")
        and "secondary" not in everything
    )


def test_the_answerer_puts_the_data_first_and_keeps_cards_out_of_other_questions(services):
    services.ingester.ingest([SAMPLE])
    services.ingester.ingest([services.settings.cards_dir])
    answer = services.answerer.ask("How is Maple PS doing in Grade 6 math?")
    assert answer.answer.startswith("Maple PS, grade 6 mathematics: 52.3% in 2025")
    assert answer.sources[0].location == "Maple PS: Grade 6 mathematics"
    assert len(answer.sources) == 2  # the data, then one supporting sentence: Maple's own profile says it
    assert answer.answer.endswith("from 41% in 2022 to 52% in 2025, just under the district result. [2]")
    assert answer.sources[1].source.endswith("schools/maple-ps.md")
    assert answer.answer.count("[1]") == 1 and "Grade 3 mathematics" not in answer.answer
    principal = services.answerer.ask("Who is the principal of Maple PS?")
    assert principal.answer.startswith("Principal: Angela Moretti")
    assert "Marisol Vega" not in principal.answer  # Northgate's principal: its profile names Maple PS too
    assert {s.title for s in principal.sources} == {"Maple PS (RB01)"}
    # a who-answer is joined by other names, not by a sentence that names roles only (the FAQ's "Only the
    # principal, the cluster superintendent, ... and the Superintendent.")
    boss = services.answerer.ask("Who is the superintendent?")
    assert "Dr. Amara Osei, Superintendent" in boss.answer and "Only the principal" not in boss.answer
    assert not any(services.data_answers.is_card_source(s.source) for s in principal.sources)
    # the district's definition, not how Riverbend SS's profile describes its own (the example)
    recovery = services.answerer.ask("What is credit recovery?")
    assert recovery.sources[0].source.endswith("improvement-plan-2022-2026.md")
    assert recovery.answer.startswith("Credit recovery. A student who fails a course")


def test_what_another_school_says_neither_supports_nor_answers_for_the_school_asked_about(services):
    services.ingester.ingest([SAMPLE])
    services.ingester.ingest([services.settings.cards_dir])
    # Northgate PS's profile says "Grade 3 reading was 52% in 2025": no support for Pine Hollow PS's figure
    figure = services.answerer.ask("What's the Grade 3 reading number for Pine Hollow PS?")
    assert figure.answer.startswith("Pine Hollow PS, grade 3 reading: 67.2% in 2025")
    assert [s.n for s in figure.sources] == [1] and "52%" not in figure.answer
    # Harbour View PS's "Secondary destination: most Grade 8 students go on to Lakeshore SS" is not Maple's
    destination = services.answerer.ask("Where do our Grade 8 students from Maple go?")
    assert "Lakeshore SS" not in destination.answer


def test_a_year_is_a_year_a_change_is_a_change(data):
    # "from 2023" alone is that year's results, not the change since it
    assert _text(data, "What were Maple PS's Grade 6 math results from 2023?").startswith(
        "Maple PS, grade 6 mathematics: 43.7% in 2023"
    )
    # years given the wrong way round, the year before, and the latest year as the start
    assert "80.3% in 2024" in _text(data, "How much did graduation rise between 2024 and 2022?")
    before = _text(data, "How has Maple PS's Grade 3 reading changed since 2024?")
    assert "up 4.0 points from 68.0% in 2024." in before and "since 2024" not in before
    # "since the plan started": from its targets' baseline year
    assert "+4.7 since 2022, when it was 49.8%." in _text(
        data, "How much has Fairview PS improved in Grade 6 math since the plan started?"
    )
    assert "+4.7 since 2022, when it was 49.8%." in _text(
        data, "How has Fairview PS's Grade 6 math moved since the 2022 baseline?"
    )
    assert "(2025 is the latest year with a result: there is no change since then)" in _text(
        data, "How much has the grad rate gone up since 2025?"
    )
    # a group's gap in the year asked
    assert "The gap with all students was 13.3 points in 2023" in _text(
        data, "What was the gap for multilingual learners in Grade 3 reading in 2023?"
    )


def test_a_groups_gap_with_all_students_and_where_a_school_is_at(data, services):
    text = _text(data, "What's the gap between multilingual learners and all students in Grade 3 reading?")
    gap = "The gap with all students was 10.1 points in 2025 (11.7 in 2024): it narrowed."
    assert text.endswith(gap)
    assert gap in (services.settings.cards_dir / "district-progress.md").read_text()  # the card says it too
    assert _text(data, "Where is Cedar Grove PS at in Grade 6 writing?").startswith(
        "Cedar Grove PS, grade 6 writing: 76.3% in 2025"
    )
    between = _text(data, "How many points did the district gain in Grade 3 reading between 2022 and 2025?")
    assert between.startswith("District grade 3 reading at the provincial standard (%): 68.4% in 2025")
    assert "+7.4 since 2022, when it was 61.0%." in between
    assert data.answer("Where do our Grade 8 students from Maple PS go?") is None  # no measure: the documents


def test_a_name_two_schools_share_picks_neither(data):
    # Northgate PS and Northgate SS: "Northgate" alone could be either, so no school is guessed (and the
    # answerer asks which, unless a measure only one of them has says which: see the unknown-school test)
    assert data.schools_named("How is Northgate doing in Grade 3 reading?") == []
    assert _text(data, "How is Northgate SS doing on graduation?").startswith("Northgate SS, graduation rate")


def test_the_districts_own_name_names_no_school(data):
    # the Riverbend District School Board has a Riverbend SS: "Riverbend" alone is the district
    assert _text(data, "What was Riverbend's graduation rate in 2025?").startswith(
        "District five-year graduation rate (%): 81.2% in 2025"
    )
    assert _text(data, "How is Riverbend SS doing on graduation?").startswith("Riverbend SS, graduation rate")


def test_a_school_without_a_profile_gets_no_other_schools_principal(data, services):
    assert data.schools_named("Who is the principal of Willow Creek?") == ["Willow Creek PS"]
    assert data.schools_named("How is Northgate doing?") == []  # PS or SS: neither
    assert data.schools_named("What does Riverbend ask of its principals?") == []  # the district
    # Willow Creek has results but no profile; Cedar Valley SS's profile lists it as a feeder school:
    # its principal is the one schools.csv gives, cited to its card, never Cedar Valley's
    services.ingester.ingest([SAMPLE])
    services.ingester.ingest([services.settings.cards_dir])
    answer = services.answerer.ask("Who is the principal of Willow Creek?")
    assert answer.answer == "The principal of Willow Creek PS is Teresa Alvarez. [1]"
    assert [(s.title, s.location) for s in answer.sources] == [
        ("Willow Creek PS (RB08): results", "introduction")
    ]
    assert "Its principal is Teresa Alvarez." in (services.settings.cards_dir / "RB08.md").read_text()
    assert services.answerer.ask("Who is the principal of Cedar Valley SS?").answer.startswith(
        "Principal: Raymond Desjardins"
    )
    # the principal, not a memo's "a Focused Partnership ... at the principal's own request" nor the
    # profile's cluster superintendent
    northgate = services.answerer.ask("Who is the principal of Northgate PS?")
    assert northgate.answer.startswith("Principal: Marisol Vega") and "Siddiqui" not in northgate.answer
    # "Riverbend" alone is the district: Cedar Valley SS's "the lowest in Riverbend" is not said of Riverbend SS
    students = services.answerer.ask("How many students are at Riverbend SS?")
    assert {s.title for s in students.sources} == {"Riverbend SS (RB16)"}
    assert "Enrolment: 1,340 students" in students.answer


def test_a_language_model_is_not_asked_what_no_passage_says_of_the_school(services):
    from bot.knowledge.answer import Answerer
    from tests.conftest import RecordingChatModel

    services.ingester.ingest([SAMPLE])
    services.ingester.ingest([services.settings.cards_dir])
    llm = RecordingChatModel(replies=["Raymond Desjardins is the principal [1]."])
    answerer = Answerer(index=services.index(), llm=llm, data=services.data_answers)
    # a model shown Cedar Valley SS's profile would name its principal for Willow Creek: it is not asked,
    # and the district's list of schools answers
    answer = answerer.ask("Who is the principal of Willow Creek?")
    assert answer.answer == "The principal of Willow Creek PS is Teresa Alvarez. [1]"
    assert llm.prompts == []
    # a school the passages speak of is asked about, and the model is told which school that is
    answer = answerer.ask("Who is the principal of Cedar Valley SS?")
    assert answer.mode == "llm" and answer.answer == "Raymond Desjardins is the principal [1]."
    [prompt] = llm.prompts
    assert "It asks about Cedar Valley SS: use only what the passages say of Cedar Valley SS" in prompt


def test_the_model_is_asked_only_when_what_it_is_shown_says_it_of_the_school(make_services, tmp_path):
    from bot.knowledge.answer import LLM_PASSAGES, Answerer
    from tests.conftest import RecordingChatModel

    knowledge = tmp_path / "sample"
    shutil.copytree(SAMPLE, knowledge)
    (knowledge / "newsletter.md").write_text(
        "# District newsletter\n\nWillow Creek PS welcomed Lena Park as its new principal in September.\n"
    )
    services = make_services(knowledge_dir=knowledge)
    services.district.load()
    services.ingester.ingest([knowledge])
    services.ingester.ingest([services.settings.cards_dir])
    llm = RecordingChatModel(replies=["Raymond Desjardins is the principal [1]."])
    answerer = Answerer(index=services.index(), llm=llm, data=services.data_answers)
    found = answerer._search

    def news_past_what_the_model_sees(query, vector, k):
        hits = [h for h in found(query, vector, k) if not services.data_answers.is_card(h.passage)]
        news = [h for h in hits if h.passage.title == "District newsletter"]
        others = [h for h in hits if h not in news]
        return others[:LLM_PASSAGES] + news + others[LLM_PASSAGES:]

    answerer._search = news_past_what_the_model_sees
    # the passage saying it of Willow Creek is found but would not be shown: the extractive answer quotes it
    answer = answerer.ask("Who is the principal of Willow Creek?")
    assert answer.mode == "extractive" and llm.prompts == []
    assert "Lena Park" in answer.answer and "Desjardins" not in answer.answer


def test_without_principals_in_schools_csv_no_principal_is_guessed(make_services, tmp_path):
    knowledge = tmp_path / "sample"
    shutil.copytree(SAMPLE, knowledge)
    schools = knowledge / "district" / "schools.csv"
    # the column is optional: a list of schools without it loads as before
    schools.write_text("\n".join(row.rsplit(",", 1)[0] for row in schools.read_text().splitlines()) + "\n")
    services = make_services(knowledge_dir=knowledge)
    services.district.load()
    services.ingester.ingest([knowledge])
    services.ingester.ingest([services.settings.cards_dir])
    answer = services.answerer.ask("Who is the principal of Willow Creek?")
    assert (
        answer.answer == "Nothing in the knowledge base answers that for Willow Creek PS, so I won't guess."
    )
    assert "principal" not in (services.settings.cards_dir / "RB08.md").read_text()
    assert services.data_answers.schools_named("Angela Moretti's school") == []


@pytest.mark.parametrize(
    ("question", "school"),
    [
        ("How is Angela Moretti's school doing in Grade 3 math?", ["Maple PS"]),
        ("Okafor's school has basically cracked math.", ["Harbour View PS"]),
        ("Marisol's school has had a rough few years.", ["Northgate PS"]),
        ("Ms. Moretti's staff chose the reading cycle.", ["Maple PS"]),
        ("Geoffrey Hart mentioned his kids. How are they doing at his school?", ["Stonebridge PS"]),
        # a person, not a school: a full name alone, or with no "his school" / "her school" after it
        ("Who is Angela Moretti?", []),
        ("Mr. Okafor and his staff chose numeracy.", []),
        ("Geoffrey Hart spoke at the meeting.", []),
        ("Jean-Marc's visits help.", []),  # not Marc Bouchard's school
    ],
)
def test_a_school_named_by_its_principal(data, question, school):
    assert data.schools_named(question) == school


def test_a_first_name_two_principals_share_names_neither(make_services, tmp_path):
    knowledge = tmp_path / "sample"
    shutil.copytree(SAMPLE, knowledge)
    schools = knowledge / "district" / "schools.csv"
    schools.write_text(schools.read_text().replace("Samuel Achebe", "Angela Brooks"))
    services = make_services(knowledge_dir=knowledge)
    services.district.load()
    named = services.data_answers.schools_named
    assert named("Angela's school") == []  # Maple PS or Birchwood PS: neither is guessed
    assert named("Angela Moretti's school") == ["Maple PS"] and named("Brooks's school") == ["Birchwood PS"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (  # the school by its principal; the context sentence's "meeting" asks nothing of the plan
            "Geoffrey Hart mentioned his multilingual kids at the last meeting. How are they doing in Grade 3 "
            "reading at his school?",
            "Stonebridge PS, grade 3 reading, multilingual learners: 57.6% in 2025",
        ),
        (  # a School on the Move named, but a measure of one school asked for
            "Angela Moretti's school is a School on the Move, but how's their Grade 3 math looking against the "
            "district?",
            "Maple PS, grade 3 mathematics: 56.7% in 2025",
        ),
        (
            "Which of our high schools are off track on grad rates right now?",
            "Five-year graduation rate in 2025, off track: Cedar Valley SS 77.8%, Westfield SS 76.5%.",
        ),
        (
            "quick one - which elementaries are off track on grade 3 reading?",
            "Grade 3 reading at the provincial standard in 2025, off track: Stonebridge PS",
        ),
        (  # a goal met, said with its value
            "Which elementaries have already hit the 75% grade 3 reading goal?",
            "Grade 3 reading at the provincial standard in 2025, met the goal: Riverside PS 77.7%, Birchwood PS 77.2%.",
        ),
        (  # "who's bottom" asks which school, not which person
            "who's bottom of the pile in grade 3 math right now?",
            "Grade 3 mathematics at the provincial standard in 2025, highest: Willow Creek PS 70.6%; lowest: Pine Hollow PS",
        ),
        (  # "moving" asks for a change; a coasting school's figures say it is coasting
            "Is Beatriz Santos's school moving at all on graduation?",
            "Westfield SS, graduation rate: 76.5% in 2025, down 0.1 points",
        ),
        (
            "How is Riverbend secondary doing on graduation?",
            "Riverbend SS, graduation rate",
        ),
        (  # the plan's trajectory is the card's
            "Board will ask: where's district Grade 6 math vs where the plan said we'd be by 2025?",
            "District grade 6 mathematics at the provincial standard (%): 53.1% in 2025",
        ),
    ],
)
def test_questions_as_leaders_type_them(data, question, expected):
    assert _text(data, question).startswith(expected)


@pytest.mark.parametrize(
    "question",
    [
        # "do credit rescue" is a practice; "How did they do in ...?" is a result
        "A lot of Cedar Valley kids ride the bus for an hour. How do they do credit rescue if students can't "
        "stay after school?",
        "How does Cedar Valley SS do credit rescue for students behind on credits?",
        "At Cedar Valley SS, how do they do credit rescue during the day?",
        "What kind of Grade 6 math gains did we see in schools whose teachers made it to all six network "
        "sessions, vs the rest?",  # the plan's finding, not a school's result
        "What's the bar for a school to count as a School on the Move?",  # the idea, not the list
        "What's the bar for Schools on the Move?",
    ],
)
def test_practices_asked_as_leaders_type_them_are_not_data_questions(data, question):
    assert not data.about_data(question) and data.answer(question) is None


def test_the_answerer_reads_a_leaders_shorthand_and_a_school_by_its_principal(services):
    services.ingester.ingest([SAMPLE])
    services.ingester.ingest([services.settings.cards_dir])
    vp = services.answerer.ask("Who's the VP at Maple?")
    assert vp.answer.startswith("Vice-principal: Kevin Osborne")
    ml = services.answerer.ask("how are ML students doing in gr 3 reading across the district?")
    assert ml.answer.startswith("District grade 3 reading, multilingual learners (%): 58.4% in 2025")
    team = services.answerer.ask("Who sits on Simone Baptiste's weekly student success team?")
    assert "the guidance head and the special education head" in team.answer
    assert {s.title for s in team.sources} == {"Riverbend SS (RB16)"}


def test_a_coasting_schools_figures_say_it_is_coasting(data):
    westfield = _text(data, "What is Westfield SS's graduation rate?")
    assert westfield.endswith(
        "Westfield SS is coasting: its results are close to the district's but have not moved."
    )
    assert "coasting" not in _text(data, "What is Lakeshore SS's graduation rate?")


def test_a_trend_asked_for_gets_every_years_value(data):
    trend = _text(data, "Lakeshore's grad rate looks like it's slipping - what's the trend?")
    assert "By year: 2021: 94.6%, 2022: 95.4%, 2023: 93.1%, 2024: 91.9%, 2025: 87.7%." in trend
    district = _text(data, "What's the trend in district Grade 6 math?")
    assert "By year: 2021: 47.5%, 2022: 48.0%" in district
    assert "By year" not in _text(data, "What is Lakeshore SS's graduation rate?")


@pytest.mark.parametrize(
    ("question", "school"),
    [
        ("How is HVPS doing in Grade 6 math?", ["Harbour View PS"]),
        ("Simone keeps asking for a second teacher at RSS", ["Riverbend SS"]),
        ("How is Northgate Secondary doing?", ["Northgate SS"]),
        ("NSS and NPS", ["Northgate SS", "Northgate PS"]),
        ("an rss feed", []),  # initials in capitals only
        ("How is BPS doing?", []),  # Birchwood PS or Brookside PS: neither
    ],
)
def test_a_school_named_by_its_initials(data, question, school):
    assert data.schools_named(question) == school
