"""The Slack app as Slack calls it: signed HTTP requests in, Web API calls out to the fake Slack."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select

from bot.knowledge.answer import Answer, Source
from bot.slack import blocks
from bot.slack.app import make_slack_app
from bot.slack.block_check import blocks_problem
from bot.slack.fake import BOT_TOKEN as TOKEN
from bot.slack.fake import BOT_USER, FakeSlack
from bot.store.tables import answer_feedback, slack_answers
from tests.conftest import RecordingChatModel, serving

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


class Slack:
    """Sends requests to the app exactly as Slack does: signed, form-encoded or JSON."""

    def __init__(self, url: str, secret: str) -> None:
        self.url = url
        self.secret = secret

    def post(self, body: str, content_type: str, *, secret: str | None = None, timestamp: int | None = None,
             headers: dict | None = None) -> tuple[int, str, float]:  # fmt: skip
        ts = str(timestamp if timestamp is not None else int(time.time()))
        signature = SignatureVerifier(secret or self.secret).generate_signature(timestamp=ts, body=body)
        request = urllib.request.Request(
            self.url, data=body.encode(), method="POST",
            headers={"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature,
                     **(headers or {})},
        )  # fmt: skip
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode(), time.perf_counter() - started
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(), time.perf_counter() - started

    def command(self, text: str, *, channel: str = "C0001", user: str = "UALICE", response_url: str = "",
                trigger_id: str | None = None, **kw) -> tuple[int, str, float]:  # fmt: skip
        form = {"token": "legacy", "team_id": "T0001", "team_domain": "riverbend", "channel_id": channel,
                "channel_name": "leadership", "user_id": user, "user_name": "alice", "command": "/ask",
                "text": text, "api_app_id": "A0001", "is_enterprise_install": "false",
                "response_url": response_url, "trigger_id": trigger_id or f"trig{time.monotonic_ns()}"}  # fmt: skip
        return self.post(urlencode(form), "application/x-www-form-urlencoded", **kw)

    def event(self, event: dict, *, event_id: str | None = None, **kw) -> tuple[int, str, float]:
        envelope = {"token": "legacy", "team_id": "T0001", "api_app_id": "A0001", "event": event,
                    "type": "event_callback", "event_id": event_id or f"Ev{time.monotonic_ns()}",
                    "event_time": int(time.time()),
                    "authorizations": [{"team_id": "T0001", "user_id": BOT_USER, "is_bot": True}]}  # fmt: skip
        return self.post(json.dumps(envelope), "application/json", **kw)

    def click(
        self, action_id: str, value: str, *, response_url: str, user: str = "UALICE", kind: str = "button"
    ) -> tuple[int, str, float]:
        """A button clicked; `kind` is the element's type ("feedback_buttons" for Slack's thumbs)."""
        payload = {"type": "block_actions", "team": {"id": "T0001"}, "user": {"id": user, "name": "alice"},
                   "api_app_id": "A0001", "trigger_id": "trig1", "response_url": response_url,
                   "channel": {"id": "C0001"}, "container": {"type": "message"},
                   "actions": [{"type": kind, "action_id": action_id, "block_id": "feedback",
                                "value": value, "action_ts": str(time.time())}]}  # fmt: skip
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def mention(
    fake_slack: FakeSlack, text: str, *, channel: str = "C0001", thread_ts: str | None = None
) -> dict:
    """A person's message mentioning Resolute, already in the channel, as its app_mention event."""
    message = fake_slack.person_says(channel, f"<@{BOT_USER}> {text}", thread_ts=thread_ts)
    return {
        **message,
        "type": "app_mention",
        "channel": channel,
        "channel_type": "channel",
        "event_ts": message["ts"],
    }


def answers_in(fake_slack: FakeSlack) -> list:
    """The calls that carry an answer (they have the feedback buttons): chat.postMessage, or chat.update for a
    language model's reply streamed first, in the order they were made."""
    return [c for c in fake_slack.calls if c.method in ("chat.postMessage", "chat.update")
            and "feedback" in json.dumps(c.args.get("blocks", []))]  # fmt: skip


def wait_answers(fake_slack: FakeSlack, count: int, timeout: float = 60.0, *, reactions: bool = True) -> list:
    """The first `count` answers, once each is finished: posted, logged, its copies recorded, :eyes: removed
    (`reactions=False`: answers in the assistant panel, which has a status instead: once posted)."""
    deadline = time.monotonic() + timeout
    while len(answers_in(fake_slack)) < count:
        assert time.monotonic() < deadline, f"{len(answers_in(fake_slack))} answers posted, expected {count}"
        time.sleep(0.02)
    if reactions:
        fake_slack.wait_for(
            "reactions.remove", count, timeout
        )  # an answer's last step, after what it records
    return answers_in(fake_slack)


