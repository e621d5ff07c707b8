"""The outbox dispatcher: typed errors, backoff, dead letters, splitting, leases."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from adapters.base import Capabilities
from adapters.errors import PermanentError, RecipientBlocked, Throttled, TransientError
from bot.models import InboundMessage
from store import repo


async def _report(gateway, n: int = 1, sender: str = "+628111") -> str:
    (o,) = await gateway.intake.submit([InboundMessage(channel="memory", external_id=f"x{n}-{sender}", sender=sender,
                                                       text="Sampah menumpuk di Kel. Bangka")])
    return o.tracking_id


async def _out(gateway):
    return await gateway.db.read(lambda c: list(c.execute(
        select(repo.T_MESSAGE).where(repo.T_MESSAGE.c.direction == "out").order_by(repo.T_MESSAGE.c.id)).mappings()))


async def test_throttled_waits_for_retry_after(gateway, memory, clock):
    await _report(gateway)
    memory.fail_with(Throttled("slow down", retry_after=30))
    assert await gateway.dispatcher.run_once() == 1
    (row,) = await _out(gateway)
    assert row["status"] == "queued" and row["attempts"] == 0  # throttling is not a failed attempt
    assert row["next_attempt_at"] == clock.now() + timedelta(seconds=30)
    clock.advance(seconds=29)
    assert await gateway.dispatcher.run_once() == 0  # not before retry-after
    assert memory.sent == []
    clock.advance(seconds=2)
    assert await gateway.dispatcher.run_once() == 1
    assert len(memory.sent) == 1
    (row,) = await _out(gateway)
    assert row["status"] == "sent" and row["external_id"] == "memory-1"


async def test_transient_errors_retry_with_backoff_then_deliver(gateway, memory, clock):
    await _report(gateway)
    memory.fail_with(TransientError("502"), TransientError("timeout"))
    await gateway.dispatcher.run_once()
    (row,) = await _out(gateway)
    first_delay = (row["next_attempt_at"] - clock.now()).total_seconds()
    assert row["status"] == "queued" and row["attempts"] == 1
    base = gateway.config.outbox.backoff_base_seconds
    assert base / 2 <= first_delay <= base  # exponential with jitter: attempt 0 -> [base/2, base]
    clock.advance(seconds=first_delay + 0.01)
    await gateway.dispatcher.run_once()
    (row,) = await _out(gateway)
    second_delay = (row["next_attempt_at"] - clock.now()).total_seconds()
    assert row["attempts"] == 2 and base <= second_delay <= 2 * base
    clock.advance(seconds=second_delay + 0.01)
    await gateway.dispatcher.run_once()
    (row,) = await _out(gateway)
    assert row["status"] == "sent" and len(memory.sent) == 1


async def test_permanent_error_fails_without_retry(gateway, memory, clock):
    await _report(gateway)
    memory.fail_with(PermanentError("invalid number"))
    await gateway.dispatcher.run_once()
    (row,) = await _out(gateway)
    assert row["status"] == "failed" and "invalid number" in row["error"]
    clock.advance(hours=5)
    assert await gateway.dispatcher.run_once() == 0


async def test_provider_id_already_on_another_row_keeps_the_sent_outcome(gateway, memory):
    """A provider that reuses an id: the send is still recorded as sent (without its id), on both databases
    (PostgreSQL writes the group without a savepoint and runs it again row by row)."""
    now = gateway.clock.now()
    await gateway.db.write(lambda c: c.execute(repo.T_MESSAGE.insert().values(
        channel="memory", direction="out", external_id="memory-1", recipient="+628999", kind="ack", text="old",
        status="sent", attempts=1, parts_sent=1, lane="memory", created_at=now, updated_at=now,
        next_attempt_at=now, sent_at=now)))
    await _report(gateway)
    assert await gateway.dispatcher.run_once() == 1
    rows = await _out(gateway)
    assert [(r["status"], r["external_id"]) for r in rows] == [("sent", "memory-1"), ("sent", None)]
    assert len(memory.sent) == 1


async def test_retry_horizon_dead_letters_and_requeue(gateway, memory, clock):
    """Transient failures are retried until the message is retry_horizon_hours old, then dead-lettered."""
    await _report(gateway)
    memory.fail_with(*[TransientError("down")] * 1000)
    horizon = timedelta(hours=gateway.config.outbox.retry_horizon_hours)
    start = clock.now()
    attempts = 0
    while True:
        assert await gateway.dispatcher.run_once() == 1
        attempts += 1
        (row,) = await _out(gateway)
        if row["status"] == "dead":
            break
        assert row["status"] == "queued"
        clock.advance(seconds=gateway.config.outbox.backoff_max_seconds + 1)
    assert clock.now() - start >= horizon  # never before the horizon
    assert clock.now() - start < horizon + timedelta(seconds=gateway.config.outbox.backoff_max_seconds + 1)
    assert "dead letter" in row["error"] and row["attempts"] == attempts
    assert await gateway.dispatcher.run_once() == 0
    from store.outbox import requeue

    memory._script.clear()  # the provider is back
    assert await gateway.db.write(requeue, row["id"], clock.now())
    assert await gateway.dispatcher.run_once() == 1
    assert len(memory.sent) == 1


async def test_blocked_recipient_marked_unreachable_and_skipped(gateway, memory):
    tid = await _report(gateway)
    memory.fail_with(RecipientBlocked("bot was blocked by the user"))
    await gateway.dispatcher.run_once()
    reporter = await gateway.db.read(lambda c: c.execute(select(repo.T_REPORTER)).mappings().one())
    assert reporter["unreachable"] and "blocked" in reporter["unreachable_reason"]
    # Later notifications are not queued for an unreachable reporter.
    from bot.tickets import transition

    await gateway.db.write(lambda c: transition(c, gateway.policy, gateway.clock.now(),
                                                repo.ticket_by_tracking_id(c, tid), "PROSES", "staff:t"))
    assert len(await _out(gateway)) == 1


async def test_long_text_is_split_by_capabilities(gateway, memory):
    from bot.outbox import enqueue

    long_text = " ".join(f"kalimat{i}." for i in range(60))  # ~600 chars; memory limit is 160
    await gateway.db.write(lambda c: enqueue(c, gateway.clock.now(), channel="memory", recipient="+62899",
                                             text=long_text, kind="test"))
    await gateway.dispatcher.run_once()
    assert len(memory.sent) > 1
    assert all(len(m.text) <= 160 for m in memory.sent)
    assert " ".join(m.text for m in memory.sent).split() == long_text.split()


async def test_shortening_channel_appends_tracking_link(gateway, memory):
    memory.capabilities = Capabilities(max_text_length=120, split_long_text=False, rate_per_second=1000, burst=1000,
                                       per_recipient_per_second=1000, per_recipient_burst=1000)
    tid = await _report(gateway)
    from bot.outbox import enqueue

    ticket = await gateway.db.read(lambda c: repo.ticket_by_tracking_id(c, tid))
    await gateway.db.write(lambda c: enqueue(c, gateway.clock.now(), channel="memory", recipient="+628111",
                                             text="x " * 200, kind="test", ticket_id=ticket["id"]))
    await gateway.dispatcher.run_once()
    last = memory.sent[-1].text
    assert len(last) <= 120 and last.endswith(f"http://aduan.test/t/{tid}")


async def test_photo_falls_back_to_link_without_photo_support(gateway, memory, tmp_path):
    import io

    from PIL import Image

    from bot.tickets import transition

    tid = await _report(gateway)
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buf, "JPEG")
    stored = gateway.media.put(buf.getvalue())

    def finish(c):
        t = repo.ticket_by_tracking_id(c, tid)
        aid = repo.insert(c, repo.T_ATTACHMENT, dict(sha256=stored.sha256, content_type=stored.content_type,
                                                     size=stored.size, kind="proof", ticket_id=t["id"],
                                                     created_at=gateway.clock.now()))
        t = transition(c, gateway.policy, gateway.clock.now(), t, "PROSES", "staff:t")
        t = transition(c, gateway.policy, gateway.clock.now(), t, "MENUNGGU_VALIDASI", "staff:t")
        transition(c, gateway.policy, gateway.clock.now(), t, "SELESAI", "staff:v", attachment_id=aid)

    await gateway.db.write(finish)
    for _ in range(3):
        await gateway.dispatcher.run_once()
    done = [m for m in memory.sent if m.kind != "rating_ask"][-1]  # the rating ask follows it
    assert done.media_path is None  # memory channel declares no photo support
    # The SELESAI text links the tracking page already: the fallback does not add it a second time.
    whole = " ".join(m.text for m in memory.sent if m.id == done.id)
    import re

    assert len(re.findall(re.escape(f"http://aduan.test/t/{tid}") + r"(?![/?\w])", whole)) == 1


async def test_expired_lease_is_retried_by_another_dispatcher(gateway, memory, clock):
    from store.outbox import lease

    await _report(gateway)
    now = clock.now()
    # A process leases the message and dies without recording anything.
    leased = await gateway.db.write(lease, "memory", "dead-process", now, now + timedelta(seconds=60), 10)
    assert len(leased) == 1
    assert await gateway.dispatcher.run_once() == 0  # still leased
    clock.advance(seconds=61)
    assert await gateway.dispatcher.run_once() == 1
    assert len(memory.sent) == 1


async def test_two_dispatchers_never_send_the_same_message(gateway, memory, clock):
    """Concurrent dispatchers on one database: leases keep every message single."""
    import asyncio

    from bot.dispatcher import Dispatcher

    for i in range(40):
        await _report(gateway, i, sender=f"+62{i:05d}")
    other = Dispatcher(gateway.db, gateway.registry, gateway.media, gateway.templates, clock, gateway.config.outbox,
                       gateway.config.instance.public_base_url)
    for _ in range(5):
        await asyncio.gather(gateway.dispatcher.run_once(), other.run_once())
    ids = [m.id for m in memory.sent]
    assert len(ids) == 40 and len(set(ids)) == 40
