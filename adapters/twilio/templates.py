"""WhatsApp outside the 24-hour window: an approved Content API template instead of a free-form Body.

https://www.twilio.com/docs/content/send-templates-created-with-the-content-template-builder
https://www.twilio.com/docs/api/errors/63016
"""
from __future__ import annotations

import json

from adapters.contract.errors import OutsideWindow
from adapters.contract.messages import OutboundMessage
from adapters.twilio.settings import TwilioSettings


def template_content(settings: TwilioSettings, message: OutboundMessage) -> tuple[str, str]:
    """(ContentSid, ContentVariables) for the message's Aduan template, or OutsideWindow when none is set up."""
    name = str(message.payload.get("template") or "")
    template = settings.whatsapp_template(name)
    if template is None:
        raise OutsideWindow(f"no approved WhatsApp template configured for {name or message.kind!r}")
    fields = {str(k): str(v) for k, v in (message.payload.get("fields") or {}).items()}
    fields.setdefault("tracking_id", message.tracking_id or "")
    fields.setdefault("url", message.tracking_url or "")
    # A media-header template takes the photo's path under /media/ (the template holds the base URL).
    fields["media"] = (message.media_url or "").rsplit("/media/", 1)[-1] if message.media_url else ""
    # WhatsApp refuses empty template parameters: a missing value becomes "-".
    values = {str(i): (fields.get(v) or "-")[:1024] for i, v in enumerate(template.variables, start=1)}
    sid = template.sid_for(str(message.payload.get("language") or ""))
    return sid, json.dumps(values, ensure_ascii=False)
