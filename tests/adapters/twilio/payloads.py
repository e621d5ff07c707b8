"""Real-format Twilio webhook forms, signed the way Twilio signs them.

Field names and order follow Twilio's inbound message webhook and status
callback requests (https://www.twilio.com/docs/messaging/guides/webhook-request).
"""
from __future__ import annotations

from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from bot.models import RawRequest
from tests.harness.channel_cases import raw_request

ACCOUNT_SID = "AC3f1e5b2c7d9a4e6f8b0c1d2e3f4a5b6c"
AUTH_TOKEN = "9c2f7e41d8b3a6c5e0f1a2b3c4d5e6f7"
SHARED_KEY_SECRET = "wsk_5e8a1c3b9d7f2e4a6c8b0d1f3e5a7c9b"
MESSAGING_SERVICE_SID = "MG0a1b2c3d4e5f60718293a4b5c6d7e8f9"
PUBLIC_BASE = "https://aduan.jakarta.go.id"
INBOUND_URL = PUBLIC_BASE + "/webhooks/twilio"
STATUS_URL = PUBLIC_BASE + "/webhooks/twilio/status"

CITIZEN = "+6281234567890"
LONG_NUMBER = "+628111272206"
SHORT_CODE = "1708"
SID_SMS = "SM0f9e8d7c6b5a49382716a5b4c3d2e1f0"
SID_WA = "SMa1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
SID_MMS = "MM5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a"


def sms_form(
    body: str = "Jalan berlubang di Jl. Kemang Raya depan no. 12, bahaya buat motor",
    *,
    to: str = LONG_NUMBER,
    from_: str = CITIZEN,
    sid: str = SID_SMS,
    account_sid: str = ACCOUNT_SID,
) -> dict[str, str]:
    """An inbound SMS exactly as Twilio posts it (empty geo fields included)."""
    return {
        "ToCountry": "ID",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "JAKARTA",
        "SmsStatus": "received",
        "FromCity": "JAKARTA",
        "Body": body,
        "FromCountry": "ID",
        "To": to,
        "MessagingServiceSid": MESSAGING_SERVICE_SID,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": from_,
        "ApiVersion": "2010-04-01",
    }


def whatsapp_form(
    body: str = "Sampah menumpuk di pinggir kali Ciliwung, RT 05 RW 02",
    *,
    to: str = LONG_NUMBER,
    from_: str = CITIZEN,
    sid: str = SID_WA,
) -> dict[str, str]:
    """An inbound WhatsApp message as Twilio posts it."""
    return {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ProfileName": "Budi Santoso",
        "MessageType": "text",
        "SmsSid": sid,
        "WaId": from_.lstrip("+"),
        "SmsStatus": "received",
        "Body": body,
        "To": "whatsapp:" + to,
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": "whatsapp:" + from_,
        "ApiVersion": "2010-04-01",
        "ChannelMetadata": '{"type":"whatsapp","data":{"context":{"ProfileName":"Budi Santoso","WaId":"%s"}}}'
        % from_.lstrip("+"),
    }


def whatsapp_location_form() -> dict[str, str]:
    """A shared WhatsApp location: no Body, Latitude/Longitude instead."""
    form = whatsapp_form("", sid="SMb2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7")
    form.update(
        {
            "MessageType": "location",
            "Latitude": "-6.2607187",
            "Longitude": "106.8137207",
            "Address": "Jl. Kemang Raya No.12, Jakarta Selatan",
            "Label": "Kemang",
        }
    )
    return form


def with_media(form: dict[str, str], media: list[tuple[str, str]], sid: str = SID_MMS) -> dict[str, str]:
    """``form`` turned into an MMS / WhatsApp media message (url, content type) each."""
    form = dict(form, MessageSid=sid, SmsMessageSid=sid, SmsSid=sid, NumMedia=str(len(media)))
    for i, (url, content_type) in enumerate(media):
        form[f"MediaContentType{i}"] = content_type
        form[f"MediaUrl{i}"] = url
    return form


def status_form(
    status: str,
    *,
    sid: str = "SM7e6d5c4b3a29180f7e6d5c4b3a291807",
    to: str = CITIZEN,
    from_: str = SHORT_CODE,
    error_code: str | None = None,
    whatsapp: bool = False,
) -> dict[str, str]:
    """A message status callback as Twilio posts it."""
    form = {
        "SmsSid": sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": ("whatsapp:" if whatsapp else "") + to,
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": ("whatsapp:" if whatsapp else "") + from_,
        "ApiVersion": "2010-04-01",
    }
    if whatsapp:
        form.update({"ChannelPrefix": "whatsapp", "ChannelInstallSid": "XE0a1b2c3d4e5f60718293a4b5c6d7e8f9",
                     "ChannelToAddress": "+62812345XXXX"})
    if status == "delivered" and not whatsapp:
        form["RawDlrDoneDate"] = "2411281530"
    if error_code is not None:
        form["ErrorCode"] = error_code
    return form


def sign(url: str, form: dict[str, str], token: str = AUTH_TOKEN, algorithm: str | None = None) -> str:
    """X-Twilio-Signature, computed by twilio's own validator."""
    return RequestValidator(token).compute_signature(url, form, algorithm)


def post(
    path: str,
    form: dict[str, str],
    *,
    signed_url: str | None = None,
    signature: str | None = None,
    token: str = AUTH_TOKEN,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    unsigned: bool = False,
) -> RawRequest:
    """A form POST as Twilio makes it, signed for ``signed_url`` (default: the public URL)."""
    url = signed_url or PUBLIC_BASE + path
    all_headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": "TwilioProxy/1.1",
        "I-Twilio-Idempotency-Token": "a6b2a3c1-5d5e-4c3f-9e0a-0d7c2f1e8b44",
        **(headers or {}),
    }
    if not unsigned:
        all_headers["X-Twilio-Signature"] = signature or sign(url, form, token)
    return raw_request("POST", path, urlencode(form).encode(), all_headers, query)


def message_created(form: dict[str, str]) -> dict[str, object]:
    """The Messages.json answer to a created message, as Twilio sends it."""
    sid = "SM" + format(abs(hash((form.get("Body"), form.get("MediaUrl")))), "032x")[:32]
    return {"sid": sid, "status": "queued", "to": form["To"], "from": form["From"], "body": form.get("Body", ""),
            "account_sid": ACCOUNT_SID, "num_media": "0", "num_segments": "1", "direction": "outbound-api",
            "api_version": "2010-04-01", "date_created": "Thu, 28 Nov 2024 08:30:00 +0000",
            "date_updated": "Thu, 28 Nov 2024 08:30:00 +0000", "date_sent": None, "error_code": None,
            "error_message": None, "price": None, "price_unit": "USD", "messaging_service_sid": None,
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json", "subresource_uris": {}}
