"""Ratings in the database: the ticket awaiting a rating, and the rating figures.

The figures are fig_perf's ``rated``, ``rating_total`` and ``rated_low`` per agency or kelurahan and
month of creation, kept by ``store.figures`` (every ticket write goes through ``store.repo``); this
module reads them summed over all months, per agency, per kelurahan and for the whole city (the
report and the performance API read them per period through ``bot.perf_figures``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, RowMapping, Table, bindparam, func, select

from store.tables import FigPerf, Ticket

T: Table = getattr(Ticket, "__table__")
P: Table = getattr(FigPerf, "__table__")
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


def _grouped(conn: Connection, grouping: str, keys: list[str] | None = None) -> list[RatingFigures]:
    stmt = (select(P.c.group_key, func.sum(P.c.rated), func.sum(P.c.rating_total), func.sum(P.c.rated_low))
            .where(P.c.grouping == grouping).group_by(P.c.group_key).order_by(P.c.group_key))
    if keys is not None:
        stmt = stmt.where(P.c.group_key.in_(keys))
    return [RatingFigures(key or "", int(n or 0), int(total or 0), int(low or 0))
            for key, n, total, low in conn.execute(stmt) if n]


def by_agency(conn: Connection) -> list[RatingFigures]:
    """Per agency ('' for tickets without one), agencies with at least one rating."""
    return _grouped(conn, "agency")


def by_area(conn: Connection, area_codes: list[str] | None = None) -> list[RatingFigures]:
    """Per kelurahan (only ``area_codes`` if given), kelurahan with at least one rating."""
    return _grouped(conn, "kelurahan", area_codes)


def overall(conn: Connection, area_codes: list[str] | None = None) -> RatingFigures:
    """All ratings (of ``area_codes`` if given) as one group: every ticket counts once per grouping."""
    stmt = select(func.sum(P.c.rated), func.sum(P.c.rating_total), func.sum(P.c.rated_low)).where(
        P.c.grouping == "kelurahan")
    if area_codes is not None:
        stmt = stmt.where(P.c.group_key.in_(area_codes))
    n, total, low = conn.execute(stmt).one()
    return RatingFigures("", int(n or 0), int(total or 0), int(low or 0))


def dashboard(conn: Connection, area_codes: list[str] | None) -> dict[str, object]:
    """What the dashboards show (bot/web/templates/_ratings.html): the ratings of ``area_codes`` (None: the
    city) as one group, and for the city one row per agency with its name."""
    from store.reports import names

    agencies = by_agency(conn) if area_codes is None else []
    labels = names(conn, "agency", [a.key for a in agencies if a.key])
    return {"overall": overall(conn, area_codes),
            "agencies": [(labels.get(a.key) or a.key, a) for a in agencies]}
