"""Webhook request checks: the secret header, the JSON body, repeated updates."""
from __future__ import annotations

import hmac
from collections import OrderedDict
from typing import Any

from pydantic import SecretStr

from adapters.contract.errors import WebhookRejected
from adapters.contract.messages import RawRequest
from adapters.jsonbody import parse_json_object

SECRET_HEADER = "x-telegram-bot-api-secret-token"


def verify_secret(request: RawRequest, secret: SecretStr | None) -> None:
    """403 unless the header matches the secret set with setWebhook (constant time)."""
    given = request.header(SECRET_HEADER)
    if secret is None:
        # Without a configured secret anyone could post updates: accept none.
        raise WebhookRejected(403, "telegram webhook is not configured")
    if given is None:
        raise WebhookRejected(403, "missing secret token")
    expected = secret.get_secret_value().encode("utf-8")
    if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected):
        raise WebhookRejected(403, "wrong secret token")


def decode_body(body: bytes) -> tuple[dict[str, Any], str]:
    """The update object and its text; 400 for anything that is not a JSON object."""
    payload = parse_json_object(body)
    text = body.decode("utf-8")
    uid = payload.get("update_id")
    if not isinstance(uid, int) or isinstance(uid, bool):
        raise WebhookRejected(400, "no integer update_id")
    return payload, text


class RecentIds:
    """A bounded in-memory set of update_ids, oldest forgotten first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._ids: OrderedDict[int, None] = OrderedDict()

    def __contains__(self, update_id: int) -> bool:
        return update_id in self._ids

    def add(self, update_id: int) -> None:
        self._ids[update_id] = None
        self._ids.move_to_end(update_id)
        while len(self._ids) > self._size:
            self._ids.popitem(last=False)
