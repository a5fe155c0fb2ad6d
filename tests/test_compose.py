"""Answers chosen by meaning: sentence vectors stored at ingest, question kinds, lists, names, numbers."""

import re

import numpy as np
import pytest
from sqlalchemy import select, update

from bot.knowledge.answer import MAX_ANSWER_CHARS, Answerer, _cited, extractive_answer
from bot.knowledge.compose import (
    _after_lead,
    _catalogues,
    _list_answer,
    _own,
    _prose_answer,
    _repeats,
    _Scorer,
    _Sentence,
    display,
)
from bot.knowledge.index import Hit
from bot.knowledge.questions import question_kind, second_kind, spelled_out
from bot.knowledge.text import Unit, answer_units, terms
from bot.knowledge.vectors import Passage, with_sentence_vectors
from bot.store.tables import chunks, index_meta


def _passages(embeddings, *texts: str, location: str = "Section", source: str = "doc.md") -> list[Passage]:
    rows = [Passage(f"id{i}", source, "Doc", location, i, text) for i, text in enumerate(texts)]
    return with_sentence_vectors(rows, embeddings.embed_documents, batch=64)


def _answer(embeddings, question: str, passages: list[Passage], **kwargs):
    hits = [Hit(p, 1.0 / (i + 1), dense=0.5) for i, p in enumerate(passages)]
    return extractive_answer(
        question, hits, {}, vector=embeddings.embed_query(question),
        document=lambda p: [q for q in passages if q.source == p.source], **kwargs,
    )  # fmt: skip


def _fit(question: str):
    """How far a sentence (not a list item) holds what the question asks for."""
    scorer = _Scorer(question, question_kind(question), None, {})
    return lambda text: scorer.fits(Unit(text, 0, True, False, False), None)


def _quoted(answer) -> list[str]:
    return [s.strip() for s in re.split(r"\s*\[\d+\]\s*", answer.answer) if s.strip()]


@pytest.mark.parametrize(
    ("question", "kind", "count"),
    [
        ("Who is the superintendent?", "who", None),
        ("Who leads numeracy?", "who", None),
        ("How many schools are coasting?", "number", None),
        ("By how much did the graduation rate rise?", "number", None),
        ("What percentage of students graduate?", "number", None),
        ("When does the plan end?", "when", None),
        ("In what year was the plan adopted?", "when", None),
        ("What is credit recovery?", "definition", None),
        ("What are data walls?", "definition", None),
        ("What does intelligent accountability mean?", "definition", None),
        ("Why does focus matter?", "why", None),
        ("What are the three priorities?", "list", 3),
        ("What are the district's 4 strategies?", "list", 4),
        ("How do schools ask for support?", "how", None),
        ("What is the goal for Grade 3 reading?", "fact", None),
        ("What is the Monday Three?", "definition", None),  # "the" before a name: a thing named
        ("What is the Grade 3 reading target?", "fact", None),  # a value, though "Grade" is capitalised
        ("What was the Board's budget for coaches?", "fact", None),
        # "the" before a term of two or three words that is not a value: a thing to define
        ("What is the task environment in Moore's strategic triangle?", "definition", None),
        ("What is the authorizing environment?", "definition", None),
        ("What is the plan for Grade 9?", "fact", None),  # one word: what it is, not what it means
        ("What is the graduation rate in 2025?", "fact", None),
        ("What does Moore mean by strategic knowledge?", "definition", None),
        ("What is the new funding request for 2026-27?", "fact", None),  # a value's word: a value
        ("What is the literacy coaching budget?", "fact", None),
        ("What is the district's reading target?", "fact", None),
        # a clause before the question proper does not set its kind
        ("When Albert's school looked at its data, what share of students were behind?", "number", None),
        ("Per Moore, why do initiatives start small?", "why", None),
        ("In Elmore's terms, what is standards-based reform?", "definition", None),
        ("How do people define a systemic effect?", "definition", None),
        # several things asked for: a plural before the verb
        ("What kinds of people does Moore see launching system change?", "list", None),
        ("Which familiar school practices does Elmore blame on loose coupling?", "list", None),
        ("What key ideas sit at the center of the model?", "list", None),
        ("What process does Elmore describe?", "fact", None),  # one thing
        ("What status does Maple PS have?", "fact", None),  # "status" is no plural
        ("What does the strategy involve?", "fact", None),
        ("What is Harbour View doing to get kids to like math?", "how", None),  # practices, no definition
        # the question is the last sentence ("Ms." and "F." end none)
        ("Moore talks about strategic capacity. What are the three parts?", "list", 3),
        ("Who is Ms. Baptiste?", "who", None),
        ("When did Richard F. Elmore write it?", "when", None),
        # a request around the question asks it all the same
        ("Remind me who the three cluster supers are?", "who", None),
        ("Can you tell me when the digest posts?", "when", None),
        ("Could you please tell me why focus matters?", "why", None),
    ],
)
def test_the_kind_of_answer_a_question_asks_for(question, kind, count):
    found = question_kind(question)
    assert (found.kind, found.count) == (kind, count)
    assert found.hint()  # a language model is told it too


def test_a_definition_asked_for_names_the_thing_to_define():
    assert question_kind("What is the task environment in Moore's triangle?").subject == {"task", "environ"}
    assert question_kind("What does Moore mean by strategic capacity?").subject == {"strateg", "capac"}
    assert question_kind("How do people define a systemic effect in the sector?").subject == {
        "system",
        "effect",
    }


def test_what_defines_and_what_gives_a_reason():
    systemic, coach = _fit("What is a systemic effect?"), _fit("What is a literacy coach?")
    assert systemic("In 2019, a systemic effect was found in three districts.") == 0.0  # a year opens it
    assert coach("Literacy coach: full-time (Rachel Ng)") == 0.0  # a field's label, not a definition
    assert _fit("What is coasting?")("Coasting is being stuck near the average for years.") == 1.0
    define = _fit("What is standards-based reform?")
    assert (
        define("Standards-based reform sounds very simple: society sets standards.") == 1.0
    )  # after a colon
    assert (
        define("Standards-based reforms are delivering a clear signal to schools.") == 0.0
    )  # doing, not being
    assert define("Standards-based reform is nothing more than setting standards.") == 1.0
    assert (
        _fit("What is a systemic effect?")("To many, a systemic effect is simply a function of scale.") == 1.0
    )
    why = _fit("Why do exceptional schools not change the system?")
    assert why("They studied exemplary schools over the past decade or so.") == 0.0  # "or so" gives no reason
    assert why("The schools have tried hard, so far without success.") == 0.0
    assert why("The culture allows exceptions, so nothing else has to change.") == 1.0
    assert why("It costs little, as it draws on partners that already exist.") == 1.0  # "as" gives a reason
    assert why("As it happens, the schools stayed the same.") == 0.0
    # "since" gives a reason, unless it gives a time
    assert why("Since the staff were new, the cycle never took hold.") == 1.0
    assert why("Since January 2025, the school has kept a reading data wall.") == 0.0
    assert why("The wall has been there since 2023.") == 0.0


def test_authors_cited_by_surname_answer_who():
    question = "Who did the study of high-achieving California districts?"
    # the passages write "literacy" and "numeracy" as ordinary words: those are no surnames
    scorer = _Scorer(question, question_kind(question), None, {}, texts=["literacy and numeracy come first"])

    def who(text):
        return scorer.fits(Unit(text, 0, True, False, False), None)

    assert who("Murphy and Hallinger, in a study of California districts, found common strategies.") >= 0.6
    assert who("Literacy and Numeracy were the first two priorities, in a study of districts.") < 0.6


def test_sentence_vectors_are_stored_with_each_chunk_at_ingest(make_services, knowledge, embeddings):
    services = make_services()
    services.ingester.ingest([knowledge])
    with services.engine.connect() as conn:
        rows = conn.execute(select(chunks.c.text, chunks.c.location, chunks.c.sentence_vectors)).all()
    assert rows
    for text, location, stored in rows:
        units = answer_units(text, location)
        matrix = np.frombuffer(stored, dtype=np.float16).reshape(len(units), -1).astype(np.float32)
        expected = np.asarray(embeddings.embed_documents([u.text for u in units]), dtype=np.float32)
        cosines = (matrix * expected).sum(axis=1) / np.linalg.norm(matrix, axis=1)
        assert cosines.min() > 0.999  # the sentence's own vector, in order


