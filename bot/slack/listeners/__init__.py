"""Listeners, one module per Slack surface, each registered explicitly."""

from __future__ import annotations

from slack_bolt import App

from bot.district.service import District
from bot.slack.asking import Asking
from bot.slack.listeners import actions, commands, errors, events, views


def register_listeners(app: App, asking: Asking, district: District) -> None:
    """Wire every surface to the services it calls."""
    commands.register(app, asking, district)
    events.register(app, asking)
    actions.register(app, asking)
    views.register(app, asking)
    errors.register(app)
