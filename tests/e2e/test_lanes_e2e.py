"""End to end through the real SDKs: Twilio hangs, and Telegram, email and partner callbacks
are still delivered while every SMS request is held open by the fake."""
from __future__ import annotations

import asyncio

import pytest

from bot.gateway import Gateway
from bot.outbox import enqueue
from tests.adapters.email.harness import RelayRecorder
from tests.conftest import make_config
from tests.e2e.flow import virtual_budget
from tests.harness.provider_fakes import ProviderFakes, channels_config
from tests.harness.waiting import eventually

RECIPIENTS = {"partner": "bench:u{}", "telegram": "{}", "sms": "+62812000{:04d}", "email": "warga{}@example.com"}


async def test_twilio_hanging_holds_only_the_sms_lane(tmp_path, database_url, clock):
    fakes = ProviderFakes()
    fakes.hang_twilio = True
    base = await fakes.start()
    try:
        async with RelayRecorder() as relay:
            config = make_config(tmp_path, database_url, channels=channels_config(base, relay.port),
                                 outbox={"lanes": {"sms": {"concurrency": 2}}})
            gw = Gateway(config, clock=clock, database_url=database_url)
            await gw.start(dispatcher=False, receivers=False, scheduler=False)
            gw.dispatcher.budget = virtual_budget()
            try:
                def fill(conn):
                    for i in range(10):
                        for channel, fmt in RECIPIENTS.items():
                            enqueue(conn, clock.now(), channel=channel, recipient=fmt.format(1000 + i),
                                    text=f"Laporan JKT-7K3M-QXP4 berstatus Proses ({i}).", kind="status")

                await gw.db.write(fill)
                runner = asyncio.create_task(gw.dispatcher.run())
                try:
                    await eventually(lambda: fakes.counts["telegram"] == 10 and fakes.counts["partner"] == 10
                                and len(relay.envelopes) == 10, "telegram, partner and email delivered")
                    # Meanwhile every SMS request is still held open: the SMS lane waits alone.
                    assert fakes.counts["sms"] == 0 and fakes.twilio_waiting == 2
                    fakes.release()
                    await eventually(lambda: fakes.counts["sms"] == 10, "SMS delivered once Twilio answers")
                finally:
                    await gw.dispatcher.stop()
                    await runner
            finally:
                await gw.stop()
    finally:
        await fakes.stop()


class FlakyRelay(RelayRecorder):
    """A relay that answers the next ``failures`` DATA commands with a temporary failure."""

    failures: int = 0

    async def handle_DATA(self, server, session, envelope):  # type: ignore[override]
        if self.failures:
            self.failures -= 1
            return "451 4.3.0 Temporary failure, try again"
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.parametrize("fault", ["429", "503"])
@pytest.mark.parametrize("channel", list(RECIPIENTS))
async def test_order_per_conversation_on_every_channel_under_faults(tmp_path, database_url, clock, channel, fault):
    """The first update to a citizen fails twice at the provider; the next ones wait and arrive in order."""
    import email

    fakes = ProviderFakes()
    base = await fakes.start()
    try:
        async with FlakyRelay() as relay:
            config = make_config(tmp_path, database_url, channels=channels_config(base, relay.port))
            gw = Gateway(config, clock=clock, database_url=database_url)
            await gw.start(dispatcher=False, receivers=False, scheduler=False)
            gw.dispatcher.budget = virtual_budget()
            try:
                citizen, other = (RECIPIENTS[channel].format(n) for n in (1, 2))
                updates = ["Koordinasi", "Proses", "Selesai"]

                def fill(conn):
                    for word in updates:
                        enqueue(conn, clock.now(), channel=channel, recipient=citizen, text=f"Status: {word}.",
                                kind="status")
                    enqueue(conn, clock.now(), channel=channel, recipient=other, text="Status: Diterima.", kind="ack")

                await gw.db.write(fill)
                if channel == "email":
                    relay.failures = 2
                else:
                    fakes.fail(channel, fault, fault)
                for _ in range(12):
                    await gw.dispatcher.run_once()
                    clock.advance(seconds=config.outbox.backoff_max_seconds + 1)
                if channel == "email":
                    got = [(e.rcpt_tos[0], email.message_from_bytes(e.original_content).get_payload(decode=True)
                            .decode().strip()) for e in relay.envelopes]
                else:
                    got = [(r, t) for ch, r, t in fakes.received if ch == channel]
                assert relay.failures == 0 and fakes.pending_faults(channel) == 0  # both faults were answered
                texts = [t for r, t in got if r.endswith(citizen.removeprefix("bench:"))]
                assert [t.split("Status: ")[1].split(".")[0] for t in texts] == updates, got
                assert sum(1 for r, _ in got if r.endswith(other.removeprefix("bench:"))) == 1
            finally:
                await gw.stop()
    finally:
        await fakes.stop()