def test_a_corpus_ingested_without_sentence_vectors_is_redone_once(make_services, knowledge):
    services = make_services()
    services.ingester.ingest([knowledge])
    with services.engine.begin() as conn:  # as an install from before sentence vectors left it
        conn.execute(update(chunks).values(sentence_vectors=None))
        conn.execute(
            update(index_meta)
            .where(index_meta.c.key == "pipeline")
            .values(value="local:all-MiniLM-L6-v2|chunking-1-200")
        )
    again = make_services().ingester.ingest([knowledge])
    assert again.chunks_embedded == again.chunks_total > 0
    with services.engine.connect() as conn:
        assert None not in conn.execute(select(chunks.c.sentence_vectors)).scalars().all()
    assert make_services().ingester.ingest([knowledge]).chunks_embedded == 0


def test_the_sentence_that_adds_the_fact_beats_the_one_that_repeats_the_question(embeddings):
    passages = _passages(
        embeddings,
        "Many people ask how much the graduation rate rose. The board watches the graduation rate.",
        "Attendance is reported each term. The rate climbed from 78% in 2022 to 82% in 2025.",
    )
    answer = _answer(embeddings, "By how much did the graduation rate rise?", passages)
    assert answer.answer.startswith("The rate climbed from 78% in 2022 to 82% in 2025. [1]")
    assert "Many people ask" not in answer.answer


def test_who_gets_the_name(embeddings):
    passages = _passages(
        embeddings,
        "Numeracy is the second priority. Teachers meet in math networks every month.",
        "The numeracy work is coordinated centrally. Lead: Hannah Kowalski.",
        location="2. Numeracy",
    )
    answer = _answer(embeddings, "Who leads numeracy?", passages)
    assert "Hannah Kowalski" in _quoted(answer)[0]


def test_a_definition_in_a_bold_led_list_item_comes_with_its_lead(embeddings):
    passages = _passages(
        embeddings,
        "Schools report their support requests every week. Maple PS asked for credit recovery staff.",
        "The district offers three ways back:\n- Credit recovery. A student who fails a course with a mark "
        "from 35 to 49 completes only the expectations they missed.\n- Credit rescue. A teacher helps a "
        "student at risk before the course ends.",
    )
    answer = _answer(embeddings, "What is credit recovery?", passages)
    assert _quoted(answer)[0] == (
        "Credit recovery. A student who fails a course with a mark from 35 to 49 completes only the "
        "expectations they missed."
    )
    assert "Maple PS asked" not in answer.answer


def test_a_list_question_gets_the_numbered_sections_each_cited(embeddings):
    sections = [
        ('1. Literacy — "Every child reading by the end of Grade 3."', "Grade 3 reading: 61% in 2022."),
        ('2. Numeracy — "Every student confident in mathematics."', "Grade 6 mathematics: 48% in 2022."),
        ('3. Graduation — "Every student graduates with a plan."', "Graduation: 78% in 2022."),
    ]
    rows = [
        Passage(f"p{i}", "priorities.md", "Priorities", head, i, f"{head}\n{body}")
        for i, (head, body) in enumerate(sections)
    ]
    intro = Passage(
        "intro", "plan.md", "Plan", "Priorities", 0, "This plan has three priorities and no others."
    )
    passages = with_sentence_vectors([intro, *rows], embeddings.embed_documents, batch=8)
    answer = _answer(embeddings, "What are the three priorities?", passages)
    lines = answer.answer.split("\n")
    assert lines == [f"{head} [{n}]" for n, (head, _) in enumerate(sections, start=1)]
    assert [s.location for s in answer.sources] == [head for head, _ in sections]


def test_a_list_inside_a_passage_is_quoted_item_by_item(embeddings):
    passages = _passages(
        embeddings,
        "The district opens a conversation with a school when any of these happen:\n"
        "- a measure falls 10 points below the district.\n- attendance drops two terms running.\n"
        "- the school asks for help.\nThe conversation is never a sanction.",
    )
    answer = _answer(embeddings, "What are the triggers for a conversation with a school?", passages)
    assert answer.answer.split("\n")[1:] == [
        "a measure falls 10 points below the district. [1]",
        "attendance drops two terms running. [1]",
        "the school asks for help. [1]",
    ]


def test_a_list_under_its_heading_is_the_answer_its_heading_promises(embeddings):
    heading = "Exhibit 1.1 Big Ideas for Whole-System Reform"
    rows = [
        Passage("p", "book.txt", "Chapter One", "Chapter One", 0,
                "There are some big ideas in this book, and whole-system reform rests on them."),
        Passage("e", "book.txt", "Chapter One", heading, 1,
                f"{heading}\n- 1. All children can learn\n- 2. A small number of key priorities\n"
                "- 3. Resolute leadership\n- 4. Collective capacity"),
    ]  # fmt: skip
    passages = with_sentence_vectors(rows, embeddings.embed_documents, batch=64)
    answer = _answer(embeddings, "What are the big ideas of whole-system reform?", passages)
    assert _quoted(answer) == [
        "1. All children can learn", "2. A small number of key priorities", "3. Resolute leadership",
        "4. Collective capacity",
    ]  # fmt: skip
    # the items are terse and resemble the question little: they take most of their heading's score
    units = [answer_units(p.text, p.location) for p in passages]
    scored = [_Sentence(0, 0, units[0][0], 1.1)]
    scored += [_Sentence(1, i, u, 1.0 if u.heading else 0.5) for i, u in enumerate(units[1])]
    asked = "What are the big ideas?"
    listed = _list_answer(
        _Scorer(asked, question_kind(asked), None, {}), scored, units, passages, lambda p: [p]
    )
    assert listed is not None and len(listed.parts) == 4


def test_a_question_about_someones_view_asks_for_the_view_not_their_name(embeddings):
    asked = "What does Elmore say about loose coupling?"
    scorer = _Scorer(asked, question_kind(asked), None, {})
    assert "elmor" not in scorer.q_terms and "coupl" in scorer.q_terms
    for view in ("according to Elmore", "in Richard F. Elmore's view"):
        assert (
            "elmor"
            not in _Scorer(f"What is loose coupling {view}?", question_kind("What is it?"), None, {}).q_terms
        )
    who = "Who is Elmore?"  # asked who someone is, the name is what to find
    assert "elmor" in _Scorer(who, question_kind(who), None, {}).q_terms
    passages = _passages(
        embeddings,
        "By Richard F. Elmore, Professor, Graduate School of Education",
        "Loose coupling explains why innovations in schools seldom reach the classroom.",
    )
    answer = _answer(embeddings, asked, passages)
    assert answer.answer.startswith("Loose coupling explains why")


def test_what_percentage_asks_for_a_share():
    fit = _fit("What percentage of students graduate in Ontario?")

    assert fit("The graduation rate rose from 68% to 77% over four years.") == 1.0
    assert fit("About one student in three is not yet at standard.") == 1.0
    assert fit("More than 20,000 students are enrolled in 740 programs.") == 0.5
    # a share asked for is the answer, though the question's "falling" would ask for a change
    behind = _fit("What share of students were found to be falling behind on credits?")
    assert behind("As many as 25% of the students were falling behind.") == 1.0
    assert behind("The pass rate has gone from 65 to 81.") == 0.5


def test_answers_quote_verbatim_without_duplicates_under_the_cap(embeddings):
    said = "Coaches meet principals every week to look at student work."
    passages = _passages(embeddings, f"{said} " + "They plan the next step together. " * 3, said)
    answer = _answer(embeddings, "How often do coaches meet principals?", passages)
    quoted = _quoted(answer)
    assert len(answer.answer) <= MAX_ANSWER_CHARS
    assert answer.answer.count(said) == 1 and answer.answer.count("They plan the next step together.") == 1
    text = " ".join(p.text for p in passages)
    assert all(piece in text for piece in quoted)


def test_without_sentence_vectors_answers_still_come_from_the_words(embeddings):
    rows = [
        Passage(
            "a", "doc.md", "Doc", "S", 0, "Graduation rose to 81 percent in 2025. Credit recovery helped."
        )
    ]
    answer = _answer(embeddings, "What was graduation in 2025?", rows)  # stored before sentence vectors
    assert "81 percent" in answer.answer


