"""Duplicate reports' storage: open reports near a point, recent reports of a kelurahan, links, followers.

Every lookup is bounded: by an index range (the partial open-ticket index on (geo_cell, category_code),
the (area_code, created_at) index) and a LIMIT, so its cost does not grow with the ticket history.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Iterable, Mapping, NamedTuple, Sequence


from sqlalchemy import Connection, RowMapping, bindparam, func, literal_column, select, text

from store import repo, writebehind
from store.tables import OPEN_CONDITION, TicketFollower, TicketLink

T = repo.T_TICKET
T_LINK = repo.table_of(TicketLink)
T_FOLLOWER = repo.table_of(TicketFollower)
_NEAR_COLUMNS = (T.c.id, T.c.latitude, T.c.longitude, T.c.category_code, T.c.geo_cell)


class Point(NamedTuple):
    """An open report's position, as the distance test needs it (a tuple: intake keeps tens of thousands)."""

    id: int
    latitude: float
    longitude: float
    category_code: str | None
    geo_cell: int


def open_in_cells(conn: Connection, cells: Sequence[int], categories: Sequence[str] | None,
                  cap: int) -> list[Point]:
    """Open, unmerged reports in ``cells`` (of ``categories`` when given): read from ix_ticket_open_geo_cell.
    Only what a distance needs (id, position, category, cell). Several categories cost a probe per cell and
    category: a group's lookup, whose reports hold nearly every category, reads by cell alone (None)."""
    if conn.dialect.name == "sqlite":
        # The partial index's condition spelled as in the index, so SQLite's planner can use it; a merged
        # ticket is closed, so the open ones need no test of merged_into_id (the index covers the query).
        sql = (f"SELECT id, latitude, longitude, category_code, geo_cell FROM ticket "
               f"WHERE geo_cell IN ({_marks(len(cells))}) AND {OPEN_CONDITION}"
               + (f" AND category_code IN ({_marks(len(categories))})" if categories is not None else "") + " LIMIT ?")
        return _driver_points(conn, sql, [*cells, *(categories or ()), cap])

    def build(with_category: bool) -> Any:
        q = select(*_NEAR_COLUMNS).where(T.c.geo_cell.in_(bindparam("cells", expanding=True)), text(OPEN_CONDITION))
        if with_category:
            q = q.where(T.c.category_code.in_(bindparam("cats", expanding=True)))
        return q.limit(bindparam("cap"))

    stmt = repo._cached(("dup_open_cells", categories is not None), lambda: build(categories is not None))
    return [Point(*row) for row in conn.execute(stmt, {"cells": list(cells), "cats": list(categories or ()), "cap": cap})]


def recent_in_area(conn: Connection, area_code: str, since: datetime, cap: int,
                   chars: int) -> Sequence[Mapping[Any, Any]]:
    """The newest reports of a kelurahan since ``since`` (at most ``cap``, via ix_ticket_area_created), with the
    first ``chars`` characters of their text and their ``created_at``."""
    if conn.dialect.name == "sqlite":
        return _with_created(_driver_rows(conn, _RECENT_SQL, [chars, area_code, _bind_created(conn)(since), cap],
                                          _RECENT_NAMES))
    stmt = repo._cached(("dup_recent_area",), lambda: select(
                           T.c.id, T.c.latitude.is_not(None).label("located"),
                           func.substr(T.c.description, 1, bindparam("chars")).label("description"), T.c.created_at)
                       .where(T.c.area_code == bindparam("area"),
                              T.c.created_at >= bindparam("since", type_=T.c.created_at.type),
                              T.c.merged_into_id.is_(None))
                       .order_by(T.c.created_at.desc()).limit(bindparam("cap")))
    return list(conn.execute(stmt, {"area": area_code, "since": since, "cap": cap, "chars": chars}).mappings())


def newer_than(conn: Connection, ticket_id: int, upto: int, excluded: Sequence[int], cap: int,
               chars: int) -> Sequence[Mapping[Any, Any]]:
    """Unmerged tickets with an id above ``ticket_id``, at most ``upto`` and not ``excluded`` (at most ``cap``, by
    the primary key): what both the text test (as ``recent_in_area`` gives it, with ``area_code``) and the distance test
    (position, category, cell, ``open``) need of them."""
    if conn.dialect.name == "sqlite":
        sql = _NEWER_SQL.format(excluded=_marks(len(excluded)))
        return _with_created(_driver_rows(conn, sql, [chars, ticket_id, upto, *excluded, cap], _NEWER_NAMES))
    stmt = repo._cached(("dup_newer",), lambda: select(
                           T.c.id, T.c.latitude.is_not(None).label("located"),
                           func.substr(T.c.description, 1, bindparam("chars")).label("description"), T.c.created_at,
                           T.c.area_code, T.c.latitude, T.c.longitude, T.c.category_code, T.c.geo_cell,
                           literal_column(OPEN_CONDITION).label("open"))
                       .where(T.c.id > bindparam("after"), T.c.id <= bindparam("upto"), T.c.id.not_in(bindparam("excluded", expanding=True)),
                              T.c.merged_into_id.is_(None))
                       .order_by(T.c.id).limit(bindparam("cap")))
    return list(conn.execute(stmt, {"after": ticket_id, "upto": upto, "excluded": list(excluded), "cap": cap,
                                    "chars": chars}).mappings())


