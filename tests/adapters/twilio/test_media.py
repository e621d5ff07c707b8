"""Inbound MMS / WhatsApp media, downloaded from a fake Twilio API and CDN."""
from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
from aiohttp import web

from tests.adapters.twilio.payloads import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SID_MMS,
    post,
    sms_form,
    whatsapp_form,
    with_media,
)
from tests.harness.channel_cases import InboundCase, assert_no_secrets_logged, run_inbound_case
from tests.harness.fake_api import FakeAPI

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x11" * 2048 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x22" * 1024
BASIC = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
MEDIA_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{SID_MMS}/Media/ME%02d"


def chunked(body: bytes, content_type: str) -> web.Response:
    """A streamed answer with no Content-Length, so only counting bytes can stop it."""
    response = web.Response(body=body, content_type=content_type)
    response.enable_chunked_encoding()
    return response


@dataclass
class MediaCase:
    label: str
    form: Callable[[list[tuple[str, str]]], dict[str, str]]
    # (MediaUrl on the fake API or "cdn:" path, claimed MediaContentType)
    media: list[tuple[str, str]]
    # Queue fake answers: (api, cdn) -> None
    setup: Callable[[FakeAPI, FakeAPI], None]
    attachments: list[str] = field(default_factory=list)  # sniffed content types
    errors: list[str] = field(default_factory=list)  # substrings, one per dropped item
    check: Callable[[FakeAPI, FakeAPI], None] | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.label


def _two_photos(api: FakeAPI, cdn: FakeAPI) -> None:
    api.expect("GET", MEDIA_PATH % 0, body=JPEG, headers={"Content-Type": "image/jpeg"})
    api.expect("GET", MEDIA_PATH % 1, body=PNG, headers={"Content-Type": "image/png"})


def _basic_auth_on_api(api: FakeAPI, cdn: FakeAPI) -> None:
    assert [r.headers.get("authorization") for r in api.requests] == [BASIC] * len(api.requests)


def _redirect_to_cdn(api: FakeAPI, cdn: FakeAPI) -> None:
    api.expect("GET", MEDIA_PATH % 0, status=307, headers={"Location": cdn.base_url + "/bucket/ME00.jpg?sig=abc"})
    cdn.expect("GET", "/bucket/ME00.jpg", body=JPEG, headers={"Content-Type": "image/jpeg"})


def _no_credentials_to_cdn(api: FakeAPI, cdn: FakeAPI) -> None:
    _basic_auth_on_api(api, cdn)
    assert len(cdn.requests) == 1 and "authorization" not in cdn.requests[0].headers
    assert cdn.requests[0].query == {"sig": "abc"}


def _redirect_same_host(api: FakeAPI, cdn: FakeAPI) -> None:
    api.expect("GET", MEDIA_PATH % 0, status=302, headers={"Location": "/media-cache/ME00"})
    api.expect("GET", "/media-cache/ME00", body=PNG, headers={"Content-Type": "image/png"})


def _redirect_loop(api: FakeAPI, cdn: FakeAPI) -> None:
    api.expect("GET", MEDIA_PATH % 0, status=302, headers={"Location": MEDIA_PATH % 0}, times=None)


MMS = lambda media: with_media(sms_form("Foto jalan rusak terlampir"), media)  # noqa: E731
WA = lambda media: with_media(whatsapp_form("Ini fotonya"), media)  # noqa: E731

