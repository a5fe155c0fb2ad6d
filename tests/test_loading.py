import pytest

from bot.knowledge.chunking import TokenCounter, chunk_blocks
from bot.knowledge.embeddings import local_model_path
from bot.knowledge.loaders import LoadError, load_document, parse_plain_text
from bot.knowledge.text import split_sentences


@pytest.fixture(scope="module")
def count_tokens():
    return TokenCounter(local_model_path() / "tokenizer.json")


def test_markdown_title_and_sections(knowledge):
    doc = load_document(knowledge / "plan.md")
    assert doc.title == "Lakeside Improvement Plan"
    assert [b.heading for b in doc.blocks] == ["Lakeside Improvement Plan", "Early reading", "Graduation"]


def test_plain_text_headings_and_hard_wrapped_paragraphs():
    text = (
        "THE IDEA OF REFORM\n\nThe School and the Community\n"
        "Schools improve when teachers\nlearn from each other and the\ndistrict supports them.\n"
        " A new paragraph starts indented.\n12\n"
        "- a list item\n- another item\n\nBy A. Writer, 2010\n"
    )
    blocks = parse_plain_text(text, markdown=False)
    assert blocks[0].heading == "The Idea of Reform — The School and the Community"
    assert (
        blocks[0].text
        == "Schools improve when teachers learn from each other and the district supports them."
    )
    assert blocks[1].text == "A new paragraph starts indented."  # the page number "12" is dropped
    assert [b.text for b in blocks[2:4]] == ["- a list item", "- another item"]
    assert blocks[4].text == "By A. Writer, 2010"  # a byline is text, not a heading


@pytest.mark.parametrize("markdown", [False, True])
def test_a_sentence_a_page_break_cut_in_two_is_one_paragraph_again(markdown):
    text = (
        "Some systems let schools start at different\n\ntimes. Others do not.\n\n"
        "A paragraph ends here.\n\nthe next one starts in lower case.\n\n"
        "A list follows:\n\n- one item\n\nA paragraph without a stop\n\nThen Another Paragraph.\n"
    )
    blocks = [b.text for b in parse_plain_text(text, markdown=markdown)]
    assert blocks[0] == "Some systems let schools start at different times. Others do not."
    # a finished sentence, a list, or a capital after the break: the paragraphs stay apart
    assert blocks[1:3] == ["A paragraph ends here.", "the next one starts in lower case."]
    assert blocks[3:5] == ["A list follows:", "- one item"]
    assert blocks[5:] == ["A paragraph without a stop", "Then Another Paragraph."]


def test_a_markdown_tables_rows_are_read_one_a_block_with_their_column_names():
    text = (
        "## Sources\n\nThe documents, by author:\n\n| file | title | author |\n|---|:---|---|\n"
        "| 000.txt | All Systems Go | Michael Fullan (2010) |\n| 003.txt | Foreword | Richard F. Elmore |\n\n"
        "| year | result |\n|---|---|\n| 2025 | 72% | up |\n| 2024 |\nAfter the tables.\n"
    )
    blocks = parse_plain_text(text, markdown=True)
    assert [b.text for b in blocks] == [
        "The documents, by author:",
        "file: 000.txt; title: All Systems Go; author: Michael Fullan (2010)",
        "file: 003.txt; title: Foreword; author: Richard F. Elmore",
        "year: 2025; result: 72%; up",  # a new table, with its own header; no cell is lost
        "year: 2024",
        "After the tables.",
    ]
    assert {b.heading for b in blocks} == {"Sources"}
    # a short rule names a header; a row after a blank line, or with no header, is read as its cells
    other = parse_plain_text(
        "| a | b |\n|:-:|-|\n| 1 | 2 |\n\n| 3 | 4 |\n| c | d |\n|---|---|\n| 5 | 6 |\n", markdown=True
    )
    assert [b.text for b in other] == ["a: 1; b: 2", "3 | 4", "c: 5; d: 6"]