@pytest.fixture
def services(make_services, knowledge, fake_slack):
    built = make_services(slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_url=fake_slack.url)
    built.ingester.ingest([knowledge])
    return built


@pytest.fixture
def slack(services):
    """The app served over HTTP on a loopback port, as `resolute serve --http` serves it."""
    services.warm_up()
    with serving(make_slack_app(services)) as url:
        yield Slack(url, SECRET)


def test_ask_is_acknowledged_at_once_and_answered_in_a_thread_with_sources(slack, fake_slack):
    status, _body, seconds = slack.command(
        "What is the graduation target?", response_url=fake_slack.response_url()
    )
    assert status == 200 and seconds < 3.0  # Slack's limit for the acknowledgement
    [answer] = wait_answers(fake_slack, 1)
    question = fake_slack.called("chat.postMessage")[0]
    assert question.args["channel"] == "C0001" and "thread_ts" not in question.args
    assert "What is the graduation target?" in question.args["text"]
    header_ts = fake_slack.thread("C0001", answer.args["thread_ts"])[0]["ts"]
    assert answer.args["thread_ts"] == header_ts  # in the thread under the question
    assert "88 percent" in answer.args["text"] and "[1]" in answer.args["text"]
    rendered = json.dumps(answer.args["blocks"])
    assert "*Sources*" in rendered and "Lakeside Improvement Plan" in rendered and "Graduation" in rendered
    assert blocks_problem(answer.args["blocks"]) is None
    # the :eyes: marker went on the question and came off again
    assert [c.args["timestamp"] for c in fake_slack.called("reactions.add")] == [header_ts]
    assert [c.args["timestamp"] for c in fake_slack.wait_for("reactions.remove")] == [header_ts]
    assert all(
        c.headers["authorization"] == f"Bearer {TOKEN}"
        for c in fake_slack.calls
        if c.method != "response_url"
    )


def test_questions_are_answered_once_slacks_requests_in_flight_are_acknowledged(
    slack, fake_slack, monkeypatch
):
    from bot.slack import asking

    monkeypatch.setattr(asking, "ACKS_FIRST", 30.0)  # the longest an answer would wait: not reached here
    with asking.SLACK_REQUESTS.request():  # another of Slack's requests, still being acknowledged
        status, _body, _seconds = slack.command("What is the graduation target?")
        assert status == 200  # this one is acknowledged at once
        with pytest.raises(AssertionError):  # but nothing is posted while the other is in flight
            fake_slack.wait_for("chat.postMessage", 1, timeout=0.5)
    [answer] = wait_answers(fake_slack, 1)  # then the question and its answer go out
    assert "88 percent" in answer.args["text"]


def test_the_server_counts_the_requests_it_is_acknowledging(fake_slack):
    import threading

    from slack_bolt import App
    from slack_sdk import WebClient

    from bot.slack.asking import SLACK_REQUESTS

    app = App(signing_secret=SECRET, client=WebClient(token=TOKEN, base_url=fake_slack.url))
    handling, release = threading.Event(), threading.Event()

    @app.command("/ask")
    def slow(ack):  # acknowledges only when the test says so
        handling.set()
        release.wait(30)
        ack()

    with serving(app) as url:
        asked = threading.Thread(target=lambda: Slack(url, SECRET).command("hello"))
        asked.start()
        assert handling.wait(30)
        assert not SLACK_REQUESTS.wait_idle(timeout=0.2)  # one request in flight
        release.set()
        asked.join(30)
        assert SLACK_REQUESTS.wait_idle(timeout=30)


def test_ask_without_a_question_answers_with_usage(slack, fake_slack):
    status, body, _ = slack.command("   ")
    assert status == 200 and body == blocks.USAGE  # a plain-text ack is shown to the asker alone
    slack.command("What is the graduation target?")
    wait_answers(fake_slack, 1)
    assert len(fake_slack.called("chat.postMessage")) == 2  # only the second /ask posted anything


