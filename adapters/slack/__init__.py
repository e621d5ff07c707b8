"""Slack: the officers' desk (slash commands, ticket threads, proof photos)."""
from adapters.slack.adapter import COMMANDS_PATH, EVENTS_PATH, PENDING, SlackAdapter, SlackFileError
from adapters.slack.settings import SlackSettings
from adapters.slack.spec import SPEC

__all__ = ["SPEC", "COMMANDS_PATH", "EVENTS_PATH", "PENDING", "SlackAdapter", "SlackFileError", "SlackSettings"]
