"""The staff directory's tables: officers, their chat identities, TOTP state, recovery codes, the audit log.

Seeding from config.yaml (``seed_staff``) follows one rule: a row whose ``managed_by`` is "config" takes
config's values on every start; the CLI and the admin page set it to "db", after which config never
touches that officer again (``python main.py staff show CODE`` says which applies).
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import Connection, RowMapping, func, select, update

from store import repo
from store.tables import StaffAudit, StaffIdentity, StaffRecoveryCode

S = repo.T_STAFF
T_IDENTITY = repo.table_of(StaffIdentity)
T_RECOVERY = repo.table_of(StaffRecoveryCode)
T_AUDIT = repo.table_of(StaffAudit)

# Columns the CLI and the admin page may change (besides password, active and identities).
EDITABLE = ("name", "role", "agency_code", "area_code", "email", "language", "may_see_contact")


class DirectoryError(ValueError):
    """A refused change: unknown officer, duplicate code, an identity already linked to someone else."""


# --- reads -----------------------------------------------------------------------

def staff_row(conn: Connection, code: str) -> RowMapping | None:
    """An officer by code, active or not."""
    return conn.execute(select(S).where(S.c.code == code)).mappings().first()


def list_staff(conn: Connection) -> list[RowMapping]:
    return list(conn.execute(select(S).order_by(S.c.code)).mappings())


def member_by_identity(conn: Connection, channel: str, external_id: str) -> RowMapping | None:
    """The active officer linked to ``external_id`` on ``channel`` (a Slack or Telegram user id)."""
    return conn.execute(
        select(S).join(T_IDENTITY, T_IDENTITY.c.staff_id == S.c.id)
        .where(T_IDENTITY.c.channel == channel, T_IDENTITY.c.external_id == external_id.strip(),
               S.c.active.is_(True))).mappings().first()


def identities(conn: Connection, staff_id: int) -> list[RowMapping]:
    return list(conn.execute(select(T_IDENTITY.c.channel, T_IDENTITY.c.external_id)
                             .where(T_IDENTITY.c.staff_id == staff_id)
                             .order_by(T_IDENTITY.c.channel, T_IDENTITY.c.id)).mappings())


def identity_map(conn: Connection) -> dict[int, list[str]]:
    """staff id -> ["slack:U123", ...] for the directory listing."""
    out: dict[int, list[str]] = {}
    for r in conn.execute(select(T_IDENTITY).order_by(T_IDENTITY.c.channel, T_IDENTITY.c.id)).mappings():
        out.setdefault(r["staff_id"], []).append(f"{r['channel']}:{r['external_id']}")
    return out


# --- changes (CLI, admin page) --------------------------------------------------------

def _require(conn: Connection, code: str) -> RowMapping:
    row = staff_row(conn, code)
    if row is None:
        raise DirectoryError(f"no officer {code!r}")
    return row


def add_staff(conn: Connection, values: dict[str, Any]) -> None:
    if staff_row(conn, values["code"]) is not None:
        raise DirectoryError(f"officer {values['code']!r} exists already")
    conn.execute(S.insert().values(**values, managed_by="db", active=True))


def update_staff(conn: Connection, code: str, values: dict[str, Any]) -> RowMapping:
    """Change EDITABLE columns; a role change ends the officer's sessions (what they may do changed)."""
    row = _require(conn, code)
    values = {k: v for k, v in values.items() if k in EDITABLE}
    bump = "role" in values and values["role"] != row["role"]
    conn.execute(update(S).where(S.c.id == row["id"]).values(
        **values, managed_by="db", session_epoch=S.c.session_epoch + (1 if bump else 0)))
    return _require(conn, code)


def set_active(conn: Connection, code: str, active: bool) -> None:
    """Enable or disable; disabling ends every web session at once (the epoch moves)."""
    row = _require(conn, code)
    conn.execute(update(S).where(S.c.id == row["id"]).values(
        active=active, managed_by="db", session_epoch=S.c.session_epoch + (0 if active else 1)))


def set_password(conn: Connection, code: str, password_hash: str | None) -> None:
    """A new password hash; every existing session of the officer ends."""
    row = _require(conn, code)
    conn.execute(update(S).where(S.c.id == row["id"]).values(
        password_hash=password_hash, managed_by="db", session_epoch=S.c.session_epoch + 1))


def link(conn: Connection, code: str, channel: str, external_id: str, now: datetime) -> None:
    """Attach a chat identity; refused when it belongs to another officer."""
    row = _require(conn, code)
    external_id = external_id.strip()
    if not external_id or len(external_id) > 80:
        raise DirectoryError("the external id must have 1 to 80 characters")
    owner = conn.execute(select(T_IDENTITY.c.staff_id).where(
        T_IDENTITY.c.channel == channel, T_IDENTITY.c.external_id == external_id)).scalar()
    if owner == row["id"]:
        return
    if owner is not None:
        raise DirectoryError(f"{channel}:{external_id} is linked to another officer")
    conn.execute(T_IDENTITY.insert().values(staff_id=row["id"], channel=channel, external_id=external_id,
                                            created_at=now))
    conn.execute(update(S).where(S.c.id == row["id"]).values(managed_by="db"))


