"""Listeners, one module per Slack surface, each registered explicitly."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from bot.slack.listeners import actions, commands, errors, events, views

SURFACES = (commands, events, actions, views, errors)


def register(app: App, services: Services) -> None:
    """Wire every surface to the services it calls."""
    for surface in SURFACES:
        surface.register(app, services)
