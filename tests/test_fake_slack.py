"""The fake Slack answers as Slack does: it refuses what Slack refuses, and keeps what Slack keeps."""

from __future__ import annotations

from functools import partial

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.knowledge.answer import Answer, Source
from bot.slack import blocks
from bot.slack.fake import APP_TOKEN, BOT_TOKEN

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