def open_points(conn: Connection, cap: int) -> list[Point]:
    """Every open report with coordinates (at most ``cap``), as ``open_in_cells`` gives them: one pass over
    ix_ticket_open_geo_cell."""
    if conn.dialect.name == "sqlite":
        return _driver_points(conn, f"SELECT id, latitude, longitude, category_code, geo_cell FROM ticket "
                                    f"WHERE geo_cell IS NOT NULL AND {OPEN_CONDITION} LIMIT ?", [cap])
    return [Point(*row) for row in conn.execute(select(*_NEAR_COLUMNS).where(T.c.geo_cell.is_not(None),
                                                                              text(OPEN_CONDITION)).limit(cap))]


def open_among(conn: Connection, ticket_ids: Iterable[int]) -> set[int]:
    """Which of these tickets are still open (a merged ticket is closed)."""
    return _ids_where(conn, ticket_ids, "open", OPEN_CONDITION)


def newest_id(conn: Connection) -> int:
    return conn.execute(select(func.max(T.c.id))).scalar() or 0


def merged(conn: Connection, ticket_ids: Iterable[int]) -> set[int]:
    """Which of these tickets have been merged into another."""
    return _ids_where(conn, ticket_ids, "merged", "merged_into_id IS NOT NULL")


def _ids_where(conn: Connection, ticket_ids: Iterable[int], name: str, condition: str) -> set[int]:
    ids = sorted(set(ticket_ids))
    if not ids:
        return set()
    if conn.dialect.name == "sqlite":
        return {row[0] for row in _driver_tuples(conn, f"SELECT id FROM ticket WHERE id IN ({_marks(len(ids))}) "
                                                       f"AND {condition}", ids)}
    stmt = repo._cached(("dup_ids_where", name), lambda: select(T.c.id).where(
        T.c.id.in_(bindparam("ids", expanding=True)), text(condition)))
    return set(conn.execute(stmt, {"ids": ids}).scalars())


# --- SQLite: the two intake lookups on the driver's cursor. Measured at 1M tickets, one of these reads costs
# 0.034 ms there against 0.149 ms through SQLAlchemy's execution and row handling (BENCHMARKS.md), and intake
# runs one per kelurahan of every group commit. PostgreSQL keeps the statements above (asyncpg through the
# async bridge has no cursor to borrow).
_RECENT_NAMES = ("id", "located", "description", "created_at")
_RECENT_SQL = ("SELECT id, latitude IS NOT NULL, substr(description, 1, ?), created_at FROM ticket "
               "WHERE area_code = ? AND created_at >= ? AND merged_into_id IS NULL ORDER BY created_at DESC LIMIT ?")
_NEWER_NAMES = (*_RECENT_NAMES, "area_code", "latitude", "longitude", "category_code", "geo_cell", "open")
_NEWER_SQL = (f"SELECT id, latitude IS NOT NULL, substr(description, 1, ?), created_at, area_code, latitude, "
              f"longitude, category_code, geo_cell, {OPEN_CONDITION} FROM ticket "
              f"WHERE id > ? AND id <= ? AND id NOT IN ({{excluded}}) AND merged_into_id IS NULL ORDER BY id LIMIT ?")


