"""Listeners, one module per Slack surface, each registered explicitly."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App

from bot.slack.listeners import actions, assistant, commands, errors, events, views

if TYPE_CHECKING:  # its type only: the services wire Slack in, and sit above it
    from bot.services import Services

SURFACES = (assistant, commands, events, actions, views, errors)  # the assistant's middleware first


def register(app: App, services: Services) -> None:
    """Wire every surface to the services it calls."""
    for surface in SURFACES:
        surface.register(app, services)
