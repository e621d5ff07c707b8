"""Command parsing, the staff directory's scopes, redaction, thread bookkeeping, migration."""
from __future__ import annotations

import pytest

from bot.staff.commands import CommandSyntaxError, normalize_phone, parse_contact, parse_staff_command
from bot.staff.directory import StaffDirectory, StaffMember
from bot.staff.notify import identity_redact
from tests.staff.conftest import BANGKA, STAFF

TID = "JKT-7K3M-QXP2"


@pytest.mark.parametrize("text,name,fields", [
    ("", "bantuan", {}),
    ("help", "bantuan", {}),
    (f"lihat {TID}", "lihat", {"tracking_id": TID}),
    ("show jkt 7k3m qxp2", "show", None),  # one token only: spaces split the id
    ("show jkt-7k3m-qxp2", "lihat", {"tracking_id": TID}),
    ("SHOW 7K3M-QXP2", "lihat", {"tracking_id": TID}),
    (f"koordinasi {TID} dishub", "koordinasi", {"target": "dishub"}),
    (f"dispatch {TID} SUDIN_LH_JAKSEL", "disposisi", {"target": "SUDIN_LH_JAKSEL"}),
    (f"selesai {TID}", "selesai", {"url": None, "text": ""}),
    (f"done {TID} sudah bersih", "selesai", {"url": None, "text": "sudah bersih"}),
    (f"selesai {TID} https://x.id/a.jpg sudah", "selesai", {"url": "https://x.id/a.jpg", "text": "sudah"}),
    (f"selesai {TID} <https://x.id/a.jpg|a.jpg>", "selesai", {"url": "https://x.id/a.jpg"}),
    (f"validasi {TID} paksa", "validasi", {"force": True}),
    (f"validate {TID}", "validasi", {"force": False}),
    (f"tolak-tl {TID} foto buram", "tolak-tl", {"text": "foto buram"}),
    (f"reject-proof {TID} blurry", "tolak-tl", {"text": "blurry"}),
    (f"reject {TID} not ours", "tolak", {"text": "not ours"}),
    (f"note {TID} a &amp; b", "catatan", {"text": "a & b"}),
    (f"perpanjang {TID} 48 alat berat", "perpanjang", {"hours": 48.0, "text": "alat berat"}),
    (f"extend {TID} 1,5j hujan", "perpanjang", {"hours": 1.5}),
    (f"extend {TID} 12jam hujan", "perpanjang", {"hours": 12.0}),
    ('baru 0812 3456 7890 "Lampu mati"', "baru", None),  # the number is one token
    ('baru 0812-3456-7890 "Lampu mati di Jl. Kemang"', "baru",
     {"contact": "+6281234567890", "contact_channel": "sms", "text": "Lampu mati di Jl. Kemang"}),
    ("new <mailto:Warga@Example.ID|Warga@Example.ID> jalan rusak", "baru",
     {"contact": "Warga@example.id", "contact_channel": "email", "text": "jalan rusak"}),
    ("daftar status=tl-ditolak terlambat saya area=bangka", "daftar",
     {"filters": {"status": "TL_DITOLAK", "overdue": "1", "mine": "1", "area": "bangka"}}),
    ("list status=menunggu_validasi category=sampah agency=DLH", "daftar",
     {"filters": {"status": "MENUNGGU_VALIDASI", "category": "sampah", "agency": "DLH"}}),
])
def test_parse(text, name, fields):
    if fields is None:
        with pytest.raises(CommandSyntaxError):
            parse_staff_command(text)
        return
    cmd = parse_staff_command(text)
    assert cmd.name == name
    for key, value in fields.items():
        assert getattr(cmd, key) == value


@pytest.mark.parametrize("text,key", [
    ("hapus x", "staff_unknown_command"),
    ("lihat", "staff_usage_error"),
    ("lihat JKT-AAAA-AAAA", "staff_invalid_id"),
    (f"catatan {TID}", "staff_usage_error"),
    (f"perpanjang {TID} 0 x", "staff_bad_hours"),
    (f"perpanjang {TID} -5 x", "staff_bad_hours"),
    (f"perpanjang {TID} nan x", "staff_bad_hours"),
    (f"perpanjang {TID} inf x", "staff_bad_hours"),
    ("baru 12345 teks", "staff_bad_contact"),
    ("baru not@an@email teks", "staff_bad_contact"),
    ("daftar foo", "staff_bad_filter"),
    ("daftar status=", "staff_bad_filter"),
])
def test_parse_errors(text, key):
    with pytest.raises(CommandSyntaxError) as info:
        parse_staff_command(text)
    assert info.value.key == key


