"""bot/edge_text.py: every inbound string made storable; raw bodies kept exactly."""
from __future__ import annotations

from datetime import datetime, timezone

from bot.edge_text import readable_raw, scrub_inbound, storable_raw, stored_raw_bytes, valid_text, valid_value
from bot.models import InboundAttachment, InboundMessage


def test_lone_surrogates_become_replacement_characters_and_nul_is_dropped():
    assert valid_text("Sampah \ud83d") == "Sampah \ufffd"
    assert valid_text("\udfff a \ud800\udc00") == "\ufffd a \ufffd\ufffd"  # a pair split in code points too
    assert valid_text("Jalan\x00 rusak 😀") == "Jalan rusak 😀"
    assert valid_value({"k\ud800": ["v\udfff", ("t\ud83d", 1)], "n": 2.5}) == {"k\ufffd": ["v\ufffd", ("t\ufffd", 1)],
                                                                           "n": 2.5}


def test_every_string_field_of_a_message_is_scrubbed_recursively():
    when = datetime(2026, 1, 1, tzinfo=timezone.utc)
    photo = InboundAttachment(b"\xff\xd8\xff\x00", "image/jpeg", "a.jpg")
    msg = InboundMessage(channel="telegram", external_id="1:\ud83d", sender="55\x00", text="x\ud83d",
                         sender_name="Siti \udc00", thread_refs=["<a\ud800@x>"], received_at=when,
                         reply_context={"chat": {"title": "t\ud83d", "ids": [1, "i\ud83d"]}}, raw='{"t": "\ud83d"}',
                         attachments=[photo])
    scrub_inbound(msg)
    assert (msg.external_id, msg.sender, msg.text, msg.sender_name) == ("1:\ufffd", "55", "x\ufffd", "Siti \ufffd")
    assert msg.thread_refs == ["<a\ufffd@x>"] and msg.raw == '{"t": "\ufffd"}'
    assert msg.reply_context == {"chat": {"title": "t\ufffd", "ids": [1, "i\ufffd"]}}
    assert msg.received_at == when and msg.attachments == [photo]  # bytes are not text


def test_raw_bodies_round_trip_exactly_as_ascii():
    for raw in (b"\xff\xfe not utf-8", "Sampah \ud83d\x00", "biasa", b""):
        stored = storable_raw(raw)
        assert stored.isascii() and stored.startswith("base64:")
        expected = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
        assert stored_raw_bytes(stored) == expected
    assert readable_raw(storable_raw("Sampah \ud83d")) == "Sampah \ufffd"
    assert readable_raw("plain text kept by an older version") == "plain text kept by an older version"