def test_a_language_model_gets_the_same_passages_and_the_kind_of_answer_wanted(make_services, knowledge):
    from tests.conftest import RecordingChatModel

    services = make_services()
    services.ingester.ingest([knowledge])
    question = "Who is the principal of Pine Ridge?"
    extractive = services.answerer.ask(question)
    llm = RecordingChatModel(replies=["Farah Haddad is the principal [1].", "Someone [9]."])
    with_llm = Answerer(index=services.index(), llm=llm)
    answer = with_llm.ask(question)
    [prompt] = llm.prompts
    assert "The question asks who: answer with the person's name and role." in prompt
    shown = re.findall(r"^\[(\d+)\] (.+?) \((.+?)\)$", prompt, flags=re.M)
    assert shown and shown[0][1] == extractive.sources[0].title  # retrieval ranked the same
    assert answer.mode == "llm" and answer.sources[0].title == shown[0][1]
    checked = with_llm.ask(question)  # a citation of nothing shown: the extractive answer
    assert checked.mode == "extractive" and checked.answer.startswith(extractive.answer)


def test_a_chunk_is_embedded_under_its_documents_title(make_services, knowledge, embeddings):
    (knowledge / "oak.md").write_text("# Oak Hill PS\n\n- Principal: Dana Ruiz\n- Grades: K-8\n")
    services = make_services()
    services.ingester.ingest([knowledge])
    stored = services.vectorstore().get(include=["embeddings", "metadatas", "documents"])
    for vector, meta, text in zip(
        stored["embeddings"], stored["metadatas"], stored["documents"], strict=True
    ):
        [expected] = embeddings.embed_documents([f"{meta['title']}\n{text}"])
        assert float(np.dot(vector, expected)) > 0.9999  # "Pine Ridge" finds the profile's first lines
    for mode in ("lexical", "dense"):  # the profile's lines never name the school: its title does
        assert services.index().search("Oak Hill", k=1, mode=mode)[0].passage.source == "oak.md"


def test_who_prefers_the_role_asked_about_to_a_qualified_one(embeddings):
    passages = _passages(
        embeddings,
        "Each cluster has a cluster superintendent. Cluster: Central (cluster superintendent Michael Brennan).",
        "Superintendent Dr. Amara Osei owns the plan. The plan runs to 2026.",
    )
    answer = _answer(embeddings, "Who is the superintendent?", passages)
    assert answer.answer.startswith("Superintendent Dr. Amara Osei owns the plan.")
    assert "Michael Brennan" not in answer.answer


def test_a_sentence_about_another_grade_or_subject_does_not_answer(embeddings):
    passages = _passages(
        embeddings,
        "Maple's Grade 3 reading results have risen every year, from 58% in 2022 to 72% in 2025. "
        "Grade 6 mathematics improved more slowly, from 45% in 2022 to 52% in 2025.",
    )
    answer = _answer(embeddings, "How is Maple PS doing in Grade 6 math?", passages)
    assert answer.answer.startswith("Grade 6 mathematics improved more slowly")


def test_leaders_words_for_one_thing_are_one_term():
    from bot.knowledge.text import terms

    assert terms("math maths mathematics") == ["mathemat"] * 3
    assert terms("grad rate") == terms("graduation rate")


def test_list_items_without_a_stop_stand_on_their_own_lines():
    from bot.knowledge.answer import _cited
    from bot.knowledge.compose import Composed

    profile = Passage(
        "p", "oak.md", "Oak Hill PS", "introduction", 0, "- Principal: Dana Ruiz (since 2021)\n- Grades: K-8"
    )
    plan = Passage("q", "plan.md", "Plan", "Goals", 0, "Oak Hill reads daily. Its coach visits weekly.")
    composed = Composed([(0, "Principal: Dana Ruiz (since 2021)"), (0, "Grades: K-8"), (1, "Oak Hill reads daily."),
                         (1, "Its coach visits weekly.")], [profile, plan])  # fmt: skip
    answer = _cited(composed, [Hit(profile, 1.0, dense=0.5), Hit(plan, 0.5, dense=0.5)])
    # never two items run together as one sentence; sentences still flow, with one marker per run
    assert answer.answer.split("\n") == [
        "Principal: Dana Ruiz (since 2021) [1]",
        "Grades: K-8 [1]",
        "Oak Hill reads daily. Its coach visits weekly. [2]",
    ]


def test_a_sentence_that_only_repeats_one_already_quoted_is_left_out(embeddings):
    faq = _passages(embeddings, "When are targets final? Targets are signed off by June 15.", source="faq.md")
    plan = _passages(
        embeddings,
        "The agreed targets are signed off by June 15. In 2025, 12 of 20 schools signed off by June 15.",
        source="plan.md",
    )
    answer = _answer(embeddings, "When are targets signed off?", faq + plan)
    quoted = _quoted(answer)
    assert quoted[0] == "Targets are signed off by June 15."
    assert "The agreed targets are signed off by June 15." not in answer.answer
    # a sentence that differs by a number says something new
    assert _repeats({"target", "sign", "june", "15"}, {"target", "sign", "june", "16"}) is False
    assert _repeats({"agre", "target", "sign", "june", "15"}, {"target", "sign", "june", "15"}) is True


def test_a_person_named_in_full_is_named_by_either_name():
    question = "By how much did Irina Fedra's school improve?"
    scorer = _Scorer(question, question_kind(question), None, {"irina": 4.0, "fedra": 6.0, "school": 1.0})
    assert scorer.overlap(set(terms("Irina's school has gone from 33% to 82%."))) == pytest.approx(
        scorer.overlap(set(terms("Irina Fedra's school")))
    )
    assert scorer.overlap(set(terms("The school improved."))) < scorer.overlap(set(terms("Irina's school")))


def test_how_much_did_it_improve_asks_for_a_change_not_any_number():
    improved = "By how much did Irina Fedra's school improve?"
    scorer = _Scorer(improved, question_kind(improved), None, {})
    change = Unit("Irina's school has gone from 33% to 82% in three years.", 0, True, False, False)
    other = Unit("Irina Fedra teaches a group of 6 students.", 0, True, False, False)
    assert scorer.fits(change, None) == 1.0 and scorer.fits(other, None) == 0.5
    counted = "How many students are in Irina's group?"
    assert _Scorer(counted, question_kind(counted), None, {}).fits(other, None) == 1.0


def test_how_many_asks_for_a_number_of_the_thing_counted(embeddings):
    assert question_kind("How many Grade 3 students at Stonebridge are not at standard?").counted == "student"
    assert question_kind("How many FTE numeracy coaches did the memo request?").counted == "coach"
    assert question_kind("How much did the board request?").counted is None
    # the first plural after "how many", whatever verb follows it
    for asked, counted in (
        ("How many students go to Maple PS?", "student"),
        ("How many people work at Riverbend SS?", "peopl"),
        ("How many more students passed in 2025?", "student"),
        ("How many K–3 students are at benchmark?", "student"),
        ("How many is that?", None),
    ):
        assert question_kind(asked).counted == counted, asked
    counted = "How many students attend Maple PS?"
    fit = _fit(counted)

    assert fit("- Enrolment: 412 students (October 2025)") == 1.0
    assert fit("The school named 22 Grade 3 students not at standard.") == 1.0
    assert fit("In 2024–25 that was about 290 students per semester.") == 1.0
    # a number of something else, a grade, or a span of time is not the count asked for
    assert fit("Maple will use its $5,000 School on the Move funding to host visits.") == 0.5
    assert fit("Every Grade 11 and 12 student has a credit map.") == 0.5
    assert fit("Each K–3 student has a card.") == 0.5
    assert fit("In 2025 students improved on five measures.") == 0.5  # a year
    assert fit("About 60% of its students arrive by bus.") == 0.5  # a share
    # a count written after its label, or after a grade
    assert fit("- students: 412") == 1.0
    assert fit("In Grade 3, 45 students read at benchmark.") == 1.0
    coaches = _Scorer("How many coaches?", question_kind("How many coaches?"), None, {})
    assert (
        coaches.fits(Unit("Literacy coaches (11.0 FTE) work in 30 schools.", 0, True, False, False), None)
        == 1.0
    )
    points = "By how many points did it rise?"
    assert (
        _Scorer(points, question_kind(points), None, {}).fits(
            Unit("It rose from 41% to 55%, a 14-point gain.", 0, True, False, False), None
        )
        == 1.0
    )
    # "coach" the verb, after a span of time, is not a count of coaches
    assert (
        coaches.fits(Unit("One day every two weeks to coach teachers.", 0, True, False, False), None) == 0.5
    )
    assert (
        _Scorer("How many schools?", question_kind("How many schools?"), None, {}).fits(
            Unit("A support team is named within 15 school days.", 0, True, False, False), None
        )
        == 0.5
    )
    profile = _profile(
        embeddings,
        "Maple PS (RB01)",
        "Maple will use its $5,000 School on the Move funding to host visits from other schools.",
        "- Enrolment: 412 students (October 2025), about 28% multilingual learners",
        "Maple's Grade 3 reading results rose from 58% in 2022 to 72% in 2025.",
    )
    answer = _answer(embeddings, counted, profile)
    assert _quoted(answer) == ["Enrolment: 412 students (October 2025), about 28% multilingual learners"]


