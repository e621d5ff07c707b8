"""Issue 16: the redacted public text is built only for channels that show replies in public (X)."""
from __future__ import annotations

from sqlalchemy import Connection

from bot.models import InboundMessage
from store import repo
from tests.adapters.twitter.support import make_adapter


def _payloads(conn: Connection) -> list[dict]:
    rows = conn.execute(repo.T_MESSAGE.select().where(repo.T_MESSAGE.c.direction == "out")).mappings()
    return [repo.loads(r["payload"]) for r in rows]


async def test_a_private_channel_reply_carries_no_public_text(gateway):
    msg = InboundMessage(channel="memory", external_id="p1", sender="+6281234567890",
                         text="Sampah menumpuk di Jl. Kemang Raya Kel. Bangka")
    (outcome,) = await gateway.intake.submit([msg])
    (payload,) = await gateway.db.read(_payloads)
    assert payload["tracking_id"] == outcome.tracking_id and "public_text" not in payload
    assert gateway.policy.public_replies("memory") is False


def test_only_x_and_unknown_channels_count_as_public(gateway):
    assert make_adapter("http://127.0.0.1:9").capabilities.public_replies is True
    assert gateway.registry.public_replies("no-such-channel") is True  # the safe side: build it
