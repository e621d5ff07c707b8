"""Status callbacks -> DeliveryUpdate."""
from __future__ import annotations

import pytest

from adapters.twilio import TwilioAdapter
from tests.adapters.twilio.payloads import post, status_form
from tests.harness.channel_cases import InboundCase, run_inbound_case

PATH = "/webhooks/twilio/status"
SID = "SM7e6d5c4b3a29180f7e6d5c4b3a291807"


def _update(status: str, channel: str = "sms", code: str | None = None, opted_out: bool = False,
            unreachable: bool = False) -> dict[str, object]:
    return {
        "channel": channel,
        "external_id": SID,
        "status": status,
        "error_code": code,
        "recipient_opted_out": opted_out,
        "recipient_unreachable": unreachable,
    }


CASES = [
    InboundCase("sms delivered", post(PATH, status_form("delivered")), updates=[_update("delivered")]),
    InboundCase("sms sent", post(PATH, status_form("sent")), updates=[_update("sent")]),
    InboundCase(
        "sms failed 21610 (STOP)",
        post(PATH, status_form("failed", error_code="21610")),
        updates=[_update("failed", code="21610", opted_out=True)],
    ),
    InboundCase(
        "whatsapp undelivered 30003",
        post(PATH, status_form("undelivered", error_code="30003", whatsapp=True, from_="+628111272206")),
        updates=[_update("undelivered", "whatsapp", "30003", unreachable=True)],
    ),
    InboundCase(
        "sms failed 21211 invalid number",
        post(PATH, status_form("failed", error_code="21211")),
        updates=[_update("failed", code="21211", unreachable=True)],
    ),
    InboundCase(
        "whatsapp failed 63016 outside the 24 h window",
        post(PATH, status_form("failed", error_code="63016", whatsapp=True)),
        updates=[_update("failed", "whatsapp", "63016")],
    ),
    InboundCase("whatsapp read", post(PATH, status_form("read", whatsapp=True)), updates=[_update("read", "whatsapp")]),
    InboundCase("queued says nothing new", post(PATH, status_form("queued")), updates=[]),
    InboundCase("unknown future status ignored", post(PATH, status_form("teleported")), updates=[]),
    InboundCase("empty ErrorCode", post(PATH, {**status_form("delivered"), "ErrorCode": ""}), updates=[_update("delivered")]),
    InboundCase("bad signature", post(PATH, status_form("delivered"), token="1" * 32), status=403),
    InboundCase(
        "signed for the inbound URL",
        post(PATH, status_form("delivered"), signed_url="https://aduan.jakarta.go.id/webhooks/twilio"),
        status=403,
    ),
    InboundCase("wrong AccountSid", post(PATH, {**status_form("delivered"), "AccountSid": "AC" + "1" * 32}), status=403),
    InboundCase(
        "missing MessageStatus",
        post(PATH, {k: v for k, v in status_form("sent").items() if k not in ("MessageStatus", "SmsStatus")}),
        status=400,
    ),
    InboundCase(
        "missing MessageSid",
        post(PATH, {k: v for k, v in status_form("sent").items() if k != "MessageSid"}),
        status=400,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_status_callback(adapter: TwilioAdapter, case: InboundCase) -> None:
    await run_inbound_case(adapter, case)


async def test_status_answer_is_empty_200(adapter: TwilioAdapter) -> None:
    result = await adapter.handle_webhook(post(PATH, status_form("delivered")))
    assert (result.status, result.body, result.messages) == (200, b"", [])
