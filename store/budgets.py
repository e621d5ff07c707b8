"""SQL of the limiter's PostgreSQL backend (bot/limiter_pg.py): one atomic statement per step.

A reservation is one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``: the
row lock orders concurrent processes, so the budget holds across them. Used
when the database is PostgreSQL and no Redis is configured (SQLite deployments
are one process and keep their limits in memory).
"""
from __future__ import annotations

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from store.repo import table_of
from store.tables import RateBudget, RateHit

T_BUDGET = table_of(RateBudget)
T_HIT = table_of(RateHit)


def pace(conn: Connection, key: str, now: float, interval: float, tolerance: float) -> float:
    stmt = pg_insert(T_BUDGET).values(key=key, tat=now + interval)
    stmt = stmt.on_conflict_do_update(index_elements=[T_BUDGET.c.key],
                                      set_={"tat": func.greatest(T_BUDGET.c.tat, now) + interval})
    tat = conn.execute(stmt.returning(T_BUDGET.c.tat)).scalar_one()
    return float(tat) - now - tolerance


def window_hits(conn: Connection, key: str, since: float) -> list[float]:
    """Hit times of ``key`` after ``since``, oldest first (one probe of ix_rate_hit_key_at)."""
    rows = conn.execute(select(T_HIT.c.at).where(T_HIT.c.key == key, T_HIT.c.at > since).order_by(T_HIT.c.at))
    return [float(at) for at in rows.scalars()]


def add_hit(conn: Connection, key: str, now: float, window: float) -> None:
    conn.execute(delete(T_HIT).where(T_HIT.c.expires <= now))  # ix_rate_hit_expires: only what expired
    conn.execute(insert(T_HIT).values(key=key, at=now, expires=now + window))
