"""The one error handler: log the request's details, and tell the person in Slack."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.services import Services
from bot.slack import blocks


def register(app: App, services: Services) -> None:
    """Register the global `@app.error` (it needs no service: it only reports)."""

    @app.error
    def tell_the_user(error: Exception, body: dict, client: WebClient, logger: logging.Logger) -> None:
        event = body.get("event") or {}
        details = {
            "type": body.get("type") or ("slash_command" if "command" in body else None),
            "command": body.get("command"),
            "event": event.get("type"),
            "event_id": body.get("event_id"),
            "team": body.get("team_id") or (body.get("team") or {}).get("id"),
            "user": body.get("user_id") or (body.get("user") or {}).get("id") or event.get("user"),
            "channel": body.get("channel_id")
            or (body.get("channel") or {}).get("id")
            or event.get("channel"),
        }
        logger.error(
            "failed to handle a Slack request %s", {k: v for k, v in details.items() if v},
            exc_info=(type(error), error, error.__traceback__),
        )  # fmt: skip
        try:
            if body.get("response_url"):  # slash commands and buttons: a private note to the person
                WebhookClient(body["response_url"]).send(
                    text=blocks.ERROR, response_type="ephemeral", replace_original=False
                )
            elif event.get("channel") and event.get("ts"):  # mentions and messages: in the question's thread
                client.chat_postMessage(
                    channel=event["channel"],
                    thread_ts=event.get("thread_ts") or event["ts"],
                    text=blocks.ERROR,
                )
            elif details["user"]:  # modals and the Home tab: a direct message
                client.chat_postMessage(channel=details["user"], text=blocks.ERROR)
        except Exception:  # the report itself failed: the log above is all that is left
            logger.exception("could not tell the user about the failure")
