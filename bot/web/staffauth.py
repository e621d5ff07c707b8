"""What the sign-in pages share: the audit log, failure counting per client and per account, finishing a sign-in."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import RowMapping

from bot.web.pages import _redirect
from bot.web.state import WebState
from store import staff_directory as store_directory

log = logging.getLogger(__name__)


async def record(web: WebState, request: Request, action: str, *, staff_code: str | None = None,
                 actor: str | None = None, **detail: Any) -> None:
    """One row of the audit log (``staff_audit``), with the client address."""
    now, client = web.now(), web.client_ip(request)
    await web.gateway.db.write(lambda conn: store_directory.audit(conn, now, action, actor=actor, staff_code=staff_code,
                                                                  client=client, **detail))


def account_key(login: Any) -> str:
    return str(login).strip().lower()[:200] if isinstance(login, str) else ""


def wait_seconds(web: WebState, request: Request, login: Any) -> int:
    """0 when this client and this account may try again now, else the seconds to wait."""
    ip, account = web.client_ip(request), account_key(login)
    waits = [web.login_limiter.retry_after(ip) if not web.login_limiter.allowed(ip) else 0]
    if account:
        limiter = web.account_limiter
        waits.append(limiter.retry_after(account) if not limiter.allowed(account) else 0)
    return max(waits)


async def failed(web: WebState, request: Request, login: Any, why: str, staff: RowMapping | None) -> None:
    """Count a failed attempt against the client and the account, and audit it (never the password)."""
    web.login_limiter.hit(web.client_ip(request))
    account = account_key(login)
    if account:
        web.account_limiter.hit(account)
    await record(web, request, "signin_failed", staff_code=staff["code"] if staff else None,
                 reason=why, login=None if staff else account[:60])
    log.info("staff sign-in failed (%s) from %s", why, web.client_ip(request))


def landing(staff: RowMapping, nxt: str | None) -> str:
    return nxt or (f"/dashboard/{staff['area_code']}" if staff["area_code"] else "/dashboard")


async def signed_in(web: WebState, request: Request, staff: RowMapping, nxt: str | None, method: str) -> Response:
    """Set the session and go on; audited as ``signin`` with how (password, oidc, totp, recovery_code, enrolment)."""
    response = _redirect(landing(staff, nxt))
    web.set_session(response, staff, mfa=method in ("totp", "recovery_code", "enrolment"))
    await record(web, request, "signin", staff_code=staff["code"], actor=f"staff:{staff['code']}", method=method)
    log.info("staff %s signed in (%s)", staff["code"], method)
    return response
