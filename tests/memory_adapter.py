"""An in-memory channel adapter: records what would have been sent.

Its behaviour on send is scripted per test (``fail_with``) so the core's
dispatcher can be exercised without any provider.
"""
from __future__ import annotations

from collections import deque
from dataclasses import replace

from adapters.base import Capabilities, ChannelAdapter
from bot.models import OutboundMessage, RawRequest, WebhookResult


class MemoryAdapter(ChannelAdapter):
    name = "memory"

    def __init__(self, capabilities: Capabilities | None = None, name: str = "memory") -> None:
        self.name = name  # type: ignore[misc]
        self.capabilities = capabilities or Capabilities(
            max_text_length=160, supports_photo=False, rate_per_second=1000, burst=1000,
            per_recipient_per_second=1000, per_recipient_burst=1000, split_long_text=True,
        )
        self.sent: list[OutboundMessage] = []
        self._script: deque[BaseException | None] = deque()
        self._counter = 0

    def fail_with(self, *errors: BaseException | None) -> None:
        """Queue outcomes for the next sends: an exception to raise, or None to succeed."""
        self._script.extend(errors)

    async def send(self, message: OutboundMessage) -> str:
        if self._script:
            outcome = self._script.popleft()
            if outcome is not None:
                raise outcome
        self._counter += 1
        self.sent.append(replace(message))
        return f"{self.name}-{self._counter}"

    async def handle_webhook(self, request: RawRequest) -> WebhookResult:
        return WebhookResult(status=204)

    def texts_to(self, recipient: str) -> list[str]:
        return [m.text for m in self.sent if m.recipient == recipient]
