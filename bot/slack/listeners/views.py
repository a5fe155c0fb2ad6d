"""Modal submissions."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services import Services
from bot.slack import blocks


def register(app: App, services: Services) -> None:
    """The ask modal: the answer arrives as a direct message from Resolute."""

    @app.view(blocks.ASK_MODAL)
    def asked(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        value = view["state"]["values"][blocks.ASK_INPUT_BLOCK][blocks.ASK_INPUT_ACTION].get("value") or ""
        question = " ".join(value.split())
        if not question:
            ack(response_action="errors", errors={blocks.ASK_INPUT_BLOCK: "Type a question first."})
            return
        ack()
        user_id = body["user"]["id"]
        services.asking.answer_command(
            client, channel=user_id, user_id=user_id, question=question, key=view["id"]
        )
