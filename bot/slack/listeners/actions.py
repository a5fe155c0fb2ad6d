"""Interactive components: Slack's feedback buttons under answers, the Home tab's "Ask a question", the check-in and note buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.slack import blocks
from bot.slack.blocks import checkins as checkin_blocks
from bot.slack.blocks import notes as note_blocks
from bot.slack.blocks import support as support_blocks
from bot.slack.checkins import CheckinSlack
from bot.slack.notes import NotesSlack

if TYPE_CHECKING:  # its type only: the services wire Slack in, and sit above it
    from bot.services import Services


def register(app: App, services: Services) -> None:
    """Helpful / Not helpful, and opening the ask modal."""

    def store(helpful: bool, answer_id: str, body: dict, respond: Respond, client: WebClient) -> None:
        user = body["user"]["id"]
        stored = services.asking.feedback(answer_id=answer_id, user_id=user, helpful=helpful)
        text = blocks.feedback_thanks(helpful) if stored else "That answer is no longer on record."
        offer = None if helpful or not stored else services.asking.unhelpful_offer(client, answer_id=answer_id,
                                                                                   user_id=user)  # fmt: skip
        respond(text=text, blocks=[*blocks.notice(text)[1], offer] if offer else None, response_type="ephemeral",
                replace_original=False)  # fmt: skip

    @app.action(blocks.FEEDBACK)
    def feedback(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        ack()
        click = blocks.feedback_click(action.get("value", ""))
        if click is None:
            respond(text="That feedback button is not one of mine.", response_type="ephemeral",
                    replace_original=False)  # fmt: skip
            return
        store(*click, body, respond, client)

    def old_button(helpful: bool):  # answers posted before Slack's feedback buttons carry these
        def handle(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
            ack()
            store(helpful, action["value"], body, respond, client)

        return handle

    @app.action(blocks.SAVE_ANSWER)
    def save_answer(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        ack()
        said, saved = services.asking.save_answer(
            client, answer_id=action["value"], user_id=body["user"]["id"]
        )
        if not saved:  # saved: the confirmation, with its Remove button, is in the owner's thread to keep
            respond(text=said, response_type="ephemeral", replace_original=False)

    @app.action(blocks.REMOVE_ANSWER)
    def remove_answer(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        ack()
        said = services.asking.remove_answer(answer_id=action["value"], user_id=body["user"]["id"])
        respond(text=said, response_type="ephemeral", replace_original=False)

    @app.action(blocks.ASK_OWNER)
    def ask_owner(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        ack()
        said = services.asking.hand_over(client, answer_id=action["value"], user_id=body["user"]["id"])
        respond(text=said, response_type="ephemeral", replace_original=False)

    app.action(blocks.FEEDBACK_HELPFUL)(old_button(True))
    app.action(blocks.FEEDBACK_NOT_HELPFUL)(old_button(False))

    @app.action(blocks.OPEN_ASK_MODAL)
    def open_modal(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=blocks.ask_modal())

    @app.action(checkin_blocks.OPEN_CHECKIN)
    def open_checkin(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond) -> None:
        ack()
        slack = CheckinSlack(services, client)
        week = slack.checkins.week(services.clock())  # a prompt's button opens the check-in still open
        slack.open_modal(user=body["user"]["id"], trigger_id=body["trigger_id"], week=week)

    def snooze(later: str):
        def handle(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond) -> None:
            ack()
            CheckinSlack(services, client).snooze(
                user=body["user"]["id"], week=action.get("value", ""), later=later,
                reply=lambda text, bl: respond(text=text, blocks=bl, replace_original=False,
                                               response_type="ephemeral"),
            )  # fmt: skip

        return handle

    app.action(checkin_blocks.SNOOZE_AFTERNOON)(snooze("afternoon"))
    app.action(checkin_blocks.SNOOZE_TOMORROW)(snooze("tomorrow"))

    def support(act: str):
        def handle(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond) -> None:
            ack()
            # the hand-on picker carries the request in its block id ("support:<id>"), a button in its value
            request_id = action.get("value") or action.get("block_id", "").partition(":")[2]
            CheckinSlack(services, client).support(
                user=body["user"]["id"], request_id=request_id, act=act, person=action.get("selected_user"),
                reply=lambda text, bl: respond(text=text, blocks=bl, replace_original=False,
                                               response_type="ephemeral"),
                replace=lambda text, bl: respond(text=text, blocks=bl, replace_original=True),
            )  # fmt: skip

        return handle

    app.action(support_blocks.SUPPORT_TAKE)(support("take"))
    app.action(support_blocks.SUPPORT_DONE)(support("done"))
    app.action(support_blocks.SUPPORT_DECLINE)(support("decline"))
    app.action(support_blocks.SUPPORT_HAND_ON)(support("hand_on"))
    app.action(support_blocks.SUPPORT_WITHDRAW)(support("withdraw"))

    def refile(keep: bool):
        def handle(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond) -> None:
            ack()
            CheckinSlack(services, client).refile(
                user=body["user"]["id"], item_id=action.get("value", ""), keep=keep,
                replace=lambda text, bl: respond(text=text, blocks=bl, replace_original=True),
            )  # fmt: skip

        return handle

    app.action(checkin_blocks.ITEM_KEEP)(refile(True))
    app.action(checkin_blocks.ITEM_MOVE)(refile(False))

    @app.action(checkin_blocks.CLEAR)
    def clear_checkin(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond) -> None:
        ack()
        CheckinSlack(services, client).clear(
            user=body["user"]["id"], value=action.get("value", ""),
            replace=lambda text, bl: respond(text=text, blocks=bl, replace_original=True),
        )  # fmt: skip

    def private(respond: Respond, *, replace: bool = False):
        """Reply to the person only: a new ephemeral message, or (`replace`) in place of the one clicked."""
        return lambda text, bl: respond(text=text, blocks=bl, response_type="ephemeral",
                                        replace_original=replace)  # fmt: skip

    @app.action(note_blocks.EDIT)
    def edit_note(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond) -> None:
        ack()
        NotesSlack(services, client).edit(
            user=body["user"]["id"], note_id=action.get("value", ""), trigger_id=body["trigger_id"],
            response_url=body.get("response_url", ""), in_place=action.get("block_id") == note_blocks.ONE,
            reply=private(respond),
        )  # fmt: skip

    @app.action(note_blocks.DELETE)
    def delete_note(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond) -> None:
        ack()
        NotesSlack(services, client).delete(
            user=body["user"]["id"], note_id=action.get("value", ""),
            in_place=action.get("block_id") == note_blocks.ONE, reply=private(respond),
            replace=private(respond, replace=True),
        )  # fmt: skip

    @app.action(note_blocks.MORE)
    def more_notes(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond) -> None:
        ack()
        NotesSlack(services, client).more(user=body["user"]["id"], value=action.get("value", ""),
                                          reply=private(respond))  # fmt: skip
