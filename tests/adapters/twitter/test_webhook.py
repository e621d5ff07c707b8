"""Account Activity API webhook: CRC, signatures, real event payloads."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import datetime, timezone

import pytest

from tests.harness.channel_cases import InboundCase, assert_no_secrets_logged, raw_request, run_inbound_case
from tests.adapters.twitter.support import CONSUMER_SECRET, SECRETS, case_bytes, make_adapter

PATH = "/webhooks/twitter"


def x_signature(body: bytes, secret: str = CONSUMER_SECRET) -> str:
    """Signed the way X signs event POSTs, computed here independently."""
    mac = hmac.new(secret.encode(), msg=body, digestmod=hashlib.sha256)
    return "sha256=" + base64.b64encode(mac.digest()).decode()


def signed_post(body: bytes, signature: str | None = "auto") -> object:
    headers = {"Content-Type": "application/json"}
    if signature == "auto":
        headers["X-Twitter-Webhooks-Signature"] = x_signature(body)
    elif signature is not None:
        headers["X-Twitter-Webhooks-Signature"] = signature
    return raw_request("POST", PATH, body, headers)


CRC_TOKEN = "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"
EXPECTED_CRC = {"response_token": x_signature(CRC_TOKEN.encode())}

CASES = [
    InboundCase(
        "crc get",
        raw_request("GET", PATH, query={"crc_token": CRC_TOKEN, "nonce": "MTUyODcz"}),
        status=200,
        body_contains=json.dumps(EXPECTED_CRC),
    ),
    InboundCase("crc without token", raw_request("GET", PATH), status=400),
    InboundCase(
        "mention with coordinates (extended tweet)",
        signed_post(case_bytes("aaa_tweet_mention.json")),
        messages=[{
            "channel": "twitter",
            "external_id": "1790000000000000301",
            "sender": "1500000000000000007",
            "sender_name": None,
            "text": "Saluran air tersumbat di depan SDN 01 Menteng, air meluap ke jalan setiap hujan, "
                    "mohon segera ditangani sebelum musim hujan puncak",
            "latitude": -6.1951,
            "longitude": 106.8320,
            "language": "id",
            "received_at": datetime(2024, 5, 14, 2, 1, tzinfo=timezone.utc),
            "thread_refs": [],
            "reply_context": {"tweet_id": "1790000000000000301", "conversation_id": None,
                              "via": "mention", "username": "gita_p"},
        }],
    ),
    InboundCase(
        "reply in a thread",
        signed_post(case_bytes("aaa_reply_in_thread.json")),
        messages=[{
            "external_id": "1790000000000000305",
            "text": "Sampai sekarang belum ada petugas datang",
            "thread_refs": ["1790000000000000302"],
            "latitude": None,
        }],
    ),
    InboundCase("own tweet and unrelated tweet ignored", signed_post(case_bytes("aaa_own_tweet.json"))),
    InboundCase("event for another subscribed account ignored", signed_post(case_bytes("aaa_other_account.json"))),
    InboundCase(
        "direct message (own DM skipped)",
        signed_post(case_bytes("aaa_direct_message.json")),
        messages=[{
            "external_id": "dm:1800000000000000021",
            "sender": "1500000000000000006",
            "sender_name": None,
            "text": "Ada PKL menutup trotoar di depan Stasiun Juanda",
            "received_at": datetime(2024, 5, 16, 8, 0, tzinfo=timezone.utc),
            "reply_context": {"tweet_id": None, "conversation_id": "1111111111-1500000000000000006",
                              "via": "dm", "username": "fajar_f"},
        }],
    ),
    InboundCase("missing signature", signed_post(case_bytes("aaa_tweet_mention.json"), None), status=403),
    InboundCase(
        "signature with the wrong secret",
        signed_post(case_bytes("aaa_tweet_mention.json"), x_signature(case_bytes("aaa_tweet_mention.json"), "other")),
        status=403,
    ),
    InboundCase("garbage signature", signed_post(b"{}", "sha256=not-base64!"), status=403),
    InboundCase(
        "tampered body",
        raw_request("POST", PATH, case_bytes("aaa_direct_message.json") + b" ",
                    {"x-twitter-webhooks-signature": x_signature(case_bytes("aaa_direct_message.json"))}),
        status=403,
    ),
    InboundCase("malformed JSON", signed_post(b'{"for_user_id": "1111111111", '), status=400),
    InboundCase("JSON but not an object", signed_post(b"[1, 2]"), status=400),
    InboundCase("1,000 nested brackets", signed_post(b"[" * 1000), status=400),
    InboundCase("100,000 nested brackets", signed_post(b"[" * 100_000), status=400),
    InboundCase("unreadable event shape", signed_post(b'{"tweet_create_events": [42]}'), status=400),
    InboundCase("other events ignored", signed_post(b'{"for_user_id": "1111111111", "favorite_events": [{}]}')),
    InboundCase("wrong method", raw_request("PUT", PATH, b"{}"), status=405),
    InboundCase("wrong path", raw_request("GET", "/webhooks/other", query={"crc_token": "x"}), status=404),
]


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_webhook_cases(case: InboundCase, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    adapter = make_adapter()
    try:
        await run_inbound_case(adapter, case)
    finally:
        await adapter.stop()
    assert_no_secrets_logged(caplog, SECRETS)


async def test_crc_answer_is_json() -> None:
    adapter = make_adapter()
    result = await adapter.handle_webhook(raw_request("GET", PATH, query={"crc_token": CRC_TOKEN}))
    assert result.content_type == "application/json"
    assert json.loads(result.body) == EXPECTED_CRC
    await adapter.stop()


async def test_webhook_disabled_is_404() -> None:
    adapter = make_adapter(webhook_enabled=False)
    case = InboundCase("disabled", raw_request("GET", PATH, query={"crc_token": CRC_TOKEN}), status=404)
    await run_inbound_case(adapter, case)
    await adapter.stop()


async def test_handle_never_puts_the_handle_in_text() -> None:
    adapter = make_adapter()
    result = await adapter.handle_webhook(signed_post(case_bytes("aaa_reply_in_thread.json")))
    (message,) = result.messages
    assert "gita_p" not in message.text and "@" not in message.text
    assert message.sender_name is None
    await adapter.stop()
