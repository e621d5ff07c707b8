"""Inbound SMS / WhatsApp webhooks: real-format Twilio forms, signed by twilio itself."""
from __future__ import annotations

import logging
from urllib.parse import urlencode

import pytest

from adapters.twilio import TwilioAdapter
from adapters.twilio.adapter import EMPTY_TWIML
from tests.adapters.twilio.conftest import NOW
from tests.adapters.twilio.payloads import (
    AUTH_TOKEN,
    CITIZEN,
    INBOUND_URL,
    LONG_NUMBER,
    PUBLIC_BASE,
    SHARED_KEY_SECRET,
    SHORT_CODE,
    SID_SMS,
    SID_WA,
    post,
    sign,
    sms_form,
    whatsapp_form,
    whatsapp_location_form,
)
from tests.harness.channel_cases import InboundCase, assert_no_secrets_logged, raw_request, run_inbound_case

PATH = "/webhooks/twilio"
TWIML = EMPTY_TWIML.decode()


def _without(form: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in form.items() if k not in names}


def _truncated(form: dict[str, str]) -> dict[str, str]:
    """The first half of the encoded body, as a cut-off POST would arrive."""
    from urllib.parse import parse_qsl

    encoded = urlencode(form)
    cut = encoded[: len(encoded) // 2].rsplit("&", 1)[0]
    return dict(parse_qsl(cut, keep_blank_values=True))


ACCEPTED = [
    InboundCase(
        "sms to 08111272206",
        post(PATH, sms_form()),
        status=200,
        body_contains=TWIML,
        messages=[
            {
                "channel": "sms",
                "external_id": SID_SMS,
                "sender": CITIZEN,
                "text": "Jalan berlubang di Jl. Kemang Raya depan no. 12, bahaya buat motor",
                "reply_context": {"to": LONG_NUMBER, "number_label": "sms-08111272206"},
                "raw": urlencode(sms_form()),
                "language": None,
                "received_at": NOW,
                "attachments": [],
                "sender_name": None,
            }
        ],
    ),
    InboundCase(
        "sms to 1708 short code",
        post(PATH, sms_form("LAPOR lampu PJU mati di Jl. Salemba Raya", to=SHORT_CODE)),
        messages=[
            {
                "channel": "sms",
                "sender": CITIZEN,
                "text": "LAPOR lampu PJU mati di Jl. Salemba Raya",
                "reply_context": {"to": SHORT_CODE, "number_label": "lapor-1708"},
            }
        ],
    ),
    InboundCase(
        "command text passes through unchanged",
        post(PATH, sms_form("  cek jkt-7k3m-qxp4 \n")),
        messages=[{"text": "  cek jkt-7k3m-qxp4 \n"}],
    ),
    InboundCase(
        "whatsapp from whatsapp:+62",
        post(PATH, whatsapp_form()),
        body_contains=TWIML,
        messages=[
            {
                "channel": "whatsapp",
                "external_id": SID_WA,
                "sender": CITIZEN,
                "sender_name": "Budi Santoso",
                "text": "Sampah menumpuk di pinggir kali Ciliwung, RT 05 RW 02",
                "reply_context": {"to": "whatsapp:" + LONG_NUMBER, "number_label": "sms-08111272206"},
                "is_location_only": False,
            }
        ],
    ),
    InboundCase(
        "whatsapp with emoji and Indonesian text",
        post(PATH, whatsapp_form("Pohon tumbang 🌳 menutup jalan, tolong segera 🙏")),
        messages=[{"text": "Pohon tumbang 🌳 menutup jalan, tolong segera 🙏"}],
    ),
    InboundCase(
        "whatsapp shared location",
        post(PATH, whatsapp_location_form()),
        messages=[
            {"channel": "whatsapp", "latitude": -6.2607187, "longitude": 106.8137207, "is_location_only": True, "text": ""}
        ],
    ),
    InboundCase(
        "unknown fields Twilio added without notice",
        post(PATH, {**sms_form(), "AddOns": '{"status":"successful"}', "FutureField": "x", "RcsCapable": "false"}),
        messages=[{"external_id": SID_SMS}],
    ),
    InboundCase(
        "webhook URL with a query string",
        post(PATH, sms_form(), signed_url=INBOUND_URL + "?src=lapor+1708&v=2", query={"src": "lapor 1708", "v": "2"}),
        messages=[{"external_id": SID_SMS}],
    ),
    InboundCase(
        "signed with the :443 port in the URL",
        post(PATH, sms_form(), signed_url="https://aduan.jakarta.go.id:443/webhooks/twilio"),
        messages=[{"external_id": SID_SMS}],
    ),
    InboundCase(
        "signed with a SharedKey (HMAC-SHA256 Webhook Rule)",
        post(
            PATH,
            sms_form(),
            signature=sign(INBOUND_URL, sms_form(), SHARED_KEY_SECRET, "HMAC_SHA256"),
            headers={"X-Twilio-Webhooks-Signature-Settings": "key=KS0a1b2c3d,algorithm=HMAC_SHA256"},
        ),
        messages=[{"external_id": SID_SMS}],
    ),
    InboundCase(
        "content type with charset",
        post(PATH, sms_form(), headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}),
        messages=[{"external_id": SID_SMS}],
    ),
    InboundCase(
        "trailing slash on the path",
        post(PATH + "/", sms_form()),
        messages=[{"external_id": SID_SMS}],
    ),
]

