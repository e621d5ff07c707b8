"""Issue 9, point 10: a citizen who does not accept DMs still hears each status
update, as a public reply to their mention carrying only the tracking ID, the
status word and the link."""
from __future__ import annotations

import pytest

from adapters.errors import PermanentError
from bot.channels import build_adapters
from adapters.twitter import TwitterAdapter
from adapters.twitter.failures import dm_refused
from bot.models import OutboundMessage
from tests.adapters.twitter.support import FakeClock, make_settings
from tests.adapters.twitter.test_outbound import (
    CITIZEN, DM, DM_REFUSED, MENTION_CTX, MENTION_ID, PERSONAL, PUBLIC_TEXT, STATUS_TEXT, TRACKING_ID, TRACKING_URL,
    TWEET_OK, TWEETS,
)
from tests.conftest import make_config
from tests.harness.fake_api import FakeAPI

# The v1.1 form of the same refusal, and a 403 that is our own configuration (no dm.write scope).
DM_REFUSED_V11 = {"errors": [{"code": 349, "message": "You cannot send messages to this user."}]}
NOT_FOLLOWING_V11 = {"errors": [{"code": 150, "message": "You cannot send messages to users who are not following you."}]}
BARE_FORBIDDEN = {"title": "Forbidden", "type": "about:blank", "status": 403, "detail": "Forbidden"}


def status_update(language: str = "id") -> OutboundMessage:
    return OutboundMessage(
        id=9, channel="twitter", recipient=CITIZEN, text=STATUS_TEXT, kind="status", tracking_id=TRACKING_ID,
        tracking_url=TRACKING_URL, reply_context=dict(MENTION_CTX),
        payload={"public_text": PUBLIC_TEXT, "event": "status", "tracking_id": TRACKING_ID, "status": "PROSES",
                 "language": language})


def _labels(status: str, language: str | None) -> str:
    return {"id": "Proses", "en": "In progress"}[language or "id"] if status == "PROSES" else status


@pytest.mark.parametrize(("status", "body"), [(403, DM_REFUSED), (403, DM_REFUSED_V11), (403, NOT_FOLLOWING_V11)],
                         ids=["v2-not-permitted", "v1.1-349", "v1.1-150"])
async def test_refused_dm_becomes_a_public_reply_with_id_status_and_link(status, body):
    async with FakeAPI() as api:
        api.expect("POST", DM, status=status, body=body)
        api.expect("POST", TWEETS, status=201, body=TWEET_OK)
        adapter = TwitterAdapter(make_settings(api.base_url), clock=FakeClock(), status_label=_labels)
        try:
            assert await adapter.send(status_update()) == "1790000000000000999"
        finally:
            await adapter.stop()
        (reply,) = api.matching("POST", TWEETS)
        assert reply.json["text"] == f"{TRACKING_ID} Proses {TRACKING_URL}"  # nothing else
        assert reply.json["reply"] == {"in_reply_to_tweet_id": MENTION_ID}
        assert not any(p.lower() in reply.json["text"].lower() for p in PERSONAL)
        api.verify()


async def test_status_word_in_the_reporters_language():
    async with FakeAPI() as api:
        api.expect("POST", DM, status=403, body=DM_REFUSED)
        api.expect("POST", TWEETS, status=201, body=TWEET_OK)
        adapter = TwitterAdapter(make_settings(api.base_url), clock=FakeClock(), status_label=_labels)
        try:
            await adapter.send(status_update("en"))
        finally:
            await adapter.stop()
        assert api.matching("POST", TWEETS)[0].json["text"] == f"{TRACKING_ID} In progress {TRACKING_URL}"


async def test_a_bare_403_is_our_configuration_not_a_refusal():
    """A token without DM permission must not turn every update into a public reply."""
    async with FakeAPI() as api:
        api.expect("POST", DM, status=403, body=BARE_FORBIDDEN)
        adapter = TwitterAdapter(make_settings(api.base_url), clock=FakeClock(), status_label=_labels)
        try:
            with pytest.raises(PermanentError):
                await adapter.send(status_update())
        finally:
            await adapter.stop()
        assert api.matching("POST", TWEETS) == []
        api.verify()


def test_dm_refused_reads_only_the_refusal_forms():
    assert not dm_refused(ValueError("349"))


async def test_the_factory_gives_x_the_configured_status_words(tmp_path):
    config = make_config(tmp_path, channels={"partner": {"enabled": False}, "twitter": {"enabled": True,
        **make_settings().model_dump(mode="json"),
        **{k: v.get_secret_value() for k, v in make_settings().model_dump().items() if hasattr(v, "get_secret_value")},
    }})
    (adapter,) = [a for a, _ in build_adapters(config) if isinstance(a, TwitterAdapter)]
    try:
        assert adapter._status_label("PROSES", "en") == "In progress"
        assert adapter._status_label("MENUNGGU_VALIDASI", "id") == "Menunggu Validasi"
    finally:
        await adapter.stop()
