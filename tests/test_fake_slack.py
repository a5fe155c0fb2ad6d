"""The fake Slack answers as Slack does: it refuses what Slack refuses, and keeps what Slack keeps."""

from __future__ import annotations

import json
from functools import partial

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.knowledge.answer import Answer, Source
from bot.slack import blocks
from bot.slack.fake import APP_TOKEN, BOT_ID, BOT_TOKEN, TEAM

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "Hello"}}


@pytest.fixture
def client(fake_slack) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=fake_slack.url)


def refused(method, /, *args, **kwargs) -> dict:
    """Slack's answer to a call that must fail."""
    with pytest.raises(SlackApiError) as caught:
        method(*args, **kwargs)
    return caught.value.response.data


def test_blocks_slack_would_refuse_are_refused_with_where(client, fake_slack):
    cases = {
        "no more than 50 items allowed [json-pointer:/blocks]": [SECTION] * 51,
        "text attribute cannot exceed 3000 characters [json-pointer:/blocks/1]": [
            SECTION, {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        "elements attribute cannot exceed 10 elements [json-pointer:/blocks/0]": [
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "a"}] * 11}],
        "text attribute cannot exceed 150 characters [json-pointer:/blocks/0]": [
            {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        "unsupported block type: sektion [json-pointer:/blocks/0]": [{**SECTION, "type": "sektion"}],
        "invalid additional property: txt [json-pointer:/blocks/0]": [{"type": "section", "txt": SECTION["text"]}],
        "unsupported element in elements [json-pointer:/blocks/0]": [
            {"type": "actions", "elements": [{"type": "buton", "text": {"type": "plain_text", "text": "Go"}}]}],
    }  # fmt: skip
    for message, bad in cases.items():
        for post in (partial(client.chat_postMessage, channel="C0001", text="t", blocks=bad),
                     partial(client.chat_postEphemeral, channel="C0001", user="UALICE", text="t", blocks=bad)):  # fmt: skip
            answer = refused(post)
            assert answer["error"] == "invalid_blocks"
            assert answer["response_metadata"]["messages"] == [f"[ERROR] {message}"]
    assert fake_slack.messages == {}  # nothing refused was kept
    posted = client.chat_postMessage(channel="C0001", text="t", blocks=[SECTION] * 50)
    assert (
        refused(
            lambda: client.chat_update(channel="C0001", ts=posted["ts"], text="t", blocks=[SECTION] * 51)
        )["error"]
        == "invalid_blocks"
    )
    with pytest.warns(UserWarning, match="`text` argument is missing"):  # slack_sdk warns too
        assert refused(client.chat_postMessage, channel="C0001")["error"] == "no_text"
    # a response_url answers in plain text, 400 when it refuses
    hook = WebhookClient(fake_slack.response_url())
    assert (hook.send(text="t", blocks=[SECTION] * 51).status_code, hook.send(text="t").status_code) == (
        400,
        200,
    )


def test_views_are_checked_kept_updated_and_pushed(client, fake_slack):
    too_long = {**blocks.ask_modal(), "title": {"type": "plain_text", "text": "t" * 25}}
    answer = refused(client.views_open, trigger_id="trig", view=too_long)
    assert answer["error"] == "invalid_arguments"
    assert answer["response_metadata"]["messages"] == [
        "[ERROR] title must be between 1 and 24 characters [json-pointer:/view]"
    ]
    no_submit = {k: v for k, v in blocks.ask_modal().items() if k != "submit"}
    assert refused(client.views_open, trigger_id="trig", view=no_submit)["error"] == "invalid_arguments"
    crowded = {"type": "home", "blocks": [SECTION] * 101}
    assert refused(client.views_publish, user_id="UALICE", view=crowded)["error"] == "invalid_arguments"
    assert refused(client.views_open, view=blocks.ask_modal(), trigger_id="")["error"] == "invalid_arguments"

    opened = client.views_open(trigger_id="trig", view={**blocks.ask_modal(), "external_id": "ask-1"})["view"]
    assert opened["id"].startswith("V") and opened["hash"] and opened["root_view_id"] == opened["id"]
    assert fake_slack.views[opened["id"]]["callback_id"] == blocks.ASK_MODAL
    stale = refused(client.views_update, view_id=opened["id"], hash="old", view=blocks.ask_modal())
    assert stale["error"] == "hash_conflict"
    changed = {**blocks.ask_modal(), "title": {"type": "plain_text", "text": "Ask again"}}
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=changed)["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert client.views_update(external_id="ask-1", view=changed)["view"]["id"] == opened["id"]
    assert refused(client.views_update, view_id="VNONE", view=changed)["error"] == "not_found"
    pushed = client.views_push(trigger_id="trig2", view=changed)["view"]
    assert (pushed["previous_view_id"], pushed["root_view_id"]) == (opened["id"], opened["id"])
    # the app's own views pass, and one Home tab per person is republished in place
    home = client.views_publish(user_id="UALICE", view=blocks.home_view())["view"]
    priorities = [{"name": "Literacy", "message": "Every child reading.", "status": "on track"}]
    again = client.views_publish(user_id="UALICE", view=blocks.home_view(priorities=priorities))["view"]
    assert again["id"] == home["id"] and fake_slack.homes == {"UALICE": home["id"]}


def test_threads_people_and_channels(client, fake_slack):
    root = fake_slack.person_says("C0001", "a question")
    reply = client.chat_postMessage(channel="C0001", thread_ts=root["ts"], text="an answer")
    assert [m["text"] for m in client.conversations_replies(channel="C0001", ts=root["ts"])["messages"]] == [
        "a question", "an answer"]  # fmt: skip
    client.chat_update(channel="C0001", ts=reply["ts"], text="a better answer")
    assert fake_slack.thread("C0001", root["ts"])[1]["text"] == "a better answer"
    client.chat_delete(channel="C0001", ts=reply["ts"])
    assert len(fake_slack.thread("C0001", root["ts"])) == 1
    assert refused(client.chat_delete, channel="C0001", ts=reply["ts"])["error"] == "message_not_found"
    assert refused(client.conversations_replies, channel="C0001", ts="1.2")["error"] == "thread_not_found"

    assert client.conversations_open(users="UALICE")["channel"]["id"] == "DALICE"
    assert client.chat_postMessage(channel="UALICE", text="hi")["channel"] == "DALICE"  # a DM
    fake_slack.members["C0001"] = ["UALICE", "UBEN"]
    assert client.conversations_members(channel="C0001")["members"] == ["UALICE", "UBEN"]
    assert refused(client.conversations_members, channel="C0404")["error"] == "channel_not_found"
    assert client.conversations_info(channel="C0001")["channel"]["is_private"] is False  # C: public
    fake_slack.members["G0002"] = ["UALICE"]
    assert client.conversations_info(channel="G0002")["channel"]["is_private"] is True
    fake_slack.channels["C0001"] = {"is_private": True}  # a private channel with a C id, as Slack now makes
    assert client.conversations_info(channel="C0001")["channel"]["is_private"] is True
    fake_slack.channels["C0001"] = {"is_private": None}  # an answer that does not say
    assert "is_private" not in client.conversations_info(channel="C0001")["channel"]
    assert refused(client.conversations_info, channel="C0404")["error"] == "channel_not_found"
    assert client.chat_postEphemeral(channel="C0001", user="UBEN", text="psst")["message_ts"]
    assert (
        refused(client.chat_postEphemeral, channel="C0001", user="UCAROL", text="psst")["error"]
        == "user_not_in_channel"
    )

    assert client.users_info(user="UALICE")["user"]["tz"] == "America/Toronto"
    fake_slack.users["UBEN"] = {"tz": "Asia/Tokyo", "real_name": "Ben Okafor"}  # no daylight saving there
    ben = client.users_info(user="UBEN")["user"]
    assert (ben["tz"], ben["tz_offset"], ben["real_name"]) == ("Asia/Tokyo", 9 * 3600, "Ben Okafor")
    fake_slack.users["UCAROL"] = {"tz": "America/Vancouver", "tz_offset": -25200}
    assert client.users_info(user="UCAROL")["user"]["tz_offset"] == -25200

    client.reactions_add(channel="C0001", timestamp=root["ts"], name="eyes")
    assert (
        refused(client.reactions_add, channel="C0001", timestamp=root["ts"], name="eyes")["error"]
        == "already_reacted"
    )
    client.reactions_remove(channel="C0001", timestamp=root["ts"], name="eyes")
    assert (
        refused(client.reactions_remove, channel="C0001", timestamp=root["ts"], name="eyes")["error"]
        == "no_reaction"
    )


def test_tokens_failures_uploads_and_socket_mode(client, fake_slack):
    assert client.auth_test()["user_id"] == "U0RESOLUTE"
    assert (
        refused(WebClient(token="xoxb-wrong", base_url=fake_slack.url).auth_test)["error"] == "invalid_auth"
    )
    fake_slack.errors["chat.postMessage"] = "ratelimited"
    assert refused(client.chat_postMessage, channel="C0001", text="t")["error"] == "ratelimited"
    assert refused(client.api_call, "chat.scheduleMessage")["error"] == "unknown_method"
    assert [c.method for c in fake_slack.calls[-2:]] == ["chat.postMessage", "chat.scheduleMessage"]

    uploaded = client.files_upload_v2(channel="C0001", content=b"\x89PNG" * 300, filename="chart.png",
                                      title="Literacy", initial_comment="The chart")  # fmt: skip
    assert uploaded["files"][0]["title"] == "Literacy"
    assert [c.args["bytes"] for c in fake_slack.called("upload")] == [1200]
    forged = refused(client.files_completeUploadExternal, files=[{"id": "F404", "title": "x"}])
    assert forged["error"] == "file_not_found"

    with_bot_token = refused(client.apps_connections_open, app_token=BOT_TOKEN)
    assert with_bot_token["error"] == "not_allowed_token_type"  # Socket Mode needs the app-level token
    assert refused(client.apps_connections_open, app_token=APP_TOKEN)["error"] == "no_socket_mode_server"
    fake_slack.socket_mode_url = "ws://127.0.0.1:9/link"
    assert client.apps_connections_open(app_token=APP_TOKEN)["url"] == "ws://127.0.0.1:9/link"


def test_the_apps_own_block_kit_passes():
    from bot.slack.block_check import blocks_problem, view_problem

    sources = [Source(n, f"Document {n} " + "t" * 400, f"d{n}.md", "Section " + "s" * 300, "x", 0.5)
               for n in range(1, 31)]  # fmt: skip
    huge = Answer(("A long sentence about the plan [1]. " * 40 + "\n\n") * 200, "llm", sources)
    assert (
        blocks_problem(blocks.answer_message(huge, answer_id="a", footer=[blocks.invite_hint()])[1]) is None
    )
    assert (
        blocks_problem(blocks.progress_message("t", ["a line"] * 500, moving=["x"], coasting=[])[1]) is None
    )
    assert view_problem(blocks.ask_modal()) is None and view_problem(blocks.home_view()) is None


def test_an_ai_apps_thread_status_title_and_prompts(client, fake_slack):
    root = fake_slack.person_says("DALICE", "How is literacy going?")
    thread = ("DALICE", root["ts"])
    client.assistant_threads_setStatus(channel_id="DALICE", thread_ts=root["ts"], status="is reading the plan...",
                                       loading_messages=["Reading the plan...", "Checking the figures..."])  # fmt: skip
    assert fake_slack.statuses == {thread: "is reading the plan..."}
    assert fake_slack.messages["DALICE"] == [root]  # a status posts nothing
    client.assistant_threads_setStatus(channel_id="DALICE", thread_ts=root["ts"], status="")
    assert fake_slack.statuses == {}  # "" clears it
    client.assistant_threads_setStatus(channel_id="DALICE", thread_ts=root["ts"], status="is thinking...")
    client.chat_postMessage(channel="DALICE", thread_ts=root["ts"], text="On track.")
    assert fake_slack.statuses == {}  # and so does the app's reply
    # a missing argument is named; the loading messages are Slack's 1 to 10, of 1 to 50 characters
    status = {"channel_id": "DALICE", "thread_ts": root["ts"], "status": "is thinking..."}
    for missing in status:
        answer = refused(client.api_call, "assistant.threads.setStatus",
                         json={k: v for k, v in status.items() if k != missing})  # fmt: skip
        assert answer["error"] == "invalid_arguments"
        assert answer["response_metadata"]["messages"] == [f"[ERROR] missing required field: {missing}"]
    for loading in (["a"] * 11, [], ["ok", "x" * 51], "Reading..."):
        answer = refused(client.assistant_threads_setStatus, **status, loading_messages=loading)
        assert answer["error"] == "invalid_arguments"
    assert refused(client.assistant_threads_setStatus, **{**status, "thread_ts": "soon"})["error"] == (
        "invalid_thread_ts"
    )
    assert fake_slack.statuses == {}  # nothing refused was kept

    client.assistant_threads_setTitle(channel_id="DALICE", thread_ts=root["ts"], title="Literacy")
    assert fake_slack.titles == {thread: "Literacy"}
    untitled = refused(client.api_call, "assistant.threads.setTitle",
                       params={"channel_id": "DALICE", "thread_ts": root["ts"]})  # fmt: skip
    assert untitled["response_metadata"]["messages"] == ["[ERROR] missing required field: title"]

    prompts = [{"title": "Our priorities", "message": "What are our priorities?"},
               {"title": "Literacy", "message": "How is literacy going?"}]  # fmt: skip
    client.assistant_threads_setSuggestedPrompts(channel_id="DALICE", thread_ts=root["ts"], prompts=prompts,
                                                 title="Ask about the plan")  # fmt: skip
    # thread_ts is optional for suggested prompts
    client.assistant_threads_setSuggestedPrompts(channel_id="DALICE", prompts=prompts[:1])
    assert fake_slack.prompts == {thread: {"title": "Ask about the plan", "prompts": prompts},
                                  ("DALICE", None): {"title": None, "prompts": prompts[:1]}}  # fmt: skip
    for bad, where in (([], "prompts must be a list of 1 to 4 items [json-pointer:/prompts]"),
                       (prompts * 2 + prompts[:1], "prompts must be a list of 1 to 4 items [json-pointer:/prompts]"),
                       ([prompts[0], {"title": "Literacy"}], "missing required field: message [json-pointer:/prompts/1]"),
                       ([{"title": "", "message": "Hi"}], "missing required field: title [json-pointer:/prompts/0]")):  # fmt: skip
        answer = refused(client.assistant_threads_setSuggestedPrompts, channel_id="DALICE", prompts=bad)
        assert (answer["error"], answer["response_metadata"]["messages"]) == (
            "invalid_arguments",
            [f"[ERROR] {where}"],
        )
    assert refused(client.api_call, "assistant.threads.setSuggestedPrompts", json={"channel_id": "DALICE"})[
        "response_metadata"
    ]["messages"] == ["[ERROR] missing required field: prompts"]

    # the same arguments sent as a form, their lists as JSON strings, are read alike
    client.api_call("assistant.threads.setSuggestedPrompts",
                    data={"channel_id": "DALICE", "thread_ts": root["ts"], "prompts": json.dumps(prompts[1:])})  # fmt: skip
    client.api_call(
        "assistant.threads.setStatus", data={**status, "loading_messages": json.dumps(["Reading..."])}
    )
    assert fake_slack.prompts[thread] == {"title": None, "prompts": prompts[1:]}
    assert fake_slack.called("assistant.threads.setStatus")[-1].args["loading_messages"] == ["Reading..."]
    assert fake_slack.statuses == {thread: "is thinking..."}


def test_a_reply_streamed_with_the_sdks_helper_is_one_message(client, fake_slack):
    root = fake_slack.person_says("C0001", "How is literacy going?")
    client.assistant_threads_setStatus(channel_id="C0001", thread_ts=root["ts"], status="is thinking...")
    streamer = client.chat_stream(channel="C0001", thread_ts=root["ts"], recipient_team_id=TEAM,
                                  recipient_user_id="UALICE", buffer_size=10)  # fmt: skip
    pieces = ["Literacy ", "is on track", " in every", " school,", " this year", " and next", "."]
    for piece in pieces:
        streamer.append(markdown_text=piece)
    assert fake_slack.streaming == {("C0001", streamer.ts)}
    assert fake_slack.statuses == {}  # the reply has begun
    streamer.stop(blocks=[SECTION])
    assert [c.method for c in fake_slack.calls if "Stream" in c.method] == [
        "chat.startStream", "chat.appendStream", "chat.appendStream", "chat.appendStream", "chat.stopStream"]  # fmt: skip
    assert all(c.reply["ok"] for c in fake_slack.calls)
    replies = client.conversations_replies(channel="C0001", ts=root["ts"])["messages"]
    assert [m["text"] for m in replies] == ["How is literacy going?", "".join(pieces)]
    assert (replies[1]["ts"], replies[1]["blocks"], replies[1]["bot_id"]) == (streamer.ts, [SECTION], BOT_ID)
    assert fake_slack.streaming == set()
    # once stopped it is an ordinary message: it can be edited, and takes no more streaming
    client.chat_update(channel="C0001", ts=streamer.ts, text="Literacy is on track.")
    assert fake_slack.thread("C0001", root["ts"])[1]["text"] == "Literacy is on track."
    for more in (client.chat_appendStream, client.chat_stopStream):
        answer = refused(more, channel="C0001", ts=streamer.ts, markdown_text="More.")
        assert answer["error"] == "message_not_in_streaming_state"


def test_streams_are_refused_where_slack_refuses(client, fake_slack):
    root = fake_slack.person_says("C0001", "How is literacy going?")
    start = partial(client.chat_startStream, channel="C0001", thread_ts=root["ts"])
    # outside a DM Slack wants the person the text is streamed to
    assert refused(start)["error"] == "missing_recipient_team_id"
    assert refused(start, recipient_team_id=TEAM)["error"] == "missing_recipient_user_id"
    assert refused(start, recipient_user_id="UALICE")["error"] == "missing_recipient_team_id"
    assert fake_slack.thread("C0001", root["ts"]) == [root] and fake_slack.streaming == set()
    # in a DM it does not; the text given at each step is added to the one message
    asked = fake_slack.person_says("DALICE", "And numeracy?")
    ts = client.chat_startStream(channel="DALICE", thread_ts=asked["ts"], markdown_text="Numeracy")["ts"]
    assert fake_slack.streaming == {("DALICE", ts)}
    client.chat_appendStream(channel="DALICE", ts=ts, markdown_text=" is")
    chunks = [{"type": "markdown_text", "text": " behind"}, {"type": "plan_update", "title": "Checking"}]
    client.api_call(
        "chat.appendStream", data={"channel": "DALICE", "ts": ts, "chunks": json.dumps(chunks)}
    )  # a form
    assert fake_slack.thread("DALICE", asked["ts"])[1]["text"] == "Numeracy is behind"

    assert refused(client.chat_appendStream, channel="DALICE", ts=ts)["error"] == "no_text"
    for send in (partial(client.chat_appendStream, channel="DALICE", ts=ts),
                 partial(client.chat_startStream, channel="DALICE", thread_ts=asked["ts"])):  # fmt: skip
        assert refused(send, chunks=[{"type": "markdwn_text", "text": "!"}])["error"] == "invalid_chunks"
    too_many = refused(client.chat_stopStream, channel="DALICE", ts=ts, blocks=[SECTION] * 51)
    assert too_many["error"] == "invalid_blocks"
    assert too_many["response_metadata"]["messages"] == [
        "[ERROR] no more than 50 items allowed [json-pointer:/blocks]"
    ]
    assert fake_slack.streaming == {("DALICE", ts)}  # a refused stop leaves it streaming
    stopped = client.chat_stopStream(channel="DALICE", ts=ts, markdown_text=".", blocks=[SECTION])
    assert (stopped["message"]["text"], stopped["message"]["blocks"]) == ("Numeracy is behind.", [SECTION])

    # only the app's own message, and only while it streams
    posted = client.chat_postMessage(channel="DALICE", thread_ts=asked["ts"], text="Posted, not streamed.")
    for ts, error in ((asked["ts"], "message_not_owned_by_app"), (posted["ts"], "message_not_in_streaming_state"),
                      ("1.000001", "message_not_found")):  # fmt: skip
        assert refused(client.chat_appendStream, channel="DALICE", ts=ts, markdown_text="x")["error"] == error
        assert refused(client.chat_stopStream, channel="DALICE", ts=ts)["error"] == error
    assert [m["text"] for m in fake_slack.thread("DALICE", asked["ts"])] == [
        "And numeracy?", "Numeracy is behind.", "Posted, not streamed."]  # fmt: skip
