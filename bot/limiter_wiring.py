"""Which limiter backend a gateway uses: Redis when ``redis.url`` is set, else PostgreSQL when
the database is, else memory (SQLite: one process)."""
from __future__ import annotations

import time
from typing import Callable

from bot.config import AppConfig
from bot.limiter import LimiterBackend, SharedLimiter
from store.db import Database


def build_limiter(config: AppConfig, db: Database, clock: Callable[[], float] = time.time) -> SharedLimiter:
    backend: LimiterBackend | None = None
    if config.redis.url is not None:
        from bot.limiter_redis import RedisBackend

        backend = RedisBackend.from_url(config.redis.url.get_secret_value(), config.redis.key_prefix,
                                        config.redis.timeout_seconds)
    elif not db.sqlite:
        from bot.limiter_pg import PostgresBackend

        backend = PostgresBackend(db.url)
    return SharedLimiter(backend, clock=clock)
