"""Issue 10, problem 2 and 8: one bad message never fails its neighbours' group commit;
text is made valid at the edge; unparseable bodies stay failed, never answered to "unknown"."""
from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from bot.edge_text import readable_raw, valid_text
from bot.models import InboundMessage
from bot.outbox import UnknownRecipient, enqueue
from store import repo
from tests.conftest import ADMIN_TOKEN, PARTNER_KEY

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
AUTH = {"Authorization": f"Bearer {PARTNER_KEY}", "content-type": "application/json"}
GOOD = 60


def _partner_body(n: int, text: str) -> bytes:
    # Written by hand: json.dumps would refuse nothing, but this is exactly the bytes a client sends.
    return ('{"text": "%s", "reporter_id": "u%d", "idempotency_key": "k%d"}' % (text, n, n)).encode()


async def _rows(gw, **where) -> list[dict]:
    M = repo.T_MESSAGE
    stmt = select(M).where(*[getattr(M.c, k) == v for k, v in where.items()])
    return await gw.db.read(lambda c: [dict(r) for r in c.execute(stmt).mappings()])


async def test_lone_surrogate_partner_report_among_60_does_not_fail_any(client, gateway):
    bodies = [_partner_body(i, f"Sampah menumpuk di Jl. Kemang nomor {i} Kel. Bangka") for i in range(GOOD)]
    bodies.insert(GOOD // 2, _partner_body(999, "Sampah \\ud83d"))
    responses = await asyncio.gather(*[client.post("/api/v1/reports", content=b, headers=AUTH) for b in bodies])
    assert [r.status_code for r in responses] == [201] * (GOOD + 1), [r.text for r in responses if r.status_code != 201]
    bad = responses[GOOD // 2].json()
    ticket = await gateway.db.read(lambda c: repo.ticket_by_tracking_id(c, bad["tracking_id"]))
    assert ticket["description"] == "Sampah \ufffd"  # the lone surrogate became U+FFFD, nothing else lost


async def test_telegram_update_with_lone_surrogates_among_good_messages(gateway):
    from telegram import Bot

    from adapters.telegram.parse import citizen_message, decode_update
    from tests.adapters.telegram import payloads as tg

    user = dict(tg.CITIZEN, first_name="Siti \udc00")
    raw = json.dumps(tg.text_update(9001, 77, "Sampah \ud83d di Kel. Bangka", user=user))
    update = decode_update(json.loads(raw), Bot(tg.TOKEN))
    bad = citizen_message(update, raw, [], [])
    assert bad is not None and "\ud83d" in bad.text
    bad.reply_context["nested"] = {"k\ud800": ["v\udfff"]}
    good = [InboundMessage(channel="memory", external_id=f"g{i}", sender=f"+62811{i:04d}",
                           text=f"Lampu jalan mati nomor {i} Kel. Gambir") for i in range(GOOD)]
    outcomes = await asyncio.gather(*[gateway.intake.submit([m]) for m in good[:30] + [bad] + good[30:]])
    actions = [o.action for (o,) in outcomes]
    assert actions == ["new_ticket"] * (GOOD + 1)
    (row,) = await _rows(gateway, channel="telegram", direction="in")
    assert row["text"] == "Sampah \ufffd di Kel. Bangka" and "\ufffd" in row["reply_context"]
    reporter = await gateway.db.read(lambda c: c.execute(select(repo.T_REPORTER.c.display_name)
                                                          .where(repo.T_REPORTER.c.channel == "telegram")).scalar())
    assert reporter == "Siti \ufffd"


async def test_a_failure_that_is_not_about_text_is_isolated(client, gateway, monkeypatch):
    """The per-message intake raises for one message: the others commit, that one is kept failed."""
    import bot.intake_service as service

    real = service.process_inbound

    def picky(conn, item, rules, now):
        if item.msg.external_id.endswith(":k13"):
            raise RuntimeError("injected failure")
        return real(conn, item, rules, now)

    monkeypatch.setattr(service, "process_inbound", picky)
    bodies = [_partner_body(i, f"Got mampet nomor {i} Kel. Bangka") for i in range(GOOD)]
    responses = await asyncio.gather(*[client.post("/api/v1/reports", content=b, headers=AUTH) for b in bodies])
    codes = [r.status_code for r in responses]
    assert codes[13] == 202 and codes[:13] + codes[14:] == [201] * (GOOD - 1)
    failed = (await client.get("/admin/inbound/failed", headers=ADMIN)).json()
    assert [f["external_id"] for f in failed] == ["jaki:k13"] and "injected failure" in failed[0]["error"]
    assert "k13" in failed[0]["raw"]  # the raw body is kept for inspection


async def test_a_failing_group_commit_is_redone_one_by_one(gateway, monkeypatch):
    """The commit of the whole batch fails (not one message's savepoint): members are committed alone."""
    import bot.intake_service as service

    real = service._process_batch
    calls = []

    def fail_groups(conn, items, rules, now, earlier, kept=None, found=None):
        calls.append(len(items))
        if len(items) > 1 or items[0].msg.external_id == "poison":
            raise RuntimeError("group commit failed")
        return real(conn, items, rules, now, earlier, kept, found)

    monkeypatch.setattr(service, "_process_batch", fail_groups)
    msgs = [InboundMessage(channel="memory", external_id=f"m{i}", sender=f"+62812{i:04d}",
                           text=f"Jalan berlubang nomor {i} Kel. Gambir") for i in range(10)]
    msgs.insert(5, InboundMessage(channel="memory", external_id="poison", sender="+62899", text="Sampah"))
    outcomes = await asyncio.gather(*[gateway.intake.submit([m]) for m in msgs])
    actions = [o.action for (o,) in outcomes]
    assert actions[5] == "failed" and actions[:5] + actions[6:] == ["new_ticket"] * 10
    assert max(calls) > 1  # there was a group commit to fail
    (kept,) = await _rows(gateway, external_id="poison")
    assert kept["status"] == "failed" and "group commit failed" in kept["error"]


async def test_failure_record_keeps_raw_as_base64_and_can_always_be_written(gateway, monkeypatch):
    import bot.intake as intake

    monkeypatch.setattr(intake.Categorizer, "categorize", lambda self, text: (_ for _ in ()).throw(RuntimeError("x")))
    raw = '{"text": "Sampah \ud83d\x00"}'
    (outcome,) = await gateway.intake.submit([InboundMessage(channel="memory", external_id="raw1", sender="+62811",
                                                             text="Sampah \ud83d", raw=raw)])
    assert outcome.action == "failed" and outcome.message_id is not None
    (row,) = await _rows(gateway, external_id="raw1")
    assert row["raw"].startswith("base64:") and row["raw"].isascii()
    assert readable_raw(row["raw"]) == valid_text(raw)


async def test_unparseable_webhook_stays_failed_after_retry_and_nothing_goes_to_unknown(client, gateway, memory,
                                                                                       monkeypatch):
    async def broken(request):
        raise KeyError("field the adapter did not expect")

    monkeypatch.setattr(memory, "handle_webhook", broken)
    body = b'{"surprise": "\xff\xfe not utf-8"}'
    r = await client.post("/webhooks/memory", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 202
    for _ in range(2):
        assert (await client.post("/admin/inbound/retry", headers=ADMIN)).json() == {"retried": 0}
        assert await gateway.intake.retry_failed() == 0
    (failed,) = (await client.get("/admin/inbound/failed", headers=ADMIN)).json()
    assert failed["kind"] == "unparsed" and "KeyError" in failed["error"] and "surprise" in failed["raw"]
    assert await _rows(gateway, direction="out") == []  # no "Mohon tuliskan..." to anyone
    assert await _rows(gateway, recipient="unknown") == []
    assert await gateway.db.read(lambda c: c.execute(select(repo.T_TICKET.c.id)).first()) is None


async def test_operator_discards_a_failed_message(client, gateway, memory, monkeypatch, caplog):
    async def broken(request):
        raise ValueError("cannot parse")

    monkeypatch.setattr(memory, "handle_webhook", broken)
    await client.post("/webhooks/memory", content=b"garbage")
    (failed,) = (await client.get("/admin/inbound/failed", headers=ADMIN)).json()
    assert (await client.post(f"/admin/inbound/{failed['id']}/discard")).status_code == 401
    with caplog.at_level("WARNING"):
        r = await client.post(f"/admin/inbound/{failed['id']}/discard", headers=ADMIN)
    assert r.json() == {"discarded": failed["id"]}
    assert f"discarded failed inbound message {failed['id']}" in caplog.text
    assert (await client.get("/admin/inbound/failed", headers=ADMIN)).json() == []
    assert (await client.post(f"/admin/inbound/{failed['id']}/discard", headers=ADMIN)).status_code == 404
    (row,) = await _rows(gateway, id=failed["id"])
    assert row["status"] == "discarded"  # kept for the record


@pytest.mark.parametrize("recipient", ["unknown", "Unknown", " unknown ", "None"])
async def test_enqueue_refuses_a_placeholder_recipient(gateway, clock, recipient):
    def write(conn):
        return enqueue(conn, clock.now(), channel="slack", recipient=recipient, text="Mohon tuliskan", kind="reply")

    with pytest.raises(UnknownRecipient):
        await gateway.db.write(write)
    assert await _rows(gateway, direction="out") == []


async def test_operator_retry_hands_a_kept_body_to_its_fixed_adapter(client, gateway, memory, monkeypatch):
    """After an adapter fix, POST /admin/inbound/retry re-parses the exact body; secrets were never stored."""
    from bot.models import WebhookResult

    async def broken(request):
        raise KeyError("field the adapter did not expect")

    async def fixed(request):
        data = json.loads(request.body)
        assert request.headers["x-provider-signature"] == "sig-1" and request.query == {"v": "2"}
        return WebhookResult(status=200, messages=[InboundMessage(
            channel="memory", external_id=data["id"], sender=data["from"], text=data["text"])])

    monkeypatch.setattr(memory, "handle_webhook", broken)
    body = json.dumps({"id": "w-1", "from": "+6281277770000", "text": "Pohon tumbang di Kel. Gambir"}).encode()
    r = await client.post("/webhooks/memory?v=2", content=body, headers={
        "content-type": "application/json", "x-provider-signature": "sig-1", "authorization": "Bearer s3cr3t"})
    assert r.status_code == 202
    (kept,) = await _rows(gateway, kind="unparsed")
    assert "s3cr3t" not in (kept["payload"] or "") and "s3cr3t" not in kept["raw"]
    monkeypatch.setattr(memory, "handle_webhook", fixed)
    assert (await client.post("/admin/inbound/retry", headers=ADMIN)).json() == {"retried": 1}
    assert (await client.get("/admin/inbound/failed", headers=ADMIN)).json() == []
    (msg,) = await _rows(gateway, external_id="w-1")
    assert msg["ticket_id"] is not None and msg["status"] == "processed"