CASES = [
    MediaCase(
        "MMS with 2 photos, basic auth to the API",
        MMS,
        [(MEDIA_PATH % 0, "image/jpeg"), (MEDIA_PATH % 1, "image/png")],
        _two_photos,
        attachments=["image/jpeg", "image/png"],
        check=_basic_auth_on_api,
    ),
    MediaCase(
        "WhatsApp photo redirected to a CDN host, credentials not forwarded",
        WA,
        [(MEDIA_PATH % 0, "image/jpeg")],
        _redirect_to_cdn,
        attachments=["image/jpeg"],
        check=_no_credentials_to_cdn,
    ),
    MediaCase(
        "relative redirect on the API host",
        MMS,
        [(MEDIA_PATH % 0, "image/png")],
        _redirect_same_host,
        attachments=["image/png"],
        check=_basic_auth_on_api,
    ),
    MediaCase(
        "oversized photo (Content-Length)",
        MMS,
        [(MEDIA_PATH % 0, "image/jpeg")],
        lambda api, cdn: api.expect("GET", MEDIA_PATH % 0, body=JPEG, headers={"Content-Type": "image/jpeg"}),
        errors=["larger than max_media_bytes"],
        settings={"max_media_bytes": 1024},
    ),
    MediaCase(
        "oversized photo streamed without Content-Length",
        MMS,
        [(MEDIA_PATH % 0, "image/jpeg")],
        lambda api, cdn: api.expect("GET", MEDIA_PATH % 0, handler=lambda r: chunked(JPEG * 50, "image/jpeg")),
        errors=["larger than max_media_bytes"],
        settings={"max_media_bytes": 4096},
    ),
    MediaCase(
        "not an image although it claims image/jpeg",
        WA,
        [(MEDIA_PATH % 0, "image/jpeg")],
        lambda api, cdn: api.expect("GET", MEDIA_PATH % 0, body=b"<html>not a photo</html>", headers={"Content-Type": "image/jpeg"}),
        errors=["not a JPEG, PNG or WebP"],
    ),
    MediaCase(
        "voice note is not downloaded",
        WA,
        [(MEDIA_PATH % 0, "audio/ogg")],
        lambda api, cdn: None,
        errors=["not an image (audio/ogg)"],
    ),
    MediaCase(
        "one photo of two missing (404)",
        MMS,
        [(MEDIA_PATH % 0, "image/jpeg"), (MEDIA_PATH % 1, "image/png")],
        lambda api, cdn: (
            api.expect("GET", MEDIA_PATH % 0, status=404, body={"code": 20404, "message": "not found", "status": 404}),
            api.expect("GET", MEDIA_PATH % 1, body=PNG),
        ),
        attachments=["image/png"],
        errors=["HTTP 404"],
    ),
    MediaCase(
        "redirect loop",
        MMS,
        [(MEDIA_PATH % 0, "image/jpeg")],
        _redirect_loop,
        errors=["too many redirects"],
        settings={"media_max_redirects": 3},
    ),
    MediaCase(
        "media host unreachable",
        MMS,
        [("closed:/ME00", "image/jpeg")],
        lambda api, cdn: None,
        errors=["download failed: ConnectError"],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_inbound_media(make_adapter, unused_tcp_port: int, case: MediaCase, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeAPI() as api, FakeAPI() as cdn:
        case.setup(api, cdn)
        adapter = make_adapter(api.base_url, **case.settings)
        media = [
            (f"http://127.0.0.1:{unused_tcp_port}" + p[len("closed:"):] if p.startswith("closed:") else api.base_url + p, t)
            for p, t in case.media
        ]
        form = case.form(media)

        def attachments_ok(got: list) -> bool:
            return [a.content_type for a in got] == case.attachments and all(
                a.content in (JPEG, PNG) and a.filename.startswith(SID_MMS) for a in got
            )

        def errors_ok(ctx: dict) -> bool:
            errors = ctx.get("media_errors", [])
            return len(errors) == len(case.errors) and all(w in e["error"] for w, e in zip(case.errors, errors))

        expected = {"external_id": SID_MMS, "text": form["Body"], "attachments": attachments_ok, "reply_context": errors_ok}
        await run_inbound_case(adapter, InboundCase(case.label, post("/webhooks/twilio", form), messages=[expected]))
        if case.check:
            case.check(api, cdn)
        api.verify()
        cdn.verify()
        assert adapter.media_errors == len(case.errors)
    assert_no_secrets_logged(caplog, [AUTH_TOKEN, BASIC.split()[1]])


@pytest.mark.parametrize(
    "url,with_credentials",
    [
        ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", True),
        ("https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", True),
        ("http://api.twilio.com/2010-04-01/Accounts/AC1/Media/ME1", False),
        ("https://s3-external-1.amazonaws.com/media.twiliocdn.com/AC1/abc", False),
        ("https://media.twiliocdn.com/AC1/abc", False),
        ("https://evil-twilio.com/x", False),
        ("https://twilio.com.evil.example/x", False),
    ],
)
def test_credentials_only_for_twilio_hosts(adapter, url: str, with_credentials: bool) -> None:
    assert adapter._media._is_twilio(url) is with_credentials