def test_when_no_sentence_holds_what_was_asked_for_fewer_others_join():
    passages = [
        Passage("a", "guide.md", "Guide", "Tier 2", 0, "A Focused Partnership usually lasts a year."),
        Passage("b", "memo.md", "Memo", "Money", 0, "Release time is funded for partnership schools."),
    ]
    units = [answer_units(p.text, p.location) for p in passages]

    def answer(kind: str, fit: float = 0.0) -> list[str]:
        scored = [_Sentence(0, 0, units[0][0], 1.0, 0.0), _Sentence(1, 0, units[1][0], 0.85, fit)]
        return [
            text
            for _, text in _prose_answer(kind, scored, units, list(passages), lambda p: [p], [0, 0]).parts
        ]

    # an open question takes the other strong sentence; a how-many question that no sentence answers
    # with a number does not pad its best guess with it
    assert len(answer("fact")) == 2
    assert answer("number") == ["A Focused Partnership usually lasts a year."]
    # but one that gives what was asked still may, and a why-question is an open one
    assert len(answer("number", fit=1.0)) == 2
    assert len(answer("why")) == 2


def _schools(*names: str):
    """The district's schools a text names, by name or by name without PS/SS (as DataAnswers names them)."""

    def named(text: str) -> list[str]:
        short = {name: re.sub(r"\s+(?:PS|SS)$", "", name) for name in names}
        return [name for name in names if re.search(rf"\b{re.escape(short[name])}\b", text, re.I)]

    return named


def _profile(embeddings, title: str, *texts: str) -> list[Passage]:
    rows = [Passage(f"{title}{i}", f"{title}.md", title, "introduction", i, t) for i, t in enumerate(texts)]
    return with_sentence_vectors(rows, embeddings.embed_documents, batch=64)


def test_a_school_asked_about_that_no_answer_is_said_of_gets_no_guess(embeddings):
    willow = _schools("Willow Creek PS", "Cedar Valley SS", "Cedar Grove PS")  # the district's schools
    cedar = _profile(
        embeddings,
        "Cedar Valley SS",
        "- Principal: Raymond Desjardins (since 2021)\n- Feeder schools: Cedar Grove PS, Willow Creek PS",
    )
    # Willow Creek has no profile: Cedar Valley's principal is not its principal
    answer = _answer(embeddings, "Who is the principal of Willow Creek?", cedar, schools_named=willow)
    assert (
        answer.answer == "Nothing in the knowledge base answers that for Willow Creek PS, so I won't guess."
    )
    assert answer.sources == []
    # said of it somewhere, that is the answer, though another school's principal resembles the question
    news = _profile(
        embeddings, "District newsletter", "Willow Creek PS welcomed Lena Park as its new principal."
    )
    answer = _answer(embeddings, "Who is the principal of Willow Creek?", cedar + news, schools_named=willow)
    assert _quoted(answer) == ["Willow Creek PS welcomed Lena Park as its new principal."]
    # and it leads even when it says so in fewer of the question's words than Cedar Valley's line does
    news = _profile(embeddings, "District newsletter", "Lena Park has run Willow Creek PS since 2024.")
    answer = _answer(
        embeddings, "Who is the principal of Willow Creek PS?", cedar + news, schools_named=willow
    )
    assert _quoted(answer) == ["Lena Park has run Willow Creek PS since 2024."]
    # said only in its document's title, and in other words: another school's lead still does not lead
    cedar_lead = _profile(embeddings, "Cedar Valley SS", "- Literacy lead: Raymond Desjardins (since 2021)")
    profile = _profile(embeddings, "Willow Creek PS", "Our reading work is led by Lena Park.")
    answer = _answer(
        embeddings, "Who leads literacy at Willow Creek PS?", cedar_lead + profile, schools_named=willow
    )
    assert _quoted(answer) == ["Our reading work is led by Lena Park."]
    asked = _answer(embeddings, "Who is the principal of Cedar Valley SS?", cedar, schools_named=willow)
    assert "Raymond Desjardins" in asked.answer
    # a name that is not a school's (an author's, a place's) narrows nothing: the reform documents
    # rarely say "Fullan" beside what Fullan says
    book = _profile(
        embeddings, "All Systems Go", "Almost all children, 95 percent of them, can learn to a high level."
    )
    assert (
        "95 percent" in _answer(embeddings, "What share of children does Fullan say can learn?", book).answer
    )


def test_who_holds_a_role_is_a_person_not_the_place_asked_about(embeddings):
    harbour = _profile(
        embeddings,
        "Harbour View PS",
        "When the plan began, only 41% of Harbour View's Grade 6 students met the standard. They set out "
        "to make Harbour View the school where kids like math.",
        "- Principal: Daniel Okafor (since 2020)\n- Feeder school of Cedar Valley SS",
        "For 2025–26, Harbour View asked for:\n- six extra coaching days from the Literacy team "
        "(Jean-Marc Tremblay) to strengthen its K–3 small-group instruction.",
    )
    answer = _answer(embeddings, "Who is the principal of Harbour View PS?", harbour)
    assert _quoted(answer) == ["Principal: Daniel Okafor (since 2020)"]
    # beside a sentence about as strong that names only a coach, the principal's line leads
    answer = _answer(embeddings, "Who runs Harbour View PS?", harbour)
    assert _quoted(answer)[0] == "Principal: Daniel Okafor (since 2020)"
    asked = "Who is the principal of Harbour View PS?"
    scorer = _Scorer(asked, question_kind(asked), None, {})
    place = Unit("They set out to make Harbour View the school where kids like math.", 0, True, False, False)
    assert scorer.fits(place, None) == 0.0
    # "Cedar Grove PS" is a school, not a person
    assert (
        scorer.fits(Unit("Feeder schools: Cedar Grove PS, Pine Hill PS", 0, True, True, False), None) == 0.0
    )
    # asked who someone is, the sentence naming them answers, and best with their role
    person = "Who is Irina Fedra?"
    teacher = Unit(
        "Grade-2 teacher Irina Fedra just finished a shared reading exercise.", 0, True, False, False
    )
    assert _Scorer(person, question_kind(person), None, {}).fits(teacher, None) == 1.0
    named = Unit("Irina Fedra just finished a shared reading exercise.", 0, True, False, False)
    assert _Scorer(person, question_kind(person), None, {}).fits(named, None) == 0.6


def test_a_memos_field_line_is_quoted_whole(embeddings):
    memo = _profile(
        embeddings,
        "Memo",
        "To: Board of Trustees\nFrom: Dr. Amara Osei, Superintendent\nDate: October 14, 2025",
        "The board asked for a report on the three priorities.",
    )
    answer = _answer(embeddings, "Who is the superintendent?", memo)
    assert answer.answer == "From: Dr. Amara Osei, Superintendent [1]"  # no " …": the line is whole
    row = "title: Foreword to Breakthrough; author: Richard F. Elmore"  # a table's row, as it is read
    assert display(row) == row


