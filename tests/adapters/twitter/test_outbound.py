"""Sending through the real tweepy clients against a fake X API."""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import pytest

from adapters.errors import PermanentError, RecipientBlocked, Throttled, TransientError
from adapters.twitter import TwitterAdapter
from bot.models import OutboundMessage
from tests.harness.channel_cases import (
    ExpectedRequest,
    MockResponse,
    OutboundCase,
    assert_no_secrets_logged,
    run_outbound_case,
)
from tests.harness.fake_api import FakeAPI, RecordedRequest
from tests.adapters.twitter.support import NOW, SECRETS, FakeClock, make_adapter

CITIZEN = "1500000000000000002"
MENTION_ID = "1790000000000000103"
TRACKING_ID = "JKT-7K3M-QXP4"
TRACKING_URL = "https://aduan.jakarta.go.id/t/JKT-7K3M-QXP4"
PUBLIC_TEXT = f"Laporan diterima: {TRACKING_ID} {TRACKING_URL}"
# Personal details the private text carries and the public text must not.
PERSONAL = ["Budi", "Santoso", "budi_s", "0812", "3456", "Kebon Sirih 12"]
PRIVATE_TEXT = (
    "Halo Budi Santoso (0812-3456-7890), laporan Anda tentang sampah di Jl. Kebon Sirih 12 "
    f"kami terima dengan nomor {TRACKING_ID}. Pantau di {TRACKING_URL}"
)
STATUS_TEXT = f"{TRACKING_ID}: status Proses. Petugas Suku Dinas LH menuju lokasi di Jl. Kebon Sirih 12."

PHOTO = Path(tempfile.mkdtemp(prefix="aduan-twitter-")) / "bukti.jpg"
PHOTO.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9")

MENTION_CTX = {"tweet_id": MENTION_ID, "conversation_id": MENTION_ID, "via": "mention", "username": "budi_s"}
DM_CTX = {"tweet_id": None, "conversation_id": f"1111111111-{CITIZEN}", "via": "dm", "username": "budi_s"}

TWEETS = r"/2/tweets"
DM = rf"/2/dm_conversations/with/{CITIZEN}/messages"
UPLOAD = r"/upload-host/1\.1/media/upload\.json"
TWEET_OK = {"data": {"id": "1790000000000000999", "text": PUBLIC_TEXT, "edit_history_tweet_ids": ["1790000000000000999"]}}
DM_OK = {"data": {"dm_conversation_id": f"1111111111-{CITIZEN}", "dm_event_id": "1800000000000000777"}}
MEDIA_OK = {"media_id": 1455952740635586573, "media_id_string": "1455952740635586573", "size": 94,
            "expires_after_secs": 86400, "image": {"image_type": "image/jpeg", "w": 1, "h": 1}}
DM_REFUSED = {"detail": "You are not permitted to send Direct Messages to this user.",
              "type": "about:blank", "title": "Forbidden", "status": 403}
DUPLICATE = {"detail": "You are not allowed to create a Tweet with duplicate content.",
             "type": "about:blank", "title": "Forbidden", "status": 403}
SERVICE_UNAVAILABLE = {"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank", "status": 503}
TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}
RESET_HEADERS = {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(NOW) + 120)}


def message(kind: str, text: str, ctx: dict, **extra: object) -> OutboundMessage:
    return OutboundMessage(
        id=7, channel="twitter", recipient=CITIZEN, text=text, kind=kind,
        tracking_id=TRACKING_ID, tracking_url=TRACKING_URL, reply_context=dict(ctx),
        payload={"public_text": PUBLIC_TEXT}, **extra,  # type: ignore[arg-type]
    )


def public_only(req: RecordedRequest) -> bool:
    """The public reply is exactly public_text: nothing personal in it."""
    body = req.json
    text = body["text"]
    return (
        text == PUBLIC_TEXT
        and not any(p.lower() in text.lower() for p in PERSONAL)
        and body["reply"] == {"in_reply_to_tweet_id": MENTION_ID}
        and "media" not in body
        and req.headers["authorization"].startswith("OAuth ")
    )


def multipart_photo(req: RecordedRequest) -> bool:
    return (
        req.headers["content-type"].startswith("multipart/form-data")
        and b'name="media"; filename="bukti.jpg"' in req.body
        and PHOTO.read_bytes() in req.body
        and b'name="media_category"' in req.body and b"dm_image" in req.body
        and req.headers["authorization"].startswith("OAuth ")
    )


