"""Typed send errors: the dispatcher decides retries from the type alone."""
from __future__ import annotations


class SendError(Exception):
    """Base class for a failed send."""


class Throttled(SendError):
    """The provider asked us to slow down; retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientError(SendError):
    """Timeouts, 5xx and the like: retry with backoff."""


class PermanentError(SendError):
    """The provider rejected the message for good: do not retry."""


class RecipientBlocked(PermanentError):
    """The recipient blocked us (e.g. Telegram 403): mark them unreachable."""


class RecipientOptedOut(PermanentError):
    """The recipient opted out (e.g. SMS STOP): send nothing more until they opt in."""


class OutsideWindow(PermanentError):
    """The channel's messaging window is closed and no allowed path (template, tag) fits this message:
    not deliverable on this channel (WhatsApp 63016 / 131047, Messenger 10/2018278)."""


class WebhookRejected(Exception):
    """A webhook request that must be refused with a 4xx status and a reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class FileFetchError(Exception):
    """A file an officer shared that cannot be fetched; ``reason`` says why
    (``not_allowed`` | ``too_large`` | ``download_failed``). Desks catch it without knowing the chat app."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
