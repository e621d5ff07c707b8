"""Health routes for operators and orchestrators.

``/livez``: the process answers (always 200). ``/readyz``: the database is
reachable and migrated to the scripts' head (503 with the reason otherwise).
``/healthz``: ``ok`` or ``degraded``; the details (partner names, relay host,
channel reasons) only for a signed-in admin, because they describe the
deployment to anyone who asks. HTTP 200 while the database answers, 503 when
it does not (the convention /healthz always had), for both audiences.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot.health import HealthChecks, migration_state, script_head
from bot.http.admin import authorised
from bot.ports import http_gateway

router = APIRouter(tags=["ops"])


async def _is_admin(request: Request) -> bool:
    """The admin API token, or a staff web session with the admin role."""
    if authorised(request) is None:
        return True
    web = getattr(request.app.state, "web", None)
    if web is None:
        return False
    staff = await web.current_staff(request)
    return staff is not None and staff["role"] == "admin"


def _checks(request: Request) -> HealthChecks:
    app_state = request.app.state
    if getattr(app_state, "health", None) is None:
        app_state.health = HealthChecks(app_state.gateway)
    return app_state.health


@router.get("/healthz")
async def healthz(request: Request) -> Any:
    report = await _checks(request).report()
    code = 200 if report.details["database"]["ok"] else 503
    if not await _is_admin(request):
        return JSONResponse({"status": report.status}, status_code=code, headers={"cache-control": "no-store"})
    body = {"status": report.status, "problems": report.problems, **report.details}
    return JSONResponse(body, status_code=code, headers={"cache-control": "no-store"})


@router.get("/livez")
async def livez() -> Any:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> Any:
    gw = http_gateway(request)
    if not await gw.db.ping():
        return JSONResponse({"status": "not ready", "reason": "database unreachable"}, status_code=503)
    if getattr(request.app.state, "migration_head", None) is None:
        request.app.state.migration_head = script_head()
    current, head = await gw.db.read(migration_state, request.app.state.migration_head)
    if current != head:
        reason = f"database at migration {current or 'none'}, code needs {head}"
        return JSONResponse({"status": "not ready", "reason": reason}, status_code=503)
    return {"status": "ready"}
