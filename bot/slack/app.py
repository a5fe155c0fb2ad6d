"""The Bolt app factory and the two ways to run it (Socket Mode, HTTP)."""

from __future__ import annotations

import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import TYPE_CHECKING

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import Settings
from bot.slack.asking import SLACK_REQUESTS
from bot.slack.listeners import register

if TYPE_CHECKING:  # its type only: the services wire Slack in, and sit above it
    from bot.services import Services

# Each listener acks first and then answers in its thread; enough threads that a burst of questions
# is acknowledged at once while the answers queue for the CPU (see Asking's slots).
LISTENER_THREADS = 64
HTTP_THREADS = 16
PAYLOAD_LOGGERS = ("slack_sdk", "slack_bolt")


class SlackNotConfigured(Exception):
    """Raised when `serve` lacks the settings for the mode asked for."""


def check_mode(settings: Settings, *, http: bool) -> str:
    """'socket' or 'http' if the settings allow that mode; otherwise say exactly what to set."""
    missing = []
    if settings.slack_bot_token is None:
        missing.append("SLACK_BOT_TOKEN (xoxb-...)")
    if http and settings.slack_signing_secret is None:
        missing.append("SLACK_SIGNING_SECRET")
    if not http and settings.slack_app_token is None:
        missing.append("SLACK_APP_TOKEN (xapp-..., for Socket Mode; or use --http with SLACK_SIGNING_SECRET)")
    if missing:
        raise SlackNotConfigured(
            "Slack is not configured: set " + " and ".join(missing) + " in the environment or .env. "
            "Create the app from slack/manifest.yaml (README, 'Connect to Slack'). "
            "To try Resolute without Slack, run `resolute console`."
        )
    return "http" if http else "socket"


def keep_payloads_out_of_logs() -> None:
    """slack_sdk and Bolt log every request and response body at DEBUG: people's questions, check-in
    answers and intervention notes would reach the log. Their DEBUG is never switched on, whatever the
    root level."""
    for name in PAYLOAD_LOGGERS:
        _quiet(name)


def _quiet(name: str) -> logging.Logger:
    """A library logger set to INFO at least (explicitly: Bolt copies a logger's own level, not its parent's)."""
    logger = logging.getLogger(name)
    logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))
    return logger


def make_web_client(settings: Settings) -> WebClient:
    """The Web API client on SLACK_API_URL with the bot token: all that posting needs."""
    keep_payloads_out_of_logs()
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(token=token, base_url=settings.slack_api_url, logger=_quiet("slack_sdk.web.base_client"))


def make_slack_app(
    services: Services, *, settings: Settings | None = None, executor: Executor | None = None
) -> App:
    """Build the Bolt app: one WebClient on SLACK_API_URL, every listener registered.

    `settings` replaces the services' own Slack settings (the console points them at the fake Slack).
    """
    settings = settings or services.settings
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    app = App(
        client=make_web_client(settings),
        signing_secret=secret,  # every HTTP request is verified; Socket Mode needs no secret
        # Bolt gives each of its loggers this one's level; without it they copy the root's, DEBUG included
        logger=_quiet("slack_bolt.App"),
        listener_executor=executor or ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="slack"),
    )
    register(app, services)
    return app


def make_http_server(app: App, *, host: str, port: int, threads: int = HTTP_THREADS):
    """A production WSGI server (waitress) serving Bolt at /slack/events; `port=0` picks a free one."""
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from waitress.server import create_server

    handler = SlackRequestHandler(app)

    def counted(environ, start_response):  # answers wait while requests are being acknowledged
        with SLACK_REQUESTS.request():
            return handler(environ, start_response)

    # poll(), not select(): select cannot watch a socket numbered above 1024, and a process holding many
    # files (SQLite, Chroma, Slack connections) would stop answering requests without an error
    return create_server(counted, host=host, port=port, threads=threads, ident="resolute",
                         asyncore_use_poll=True)  # fmt: skip


def run_socket_mode(app: App, settings: Settings) -> None:
    """Connect to Slack over a WebSocket (no public URL) and serve until interrupted."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
    try:
        handler.start()
    finally:
        handler.close()
