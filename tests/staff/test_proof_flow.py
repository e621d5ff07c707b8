"""Proof photos end to end: Slack thread -> validation -> the citizen's own channel; reuse detection."""
from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from tests.staff.conftest import BOT_TOKEN, IDENTITY, REPORTER_PHONE, jpeg, picture


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def has_exif(path_or_bytes) -> bool:
    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    with Image.open(src) as im:
        return bool(im.getexif()) or "exif" in im.info


@pytest.mark.parametrize("photo_caps", [True, False], ids=["photo-channel", "text-channel"])
async def test_slack_thread_proof_validated_and_delivered_to_the_citizen(desk, photo_caps):
    tid = await desk.report()
    assert await desk.run("U_DLH", f"proses {tid}") == f"Laporan {tid} sekarang berstatus Proses."
    original = jpeg(picture(31), gps=True)
    assert has_exif(original)
    resp = await desk.photo_in_thread(tid, "U_DLH", original, text="Selesai, sampah sudah diangkut")
    assert resp.status_code == 200

    # Downloaded from Slack's file URL with the bot token, stored as the proof with its perceptual hash.
    (download,) = desk.api.matching("GET", r"/files-pri/.*")
    assert download.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    t = await desk.ticket(tid)
    assert t["status"] == "MENUNGGU_VALIDASI" and t["proof_submitted_at"] is not None
    (proof,) = [a for a in await desk.attachments(tid) if a["kind"] == "proof"]
    assert proof["sha256"] == sha(original) and len(proof["phash"]) == 16
    status = [e for e in await desk.events(tid) if e["to_status"] == "MENUNGGU_VALIDASI"]
    assert status[0]["actor"] == "staff:dlh-1" and status[0]["reason"] == "sampah sudah diangkut"

    assert await desk.run("U_VAL", f"validasi {tid}") == \
        f"Laporan {tid} divalidasi dan SELESAI. Pelapor menerima foto bukti."
    t = await desk.ticket(tid)
    assert t["status"] == "SELESAI" and t["resolved_at"] is not None
    (validated,) = [e for e in await desk.events(tid) if e["to_status"] == "SELESAI"]
    assert validated["actor"] == "staff:validator-1"

    await desk.pump()
    done = [m for m in desk.citizen.sent if m.kind != "rating_ask"][-1]  # the rating ask follows it
    assert done.recipient == REPORTER_PHONE and f"Laporan {tid} SELESAI" in done.text
    if photo_caps:
        # Sent as a photo: the metadata-free public copy, never the original with its GPS position.
        assert done.media_path is not None and done.media_path.endswith(".public.jpg")
        assert not has_exif(done.media_path)
        assert done.media_url == f"http://aduan.test/media/{sha(original)}"
    else:
        assert done.media_path is None and done.media_url is None
        # The SELESAI text already links the page with the photo: the link is not added a second time.
        assert f"foto bukti di http://aduan.test/t/{tid} " in done.text
        assert f"Foto bukti: http://aduan.test/t/{tid}" not in done.text
    public = await desk.client.get(f"/media/{sha(original)}")
    assert public.status_code == 200 and not has_exif(public.content)
    view = (await desk.client.get(f"/api/v1/tickets/{tid}")).json()
    assert view["proof_photo_url"] == f"http://aduan.test/media/{sha(original)}"

    # The thread saw the whole story, and Slack never saw who reported it.
    texts = desk.post_texts("C_DLH")
    assert any("Proses -> Menunggu Validasi oleh Petugas DLH (dlh-1) - sampah sudah diangkut" in x for x in texts)
    assert any("Menunggu Validasi -> Selesai oleh Validator Biro (validator-1)" in x for x in texts)
    seen = desk.everything_slack_saw()
    for secret in IDENTITY:
        assert secret not in seen


async def test_photo_shared_first_then_done_command(desk):
    tid = await desk.report()
    await desk.run("U_DLH", f"proses {tid}")
    photo = jpeg(picture(32))
    await desk.photo_in_thread(tid, "U_DLH", photo)
    (kept,) = await desk.attachments(tid)
    assert kept["kind"] == "staff" and kept["sha256"] == sha(photo)
    await desk.pump()
    assert any("Foto dari Petugas DLH (dlh-1) disimpan" in x for x in desk.post_texts("C_DLH"))
    assert (await desk.ticket(tid))["status"] == "PROSES"
    assert await desk.run("U_DLH", f"selesai {tid} sudah bersih") == f"Bukti untuk {tid} terkirim; menunggu validasi."
    (proof,) = await desk.attachments(tid)
    assert proof["kind"] == "proof" and proof["id"] == kept["id"]