def test_phones():
    assert normalize_phone("081234567890") == "+6281234567890"
    assert normalize_phone("6281234567890") == "+6281234567890"
    assert normalize_phone("+62 812-3456-7890") == "+6281234567890"
    assert normalize_phone("8123456789") == "+628123456789"
    assert normalize_phone("0212345678") is None  # a landline cannot get SMS updates
    assert normalize_phone("+1 555 0100") is None
    assert parse_contact("<tel:081234567890|0812-3456-7890>") == ("+6281234567890", "sms")
    assert parse_contact("<tel:081234567890|081234567890>") == ("+6281234567890", "sms")


@pytest.fixture
def directory(tmp_path):
    from bot.routing import load_areas_csv
    from tests.conftest import ROOT, make_config
    from tests.staff.conftest import agencies

    config = make_config(tmp_path, staff=STAFF, agencies=agencies())
    return StaffDirectory(config, load_areas_csv(ROOT / "data" / "jakarta_areas.csv"))


def ticket(agency=None, area=None, unit=None):
    return {"tracking_id": TID, "agency_code": agency, "area_code": area, "unit": unit}


def members() -> dict[str, StaffMember]:
    return {s["code"]: StaffMember(s["code"], s["name"], s["role"], s.get("agency"), s.get("area"), s.get("language"))
            for s in STAFF}


def test_scopes(directory):
    m = members()
    assert directory.may_touch(m["lurah-bangka"], ticket("DISHUB", BANGKA)) is None
    assert directory.may_touch(m["camat-mampang"], ticket("DISHUB", BANGKA)) is None
    assert directory.may_touch(m["lurah-lain"], ticket("DLH", BANGKA)).key == "staff_denied_area"
    assert directory.may_touch(m["dlh-1"], ticket("DLH", "31.75.01.1001")) is None
    assert directory.may_touch(m["dlh-1"], ticket("SUDIN_LH_JAKSEL", None)) is None  # a sub-unit of DLH
    assert directory.may_touch(m["sudin-lh"], ticket("DLH", BANGKA)).key == "staff_denied_agency"
    assert directory.may_touch(m["sudin-lh"], ticket("DLH", BANGKA, unit="SUDIN_LH_JAKSEL")) is None
    assert directory.may_touch(m["dishub-1"], ticket(None, None)).key == "staff_denied_agency"
    assert directory.may_touch(m["validator-1"], ticket("DISHUB", "31.75.01.1001")) is None  # no scope set: all
    assert directory.may_touch(m["admin-1"], ticket(None, None)) is None
    assert directory.may_run(m["lurah-bangka"], "validasi").key == "staff_denied_validator_only"
    assert directory.may_run(m["validator-1"], "validasi") is None
    assert directory.may_run(m["lurah-bangka"], "disposisi").key == "staff_denied_role"
    assert directory.area_label(BANGKA) == "Bangka, Mampang Prapatan, Kota Administrasi Jakarta Selatan"


async def test_chat_identities_are_rows_of_the_identity_table(desk):
    """Config's slack_user_id / telegram_user_id seed ``staff_identity``; every lookup reads that table."""
    from sqlalchemy import select

    from store import staff_directory as sd

    directory = desk.gw.staff.directory
    assert (await directory.by_slack("U_DLH")).code == "dlh-1"
    assert (await directory.by_telegram(7770001)).code == "lurah-bangka"
    assert await directory.by_slack("U_NOBODY") is None
    assert await directory.by_telegram("U_DLH") is None  # an id counts on its own channel only
    rows = await desk.gw.db.read(lambda c: c.execute(select(sd.T_IDENTITY.c.channel, sd.T_IDENTITY.c.external_id)
                                                      .where(sd.T_IDENTITY.c.staff_id == sd.S.c.id,
                                                             sd.S.c.code == "validator-1")).all())
    assert sorted(rows) == [("slack", "U_VAL"), ("telegram", "7770009")]
    now = desk.clock.now()
    await desk.gw.db.write(sd.link, "dishub-1", "telegram", "7770123", now)
    assert (await directory.by_telegram(7770123)).code == "dishub-1"
    with pytest.raises(sd.DirectoryError):
        await desk.gw.db.write(sd.link, "dlh-1", "telegram", "7770123", now)  # unique (channel, external id)
    await desk.gw.db.write(sd.set_active, "dishub-1", False)
    assert await directory.by_telegram(7770123) is None and await directory.by_slack("U_DISHUB") is None


