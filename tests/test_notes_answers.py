"""Notes in answers, only where they belong: a channel never sees one; an entitled reader's direct message
can, and cites it as a note; a changed or deleted note changes the next answer at once. Over Slack's
protocol: signed requests in, Web API calls out to the fake Slack."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime

import pytest
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from slack_sdk import WebClient
from sqlalchemy import select

import bot.jobs
from bot.notes.copies import REDACTED
from bot.notes.model import NOTES_CORPUS
from bot.slack.answer_log import WITHHELD
from bot.slack.app import make_slack_app
from bot.slack.fake import BOT_TOKEN as TOKEN
from bot.slack.fake import BOT_USER
from bot.store.tables import slack_answers
from tests.conftest import RecordingChatModel, serving
from tests.test_district import TOML, write_district
from tests.test_slack import SECRET, Slack, mention, wait_answers

LEAD = "C0LEAD0001"  # the leadership channel of tests.test_district's TOML: its members read notes
ANA, BOB = "UANA", "UBOB"  # ANA is in the leadership channel; BOB is not
DM_ANA, DM_BOB = "D0ANA", "D0BOB"
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
NOTE = "Zephyrine tutoring plan: the student meets the mathematics coach every Tuesday lunch for fraction practice."
EDITED = "Zephyrine tutoring plan: the student now meets the mathematics coach on Thursdays for decimals."
QUESTION = "What is the Zephyrine tutoring plan for fraction practice?"


def shown(call) -> str:
    return json.dumps([call.args.get("text"), call.args.get("blocks")], ensure_ascii=False)


@pytest.fixture
def team(make_services, knowledge, fake_slack):
    write_district(knowledge / "district", toml=TOML + '\n[notes]\nreaders = "channel"\n')
    services = make_services(slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_url=fake_slack.url,
                             clock=lambda: NOW)  # fmt: skip
    services.ingester.ingest([knowledge])
    services.district.load()
    fake_slack.members[LEAD] = [ANA, BOT_USER]
    services.warm_up()
    with serving(make_slack_app(services)) as url:
        yield services, Slack(url, SECRET)


def note_session(services, user: str = ANA):
    return services.notes.session(user, members=lambda channel: [ANA, BOT_USER], now=NOW)


def dm(slack: Slack, fake_slack, user: str, channel: str, text: str):
    message = fake_slack.person_says(channel, text, user=user)
    event = {
        **message,
        "type": "message",
        "channel": channel,
        "channel_type": "im",
        "event_ts": message["ts"],
    }
    assert slack.event(event)[0] == 200


def test_a_note_is_quoted_only_in_an_entitled_readers_direct_message(team, fake_slack):
    services, slack = team
    session = note_session(services)
    note = session.log(session.draft({"text": NOTE, "school": "A", "type": "tutoring"}, now=NOW), now=NOW)

    # a channel: neither /ask nor a mention ever cites a note, even asked by an entitled reader
    assert slack.command(QUESTION, channel=LEAD, user=ANA, response_url=fake_slack.response_url())[0] == 200
    assert slack.event(mention(fake_slack, QUESTION, channel=LEAD))[0] == 200
    in_channel = wait_answers(fake_slack, 2)
    for call in in_channel:
        assert "Zephyrine" not in shown(call) and "Note by" not in shown(call)

    # a direct message from someone who is not entitled: the same
    dm(slack, fake_slack, BOB, DM_BOB, QUESTION)
    [*_, bobs] = wait_answers(fake_slack, 3)
    assert bobs.args["channel"] == DM_BOB and "Zephyrine" not in shown(bobs)

    # a direct message from an entitled reader: the note, cited as a note
    dm(slack, fake_slack, ANA, DM_ANA, QUESTION)
    [*_, anas] = wait_answers(fake_slack, 4)
    assert anas.args["channel"] == DM_ANA
    assert "every Tuesday lunch" in shown(anas)
    assert f":lock: Note by <@{ANA}>, 2026-11-20, Alpha PS" in shown(anas)

    # /ask typed in the DM with Resolute is a direct message too
    assert slack.command(QUESTION, channel=DM_ANA, user=ANA, response_url=fake_slack.response_url())[0] == 200
    [*_, asked] = wait_answers(fake_slack, 5)
    assert asked.args["channel"] == DM_ANA and "every Tuesday lunch" in shown(asked)

    # what quoted a note is not kept in the answer log (the note is deleted and expired in one place)
    with services.engine.connect() as conn:
        rows = conn.execute(select(slack_answers.c.question, slack_answers.c.answer,
                                   slack_answers.c.sources, slack_answers.c.channel)).all()  # fmt: skip
    for row in rows:
        assert "Tuesday lunch" not in row.answer + row.sources
    assert [r.question for r in rows if r.channel == DM_ANA] == [WITHHELD, WITHHELD]
    assert {r.question for r in rows if r.channel != DM_ANA} == {QUESTION}

    # an edit changes the next answer at once; a deletion removes the note from it
    session.edit(
        note.id, session.draft({"text": EDITED, "school": "A", "type": "tutoring"}, now=NOW), now=NOW
    )
    dm(slack, fake_slack, ANA, DM_ANA, QUESTION)
    [*_, after_edit] = wait_answers(fake_slack, 6)
    assert "Thursdays for decimals" in shown(after_edit) and "Tuesday lunch" not in shown(after_edit)
    session.delete(note.id, now=NOW)
    assert services.index(NOTES_CORPUS).search(QUESTION) == []
    dm(slack, fake_slack, ANA, DM_ANA, QUESTION)
    [*_, after_delete] = wait_answers(fake_slack, 7)
    assert "Zephyrine" not in shown(after_delete) and "Note by" not in shown(after_delete)


def test_leaving_the_channel_takes_the_notes_out_of_direct_answers(team, fake_slack):
    services, slack = team
    session = note_session(services)
    session.log(session.draft({"text": NOTE, "type": "tutoring"}, now=NOW), now=NOW)
    dm(slack, fake_slack, ANA, DM_ANA, QUESTION)
    assert "Tuesday lunch" in shown(wait_answers(fake_slack, 1)[-1])
    fake_slack.members[LEAD] = [BOT_USER]  # ANA leaves; Slack tells Resolute
    event = {"type": "member_left_channel", "user": ANA, "channel": LEAD, "channel_type": "C", "team": "T0001",
             "event_ts": f"{time.time():.6f}"}  # fmt: skip
    assert slack.event(event)[0] == 200
    dm(slack, fake_slack, ANA, DM_ANA, QUESTION)
    assert "Tuesday lunch" not in shown(wait_answers(fake_slack, 2)[-1])


# -- what the answer log keeps, and what Resolute takes back from Slack ------------------------------------
PARAPHRASE = "The pupil practises fractions with the maths coach at Tuesday lunchtimes"


class CitesADocument(RecordingChatModel):
    """A model that says what the note says but cites the first passage it was shown that is not a note."""

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        prompt = messages[-1].content
        self.prompts.append(prompt)
        shown = re.findall(r"^\[(\d+)\] (.*)$", prompt, flags=re.MULTILINE)
        document = next(n for n, title in shown if not title.startswith("Note by"))
        reply = AIMessage(content=f"{PARAPHRASE} [{document}].")
        return ChatResult(generations=[ChatGeneration(message=reply)])


@pytest.fixture
def team_with_model(make_services, knowledge, fake_slack):
    """The team above, with a language model configured."""
    write_district(knowledge / "district", toml=TOML + '\n[notes]\nreaders = "channel"\n')
    services = make_services(slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_url=fake_slack.url,
                             clock=lambda: NOW)  # fmt: skip
    services.__dict__["llm"] = CitesADocument()
    services.ingester.ingest([knowledge])
    services.district.load()
    fake_slack.members[LEAD] = [ANA, BOT_USER]
    with serving(make_slack_app(services)) as url:
        yield services, Slack(url, SECRET)


def test_an_answer_whose_model_was_shown_a_note_is_not_kept_even_citing_only_a_document(
    team_with_model, fake_slack
):
    services, slack = team_with_model
    session = note_session(services)
    note = session.log(session.draft({"text": NOTE, "type": "tutoring"}, now=NOW), now=NOW)
    dm(slack, fake_slack, ANA, DM_ANA, QUESTION)
    [answer] = wait_answers(fake_slack, 1)
    [prompt] = services.llm.prompts
    assert "every Tuesday lunch" in prompt  # the model read the note
    assert PARAPHRASE in shown(answer) and "Note by" not in shown(answer)  # and cited a document
    with services.engine.connect() as conn:
        [row] = conn.execute(select(slack_answers.c.question, slack_answers.c.answer)).all()
    assert row.question == WITHHELD and row.answer == WITHHELD
    # what it said came from the note: deleting the note takes the answer back from Slack too
    bot.jobs.use(services, WebClient(token=TOKEN, base_url=fake_slack.url), clock=lambda: NOW)
    session.delete(note.id, now=NOW)
    assert bot.jobs.notes_tick() == [f"redacted message {answer.reply['ts']} in {DM_ANA}"]
    [message] = [m for m in fake_slack.messages[DM_ANA] if m["ts"] == answer.reply["ts"]]
    assert message["text"] == REDACTED and PARAPHRASE not in json.dumps(message)


def test_a_direct_answer_that_quoted_a_note_is_redacted_when_the_note_is_deleted(team, fake_slack):
    services, slack = team
    session = note_session(services)
    note = session.log(session.draft({"text": NOTE, "type": "tutoring"}, now=NOW), now=NOW)
    other = session.log(session.draft({"text": "Grade 9 credit recovery check on Fridays", "type": "other"},
                                      now=NOW), now=NOW)  # fmt: skip
    dm(slack, fake_slack, ANA, DM_ANA, QUESTION)
    [answer] = wait_answers(fake_slack, 1)
    assert "every Tuesday lunch" in shown(answer)
    bot.jobs.use(services, WebClient(token=TOKEN, base_url=fake_slack.url), clock=lambda: NOW)
    session.delete(other.id, now=NOW)  # a note the answer did not quote: the answer stays
    assert bot.jobs.notes_tick() == []
    session.delete(note.id, now=NOW)
    assert bot.jobs.notes_tick() == [f"redacted message {answer.reply['ts']} in {DM_ANA}"]
    [message] = [m for m in fake_slack.messages[DM_ANA] if m["ts"] == answer.reply["ts"]]
    assert message["text"] == REDACTED and "Tuesday lunch" not in json.dumps(message)
    assert bot.jobs.notes_tick() == [] and len(fake_slack.called("chat.update")) == 1


def test_nothing_found_for_an_entitled_reader_names_no_note_author(team, fake_slack):
    services, slack = team
    session = note_session(services)
    session.log(session.draft({"text": NOTE, "type": "tutoring"}, now=NOW), now=NOW)
    dm(slack, fake_slack, ANA, DM_ANA, "What colour are the clouds on Neptune?")
    [reply] = wait_answers(fake_slack, 1)
    said = shown(reply)
    assert "I couldn't find anything" in said and "Lakeside Improvement Plan" in said
    assert ANA not in said and "Note by" not in said
