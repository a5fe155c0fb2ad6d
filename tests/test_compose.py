"""Extractive answers composed by the structure of the text, asked through `Answerer.ask` over small documents.

Each test writes the documents it needs, ingests them as the bot does, and asks as a leader would. Every
answer is also checked for what all extractive answers keep: at most MAX_ANSWER_CHARS, each quoted
sentence found word for word in a passage it cites, citations numbered in order.
"""

import re

import numpy as np
import pytest
from sqlalchemy import select, update

from bot.knowledge.answer import MAX_ANSWER_CHARS, Answerer, extractive_answer
from bot.knowledge.index import Hit
from bot.knowledge.question import Question
from bot.knowledge.text import answer_units
from bot.knowledge.vectors import Passage, with_sentence_vectors
from bot.store.tables import chunks, index_meta


@pytest.fixture
def ask(make_services, tmp_path):
    """Write documents into a knowledge folder, ingest them, and return a function asking questions of them."""

    def build(documents: dict[str, str], *, chunk_tokens: int | None = None, passages: int | None = None):
        folder = tmp_path / "docs"
        folder.mkdir(exist_ok=True)
        for name, text in documents.items():
            (folder / name).write_text(text, encoding="utf-8")
        services = make_services(
            knowledge_dir=folder, **({"chunk_tokens": chunk_tokens} if chunk_tokens else {})
        )
        services.ingester.ingest([folder])

        # `passages`: how many passages are retrieved (what composing adds from elsewhere is its own doing)
        answerer = services.answerer if passages is None else Answerer(index=services.index(), k=passages)

        def asking(question: str):
            answer = answerer.ask(question)
            _check(answer)
            return answer

        asking.services = services
        return asking

    return build


def _check(answer) -> None:
    """What every extractive answer keeps: the cap, verbatim quotes, citations numbered in order."""
    assert len(answer.answer) <= MAX_ANSWER_CHARS
    numbers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)]
    assert sorted(set(numbers)) == [s.n for s in answer.sources] == list(range(1, len(answer.sources) + 1))
    assert list(dict.fromkeys(numbers)) == sorted(set(numbers))  # numbered in the order first cited
    by_n = {s.n: " ".join(s.text.split()) for s in answer.sources}
    for text, marker in re.findall(r"(.*?)\s*\[(\d+)\]", answer.answer, flags=re.S):
        for line in text.strip().split("\n"):
            if line.strip():
                assert " ".join(line.removesuffix(" …").split()) in by_n[int(marker)], line


def _runs(answer) -> list[str]:
    """The answer's quoted runs, each up to its citation marker."""
    return [run.strip() for run in re.split(r"\s*\[\d+\]", answer.answer) if run.strip()]


GUIDE = (
    "# Support guide\n\n## Asking for help\n\n"
    "Any principal can ask the district for support at any time, and a school does not have to wait for its "
    "results to fall before it asks. Small requests go straight to the priority lead by email, who replies "
    "within five school days and often visits the school in person. Larger requests go to the cluster "
    "superintendent, who reads each one with the priority lead before the first meeting. Every larger "
    "request names the following:\n\n"
    "- which priority the request is about\n- what the school's data show\n"
    "- what the school has already tried\n- what help it needs\n\n"
    "## Budget\n\nThe support budget is set each June by the board.\n"
)


def test_a_pointer_sentence_is_quoted_with_what_it_points_to_in_the_next_chunk(ask):
    faq = (
        "# FAQ\n\n**What does a larger support request have to name?**\n\nA larger support request is one page "
        "long, and the cluster superintendent answers it within ten school days.\n"
    )
    # two passages retrieved: the FAQ's answer and the guide's chunk that ends pointing at the list
    asking = ask({"guide.md": GUIDE, "faq.md": faq}, chunk_tokens=100, passages=2)
    pointer = next(p for p in asking.services.index().snapshot().passages if "names the following:" in p.text)
    assert "what help it needs" not in pointer.text  # the list goes on in the section's next chunk
    answer = asking("What does a larger support request have to name?")
    lines = [line.split(" [")[0] for line in answer.answer.split("\n")]
    pointed = lines.index("Every larger request names the following:")
    assert lines[pointed + 1 : pointed + 5] == [
        "- which priority the request is about", "- what the school's data show",
        "- what the school has already tried", "- what help it needs",
    ]  # fmt: skip


