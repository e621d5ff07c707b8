"""/metrics: scraped through the app and parsed with prometheus_client's own parser."""
from __future__ import annotations

from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from adapters.errors import TransientError
from bot.http.app import create_app
from bot.http.metrics_route import metrics_app
from bot.models import InboundMessage
from tests.conftest import make_config


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def _scrape(client: httpx.AsyncClient, **headers: str) -> dict:
    r = await client.get("/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return _samples(r.text)


async def _report(gateway: Any, external_id: str) -> str:
    (outcome,) = await gateway.intake.submit([InboundMessage(
        channel="memory", external_id=external_id, sender="+6281200000009",
        text="Lampu jalan mati di Jl. Kemang Raya Kel. Bangka")])
    return outcome.tracking_id


async def test_metrics_count_intake_outbox_sends_failures_and_http(gateway, client, memory, clock) -> None:
    before = await _scrape(client)
    tracking_id = await _report(gateway, "met-1")
    queued = await _scrape(client)
    # The ack waits in the memory lane: depth and age per lane, read from the database at scrape time.
    assert _value(queued, "aduan_outbox_queued", lane="memory") == 1
    clock.advance(seconds=90)
    aged = await _scrape(client)
    assert _value(aged, "aduan_outbox_oldest_age_seconds", lane="memory") >= 90
    assert _value(queued, "aduan_intake_messages_total", channel="memory", outcome="new_ticket") == \
        _value(before, "aduan_intake_messages_total", channel="memory", outcome="new_ticket") + 1
    assert _value(queued, "aduan_intake_seconds_count", channel="memory") > \
        _value(before, "aduan_intake_seconds_count", channel="memory")
    assert _value(queued, "aduan_intake_group_commit_size_count") > _value(before, "aduan_intake_group_commit_size_count")

    memory.fail_with(TransientError("provider hiccup"))
    await gateway.dispatcher.run_once()
    clock.advance(seconds=3600)
    await gateway.dispatcher.run_once()
    assert (await client.get(f"/t/{tracking_id}?token=secret-in-query")).status_code == 200
    after = await _scrape(client)
    assert _value(after, "aduan_send_failures_total", channel="memory", kind="TransientError") == \
        _value(before, "aduan_send_failures_total", channel="memory", kind="TransientError") + 1
    assert _value(after, "aduan_sends_total", channel="memory") == \
        _value(before, "aduan_sends_total", channel="memory") + 1
    assert _value(after, "aduan_outbox_queued", lane="memory") == 0
    # HTTP by route template, never by raw path (one series for every ticket).
    assert _value(after, "aduan_http_requests_total", route="/t/{tracking_id}", method="GET", status="200") >= 1
    assert not any(tracking_id in dict(labels).get("route", "") for _, labels in after)
    assert any(name.startswith("process_") for name, _ in after)  # process metrics (Linux)


async def test_metrics_bearer_token(tmp_path, database_url, gateway) -> None:
    gateway.config = make_config(tmp_path, database_url, metrics={"token": "scrape-secret-123"})
    transport = httpx.ASGITransport(app=create_app(gateway))
    async with httpx.AsyncClient(transport=transport, base_url="http://aduan.test") as c:
        assert (await c.get("/metrics")).status_code == 401
        assert (await c.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        assert (await c.get("/metrics", headers={"Authorization": "Bearer scrape-secret-123"})).status_code == 200


async def test_metrics_on_their_own_port_are_off_the_public_app(tmp_path, database_url, gateway) -> None:
    gateway.config = make_config(tmp_path, database_url, metrics={"port": "9464"})
    assert gateway.config.metrics.port == 9464
    public = httpx.ASGITransport(app=create_app(gateway))
    async with httpx.AsyncClient(transport=public, base_url="http://aduan.test") as c:
        assert (await c.get("/metrics")).status_code == 404
    internal = httpx.ASGITransport(app=metrics_app(gateway))
    async with httpx.AsyncClient(transport=internal, base_url="http://127.0.0.1:9464") as c:
        r = await c.get("/metrics")
        assert r.status_code == 200 and "aduan_outbox_queued" in r.text
        assert (await c.get("/docs")).status_code == 404


def test_empty_metrics_settings_from_the_environment_mean_unset(tmp_path) -> None:
    cfg = make_config(tmp_path, metrics={"token": "", "port": ""})
    assert cfg.metrics.token is None and cfg.metrics.port is None
