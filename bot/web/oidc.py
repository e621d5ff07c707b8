"""Optional OpenID Connect single sign-on for officers (``web.oidc``): /masuk/sso and /masuk/sso/kembali.

Authorization-code flow with PKCE (Authlib's S256 challenge), the state, nonce and verifier kept in a
signed short-lived cookie; the id_token is checked with joserfc (Authlib's JOSE library) against the
provider's JWKS: signature, issuer, audience, expiry on the gateway's injected clock, nonce. Its claim
(``web.oidc.claim``) names the officer by email or code. The provider stands for the password only: an
officer with TOTP, or whose role requires it, still gives a code (``bot.web.signin``)."""
from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any, Callable
from urllib.parse import urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import RowMapping

from bot.config import OidcConfig
from bot.web import queries
from bot.web.pages import _PAGE_ERRORS, HTML
from bot.web.signin import _safe_next, code_page, enrol_page
from bot.web.staffauth import failed, signed_in
from bot.web.state import WebState, get_state
from bot.web.twofactor import mfa_required

log = logging.getLogger(__name__)
router = APIRouter(tags=["public pages"])
COOKIE = "aduan_oidc"
CALLBACK = "/masuk/sso/kembali"


class OidcError(Exception):
    """The provider's answer could not be used (reason for the log and the audit row)."""


class OidcClient:
    """Discovery, the authorization URL, the code exchange and id_token checks for one provider."""

    def __init__(self, cfg: OidcConfig, redirect_uri: str, now: Callable[[], Any],
                 http: Callable[[], httpx.AsyncClient] | None = None) -> None:
        self.cfg = cfg
        self.redirect_uri = redirect_uri
        self.now = now
        self.http = http or (lambda: httpx.AsyncClient(timeout=cfg.timeout_seconds))
        self._meta: dict[str, Any] | None = None

    async def _get(self, url: str) -> Any:
        async with self.http() as client:
            r = await client.get(url)
        if r.status_code != 200:
            raise OidcError(f"GET {url}: {r.status_code}")
        return r.json()

    async def metadata(self) -> dict[str, Any]:
        if self._meta is None:
            meta = await self._get(self.cfg.issuer.rstrip("/") + "/.well-known/openid-configuration")
            if not isinstance(meta, dict) or meta.get("issuer") != self.cfg.issuer:
                raise OidcError("discovery document for another issuer")
            self._meta = meta
        return self._meta

    async def authorization_url(self, state: str, nonce: str, verifier: str) -> str:
        meta = await self.metadata()
        query = {"response_type": "code", "client_id": self.cfg.client_id, "redirect_uri": self.redirect_uri,
                 "scope": self.cfg.scopes, "state": state, "nonce": nonce,
                 "code_challenge": create_s256_code_challenge(verifier), "code_challenge_method": "S256"}
        return f"{meta['authorization_endpoint']}?{urlencode(query)}"

    async def claims(self, code: str, nonce: str, verifier: str) -> dict[str, Any]:
        """The checked id_token claims for an authorization ``code``."""
        meta = await self.metadata()
        async with self.http() as client:
            r = await client.post(meta["token_endpoint"], data={
                "grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri,
                "code_verifier": verifier}, auth=(self.cfg.client_id, self.cfg.client_secret.get_secret_value()))
        body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
        if r.status_code != 200 or not isinstance(body.get("id_token"), str):
            raise OidcError(f"token endpoint: {r.status_code}")
        keys = KeySet.import_key_set(await self._get(meta["jwks_uri"]))
        try:
            token = jwt.decode(body["id_token"], keys, algorithms=["RS256", "ES256"])
            jwt.JWTClaimsRegistry(now=lambda: int(self.now().timestamp()), leeway=60,
                                  iss={"essential": True, "value": self.cfg.issuer},
                                  aud={"essential": True, "value": self.cfg.client_id},
                                  exp={"essential": True}, nonce={"essential": True, "value": nonce},
                                  ).validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise OidcError(f"id_token: {type(exc).__name__}") from None
        return dict(token.claims)


