"""Modal submissions: the ask modal, the check-in form and the note form."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack import blocks
from bot.slack.blocks import checkins as checkin_blocks
from bot.slack.blocks import notes as note_blocks
from bot.slack.checkins import CheckinSlack
from bot.slack.notes import NotesSlack

if TYPE_CHECKING:  # its type only: the services wire Slack in, and sit above it
    from bot.services import Services


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

    @app.view(checkin_blocks.CHECKIN_MODAL)
    def checked_in(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        # errors: the form stays open with everything typed and says what is wrong; an emptied form is asked
        # to confirm (a modal pushed over it); saved: it closes, then support DMs and questions go out
        answer, then = CheckinSlack(services, client).submitted(user=body["user"]["id"], view=view)
        ack(**(answer or {}))
        then()

    @app.view(checkin_blocks.CLEAR_MODAL)
    def cleared(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        ack(**CheckinSlack(services, client).cleared(user=body["user"]["id"], view=view))

    @app.view(note_blocks.NOTE_MODAL)
    def noted(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        errors, then = NotesSlack(services, client).submitted(user=body["user"]["id"], view=view)
        if errors:  # the form stays open with everything typed, and says what is wrong where
            ack(response_action="errors", errors=errors)
            return
        ack()
        then()  # the confirmation, once Slack has its acknowledgement
