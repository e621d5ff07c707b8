"""Channel start-up that no provider can stop.

Issue 9: with the Telegram Bot API down, ``bot.initialize()`` raised and the
whole process exited, taking SMS, email and partner intake with it. Here each
adapter's ``start()`` gets one bounded attempt; a channel that fails starts
*degraded*: the rest of the gateway serves, the channel's webhooks are still
taken (adapters parse them without their provider), and its start-up is
retried in the background with capped exponential backoff. The sleep is
injected so tests never wait on real time.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from adapters.base import ChannelAdapter
from bot.config import StartupConfig

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[Any]]


@dataclass
class StartState:
    """One adapter's start-up: started, or why not and how often it was tried."""

    started: asyncio.Event = field(default_factory=asyncio.Event)
    attempts: int = 0
    reason: str | None = None
    next_retry_seconds: float | None = None


def failure_reason(exc: BaseException, timeout: float) -> str:
    """Why a start failed, without the exception text: PTB's InvalidToken quotes the bot token."""
    if isinstance(exc, TimeoutError):
        return f"start-up timed out after {timeout:g} s"
    return f"start-up failed: {type(exc).__name__}"


class ChannelStartup:
    """Start every adapter; retry the ones whose provider is unreachable."""

    def __init__(self, adapters: Callable[[], Iterable[ChannelAdapter]], settings: StartupConfig, *,
                 sleep: Sleep = asyncio.sleep) -> None:
        self._adapters = adapters  # read at start: the registry is complete by then
        self._settings = settings
        self._sleep = sleep
        self._states: dict[str, StartState] = {}
        self._retries: list[asyncio.Task[None]] = []

    async def start_all(self) -> None:
        """One attempt each, side by side; failures go on retrying in the background."""
        adapters = list(self._adapters())
        for adapter in adapters:
            self._states[adapter.name] = StartState()
        results = await asyncio.gather(*(self._attempt(a) for a in adapters))
        for adapter, ok in zip(adapters, results):
            if not ok:
                self._states[adapter.name].next_retry_seconds = self._settings.retry_initial_seconds
                self._retries.append(asyncio.create_task(self._retry(adapter), name=f"start-{adapter.name}"))

    async def _attempt(self, adapter: ChannelAdapter) -> bool:
        state = self._states[adapter.name]
        state.attempts += 1
        timeout = self._settings.adapter_timeout_seconds
        try:
            await asyncio.wait_for(adapter.start(), timeout)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - any provider failure leaves the channel degraded
            state.reason = failure_reason(exc, timeout)
            log.warning("channel %s: %s (attempt %d); serving the other channels and retrying",
                        adapter.name, state.reason, state.attempts)
            return False
        if state.reason is not None:
            log.info("channel %s: started after %d attempts", adapter.name, state.attempts)
        state.reason, state.next_retry_seconds = None, None
        state.started.set()
        return True

    async def _retry(self, adapter: ChannelAdapter) -> None:
        state = self._states[adapter.name]
        delay = self._settings.retry_initial_seconds
        while True:
            state.next_retry_seconds = delay
            await self._sleep(delay)
            if await self._attempt(adapter):
                return
            delay = min(delay * 2, self._settings.retry_max_seconds)

    async def wait_started(self, name: str) -> None:
        """Return once the adapter has started (a receiver must not poll before)."""
        state = self._states.get(name)
        if state is not None:
            await state.started.wait()

    def is_started(self, name: str) -> bool:
        state = self._states.get(name)
        return state is None or state.started.is_set()

    def degraded(self) -> dict[str, dict[str, object]]:
        """Channels not started yet: reason, attempts and the current retry delay."""
        return {name: {"reason": s.reason or "starting", "attempts": s.attempts,
                       "retry_in_seconds": s.next_retry_seconds}
                for name, s in self._states.items() if not s.started.is_set()}

    async def stop(self) -> None:
        for task in self._retries:
            task.cancel()
        await asyncio.gather(*self._retries, return_exceptions=True)
        self._retries.clear()
