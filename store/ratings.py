"""Ratings in the database: the ticket awaiting a rating, and the rating figures (``fig_rating``).

The figures themselves are kept by ``store.figures`` (every ticket write goes through ``store.repo``);
this module only reads them, per agency, per kelurahan and for the whole city.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, RowMapping, Table, bindparam, func, select

from store.tables import FigRating, Ticket

T: Table = getattr(Ticket, "__table__")
R: Table = getattr(FigRating, "__table__")
DONE = "SELESAI"

_PENDING = (select(T).where(T.c.reporter_id == bindparam("reporter"), T.c.status == DONE,
                            T.c.channel == bindparam("channel"), T.c.resolved_at >= bindparam("since"))
            .order_by(T.c.resolved_at.desc(), T.c.id.desc()).limit(1))


def pending_ticket(conn: Connection, reporter_id: int, channel: str, since: datetime) -> RowMapping | None:
    """The reporter's ticket on ``channel`` finished most recently, at or after ``since`` (read through
    ix_ticket_reporter_status): the one a bare "1".."5" from them rates."""
    return conn.execute(_PENDING, {"reporter": reporter_id, "channel": channel, "since": since}).mappings().first()


@dataclass(frozen=True)
class RatingFigures:
    """Ratings of one group (an agency, a kelurahan, the city): count, average and share of 1-2."""

    key: str
    n: int
    total: int
    low: int

    @property
    def average(self) -> float | None:
        return self.total / self.n if self.n else None

    @property
    def low_share(self) -> float | None:
        return self.low / self.n if self.n else None


def _grouped(conn: Connection, column: str, area_codes: list[str] | None = None) -> list[RatingFigures]:
    col = R.c[column]
    stmt = select(col, func.sum(R.c.n), func.sum(R.c.total), func.sum(R.c.low)).group_by(col).order_by(col)
    if area_codes is not None:
        stmt = stmt.where(R.c.area_code.in_(area_codes))
    return [RatingFigures(key or "", int(n or 0), int(total or 0), int(low or 0))
            for key, n, total, low in conn.execute(stmt) if n]


def by_agency(conn: Connection, area_codes: list[str] | None = None) -> list[RatingFigures]:
    """Per agency (within ``area_codes`` if given), agencies with at least one rating."""
    return _grouped(conn, "agency_code", area_codes)


def by_area(conn: Connection) -> list[RatingFigures]:
    """Per kelurahan, kelurahan with at least one rating."""
    return _grouped(conn, "area_code")


def overall(conn: Connection, area_codes: list[str] | None = None) -> RatingFigures:
    """All ratings (of ``area_codes`` if given) as one group."""
    stmt = select(func.sum(R.c.n), func.sum(R.c.total), func.sum(R.c.low))
    if area_codes is not None:
        stmt = stmt.where(R.c.area_code.in_(area_codes))
    n, total, low = conn.execute(stmt).one()
    return RatingFigures("", int(n or 0), int(total or 0), int(low or 0))
