"""Intervention notes: logged from Slack, private to the people the district entitles to them."""