def test_bad_or_stale_signature_is_refused_and_nothing_is_posted(slack, fake_slack):
    assert slack.command("What is the graduation target?", secret="not-the-secret")[0] == 401
    assert slack.command("What is the graduation target?", timestamp=int(time.time()) - 600)[0] == 401
    assert slack.event(mention(fake_slack, "What is the graduation target?"), secret="wrong")[0] == 401
    slack.command("Who is the principal of Pine Ridge?")  # a valid request, answered after the refused ones
    [answer] = wait_answers(fake_slack, 1)
    time.sleep(0.3)
    assert "Farah Haddad" in answer.args["text"]
    assert len(fake_slack.called("chat.postMessage")) == 2 and len(answers_in(fake_slack)) == 1


def test_a_retried_event_is_answered_once(slack, fake_slack):
    event = mention(fake_slack, "What is the graduation target?")
    assert slack.event(event, event_id="Ev111")[0] == 200
    assert slack.event(event, event_id="Ev111", headers={"X-Slack-Retry-Num": "1",
                                                          "X-Slack-Retry-Reason": "http_timeout"})[0] == 200  # fmt: skip
    # the same message can also arrive as a `message` event in a thread; still one answer
    slack.event({**event, "type": "message"}, event_id="Ev112")
    slack.event(mention(fake_slack, "Who is the principal of Pine Ridge?"), event_id="Ev113")
    wait_answers(fake_slack, 2)
    time.sleep(0.3)
    threads = [c.args["thread_ts"] for c in answers_in(fake_slack)]
    assert len(threads) == 2 and threads.count(event["ts"]) == 1


def test_a_question_whose_answer_failed_is_answered_when_slack_retries_it(slack, fake_slack):
    fake_slack.errors["chat.postMessage"] = "fatal_error"
    event = mention(fake_slack, "What is the graduation target?")
    assert slack.event(event, event_id="Ev121")[0] == 200
    fake_slack.wait_for("reactions.remove", 1, 60)  # the failed attempt is over
    assert [c.reply["error"] for c in answers_in(fake_slack)] == ["fatal_error"]
    del fake_slack.errors["chat.postMessage"]
    slack.event(
        event, event_id="Ev121", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
    )
    _refused, answer = wait_answers(fake_slack, 2)
    assert answer.reply["ok"] and answer.args["thread_ts"] == event["ts"]
    # answered now: a later retry of the same event is not answered again
    slack.event(
        event, event_id="Ev121", headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_error"}
    )
    time.sleep(0.3)
    assert len(answers_in(fake_slack)) == 2


def test_follow_up_in_a_thread_is_answered_with_the_earlier_turns(make_services, knowledge, fake_slack):
    llm = RecordingChatModel(replies=["The graduation target is 88 percent by 2027 [1].",
                                      "The Grade 3 reading target is 80 percent by 2027 [1]."])  # fmt: skip
    services = make_services(slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_url=fake_slack.url)
    services.__dict__["llm"] = llm
    services.ingester.ingest([knowledge])
    with serving(make_slack_app(services)) as url:
        slack = Slack(url, SECRET)
        first = mention(fake_slack, "What is the graduation target?")
        slack.event(first)
        [answer] = wait_answers(fake_slack, 1)
        assert answer.args["thread_ts"] == first["ts"]
        # a colleague chats in an unrelated thread: not Resolute's business
        other = fake_slack.person_says("C0001", "lunch at noon?")
        fake_slack.person_says("C0001", "sure", thread_ts=other["ts"])
        slack.event({"type": "message", "channel": "C0001", "channel_type": "channel", "user": "UBEN",
                     "text": "sure", "ts": fake_slack.new_ts(), "thread_ts": other["ts"]})  # fmt: skip
        # the follow-up, without a mention, in Resolute's thread
        follow = fake_slack.person_says("C0001", "And for reading in Grade 3?", thread_ts=first["ts"])
        slack.event({"type": "message", "channel": "C0001", "channel_type": "channel", **follow})
        answers = wait_answers(fake_slack, 2)
        time.sleep(0.3)
        assert len(answers_in(fake_slack)) == 2 and answers[1].args["thread_ts"] == first["ts"]
        assert len(llm.prompts) == 2
        assert "Earlier in this conversation" not in llm.prompts[0]
        assert "Q: What is the graduation target?" in llm.prompts[1]
        assert "A: The graduation target is 88 percent by 2027 [1]." in llm.prompts[1]
        assert "Question: And for reading in Grade 3?" in llm.prompts[1]


