"""End to end on X: a mention (Account Activity webhook) -> ticket -> public
reply with only the tracking ID -> status update by DM -> proof photo
uploaded and sent as media; a 503 is retried then delivered."""
from __future__ import annotations

import itertools

from adapters.twitter import TwitterAdapter
from tests.adapters.twitter.support import case_bytes, make_settings
from tests.adapters.twitter.test_webhook import x_signature
from tests.conftest import make_config
from tests.e2e.flow import asgi_client, drain, finish_with_proof, only_ticket, staff_moves, start_gateway, ticket_count
from tests.harness.fake_api import FakeAPI

AUTHOR = "1500000000000000007"
TWEETS = r"/2/tweets"
DM = rf"/2/dm_conversations/with/{AUTHOR}/messages"
UPLOAD = r"/upload-host/1\.1/media/upload\.json"
_ids = itertools.count(1)


def _tweet(req):
    n = next(_ids)
    return {"data": {"id": f"18000000000000{n:05d}", "text": req.json["text"], "edit_history_tweet_ids": []}}


def _dm(req):
    return {"data": {"dm_conversation_id": f"1111111111-{AUTHOR}", "dm_event_id": f"19000000000000{next(_ids):05d}"}}


async def test_x_mention_flow(tmp_path, database_url, clock):
    async with FakeAPI() as api:
        api.expect("POST", TWEETS, status=201, times=None, handler=_tweet)
        api.expect("POST", DM, status=503, body={"title": "Service Unavailable", "detail": "Service Unavailable",
                                                 "type": "about:blank", "status": 503})
        api.expect("POST", DM, status=201, times=None, handler=_dm)
        api.expect("POST", UPLOAD, times=None, body={"media_id": 1455952740635586573,
                                                     "media_id_string": "1455952740635586573", "size": 94,
                                                     "expires_after_secs": 86400,
                                                     "image": {"image_type": "image/jpeg", "w": 64, "h": 48}})
        adapter = TwitterAdapter(make_settings(api.base_url, poll_mentions=False, poll_dms=False))
        gw = await start_gateway(tmp_path, database_url, clock, adapter, ["/webhooks/twitter"])
        try:
            body = case_bytes("aaa_tweet_mention.json")
            async with asgi_client(gw) as client:
                for _ in range(2):  # X redelivers: still one ticket
                    r = await client.post("/webhooks/twitter", content=body,
                                          headers={"content-type": "application/json",
                                                   "x-twitter-webhooks-signature": x_signature(body)})
                    assert r.status_code == 200
                bad = await client.post("/webhooks/twitter", content=body,
                                        headers={"content-type": "application/json",
                                                 "x-twitter-webhooks-signature": "sha256=AAAA"})
                assert bad.status_code == 403
            assert await ticket_count(gw) == 1
            ticket = await only_ticket(gw)
            assert ticket["latitude"] is not None  # the tweet's coordinates set the location
            tid = ticket["tracking_id"]
            await drain(gw)
            (ack,) = api.matching("POST", TWEETS)
            text = ack.json["text"]
            assert tid in text and ack.json["reply"]["in_reply_to_tweet_id"] == "1790000000000000301"
            for personal in ("Gita", "gita_p", "Permata"):
                assert personal not in text  # nothing personal in public

            await staff_moves(gw, tid, "PROSES")
            await gw.dispatcher.run_once()  # DM answered 503: transient
            clock.advance(seconds=gw.config.outbox.backoff_max_seconds)
            await drain(gw)
            dms = api.matching("POST", DM)
            assert len(dms) == 2 and "Proses" in dms[-1].json["text"]

            await finish_with_proof(gw, tid)
            await drain(gw)
            assert api.matching("POST", UPLOAD), "the proof photo was uploaded"
            last, ask = (r.json for r in api.matching("POST", DM)[-2:])  # SELESAI, then the rating ask
            assert "Balas angka 1-5" in ask["text"]
            assert last["attachments"] == [{"media_id": "1455952740635586573"}]
            assert len(api.matching("POST", TWEETS)) == 1  # updates went privately, not in public
        finally:
            await gw.stop()


async def test_status_update_to_a_citizen_who_refuses_dms(tmp_path, database_url, clock):
    """Issue 9: the DM is refused, so the update goes public with only ID, status word and link."""
    from bot.templates import Templates

    async with FakeAPI() as api:
        api.expect("POST", TWEETS, status=201, times=None, handler=_tweet)
        api.expect("POST", DM, status=403, times=None, body={
            "detail": "You are not permitted to send Direct Messages to this user.", "type": "about:blank",
            "title": "Forbidden", "status": 403})
        settings = make_settings(api.base_url, poll_mentions=False, poll_dms=False)
        config = make_config(tmp_path, database_url)
        labels = Templates(config.templates, config.status_labels, config.instance.default_language)
        adapter = TwitterAdapter(settings, status_label=labels.status_label)
        gw = await start_gateway(tmp_path, database_url, clock, adapter, ["/webhooks/twitter"])
        try:
            body = case_bytes("aaa_tweet_mention.json")
            async with asgi_client(gw) as client:
                r = await client.post("/webhooks/twitter", content=body, headers={
                    "content-type": "application/json", "x-twitter-webhooks-signature": x_signature(body)})
                assert r.status_code == 200
            tid = (await only_ticket(gw))["tracking_id"]
            await drain(gw)
            await staff_moves(gw, tid, "PROSES")
            await drain(gw)
            ack, update = api.matching("POST", TWEETS)
            assert update.json["text"] == f"{tid} Proses http://aduan.test/t/{tid}"
            assert update.json["reply"]["in_reply_to_tweet_id"] == "1790000000000000301"
            assert len(api.matching("POST", DM)) == 1
        finally:
            await gw.stop()