# (case, counts as a rejected signature)
REJECTED = [
    (InboundCase("forged signature", post(PATH, sms_form(), token="0" * 32), status=403), True),
    (InboundCase("missing signature", post(PATH, sms_form(), unsigned=True), status=403, body_contains="missing"), True),
    (
        InboundCase(
            "signature for a different URL (internal host behind the proxy)",
            post(PATH, sms_form(), signed_url="http://10.0.0.5:8080/webhooks/twilio"),
            status=403,
        ),
        True,
    ),
    (
        InboundCase(
            "signature for the status URL replayed on the inbound URL",
            post(PATH, sms_form(), signed_url=PUBLIC_BASE + "/webhooks/twilio/status"),
            status=403,
        ),
        True,
    ),
    (
        InboundCase(
            "body changed after signing",
            raw_request(
                "POST",
                PATH,
                urlencode(sms_form("STOP")).encode(),
                {"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": sign(INBOUND_URL, sms_form())},
            ),
            status=403,
        ),
        True,
    ),
    (
        InboundCase(
            "SharedKey header but signed with the auth token",
            post(PATH, sms_form(), headers={"X-Twilio-Webhooks-Signature-Settings": "key=KS0a1b2c3d,algorithm=HMAC_SHA256"}),
            status=403,
        ),
        True,
    ),
    (InboundCase("wrong AccountSid", post(PATH, sms_form(account_sid="AC" + "9" * 32)), status=403, body_contains="AccountSid"), False),
    (InboundCase("missing MessageSid", post(PATH, _without(sms_form(), "MessageSid")), status=400, body_contains="MessageSid"), False),
    (InboundCase("missing From", post(PATH, _without(sms_form(), "From")), status=400, body_contains="From"), False),
    (InboundCase("missing To", post(PATH, _without(sms_form(), "To")), status=400, body_contains="To"), False),
    (InboundCase("truncated form", post(PATH, _truncated(sms_form())), status=400), False),
    (InboundCase("bad NumMedia", post(PATH, {**sms_form(), "NumMedia": "dua"}), status=400, body_contains="NumMedia"), False),
    (InboundCase("NumMedia over 10", post(PATH, {**sms_form(), "NumMedia": "11"}), status=400, body_contains="NumMedia"), False),
    (InboundCase("NumMedia without MediaUrl", post(PATH, {**sms_form(), "NumMedia": "1"}), status=400, body_contains="MediaUrl0"), False),
    (
        InboundCase(
            "8-bit garbage body",
            raw_request("POST", PATH, b"\xff\xfe\x00Body=\x80\x81&From=\xc3", {"content-type": "application/x-www-form-urlencoded"}),
            status=400,
        ),
        False,
    ),
    (
        InboundCase(
            "percent-encoded invalid UTF-8",
            raw_request("POST", PATH, b"Body=%FF%FE&From=%2B62", {"content-type": "application/x-www-form-urlencoded"}),
            status=400,
        ),
        False,
    ),
    (InboundCase("unknown To number", post(PATH, sms_form(to="+628999999999")), status=404, body_contains="To"), False),
    (InboundCase("Messenger address", post(PATH, sms_form(from_="messenger:1234567890")), status=400), False),
    (
        InboundCase(
            "JSON body",
            raw_request("POST", PATH, b'{"MessageSid": "SM1"}', {"content-type": "application/json"}),
            status=415,
        ),
        False,
    ),
    (InboundCase("GET request", raw_request("GET", PATH, query={"MessageSid": SID_SMS}), status=405), False),
    (InboundCase("unknown path", post("/webhooks/twilio/other", sms_form()), status=404), False),
    (InboundCase("oversized form", post(PATH, sms_form("x" * 300_000)), status=413), False),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=str)