def test_a_question_naming_no_school_gets_the_districts_definition_before_a_schools(embeddings):
    school = _profile(
        embeddings,
        "Riverbend SS (RB16)",
        "- **Credit recovery.** Students who finish a course with a mark from 35 to 49 complete only the "
        "expectations they missed, in a credit recovery classroom. In 2024–25, 141 credits were recovered this way.",
    )
    plan = _profile(
        embeddings,
        "Improvement Plan",
        "- **Credit recovery.** A student who fails a course with a mark from 35 to 49 completes only the "
        "expectations not met, in the next semester or in summer school.",
    )
    schools = _schools("Riverbend SS")
    answer = _answer(embeddings, "What is credit recovery?", school + plan, schools_named=schools)
    assert answer.sources[0].title == "Improvement Plan"  # the district's, though the school's ranked first
    assert "A student who fails a course" in answer.answer.split("[1]")[0]
    # asked of the school, the school's own says it
    asked = _answer(
        embeddings, "What is credit recovery at Riverbend SS?", school + plan, schools_named=schools
    )
    assert asked.sources[0].title == "Riverbend SS (RB16)"


def test_a_faqs_yes_or_no_does_not_join_an_answer_without_its_question(embeddings):
    faq = _passages(
        embeddings,
        "**What is a check-in?**\nA check-in is a 60-minute meeting between the principal and the cluster "
        "superintendent, held three times a year.",
        "**Is a check-in an evaluation of me?**\nNo. Check-ins are about the school's progress on the priorities.",
        "**Can I move my check-in?**\nYes, as long as the check-in stays in the same month.",
    )
    answer = _answer(embeddings, "What is a check-in?", faq)
    assert "A check-in is a 60-minute meeting" in answer.answer
    assert "No. " not in answer.answer and "Yes," not in answer.answer


def test_the_monday_three_is_defined_by_its_bold_lead(embeddings):
    passages = _passages(
        embeddings,
        "Leaders repeat the three sentences in every edition of The Monday Three.",
        "- **The Monday Three.** A weekly digest goes out every Monday by 8:00 a.m. to principals.",
    )
    assert question_kind("What is the Monday Three?").subject == {"monday", "three"}
    answer = _answer(embeddings, "What is the Monday Three?", passages)
    assert "A weekly digest goes out every Monday" in answer.answer.split("[1]")[0]


def test_who_wants_a_person_in_the_role_asked_about():
    question = "Who is the principal of Northgate PS?"
    scorer = _Scorer(question, question_kind(question), None, {})

    def fit(text: str) -> float:
        return scorer.fits(Unit(text, 0, True, True, False), None)

    assert fit("- Principal: Marisol Vega (since August 2024)") == 1.0
    # "a Focused Partnership" is no one: the principal's role alone
    assert (
        fit("- Northgate PS has been in a Focused Partnership since 2025, at the principal's request.") == 0.4
    )
    # a person, but a cluster superintendent is not the principal
    assert fit("- Cluster: North (cluster superintendent Farah Siddiqui)") == 0.6
    leads = _Scorer("Who leads numeracy?", question_kind("Who leads numeracy?"), None, {})
    assert leads.fits(Unit("Hannah Kowalski, Numeracy Lead", 0, True, False, False), None) == 1.0
    assert leads.fits(Unit("The network is led by Hannah Kowalski.", 0, True, False, False), None) == 1.0
    # a vice-principal is not the principal, nor the other way round
    assert fit("- Vice-principal: Nadia Rahman") == 0.6
    vice = "Who is the vice-principal of Stonebridge PS?"
    deputy = _Scorer(vice, question_kind(vice), None, {})
    assert deputy.fits(Unit("- Vice-principal: Nadia Rahman", 0, True, True, False), None) == 1.0
    assert deputy.fits(Unit("- Principal: Geoffrey Hart (since 2019)", 0, True, True, False), None) == 0.6
    # "leads" or "heads" asks who is in charge: the principal, not the deputy
    for asked in ("Who leads Maple PS?", "Who heads Maple PS?", "Who is the head of Maple PS?"):
        heads = _Scorer(asked, question_kind(asked), None, {}, ["Maple PS"])
        assert heads.fits(Unit("- Principal: Angela Moretti (since 2021)", 0, True, True, False), None) == 1.0
        assert heads.fits(Unit("- Vice-principal: Kevin Osborne", 0, True, True, False), None) == 0.6
    # the school asked about is a place, never a person, whatever the question's verb
    runs = _Scorer(
        "Who runs Harbour View PS?", question_kind("Who runs Harbour View PS?"), None, {}, ["Harbour View PS"]
    )
    assert runs.fits(Unit("For 2025–26, Harbour View asked for:", 0, True, False, False), None) == 0.0
    assert runs.fits(Unit("- Principal: Daniel Okafor (since 2020)", 0, True, True, False), None) == 1.0


def test_who_takes_people_not_capitalised_things_and_knows_the_roles_under_the_principal():
    def scorer(asked: str, about=(), texts=(), schools=lambda text: ()) -> _Scorer:
        return _Scorer(asked, question_kind(asked), None, {}, list(about), list(texts), schools)

    def unit(text: str) -> Unit:
        return Unit(text, 0, True, True, False)

    # a possessive is no first name
    possessive = scorer("Who heads Maple PS?", ["Maple PS"])
    assert possessive.fits(unit("Maple's Grade 3 reading results have risen every year."), None) == 0.0
    heads = scorer(
        "Who heads Maple PS?", ["Maple PS"], texts=["The words learning, partner, rose and grace."]
    )
    # a pair of words the passages write as ordinary words is no person; one of them may be
    assert heads.fits(unit("- Learning Partner school: Northgate PS"), None) == 0.0
    assert heads.fits(unit("- Principal: Rose Martin"), None) == 1.0
    # a pair that is no person does not hide the person after it
    assert heads.fits(unit("The Director of Learning Grace Lindqvist chairs it."), None) == 1.0
    assert heads.fits(unit("- Principal: Angela Moretti (since 2021)"), None) == 1.0
    # nor is a pair the passages put after an article, though its words are never written in lower case
    partner = scorer("Who heads Maple PS?", ["Maple PS"], texts=["It can be a Learning Partner school."])
    assert partner.fits(unit("- Learning Partner school: Northgate PS"), None) == 0.0
    assert partner.fits(unit("- Principal: Angela Moretti (since 2021)"), None) == 1.0
    # a title makes a person of any words, and a surname may hold an apostrophe or a capital
    assert (
        scorer("Who wrote it?", texts=["hope and young"]).fits(unit("Written by Dr. Hope Young."), None)
        == 0.6
    )
    for name in ("Liam O'Connell", "Dalton McGuinty", "Richard F. Elmore"):
        assert scorer("Who wrote it?").fits(unit(f"It was written by {name}."), None) == 0.6
    # another school is a place too: "Cedar Valley's main target ..."
    schools = scorer(
        "Who leads graduation?", schools=lambda text: ["Cedar Valley SS"] * ("Cedar Valley" in text)
    )
    assert schools.fits(unit("Cedar Valley's main target is the graduation rate."), None) == 0.0
    # the role asked for, when it works under the principal: a teacher, a coach
    success = scorer("Who is the student success teacher at Riverbend SS?", ["Riverbend SS"])
    assert success.fits(unit("- Student Success Teacher: Andre Thompson (1.0 FTE)"), None) == 1.0
    assert success.fits(unit("- Principal: Simone Baptiste (since 2022)"), None) == 0.6
    coach = scorer("Who is the literacy coach at Maple PS?", ["Maple PS"])
    assert coach.fits(unit("- Literacy coach: full-time (Rachel Ng)"), None) == 1.0
    # asked who someone is, whatever role they have answers: a teacher too
    albert = scorer("Who is Albert?")
    assert albert.fits(unit("Albert Quah is a student success teacher in a high school."), None) == 1.0
    assert albert.fits(unit("Albert Quah read a book on craft."), None) == 0.6
    # a question naming a role asks for that role, though a capital follows "Who is"
    maple = scorer("Who is Maple PS's principal?", ["Maple PS"])
    assert maple.fits(unit("- Vice-principal: Kevin Osborne"), None) == 0.6
    # but asked who is in charge, a teacher or a coach is not: nor when asked who runs a school
    for asked in ("Who leads Maple PS?", "Who runs Maple PS?", "Who is in charge at Maple PS?"):
        charge = scorer(asked, ["Maple PS"])
        assert charge.fits(unit("- Literacy coach: full-time (Rachel Ng)"), None) == 0.6
        assert charge.fits(unit("- Principal: Angela Moretti (since 2021)"), None) == 1.0


