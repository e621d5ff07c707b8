"""Issue 10, problem 6: image bombs are refused from their header, before any decode."""
from __future__ import annotations

import resource

import pytest
from sqlalchemy import select

from bot.models import InboundAttachment, InboundMessage
from store import repo
from store.media import MediaRejected, MediaStore, check_pixels
from tests.harness.bombs import BOMBS, png

MiB = 1024 * 1024


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


@pytest.mark.parametrize("name", list(BOMBS))
def test_media_store_refuses_bombs_before_decoding(tmp_path, name, monkeypatch):
    from PIL import ImageFile

    def no_decoding(self):
        raise AssertionError("a pixel was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    store = MediaStore(tmp_path, 10 * MiB, max_pixels=40_000_000)
    before = _peak_rss()
    with pytest.raises(MediaRejected) as err:
        store.put(BOMBS[name])
    assert err.value.code == "too_many_pixels" and "40 megapixels" in str(err.value)
    # Decoding even the smallest of these would take 300+ MB; the refusal took (almost) nothing.
    assert _peak_rss() - before < 50 * MiB
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # nothing stored


def test_exact_dimensions_are_reported_when_known():
    with pytest.raises(MediaRejected) as err:
        check_pixels(BOMBS["png-100-megapixels"], 40_000_000)
    assert err.value.fields == {"width": 10000, "height": 10000, "megapixels": 40}


def test_header_under_the_limit_is_accepted_and_the_limit_is_configurable(tmp_path):
    assert MediaStore(tmp_path, MiB, max_pixels=40_000_000).put(png(6000, 6000)).content_type == "image/png"
    with pytest.raises(MediaRejected):
        MediaStore(tmp_path, MiB, max_pixels=30_000_000).put(png(6000, 6000))


def test_media_max_pixels_setting(tmp_path):
    from tests.conftest import make_config

    assert make_config(tmp_path).media.max_pixels == 40_000_000
    assert make_config(tmp_path, media={"max_pixels": 12_000_000}).media.max_pixels == 12_000_000


async def test_citizen_photo_bomb_is_refused_with_a_reply_and_the_report_kept(gateway, memory):
    msg = InboundMessage(channel="memory", external_id="bomb-1", sender="+6281299990000",
                         text="Sampah menumpuk di Jl. Kemang Raya Kel. Bangka",
                         attachments=[InboundAttachment(BOMBS["webp-16000x16000"], "image/webp", "bukti.webp")])
    (outcome,) = await gateway.intake.submit([msg])
    assert outcome.action == "new_ticket"
    M = repo.T_MESSAGE
    texts = await gateway.db.read(lambda c: [r.text for r in c.execute(
        select(M.c.text).where(M.c.direction == "out", M.c.recipient == "+6281299990000"))])
    assert any("lebih dari 40 megapiksel" in t for t in texts), texts
    assert await gateway.db.read(lambda c: c.execute(select(repo.T_ATTACHMENT.c.id)).first()) is None


async def test_media_route_never_500s_on_a_bomb_stored_before_the_limit(client, gateway, clock):
    """A proof stored by an older version: /media/{sha} answers 404 with a reason, not 500."""
    import hashlib

    bomb = BOMBS["jpeg-65000x65000"]
    sha = hashlib.sha256(bomb).hexdigest()
    path = gateway.media.path_for(sha, "image/jpeg")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bomb)
    (outcome,) = await gateway.intake.submit([InboundMessage(channel="memory", external_id="t1", sender="+62811",
                                                             text="Lampu jalan mati di Kel. Gambir")])
    await gateway.db.write(lambda c: repo.insert(c, repo.T_ATTACHMENT, dict(
        sha256=sha, content_type="image/jpeg", size=len(bomb), kind="proof", ticket_id=outcome.ticket_id,
        created_at=clock.now())))
    r = await client.get(f"/media/{sha}")
    assert r.status_code == 404 and r.json()["detail"] == "this photo cannot be shown"


async def test_refused_photo_with_a_lone_surrogate_file_name_still_commits(gateway):
    msg = InboundMessage(channel="memory", external_id="bomb-2", sender="+6281299990001", text="Got mampet Kel. Bangka",
                         attachments=[InboundAttachment(BOMBS["png-100-megapixels"], "image/png", "foto\ud83d.png")])
    (outcome,) = await gateway.intake.submit([msg])
    assert outcome.action == "new_ticket"