def test_a_table_named_by_a_pointer_sentence_comes_with_it(ask):
    notes = (
        "# Course notes\n\nChange in a school system can begin in a single classroom or in a new law. "
        "Table 2 presents the places where change in a school system often starts.\n\n"
        "## Table 2: Where Change Starts\n\n"
        "District superintendents\n\nParent councils\n\nState legislators\n\n"
        "## Other Matters\n\nThe course meets on Tuesdays in the spring term.\n"
    )
    faq = (
        "# FAQ\n\n**Where does change in a school system start?**\n\nChange in a school system can start in "
        "many places, inside the system and outside it.\n"
    )
    answer = ask({"notes.md": notes, "faq.md": faq})("Where does change in a school system start?")
    lines = answer.answer.split("\n")
    pointed = next(n for n, line in enumerate(lines) if "Table 2 presents the places" in line)
    # the table's title and cells, and no more: the section after it is one of its own
    assert [line.split(" [")[0] for line in lines[pointed + 1 :]] == [
        "Table 2: Where Change Starts",
        "District superintendents",
        "Parent councils",
        "State legislators",
    ]


def test_a_list_is_quoted_with_its_lead_in_and_its_items_with_their_markers(ask):
    profile = (
        "# Riverbend SS\n\n## Support requested\n\n"
        "Riverbend SS is the district's largest secondary school, with 1,340 students in Grades 9 to 12.\n\n"
        "For 2025–26, Ms. Baptiste asked for:\n\n"
        "- a second Student Success Teacher, because one teacher cannot keep up with the credit review lists;\n"
        "- an after-school credit recovery lab on Tuesdays and Thursdays;\n"
        "- release time for the guidance head to meet every Grade 9 family.\n\n"
        "## Results\n\nThe five-year graduation rate was 81% in 2025.\n"
    )
    answer = ask({"riverbend.md": profile})("Why did Ms. Baptiste ask for a second Student Success Teacher?")
    lines = [line.split(" [")[0] for line in answer.answer.split("\n")]
    lead = lines.index("For 2025–26, Ms. Baptiste asked for:")
    assert lines[lead + 1] == (
        "- a second Student Success Teacher, because one teacher cannot keep up with the credit review lists;"
    )


def test_a_term_a_list_item_labels_is_defined_by_that_item(ask):
    guide = (
        "# Secondary practices\n\n## Practices\n\n"
        "- **Credit rescue.** A student at risk of failing a course finishes the missing work before the course "
        "ends, with a teacher who knows the course.\n"
        "- **Course mapping.** Each Grade 11 student has a map of the courses still needed.\n"
    )
    requests = (
        "# Lakeview requests\n\n## Support requested\n\nLakeview asked for:\n\n"
        "- two teachers for the credit rescue room;\n"
        "- a reading coach for Grade 9;\n"
        "- a bus for students staying late.\n"
    )
    answer = ask({"guide.md": guide, "lakeview.md": requests})("What is credit rescue?")
    assert answer.answer.startswith("- Credit rescue. A student at risk of failing a course finishes"), (
        answer.answer
    )


def test_a_sentence_that_refers_back_is_quoted_with_its_referent(ask):
    essay = (
        "# Notes on change\n\n"
        "Routines, contracts and habits pull each new practice in a school back toward the old one. "
        "In engineering terms, these are called restoring forces. "
        "The weather in the region was mild that year.\n\n"
        "Leaders who know them can plan for them.\n"
    )
    answer = ask({"essay.md": essay})("What are restoring forces?")
    first = _runs(answer)[0]
    assert first.startswith("Routines, contracts and habits pull each new practice")
    assert "these are called restoring forces" in first


def test_a_faqs_yes_or_no_comes_with_the_question_it_answers(ask):
    faq = (
        "# FAQ for school leaders\n\n**What is a check-in?**\n\nA check-in is a 60-minute meeting between the "
        "principal and the cluster superintendent, held three times a year.\n\n"
        "**Is a check-in an evaluation of me?**\n\nNo. Check-ins are about the school's progress on the "
        "priorities, not the principal's performance.\n\n"
        "**Can I move my check-in?**\n\nYes, as long as it stays in the same month.\n"
    )
    answer = ask({"faq.md": faq})("Is my check-in part of my performance evaluation?")
    assert "Is a check-in an evaluation of me? No. Check-ins are about the school's progress" in answer.answer


def test_a_time_of_day_answers_when(ask):
    digest = (
        "# The Monday Three\n\n"
        "The Monday Three is the district's weekly digest for principals, vice-principals and trustees.\n\n"
        "The Monday Three goes out to every principal, vice-principal and trustee in the district.\n\n"
        "The Monday Three gives one update for each priority and one story about a practice that works.\n\n"
        "Each issue is sent by email at 8:00 a.m.\n\n"
        "The Monday Three never names a school to point out low results.\n"
    )
    answer = ask({"digest.md": digest})("When does The Monday Three go out?")
    # "Monday" is part of the digest's name, in the question: the time of day says when
    assert answer.answer.startswith("Each issue is sent by email at 8:00 a.m.")


