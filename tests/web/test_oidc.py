"""Optional OIDC single sign-on (issue 11, point 7) against a fake provider on 127.0.0.1: discovery, JWKS and a
token endpoint that checks the PKCE verifier and the client's credentials, and issues RS256-signed id_tokens.

The provider stands for the password only: an admin still gives a TOTP code."""
from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from store import staff_directory as sd
from tests.harness.fake_api import FakeAPI, RecordedRequest
from tests.web.conftest import _HASH, WEB_SECRET, hidden, web_config

CLIENT_ID, CLIENT_SECRET = "aduan-web", "oidc-client-secret-123"
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})


class Provider:
    """What the fake provider signs next (the test sets the claims, or a wrong key)."""

    def __init__(self, api: FakeAPI) -> None:
        self.api = api
        self.subject_claims: dict[str, Any] = {}
        self.key = KEY
        self.challenge = ""
        self.nonce = ""
        self.now = 0

    def token(self, rec: RecordedRequest) -> Any:
        from aiohttp import web

        form = rec.form
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        verifier_hash = base64.urlsafe_b64encode(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
        if rec.headers.get("authorization") != f"Basic {basic}" or form.get("code") != "the-code" or \
                verifier_hash.rstrip(b"=").decode() != self.challenge:
            return web.json_response({"error": "invalid_grant"}, status=400)
        claims = {"iss": self.api.base_url, "aud": CLIENT_ID, "sub": "u-1", "iat": self.now, "exp": self.now + 300,
                  "nonce": self.nonce, **self.subject_claims}
        return {"access_token": "at", "token_type": "Bearer",
                "id_token": jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)}


@pytest.fixture
async def provider():
    async with FakeAPI() as api:
        p = Provider(api)
        api.expect("GET", r"/\.well-known/openid-configuration", times=None, body={
            "issuer": api.base_url, "authorization_endpoint": f"{api.base_url}/authorize",
            "token_endpoint": f"{api.base_url}/token", "jwks_uri": f"{api.base_url}/jwks",
            "response_types_supported": ["code"], "id_token_signing_alg_values_supported": ["RS256"]})
        api.expect("GET", r"/jwks", times=None, body={"keys": [KEY.as_dict(private=False)]})
        api.expect("POST", r"/token", times=None, handler=p.token)
        yield p
        assert not api.unexpected


@pytest.fixture
def config(tmp_path: Path, database_url: str, provider: Provider):
    staff = [{"code": "admin-1", "name": "Admin Kota", "role": "admin", "password_hash": _HASH,
              "email": "admin@jakarta.go.id"},
             {"code": "dlh-1", "name": "Petugas DLH", "role": "agency_officer", "agency": "DLH",
              "email": "Petugas.DLH@jakarta.go.id"}]
    return web_config(tmp_path, database_url, staff=staff, web={"secret_key": WEB_SECRET, "oidc": {
        "issuer": provider.api.base_url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}})


async def _sso(client, provider: Provider, clock, email: str, next: str = "") -> Any:
    provider.now = int(clock.now().timestamp())
    provider.subject_claims = {"email": email}
    start = await client.get("/masuk/sso" + (f"?next={next}" if next else ""))
    assert start.status_code == 302
    location = urlsplit(start.headers["location"])
    assert location.netloc == urlsplit(provider.api.base_url).netloc and location.path == "/authorize"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["client_id"] == CLIENT_ID and query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == "http://aduan.test/masuk/sso/kembali"
    provider.challenge, provider.nonce = query["code_challenge"], query["nonce"]
    return await client.get("/masuk/sso/kembali", params={"code": "the-code", "state": query["state"]})


async def test_officer_signs_in_through_the_provider(client, gateway, provider, clock):
    assert "/masuk/sso" in (await client.get("/masuk")).text
    r = await _sso(client, provider, clock, "petugas.dlh@JAKARTA.go.id", next="/dashboard")
    assert r.status_code == 303 and r.headers["location"] == "/dashboard" and "aduan_staff" in r.cookies
    assert "Petugas DLH" in (await client.get("/dashboard")).text
    rows = await gateway.db.read(lambda c: sd.audit_rows(c, limit=5, staff_code="dlh-1"))
    assert [(r["action"], r["detail"]) for r in rows] == [("signin", '{"method": "oidc"}')]


async def test_admin_through_the_provider_still_gives_a_totp_code(client, gateway, provider, clock):
    r = await _sso(client, provider, clock, "admin@jakarta.go.id")
    assert r.status_code == 200 and 'action="/masuk/2fa-baru"' in r.text and "aduan_staff" not in r.cookies
    secret = r.text.split('<code class="secret">')[1].split("</code>")[0]
    done = await client.post("/masuk/2fa-baru", data={
        "csrf": hidden(r.text, "csrf", "/masuk/2fa-baru"), "pending": hidden(r.text, "pending", "/masuk/2fa-baru"),
        "code": pyotp.TOTP(secret).at(clock.now())})
    assert done.status_code == 200 and "aduan_staff" in done.cookies


async def test_refusals(client, gateway, provider, clock):
    assert (await _sso(client, provider, clock, "nobody@jakarta.go.id")).status_code == 401
    await gateway.db.write(sd.set_active, "dlh-1", False)
    assert (await _sso(client, provider, clock, "petugas.dlh@jakarta.go.id")).status_code == 401
    await gateway.db.write(sd.set_active, "dlh-1", True)
    provider.key = OTHER_KEY  # signed by someone else
    r = await _sso(client, provider, clock, "petugas.dlh@jakarta.go.id")
    assert r.status_code == 502 and "aduan_staff" not in r.cookies
    provider.key = KEY
    provider.now = int(clock.now().timestamp())
    clock.advance(minutes=9)  # the id_token (5 minutes) has expired by the gateway's clock
    provider_now = provider.now
    r = await _sso(client, provider, clock, "petugas.dlh@jakarta.go.id")
    assert r.status_code == 303  # a fresh one is fine
    provider.now = provider_now  # an old token replayed later
    provider.subject_claims = {"email": "petugas.dlh@jakarta.go.id"}
    start = await client.get("/masuk/sso")
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
    provider.challenge, provider.nonce = query["code_challenge"], query["nonce"]
    old = await client.get("/masuk/sso/kembali", params={"code": "the-code", "state": query["state"]})
    assert old.status_code == 502
    forged = await client.get("/masuk/sso/kembali", params={"code": "the-code", "state": "not-the-state"})
    assert forged.status_code == 400
    reasons = [r["detail"] for r in await gateway.db.read(lambda c: sd.audit_rows(c, limit=20, action="signin_failed"))]
    assert sum('"oidc_unknown"' in d for d in reasons) == 2 and sum('"oidc"' in d for d in reasons) == 2