async def test_file_shared_event_is_fetched_with_files_info(desk):
    tid = await desk.report()
    await desk.run("U_DLH", f"proses {tid}")
    channel, thread_ts = await desk.thread_of(tid)
    photo = jpeg(picture(33))
    file_obj = desk.share_file("F0SHARED", photo)
    info = {**file_obj, "shares": {"public": {channel: [{"reply_users": [], "reply_count": 0, "ts": "1772413500.000100",
                                                         "thread_ts": thread_ts, "channel_name": "aduan-dlh"}]}}}
    desk.api.expect("GET", "/api/files.info", body={"ok": True, "file": info})
    await desk.event({"type": "file_shared", "file_id": "F0SHARED", "user_id": "U_DLH", "file": {"id": "F0SHARED"},
                      "channel_id": channel, "event_ts": "1772413500.000200"})
    (files_info,) = desk.api.matching("GET", "/api/files.info")
    assert files_info.query["file"] == "F0SHARED"
    (kept,) = await desk.attachments(tid)
    assert kept["kind"] == "staff"
    # Slack also sends the message event for the same file: not downloaded twice, and
    # its "selesai" submits the photo already kept.
    await desk.event({"type": "message", "subtype": "file_share", "text": "selesai", "user": "U_DLH",
                      "files": [file_obj], "ts": "1772413500.000100", "thread_ts": thread_ts, "channel": channel})
    assert len(desk.api.matching("GET", r"/files-pri/.*")) == 1
    assert (await desk.ticket(tid))["status"] == "MENUNGGU_VALIDASI"
    assert [a["kind"] for a in await desk.attachments(tid)] == ["proof"]


async def test_photo_from_someone_not_allowed_is_not_taken(desk):
    tid = await desk.report()
    await desk.run("U_DLH", f"proses {tid}")
    await desk.photo_in_thread(tid, "U_DISHUB", jpeg(picture(34)), text="selesai")
    await desk.photo_in_thread(tid, "U_STRANGER", jpeg(picture(35)), text="selesai")
    assert (await desk.ticket(tid))["status"] == "PROSES"
    assert await desk.attachments(tid) == []
    await desk.pump()
    texts = desk.post_texts("C_DLH")
    assert any(x.startswith(f"Ditolak: laporan {tid} ditangani Dinas Lingkungan Hidup") for x in texts)
    assert any("tidak terdaftar sebagai petugas" in x for x in texts)
    # Only the authorised officer's file was even downloaded? No: neither was.
    assert desk.api.matching("GET", r"/files-pri/.*") == []


async def test_not_an_image_and_download_failure(desk):
    tid = await desk.report()
    await desk.run("U_DLH", f"proses {tid}")
    await desk.photo_in_thread(tid, "U_DLH", b"%PDF-1.4 not a photo", text="selesai")
    assert (await desk.ticket(tid))["status"] == "PROSES"
    await desk.pump()
    assert "Berkas bukan foto JPEG, PNG atau WebP." in desk.post_texts("C_DLH")


async def test_validator_rejects_the_proof_then_work_resumes(desk):
    tid = await desk.report()
    await desk.run("U_DLH", f"proses {tid}")
    first = jpeg(picture(36))
    await desk.photo_in_thread(tid, "U_DLH", first, text="done")
    assert "Format: /aduan tolak-tl" in (await desk.slash("U_VAL", f"tolak-tl {tid}"))[0]
    assert await desk.run("U_VAL", f"tolak-tl {tid} foto bukan lokasi yang dilaporkan") == \
        f"Bukti laporan {tid} ditolak (TL ditolak). Petugas melanjutkan dengan: /aduan proses {tid}"
    t = await desk.ticket(tid)
    assert t["status"] == "TL_DITOLAK"
    (rejected,) = await desk.attachments(tid)
    assert rejected["kind"] == "rejected"
    assert (await desk.client.get(f"/media/{sha(first)}")).status_code == 404  # a rejected proof is not public
    await desk.pump()
    assert "foto bukan lokasi yang dilaporkan" in desk.citizen.sent[-1].text
    assert await desk.run("U_DLH", f"proses {tid}") == f"Laporan {tid} sekarang berstatus Proses."
    assert (await desk.ticket(tid))["status"] == "PROSES"
    # A new proof, then validation uses the new one.
    second = jpeg(picture(37))
    await desk.photo_in_thread(tid, "U_DLH", second, text="selesai diulang")
    assert "SELESAI" in await desk.run("U_VAL", f"validasi {tid}")
    await desk.pump()
    done = [m for m in desk.citizen.sent if m.kind != "rating_ask"][-1]
    assert done.media_url == f"http://aduan.test/media/{sha(second)}"


