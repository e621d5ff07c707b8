"""Slack: the officers' desk (slash commands, ticket threads, proof photos)."""
from adapters.slack.adapter import COMMANDS_PATH, EVENTS_PATH, PENDING, SlackAdapter, SlackFileError
from adapters.slack.settings import SlackSettings

__all__ = ["COMMANDS_PATH", "EVENTS_PATH", "PENDING", "SlackAdapter", "SlackFileError", "SlackSettings"]
