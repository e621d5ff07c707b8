"""Which request and which ticket a log line is about, carried in contextvars.

asyncio copies the context into each task, so a value bound while handling a request or
sending a ticket's message is on every line logged below it, in any module, without
passing it around. Only identifiers go here: never a reporter's name, number or address.
"""
from __future__ import annotations

import functools
import logging
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Iterator, TypeVar

request_id: ContextVar[str | None] = ContextVar("aduan_request_id", default=None)
tracking_id: ContextVar[str | None] = ContextVar("aduan_tracking_id", default=None)

T = TypeVar("T")


@contextmanager
def ticket(tracking: str | None) -> Iterator[None]:
    """Lines logged inside concern this ticket (no-op for None)."""
    if not tracking:
        yield
        return
    token = tracking_id.set(tracking)
    try:
        yield
    finally:
        tracking_id.reset(token)


def for_ticket_row(fn: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Decorate ``async def f(self, row, ...)``: the row's ``tracking_id`` is bound while it runs."""

    @functools.wraps(fn)
    async def wrapper(self: Any, row: dict[str, Any], *args: Any, **kwargs: Any) -> T:
        with ticket(row.get("tracking_id")):
            return await fn(self, row, *args, **kwargs)

    return wrapper


class ContextFilter(logging.Filter):
    """Puts request_id and tracking_id on every record (None when not bound), for any formatter."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.tracking_id = tracking_id.get()
        return True