async def test_inbound_accepted(adapter: TwilioAdapter, case: InboundCase) -> None:
    await run_inbound_case(adapter, case)
    assert adapter.rejected_signatures == 0


@pytest.mark.parametrize("case,signature_rejection", REJECTED, ids=[str(c) for c, _ in REJECTED])
async def test_inbound_rejected(adapter: TwilioAdapter, case: InboundCase, signature_rejection: bool) -> None:
    await run_inbound_case(adapter, case)
    assert adapter.rejected_signatures == (1 if signature_rejection else 0)
    assert adapter.rejected_requests == 1
    assert adapter.health()["rejected_signatures"] == adapter.rejected_signatures


async def test_answer_is_empty_twiml(adapter: TwilioAdapter) -> None:
    result = await adapter.handle_webhook(post(PATH, sms_form()))
    assert (result.status, result.body, result.content_type) == (
        200,
        b'<?xml version="1.0" encoding="UTF-8"?><Response/>',
        "text/xml",
    )


async def test_base_url_with_path_prefix(make_adapter) -> None:
    """Behind a proxy mounting Aduan under /aduan: the signed URL has the prefix."""
    adapter = make_adapter()
    adapter.public_base_url = PUBLIC_BASE + "/aduan"
    case = InboundCase(
        "prefixed", post(PATH, sms_form(), signed_url=PUBLIC_BASE + "/aduan/webhooks/twilio"), messages=[{}]
    )
    await run_inbound_case(adapter, case)


async def test_shared_key_not_configured_is_rejected(make_adapter) -> None:
    adapter = make_adapter(webhook_shared_key_secret=None)
    request = post(
        PATH,
        sms_form(),
        signature=sign(INBOUND_URL, sms_form(), SHARED_KEY_SECRET, "HMAC_SHA256"),
        headers={"X-Twilio-Webhooks-Signature-Settings": "key=KS0a1b2c3d,algorithm=HMAC_SHA256"},
    )
    await run_inbound_case(adapter, InboundCase("no shared key", request, status=403, body_contains="SharedKey"))


async def test_whatsapp_to_number_not_flagged_is_kept(make_adapter, caplog: pytest.LogCaptureFixture) -> None:
    """Twilio delivered it, so the number is on WhatsApp: a config flag must not lose it."""
    adapter = make_adapter(numbers=[{"number": LONG_NUMBER, "label": "sms-08111272206"}])
    await run_inbound_case(adapter, InboundCase("wa", post(PATH, whatsapp_form()), messages=[{"channel": "whatsapp"}]))
    assert "not flagged whatsapp" in caplog.text


async def test_rejections_logged_without_secrets(adapter: TwilioAdapter, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for case, _ in REJECTED:
        await run_inbound_case(adapter, case)
    assert adapter.rejected_signatures == sum(1 for _, sig in REJECTED if sig)
    assert "X-Twilio-Signature does not match" in caplog.text
    signatures = [c.request.header("x-twilio-signature") or "" for c, _ in REJECTED]
    assert_no_secrets_logged(caplog, [AUTH_TOKEN, SHARED_KEY_SECRET, *signatures])
