"""The contract between channel adapters and the core: the only thing both sides import.

A leaf: nothing here imports ``bot``, ``store``, ``scheduler`` or a channel package
(checked by the import-linter contracts in ``.importlinter``).
"""
from __future__ import annotations

from adapters.contract.channel import Capabilities, MessagingWindow, ChannelAdapter, IntakeSink, TextPolicy
from adapters.contract.clock import Clock, SystemClock
from adapters.contract.errors import (
    OutsideWindow,
    PermanentError,
    RecipientBlocked,
    RecipientOptedOut,
    SendError,
    Throttled,
    TransientError,
    WebhookRejected,
)
from adapters.contract.messages import (
    DeliveryUpdate,
    InboundAttachment,
    InboundMessage,
    OutboundMessage,
    RawRequest,
    WebhookResult,
)
from adapters.contract.spec import BuildDeps, ChannelSpec, StaffDeskHost, secret_values

__all__ = [
    "BuildDeps", "Capabilities", "MessagingWindow", "OutsideWindow", "ChannelAdapter", "ChannelSpec", "Clock", "DeliveryUpdate", "InboundAttachment",
    "InboundMessage", "IntakeSink", "OutboundMessage", "PermanentError", "RawRequest", "RecipientBlocked",
    "RecipientOptedOut", "SendError", "StaffDeskHost", "SystemClock", "TextPolicy", "Throttled", "TransientError",
    "WebhookRejected", "WebhookResult", "secret_values",
]
