"""Slack requests: signatures (slack_sdk's own computation), url_verification, event retries."""
from __future__ import annotations

import json
from urllib.parse import urlencode

from sqlalchemy import func, select

from bot.staff.notify import T_DEDUP
from store import repo
from tests.staff.conftest import SIGNING_SECRET, build_desk, citizen_adapter, jpeg, picture

CHALLENGE = {"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
             "type": "url_verification"}


async def test_url_verification_is_answered(desk):
    resp = await desk.post("/webhooks/slack/events", json.dumps(CHALLENGE).encode(), content_type="application/json")
    assert resp.status_code == 200
    assert resp.json() == {"challenge": CHALLENGE["challenge"]}


def _tamper(headers: dict[str, str]) -> dict[str, str]:
    sig = headers["x-slack-signature"]
    return {**headers, "x-slack-signature": sig[:-1] + ("0" if sig[-1] != "0" else "1")}


BAD_SIGNATURES = ["unsigned", "no_timestamp", "wrong_secret", "replayed", "future", "tampered", "not_a_number",
                  "not_v0"]


async def test_bad_signatures_are_401(desk):
    from tests.staff.conftest import signed_headers

    now = int(desk.clock.now().timestamp())
    for path in ("/webhooks/slack/events", "/webhooks/slack/commands"):
        body = json.dumps(CHALLENGE).encode() if path.endswith("events") else urlencode(
            {"command": "/aduan", "text": "daftar", "user_id": "U_ADMIN",
             "response_url": f"{desk.api.base_url}/commands/x"}).encode()
        good = signed_headers(body, now)
        for case in BAD_SIGNATURES:
            headers = {
                "unsigned": {},
                "no_timestamp": {"x-slack-signature": good["x-slack-signature"]},
                "wrong_secret": signed_headers(body, now, secret="another-apps-signing-secret"),
                "replayed": signed_headers(body, now - 301),  # a captured request, 5 minutes later
                "future": signed_headers(body, now + 301),
                "tampered": _tamper(good),
                "not_a_number": {**good, "x-slack-request-timestamp": "yesterday"},
                "not_v0": {**good, "x-slack-signature": good["x-slack-signature"].replace("v0=", "v1=")},
            }[case]
            resp = await desk.client.post(path, content=body, headers={"content-type": "application/json", **headers})
            assert resp.status_code == 401, (path, case, resp.text)
    await desk.gw.staff.drain()
    assert desk.api.matching("POST", r"/commands/.*") == []  # nothing was run


async def test_signature_window_edges(desk):
    now = int(desk.clock.now().timestamp())
    for ts, status in ((now - 299, 200), (now + 299, 200), (now - 300, 200)):
        resp = await desk.post("/webhooks/slack/events", json.dumps(CHALLENGE).encode(),
                               content_type="application/json", timestamp=ts)
        assert resp.status_code == status


async def test_signature_is_over_the_raw_body(desk):
    """Re-serialising the JSON (other spacing) breaks the signature: the raw bytes are signed."""
    from tests.staff.conftest import signed_headers

    body = json.dumps(CHALLENGE).encode()
    headers = signed_headers(body, int(desk.clock.now().timestamp()))
    resp = await desk.client.post("/webhooks/slack/events", content=json.dumps(CHALLENGE, indent=1).encode(),
                                  headers={"content-type": "application/json", **headers})
    assert resp.status_code == 401


async def test_bad_event_bodies_are_4xx(desk):
    for body, status in [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b"[" * 1000, 400),  # issue 10: was a RecursionError, a 500
        (b"[" * 100_000, 400),
        (b'{"type": "event_callback", "event": ' + b'{"a": ' * 1000, 400),
        (json.dumps({"type": "event_callback", "event": {"type": "message"}}).encode(), 400),  # no event_id
        (json.dumps({"type": "url_verification"}).encode(), 400),
        (json.dumps({"type": "app_rate_limited", "minute_rate_limited": 1518467820}).encode(), 200),
    ]:
        resp = await desk.post("/webhooks/slack/events", body, content_type="application/json")
        assert resp.status_code == status, (body, resp.text)