def test_docx_headings_and_tables(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("Board Memo", level=1)
    document.add_paragraph("Results rose in every cluster.")
    document.add_heading("Budget", level=2)
    document.add_paragraph("Three coaches are requested.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Coaches", "$345K"
    document.save(tmp_path / "memo.docx")
    doc = load_document(tmp_path / "memo.docx")
    assert doc.title == "Board Memo"
    assert [(b.heading, b.text) for b in doc.blocks] == [
        ("Board Memo", "Results rose in every cluster."),
        ("Budget", "Three coaches are requested."),
        ("Budget", "Coaches | $345K"),
    ]


def test_pdf_pages_become_locations(tmp_path, count_tokens):
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(tmp_path / "report.pdf"))
    pdf.drawString(72, 720, "Graduation rose to 81 percent.")
    pdf.showPage()
    pdf.drawString(72, 720, "Credit recovery reached 512 students.")
    pdf.save()
    doc = load_document(tmp_path / "report.pdf")
    chunks = chunk_blocks(doc.blocks, count_tokens, title=doc.title)
    assert [(c.location, c.text) for c in chunks] == [
        ("p. 1", "Graduation rose to 81 percent."),
        ("p. 2", "Credit recovery reached 512 students."),
    ]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("broken.docx", b"not a zip file", "DOCX"),
        ("empty.md", b"   \n\n", "no text found"),
        ("notes.rtf", b"{\\rtf1 hello}", "unsupported file type"),
    ],
)
def test_unreadable_files_say_why(tmp_path, name, content, reason):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(LoadError, match=reason):
        load_document(tmp_path / name)


def test_chunks_fit_the_model_window_and_keep_sections(count_tokens):
    long_paragraph = " ".join(f"Sentence {i} says the literacy coaches met with staff." for i in range(120))
    text = f"# Plan\n\n## First\n\n{long_paragraph}\n\n## Second\n\nShort section text.\n"
    blocks = parse_plain_text(text, markdown=True)
    chunks = chunk_blocks(blocks, count_tokens, title="Plan", max_tokens=200)
    assert len(chunks) > 5
    assert all(count_tokens(c.text) <= 200 for c in chunks)
    assert {c.location for c in chunks} == {"First", "Second"}
    # each chunk opens with its section's heading, inside the budget
    assert chunks[-1].text == "Second\nShort section text."
    assert all(c.text.startswith(f"{c.location}\n") for c in chunks)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    # nothing is lost: every sentence of the long paragraph is in exactly one chunk
    joined = " ".join(c.text.removeprefix("First\n") for c in chunks if c.location == "First")
    assert joined == long_paragraph


def test_reform_documents_chunk_inside_the_window(reform_docs, count_tokens):
    for path in sorted(reform_docs.glob("*.txt")):
        doc = load_document(path)
        chunks = chunk_blocks(doc.blocks, count_tokens, title=doc.title)
        assert chunks, path.name
        assert max(count_tokens(c.text) for c in chunks) <= 254, path.name  # 256 less [CLS] and [SEP]


def test_sentence_splitting_keeps_abbreviations():
    assert split_sentences("Dr. Osei met Ms. Haddad. Rates rose (p. 20). Next year, 14,000 more!") == [
        "Dr. Osei met Ms. Haddad.",
        "Rates rose (p. 20).",
        "Next year, 14,000 more!",
    ]
    # a phone extension is not a sentence of its own
    assert split_sentences("Call J. Tremblay, ext. 2214. Or Rm. 3 at the board office.") == [
        "Call J. Tremblay, ext. 2214.",
        "Or Rm. 3 at the board office.",
    ]
    # a closing quote or bracket stays with the sentence it closes
    assert split_sentences('They call it "loose coupling." Put simply, it means this. (See below.) Then') == [
        'They call it "loose coupling."',
        "Put simply, it means this.",
        "(See below.)",
        "Then",
    ]


def test_a_title_line_without_text_of_its_own_is_still_the_title(tmp_path):
    (tmp_path / "plan.md").write_text("# Lakeside Plan\n\n## Graduation\n\nThe target is 88 percent.\n")
    doc = load_document(tmp_path / "plan.md")
    assert doc.title == "Lakeside Plan"
    assert doc.blocks[0].heading == "Graduation"


def test_a_memos_field_lines_stay_lines_of_their_own():
    text = (
        "# Memo\n\n**To:** Board of Trustees\n**From:** Dr. Amara Osei, Superintendent\n"
        "**Date:** October 14, 2025\n\nA paragraph that\nwraps, with **a bold:** phrase inside.\n"
    )
    blocks = parse_plain_text(text, markdown=True)
    assert [b.text for b in blocks] == [
        "To: Board of Trustees",
        "From: Dr. Amara Osei, Superintendent",
        "Date: October 14, 2025",
        "A paragraph that wraps, with a bold: phrase inside.",  # a wrapped line is joined as before
    ]
