"""/aduan commands over Slack: acks, response_url follow-ups, authorisation, audit, usage."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.staff.notify import T_ASSIGN, queue_staff_message
from store import repo
from tests.staff.conftest import BANGKA, IDENTITY, REPORTER_PHONE, jpeg, picture


async def test_command_is_acknowledged_then_answered_through_response_url(desk):
    tid = await desk.report()
    ack, followup = await desk.slash("U_DLH", f"lihat {tid}")
    assert ack == f"Sedang diproses: lihat {tid}"
    assert followup is not None and followup.startswith(f"{tid} - Menunggu")
    assert "Kategori: Sampah" in followup
    assert "Bangka, Mampang Prapatan, Kota Administrasi Jakarta Selatan" in followup
    assert "Dinas Lingkungan Hidup" in followup
    # The reporter is never named, numbered or quoted with their contact.
    for secret in IDENTITY:
        assert secret not in followup


async def test_show_lists_history_with_actors(desk):
    tid = await desk.report()
    await desk.run("U_DLH", f"ambil {tid}")
    await desk.run("U_DLH", f"catatan {tid} cek lokasi besok pagi")
    text = await desk.run("U_LURAH", f"show {tid}")
    assert "Petugas: Petugas DLH (dlh-1)" in text
    assert "catatan internal (Petugas DLH (dlh-1)): cek lokasi besok pagi" in text
    assert "(pelapor)" in text


async def test_list_is_scoped_and_filtered(desk, clock):
    sampah = await desk.report()
    parkir = await desk.report("Parkir liar menghalangi jalan di Kel. Bangka")
    elsewhere = await desk.report("Sampah menumpuk di Kel. Cipinang Besar Utara Jatinegara")
    dlh = await desk.run("U_DLH", "daftar")
    assert sampah in dlh and elsewhere in dlh and parkir not in dlh  # DLH: every garbage report
    lurah = await desk.run("U_LURAH", "daftar")
    assert sampah in lurah and parkir in lurah and elsewhere not in lurah  # the kelurahan: all of Bangka
    camat = await desk.run("U_CAMAT", "daftar")
    assert sampah in camat and parkir in camat and elsewhere not in camat  # a kecamatan contains its kelurahan
    admin = await desk.run("U_ADMIN", "list category=parkir_liar")
    assert parkir in admin and sampah not in admin
    assert elsewhere in await desk.run("U_ADMIN", "daftar area=31.75")
    assert sampah in await desk.run("U_ADMIN", "daftar wilayah=bangka")
    assert sampah not in await desk.run("U_ADMIN", "daftar agency=DISHUB")
    assert "Tidak ada laporan" in await desk.run("U_ADMIN", "daftar terlambat")
    clock.advance(hours=7)  # past the 6-hour coordination deadline
    overdue = await desk.run("U_ADMIN", "daftar terlambat")
    assert sampah in overdue and "(TERLAMBAT)" in overdue
    await desk.run("U_DLH", f"ambil {sampah}")
    mine = await desk.run("U_DLH", "daftar saya")
    assert sampah in mine and elsewhere not in mine
    assert "Tidak ada laporan" in await desk.run("U_ADMIN", "daftar status=selesai")


async def test_take_records_the_officer_and_posts_in_the_thread(desk):
    tid = await desk.report()
    channel, thread_ts = await desk.thread_of(tid)
    assert await desk.run("U_DLH", f"ambil {tid}") == f"Laporan {tid} sekarang Anda tangani."
    t = await desk.ticket(tid)
    assigned = await desk.gw.db.read(lambda c: c.execute(select(T_ASSIGN.c.staff_code)
                                                         .where(T_ASSIGN.c.ticket_id == t["id"])).scalar())
    assert assigned == "dlh-1"
    ev = [e for e in await desk.events(tid) if e["kind"] == "assigned"]
    assert ev[0]["actor"] == "staff:dlh-1"
    await desk.pump()
    last = desk.posts()[-1]
    assert last["channel"] == channel and last["thread_ts"] == thread_ts
    assert "diambil oleh Petugas DLH (dlh-1)" in last["text"]


async def test_coordinate_and_dispatch(desk):
    tid = await desk.report()
    text = await desk.run("U_LURAH", f"koordinasi {tid} dishub")
    assert text == f"Laporan {tid} dikoordinasikan ke Dinas Perhubungan."
    t = await desk.ticket(tid)
    assert t["status"] == "KOORDINASI" and t["agency_code"] == "DISHUB" and t["coordinated_at"] is not None
    # DLH no longer owns it; Dishub's channel is told.
    assert "Ditolak" in await desk.run("U_DLH", f"proses {tid}")
    await desk.pump()
    assert any(p["channel"] == "C_DISHUB" and tid in p["text"] and "thread_ts" not in p for p in desk.posts())
    await desk.run("U_DISHUB", f"koordinasi {tid} DLH")
    assert "bukan sub-unit" in await desk.run("U_DLH", f"disposisi {tid} DISHUB")
    text = await desk.run("U_DLH", f"disposisi {tid} SUDIN_LH_JAKSEL")
    assert "didisposisikan ke Suku Dinas Lingkungan Hidup" in text
    t = await desk.ticket(tid)
    assert t["status"] == "DISPOSISI" and t["unit"] == "SUDIN_LH_JAKSEL"
    # The sub-unit's officer may now act on it.
    assert await desk.run("U_SUDIN", f"proses {tid}") == f"Laporan {tid} sekarang berstatus Proses."
    await desk.pump()
    # The citizen heard about every status change on their own channel.
    texts = desk.citizen.texts_to(REPORTER_PHONE)
    assert any("Koordinasi (Dinas Perhubungan)" in x for x in texts)
    assert any("Disposisi (Suku Dinas Lingkungan Hidup" in x for x in texts)
    assert any("status sekarang Proses" in x for x in texts)


async def test_every_event_goes_to_the_ticket_thread(desk):
    tid = await desk.report()
    channel, thread_ts = await desk.thread_of(tid)
    first = desk.posts()[0]
    assert first["channel"] == "C_DLH" and "thread_ts" not in first
    assert f"Laporan baru {tid}" in first["text"] and "Sampah" in first["text"]
    await desk.run("U_DLH", f"proses {tid}")
    await desk.run("U_DLH", f"catatan {tid} truk dijadwalkan")
    await desk.run("U_DLH", f"perpanjang {tid} 48 butuh alat berat")
    # The citizen writes again: the thread gets it, redacted.
    from bot.models import InboundMessage

    await desk.gw.intake.submit([InboundMessage(channel="memory", external_id="follow-1", sender=REPORTER_PHONE,
                                                sender_name="Siti Rahmawati",
                                                text=f"{tid} masih belum diangkut, telp 0812-9876-5432")])
    await desk.pump()
    threaded = [p for p in desk.posts()[1:] if p.get("thread_ts") == thread_ts]
    texts = [p["text"] for p in threaded]
    assert any("Menunggu -&gt; Proses oleh Petugas DLH (dlh-1)" in x for x in texts)
    assert any("Catatan internal Petugas DLH (dlh-1): truk dijadwalkan" in x for x in texts)
    assert any("diperpanjang 48 jam" in x for x in texts)
    assert any("Pesan baru dari pelapor" in x and "masih belum diangkut" in x for x in texts)
    assert all(p["channel"] == channel for p in threaded)
    for secret in IDENTITY:
        assert secret not in desk.everything_slack_saw()


async def test_escalation_goes_to_the_supervisor_channel(desk):
    tid = await desk.report()
    t = await desk.ticket(tid)
    now = desk.clock.now()
    mid = await desk.gw.db.write(lambda c: queue_staff_message(c, now, t["id"], "ESKALASI uji", escalate=True))
    assert mid is not None
    await desk.pump()
    post = [p for p in desk.posts() if p["text"] == "ESKALASI uji"]
    assert post and post[0]["channel"] == "C_DLH_SUP" and "thread_ts" not in post[0]
    # A ticket with no Slack thread: nothing is queued.
    assert await desk.gw.db.write(lambda c: queue_staff_message(c, now, 999999, "x")) is None


async def test_note_never_reaches_the_citizen_and_reply_does(desk):
    tid = await desk.report()
    await desk.pump()
    before = list(desk.citizen.sent)
    assert "tidak dikirim ke pelapor" in await desk.run("U_DLH", f"catatan {tid} pelapor ini sering lapor palsu")
    await desk.pump()
    assert desk.citizen.sent == before
    ev = [e for e in await desk.events(tid) if e["kind"] == "staff_note"]
    assert ev[0]["public"] is False and ev[0]["actor"] == "staff:dlh-1"
    # The public view never shows it.
    public = (await desk.client.get(f"/api/v1/tickets/{tid}")).json()
    assert "palsu" not in str(public)

    assert await desk.run("U_DLH", f"balas {tid} Mohon kirim foto lokasi yang lebih jelas") == \
        f"Pesan dikirim ke pelapor {tid}."
    await desk.pump()
    assert desk.citizen.sent[-1].text == f"Pesan petugas untuk laporan {tid}: Mohon kirim foto lokasi yang lebih jelas"
    assert desk.citizen.sent[-1].recipient == REPORTER_PHONE
    ev = [e for e in await desk.events(tid) if e["kind"] == "staff_reply"]
    assert ev[0]["actor"] == "staff:dlh-1"


async def test_extend_moves_the_resolution_deadline(desk):
    tid = await desk.report()
    before = (await desk.ticket(tid))["resolve_due"]
    text = await desk.run("U_DLH", f"perpanjang {tid} 48 pohon besar butuh alat berat")
    assert "diperpanjang 48 jam" in text
    after = (await desk.ticket(tid))["resolve_due"]
    assert after - before == timedelta(hours=48)
    (ev,) = [e for e in await desk.events(tid) if e["kind"] == "deadline_extended"]
    assert ev["actor"] == "staff:dlh-1" and ev["reason"] == "pohon besar butuh alat berat"
    assert repo.loads(ev["data"])["hours"] == 48


async def test_reject(desk):
    tid = await desk.report()
    assert await desk.run("U_LURAH", f"tolak {tid} bukan wewenang Pemprov") == f"Laporan {tid} ditolak."
    t = await desk.ticket(tid)
    assert t["status"] == "DITOLAK" and t["closed_at"] is not None
    assert "sudah ditutup" in await desk.run("U_LURAH", f"ambil {tid}")
    assert "Tidak bisa proses" in await desk.run("U_LURAH", f"proses {tid}")


@pytest.mark.parametrize("contact,channel,address", [
    ("0812-3456-7890", "sms", "+6281234567890"),
    ("<mailto:warga@example.id|warga@example.id>", "email", "warga@example.id"),
])
async def test_counter_report_opens_a_ticket_for_the_citizen(desk, contact, channel, address):
    text = await desk.run("U_LURAH", f'baru {contact} "Lampu jalan mati di Jl. Bangka Raya Kel. Bangka"')
    assert text.startswith("Laporan JKT-") and "atas nama warga" in text
    assert address not in text  # masked
    tid = text.split()[1]
    t = await desk.ticket(tid)
    assert t["channel"] == channel and t["category_code"] == "lampu_pju" and t["area_code"] == BANGKA
    reporter = await desk.gw.db.read(repo.get_reporter, t["reporter_id"])
    assert reporter["address"] == address
    kinds = {e["kind"]: e for e in await desk.events(tid)}
    assert kinds["counter_report"]["actor"] == "staff:lurah-bangka"
    # The citizen's acknowledgement is queued on SMS/email (updates reach them there).
    acks = await desk.gw.db.read(lambda c: list(c.execute(select(repo.T_MESSAGE).where(
        repo.T_MESSAGE.c.ticket_id == t["id"], repo.T_MESSAGE.c.channel == channel,
        repo.T_MESSAGE.c.direction == "out")).mappings()))
    assert acks and acks[0]["recipient"] == address and tid in acks[0]["text"]


async def test_english_aliases_and_an_english_officer(desk):
    tid = await desk.report()
    ack, text = await desk.slash("U_DLH_EN", f"take {tid}")
    assert ack == f"Working on it: take {tid}"
    assert text == f"You now handle report {tid}."
    assert "Category: Garbage" in await desk.run("U_DLH_EN", f"show {tid}")
    assert (await desk.slash("U_DLH_EN", "process"))[0].startswith("Usage: /aduan process")
    # An Indonesian officer using an English alias still reads Indonesian.
    assert await desk.run("U_DLH", f"process {tid}") == f"Laporan {tid} sekarang berstatus Proses."


# --- authorisation -------------------------------------------------------------

@pytest.mark.parametrize("user,command,expected", [
    ("U_DISHUB", "proses {tid}", "Ditolak: laporan {tid} ditangani Dinas Lingkungan Hidup, bukan instansi Anda "
                                 "(Dinas Perhubungan)."),
    ("U_LURAH_LAIN", "ambil {tid}", "Ditolak: laporan {tid} berada di Bangka, Mampang Prapatan, Kota Administrasi "
                                    "Jakarta Selatan, di luar wilayah Anda"),
    ("U_DLH", "validasi {tid}", "Ditolak: hanya validator yang boleh menjalankan validasi."),
    ("U_LURAH", "disposisi {tid} SUDIN_LH_JAKSEL", "Ditolak: perintah disposisi tidak boleh dijalankan dengan peran lurah."),
    ("U_VAL", "balas {tid} halo", "Ditolak: perintah balas tidak boleh dijalankan dengan peran validator."),
    ("U_SUDIN", "lihat {tid}", "Ditolak: laporan {tid} ditangani Dinas Lingkungan Hidup"),  # not disposed to it yet
])
async def test_refusals_say_why_and_are_audited(desk, user, command, expected):
    tid = await desk.report()
    text = await desk.run(user, command.format(tid=tid))
    assert text.startswith(expected.format(tid=tid)), text
    (denied,) = [e for e in await desk.events(tid) if e["kind"] == "staff_denied"]
    assert denied["actor"].startswith("staff:") and denied["public"] is False
    t = await desk.ticket(tid)
    assert t["status"] == "MENUNGGU"


async def test_unknown_slack_user_is_refused_at_once(desk):
    tid = await desk.report()
    ack, followup = await desk.slash("U_STRANGER", f"proses {tid}")
    assert ack == "Akun Anda tidak terdaftar sebagai petugas Aduan. Hubungi admin untuk didaftarkan."
    assert followup is None
    assert (await desk.ticket(tid))["status"] == "MENUNGGU"


async def test_the_proof_submitter_cannot_validate_it(desk):
    tid = await desk.report()
    await desk.run("U_ADMIN", f"proses {tid}")
    desk.files["/proof/a.jpg"] = jpeg(picture(21))
    desk.api.expect("GET", "/proof/a.jpg", body=desk.files["/proof/a.jpg"], headers={"content-type": "image/jpeg"})
    assert "menunggu validasi" in await desk.run("U_ADMIN", f"selesai {tid} {desk.api.base_url}/proof/a.jpg bersih")
    text = await desk.run("U_ADMIN", f"validasi {tid}")
    assert text.startswith("Ditolak: Anda yang mengirim bukti")
    assert (await desk.ticket(tid))["status"] == "MENUNGGU_VALIDASI"
    assert "SELESAI" in await desk.run("U_VAL", f"validasi {tid}")


# --- bad input ------------------------------------------------------------------

BAD_ARGUMENTS = [
    ("", "Perintah petugas (/aduan ...):"),
    ("bantuan", "Perintah petugas (/aduan ...):"),
    ("hapus JKT-7K3M-QXP2", "Perintah hapus tidak dikenal."),
    ("lihat", "Format: /aduan lihat <nomor>"),
    ("lihat JKT-AAAA-AAAA", "Nomor laporan JKT-AAAA-AAAA tidak valid"),
    ("tolak JKT-7K3M-QXP2", "Format: /aduan tolak <nomor> <alasan>"),
    ("perpanjang JKT-7K3M-QXP2 banyak alasan", "Jumlah jam banyak tidak valid"),
    ("perpanjang JKT-7K3M-QXP2 9999 alasan", "Jumlah jam 9999 tidak valid"),
    ("perpanjang JKT-7K3M-QXP2 24", "Format: /aduan perpanjang"),
    ("koordinasi JKT-7K3M-QXP2", "Format: /aduan koordinasi"),
    ("baru 12345 teks", "Kontak pelapor harus nomor HP"),
    ("baru 081234567890", "Format: /aduan baru"),
    ("daftar status=hilang", "Filter status=hilang tidak dikenal."),
    ("daftar urut=baru", "Filter urut=baru tidak dikenal."),
    ("catatan JKT-7K3M-QXP2 " + "x" * 2100, "Teks terlalu panjang"),
]


async def test_bad_arguments_get_usage_at_once(desk):
    for text, expected in BAD_ARGUMENTS:
        ack, followup = await desk.slash("U_DLH", text)
        assert ack.startswith(expected), (text, ack)
        assert followup is None  # answered at once, nothing ran


async def test_lookups_that_find_nothing(desk):
    for text, expected in [
        ("lihat JKT-7K3M-QXP2", "Laporan JKT-7K3M-QXP2 tidak ditemukan."),
        ("daftar area=atlantis", "Wilayah atlantis tidak ditemukan"),
        ("daftar category=ufo", "Kategori ufo tidak dikenal."),
        ("daftar agency=NASA", "Instansi NASA tidak dikenal."),
    ]:
        assert (await desk.run("U_ADMIN", text)).startswith(expected), text


async def test_unknown_agency_and_wrong_status(desk):
    tid = await desk.report()
    assert (await desk.run("U_LURAH", f"koordinasi {tid} NASA")).startswith("Instansi NASA tidak dikenal.")
    assert await desk.run("U_VAL", f"validasi {tid}") == f"Tidak bisa validasi laporan {tid}: statusnya Menunggu."
    assert await desk.run("U_VAL", f"tolak-tl {tid} foto buram") == \
        f"Tidak bisa tolak-tl laporan {tid}: statusnya Menunggu."
    assert (await desk.run("U_DLH", f"selesai {tid}")) == f"Tidak bisa selesai laporan {tid}: statusnya Menunggu."
    await desk.run("U_DLH", f"proses {tid}")
    assert (await desk.run("U_DLH", f"selesai {tid}")).startswith(f"Foto bukti belum ada untuk {tid}")


async def test_other_slash_command_is_refused(desk):
    ack, followup = await desk.slash("U_DLH", "lihat JKT-7K3M-QXP2", command="/lapor")
    assert ack.startswith("Perintah /lapor tidak dikenal.") and followup is None


async def test_failure_inside_a_command_is_an_answer_not_a_stack_trace(desk, monkeypatch):
    tid = await desk.report()

    def broken(*a, **k):
        raise RuntimeError("database exploded")

    from bot.staff.commands import BY_NAME

    monkeypatch.setattr(BY_NAME["proses"], "run", broken)
    text = await desk.run("U_DLH", f"proses {tid}")
    assert text == "Terjadi kesalahan; perintah tidak dijalankan. Silakan coba lagi."
    assert "Traceback" not in text and "exploded" not in text


async def test_show_warns_when_the_citizen_cannot_be_reached(desk):
    tid = await desk.report()
    gw = desk.gw

    def opt_out(conn):
        t = repo.ticket_by_tracking_id(conn, tid)
        repo.update_reporter(conn, t["reporter_id"], gw.clock.now(), opted_out=True)

    await gw.db.write(opt_out)
    text = await desk.run("U_DLH", f"lihat {tid}")
    assert "berhenti berlangganan (STOP)" in text


async def test_directory_changes_count_at_once_for_chat_commands(desk):
    """Disabling refuses the officer's commands; a Slack id linked in the database works without a restart."""
    from store import staff_directory as sd

    tid = await desk.report()
    await desk.gw.db.write(sd.set_active, "dlh-1", False)
    ack, followup = await desk.slash("U_DLH", f"ambil {tid}")
    assert "tidak terdaftar sebagai petugas" in ack and followup is None
    assert "ambil" not in str([e["kind"] for e in await desk.events(tid)])
    await desk.gw.db.write(sd.link, "camat-mampang", "slack", "U_CAMAT_BARU", desk.clock.now())
    text = await desk.run("U_CAMAT_BARU", f"lihat {tid}")
    assert text.startswith(f"{tid} - Menunggu")
