"""The public web face: tracking pages, kelurahan dashboards, the citizen form,
staff sign-in, the officers' console (/petugas) and Open311 GeoReport v2. ``install(app, gateway)`` wires it in."""
from __future__ import annotations

from typing import Any

from bot.ports import WebGateway
from bot.web.reopen import ReopenLinks, reopen_link

__all__ = ["install", "reopen_link", "ReopenLinks"]


def install(app: Any, gateway: WebGateway) -> None:
    """Add the public routers and /static to the FastAPI ``app``."""
    from fastapi.staticfiles import StaticFiles

    from bot.web import (account, canned_admin, location, nearby, oidc, open311, pages, rating_page, report_form,
                         signin, staff_admin)
    from bot.web.console.routes import router as console_router
    from bot.web.state import HERE, WebState

    app.state.web = WebState(gateway)
    app.state.web.env.globals["sso_enabled"] = gateway.config.web.oidc is not None
    app.include_router(pages.router)
    app.include_router(rating_page.router)
    app.include_router(report_form.router)
    app.include_router(location.router)
    app.include_router(nearby.router)
    app.include_router(signin.router)
    app.include_router(oidc.router)
    app.include_router(account.router)
    app.include_router(staff_admin.router)
    app.include_router(canned_admin.router)
    app.include_router(open311.router)
    app.include_router(console_router, tags=["officers' console"])
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
