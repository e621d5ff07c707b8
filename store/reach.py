"""The same person's other channels: reporters sharing an address (a phone number on WhatsApp and SMS)."""
from __future__ import annotations

from sqlalchemy import Connection, RowMapping, bindparam, select

from store.repo import T_REPORTER, _cached


def other_reporters(conn: Connection, address: str, channel: str) -> list[RowMapping]:
    """Reporters with ``address`` on channels other than ``channel`` who still accept messages, oldest first."""
    stmt = _cached(("other_reporters",), lambda: select(T_REPORTER).where(
        T_REPORTER.c.address == bindparam("a"), T_REPORTER.c.channel != bindparam("c"),
        T_REPORTER.c.opted_out.is_(False), T_REPORTER.c.unreachable.is_(False)).order_by(T_REPORTER.c.id))
    return list(conn.execute(stmt, {"a": address, "c": channel}).mappings())
