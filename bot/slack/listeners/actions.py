"""Interactive components: feedback buttons and the Home tab's "Ask a question"."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.slack import blocks


def register(app: App, services: Services) -> None:
    """Helpful / Not helpful, and opening the ask modal."""

    def feedback(helpful: bool):
        def handle(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
            ack()
            stored = services.asking.feedback(answer_id=action["value"], user_id=body["user"]["id"],
                                              helpful=helpful)  # fmt: skip
            text = blocks.feedback_thanks(helpful) if stored else "That answer is no longer on record."
            respond(text=text, response_type="ephemeral", replace_original=False)

        return handle

    app.action(blocks.FEEDBACK_HELPFUL)(feedback(True))
    app.action(blocks.FEEDBACK_NOT_HELPFUL)(feedback(False))

    @app.action(blocks.OPEN_ASK_MODAL)
    def open_modal(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=blocks.ask_modal())
