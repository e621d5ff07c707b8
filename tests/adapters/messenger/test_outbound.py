"""Messenger Send API against the local Graph fake: bodies, window and tags, error mapping."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from adapters.contract.errors import OutsideWindow, PermanentError, RecipientBlocked, Throttled, TransientError
from adapters.contract.messages import OutboundMessage
from adapters.messenger import MessengerAdapter
from tests.adapters.messenger.conftest import Clock, make_settings
from tests.adapters.messenger.payloads import JPEG, PSID
from tests.harness.graph_fake import GraphFake


def message(text: str = "Laporan JKT-7K3M-QXP2: status sekarang Proses", **kw: object) -> OutboundMessage:
    values: dict = dict(id=1, channel="messenger", recipient=PSID, text=text, tracking_id="JKT-7K3M-QXP2",
                        kind="status", payload={"language": "id"})
    values.update(kw)
    return OutboundMessage(**values)


async def test_text_inside_window_is_a_response_with_the_cek_button(adapter: MessengerAdapter,
                                                                    graph: GraphFake) -> None:
    mid = await adapter.send(message())
    assert mid == "m_000001"
    body = graph.sent[0].body
    assert body["messaging_type"] == "RESPONSE" and "tag" not in body
    assert body["message"]["quick_replies"] == [
        {"content_type": "text", "title": "Cek status", "payload": "CEK JKT-7K3M-QXP2"}]


async def test_rating_buttons_replace_the_cek_button(adapter: MessengerAdapter, graph: GraphFake) -> None:
    buttons = [{"label": str(n), "text": f"NILAI JKT-7K3M-QXP2 {n}"} for n in range(1, 6)]
    await adapter.send(message("Bagaimana penanganan laporan JKT-7K3M-QXP2?", kind="rating_ask",
                               payload={"language": "id", "buttons": buttons}))
    assert graph.sent[0].body["message"]["quick_replies"] == [
        {"content_type": "text", "title": str(n), "payload": f"NILAI JKT-7K3M-QXP2 {n}"} for n in range(1, 6)]


async def test_english_button(adapter: MessengerAdapter, graph: GraphFake) -> None:
    await adapter.send(message(payload={"language": "en"}))
    assert graph.sent[0].body["message"]["quick_replies"][0]["title"] == "Check status"


async def test_outside_window_uses_the_kind_s_tag(adapter: MessengerAdapter, graph: GraphFake, clock: Clock) -> None:
    clock.now += timedelta(days=3)
    with pytest.raises(OutsideWindow):  # what the real API answers to a free-form message now
        await adapter.send(message())
    await adapter.send(message(outside_window=True))
    assert graph.sent[-1].body["messaging_type"] == "MESSAGE_TAG"
    assert graph.sent[-1].body["tag"] == "ACCOUNT_UPDATE"
    await adapter.send(message(kind="staff_reply", outside_window=True))
    assert graph.sent[-1].body["tag"] == "HUMAN_AGENT"


async def test_outside_window_without_an_allowed_tag_is_not_deliverable(adapter: MessengerAdapter,
                                                                         graph: GraphFake) -> None:
    with pytest.raises(OutsideWindow, match="no message tag"):
        await adapter.send(message(kind="ack", outside_window=True))
    assert graph.calls == 0


async def test_photo_is_uploaded_then_the_text(adapter: MessengerAdapter, graph: GraphFake, tmp_path: Path) -> None:
    photo = tmp_path / "bukti.jpg"
    photo.write_bytes(JPEG)
    mid = await adapter.send(message(media_path=str(photo), media_url="https://lapor.example/media/x",
                                     media_content_type="image/jpeg", outside_window=True))
    assert [m.upload for m in graph.sent] == [JPEG, None]
    assert graph.sent[0].body["message"]["attachment"]["type"] == "image"
    assert graph.sent[0].body["tag"] == "ACCOUNT_UPDATE"
    assert mid == graph.sent[1].mid


async def test_photo_by_url(graph: GraphFake, http: httpx.AsyncClient) -> None:
    adapter = MessengerAdapter(make_settings(graph.base_url, photo_by_url=True), http_client=http)
    await adapter.send(message(text="", media_path="/nonexistent", media_url="https://lapor.example/media/x"))
    assert graph.sent[0].body["message"]["attachment"]["payload"]["url"] == "https://lapor.example/media/x"


@pytest.mark.parametrize("fault, error", [("429", Throttled), ("613", Throttled), ("500", TransientError),
                                          ("503", TransientError)])
async def test_rate_limits_and_server_errors(adapter: MessengerAdapter, graph: GraphFake, fault: str,
                                             error: type[Exception]) -> None:
    graph.faults.append(fault)
    with pytest.raises(error):
        await adapter.send(message())
    assert await adapter.send(message()) == "m_000001"  # the retry goes through


async def test_throttle_carries_retry_after(adapter: MessengerAdapter, graph: GraphFake) -> None:
    graph.faults.append("429")
    with pytest.raises(Throttled) as caught:
        await adapter.send(message())
    assert caught.value.retry_after == 2.0


async def test_blocked_and_unknown_people_are_unreachable(adapter: MessengerAdapter, graph: GraphFake) -> None:
    graph.blocked.add(PSID)
    with pytest.raises(RecipientBlocked, match="551"):
        await adapter.send(message())
    with pytest.raises(RecipientBlocked, match="2018001"):
        await adapter.send(message(recipient="1111111111"))


async def test_bad_token_and_bad_recipient_are_permanent(graph: GraphFake, http: httpx.AsyncClient) -> None:
    adapter = MessengerAdapter(make_settings(graph.base_url, page_access_token="wrong"), http_client=http)
    with pytest.raises(PermanentError, match="190"):
        await adapter.send(message())
    with pytest.raises(PermanentError, match="page-scoped"):
        await adapter.send(message(recipient="+6281234"))


async def test_unreachable_graph_is_transient(http: httpx.AsyncClient) -> None:
    adapter = MessengerAdapter(make_settings("http://127.0.0.1:9"), http_client=http)
    with pytest.raises(TransientError):
        await adapter.send(message())


async def test_token_never_in_the_url(adapter: MessengerAdapter, graph: GraphFake) -> None:
    seen: list[str] = []
    original = adapter._http.post

    async def spy(url: str, **kw: object) -> httpx.Response:
        seen.append(url)
        return await original(url, **kw)  # type: ignore[arg-type]

    adapter._http.post = spy  # type: ignore[method-assign]
    await adapter.send(message())
    assert seen and all("access_token" not in u and "EAAG" not in u for u in seen)


async def test_no_secret_in_logs(graph: GraphFake, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    from adapters.messenger import SPEC
    from tests.adapters.messenger.payloads import APP_SECRET, PAGE_TOKEN, VERIFY_TOKEN
    from tests.harness.channel_cases import assert_no_secrets_logged
    from tests.harness.logsafe import production_log_redaction

    settings = make_settings(graph.base_url)
    assert {PAGE_TOKEN, APP_SECRET, VERIFY_TOKEN} <= set(SPEC.log_secrets(settings))
    adapter = MessengerAdapter(settings, http_client=http)
    graph.blocked.add(PSID)
    with production_log_redaction(SPEC, settings), caplog.at_level("DEBUG"):
        with pytest.raises(RecipientBlocked):
            await adapter.send(message())
    assert caplog.records
    assert_no_secrets_logged(caplog, [PAGE_TOKEN, APP_SECRET, VERIFY_TOKEN])
