"""Queries of proof photos: a ticket's attachments by kind and hash, and look-alikes on other tickets."""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import Connection, RowMapping, select, update

from store import repo


def attachment_with_hash(conn: Connection, ticket_id: int, sha256: str, kind: str) -> int | None:
    A = repo.T_ATTACHMENT
    return conn.execute(select(A.c.id).where(A.c.ticket_id == ticket_id, A.c.sha256 == sha256,
                                             A.c.kind == kind).limit(1)).scalar()


def same_hash(conn: Connection, sha256: str) -> Iterable[RowMapping]:
    """Every attachment with this content: id, ticket_id, kind, the ticket's tracking_id."""
    A, T = repo.T_ATTACHMENT, repo.T_TICKET
    return conn.execute(
        select(A.c.id, A.c.ticket_id, A.c.kind, T.c.tracking_id).select_from(A.join(T, T.c.id == A.c.ticket_id))
        .where(A.c.sha256 == sha256, A.c.id.is_not(None))
    ).mappings()


def hashes_elsewhere(conn: Connection, ticket_id: int, sha256: str, kinds: tuple[str, ...]) -> Iterable[RowMapping]:
    """Perceptual hashes of ``kinds`` attachments on other tickets with different content."""
    A, T = repo.T_ATTACHMENT, repo.T_TICKET
    return conn.execute(
        select(A.c.phash, A.c.ticket_id, T.c.tracking_id).select_from(A.join(T, T.c.id == A.c.ticket_id))
        .where(A.c.kind.in_(kinds), A.c.ticket_id != ticket_id, A.c.phash.is_not(None), A.c.sha256 != sha256)
    ).mappings()


def latest_attachment(conn: Connection, ticket_id: int, kind: str) -> dict[str, Any] | None:
    A = repo.T_ATTACHMENT
    row = conn.execute(select(A).where(A.c.ticket_id == ticket_id, A.c.kind == kind)
                       .order_by(A.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def set_kind(conn: Connection, attachment_id: int, kind: str) -> None:
    A = repo.T_ATTACHMENT
    conn.execute(update(A).where(A.c.id == attachment_id).values(kind=kind))


def rekind(conn: Connection, ticket_id: int, from_kind: str, to_kind: str) -> None:
    """Every ``from_kind`` attachment of a ticket becomes ``to_kind``."""
    A = repo.T_ATTACHMENT
    conn.execute(update(A).where(A.c.ticket_id == ticket_id, A.c.kind == from_kind).values(kind=to_kind))


def attachment_kinds(conn: Connection, ticket_id: int) -> list[str]:
    A = repo.T_ATTACHMENT
    return list(conn.execute(select(A.c.kind).where(A.c.ticket_id == ticket_id)).scalars().all())
