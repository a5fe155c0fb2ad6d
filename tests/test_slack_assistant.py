"""Slack's assistant panel as Slack drives it: signed events in (a thread started, the channel being viewed
changed, a question asked), Web API calls out to the fake Slack (the greeting, suggested prompts, a status,
a title, the cited answer with Slack's feedback buttons)."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from bot.slack import blocks
from bot.slack.app import make_slack_app
from bot.slack.fake import BOT_TOKEN, BOT_USER, TEAM, FakeSlack
from bot.store.assistant_threads import AssistantThreads
from bot.store.tables import slack_claims
from tests.conftest import RecordingChatModel, serving
from tests.test_district import RESULTS, TOML, write_district
from tests.test_slack import SECRET, Slack, feedback_values, wait_answers

DM = "D0ALICE01"
VIEWED = "C0BETA0001"  # a school's channel: the district file gives it Beta PS
SCHOOLS = ("school_id,name,level,cluster,principal\nA,Alpha PS,elementary,North,Grace Okafor\n"
           "B,Beta PS,elementary,South,Tomas Lindqvist\n")  # fmt: skip
ASKING = "C0ASKALL01"  # a channel where Resolute answers every question
CHANNELS = (f'\n[[channels]]\nid = "{VIEWED}"\nrespond_to = "mentions"\nschool = "B"\n'
            f'\n[[channels]]\nid = "{ASKING}"\nrespond_to = "questions"\n')  # fmt: skip


@pytest.fixture
def services(make_services, knowledge, fake_slack: FakeSlack, tmp_path):
    built = make_services(
        slack_bot_token=BOT_TOKEN, slack_signing_secret=SECRET, slack_api_url=fake_slack.url
    )
    write_district(tmp_path / "knowledge" / "district", toml=TOML.replace("\n[[priorities]]", CHANNELS + "\n[[priorities]]", 1),
                   schools=SCHOOLS, results=RESULTS)  # fmt: skip
    built.district.load()
    built.ingester.ingest([knowledge])
    return built


@pytest.fixture
def slack(services):
    services.warm_up()
    with serving(make_slack_app(services)) as url:
        yield Slack(url, SECRET)


def start_thread(slack: Slack, fake: FakeSlack, user: str = "UALICE", viewing: str | None = None) -> str:
    """The member opens a new conversation in the panel; Slack makes the thread and sends the event."""
    thread_ts = fake.new_ts()
    fake.add_message(DM, {"type": "message", "subtype": "assistant_app_thread", "user": user, "text": "",
                          "ts": thread_ts})  # fmt: skip
    context = {"channel_id": viewing, "team_id": TEAM} if viewing else {}
    event = {"type": "assistant_thread_started", "event_ts": thread_ts,
             "assistant_thread": {"user_id": user, "context": context, "channel_id": DM, "thread_ts": thread_ts}}  # fmt: skip
    assert slack.event(event)[0] == 200
    return thread_ts


def ask(slack: Slack, fake: FakeSlack, thread_ts: str | None, text: str, user: str = "UALICE") -> dict:
    message = fake.person_says(DM, text, user=user, thread_ts=thread_ts)
    assert slack.event({"type": "message", "channel": DM, "channel_type": "im", **message})[0] == 200
    return message


def wait_until(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.02)
    return found


def test_a_new_assistant_thread_is_greeted_with_prompts_drawn_from_the_district(slack, fake_slack):
    thread_ts = start_thread(slack, fake_slack)
    [greeting] = fake_slack.wait_for("chat.postMessage")
    assert greeting.args["channel"] == DM and greeting.args["thread_ts"] == thread_ts
    assert greeting.args["text"] == blocks.ASSISTANT_GREETING + blocks.ASSISTANT_PROMPTS_BELOW
    [call] = fake_slack.wait_for("assistant.threads.setSuggestedPrompts")
    assert call.reply["ok"], call.reply
    offered = [p["message"] for p in call.args["prompts"]]
    # the ELL target is behind its trajectory, and the priority's plan is offered
    assert (
        any("Grade 3 reading, ELL (%)" in m for m in offered) and "What is our plan for literacy?" in offered
    )
    assert not any("Alpha PS" in m or "Beta PS" in m for m in offered)  # Alice leads no school


def test_a_principal_is_offered_their_own_school_first(slack, fake_slack):
    fake_slack.users["UTOMAS"] = {"real_name": "Tomas Lindqvist"}
    start_thread(slack, fake_slack, user="UTOMAS")
    [call] = fake_slack.wait_for("assistant.threads.setSuggestedPrompts")
    assert call.args["prompts"][0]["message"] == "How is Beta PS doing on our targets?"
    assert len(call.args["prompts"]) <= 4


def test_a_question_in_the_panel_gets_a_status_a_title_and_a_cited_answer_with_feedback_buttons(
    slack, fake_slack
):
    thread_ts = start_thread(slack, fake_slack)
    ask(slack, fake_slack, thread_ts, "What is the graduation target?")
    [answer] = wait_answers(fake_slack, 1, reactions=False)
    assert answer.args["channel"] == DM and answer.args["thread_ts"] == thread_ts
    assert "88 percent" in answer.args["text"] and "Lakeside Improvement Plan" in json.dumps(
        answer.args["blocks"]
    )
    assert answer.args["blocks"][-1]["type"] == "context_actions"
    [status] = fake_slack.called("assistant.threads.setStatus")
    assert status.args["status"] == blocks.ASSISTANT_STATUS and status.args["thread_ts"] == thread_ts
    assert fake_slack.calls.index(status) < fake_slack.calls.index(
        answer
    )  # shown while the answer is prepared
    assert fake_slack.titles[(DM, thread_ts)] == "What is the graduation target?"
    assert not fake_slack.called("reactions.add")  # the panel has its status instead of the :eyes: marker
    # a follow-up keeps the conversation's title
    ask(slack, fake_slack, thread_ts, "And the reading target?")
    wait_answers(fake_slack, 2, reactions=False)
    assert len(fake_slack.called("assistant.threads.setTitle")) == 1


def test_the_channel_being_viewed_scopes_a_question_that_names_no_school(slack, fake_slack, services):
    thread_ts = start_thread(slack, fake_slack, viewing="C0OTHER001")
    # the member moves to Beta PS's channel with the panel open
    changed = {"type": "assistant_thread_context_changed", "event_ts": fake_slack.new_ts(),
               "assistant_thread": {"user_id": "UALICE", "channel_id": DM, "thread_ts": thread_ts,
                                    "context": {"channel_id": VIEWED, "team_id": TEAM}}}  # fmt: skip
    assert slack.event(changed)[0] == 200
    threads = AssistantThreads(services.engine)
    wait_until(
        lambda: (threads.find(DM, thread_ts) or {}).get("channel_id") == VIEWED
    )  # saved by its listener
    ask(slack, fake_slack, thread_ts, "How are we doing on Grade 3 reading?")
    [answer] = wait_answers(fake_slack, 1, reactions=False)
    assert "Beta PS" in answer.args["text"]
    # a question that names its school is answered about that school
    ask(slack, fake_slack, thread_ts, "How is Alpha PS doing on Grade 3 reading?")
    second = wait_answers(fake_slack, 2, reactions=False)[1]
    assert "Alpha PS" in second.args["text"]


def test_a_channel_set_to_questions_answers_a_question_and_ignores_a_statement(slack, fake_slack, services):
    def says(channel: str, text: str) -> dict:
        message = fake_slack.person_says(channel, text)
        event = {"type": "message", "channel": channel, "channel_type": "channel", **message}
        assert slack.event(event)[0] == 200
        return message

    statement = says(ASKING, "Thanks all, see you at the board meeting.")
    elsewhere = says(
        VIEWED, "What is the graduation target?"
    )  # a channel where Resolute waits to be mentioned
    asked = says(ASKING, "What is the graduation target?")
    unmarked = says(ASKING, "how many schools are on track")  # a question without its question mark
    chatter = [says(ASKING, text) for text in ("Will do", "Have a great weekend!", "Can't make it today")]
    answers = wait_answers(fake_slack, 2)
    assert sorted(a.args["thread_ts"] for a in answers) == sorted([asked["ts"], unmarked["ts"]])
    assert all(a.args["channel"] == ASKING for a in answers) and any(
        "88 percent" in a.args["text"] for a in answers
    )
    with services.engine.connect() as conn:  # never taken up to answer, not merely not yet answered
        claimed = set(conn.execute(select(slack_claims.c.key)).scalars())
    assert (
        f"message:{ASKING}:{statement['ts']}" not in claimed
        and f"message:{VIEWED}:{elsewhere['ts']}" not in claimed
        and not any(f"message:{ASKING}:{m['ts']}" in claimed for m in chatter)
    )


@pytest.fixture
def model():
    return RecordingChatModel()


@pytest.fixture
def streaming(services, model):
    """The app with a language model (as with RESOLUTE_LLM set), served over HTTP."""
    services.__dict__["llm"] = model
    services.warm_up()
    with serving(make_slack_app(services)) as url:
        yield Slack(url, SECRET)


def streamed(fake: FakeSlack) -> str:
    """The text Slack was handed while the reply was written: chat.startStream, appendStream, stopStream."""
    calls = [
        c for c in fake.calls if c.method in ("chat.startStream", "chat.appendStream", "chat.stopStream")
    ]
    return "".join((c.args.get("markdown_text") or "") + "".join(k.get("text", "") for k in c.args.get("chunks") or [])
                   for c in calls)  # fmt: skip


CHECKED = "The graduation target is 88 percent by 2027, as the improvement plan for Lakeside sets out [1]."
UNCITED = "The graduation target is 88 percent by 2027, which the board adopted last spring with the plan."


def test_a_model_answer_streams_into_the_thread_and_becomes_the_checked_answer(streaming, fake_slack, model):
    model.replies = [CHECKED]
    thread_ts = start_thread(streaming, fake_slack)
    ask(streaming, fake_slack, thread_ts, "What is the graduation target?")
    [update] = fake_slack.wait_for("chat.update")
    started = fake_slack.called("chat.startStream")
    assert len(started) == 1 and started[0].args["thread_ts"] == thread_ts
    assert streamed(fake_slack).strip() == CHECKED  # handed to Slack as it was written
    assert all(c.reply["ok"] for c in fake_slack.calls), [
        c.reply for c in fake_slack.calls if not c.reply["ok"]
    ]
    assert fake_slack.calls.index(fake_slack.called("chat.stopStream")[0]) < fake_slack.calls.index(update)
    assert update.args["ts"] == started[0].reply["ts"] and update.args["text"] == CHECKED
    assert update.args["blocks"][-1]["type"] == "context_actions" and "Sources" in json.dumps(
        update.args["blocks"]
    )
    assert [c.args["text"][:20] for c in fake_slack.called("chat.postMessage")] == [
        blocks.ASSISTANT_GREETING[:20]
    ]


def test_a_streamed_answer_that_fails_the_citation_check_is_replaced_by_the_passages(
    streaming, fake_slack, model
):
    model.replies = [UNCITED]
    question = fake_slack.person_says("C0001", f"<@{BOT_USER}> What is the graduation target?")
    mentioned = {**question, "type": "app_mention", "channel": "C0001", "event_ts": question["ts"]}
    assert streaming.event(mentioned)[0] == 200
    [update] = fake_slack.wait_for("chat.update")
    [started] = fake_slack.called("chat.startStream")  # a channel: streamed to the asker, in their team
    assert started.args["recipient_user_id"] == "UALICE" and started.args["recipient_team_id"] == TEAM
    assert streamed(fake_slack).strip() == UNCITED  # what was shown while it was written
    assert "could not be verified against the documents" in update.args["text"]
    text = update.args["text"]
    assert "88 percent" in text and "[1]" in text and text != UNCITED  # the passages, cited


LITERACY_LEAD, DESK = "U0LITLEAD1", "U0DESK0001"
OWNED = TOML.replace(
    'message = "Every child reading."', f'message = "Every child reading."\nowner = "{LITERACY_LEAD}"'
)
OWNED = OWNED.replace("[district]\n", f'[district]\nhelp_desk = "{DESK}"\n', 1)


@pytest.fixture
def owned(services, tmp_path, fake_slack):
    """The district file names an owner for literacy and a help desk for the rest."""
    write_district(tmp_path / "knowledge" / "district", toml=OWNED, schools=SCHOOLS, results=RESULTS)
    services.district.load()
    fake_slack.users[LITERACY_LEAD] = {"real_name": "Lena Literacy"}
    fake_slack.users[DESK] = {"real_name": "Dana Desk"}
    return services


def buttons_in(call) -> dict[str, dict]:
    return {
        e["text"]["text"]: e
        for b in call.args.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
    }


def test_a_question_the_documents_did_not_answer_reaches_its_owner_once_and_their_reply_the_asker(
    owned, slack, fake_slack
):
    asked = ask(slack, fake_slack, None, "What did the board decide about the bus contract?")
    [answer] = wait_answers(fake_slack, 1)
    assert "couldn't find anything" in answer.args["text"]
    button = buttons_in(answer)["Ask Dana Desk"]  # no priority's question: the help desk
    # a colleague who sees it clicks: the owner is told who asked
    slack.click(blocks.ASK_OWNER, button["value"], response_url=fake_slack.response_url(), user="UBEN")
    [told] = fake_slack.wait_for("response_url")
    assert f"<@{DESK}>" in told.args["text"] and told.args["response_type"] == "ephemeral"
    [handed] = [c for c in fake_slack.called("chat.postMessage") if c.args["channel"] == DESK]
    assert "bus contract" in handed.args["text"] and "<@UALICE> asked" in handed.args["text"]
    assert "UBEN" not in handed.args["text"]
    # a second click (anyone's) does not ask again
    slack.click(blocks.ASK_OWNER, button["value"], response_url=fake_slack.response_url())
    assert "already passed" in fake_slack.wait_for("response_url", 2)[1].args["text"]
    assert len([c for c in fake_slack.called("chat.postMessage") if c.args["channel"] == DESK]) == 1
    # the owner replies in their thread; the reply goes to the asker's thread
    owner_dm = handed.reply["channel"]
    reply = fake_slack.person_says(owner_dm, "The board renewed it for three years.", user=DESK,
                                   thread_ts=handed.reply["ts"])  # fmt: skip
    assert slack.event({"type": "message", "channel": owner_dm, "channel_type": "im", **reply})[0] == 200
    relayed = wait_until(lambda: [c for c in fake_slack.called("chat.postMessage")
                                  if "renewed it for three years" in c.args["text"]])  # fmt: skip
    assert (
        len(relayed) == 1 and relayed[0].args["channel"] == DM and relayed[0].args["thread_ts"] == asked["ts"]
    )
    assert relayed[0].args["text"].startswith(f"<@{DESK}> answered:")


def test_not_helpful_offers_the_owner_of_the_questions_priority(owned, slack, fake_slack):
    ask(slack, fake_slack, None, "What is the Grade 3 reading target?")
    [answer] = wait_answers(fake_slack, 1)
    assert "Grade 3 reading" in answer.args["text"] and not buttons_in(answer)  # answered: no one to ask yet
    _, not_helpful = feedback_values(answer)
    slack.click(blocks.FEEDBACK, not_helpful, response_url=fake_slack.response_url(), kind="feedback_buttons")
    [thanks] = fake_slack.wait_for("response_url")
    assert thanks.args["text"] == blocks.feedback_thanks(False)
    offered = {
        e["text"]["text"] for b in thanks.args["blocks"] if b["type"] == "actions" for e in b["elements"]
    }
    assert offered == {"Ask Lena Literacy"}  # reading is literacy's, and literacy names its lead


def test_an_owners_saved_reply_is_cited_to_the_next_asker_until_removed(owned, slack, fake_slack):
    question = "What did the board decide about the bus contract?"
    ask(slack, fake_slack, None, question)
    [answer] = wait_answers(fake_slack, 1)
    slack.click(
        blocks.ASK_OWNER, buttons_in(answer)["Ask Dana Desk"]["value"], response_url=fake_slack.response_url()
    )
    [handed] = wait_until(
        lambda: [c for c in fake_slack.called("chat.postMessage") if c.args["channel"] == DESK]
    )
    save = buttons_in(handed)["Save as an answer"]
    owner_dm, owner_ts = handed.reply["channel"], handed.reply["ts"]
    assert "I've asked" in fake_slack.wait_for("response_url", 1)[0].args["text"]  # the asker is told first
    # nothing to save before the owner has replied, and only the owner may save
    slack.click(blocks.SAVE_ANSWER, save["value"], response_url=fake_slack.response_url(), user=DESK)
    assert "Reply in this thread first" in fake_slack.wait_for("response_url", 2)[-1].args["text"]
    for text in (
        "Renewed for two years.",
        "The board renewed the bus contract for three years, to June 2029.",
    ):
        reply = fake_slack.person_says(owner_dm, text, user=DESK, thread_ts=owner_ts)
        assert slack.event({"type": "message", "channel": owner_dm, "channel_type": "im", **reply})[0] == 200
    slack.click(blocks.SAVE_ANSWER, save["value"], response_url=fake_slack.response_url(), user="UBEN")
    assert "Only <@" in fake_slack.wait_for("response_url", 3)[-1].args["text"]
    assert (
        save["confirm"]["title"]["text"] == "Save as an answer?"
    )  # Slack asks first, saying who will see it
    slack.click(blocks.SAVE_ANSWER, save["value"], response_url=fake_slack.response_url(), user=DESK)
    [saved] = wait_until(lambda: [c for c in fake_slack.called("chat.postMessage")
                                  if c.args["channel"] == owner_dm and c.args["text"].startswith("Saved.")])  # fmt: skip
    assert saved.args["thread_ts"] == owner_ts and "Answered by @Dana Desk" in saved.args["text"]
    # searchable as soon as the save returned: the next leader who asks gets it, cited
    ask(slack, fake_slack, None, "What was decided about the bus contract?", user="UBEN")
    cited = wait_answers(fake_slack, 2)[1]
    assert "three years, to June 2029" in cited.args["text"] and "two years" not in cited.args["text"]
    assert "Answered by @Dana Desk" in json.dumps(cited.args["blocks"])
    # the owner takes it back, from their thread: the question finds nothing again
    slack.click(blocks.REMOVE_ANSWER, buttons_in(saved)["Remove this answer"]["value"],
                response_url=fake_slack.response_url(), user=DESK)  # fmt: skip
    assert fake_slack.wait_for("response_url", 4)[-1].args["text"].startswith("Removed")
    ask(slack, fake_slack, None, "What was decided about the bus contract?", user="UBEN")
    assert "couldn't find anything" in wait_answers(fake_slack, 3)[2].args["text"]


def test_a_streamed_answer_slack_will_not_replace_is_deleted_and_posted_whole(streaming, fake_slack, model):
    model.replies = [CHECKED]
    fake_slack.errors["chat.update"] = "msg_too_long"
    thread_ts = start_thread(streaming, fake_slack)
    ask(streaming, fake_slack, thread_ts, "What is the graduation target?")
    [deleted] = fake_slack.wait_for("chat.delete")
    [started] = fake_slack.called("chat.startStream")
    assert deleted.args["ts"] == started.reply["ts"]  # the unchecked words do not stay behind
    [answer] = wait_until(
        lambda: [c for c in fake_slack.called("chat.postMessage") if c.args["text"] == CHECKED]
    )
    assert answer.reply["ok"] and answer.args["blocks"][-1]["type"] == "context_actions"
