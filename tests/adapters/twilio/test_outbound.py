"""Sending through the real twilio client against a fake Twilio REST API."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from adapters.errors import (
    PermanentError,
    RecipientBlocked,
    RecipientOptedOut,
    Throttled,
    TransientError,
)
from adapters.twilio import TwilioNumber
from adapters.twilio.send import map_error
from bot.models import OutboundMessage
from tests.adapters.twilio.payloads import ACCOUNT_SID, AUTH_TOKEN, CITIZEN, LONG_NUMBER, PUBLIC_BASE, SHORT_CODE
from tests.harness.channel_cases import (
    ExpectedRequest,
    MockResponse,
    OutboundCase,
    assert_no_secrets_logged,
    run_outbound_case,
)
from tests.harness.fake_api import FakeAPI, RecordedRequest

MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
STATUS_CALLBACK = PUBLIC_BASE + "/webhooks/twilio/status"
PHOTO_URL = PUBLIC_BASE + "/t/JKT-7K3M-QXP4/bukti.jpg"
NEW_SID = "SM4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e"


def message_resource(to: str, from_: str, body: str, num_media: str = "0") -> dict[str, Any]:
    """A Message resource as Twilio answers a create (HTTP 201)."""
    return {
        "account_sid": ACCOUNT_SID,
        "api_version": "2010-04-01",
        "body": body,
        "date_created": "Thu, 28 Nov 2024 08:30:00 +0000",
        "date_sent": None,
        "date_updated": "Thu, 28 Nov 2024 08:30:00 +0000",
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": from_,
        "messaging_service_sid": None,
        "num_media": num_media,
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": NEW_SID,
        "status": "queued",
        "subresource_uris": {"media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{NEW_SID}/Media.json"},
        "to": to,
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{NEW_SID}.json",
    }


def twilio_error(status: int, code: int, message: str) -> dict[str, Any]:
    """Twilio's REST error body."""
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


def msg(channel: str = "sms", text: str = "Laporan JKT-7K3M-QXP4 diterima.", **kw: Any) -> OutboundMessage:
    return OutboundMessage(id=41, channel=channel, recipient=CITIZEN, text=text, tracking_id="JKT-7K3M-QXP4", **kw)


def created(to: str = CITIZEN, from_: str = SHORT_CODE, body: str = "") -> MockResponse:
    return MockResponse("POST", MESSAGES, status=201, body=message_resource(to, from_, body))


def no_media(r: RecordedRequest) -> bool:
    return "MediaUrl" not in r.form


def has_basic_auth(r: RecordedRequest) -> bool:
    return r.headers.get("authorization", "").startswith("Basic ")


def failing(status: int, code: int, text: str, headers: dict[str, str] | None = None) -> MockResponse:
    return MockResponse("POST", MESSAGES, status=status, body=twilio_error(status, code, text), headers=headers or {})


def req(form: dict[str, str] | None = None, check=None) -> ExpectedRequest:
    return ExpectedRequest("POST", MESSAGES, form=form, check=check)


MMS_NUMBERS = [TwilioNumber(number="+12025550143", label="us-mms", mms=True)]