def test_a_name_in_an_email_address_is_not_an_ordinary_word(embeddings):
    passages = _passages(
        embeddings,
        "The numeracy lead leads the numeracy networks and the numeracy facilitators.",
        "Numeracy lead: Hannah Kowalski (h.kowalski@riverbend.example).",
    )
    answer = _answer(embeddings, "Who leads numeracy?", passages)
    assert answer.answer.startswith("Numeracy lead: Hannah Kowalski")


def test_a_paragraphs_title_case_lead_names_what_it_defines(embeddings):
    passages = _passages(
        embeddings,
        "**Who can read the notes from a Learning Conversation?**\nOnly the principal, the cluster "
        "superintendent and the Director of Learning. The notes are stored in a restricted folder.",
        "The three tiers\nTier 1: Learning Conversation. The principal, the cluster superintendent and one "
        "priority lead meet once or twice within 15 school days. They agree on a one-page action note.",
    )
    answer = _answer(embeddings, "What is a Learning Conversation?", passages)
    assert answer.answer.startswith(
        "Tier 1: Learning Conversation. The principal, the cluster superintendent"
    )


def test_an_answer_goes_on_through_the_list_item_it_reaches(embeddings):
    passages = _passages(
        embeddings,
        "The triangle distinguishes the task environment from the authorizing environment.\n"
        "· The task environment refers to the material conditions an organization faces. "
        "In schools, that would be the children and what they need to learn.\n"
        "· The authorizing environment refers to those who grant legitimacy and money.",
    )
    for asked in ("What is the task environment?", "How does the triangle set the task environment apart?"):
        answer = _answer(embeddings, asked, passages)
        assert "the material conditions" in answer.answer
        assert "that would be the children" in answer.answer  # the rest of the item it reached


def test_an_answer_runs_on_into_the_next_passage_even_one_already_found(embeddings):
    passages = _passages(
        embeddings,
        "Funding rose. So the reading program is a deliberately contrarian program.",
        "It takes a more optimistic view of what schools can do than earlier research.",
    )
    # both passages are among those found: the second still follows the first, where the reason is
    answer = _answer(embeddings, "Why is the reading program contrarian?", passages)
    assert re.search(r"contrarian program\. \[1\] It takes a more optimistic view", answer.answer)


def test_a_lead_in_brings_the_list_it_introduces(embeddings):
    passages = _passages(
        embeddings,
        "By strategic capacity, we mean three crucial things:\n"
        "· First, the capacity to diagnose the environment.\n"
        "· Second, a sense of the public value to be produced.\n"
        "· Third, an idea of what to do now, in the short run.\n"
        "Capacity is built over years.",
    )
    answer = _answer(embeddings, "What does Moore mean by strategic capacity?", passages)
    for item in ("diagnose the environment", "public value", "short run"):
        assert item in answer.answer


def test_who_wants_someone_the_question_does_not_name():
    asked = "Who does Moore credit with the idea of the instructional core?"
    scorer = _Scorer(asked, question_kind(asked), None, {})

    def fit(text: str) -> float:
        return scorer.fits(Unit(text, 0, True, False, False), None)

    # the author asked about is not who he credits; the one he credits is
    assert fit("Notes by Mark Moore, author of the course.") < fit("Moore credits Richard Elmore with it.")
    assert fit("Moore credits Richard Elmore with it.") == 0.6
    # asked who someone is, the name asked about answers
    who = _Scorer("Who was Anthony Alvarado?", question_kind("Who was Anthony Alvarado?"), None, {})
    assert who.fits(Unit("Anthony Alvarado was the superintendent.", 0, True, False, False), None) == 1.0
    # and "What does Elmore liken reform to?" asks his view, not for his name
    liken = "What does Elmore liken reform to?"
    assert "elmor" not in _Scorer(liken, question_kind(liken), None, {}).q_terms


def test_when_wants_a_date_the_question_does_not_give():
    fit = _fit("When are the 2025 Schools on the Move recognised?")
    assert fit("2025 is the first year a school could be a School on the Move.") == 0.0
    assert fit("We will recognise these schools on November 13, 2025.") == 1.0
    assert _fit("When does the plan end?")("The plan ends in 2026.") == 1.0


def test_the_kinds_of_answer_read_decades_conclusions_and_a_writers_own_definitions():
    assert _fit("When was the US first in high school completion?")("In the 1960s, the US was first.") == 1.0
    why = _fit("Why do most initiatives start small?")
    assert why("The reason they are small is that resources are limited.") == 1.0
    assert why("Their optimism stems from the belief that practices are converging.") == 1.0
    assert why("So Breakthrough is a deliberately contrarian book.") == 0.0  # a conclusion, not a reason
    assert why("Resources are scarce, so initiatives start small.") == 1.0
    what = _fit("What does Moore mean by an initiative?")
    assert what("By initiatives, I mean something an individual agent can start.") == 1.0
    assert what("Initiatives matter to leaders.") == 0.0
    culture = _fit("What is the default culture?")
    assert culture("Elmore stresses the default culture—the deeply rooted beliefs of schools.") == 0.7


def test_a_sentence_the_list_after_it_finishes_brings_the_list(embeddings):
    passages = _passages(
        embeddings,
        "Hattie studied teaching. Hattie tells us that the critical change agents are\n"
        "- Knowledge and skills\n- A plan of action\n- Monitoring progress\n- A commitment to achieve\n"
        "Irina is learning along these lines.",
    )
    answer = _answer(embeddings, "What does Hattie identify as the critical change agents?", passages)
    for item in (
        "Knowledge and skills",
        "A plan of action",
        "Monitoring progress",
        "A commitment to achieve",
    ):
        assert item in answer.answer
    assert "Irina" not in answer.answer  # the list ends where its items do


def test_a_numbered_paragraphs_later_sentence_answers_on_its_own(embeddings):
    passages = _passages(
        embeddings,
        "23) Leaders start with what is within reach. Some look beyond their first initiative.\n"
        "24) Most initiatives begin small. The reason they are small is that at the outset, the "
        "resources for making significant change are often quite limited.",
    )
    answer = _answer(embeddings, "Why do most reform initiatives start out small?", passages)
    assert "resources for making significant change are often quite limited" in answer.answer
    # a list item's sentence after its short lead still needs the lead
    lead = answer_units("- Credit recovery. A student who failed retakes the missing part.")
    assert lead[1].in_list and not lead[1].first_in_line
    assert _after_lead(lead, 1)
    assert not _after_lead(
        answer_units("24) Most reform initiatives begin on a quite small scale. The reason is money."), 1
    )


def test_a_sentence_nearly_as_strong_as_the_best_is_not_crowded_out_by_what_follows_the_best(embeddings):
    filler = " ".join(
        f"District Two also ran program number {n} across its schools for years." for n in range(14)
    )
    passages = _passages(
        embeddings,
        "District Two treats high-performing and low-performing schools differently. " + filler,
        "High-performing schools get more discretion over their programs, their budgets, their "
        "professional development plans and their schedules; low-performing schools get more oversight, "
        "more direction from the district office, more visits from its staff developers, and more of the "
        "district's professional development money, which is concentrated on the schools with the "
        "lowest-performing students for as long as it takes them to improve.",
        source="other.md",
    )
    asked = "How does District Two treat high- and low-performing schools differently?"
    answer = _answer(embeddings, asked, passages)
    assert "more discretion" in answer.answer  # too long to fit once the best one's paragraph is taken


def test_of_two_sentences_nearly_as_strong_the_one_holding_what_was_asked_leads():
    passages = [
        Passage("a", "hv.md", "Harbour View PS", "Requests", 0, "Six coaching days from Jean-Marc Tremblay."),
        Passage("b", "hv.md", "Harbour View PS", "Staff", 1, "Principal: Daniel Okafor (since 2020)"),
    ]
    units = [answer_units(p.text, p.location) for p in passages]

    def first(strong: float) -> str:
        scored = [_Sentence(0, 0, units[0][0], 1.0, 0.6), _Sentence(1, 0, units[1][0], strong, 1.0)]
        return _prose_answer("who", scored, units, list(passages), lambda p: [p], [0, 0]).parts[0][1]

    assert first(0.97) == "Principal: Daniel Okafor (since 2020)"  # a name and the role asked about
    assert first(0.8) == "Six coaching days from Jean-Marc Tremblay."  # far weaker: the best still leads


