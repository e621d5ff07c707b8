"""The adapter registry: channel name -> adapter, plus webhook routing."""
from __future__ import annotations

from typing import Iterable

from adapters.contract.channel import ChannelAdapter, MessagingWindow


class UnknownChannel(KeyError):
    pass


class Registry:
    def __init__(self) -> None:
        self._by_channel: dict[str, ChannelAdapter] = {}
        self._adapters: list[ChannelAdapter] = []
        self._webhooks: dict[str, ChannelAdapter] = {}

    def register(self, adapter: ChannelAdapter, webhook_paths: Iterable[str] = ()) -> None:
        for ch in adapter.channels():
            if ch in self._by_channel:
                raise ValueError(f"channel {ch!r} registered twice")
            self._by_channel[ch] = adapter
        for path in webhook_paths:
            self._webhooks[path] = adapter
        self._adapters.append(adapter)

    def adapter_for(self, channel: str) -> ChannelAdapter:
        try:
            return self._by_channel[channel]
        except KeyError:
            raise UnknownChannel(channel) from None

    def webhook_adapter(self, path: str) -> ChannelAdapter | None:
        return self._webhooks.get(path)

    def webhook_paths(self) -> list[str]:
        return list(self._webhooks)

    def channels(self) -> list[str]:
        return list(self._by_channel)

    def adapters(self) -> list[ChannelAdapter]:
        return list(self._adapters)

    def links_fit(self, channel: str) -> bool:
        """Whether a long link fits the channel's messages (True for a channel not served here)."""
        adapter = self._by_channel.get(channel)
        return adapter is None or adapter.capabilities_for(channel).links_fit

    def reply_buttons(self, channel: str) -> bool:
        """Whether the channel shows ``payload["buttons"]`` as buttons (False for a channel not served here)."""
        adapter = self._by_channel.get(channel)
        return adapter is not None and adapter.capabilities_for(channel).reply_buttons

    def public_replies(self, channel: str) -> bool:
        """Whether the channel may show a reply in public (True for a channel not served here: the safe side)."""
        adapter = self._by_channel.get(channel)
        return adapter is None or adapter.capabilities_for(channel).public_replies

    def window(self, channel: str) -> MessagingWindow | None:
        """The channel's messaging window, or None (also for a channel not served here)."""
        adapter = self._by_channel.get(channel)
        return None if adapter is None else adapter.capabilities_for(channel).window

    def window_path(self, channel: str, kind: str, template: str | None) -> str | None:
        """The tag or template the channel's adapter would use outside its window, if any."""
        adapter = self._by_channel.get(channel)
        return None if adapter is None else adapter.outside_window_path(channel, kind, template)

    def contacts(self) -> list[tuple[str, str]]:
        """(channel, how to reach it) for every served channel that says how citizens reach it."""
        found = [(ch, adapter.contact(ch)) for ch, adapter in self._by_channel.items()]
        return [(ch, how) for ch, how in found if how]

    def reachable(self, channel: str, recipient: str) -> bool:
        """Whether a message to ``recipient`` on ``channel`` can ever be delivered."""
        adapter = self._by_channel.get(channel)
        if adapter is None:
            return True  # keep it queued: the channel may be enabled later
        return adapter.can_reach(channel, recipient)