def test_identity_redaction():
    reporter = {"address": "+6281298765432", "display_name": "Siti Rahmawati"}
    text = ("Saya SITI rahmawati (siti_rhm), WA +62 812-9876-5432 atau 081298765432, email siti@mail.id, "
            "@siti_rhm. Jl. Siti Nurbaya rusak")
    out = identity_redact(text, reporter)
    for secret in ("SITI", "rahmawati", "9876", "siti@mail.id", "@siti_rhm", "Siti"):
        assert secret not in out
    assert "Jl. [disamarkan] Nurbaya rusak" in out  # over-redacting beats leaking
    assert identity_redact("Chat 5550001 di Telegram", {"address": "5550001", "display_name": None}) == \
        "Chat [disamarkan] di Telegram"


async def _slack_rows(desk):
    from sqlalchemy import select

    from store import repo

    M = repo.T_MESSAGE
    return await desk.gw.db.read(lambda c: [tuple(r) for r in c.execute(
        select(M.c.kind, M.c.status, M.c.external_id).where(M.c.channel == "slack").order_by(M.c.id)).all()])


async def test_a_follow_up_waits_for_the_first_post_of_its_thread(desk, clock):
    tid = await desk.report()
    await desk.run("U_DLH", f"proses {tid}")
    desk.post_failures.append("internal_error")  # the first post fails once (HTTP 500)
    await desk.pump()
    (root, follow) = await _slack_rows(desk)
    assert root[:2] == ("staff_ticket", "queued") and follow[:2] == ("staff_event", "queued")
    assert len(desk.posts()) == 1  # the follow-up was not posted on its own
    clock.advance(minutes=10)
    await desk.pump()
    root, follow = await _slack_rows(desk)
    assert root[1] == follow[1] == "sent"
    first, second = desk.posts()[1:]
    assert "thread_ts" not in first and second["thread_ts"] == root[2].split(":")[1]


async def test_a_lost_first_post_is_replaced_by_the_next_one(desk, clock):
    tid = await desk.report()
    await desk.run("U_DLH", f"proses {tid}")
    desk.post_failures.append("channel_not_found")  # the first post fails for good
    await desk.pump()
    clock.advance(minutes=10)
    await desk.pump()
    root, follow = await _slack_rows(desk)
    assert root[1] == "failed" and follow[1] == "sent"
    assert "thread_ts" not in desk.posts()[-1]  # it starts the thread instead
    await desk.run("U_DLH", f"catatan {tid} lanjut besok")
    await desk.pump()
    assert desk.posts()[-1]["thread_ts"] == follow[2].split(":")[1]


def test_migration_matches_the_tables(tmp_path):
    """0002 creates exactly what store/tables.py declares for the staff side, and downgrades cleanly."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine, inspect

    from store.migrate import downgrade, upgrade
    from store.tables import metadata

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    ours = [d for d in diff if "staff_" in repr(d)]
    assert ours == [], ours
    downgrade(url, "0001")
    tables = set(inspect(create_engine(url)).get_table_names())
    assert not {"staff_thread", "staff_assignment", "staff_dedup"} & tables
    upgrade(url)
    assert {"staff_thread", "staff_assignment", "staff_dedup"} <= set(inspect(create_engine(url)).get_table_names())


def test_migration_0011_moves_chat_ids_to_the_identity_table_and_back(tmp_path):
    """slack_user_id / telegram_user_id become staff_identity rows (an id held twice: the first officer keeps it)."""
    from sqlalchemy import create_engine, inspect, text

    from store.migrate import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url, "0005_startup")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO staff (code, name, role, active, slack_user_id, telegram_user_id) VALUES "
                          "('a', 'A', 'admin', 1, 'U1', '77'), ('b', 'B', 'lurah', 1, 'U1', NULL), "
                          "('c', 'C', 'lurah', 1, ' U3 ', '')"))
    upgrade(url, "0011_staff_directory")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT s.code, i.channel, i.external_id FROM staff_identity i "
                                 "JOIN staff s ON s.id = i.staff_id ORDER BY i.id")).all()
    assert rows == [("a", "slack", "U1"), ("a", "telegram", "77"), ("c", "slack", "U3")]
    assert "slack_user_id" not in {c["name"] for c in inspect(create_engine(url)).get_columns("staff")}
    downgrade(url, "0005_startup")
    with create_engine(url).connect() as conn:
        assert conn.execute(text("SELECT code, slack_user_id, telegram_user_id FROM staff ORDER BY code")).all() == [
            ("a", "U1", "77"), ("b", None, None), ("c", "U3", None)]