def test_a_direct_message_is_answered_and_the_home_tab_published(slack, fake_slack):
    message = fake_slack.person_says("D0001", "Who is the principal of Pine Ridge?")
    slack.event({"type": "message", "channel": "D0001", "channel_type": "im", **message})
    [answer] = wait_answers(fake_slack, 1)
    assert answer.args["channel"] == "D0001" and "Farah Haddad" in answer.args["text"]
    slack.event({"type": "app_home_opened", "user": "UALICE", "channel": "D0001", "tab": "home"})
    [publish] = fake_slack.wait_for("views.publish")
    assert publish.args["user_id"] == "UALICE"
    view = json.dumps(publish.args["view"])
    assert "/ask QUESTION" in view and "priorities" in view


def feedback_values(answer) -> tuple[str, str]:
    """The values of the positive and negative sides of Slack's feedback buttons under an answer."""
    [element] = [e for b in answer.args["blocks"] if b["type"] == "context_actions" for e in b["elements"]]
    assert element["type"] == "feedback_buttons" and element["action_id"] == blocks.FEEDBACK
    return element["positive_button"]["value"], element["negative_button"]["value"]


def test_slacks_feedback_buttons_store_the_verdict_with_question_answer_and_user(slack, fake_slack, services):
    slack.command("What is the graduation target?")
    [answer] = wait_answers(fake_slack, 1)
    helpful, not_helpful = feedback_values(answer)
    status, _, _ = slack.click(blocks.FEEDBACK, helpful, response_url=fake_slack.response_url(), user="UBEN",
                               kind="feedback_buttons")  # fmt: skip
    assert status == 200
    [thanks] = fake_slack.wait_for("response_url")
    assert thanks.args["text"] == blocks.feedback_thanks(True) and thanks.args["response_type"] == "ephemeral"
    with services.engine.connect() as conn:
        row = conn.execute(
            select(answer_feedback.c.user_id, answer_feedback.c.helpful, slack_answers.c.question,
                   slack_answers.c.answer, slack_answers.c.user_id.label("asker"))
            .join(slack_answers, slack_answers.c.id == answer_feedback.c.answer_id)
        ).one()  # fmt: skip
    assert row.user_id == "UBEN" and row.helpful is True and row.asker == "UALICE"
    assert row.question == "What is the graduation target?" and row.answer == answer.args["text"]
    # changing one's mind updates the verdict rather than adding a second one
    slack.click(blocks.FEEDBACK, not_helpful, response_url=fake_slack.response_url(), user="UBEN",
                kind="feedback_buttons")  # fmt: skip
    fake_slack.wait_for("response_url", 2)
    with services.engine.connect() as conn:
        assert conn.execute(select(answer_feedback.c.helpful)).scalars().all() == [False]
    # the Helpful button of an answer posted before Slack's feedback buttons still counts
    answer_id = blocks.feedback_click(helpful)[1]
    slack.click(blocks.FEEDBACK_HELPFUL, answer_id, response_url=fake_slack.response_url(), user="UBEN")
    fake_slack.wait_for("response_url", 3)
    with services.engine.connect() as conn:
        assert conn.execute(select(answer_feedback.c.helpful)).scalars().all() == [True]


