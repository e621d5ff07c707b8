"""The messaging window in the core: a channel declaring one (here an in-memory channel with nothing
allowed outside it) gets no free-form message 3 days later; the message is recorded as not
deliverable, officers see it in the ticket view, and the same person's other channel is used."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.base import Capabilities
from adapters.contract import MessagingWindow
from bot.clock import FakeClock
from bot.models import InboundMessage
from store import repo
from tests.harness.fake_api import FakeAPI
from tests.memory_adapter import MemoryAdapter
from tests.staff.conftest import REPORTER_PHONE, build_desk

FAST = dict(rate_per_second=1000, burst=1000, per_recipient_per_second=1000, per_recipient_burst=1000)


def windowed(outside: str = "none") -> MemoryAdapter:
    return MemoryAdapter(Capabilities(max_text_length=1000, window=MessagingWindow(24, outside), **FAST))


async def _scene(staff_config: Any, database_url: str, clock: FakeClock, slack_api: FakeAPI,
                 citizen: MemoryAdapter, sms: MemoryAdapter | None) -> tuple[Any, Any, str]:
    extra = [(sms, [])] if sms else []
    gw, desk = await build_desk(staff_config, database_url, clock, slack_api, citizen, extra=extra)
    if sms is not None:  # the same person once texted the SMS line: another way to reach them
        await gw.intake.submit([InboundMessage(channel="sms", external_id="sms-1", sender=REPORTER_PHONE,
                                               text="BANTUAN")])
    tid = await desk.report()
    await desk.pump()
    return gw, desk, tid


async def test_closed_window_is_recorded_shown_to_officers_and_falls_back(
        staff_config: Any, database_url: str, clock: FakeClock, slack_api: FakeAPI, tmp_path: Path) -> None:
    citizen, sms = windowed(), MemoryAdapter(name="sms")
    gw, desk, tid = await _scene(staff_config, database_url, clock, slack_api, citizen, sms)
    try:
        acks = len(citizen.sent)
        assert acks == 1 and tid in citizen.sent[0].text  # inside the window: sent
        clock.advance(days=3)
        await desk.run("U_DLH", f"proses {tid}")
        await desk.pump()
        assert len(citizen.sent) == acks  # nothing free-form outside the window
        fallback = [m for m in sms.sent if tid in m.text]
        assert len(fallback) == 1 and fallback[0].payload["fallback_from"] == "memory"
        view = await desk.run("U_DLH", f"lihat {tid}")
        assert "warga tidak dapat dihubungi di kanalnya" in view
        thread = [text for text in desk.post_texts() if "tidak dapat dihubungi di memory" in text]
        assert len(thread) == 1 and thread[0].endswith("Kabar dikirim lewat sms.")

        def events(conn: Any) -> list[Any]:
            t = repo.ticket_by_tracking_id(conn, tid)
            return [e for e in repo.events_for(conn, t["id"]) if e["kind"] == "undeliverable"]

        (event,) = await gw.db.read(events)
        assert repo.loads(event["data"])["fallback_channel"] == "sms"
    finally:
        await desk.client.aclose()
        await gw.stop()


async def test_inside_the_window_and_after_the_citizen_writes_again(
        staff_config: Any, database_url: str, clock: FakeClock, slack_api: FakeAPI) -> None:
    citizen = windowed()
    gw, desk, tid = await _scene(staff_config, database_url, clock, slack_api, citizen, None)
    try:
        clock.advance(hours=23)
        await desk.run("U_DLH", f"proses {tid}")
        await desk.pump()
        assert len(citizen.sent) == 2 and citizen.sent[-1].outside_window is False
        clock.advance(days=3)
        # CEK <id>: the citizen writes, the window opens again, and the answer goes out.
        await gw.intake.submit([InboundMessage(channel="memory", external_id="cek-1", sender=REPORTER_PHONE,
                                               text=f"CEK {tid}")])
        await desk.pump()
        assert tid in citizen.sent[-1].text and len(citizen.sent) == 3
    finally:
        await desk.client.aclose()
        await gw.stop()


async def test_an_allowed_path_sends_flagged_outside_the_window(
        staff_config: Any, database_url: str, clock: FakeClock, slack_api: FakeAPI) -> None:
    citizen = windowed("tag")
    citizen.outside_window_path = lambda channel, kind, template: "ACCOUNT_UPDATE"  # type: ignore[method-assign]
    gw, desk, tid = await _scene(staff_config, database_url, clock, slack_api, citizen, None)
    try:
        clock.advance(days=3)
        await desk.run("U_DLH", f"proses {tid}")
        await desk.pump()
        assert citizen.sent[-1].outside_window is True and tid in citizen.sent[-1].text
    finally:
        await desk.client.aclose()
        await gw.stop()


async def test_a_long_text_outside_a_template_window_is_one_template(
        staff_config: Any, database_url: str, clock: FakeClock, slack_api: FakeAPI) -> None:
    citizen = MemoryAdapter(Capabilities(max_text_length=60, window=MessagingWindow(24, "template"), **FAST))
    citizen.outside_window_path = lambda channel, kind, template: "HX-status"  # type: ignore[method-assign]
    gw, desk, tid = await _scene(staff_config, database_url, clock, slack_api, citizen, None)
    try:
        assert len(citizen.sent) > 1  # inside the window the long acknowledgement went in parts
        before = len(citizen.sent)
        clock.advance(days=3)
        await desk.run("U_DLH", f"proses {tid}")
        await desk.pump()
        assert len(citizen.sent) == before + 1 and citizen.sent[-1].outside_window is True
    finally:
        await desk.client.aclose()
        await gw.stop()