def client_of(web: WebState) -> OidcClient | None:
    cfg = web.config.web.oidc
    if cfg is None:
        return None
    existing = getattr(web, "oidc", None)
    if existing is None:
        existing = OidcClient(cfg, web.base_url + CALLBACK, web.now)
        web.oidc = existing  # type: ignore[attr-defined]
    return existing


async def _staff_for(web: WebState, cfg: OidcConfig, claims: dict[str, Any]) -> RowMapping | None:
    value = claims.get(cfg.claim)
    if not isinstance(value, str) or not value.strip():
        return None
    if cfg.match == "code":
        return await web.gateway.db.read(queries.staff_by_code, value.strip())
    if "@" not in value:
        return None
    return await web.gateway.db.read(queries.staff_by_login, value.strip())  # the email, case-insensitively


_REDIRECTS: dict[int | str, dict[str, Any]] = {302: {"description": "To the identity provider"}, 303: {"description": "Signed in, or on to TOTP"},
              400: _PAGE_ERRORS[400], 401: {"description": "Not an officer here", **HTML},
              404: _PAGE_ERRORS[404], 502: {"description": "The identity provider failed", **HTML}}


@router.get("/masuk/sso", response_class=HTMLResponse, summary="Staff single sign-on (OpenID Connect)",
            responses=_REDIRECTS)
async def sso_start(request: Request, next: str = "") -> Response:
    web = get_state(request)
    client = client_of(web)
    if client is None:
        return _page(request, web, 404, "sso_off")
    state, nonce, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    try:
        url = await client.authorization_url(state, nonce, verifier)
    except (OidcError, httpx.HTTPError, ValueError, KeyError) as exc:
        log.warning("oidc: discovery failed (%s)", exc)
        return _page(request, web, 502, "sso_failed")
    cookie = web.signer.sign("oidc", {"st": state, "n": nonce, "v": verifier, "x": _safe_next(next) or ""},
                             web.now() + timedelta(minutes=10))
    response = Response(status_code=302, headers={"location": url, **web.security_headers()})
    response.set_cookie(COOKIE, cookie, httponly=True, samesite="lax", secure=web.secure_cookies, max_age=600,
                        path="/masuk/sso")
    return response


@router.get(CALLBACK, response_class=HTMLResponse, summary="Return from the identity provider", responses=_REDIRECTS)
async def sso_return(request: Request, code: str = "", state: str = "") -> Response:
    web = get_state(request)
    client = client_of(web)
    if client is None:
        return _page(request, web, 404, "sso_off")
    try:
        pending = web.signer.verify("oidc", request.cookies.get(COOKIE), web.now())
    except Exception:  # noqa: BLE001 - any bad cookie is the same refusal
        return _page(request, web, 400, "mfa_expired")
    if not code or not secrets.compare_digest(state.encode(), str(pending.get("st", "")).encode()):
        return _page(request, web, 400, "mfa_expired")
    try:
        claims = await client.claims(code[:2000], str(pending["n"]), str(pending["v"]))
    except (OidcError, httpx.HTTPError, ValueError, KeyError) as exc:
        log.warning("oidc: sign-in failed (%s)", exc)
        await failed(web, request, None, "oidc", None)
        return _page(request, web, 502, "sso_failed")
    assert web.config.web.oidc is not None
    staff = await _staff_for(web, web.config.web.oidc, claims)
    if staff is None:
        await failed(web, request, None, "oidc_unknown", None)
        return _page(request, web, 401, "sso_unknown")
    lang, nxt = web.lang(request), str(pending.get("x") or "") or None
    if staff["totp_secret"]:
        return code_page(request, web, lang, staff, nxt, None)
    if mfa_required(staff["role"]):
        return enrol_page(request, web, lang, staff, nxt, None, status=200)
    response = await signed_in(web, request, staff, nxt, "oidc")
    response.delete_cookie(COOKIE, path="/masuk/sso")
    return response


def _page(request: Request, web: WebState, status: int, key: str) -> Response:
    lang = web.lang(request)
    t = web.t(lang)
    if status in (401, 400):
        return web.render(request, "login.html", lang, status=status, title=t("login_title"),
                          csrf=web.csrf_token(request, "login"), next="", error=t(key), login="")
    return web.render(request, "message.html", lang, status=status, title=t("login_title"), heading=t("login_title"),
                      message=t(key), tracking_id=None, kind="error")