def test_both_parts_of_a_two_part_question_are_answered(ask):
    filler = " ".join(
        f"The coaches also ran a session on {topic} with the teachers of the district."
        for topic in ("phonics", "fluency", "vocabulary", "writing", "assessment", "small groups", "read-alouds",
                      "spelling", "comprehension", "oral language", "libraries", "family reading")
    )  # fmt: skip
    documents = {
        "coaches.md": "# Literacy coaches\n\nThe district coordinator picks and trains the literacy coaches for "
        f"every school. {filler}\n",
        "budget.md": "# Budget notes\n\nCoaching is paid for by the province. There are 14 literacy coaches in "
        "the district this year.\n",
    }
    answer = ask(documents)("Who picks and trains the literacy coaches, and how many of them are there?")
    assert answer.answer.startswith("The district coordinator picks and trains the literacy coaches")
    assert "There are 14 literacy coaches" in answer.answer


def test_the_answer_uses_its_room(ask):
    helped = [(2021, 40, 9), (2022, 55, 10), (2023, 61, 11), (2024, 72, 12), (2025, 80, 9)]
    recovery = " ".join(
        f"In {year}, the credit recovery program helped {count} students in Grade {grade} finish a course they "
        "had failed, with a teacher checking their work every week."
        for year, count, grade in helped
    )
    graduation = " ".join(
        f"Graduation at school {n} rose by {n} points once credit recovery began there." for n in range(1, 9)
    )
    buses = "The board runs 40 bus routes. Routes are planned each August with the bus company."
    plan = f"# Improvement plan\n\n## Credit recovery\n\n{recovery}\n\n## Graduation\n\n{graduation}\n\n## Buses\n\n{buses}\n"
    answer = ask({"plan.md": plan})("How has credit recovery helped students?")
    assert len(answer.answer) >= 0.8 * MAX_ANSWER_CHARS


def test_a_sentence_adding_the_fact_leads_a_sentence_repeating_the_question(ask):
    memo = (
        "# Board memo\n\nMany people ask how much the graduation rate rose. The board watches the graduation "
        "rate closely.\n\nAttendance is reported each term. The graduation rate climbed from 78% in 2022 to 82% "
        "in 2025.\n"
    )
    answer = ask({"memo.md": memo})("By how much did the graduation rate rise?")
    assert "78% in 2022 to 82%" in _runs(answer)[0]


def test_who_is_answered_with_a_persons_name(ask):
    priorities = (
        "# Priorities\n\n## 2. Numeracy\n\nNumeracy is the district's second priority, and every school names "
        "it in its plan.\n\nTeachers of Grades 3 to 6 meet in the numeracy networks every month to plan lessons "
        "together.\n\nThe numeracy networks are led from the district's board office.\n\n"
        "The numeracy networks are led by Hannah Kowalski.\n\n"
        "## 3. Graduation\n\nGraduation is the third priority. Every student leaves with a plan.\n"
    )
    answer = ask({"priorities.md": priorities})("Who leads the numeracy networks?")
    assert answer.answer.startswith("The numeracy networks are led by Hannah Kowalski.")


def test_a_folder_index_row_answers_who_wrote_a_document_and_nothing_else(ask):
    documents = {
        "INDEX.md": "# Index\n\n| file | title | author |\n|---|---|---|\n"
        "| foreword.md | Foreword to Breakthrough | Richard F. Elmore |\n"
        "| chapter.md | All Systems Go, Chapter One | Michael Fullan |\n",
        "foreword.md": "# Foreword to Breakthrough\n\nElmore likens most reform to a graveyard of good intentions "
        "that never reached the classroom. The foreword was read aloud at the leadership retreat.\n",
        "chapter.md": "# All Systems Go, Chapter One\n\nWhole-system reform needs few priorities and capacity "
        "built together.\n",
    }
    asking = ask(documents)
    liken = asking("What does Elmore liken reform to in the Breakthrough foreword?")
    assert "graveyard" in liken.answer and "foreword.md" not in liken.answer
    wrote = asking("Who wrote the Foreword to Breakthrough?")
    assert "author: Richard F. Elmore" in wrote.answer


