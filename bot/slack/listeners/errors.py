"""The one error handler: log the request's details, and tell the person in Slack.

An exception's message is never logged, for any request: it can carry what a person typed (SQLAlchemy
puts a failed statement's parameters in it, slack_sdk the body Slack answered with), and a question in a
direct message or an intervention note is private. The log keeps the ids of the request, the exception's
type (and Slack's error code) and the traceback's frames: enough to find the failing line.
"""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.slack import blocks

if TYPE_CHECKING:  # its type only: the services wire Slack in, and sit above it
    from bot.services import Services

_CHAIN = 10  # causes followed at most (a cycle is possible)


def failure(error: BaseException) -> str:
    """An exception as a traceback without its message: each link of the chain, innermost first, as its frames
    and its type (and, for Slack, the error code Slack answered)."""
    chain: list[BaseException] = []
    link: BaseException | None = error
    while link is not None and link not in chain and len(chain) < _CHAIN:
        chain.append(link)
        link = link.__cause__ or (None if link.__suppress_context__ else link.__context__)
    parts = []
    for exc in reversed(chain):
        kind = f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins.")
        if isinstance(exc, SlackApiError):  # a code such as invalid_blocks, never the body
            code = exc.response.get("error") if hasattr(exc.response, "get") else None
            kind += f" (Slack said {code or '?'})"
        frames = "".join(traceback.format_tb(exc.__traceback__))
        parts.append(f"Traceback (most recent call last):\n{frames}{kind} (message withheld)")
    return "\n\nwhich led to\n\n".join(parts)


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
        # no exc_info: a formatter would print the message with the traceback
        logger.error("failed to handle a Slack request %s\n%s", {k: v for k, v in details.items() if v},
                     failure(error))  # fmt: skip
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
        except Exception as exc:  # the report itself failed: the log above is all that is left
            logger.error("could not tell the user about the failure\n%s", failure(exc))