# (case, settings overrides)
CASES: list[tuple[OutboundCase, dict[str, Any]]] = [
    (
        OutboundCase(
            "sms reply from the 1708 short code",
            msg(reply_context={"to": SHORT_CODE, "number_label": "lapor-1708"}),
            [created()],
            [
                req(
                    {
                        "To": CITIZEN,
                        "From": SHORT_CODE,
                        "Body": "Laporan JKT-7K3M-QXP4 diterima.",
                        "StatusCallback": STATUS_CALLBACK,
                    },
                    lambda r: no_media(r) and has_basic_auth(r),
                )
            ],
            NEW_SID,
        ),
        {},
    ),
    (
        OutboundCase(
            "sms reply from 08111272206",
            msg(reply_context={"to": LONG_NUMBER}),
            [created(from_=LONG_NUMBER)],
            [req({"To": CITIZEN, "From": LONG_NUMBER})],
            NEW_SID,
        ),
        {},
    ),
    (
        OutboundCase("sms without context: default sender", msg(), [created()], [req({"From": SHORT_CODE})], NEW_SID),
        {},
    ),
    (
        OutboundCase(
            "sms from a number no longer configured: default sender",
            msg(reply_context={"to": "+628000000001"}),
            [created()],
            [req({"From": SHORT_CODE})],
            NEW_SID,
        ),
        {},
    ),
    (
        OutboundCase(
            "whatsapp text",
            msg("whatsapp", "Status laporan JKT-7K3M-QXP4: Proses", reply_context={"to": "whatsapp:" + LONG_NUMBER}),
            [created("whatsapp:" + CITIZEN, "whatsapp:" + LONG_NUMBER)],
            [req({"To": "whatsapp:" + CITIZEN, "From": "whatsapp:" + LONG_NUMBER, "StatusCallback": STATUS_CALLBACK}, no_media)],
            NEW_SID,
        ),
        {},
    ),
    (
        OutboundCase(
            "whatsapp proof photo with caption",
            msg("whatsapp", "Laporan JKT-7K3M-QXP4 selesai. Foto bukti:", media_url=PHOTO_URL,
                media_path="/var/aduan/media/bukti.jpg", media_content_type="image/jpeg"),
            [created("whatsapp:" + CITIZEN, "whatsapp:" + LONG_NUMBER)],
            [req({"To": "whatsapp:" + CITIZEN, "From": "whatsapp:" + LONG_NUMBER,
                  "Body": "Laporan JKT-7K3M-QXP4 selesai. Foto bukti:", "MediaUrl": PHOTO_URL})],
            NEW_SID,
        ),
        {},
    ),
    (
        OutboundCase(
            "MMS proof photo from an MMS number",
            msg(text="Selesai.", media_url=PHOTO_URL, reply_context={"to": "+12025550143"}),
            [created(from_="+12025550143")],
            [req({"From": "+12025550143", "MediaUrl": PHOTO_URL, "Body": "Selesai."})],
            NEW_SID,
        ),
        {"sms_mms": True, "numbers": MMS_NUMBERS},
    ),
    (
        OutboundCase("429 -> Throttled", msg(), [failing(429, 20429, "Too Many Requests", {"Retry-After": "7"})], [req()], Throttled),
        {},
    ),
    (OutboundCase("500 -> TransientError", msg(), [failing(500, 20500, "Internal Server Error")], [req()], TransientError), {}),
    (
        OutboundCase("503 with HTML -> TransientError", msg(), [MockResponse("POST", MESSAGES, 503, "<html>down</html>")], [req()], TransientError),
        {},
    ),
    (
        OutboundCase(
            "21610 -> RecipientOptedOut",
            msg(),
            [failing(400, 21610, "Attempt to send to unsubscribed recipient")],
            [req()],
            RecipientOptedOut,
        ),
        {},
    ),
    (
        OutboundCase(
            "21610 in RFC 9457 form -> RecipientOptedOut",
            msg(),
            [MockResponse("POST", MESSAGES, 400, {"type": "https://www.twilio.com/docs/errors/21610",
                                                   "title": "Unsubscribed recipient", "status": 400, "code": 21610})],
            [req()],
            RecipientOptedOut,
        ),
        {},
    ),
    (
        OutboundCase(
            "21211 -> PermanentError (RecipientBlocked)",
            msg(),
            [failing(400, 21211, "The 'To' number +6281234567890 is not a valid phone number.")],
            [req()],
            RecipientBlocked,
        ),
        {},
    ),
    (
        OutboundCase("21614 -> RecipientBlocked", msg(), [failing(400, 21614, "'To' number is not a valid mobile number")], [req()], RecipientBlocked),
        {},
    ),
    (
        OutboundCase("other 400 -> PermanentError", msg(), [failing(400, 21602, "Message body is required.")], [req()], PermanentError),
        {},
    ),
    (
        OutboundCase("401 -> PermanentError", msg(), [failing(401, 20003, "Authenticate")], [req()], PermanentError),
        {},
    ),
]


@pytest.mark.parametrize("case,overrides", CASES, ids=[str(c) for c, _ in CASES])
async def test_outbound(started_adapter, case: OutboundCase, overrides: dict[str, Any]) -> None:
    async def make(base_url: str):
        return await started_adapter(base_url, **overrides)

    await run_outbound_case(make, case)


def test_21211_is_a_permanent_error() -> None:
    assert issubclass(RecipientBlocked, PermanentError)


async def _send_and_catch(started_adapter, response: MockResponse, **overrides: Any) -> tuple[BaseException, Any]:
    async with FakeAPI() as api:
        api.expect(response.method, response.path, status=response.status, body=response.body, headers=response.headers)
        adapter = await started_adapter(api.base_url, **overrides)
        try:
            with pytest.raises(Exception) as info:
                await adapter.send(msg())
            return info.value, adapter
        finally:
            await adapter.stop()


async def test_throttled_uses_retry_after(started_adapter) -> None:
    exc, _ = await _send_and_catch(started_adapter, failing(429, 20429, "Too Many Requests", {"Retry-After": "7"}))
    assert isinstance(exc, Throttled) and exc.retry_after == 7.0


async def test_throttled_default_retry_after(started_adapter) -> None:
    exc, _ = await _send_and_catch(started_adapter, failing(429, 20429, "Too Many Requests"), default_retry_after=42)
    assert isinstance(exc, Throttled) and exc.retry_after == 42.0


