"""Resolute in Slack: the Bolt app, its listeners and the Block Kit it posts."""