async def test_reused_proof_photos_are_flagged(desk):
    photo = jpeg(picture(41))
    first = await desk.report()
    await desk.run("U_DLH", f"proses {first}")
    await desk.photo_in_thread(first, "U_DLH", photo, text="selesai")
    assert "SELESAI" in await desk.run("U_VAL", f"validasi {first}")

    # The same bytes on another ticket.
    same = await desk.report("Sampah menumpuk lagi di Jl. Mampang Prapatan Raya Kel. Bangka")
    await desk.run("U_DLH", f"proses {same}")
    await desk.photo_in_thread(same, "U_DLH", photo, text="selesai")
    (flag,) = [e for e in await desk.events(same) if e["kind"] == "proof_reuse"]
    from store import repo

    assert repo.loads(flag["data"])["matches"] == [{"tracking_id": first, "match": "identical", "distance": 0}]
    await desk.pump()
    assert any(f"PERHATIAN VALIDATOR: foto bukti {same} sama persis dengan bukti laporan {first}" in x
               for x in desk.post_texts("C_DLH"))
    held = await desk.run("U_VAL", f"validasi {same}")
    assert held.startswith(f"Validasi {same} ditahan: foto bukti sama persis dengan bukti laporan {first}")
    assert (await desk.ticket(same))["status"] == "MENUNGGU_VALIDASI"
    assert "PERHATIAN: foto bukti sama persis" in await desk.run("U_VAL", f"lihat {same}")
    assert "SELESAI" in await desk.run("U_VAL", f"validasi {same} paksa")
    (forced,) = [e for e in await desk.events(same) if e["to_status"] == "SELESAI"]
    assert repo.loads(forced["data"])["forced"] is True

    # A resized, re-encoded copy (different bytes) on a third ticket: near-identical.
    copy = jpeg(picture(41).resize((200, 150)), quality=60)
    assert sha(copy) != sha(photo)
    third = await desk.report("Tumpukan sampah di Jl. Kemang Selatan Kel. Bangka")
    await desk.run("U_DLH", f"proses {third}")
    await desk.photo_in_thread(third, "U_DLH", copy, text="selesai")
    (flag,) = [e for e in await desk.events(third) if e["kind"] == "proof_reuse"]
    matches = repo.loads(flag["data"])["matches"]
    assert {m["tracking_id"] for m in matches} == {first, same}
    assert all(m["match"] == "similar" and m["distance"] <= 6 for m in matches)

    # A genuinely different photo is not flagged.
    other = await desk.report("Sampah di depan Pasar Mampang Kel. Bangka")
    await desk.run("U_DLH", f"proses {other}")
    await desk.photo_in_thread(other, "U_DLH", jpeg(picture(42)), text="selesai")
    assert [e for e in await desk.events(other) if e["kind"] == "proof_reuse"] == []
    assert "SELESAI" in await desk.run("U_VAL", f"validasi {other}")


async def test_proof_that_is_the_citizens_own_photo_is_flagged(desk):
    before = jpeg(picture(43))
    tid = await desk.report(photo=before)
    await desk.run("U_DLH", f"proses {tid}")
    await desk.photo_in_thread(tid, "U_DLH", before, text="selesai")
    held = await desk.run("U_VAL", f"validasi {tid}")
    assert f"sama dengan foto kiriman pelapor {tid}" in held


async def test_proof_by_url_argument(desk):
    tid = await desk.report()
    await desk.run("U_DLH", f"proses {tid}")
    photo = jpeg(picture(44))
    desk.api.expect("GET", "/uploads/bukti.jpg", body=photo, headers={"content-type": "image/jpeg"})
    text = await desk.run("U_DLH", f"selesai {tid} <{desk.api.base_url}/uploads/bukti.jpg> selesai dikerjakan")
    assert text == f"Bukti untuk {tid} terkirim; menunggu validasi."
    (proof,) = await desk.attachments(tid)
    assert proof["kind"] == "proof" and proof["sha256"] == sha(photo)
    desk.api.expect("GET", "/uploads/missing.jpg", status=404, body=b"")
    other = await desk.report()
    await desk.run("U_DLH", f"proses {other}")
    assert await desk.run("U_DLH", f"selesai {other} {desk.api.base_url}/uploads/missing.jpg") == \
        "Foto tidak dapat diunduh. Silakan kirim ulang."


async def test_secrets_and_reporter_never_in_logs(desk, caplog):
    import logging

    from tests.staff.conftest import SIGNING_SECRET

    caplog.set_level(logging.DEBUG)
    tid = await desk.report()
    await desk.run("U_DLH", f"proses {tid}")
    await desk.photo_in_thread(tid, "U_DLH", jpeg(picture(45)), text="selesai")
    await desk.slash("U_DLH", "lihat")  # a usage error
    await desk.post("/webhooks/slack/events", b"{}", content_type="application/json", secret="wrong")
    await desk.run("U_VAL", f"validasi {tid}")
    await desk.pump()
    logged = caplog.text
    assert BOT_TOKEN not in logged and SIGNING_SECRET not in logged
    assert "xoxb-" not in logged
    for secret in ("Siti", "Rahmawati", "9876-5432", "6281298765432"):
        assert secret not in logged