def test_a_sentence_two_documents_share_is_quoted_once(ask):
    said = "Agreed targets are signed off by June 15."
    documents = {
        "faq.md": f"# FAQ\n\n**When are targets final?**\n\n{said}\n\n**Can I move my check-in?**\n\nYes, as long "
        "as it stays in the same month.\n",
        "plan.md": f"# Plan\n\n## Targets\n\n{said} In 2025, 12 of 20 schools signed off early.\n",
    }
    answer = ask(documents)("When are the agreed targets signed off?")
    assert answer.answer.count(said) == 1


def test_a_list_question_over_numbered_sections_gets_each_section(ask):
    priorities = (
        "# Priorities\n\nThe board has three priorities for 2022–2026 and no others.\n\n"
        '## 1. Literacy — "Every child reading by the end of Grade 3."\n\nGrade 3 reading: 61% in 2022.\n\n'
        '## 2. Numeracy — "Every student confident in mathematics."\n\nGrade 6 mathematics: 48% in 2022.\n\n'
        '## 3. Graduation — "Every student graduates with a plan."\n\nGraduation: 78% in 2022.\n'
    )
    answer = ask({"priorities.md": priorities})("What are the three priorities?")
    assert [line.split(" [")[0] for line in answer.answer.split("\n")] == [
        '1. Literacy — "Every child reading by the end of Grade 3."',
        '2. Numeracy — "Every student confident in mathematics."',
        '3. Graduation — "Every student graduates with a plan."',
    ]
    assert len(answer.sources) == 3  # each cited to its own section


def test_a_reranker_decides_which_sentence_leads(embeddings):
    texts = ["Coaches visit each school weekly. The literacy lead is Jean-Marc Tremblay.",
             "Literacy coaches are hired in August. Coaching budgets are set in June."]  # fmt: skip
    rows = [Passage(f"p{i}", f"doc{i}.md", "Doc", "Coaching", 0, t) for i, t in enumerate(texts)]
    passages = with_sentence_vectors(rows, embeddings.embed_documents, batch=8)
    hits = [Hit(p, 1.0, dense=0.6) for p in passages]
    question = Question.parse("When are coaching budgets set?")

    class Favouring:
        """A reranker (a cross-encoder would do the same) that scores one sentence above the rest."""

        def __init__(self, words: str) -> None:
            self.words = words

        def score(self, question, pool, kind=None):
            return np.array([float(self.words in pool.text(i)) for i in range(len(pool.candidates))])

    for words in ("Coaching budgets are set in June.", "The literacy lead is Jean-Marc Tremblay."):
        answer = extractive_answer(question, hits, {}, vector=embeddings.embed_query(question.text),
                                   ranker=Favouring(words))  # fmt: skip
        assert _runs(answer)[0].endswith(words)


@pytest.mark.parametrize(
    ("question", "kind", "count"),
    [
        ("Who is the superintendent?", "who", None),
        ("How many schools are coasting?", "number", None),
        ("What percentage of students graduate?", "number", None),
        ("When does the plan end?", "when", None),
        ("In what year was the plan adopted?", "when", None),
        ("What is credit recovery?", "definition", None),
        ("What does intelligent accountability mean?", "definition", None),
        ("Why does focus matter?", "why", None),
        ("What are the three priorities?", "list", 3),
        ("How do schools ask for support?", "how", None),
        ("What is the goal for Grade 3 reading?", "fact", None),
        ("What is the Monday Three?", "definition", None),
        ("When Albert's school looked at its data, what share of students were behind?", "number", None),
        ("What kinds of people does Moore see launching system change?", "list", None),
        ("What is Harbour View doing to get kids to like math?", "how", None),
        ("Moore talks about strategic capacity. What are the three parts?", "list", 3),
        ("Remind me who the three cluster supers are?", "who", None),
    ],
)
def test_a_question_is_read_once_for_the_kind_of_answer_it_asks_for(question, kind, count):
    asked = Question.parse(question)
    assert (asked.asks.kind, asked.asks.count) == (kind, count)
    assert asked.asks.hint()  # a language model is told it too


def test_a_question_with_two_parts_is_read_as_two(ask):
    assert Question.parse("Who picks the coaches, and how many of them are there?").then.kind == "number"
    assert Question.parse("What are literacy and numeracy?").then is None  # one question naming two things


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


def test_without_sentence_vectors_answers_still_come_from_the_words():
    rows = [
        Passage(
            "a", "doc.md", "Doc", "S", 0, "Graduation rose to 81 percent in 2025. Credit recovery helped."
        )
    ]
    answer = extractive_answer("What was graduation in 2025?", [Hit(rows[0], 1.0, dense=0.5)], {})
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