async def test_non_utf8_body_is_401_not_500(desk):
    """slack_sdk verifies text; raw bytes that are not UTF-8 are refused, never a crash."""
    import hashlib
    import hmac

    body, ts = b"\xff\xfe{}", str(int(desk.clock.now().timestamp()))
    mac = hmac.new(SIGNING_SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    resp = await desk.client.post("/webhooks/slack/events", content=body, headers={
        "content-type": "application/json", "x-slack-request-timestamp": ts, "x-slack-signature": f"v0={mac}"})
    assert resp.status_code == 401


async def test_bad_command_forms_are_400(desk):
    for form in [
        {"text": "daftar", "user_id": "U_ADMIN"},  # no command
        {"command": "/aduan", "text": "daftar", "response_url": "https://hooks.slack.com/x"},  # no user
        {"command": "/aduan", "user_id": "U_ADMIN"},  # no response_url
        {"command": "/aduan", "user_id": "U_ADMIN", "response_url": "https://hooks.slack.com/x", "text": "x" * 5000},
    ]:
        resp = await desk.post("/webhooks/slack/commands", urlencode(form).encode(),
                               content_type="application/x-www-form-urlencoded")
        assert resp.status_code == 400, form


async def test_ssl_check_and_get(desk):
    resp = await desk.post("/webhooks/slack/commands", b"ssl_check=1&token=x",
                           content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 200
    assert (await desk.client.get("/webhooks/slack/events")).status_code == 405


async def _photo_events(desk, tid):
    ev = await desk.events(tid)
    return [e for e in ev if e["kind"] == "staff_photo"]


async def test_event_retries_are_deduplicated_by_event_id(desk):
    tid = await desk.report()
    channel, thread_ts = await desk.thread_of(tid)
    event = {"type": "message", "subtype": "file_share", "text": "", "user": "U_DLH",
             "files": [desk.share_file("F0DEDUP1", jpeg(picture(11)))],
             "ts": "1772413300.000100", "thread_ts": thread_ts, "channel": channel}
    assert (await desk.event(event, event_id="Ev0DEDUP")).status_code == 200
    for retry in (1, 2, 3):
        assert (await desk.event(event, event_id="Ev0DEDUP", retry=retry)).status_code == 200
    assert len(await _photo_events(desk, tid)) == 1
    assert len(desk.api.matching("GET", r"/files-pri/.*")) == 1
    dedup = await desk.gw.db.read(lambda c: c.execute(select(func.count()).select_from(T_DEDUP)).scalar())
    assert dedup == 2  # the event and the file


async def test_event_dedup_holds_across_a_restart(desk, staff_config, database_url, clock, slack_api):
    tid = await desk.report()
    channel, thread_ts = await desk.thread_of(tid)
    event = {"type": "message", "subtype": "file_share", "text": "", "user": "U_DLH",
             "files": [desk.share_file("F0RESTART", jpeg(picture(12)))],
             "ts": "1772413300.000100", "thread_ts": thread_ts, "channel": channel}
    assert (await desk.event(event, event_id="Ev0RESTART")).status_code == 200
    # A second gateway process on the same database gets Slack's retry.
    gw2, desk2 = await build_desk(staff_config, database_url, clock, slack_api, citizen_adapter(True))
    try:
        desk2.files.update(desk.files)
        assert (await desk2.event(event, event_id="Ev0RESTART", retry=1)).status_code == 200
    finally:
        await desk2.client.aclose()
        await gw2.stop()
    assert len(await _photo_events(desk, tid)) == 1


async def test_thread_chatter_and_bot_posts_are_ignored(desk):
    """Nothing typed in a Slack thread leaks out: text without a photo is not taken at all."""
    tid = await desk.report()
    channel, thread_ts = await desk.thread_of(tid)
    sent_before = len(desk.citizen.sent)
    out_before = await desk.gw.db.read(lambda c: c.execute(select(func.count()).select_from(repo.T_MESSAGE)
                                                           .where(repo.T_MESSAGE.c.direction == "out")).scalar())
    for event in (
        {"type": "message", "text": "warga ini rewel, abaikan saja", "user": "U_DLH", "ts": "1772413300.1",
         "thread_ts": thread_ts, "channel": channel},
        {"type": "message", "subtype": "bot_message", "text": "x", "bot_id": "B0ADUAN", "ts": "1772413300.2",
         "thread_ts": thread_ts, "channel": channel},
        {"type": "message", "subtype": "file_share", "text": "selesai", "bot_id": "B0ADUAN", "user": "U_DLH",
         "files": [desk.share_file("F0BOT", jpeg(picture(13)))], "ts": "1772413300.3",
         "thread_ts": thread_ts, "channel": channel},
        {"type": "reaction_added", "user": "U_DLH", "reaction": "thumbsup"},
    ):
        assert (await desk.event(event)).status_code == 200
    await desk.pump()
    assert len(desk.citizen.sent) == sent_before
    out_after = await desk.gw.db.read(lambda c: c.execute(select(func.count()).select_from(repo.T_MESSAGE)
                                                          .where(repo.T_MESSAGE.c.direction == "out")).scalar())
    assert out_after == out_before
    assert (await desk.ticket(tid))["status"] == "MENUNGGU"
    kinds = [e["kind"] for e in await desk.events(tid)]
    assert kinds == ["created"]
