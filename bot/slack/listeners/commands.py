"""Slash commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.slack import blocks
from bot.slack.checkins import CheckinSlack
from bot.slack.notes import NotesSlack
from bot.slack.progress import progress_reply

if TYPE_CHECKING:  # its type only: the services wire Slack in, and sit above it
    from bot.services import Services


def register(app: App, services: Services) -> None:
    """`/ask QUESTION`, `/progress [priority|school]`, `/checkin ...`, `/note ...` and `/notes ...`."""

    @app.command("/ask")
    def ask(ack: Ack, command: dict, client: WebClient, respond: Respond) -> None:
        question = " ".join(command.get("text", "").split())
        if not question:
            ack(text=blocks.USAGE)
            return
        ack()
        services.asking.answer_command(
            client,
            channel=command["channel_id"],
            user_id=command["user_id"],
            question=question,
            key=command["trigger_id"],
            reply_privately=lambda text, bl: respond(text=text, blocks=bl, response_type="ephemeral"),
        )

    @app.command("/progress")
    def progress(ack: Ack, command: dict, respond: Respond) -> None:
        ack()
        text, built = progress_reply(services.district, command.get("text", ""))
        respond(text=text, blocks=built, response_type="ephemeral")

    @app.command("/checkin")
    def checkin(ack: Ack, command: dict, client: WebClient, respond: Respond) -> None:
        ack()
        CheckinSlack(services, client).command(
            user=command["user_id"], text=command.get("text", ""), trigger_id=command["trigger_id"],
            reply=lambda text, bl: respond(text=text, blocks=bl, response_type="ephemeral"),
        )  # fmt: skip

    @app.command("/note")
    def note(ack: Ack, command: dict, client: WebClient, respond: Respond) -> None:
        ack()
        NotesSlack(services, client).note(
            user=command["user_id"], text=command.get("text", ""), trigger_id=command["trigger_id"],
            response_url=command.get("response_url", ""),
            reply=lambda text, bl: respond(text=text, blocks=bl, response_type="ephemeral"),
        )  # fmt: skip

    @app.command("/notes")
    def notes(ack: Ack, command: dict, client: WebClient, respond: Respond) -> None:
        ack()
        NotesSlack(services, client).list_notes(
            user=command["user_id"], text=command.get("text", ""),
            reply=lambda text, bl: respond(text=text, blocks=bl, response_type="ephemeral"),
        )  # fmt: skip
