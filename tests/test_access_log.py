"""Access log on by default without query strings; request ID and tracking ID on the lines of a request;
JSON log lines (ADUAN_LOG_FORMAT=json) keep the redaction."""
from __future__ import annotations

import io
import json
import logging

import httpx

from bot.http.app import create_app
from bot.logging_setup import setup_logging
from bot.models import InboundMessage
from tests.conftest import make_config


async def _ticket(gateway) -> str:
    (outcome,) = await gateway.intake.submit([InboundMessage(
        channel="memory", external_id="log-1", sender="+6281200000011",
        text="Jalan berlubang di Jl. Kemang Raya Kel. Bangka")])
    return outcome.tracking_id


async def test_access_log_has_path_without_query_and_the_ids(gateway, client, monkeypatch) -> None:
    tracking_id = await _ticket(gateway)
    stream = io.StringIO()
    monkeypatch.setenv("ADUAN_LOG_FORMAT", "json")
    setup_logging(stream)
    try:
        r = await client.get(f"/t/{tracking_id}?token=s3cr3t-reopen-token", headers={"X-Request-ID": "req-abc-1"})
    finally:
        logging.getLogger().handlers.clear()
    assert r.status_code == 200 and r.headers["x-request-id"] == "req-abc-1"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    (access,) = [line for line in lines if line["logger"] == "aduan.access"]
    assert access["message"].startswith(f"GET /t/{tracking_id} 200 ")
    assert access["request_id"] == "req-abc-1" and access["tracking_id"] == tracking_id
    assert "s3cr3t" not in stream.getvalue()


async def test_request_id_is_generated_when_the_client_sends_a_bad_one(client) -> None:
    r = await client.get("/livez", headers={"X-Request-ID": "bad id\twith spaces"})
    assert r.headers["x-request-id"] != "bad id\twith spaces" and len(r.headers["x-request-id"]) == 32


async def test_access_log_can_be_turned_off(tmp_path, database_url, gateway, caplog) -> None:
    gateway.config = make_config(tmp_path, database_url, http={"access_log": False})
    transport = httpx.ASGITransport(app=create_app(gateway))
    with caplog.at_level(logging.INFO, logger="aduan.access"):
        async with httpx.AsyncClient(transport=transport, base_url="http://aduan.test") as c:
            await c.get("/livez")
    assert not [r for r in caplog.records if r.name == "aduan.access"]


def test_json_lines_are_redacted_and_drop_library_extras(monkeypatch) -> None:
    stream = io.StringIO()
    monkeypatch.setenv("ADUAN_LOG_FORMAT", "json")
    setup_logging(stream)
    try:
        logging.getLogger("telegram.ext").warning("send to %s failed", "budi@example.com",
                                                  extra={"payload": "+6281234567890"})
    finally:
        logging.getLogger().handlers.clear()
    (line,) = [json.loads(x) for x in stream.getvalue().splitlines()]
    assert line["message"] == "send to [email] failed" and line["level"] == "WARNING"
    assert "payload" not in line and "6281234567890" not in stream.getvalue()


def test_alembic_plugin_setup_lines_are_silenced() -> None:
    setup_logging(io.StringIO())
    try:
        assert not logging.getLogger("alembic.runtime.plugins").isEnabledFor(logging.INFO)
    finally:
        logging.getLogger().handlers.clear()
