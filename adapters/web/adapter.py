"""The ``web`` channel: reports from /lapor without a contact. Nobody can be
messaged there, so the outbox never queues anything for it (``can_reach`` is
False); the citizen follows the report on its tracking page."""
from __future__ import annotations

from adapters.contract import ChannelAdapter, OutboundMessage, PermanentError


class WebFormChannel(ChannelAdapter):
    name = "web"

    def can_reach(self, channel: str, recipient: str) -> bool:
        return False

    async def send(self, message: OutboundMessage) -> str:
        raise PermanentError("web form reporters gave no contact; they follow the tracking page")

    def health(self) -> dict[str, object]:
        return {"state": "ok", "outbound": "none (tracking page only)"}