CASES = [
    OutboundCase(
        "ack to a mention: public reply with only the public text",
        message("ack", PRIVATE_TEXT, MENTION_CTX),
        [MockResponse("POST", TWEETS, 201, TWEET_OK)],
        [ExpectedRequest("POST", TWEETS, check=public_only)],
        result="1790000000000000999",
    ),
    OutboundCase(
        "status update to a mention reporter: DM",
        message("status", STATUS_TEXT, MENTION_CTX),
        [MockResponse("POST", DM, 201, DM_OK)],
        [ExpectedRequest("POST", DM, json={"text": STATUS_TEXT})],
        result="dm:1800000000000000777",
    ),
    OutboundCase(
        "ack to a DM reporter stays private",
        message("ack", PRIVATE_TEXT, DM_CTX),
        [MockResponse("POST", DM, 201, DM_OK)],
        [ExpectedRequest("POST", DM, json={"text": PRIVATE_TEXT})],
        result="dm:1800000000000000777",
    ),
    OutboundCase(
        "DM refused (403): short public reply in the thread",
        message("status", STATUS_TEXT, MENTION_CTX),
        [MockResponse("POST", DM, 403, DM_REFUSED), MockResponse("POST", TWEETS, 201, TWEET_OK)],
        [ExpectedRequest("POST", DM), ExpectedRequest("POST", TWEETS, check=public_only)],
        result="1790000000000000999",
    ),
    OutboundCase(
        "DM refused for a DM reporter: no public fallback",
        message("status", STATUS_TEXT, DM_CTX),
        [MockResponse("POST", DM, 403, DM_REFUSED)],
        [ExpectedRequest("POST", DM)],
        result=RecipientBlocked,
    ),
    OutboundCase(
        "proof photo: v1.1 upload on the upload host, then DM with media_id",
        message("proof", "Bukti penanganan laporan " + TRACKING_ID, MENTION_CTX,
                media_path=str(PHOTO), media_url=TRACKING_URL + "/bukti.jpg", media_content_type="image/jpeg"),
        [MockResponse("POST", UPLOAD, 200, MEDIA_OK), MockResponse("POST", DM, 201, DM_OK)],
        [
            ExpectedRequest("POST", UPLOAD, check=multipart_photo),
            ExpectedRequest("POST", DM, json={"text": "Bukti penanganan laporan " + TRACKING_ID,
                                              "attachments": [{"media_id": "1455952740635586573"}]}),
        ],
        result="dm:1800000000000000777",
    ),
    OutboundCase(
        "429 on the reply: Throttled",
        message("ack", PRIVATE_TEXT, MENTION_CTX),
        [MockResponse("POST", TWEETS, 429, TOO_MANY, RESET_HEADERS)],
        [ExpectedRequest("POST", TWEETS)],
        result=Throttled,
    ),
    OutboundCase(
        "503 on the reply: TransientError",
        message("ack", PRIVATE_TEXT, MENTION_CTX),
        [MockResponse("POST", TWEETS, 503, SERVICE_UNAVAILABLE)],
        [ExpectedRequest("POST", TWEETS)],
        result=TransientError,
    ),
    OutboundCase(
        "503 on a DM: TransientError (no public fallback)",
        message("status", STATUS_TEXT, MENTION_CTX),
        [MockResponse("POST", DM, 503, SERVICE_UNAVAILABLE)],
        [ExpectedRequest("POST", DM)],
        result=TransientError,
    ),
    OutboundCase(
        "403 on a tweet (duplicate content): PermanentError",
        message("ack", PRIVATE_TEXT, MENTION_CTX),
        [MockResponse("POST", TWEETS, 403, DUPLICATE)],
        [ExpectedRequest("POST", TWEETS)],
        result=PermanentError,
    ),
    OutboundCase(
        "upload 503: TransientError, no DM sent",
        message("proof", "Bukti", MENTION_CTX, media_path=str(PHOTO)),
        [MockResponse("POST", UPLOAD, 503, {"errors": [{"code": 131, "message": "Internal error"}]})],
        [ExpectedRequest("POST", UPLOAD)],
        result=TransientError,
    ),
]