def test_what_the_review_found_in_the_answer_window():
    # every sentence scoring below zero still gets an answer (the near-tie rule once found none)
    passages = [Passage("a", "a.md", "A", "", 0, "Grade 3 reading.")]
    units = [answer_units(p.text, p.location) for p in passages]
    scored = [_Sentence(0, 0, units[0][0], -0.3, 0.0)]
    assert _prose_answer("when", scored, units, passages, lambda p: [p], [0]).parts
    # a list does not run on into the next passage's (the next section's) list
    text = "Priorities. We mean three crucial things:\n- Reading\n- Math\n- Graduation"
    first = Passage("p0", "plan.md", "Plan", "Priorities", 0, text)
    budget = Passage("p1", "plan.md", "Plan", "Budget", 1, "Budget\n- $5,000 for books\n- $9,000 for coaches")
    both = [first, budget]
    units = [answer_units(p.text, p.location) for p in both]
    scored = [_Sentence(0, 1, units[0][1], 1.0, 0.0)]
    parts = [t for _, t in _prose_answer("fact", scored, units, list(both), lambda p: both, [0, 0]).parts]
    assert parts == ["We mean three crucial things:", "Reading", "Math", "Graduation"]


def test_what_the_review_found_in_reading_questions():
    # a date the question gives, as a whole word: "May" the month is not "may" the verb
    may = _fit("When may principals negotiate next year's targets?")
    assert may("The May check-in is where targets are agreed.") == 1.0
    # "share" as a verb asks for no share
    assert not _Scorer("How many schools share one coach?", question_kind("How many?"), None, {}).share
    # a dash with spaces defines too; "So" after a list marker or in bold still concludes
    assert _fit("What is the task environment?")("The task environment – the material conditions.") == 0.7
    why = _fit("Why do initiatives start small?")
    assert why("- So initiatives start small.") == 0.0 and why("**So** initiatives start small.") == 0.0
    # a school is no one with a view: its name stays a word to find
    asked = "How does Stonebridge compare with the district?"
    schools = _Scorer(
        asked,
        question_kind(asked),
        None,
        {},
        [],
        [],
        lambda t: ["Stonebridge PS"] if "Stonebridge" in t else [],
    )
    assert "stonebridg" in schools.q_terms


def test_a_sentence_that_goes_on_from_another_joins_only_after_it():
    item = "- A late bus for the credit rescue students who stay after school. This would cost $38,000."
    passages = [
        Passage("a", "ss.md", "Cedar Valley SS", "Requests", 0, item),
        Passage("b", "memo.md", "Memo", "Buses", 0, "Late buses cost the board money every year."),
    ]
    units = [answer_units(p.text, p.location) for p in passages]

    def parts(before: float) -> list[str]:
        scored = [
            _Sentence(1, 0, units[1][0], 1.0, 0.0),
            _Sentence(0, 1, units[0][1], 0.99, 0.0),
            _Sentence(0, 0, units[0][0], before, 0.0),
        ]
        return [
            t for _, t in _prose_answer("fact", scored, units, list(passages), lambda p: [p], [0, 0]).parts
        ]

    assert "This would cost $38,000." not in parts(0.1)  # "This" alone, without what it is
    assert parts(0.98)[1:] == [
        "A late bus for the credit rescue students who stay after school.",
        "This would cost $38,000.",
    ]


def test_a_folder_index_row_answers_who_wrote_a_document_and_nothing_else(embeddings):
    index = (
        "file: 003_foreword.txt; title: Foreword to Breakthrough; author: Richard F. Elmore; kind: foreword"
    )
    passages = [
        *_passages(
            embeddings,
            index,
            "Ideas in these files: what Elmore likens reform to in his foreword.",
            source="INDEX.md",
        ),
        *_passages(
            embeddings,
            "Elmore likens most reform to a graveyard of good intentions that never reached the classroom.",
            "The foreword to Breakthrough was read aloud by Lena Park at the leadership retreat.",
        ),
    ]
    liken = _answer(embeddings, "In the Breakthrough foreword, what does Elmore liken reform to?", passages)
    assert "graveyard" in liken.answer and "file:" not in liken.answer and "Ideas in" not in liken.answer
    wrote = _answer(embeddings, "Who wrote the foreword to Breakthrough?", passages)
    assert wrote.answer.startswith("file: 003_foreword.txt; title: Foreword to Breakthrough")

    # the index's prose is the index's too, though it names no file itself
    def document(p):
        return [q for q in passages if q.source == p.source]

    assert _catalogues(passages[1], document) and not _catalogues(passages[2], document)


def test_a_lead_in_taken_beside_the_best_brings_its_list_from_the_next_passage(embeddings):
    plan = Passage(
        "p0", "plan.md", "Plan", "Priorities", 0, "Having few priorities only works if leaders repeat them."
    )
    lead = Passage(
        "q0", "priorities.md", "Priorities", "Not a priority", 0,
        "We chose not to make these into district priorities. Schools may still do good work in these areas:",
    )  # fmt: skip
    items = Passage(
        "q1", "priorities.md", "Priorities", "Not a priority", 1,
        "- A one-to-one device rollout. Deferred to the next plan.\n- A project-based learning initiative.\n\n"
        "Each new initiative takes a principal's attention.",
    )  # fmt: skip
    found = [plan, lead]
    units = [answer_units(p.text, p.location) for p in found]
    scored = [
        _Sentence(0, 0, units[0][0], 1.0, 0.0),
        _Sentence(1, 0, units[1][0], 0.98, 0.0),
        _Sentence(1, 1, units[1][1], 0.97, 0.0),
    ]
    composed = _prose_answer(
        "list", scored, units, list(found),
        lambda p: [lead, items] if p.source == "priorities.md" else [plan], [0, 0],
    )  # fmt: skip
    parts = [t for _, t in composed.parts]
    assert parts[-4:] == [
        "Schools may still do good work in these areas:",
        "A one-to-one device rollout.",
        "Deferred to the next plan.",
        "A project-based learning initiative.",
    ]  # the list's items, and no more of the next passage
    hits = [Hit(p, 1.0, dense=0.5) for p in composed.passages]
    lines = _cited(composed, hits).answer.split("\n")
    # each item on its own line, its later sentences with it
    assert lines[-2:] == [
        "A one-to-one device rollout. Deferred to the next plan. [3]",
        "A project-based learning initiative. [3]",
    ]


def test_the_best_sentences_lead_in_brings_its_list_when_the_list_starts_the_next_passage():
    first = Passage("p0", "plan.md", "Plan", "Priorities", 0, "Priorities. We mean three crucial things:")
    after = Passage("p1", "plan.md", "Plan", "Priorities", 1, "- Reading\n- Math\n- Graduation")
    both = [first, after]
    units = [answer_units(p.text, p.location) for p in both]
    scored = [_Sentence(0, 1, units[0][1], 1.0, 0.0)]
    parts = [t for _, t in _prose_answer("fact", scored, units, [first], lambda p: both, [0]).parts]
    assert parts == ["We mean three crucial things:", "Reading", "Math", "Graduation"]