def _with_created(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``created_at`` as SQLAlchemy's type gives it (an aware UTC datetime), from the driver's stored text."""
    for row in rows:
        at = datetime.fromisoformat(row["created_at"])
        row["created_at"] = at.replace(tzinfo=UTC) if at.utcoffset() is None else at.astimezone(UTC)
    return rows


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _bind_created(conn: Connection) -> Any:
    """How SQLAlchemy stores ``ticket.created_at`` on this connection (its type's own bind processing)."""
    process = T.c.created_at.type.bind_processor(conn.dialect)
    return process or (lambda value: value)


def _driver_points(conn: Connection, sql: str, params: list[Any]) -> list[Point]:
    return [Point(*row) for row in _driver_tuples(conn, sql, params)]


def _driver_rows(conn: Connection, sql: str, params: list[Any], names: tuple[str, ...]) -> list[dict[str, Any]]:
    return [dict(zip(names, row)) for row in _driver_tuples(conn, sql, params)]


def _driver_tuples(conn: Connection, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    # Rows the group queued write-behind (store.writebehind) must be visible to this read, as they are to a
    # statement SQLAlchemy executes (its before_execute hook flushes them).
    writebehind.flush(conn)
    cursor = conn.connection.driver_connection.execute(sql, params)  # type: ignore[union-attr]
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def add_link(conn: Connection, ticket_id: int, other_id: int, kind: str, reason: str | None,
             distance_m: float | None, now: datetime) -> None:
    """Record a link (an officer's merge); a link already there is kept once."""
    add_links(conn, [dict(ticket_id=ticket_id, other_ticket_id=other_id, kind=kind, reason=reason,
                          distance_m=distance_m, created_at=now)])


def add_links(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Record links of committed tickets in one statement; a link already recorded is kept once."""
    return len(repo.insert_ignore_many(conn, T_LINK, rows, ("ticket_id", "other_ticket_id", "kind")))


_RECHECK_COLUMNS: tuple[Any, ...] = (T.c.id, T.c.latitude, T.c.longitude, T.c.category_code, T.c.area_code, T.c.description,
                    T.c.created_at, T.c.geo_cell, literal_column(OPEN_CONDITION).label("open"))


def created_since(conn: Connection, since: datetime, cap: int) -> list[RowMapping]:
    """The newest tickets (at most ``cap``, read by id from the end of the table) made since ``since``, with what
    the duplicate lookup needs of them, oldest first."""
    newest = conn.execute(select(func.max(T.c.id))).scalar() or 0
    rows = conn.execute(select(*_RECHECK_COLUMNS).where(T.c.id > newest - cap, T.c.created_at >= since,
                                                        T.c.merged_into_id.is_(None)).order_by(T.c.id)).mappings()
    return list(rows)


def links_of(conn: Connection, ticket_id: int) -> list[RowMapping]:
    """Every link of a ticket, either way round, with the other ticket's tracking ID and status."""
    other = T.alias("other")
    rows: list[RowMapping] = []
    for mine, theirs in ((T_LINK.c.ticket_id, T_LINK.c.other_ticket_id), (T_LINK.c.other_ticket_id, T_LINK.c.ticket_id)):
        rows += conn.execute(
            select(T_LINK.c.kind, T_LINK.c.reason, T_LINK.c.distance_m, T_LINK.c.created_at,
                   (mine == T_LINK.c.ticket_id).label("newer"), other.c.tracking_id, other.c.status,
                   other.c.merged_into_id)
            .join(other, other.c.id == theirs).where(mine == ticket_id)
            .order_by(T_LINK.c.id)).mappings().all()
    return rows


def add_follower(conn: Connection, ticket_id: int, reporter_id: int, via: str, now: datetime) -> bool:
    """Make a citizen a follower of a ticket; False when they already were (a double submit)."""
    return repo.insert_ignore(conn, T_FOLLOWER, dict(ticket_id=ticket_id, reporter_id=reporter_id, via=via,
                                                     created_at=now), ("ticket_id", "reporter_id")) is not None


def follower_ids(conn: Connection, ticket_id: int) -> list[int]:
    stmt = repo._cached(("followers",), lambda: select(T_FOLLOWER.c.reporter_id)
                       .where(T_FOLLOWER.c.ticket_id == bindparam("t")).order_by(T_FOLLOWER.c.id))
    return list(conn.execute(stmt, {"t": ticket_id}).scalars())


def followers(conn: Connection, ticket_id: int) -> list[RowMapping]:
    """The followers' reporter rows (their channel and address), in the order they came."""
    return list(conn.execute(
        select(repo.T_REPORTER).join(T_FOLLOWER, T_FOLLOWER.c.reporter_id == repo.T_REPORTER.c.id)
        .where(T_FOLLOWER.c.ticket_id == ticket_id).order_by(T_FOLLOWER.c.id)).mappings())


def copy_followers(conn: Connection, reporter_ids: Iterable[int], ticket_id: int, via: str, now: datetime) -> None:
    for reporter_id in dict.fromkeys(reporter_ids):
        add_follower(conn, ticket_id, reporter_id, via, now)


def main_of(conn: Connection, tracking_id: str) -> str | None:
    """The tracking ID of the ticket a merged ticket was merged into (None: not merged)."""
    main = T.alias("main")
    return conn.execute(select(main.c.tracking_id).join(T, T.c.merged_into_id == main.c.id)
                        .where(T.c.tracking_id == tracking_id)).scalar()
