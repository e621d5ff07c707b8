"""The limiter's Redis backend (``redis.url``): each step is one Lua script, atomic in Redis.

Times are the gateway's clock (epoch seconds), passed in, so the tests run on
an injected clock; the scripts return floats as strings (Redis would truncate
a Lua number to an integer).
"""
from __future__ import annotations

import uuid
from typing import Any

from redis.asyncio import Redis

# GCRA: KEYS[1] the key; ARGV now, interval, tolerance. The key expires once its slot is history.
_PACE = """
local now = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
tat = tat + tonumber(ARGV[2])
redis.call('SET', KEYS[1], string.format('%.6f', tat), 'PX', math.ceil((tat - now) * 1000) + 1000)
return string.format('%.6f', tat - now - tonumber(ARGV[3]))
"""

# Sliding window log: a sorted set of hit times. ARGV now, limit, window.
_RETRY_AFTER = """
local now, limit, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < limit then return '0' end
local hit = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
return string.format('%.6f', tonumber(hit[2]) + window - now)
"""

# ARGV now, window, member (unique per hit).
_HIT = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
return 1
"""


class RedisBackend:
    name = "redis"

    def __init__(self, client: Redis, prefix: str = "aduan:") -> None:
        self.client = client
        self.prefix = prefix
        self._pace = client.register_script(_PACE)
        self._retry_after = client.register_script(_RETRY_AFTER)
        self._hit = client.register_script(_HIT)

    @classmethod
    def from_url(cls, url: str, prefix: str = "aduan:", timeout: float = 0.5) -> "RedisBackend":
        # Short timeouts: while Redis is away, each send falls back to memory quickly.
        client = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        return cls(client, prefix)

    def _k(self, key: str) -> list[Any]:
        return [f"{self.prefix}rl:{key}"]

    async def pace(self, key: str, now: float, interval: float, tolerance: float) -> float:
        return float(await self._pace(keys=self._k(key), args=[repr(now), repr(interval), repr(tolerance)]))

    async def retry_after(self, key: str, now: float, limit: int, window: float) -> float:
        return float(await self._retry_after(keys=self._k(key), args=[repr(now), limit, repr(window)]))

    async def hit(self, key: str, now: float, window: float) -> None:
        await self._hit(keys=self._k(key), args=[repr(now), repr(window), f"{now!r}:{uuid.uuid4().hex[:8]}"])

    async def close(self) -> None:
        await self.client.aclose()
