"""``store.plainrows.plain_rows`` returns what SQLAlchemy's own rows hold, column for column and type for type
(timestamps, booleans, floats, NULLs), on SQLite (the driver's cursor) and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import select

from store import repo
from store.plainrows import plain_rows
from tests.web.conftest import finish, jpeg, report


async def test_plain_rows_equal_sqlalchemy_rows(gateway):
    first = await report(gateway, "Sampah menumpuk di Jl. Kemang Raya Kel. Bangka", external_id="p-1",
                         latitude=-6.2614, longitude=106.8142)
    await report(gateway, "Jalan rusak di Kel. Bangka", external_id="p-2", sender="+6281200000002")
    await finish(gateway, first, proof=jpeg())
    statements = [select(repo.T_TICKET), select(repo.T_EVENT).order_by(repo.T_EVENT.c.id),
                  select(repo.T_ATTACHMENT), select(repo.T_REPORTER), select(repo.T_TICKET).where(repo.T_TICKET.c.id < 0)]

    def both(conn, stmt):
        return plain_rows(conn, stmt), [dict(r) for r in conn.execute(stmt).mappings()]

    for stmt in statements:
        plain, mapped = await gateway.db.read(both, stmt)
        assert plain == mapped
        assert [[type(v) for v in row.values()] for row in plain] == [[type(v) for v in row.values()] for row in mapped]
    tickets, _ = await gateway.db.read(both, statements[0])
    assert len(tickets) == 2 and any(t["closed_at"] is not None for t in tickets)
    assert any(t["closed_at"] is None for t in tickets)
