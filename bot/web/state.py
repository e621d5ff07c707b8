"""Shared state of the public web face: templates, catalogue, signer, limits, sessions."""
from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import RowMapping

from bot.config import AppConfig
from bot.ports import WebGateway
from bot.public import COLOURS
from bot.public_cache import PublicCache
from bot.web import queries
from bot.web.i18n import LANGUAGES, Catalogue, format_datetime
from bot.web.outlines import Outlines
from bot.web.security import BadToken, Signer, load_secret

HERE = Path(__file__).parent
LANG_COOKIE = "aduan_lang"
CSRF_COOKIE = "aduan_csrf"
SESSION_COOKIE = "aduan_staff"
SECRET_FILE = "var/web_secret.key"


def web_secret(config: AppConfig) -> bytes:
    """``web.secret_key``, else a key generated once under var/ (shared by pages and reopen links)."""
    configured = config.web.secret_key.get_secret_value() if config.web.secret_key else None
    return load_secret(configured, config.path(SECRET_FILE))


class WebState:
    def __init__(self, gateway: WebGateway) -> None:
        self.gateway: WebGateway = gateway
        self.config: AppConfig = gateway.config
        cfg = self.config
        self.tz = ZoneInfo(cfg.instance.timezone)
        self.catalogue = Catalogue(default=cfg.instance.default_language)
        self.signer = Signer(web_secret(cfg))
        self.base_url = cfg.instance.public_base_url.rstrip("/")
        self.secure_cookies = self.base_url.startswith("https://")
        self.prefix = cfg.instance.tracking_prefix
        clock = gateway.clock.now
        # Per-client limits, shared by every gateway process (bot/limiter.py), on the gateway's clock.
        window = functools.partial(gateway.limiter.window, clock=lambda: clock().timestamp())
        self.form_limiter = window("form-ip", cfg.web.form_reports_per_hour_per_ip, 3600)
        self.login_limiter = window("login-ip", cfg.web.login_failures_per_hour_per_ip, 3600)
        # Per account (the login typed, known or not): a password guessed from many addresses is still limited.
        self.account_limiter = window("login-account", cfg.web.login_failures_per_hour_per_account, 3600)
        self.lookup_limiter = window("lookup-ip", cfg.web.tracking_lookups_per_minute_per_ip, 60)
        self.locate_limiter = window("locate-ip", cfg.web.map.locate_per_minute_per_ip, 60)
        self.map = cfg.web.map if cfg.web.map.enabled else None
        self.outlines = Outlines()
        self.nearby_limiter = window("nearby-ip", cfg.duplicates.nearby_lookups_per_minute_per_ip, 60)
        self.started = clock()
        self.public_cache = PublicCache(cfg.http.public_cache_seconds, clock)
        self.env = Environment(
            loader=FileSystemLoader(str(HERE / "templates")),
            autoescape=select_autoescape(["html", "xml", "svg"], default_for_string=True, default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(instance_name=cfg.instance.name, colours=COLOURS, prefix=self.prefix, map_settings=self.map)

    def now(self) -> datetime:
        return self.gateway.clock.now()

    # --- language ------------------------------------------------------------

    def lang(self, request: Request) -> str:
        asked = request.query_params.get("lang")
        if asked in LANGUAGES:
            return asked
        cookie = request.cookies.get(LANG_COOKIE)
        return self.catalogue.language(cookie)

    def t(self, lang: str) -> Any:
        return self.catalogue.gettext(lang)

    def reach(self, lang: str) -> list[tuple[str, str, str | None]]:
        """(channel label, how to reach it, link or None) for every configured channel that says how."""
        out = []
        for channel, how in self.gateway.registry.contacts():
            label = self.catalogue.messages[self.catalogue.language(lang)].get(f"reach_{channel}", channel)
            out.append((label, how, how if how.startswith("https://") else None))
        return out

    # --- rendering -------------------------------------------------------------

    def render(self, request: Request, template: str, lang: str, *, status: int = 200, title: str = "",
               headers: dict[str, str] | None = None, staff: RowMapping | None = None, **ctx: Any) -> HTMLResponse:
        nonce = secrets.token_urlsafe(12)
        other = "en" if lang == "id" else "id"
        query = dict(request.query_params)
        query["lang"] = other
        switch_url = request.url.path + "?" + urlencode(query)
        t = self.t(lang)
        html = self.env.get_template(template).render(
            lang=lang, other_lang=other, t=t, title=title or t("site_title"), switch_url=switch_url,
            dt=lambda v, time=True: format_datetime(v, lang, self.tz, with_time=time),
            script_nonce=nonce, path=request.url.path, staff=staff, reach=self.reach(lang),
            logout_csrf=self.csrf_token(request, "logout") if staff is not None else "", **ctx)
        tiles = self.map.tile_origin if self.map is not None else None
        response = HTMLResponse(html, status_code=status, headers=self.security_headers(nonce, tiles))
        if headers:
            response.headers.update(headers)
        if request.query_params.get("lang") in LANGUAGES and request.cookies.get(LANG_COOKIE) != lang:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="lax",
                                secure=self.secure_cookies)
        new_cookie = getattr(request.state, "new_csrf_cookie", None)
        if new_cookie:
            response.set_cookie(CSRF_COOKIE, new_cookie, httponly=True, samesite="lax", secure=self.secure_cookies)
        return response

    @staticmethod
    def security_headers(nonce: str | None = None, tile_origin: str | None = None) -> dict[str, str]:
        """The pages' headers; images come from us (and data: URIs), plus the map's tile server
        when one is configured (``web.map.tile_url``): never any other host."""
        script = f"'nonce-{nonce}'" if nonce else "'none'"
        img = f"'self' data: {tile_origin}" if tile_origin else "'self' data:"
        return {
            "content-security-policy": (f"default-src 'none'; style-src 'self'; img-src {img}; "
                                        f"script-src {script}; connect-src 'self'; form-action 'self'; base-uri 'none'; "
                                        f"frame-ancestors 'none'"),
            "x-content-type-options": "nosniff",
            "referrer-policy": "same-origin",
            "x-frame-options": "DENY",
            "cache-control": "no-store",
        }

    # --- CSRF --------------------------------------------------------------------

    def _csrf_cookie(self, request: Request) -> str:
        value = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_cookie", None)
        if not value or len(value) > 100:
            value = secrets.token_urlsafe(18)
            request.state.new_csrf_cookie = value
        return value

    @staticmethod
    def _bind(cookie: str) -> str:
        return hashlib.sha256(cookie.encode()).hexdigest()[:24]

    def csrf_token(self, request: Request, purpose: str, *, nonce: str | None = None, hours: float = 6) -> str:
        cookie = self._csrf_cookie(request)
        payload = {"p": purpose, "c": self._bind(cookie), "n": nonce or secrets.token_urlsafe(16)}
        return self.signer.sign("csrf", payload, self.now() + timedelta(hours=hours))

    def check_csrf(self, request: Request, token: Any, purpose: str) -> dict[str, Any]:
        """The token's payload; raises BadToken unless it is ours, for ``purpose``, bound to this browser."""
        if not isinstance(token, str):
            raise BadToken("malformed")
        body = self.signer.verify("csrf", token, self.now())
        cookie = request.cookies.get(CSRF_COOKIE)
        if body.get("p") != purpose:
            raise BadToken("purpose")
        if not cookie or body.get("c") != self._bind(cookie):
            raise BadToken("signature")
        if not isinstance(body.get("n"), str) or not 8 <= len(body["n"]) <= 64:
            raise BadToken("malformed")
        return body

    # --- staff sessions ------------------------------------------------------------

    @staticmethod
    def _fingerprint(staff: RowMapping) -> str:
        return hashlib.sha256((staff["password_hash"] or "").encode()).hexdigest()[:16]

    def session_token(self, staff: RowMapping, *, mfa: bool = False) -> str:
        """A session for ``staff``; it ends when it expires, the password changes (fingerprint), or the
        officer's ``session_epoch`` moves (disabled, role changed, signed out everywhere)."""
        expires = self.now() + timedelta(hours=self.config.web.session_hours)
        body = {"s": staff["code"], "f": self._fingerprint(staff), "e": staff["session_epoch"], "m": int(mfa)}
        return self.signer.sign("session", body, expires)

    def pending_token(self, purpose: str, staff: RowMapping, minutes: float = 5, **extra: Any) -> str:
        """Proof that the password was right, for the second step (``mfa``) or TOTP enrolment (``enrol``)."""
        body = {"s": staff["code"], "f": self._fingerprint(staff), "e": staff["session_epoch"], **extra}
        return self.signer.sign(purpose, body, self.now() + timedelta(minutes=minutes))

    async def staff_of_token(self, purpose: str, token: str | None) -> tuple[RowMapping, dict[str, Any]] | None:
        """The active officer a session/pending token names, with its payload; None when it no longer holds."""
        try:
            body = self.signer.verify(purpose, token, self.now())
        except BadToken:
            return None
        code = body.get("s")
        if not isinstance(code, str):
            return None
        staff = await self.gateway.db.read(queries.staff_by_code, code)
        if staff is None or body.get("f") != self._fingerprint(staff) or body.get("e") != staff["session_epoch"]:
            return None
        return staff, body

    async def current_staff(self, request: Request) -> RowMapping | None:
        """The signed-in officer (API kept for the console); None when signed out or the session ended."""
        from bot.web.twofactor import mfa_required

        found = await self.staff_of_token("session", request.cookies.get(SESSION_COOKIE))
        if found is None:
            return None
        staff, body = found
        if mfa_required(staff["role"]) and not body.get("m"):
            return None  # e.g. made an admin after signing in without TOTP
        return staff

    def area_codes(self, area: Any) -> list[str] | None:
        """``area`` and every area inside it (None: the whole city), from the in-memory area tree."""
        if area is None:
            return None
        return sorted(self.gateway.staff.directory.area_descendants(area["code"]))

    def staff_scope(self, staff: RowMapping | None) -> tuple[Any | None, bool]:
        """(SQL scope, may see ticket lists) for a signed-in officer: the rule `daftar` uses too."""
        from bot.staff.scope import NoScope, ticket_scope

        member = self.gateway.staff.directory.member_of(staff)
        if member is None:
            return None, False
        try:
            return ticket_scope(self.gateway.staff.directory, member), True
        except NoScope:
            return None, False

    def set_session(self, response: Response, staff: RowMapping, *, mfa: bool = False) -> None:
        response.set_cookie(SESSION_COOKIE, self.session_token(staff, mfa=mfa), httponly=True, samesite="lax",
                            secure=self.secure_cookies, max_age=int(self.config.web.session_hours * 3600))

    # --- misc ------------------------------------------------------------------------

    @staticmethod
    def client_ip(request: Request) -> str:
        """The peer address; X-Forwarded-For was already applied only for ``http.trusted_proxies``
        (``bot.http.app`` wraps the app in uvicorn's ProxyHeadersMiddleware with that list)."""
        return request.client.host if request.client else "unknown"

    async def lookup_wait(self, request: Request) -> int:
        """0 and counted if this client may look up a tracking ID now, else the seconds to wait.

        Tracking IDs are unguessable, but only if nobody can try millions of them."""
        return await self.lookup_limiter.take(self.client_ip(request))

    def in_both_languages(self, key: str, **fields: Any) -> str:
        """A reason for API clients, in both languages (they send no language)."""
        return " / ".join(self.t(lang)(key, **fields) for lang in LANGUAGES)

    def lookup_refusal(self, seconds: int) -> str:
        """The 429 reason for APIs, in both languages."""
        return self.in_both_languages("lookup_too_many", seconds=seconds)

    def api_throttled(self, seconds: int) -> JSONResponse:
        """The public APIs' 429: the reason and Retry-After."""
        return JSONResponse({"detail": self.lookup_refusal(seconds)}, status_code=429,
                            headers={"retry-after": str(seconds)})

    @staticmethod
    def local_path(url: str | None) -> str | None:
        """The path of one of our own URLs (for <img src>), so pages work on any host name."""
        if not url:
            return None
        return urlsplit(url).path or None


def get_state(request: Request) -> WebState:
    return request.app.state.web