async def test_concurrent_sends_keep_their_own_retry_after(started_adapter) -> None:
    """Retry-After is read per send (a ContextVar), not from a shared 'last response'."""
    async with FakeAPI() as api:
        api.expect("POST", MESSAGES, status=429, body=twilio_error(429, 20429, "slow"), headers={"Retry-After": "3"})
        api.expect("POST", MESSAGES, status=201, body=message_resource(CITIZEN, SHORT_CODE, "x"))
        adapter = await started_adapter(api.base_url, default_retry_after=99)
        try:
            results = await asyncio.gather(adapter.send(msg()), adapter.send(msg()), return_exceptions=True)
        finally:
            await adapter.stop()
    throttled = [r for r in results if isinstance(r, Throttled)]
    assert len(throttled) == 1 and throttled[0].retry_after == 3.0
    assert NEW_SID in results


async def test_401_marks_health(started_adapter, caplog: pytest.LogCaptureFixture) -> None:
    exc, adapter = await _send_and_catch(started_adapter, failing(401, 20003, "Authenticate"))
    assert isinstance(exc, PermanentError)
    assert adapter.auth_failed is True
    assert "HTTP 401" in caplog.text


async def test_connection_refused_is_transient(started_adapter, unused_tcp_port: int) -> None:
    adapter = await started_adapter(f"http://127.0.0.1:{unused_tcp_port}")
    try:
        with pytest.raises(TransientError):
            await adapter.send(msg())
    finally:
        await adapter.stop()


def test_sms_photo_policy_follows_the_sender_number(make_adapter) -> None:
    """A number without MMS gets no photo: the core's renderer then sends the tracking link instead."""
    adapter = make_adapter(sms_mms=True, numbers=MMS_NUMBERS + [TwilioNumber(number=SHORT_CODE, label="short")])
    assert adapter.text_policy("sms", {"to": SHORT_CODE}).photos is False
    assert adapter.text_policy("sms", {"to": MMS_NUMBERS[0].number}).photos is True
    assert make_adapter(sms_mms=False).text_policy("sms", {}).photos is False
    assert adapter.text_policy("sms", {}).links_fit is False and adapter.text_policy("whatsapp", {}).links_fit


async def test_not_started_is_transient(make_adapter) -> None:
    with pytest.raises(TransientError):
        await make_adapter().send(msg())


async def test_unknown_channel_is_permanent(started_adapter) -> None:
    adapter = await started_adapter("http://127.0.0.1:9")
    try:
        with pytest.raises(PermanentError):
            await adapter.send(msg("telegram"))
    finally:
        await adapter.stop()


async def test_whatsapp_without_whatsapp_number_is_permanent(started_adapter) -> None:
    adapter = await started_adapter("http://127.0.0.1:9", numbers=[{"number": SHORT_CODE, "label": "lapor-1708"}])
    try:
        with pytest.raises(PermanentError):
            await adapter.send(msg("whatsapp"))
    finally:
        await adapter.stop()


@pytest.mark.parametrize(
    "exc,expected",
    [
        (asyncio.TimeoutError(), TransientError),
        (ConnectionResetError(), TransientError),
        (ValueError("bad json"), TransientError),
    ],
)
def test_transport_errors_map_to_transient(exc: BaseException, expected: type) -> None:
    assert isinstance(map_error(exc, 30.0), expected)


async def test_environment_edge_is_ignored(started_adapter, monkeypatch: pytest.MonkeyPatch) -> None:
    """TWILIO_EDGE in the environment must not send requests away from the configured base URL."""
    monkeypatch.setenv("TWILIO_EDGE", "singapore")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    case = OutboundCase("edge env", msg(), [created()], [req({"To": CITIZEN})], NEW_SID)
    await run_outbound_case(started_adapter, case)


async def test_no_secrets_logged(started_adapter, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ok = OutboundCase("ok", msg(), [created()], [req()], NEW_SID)
    bad = OutboundCase("401", msg(), [failing(401, 20003, "Authenticate")], [req()], PermanentError)
    for case in (ok, bad):
        await run_outbound_case(started_adapter, case)
    assert "twilio" in caplog.text.lower()  # twilio's own request logging was captured
    import base64

    basic = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert_no_secrets_logged(caplog, [AUTH_TOKEN, basic])


API_KEY_SID = "SK8f7e6d5c4b3a29180f7e6d5c4b3a2918"
API_KEY_SECRET = "k3yS3cr3tV4lu3xxxxxxxxxxxxxxxxxx"


async def test_api_key_used_for_rest(started_adapter) -> None:
    import base64

    expected = "Basic " + base64.b64encode(f"{API_KEY_SID}:{API_KEY_SECRET}".encode()).decode()
    case = OutboundCase(
        "api key",
        msg(),
        [created()],
        [req({"To": CITIZEN}, lambda r: r.headers.get("authorization") == expected)],
        NEW_SID,
    )

    async def make(base_url: str):
        return await started_adapter(base_url, api_key_sid=API_KEY_SID, api_key_secret=API_KEY_SECRET)

    requests = await run_outbound_case(make, case)
    assert requests[0].path == MESSAGES  # still the main account's Messages