def unlink(conn: Connection, code: str, channel: str, external_id: str) -> bool:
    row = _require(conn, code)
    done = conn.execute(T_IDENTITY.delete().where(T_IDENTITY.c.staff_id == row["id"], T_IDENTITY.c.channel == channel,
                                                  T_IDENTITY.c.external_id == external_id.strip())).rowcount
    return bool(done)


def seed_staff(conn: Connection, entries: Iterable[tuple[dict[str, Any], list[tuple[str, str]]]],
               now: datetime) -> None:
    """Config's officers: new ones are added; "config"-managed ones updated; "db"-managed ones left alone.

    An identity from config is added only when nobody holds it yet (never moved from another officer)."""
    for values, links in entries:
        row = staff_row(conn, values["code"])
        if row is None:
            conn.execute(S.insert().values(**values, managed_by="config", active=True))
        elif row["managed_by"] == "config":
            conn.execute(update(S).where(S.c.id == row["id"]).values(**values))
        else:
            continue
        staff_id = _require(conn, values["code"])["id"]
        for channel, external_id in links:
            taken = conn.execute(select(T_IDENTITY.c.id).where(
                T_IDENTITY.c.channel == channel, T_IDENTITY.c.external_id == external_id)).scalar()
            if taken is None:
                conn.execute(T_IDENTITY.insert().values(staff_id=staff_id, channel=channel, external_id=external_id,
                                                        created_at=now))


# --- TOTP and recovery codes -------------------------------------------------------------

def set_totp(conn: Connection, staff_id: int, secret: str | None, step: int | None = None) -> None:
    """Store (or clear) the TOTP secret; ``step`` is the enrolment code's step, so it cannot be replayed."""
    conn.execute(update(S).where(S.c.id == staff_id).values(totp_secret=secret, totp_last_step=step))


def accept_totp_step(conn: Connection, staff_id: int, step: int) -> bool:
    """Record ``step`` as used; False when it (or a later one) was used already: a code works once."""
    done = conn.execute(update(S).where(S.c.id == staff_id)
                        .where((S.c.totp_last_step.is_(None)) | (S.c.totp_last_step < step))
                        .values(totp_last_step=step)).rowcount
    return bool(done)


def reset_totp(conn: Connection, code: str) -> None:
    """Forget the TOTP key and the recovery codes (a lost phone); ends the officer's sessions."""
    row = _require(conn, code)
    conn.execute(update(S).where(S.c.id == row["id"]).values(
        totp_secret=None, totp_last_step=None, managed_by="db", session_epoch=S.c.session_epoch + 1))
    conn.execute(T_RECOVERY.delete().where(T_RECOVERY.c.staff_id == row["id"]))


def replace_recovery_codes(conn: Connection, staff_id: int, hashes: list[str], now: datetime) -> None:
    conn.execute(T_RECOVERY.delete().where(T_RECOVERY.c.staff_id == staff_id))
    for h in hashes:
        conn.execute(T_RECOVERY.insert().values(staff_id=staff_id, code_hash=h, created_at=now))


def use_recovery_code(conn: Connection, staff_id: int, code_hash: str, now: datetime) -> bool:
    """Spend one unused recovery code; False when there is none with that hash."""
    done = conn.execute(update(T_RECOVERY).where(
        T_RECOVERY.c.staff_id == staff_id, T_RECOVERY.c.code_hash == code_hash, T_RECOVERY.c.used_at.is_(None))
        .values(used_at=now)).rowcount
    return bool(done)


def recovery_codes_left(conn: Connection, staff_id: int) -> int:
    return conn.execute(select(func.count()).select_from(T_RECOVERY).where(
        T_RECOVERY.c.staff_id == staff_id, T_RECOVERY.c.used_at.is_(None))).scalar() or 0


# --- audit log -------------------------------------------------------------------------------

def audit(conn: Connection, now: datetime, action: str, *, actor: str | None = None, staff_code: str | None = None,
          client: str | None = None, **detail: Any) -> None:
    conn.execute(T_AUDIT.insert().values(
        created_at=now, action=action[:40], actor=actor[:80] if actor else None,
        staff_code=staff_code[:60] if staff_code else None, client=client[:64] if client else None,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str) if detail else None))


def audit_rows(conn: Connection, *, limit: int, offset: int = 0, staff_code: str | None = None,
               action: str | None = None) -> list[RowMapping]:
    q = select(T_AUDIT)
    if staff_code:
        q = q.where(T_AUDIT.c.staff_code == staff_code)
    if action:
        q = q.where(T_AUDIT.c.action == action)
    return list(conn.execute(q.order_by(T_AUDIT.c.id.desc()).limit(limit).offset(offset)).mappings())
