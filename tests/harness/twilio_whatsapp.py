"""Twilio's Messages.json as it behaves on WhatsApp, for FakeAPI handlers.

- a free-form ``Body`` more than 24 hours after the person's last message is refused with 63016
  (https://www.twilio.com/docs/api/errors/63016), as is a template sent as ``Body``;
- ``ContentSid`` must be an approved template (20404 otherwise) and ``ContentVariables`` a JSON object
  giving every one of its variables a non-empty text (21656 otherwise); ``Body``/``MediaUrl`` must not
  come with it;
- SMS (no ``whatsapp:`` prefix) has no window.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from aiohttp import web

from tests.harness.fake_api import RecordedRequest

ACCOUNT_SID = "AC" + "0" * 32
WINDOW = timedelta(hours=24)


def twilio_error(code: int, message: str, status: int = 400) -> web.Response:
    return web.json_response({"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                              "status": status}, status=status)


@dataclass
class TwilioWhatsApp:
    now: Callable[[], datetime]
    approved: dict[str, int] = field(default_factory=dict)  # ContentSid -> number of variables
    last_inbound: dict[str, datetime] = field(default_factory=dict)  # "whatsapp:+62..." -> when they wrote
    accepted: list[dict[str, str]] = field(default_factory=list)

    def wrote(self, number: str) -> None:
        self.last_inbound[f"whatsapp:{number}"] = self.now()

    def __call__(self, request: RecordedRequest) -> web.Response:
        form = request.form
        to = form.get("To", "")
        if to.startswith("whatsapp:"):
            refused = self._check_whatsapp(form, to)
            if refused is not None:
                return refused
        self.accepted.append(form)
        sid = f"SM{len(self.accepted):032x}"
        return web.json_response({
            "sid": sid, "status": "queued", "to": to, "from": form.get("From"), "body": form.get("Body", ""),
            "account_sid": ACCOUNT_SID, "num_media": "0", "num_segments": "1", "direction": "outbound-api",
            "api_version": "2010-04-01", "date_created": "Thu, 28 Nov 2024 08:30:00 +0000",
            "date_updated": "Thu, 28 Nov 2024 08:30:00 +0000", "date_sent": None, "error_code": None,
            "error_message": None, "price": None, "price_unit": "USD", "messaging_service_sid": None,
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json", "subresource_uris": {}}, status=201)

    def _check_whatsapp(self, form: dict[str, str], to: str) -> web.Response | None:
        content_sid = form.get("ContentSid")
        if content_sid is None:
            last = self.last_inbound.get(to)
            if last is None or self.now() - last > WINDOW:
                return twilio_error(63016, "Failed to send freeform message because you are outside the allowed "
                                           "window. If you are using WhatsApp, please use a Message Template.")
            return None
        if "Body" in form or "MediaUrl" in form:
            return twilio_error(21619, "A text message body, media URL or ContentSid is required (only one)")
        if content_sid not in self.approved:
            return twilio_error(20404, f"The requested resource {content_sid} was not found", status=404)
        try:
            values = json.loads(form.get("ContentVariables", "{}"))
        except ValueError:
            values = None
        wanted = [str(i) for i in range(1, self.approved[content_sid] + 1)]
        if not isinstance(values, dict) or any(not isinstance(values.get(k), str) or not values[k] for k in wanted):
            return twilio_error(21656, "The ContentVariables Parameter is invalid")
        return None