async def _adapter(base_url: str) -> TwitterAdapter:
    adapter = make_adapter(base_url)
    await adapter.start()
    return adapter


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_outbound_cases(case: OutboundCase, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await run_outbound_case(_adapter, case)
    assert_no_secrets_logged(caplog, SECRETS)


async def test_429_sets_retry_after_and_blocks_the_endpoint_until_reset() -> None:
    clock = FakeClock()
    async with FakeAPI() as api:
        api.expect("POST", TWEETS, status=429, body=TOO_MANY, headers=RESET_HEADERS)
        api.expect("POST", TWEETS, status=201, body=TWEET_OK)
        adapter = make_adapter(api.base_url, clock)
        with pytest.raises(Throttled) as first:
            await adapter.send(message("ack", PRIVATE_TEXT, MENTION_CTX))
        assert first.value.retry_after == 120
        assert adapter.throttled_until == {"tweets": NOW + 120}
        assert adapter.health()["state"] == "throttled"

        clock.now += 100  # still inside the window: refused without calling X
        with pytest.raises(Throttled) as second:
            await adapter.send(message("ack", PRIVATE_TEXT, MENTION_CTX))
        assert second.value.retry_after == 20
        assert len(api.matching("POST", TWEETS)) == 1

        # DMs have their own limit and are not blocked by the tweet window.
        api.expect("POST", DM, status=201, body=DM_OK)
        assert await adapter.send(message("status", STATUS_TEXT, MENTION_CTX)) == "dm:1800000000000000777"

        clock.now += 21  # past the reset
        assert await adapter.send(message("ack", PRIVATE_TEXT, MENTION_CTX)) == "1790000000000000999"
        await adapter.stop()
        api.verify()


async def test_24_hour_cap_reset_wins_over_the_15_minute_window() -> None:
    headers = dict(RESET_HEADERS, **{"x-user-limit-24hour-limit": "17", "x-user-limit-24hour-remaining": "0",
                                     "x-user-limit-24hour-reset": str(int(NOW) + 7200)})
    async with FakeAPI() as api:
        api.expect("POST", TWEETS, status=429, body=TOO_MANY, headers=headers)
        adapter = make_adapter(api.base_url)
        with pytest.raises(Throttled) as exc:
            await adapter.send(message("ack", PRIVATE_TEXT, MENTION_CTX))
        assert exc.value.retry_after == 7200
        await adapter.stop()


async def test_network_error_is_transient() -> None:
    async with FakeAPI() as api:
        dead = api.base_url  # nothing listens here once the fake is closed
    adapter = make_adapter(dead)
    with pytest.raises(TransientError):
        await adapter.send(message("ack", PRIVATE_TEXT, MENTION_CTX))
    with pytest.raises(TransientError):
        await adapter.send(message("proof", "Bukti", MENTION_CTX, media_path=str(PHOTO)))
    await adapter.stop()


async def test_missing_or_bad_photo_is_permanent(tmp_path: Path) -> None:
    not_image = tmp_path / "x.jpg"
    not_image.write_bytes(b"<html>not a photo</html>")
    adapter = make_adapter("http://127.0.0.1:9")  # never reached
    for path in (tmp_path / "missing.jpg", not_image):
        with pytest.raises(PermanentError):
            await adapter.send(message("proof", "Bukti", MENTION_CTX, media_path=str(path)))
    await adapter.stop()


async def test_ack_without_public_text_uses_only_id_and_link() -> None:
    async with FakeAPI() as api:
        api.expect("POST", TWEETS, status=201, body=TWEET_OK)
        adapter = make_adapter(api.base_url)
        msg = message("ack", PRIVATE_TEXT, MENTION_CTX)
        msg.payload = {}
        await adapter.send(msg)
        assert api.requests[0].json["text"] == f"{TRACKING_ID} {TRACKING_URL}"
        await adapter.stop()


async def test_public_photos_setting_attaches_media_ids_to_the_public_reply() -> None:
    async with FakeAPI() as api:
        api.expect("POST", DM, status=403, body=DM_REFUSED)
        api.expect("POST", UPLOAD, body=MEDIA_OK)
        api.expect("POST", TWEETS, status=201, body=TWEET_OK)
        adapter = make_adapter(api.base_url, public_photos=True)
        msg = message("proof", "Bukti", MENTION_CTX, media_path=str(PHOTO))
        # The DM upload happens first (dm_image), then the tweet's (tweet_image).
        api.expect("POST", UPLOAD, body=MEDIA_OK)
        assert await adapter.send(msg) == "1790000000000000999"
        tweet = api.matching("POST", TWEETS)[0].json
        assert tweet["media"] == {"media_ids": ["1455952740635586573"]}
        assert tweet["text"] == PUBLIC_TEXT
        uploads = api.matching("POST", UPLOAD)
        assert b"dm_image" in uploads[0].body and b"tweet_image" in uploads[1].body
        await adapter.stop()
        api.verify()


def test_text_fits_counts_like_twitter() -> None:
    adapter = make_adapter()
    assert adapter.text_fits("a" * 280, "twitter")
    assert not adapter.text_fits("a" * 281, "twitter")
    assert not adapter.text_fits("日" * 141, "twitter")  # CJK weighs 2
    assert adapter.text_fits("x " * 100 + "https://example.com/" + "p" * 200, "twitter")  # URL = 23
    assert adapter.capabilities_for("twitter").split_long_text is False
