"""Slack: the officers' desk (slash commands, ticket threads, proof photos)."""
from typing import TYPE_CHECKING

from adapters.contract.lazy import lazy_exports
from adapters.slack.settings import SlackSettings
from adapters.slack.spec import SPEC

if TYPE_CHECKING:
    from adapters.slack.adapter import COMMANDS_PATH, EVENTS_PATH, PENDING, SlackAdapter, SlackFileError

# The adapter module imports the provider SDK: only when a gateway builds it (adapters/contract/lazy.py).
__getattr__ = lazy_exports(__name__, "adapters.slack.adapter", ("COMMANDS_PATH", "EVENTS_PATH", "PENDING", "SlackAdapter", "SlackFileError"))

__all__ = ["SPEC", "COMMANDS_PATH", "EVENTS_PATH", "PENDING", "SlackAdapter", "SlackFileError", "SlackSettings"]