def test_a_failure_while_answering_is_told_to_the_user_and_logged(
    slack, fake_slack, services, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError(" ".join(("index", "exploded")))  # the frame's source line is not the message

    monkeypatch.setattr(services.answerer, "ask", broken)
    caplog.set_level(logging.ERROR)
    event = mention(fake_slack, "What is the graduation target?")
    slack.event(event, event_id="Ev999")
    [error] = fake_slack.wait_for("chat.postMessage")
    assert (error.args["channel"], error.args["thread_ts"], error.args["text"]) == (
        "C0001",
        event["ts"],
        blocks.ERROR,
    )
    fake_slack.wait_for("reactions.remove")  # the :eyes: marker does not stay behind
    slack.command("What is the graduation target?", response_url=fake_slack.response_url())
    [private] = fake_slack.wait_for("response_url")
    assert private.args["text"] == blocks.ERROR and private.args["response_type"] == "ephemeral"
    time.sleep(0.2)
    logged = [r for r in caplog.records if "failed to handle a Slack request" in r.getMessage()]
    assert len(logged) == 2 and logged[0].exc_info is None  # a message can carry what was typed: not logged
    assert "RuntimeError (message withheld)" in logged[0].getMessage()
    assert "index exploded" not in logged[0].getMessage()
    assert "Ev999" in logged[0].getMessage() and "/ask" in logged[1].getMessage()


def test_ask_in_a_channel_resolute_is_not_in_answers_privately(slack, fake_slack):
    fake_slack.errors["chat.postMessage"] = "not_in_channel"
    slack.command("What is the graduation target?", response_url=fake_slack.response_url())
    [reply] = fake_slack.wait_for("response_url")
    assert reply.args["response_type"] == "ephemeral"
    assert "88 percent" in reply.args["text"] and "/invite @Resolute" in json.dumps(reply.args["blocks"])


def test_long_answers_are_cut_to_slack_limits():
    sources = [Source(n, f"Document {n} " + "t" * 400, f"d{n}.md", "Section " + "s" * 300, "x", 0.5)
               for n in range(1, 31)]  # fmt: skip
    huge = Answer(("A long sentence about the plan [1]. " * 40 + "\n\n") * 200, "llm", sources)
    text, built = blocks.answer_message(huge, answer_id="abc")
    assert blocks_problem(built) is None and len(built) == blocks.MAX_BLOCKS
    assert built[-1]["type"] == "context_actions"  # the feedback buttons always survive
    sections = [b for b in built if b["type"] == "section"]
    assert len(sections) == blocks.MAX_BLOCKS - 5  # Sources heading, 3 x 10 sources, the buttons
    assert sections[-1]["text"]["text"].endswith(blocks.CUT_NOTE)
    assert len(text) <= blocks.FALLBACK_CHARS
    unbroken = Answer("x" * 7000, "llm")  # no break anywhere: still cut, never rejected
    assert blocks_problem(blocks.answer_message(unbroken, answer_id="abc")[1]) is None
    assert (
        "&lt;b&gt; &amp;"
        in blocks.answer_message(Answer("<b> &", "llm"), answer_id="a")[1][0]["text"]["text"]
    )


def test_home_tab_button_opens_the_ask_form_and_the_answer_arrives_as_a_dm(slack, fake_slack):
    payload = {"type": "block_actions", "team": {"id": "T0001"}, "user": {"id": "UALICE"}, "api_app_id": "A0001",
               "trigger_id": "trig-home", "container": {"type": "view", "view_id": "VHOME"},
               "actions": [{"type": "button", "action_id": blocks.OPEN_ASK_MODAL, "block_id": "b",
                            "action_ts": str(time.time())}]}  # fmt: skip
    assert (
        slack.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")[0] == 200
    )
    [opened] = fake_slack.wait_for("views.open")
    assert opened.args["trigger_id"] == "trig-home" and opened.args["view"]["callback_id"] == blocks.ASK_MODAL
    modal = opened.reply["view"]  # as Slack holds it: with its id and hash, checked by slack_sdk's models

    def submit(question: str) -> tuple[int, str, float]:
        state = {"values": {blocks.ASK_INPUT_BLOCK: {blocks.ASK_INPUT_ACTION: {
            "type": "plain_text_input", "value": question}}}}  # fmt: skip
        body = {"type": "view_submission", "team": {"id": "T0001"}, "user": {"id": "UALICE"},
                "api_app_id": "A0001", "view": {**modal, "state": state}}  # fmt: skip
        return slack.post(urlencode({"payload": json.dumps(body)}), "application/x-www-form-urlencoded")

    status, body, _ = submit("   ")
    assert status == 200 and json.loads(body)["response_action"] == "errors"  # the form says what is wrong
    assert submit("Who is the principal of Pine Ridge?")[0] == 200
    [answer] = wait_answers(fake_slack, 1)
    question = fake_slack.called("chat.postMessage")[0]
    assert question.args["channel"] == "UALICE"  # Slack opens the app's DM with the person
    assert answer.args["channel"] == "DALICE" and "Farah Haddad" in answer.args["text"]


def test_the_server_answers_with_more_than_1024_files_open(make_services, fake_slack):
    """select() cannot watch a socket numbered above 1024; a busy process holds that many files."""
    import os

    services = make_services(slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_url=fake_slack.url)
    pipes = [os.pipe() for _ in range(520)]  # 1,040 files: the server's sockets come after them
    try:
        with serving(make_slack_app(services)) as url:
            challenge = {"token": "legacy", "challenge": "c-1040", "type": "url_verification"}
            status, body, _ = Slack(url, SECRET).post(json.dumps(challenge), "application/json")
        assert status == 200 and "c-1040" in body
    finally:
        for read, write in pipes:
            os.close(read)
            os.close(write)
