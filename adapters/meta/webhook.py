"""Meta webhooks: the verification handshake (GET) and the signature on every POST.

https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests
https://developers.facebook.com/docs/graph-api/webhooks/getting-started#event-notifications
"""
from __future__ import annotations

import hashlib
import hmac

from adapters.contract.errors import WebhookRejected
from adapters.contract.messages import RawRequest, WebhookResult

SIGNATURE_HEADER = "x-hub-signature-256"
_PREFIX = "sha256="


def answer_handshake(request: RawRequest, verify_token: str) -> WebhookResult:
    """Echo ``hub.challenge`` when ``hub.mode`` is subscribe and the verify token is ours; 403 otherwise."""
    query = request.query
    if query.get("hub.mode") != "subscribe":
        raise WebhookRejected(400, "hub.mode must be subscribe")
    given = query.get("hub.verify_token") or ""
    if not verify_token or not hmac.compare_digest(given.encode(), verify_token.encode()):
        raise WebhookRejected(403, "hub.verify_token does not match")
    challenge = query.get("hub.challenge") or ""
    if not challenge or len(challenge) > 256:
        raise WebhookRejected(400, "hub.challenge missing or too long")
    return WebhookResult(status=200, body=challenge.encode(), content_type="text/plain; charset=utf-8")


def sign(body: bytes, app_secret: str) -> str:
    """The header value Meta sends: "sha256=" + HMAC-SHA256 of the raw body with the app secret."""
    return _PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def check_signature(request: RawRequest, app_secret: str) -> None:
    """403 unless X-Hub-Signature-256 is the HMAC of the raw body (nothing is parsed before this)."""
    given = request.header(SIGNATURE_HEADER) or ""
    if not given:
        raise WebhookRejected(403, "missing X-Hub-Signature-256")
    if not given.startswith(_PREFIX):
        raise WebhookRejected(403, "X-Hub-Signature-256 is not sha256=<hex>")
    if not hmac.compare_digest(given.lower().encode(), sign(request.body, app_secret).encode()):
        raise WebhookRejected(403, "X-Hub-Signature-256 does not match")