def test_a_list_item_in_lower_case_comes_after_the_lead_in_it_finishes():
    text = (
        "Ms. Baptiste asked for:\n"
        "- a second Student Success Teacher, because one teacher cannot keep up with the review lists.\n"
        "- an after-school credit recovery lab."
    )
    found = [Passage("p0", "riverbend.md", "Riverbend SS", "Support requested", 0, text)]
    units = [answer_units(p.text, p.location) for p in found]
    scored = [_Sentence(0, 1, units[0][1], 1.0, 1.0)]
    parts = [t for _, t in _prose_answer("why", scored, units, list(found), lambda p: found, [0]).parts]
    assert parts[:2] == [
        "Ms. Baptiste asked for:",
        "a second Student Success Teacher, because one teacher cannot keep up with the review lists.",
    ]
    # an item that is a sentence of its own stands without it
    own = Passage(
        "p1", "r.md", "Riverbend SS", "Practices", 0, "The school keeps:\n- A credit map. It is reviewed."
    )
    units = [answer_units(own.text, own.location)]
    scored = [_Sentence(0, 1, units[0][1], 1.0, 1.0)]
    assert _prose_answer("why", scored, units, [own], lambda p: [own], [0]).parts[0][1] == "A credit map."
    # and when it joins beside another answer
    other = Passage("q0", "memo.md", "Memo", "Staffing", 0, "Riverbend SS asked for more staff this year.")
    both = [other, *found]
    units = [answer_units(p.text, p.location) for p in both]
    scored = [_Sentence(0, 0, units[0][0], 1.0, 0.0), _Sentence(1, 1, units[1][1], 0.98, 0.0)]
    parts = [t for _, t in _prose_answer("fact", scored, units, list(both), lambda p: [p], [0, 0]).parts]
    assert parts[-2:] == [
        "Ms. Baptiste asked for:",
        "a second Student Success Teacher, because one teacher cannot keep up with the review lists.",
    ]


def test_when_a_weekday_answers_and_who_is_on_a_team_the_roles_do():
    assert _fit("When does the student success team meet?")("The team meets every Wednesday morning.") == 1.0
    left = _fit("When did students who dropped out usually leave?")
    assert left("Most left in the eighth grade.") == 1.0 and left("Most left at age 16.") == 1.0
    assert left("Most left the Grade 3 reading program.") == 0.0  # "Grade 3" names a grade, not a time
    assert _fit("How many people are doing that work?")("Hundreds of thousands of people do it.") == 1.0
    members = "It is made up of the cluster superintendent, the priority lead, a coach and a principal."
    assert _fit("Who is on the support team?")(members) == 1.0
    listed = (
        "Only the principal, the priority leads involved, the Director of Learning and the Superintendent."
    )
    assert _fit("Who is the superintendent?")(listed) < 1.0  # a role asked for, not the team's make-up
    assert _fit("Who is in charge of a Focused Partnership?")(members) < 1.0
    # a list of three, two of them the same role: "the guidance head and the special education head"
    team = (
        "The team meets every Wednesday morning: Ms. Baptiste or a vice-principal, Mr. Thompson, the guidance "
        "head and the special education head."
    )
    assert _fit("Who sits on the weekly student success team?")(team) == 1.0
    assert (
        _fit("Who sits on the team?")("The head of science asked the head of music to brief the head of art.")
        < 1.0
    )


def test_a_leaders_shorthand_is_read_as_the_documents_write_it():
    assert spelled_out("Who's the VP at Maple, and who are the cluster supers?") == (
        "Who's the vice-principal at Maple, and who are the cluster superintendents?"
    )
    assert spelled_out("How many VPs are there? What are the grad rates?") == (
        "How many vice-principals are there? What are the graduation rates?"
    )
    assert spelled_out("How are ML students and MLLs doing?") == (
        "How are multilingual students and multilingual learners doing?"
    )
    assert spelled_out("Is it super clear? A vp? ML models?") == "Is it super clear? A vp? ML models?"


def test_a_lead_in_says_what_its_list_says_and_a_schools_own_document_speaks_first(embeddings):
    kind = question_kind("What has Maple PS asked for?")
    scorer = _Scorer("What has Maple PS asked for?", kind, None, {})
    lead, bare = (
        Unit("Maple PS asked for:", 0, True, False, False),
        Unit("Maple PS asked.", 0, True, False, False),
    )
    assert scorer.score(lead, 0.5, 0.0, None) - scorer.score(bare, 0.5, 0.0, None) == pytest.approx(0.15)
    # but only a lead-in to what was asked: "Enrolment:" shares no word with the question
    other, stop = Unit("Enrolment:", 0, True, False, False), Unit("Enrolment.", 0, True, False, False)
    assert scorer.score(other, 0.5, 0.0, None) == pytest.approx(scorer.score(stop, 0.5, 0.0, None))
    # the same sentence in the plan and in the school's profile: the profile's leads
    plan = Passage(
        "a", "plan.md", "Improvement Plan", "Targets", 0, "Agreed targets are signed off by June 15."
    )
    # (its title is the school's code: the title's words are not what makes it the school's)
    own = Passage(
        "b", "riverbend-ss.md", "RB16 profile", "Targets", 0, "Agreed targets are signed off by June 15."
    )
    passages = with_sentence_vectors([plan, own], embeddings.embed_documents, batch=64)
    question = "What targets did Riverbend SS agree to?"
    answer = extractive_answer(
        question, [Hit(p, 0.5, dense=0.5) for p in passages], {}, vector=embeddings.embed_query(question),
        schools_named=lambda text: ["Riverbend SS"] if "Riverbend SS" in text or "RB16" in text else [],
    )  # fmt: skip
    assert answer.sources[0].source == "riverbend-ss.md"
    # two schools asked about: each one's own document is its own
    assert (
        _own(["Riverbend SS", "Maple PS"], ["Riverbend SS"]) == 1
        and _own(["Maple PS"], ["Riverbend SS"]) == -1
    )


def test_a_question_asking_for_several_things_prefers_a_sentence_naming_several():
    fit = _fit("What kinds of new ideas could unsettle the system from within?")
    # items after a dash, a colon or "among them"; items in semicolons; items that open alike
    assert fit(
        "The system has unsettling elements – new ideas about teaching, about managing, and about money."
    )
    assert fit("The top needs to do a few things well: set targets, invest in capacity, and report results.")
    assert fit("It explains large high schools; tracking that condemns students; and special programs.")
    assert fit("They tried new ideas about teaching, new ideas about funding, and new ideas about staff.")
    # commas that join clauses, not items, name nothing
    assert not fit(
        "When pressures accumulate on the system, either in politics or in its tasks, change comes."
    )
    assert not fit("Business-as-usual in schools is what sustains the current loose coupling.")
    assert not fit("Reform can be traced (in Ontario, Alberta, and elsewhere) to a few leaders.")


def test_of_two_sentences_nearly_as_strong_a_list_of_things_does_not_push_the_best_aside():
    passages = [
        Passage("a", "m.md", "Moore", "Leaders", 0, "Just as the CEOs of Microsoft and Google see it."),
        Passage("b", "m.md", "Moore", "Change", 1, "Whether one seeks one change, or another, or a third."),
    ]
    units = [answer_units(p.text, p.location) for p in passages]
    scored = [_Sentence(0, 0, units[0][0], 1.0, 0.0), _Sentence(1, 0, units[1][0], 0.97, 1.0)]
    composed = _prose_answer("list", scored, units, list(passages), lambda p: [p], [0, 0])
    assert composed.parts[0][1].startswith("Just as the CEOs")


def test_a_question_asking_two_kinds_of_thing_gets_a_sentence_for_each(embeddings):
    assert second_kind("Who picks the coaches, and how many of them are there?").kind == "number"
    assert second_kind("How big has it grown - how many programs?").kind == "number"
    assert second_kind("What are literacy and numeracy?") is None  # one question naming two things
    filler = " ".join(f"The coaches ran session number {n} with teachers in the district." for n in range(12))
    passages = _passages(
        embeddings,
        "The district coordinator picks and trains the literacy coaches for every school. " + filler,
        "Coaching is paid for by the province. There are 14 literacy coaches in the district this year.",
    )
    answer = _answer(
        embeddings, "Who picks and trains the literacy coaches, and how many of them are there?", passages
    )
    assert answer.answer.startswith("The district coordinator picks and trains")
    assert "There are 14 literacy coaches" in answer.answer


def test_a_sentence_saying_what_the_one_before_means_defines_it_and_comes_after_it(embeddings):
    passages = _passages(
        embeddings,
        "Loose coupling returns when schools choose whether they take part, in which improvement stays in "
        "pockets. Schools vary a great deal.",
        'Analysts have a term for the way schools are organized: "loose coupling." Put simply, this means '
        "that the people who manage schools do not manage how teaching is done.",
        source="other.md",
    )
    answer = _answer(embeddings, "What is loose coupling?", passages)
    assert answer.answer.startswith(
        'Analysts have a term for the way schools are organized: "loose coupling." Put simply, this means'
    )
