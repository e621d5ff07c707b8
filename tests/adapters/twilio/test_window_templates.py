"""WhatsApp outside the 24-hour window: template choice, variables, and 63016."""
from __future__ import annotations

import json

import pytest
from twilio.base.exceptions import TwilioRestException

from adapters.contract.errors import OutsideWindow
from adapters.contract.messages import OutboundMessage
from adapters.twilio.send import map_error
from adapters.twilio.templates import template_content
from tests.adapters.twilio.conftest import make_settings

TEMPLATES = {"status_changed": {"sid": {"id": "HXid", "en": "HXen"}},
             "proof_done": {"sid": {"id": "HXproof"}, "variables": ["tracking_id", "url", "media"]},
             "staff_reply": {"sid": {"id": ""}}}


def message(template: str, language: str = "id", **kw: object) -> OutboundMessage:
    return OutboundMessage(id=1, channel="whatsapp", recipient="+6281234567890", text="x", tracking_id="JKT-7K3M-QXP2",
                           tracking_url="https://lapor.example/t/JKT-7K3M-QXP2", outside_window=True,
                           payload={"template": template, "language": language,
                                    "fields": {"tracking_id": "JKT-7K3M-QXP2", "status": "Proses", "reason": ""}},
                           **kw)  # type: ignore[arg-type]


def test_status_template_by_language() -> None:
    settings = make_settings(whatsapp_templates=TEMPLATES)
    sid, variables = template_content(settings, message("status_changed", "en"))
    assert sid == "HXen"
    assert json.loads(variables) == {"1": "JKT-7K3M-QXP2", "2": "Proses", "3": "https://lapor.example/t/JKT-7K3M-QXP2"}
    assert template_content(settings, message("status_changed", "jv"))[0] == "HXid"  # first configured


def test_proof_with_media_header_and_the_web_variant() -> None:
    settings = make_settings(whatsapp_templates=TEMPLATES)
    sid, variables = template_content(settings, message("proof_done_web", media_url="https://lapor.example/media/abc"))
    assert sid == "HXproof" and json.loads(variables)["3"] == "abc"


def test_unset_or_missing_templates_are_outside_window() -> None:
    settings = make_settings(whatsapp_templates=TEMPLATES)
    for name in ("staff_reply", "ack_appended"):  # an empty SID (unset variable) counts as none
        with pytest.raises(OutsideWindow):
            template_content(settings, message(name))


def test_63016_is_outside_window() -> None:
    exc = TwilioRestException(400, "https://api.twilio.com/x", msg="outside the allowed window", code=63016)
    assert isinstance(map_error(exc, 30.0), OutsideWindow)
