"""The citizen command grammar, on texts as 1708 SMS, WhatsApp and Telegram users write them."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands import CitizenCommand, parse_citizen_command
from bot.tracking import ALPHABET, is_valid_code

VALID = "JKT-7K3M-QXP2"  # passes the check symbol
BAD = "JKT-7K3M-QXP4"  # last symbol wrong
assert is_valid_code("7K3MQXP2") and not is_valid_code("7K3MQXP4")

R, S, H, O, STOP, START, L = "report", "status", "help", "reopen", "stop", "start", "language"

# (text, kind, text, tracking_id, invalid_id, language)
CASES = [
    # --- free text is a report of the whole text
    ("Jalan berlubang di Jl. Kemang Raya depan Indomaret", R, "Jalan berlubang di Jl. Kemang Raya depan Indomaret", None, None, None),
    ("sampah menumpuk di depan sekarang", R, "sampah menumpuk di depan sekarang", None, None, None),
    ("", R, "", None, None, None),
    ("   ", R, "", None, None, None),
    ("halo", R, "halo", None, None, None),
    ("Selamat pagi, saya mau lapor ada sampah menumpuk", R, "Selamat pagi, saya mau lapor ada sampah menumpuk", None, None, None),
    ("@DKIJakarta jalan rusak di Kemang", R, "@DKIJakarta jalan rusak di Kemang", None, None, None),
    # a quoted ID threads the report, it is not a status query
    (f"kenapa laporan {VALID} belum selesai?", R, f"kenapa laporan {VALID} belum selesai?", VALID, None, None),
    ("laporan jkt 7k3m qxp2 kok ditutup padahal belum", R, "laporan jkt 7k3m qxp2 kok ditutup padahal belum", VALID, None, None),
    ("pengaduan 7k3m qxp2 belum beres", R, "pengaduan 7k3m qxp2 belum beres", VALID, None, None),
    ("sekarang JKT7K3MQXP2 belum beres", R, "sekarang JKT7K3MQXP2 belum beres", VALID, None, None),
    # --- LAPOR
    ("lapor sampah menumpuk", R, "sampah menumpuk", None, None, "id"),
    ("LAPOR: sampah menumpuk di Jl. Sabang", R, "sampah menumpuk di Jl. Sabang", None, None, "id"),
    ("lapor, pohon tumbang", R, "pohon tumbang", None, None, "id"),
    ("Lapor!! Banjir setinggi 50cm di Kampung Melayu", R, "Banjir setinggi 50cm di Kampung Melayu", None, None, "id"),
    ("LAPOR", R, "", None, None, "id"),
    ("lapor:", R, "", None, None, "id"),
    ("/lapor jalan berlubang", R, "jalan berlubang", None, None, "id"),
    ("/lapor@AduanJktBot lampu PJU mati", R, "lampu PJU mati", None, None, "id"),
    ("lpr ada pohon tumbang di Jl. Kemang Raya", R, "ada pohon tumbang di Jl. Kemang Raya", None, None, "id"),
    ("lapoe parkir liar di trotoar", R, "parkir liar di trotoar", None, None, "id"),
    ("#lapor jalan rusak @DKIJakarta", R, "jalan rusak @DKIJakarta", None, None, "id"),
    ("@DKIJakarta lapor jalan rusak", R, "jalan rusak", None, None, "id"),
    ("tolong lapor ada pohon tumbang", R, "ada pohon tumbang", None, None, "id"),
    ("report: broken street light on Jl. Thamrin", R, "broken street light on Jl. Thamrin", None, None, "en"),
    (f"LAPOR jalan rusak, {VALID} belum dikerjakan", R, f"jalan rusak, {VALID} belum dikerjakan", VALID, None, "id"),
    # real words one edit from a keyword stay words
    ("lapar belum makan dari kemarin, bansos belum cair", R, "lapar belum makan dari kemarin, bansos belum cair", None, None, None),
    ("repot ngurus KTP di kelurahan", R, "repot ngurus KTP di kelurahan", None, None, None),
    # --- status
    (f"CEK {VALID}", S, "", VALID, None, "id"),
    (f"CEK:{VALID}", S, "", VALID, None, "id"),
    ("cek,jkt 7k3m qxp2", S, "", VALID, None, "id"),
    ("Cek  status  jkt7k3mqxp2", S, "", VALID, None, "id"),
    ("cek status jkt 7k3m qxp2", S, "", VALID, None, "id"),
    ("CEK STATUS:JKT7K3MQXP2", S, "", VALID, None, "id"),
    (f"CHECK {VALID}", S, "", VALID, None, "en"),
    (f"check status of {VALID} please", S, "", VALID, None, "en"),
    ("STATUS: JKT 7K3M QXP2", S, "", VALID, None, None),
    ("cek 7k3m qxp2", S, "", VALID, None, "id"),
    ("cek 7K3MQXP2", S, "", VALID, None, "id"),
    ("chek 7K3M-QXP2", S, "", VALID, None, "id"),
    (f"cel {VALID}", S, "", VALID, None, "id"),
    ("cekk jkt7k3mqxp2", S, "", VALID, None, "id"),
    ("sttus 7k3mqxp2", S, "", VALID, None, None),
    (f"stat {VALID}", S, "", VALID, None, None),
    ("stauts jkt-7k3m-qxp2", S, "", VALID, None, None),
    (f"CEK {VALID}.", S, "", VALID, None, "id"),
    (f"cek #{VALID}", S, "", VALID, None, "id"),
    (f"cek no. {VALID}", S, "", VALID, None, "id"),
    (f"*CEK* {VALID}", S, "", VALID, None, "id"),
    (f"Cek {VALID} ya min", S, "", VALID, None, "id"),
    (f"Tolong cek {VALID}", S, "", VALID, None, "id"),
    (f"Status laporan {VALID} gimana?", S, "", VALID, None, None),
    (f"cek {VALID} kok fotonya beda lokasi", S, "kok fotonya beda lokasi", VALID, None, "id"),
    (f"cek laporan saya yg kemarin {VALID}", S, "", VALID, None, "id"),
    (f"/cek@AduanJktBot {VALID}", S, "", VALID, None, "id"),
    ("ＣＥＫ ＪＫＴ－７Ｋ３Ｍ－ＱＸＰ２", S, "", VALID, None, "id"),
    ("cek JKT-ABCD-7K3M", S, "", None, "JKT-ABCD-7K3M", "id"),
    (f"cek {BAD}", S, "", None, BAD, "id"),
    ("cek jkt-7k3m-qxp4 kok belum selesai", S, "", None, "jkt-7k3m-qxp4", "id"),
    ("cek jkt-7k3m-qxp4 fotonya beda lokasi", S, "fotonya beda lokasi", None, "jkt-7k3m-qxp4", "id"),
    ("cek laporan JKT-7K3M-QXP9 dong", S, "", None, "JKT-7K3M-QXP9", "id"),
    ("STATUS JKT7K3MQXP", S, "", None, "JKT7K3MQXP", None),
    ("cek JKT-7K3M", S, "", None, "JKT-7K3M", "id"),
    ("CEK 7K3M-QXP0", S, "", None, "7K3M-QXP0", "id"),
    ("STATUS", S, "", None, None, None),
    ("status?", S, "", None, None, None),
    ("cek", S, "", None, None, "id"),
    ("cek laporan saya", S, "", None, None, "id"),
    ("/cek@AduanJktBot", S, "", None, None, "id"),
    # status keyword + something that is not an ID: a report
    ("status jalan rusak parah", R, "status jalan rusak parah", None, None, None),
    ("STATUS JALAN RAYA", R, "STATUS JALAN RAYA", None, None, None),
    ("cek jalan rusak di depan rumah", R, "cek jalan rusak di depan rumah", None, None, None),
    ("cek 2 lubang di jalan", R, "cek 2 lubang di jalan", None, None, None),
    ("cek rt 05 rw 03 banjir", R, "cek rt 05 rw 03 banjir", None, None, None),
    ("cek banjir di jkt utara", R, "cek banjir di jkt utara", None, None, None),
    ("status jkt barat banjir", R, "status jkt barat banjir", None, None, None),
    ("cek JKT ABCD EFGH", S, "", None, "JKT ABCD EFGH", "id"),
    # --- help
    ("INFO", H, "", None, None, None),
    ("info dong", H, "", None, None, None),
    ("BANTUAN", H, "", None, None, "id"),
    ("bntuan", H, "", None, None, "id"),
    ("HELP", H, "", None, None, "en"),
    ("Help me", H, "", None, None, "en"),
    ("MENU", H, "", None, None, None),
    ("?", H, "", None, None, None),
    ("??", H, "", None, None, None),
    ("/bantuan", H, "", None, None, "id"),
    ("/help", H, "", None, None, "en"),
    ("/foo", H, "", None, None, None),
    ("Halo min, info", H, "", None, None, None),
    ("info jadwal posyandu RW 05", R, "info jadwal posyandu RW 05", None, None, None),
    ("bantuan sosial belum cair", R, "bantuan sosial belum cair", None, None, None),
    ("? dimana kantor kelurahan", R, "? dimana kantor kelurahan", None, None, None),
    # --- reopen
    (f"BUKA {VALID} lubangnya muncul lagi", O, "lubangnya muncul lagi", VALID, None, "id"),
    (f"buka kembali {VALID}", O, "", VALID, None, "id"),
    (f"bukak lagi {VALID}", O, "", VALID, None, "id"),
    (f"BKA {VALID}", O, "", VALID, None, "id"),
    (f"REOPEN {VALID}", O, "", VALID, None, "en"),
    (f"re-open {VALID}", O, "", VALID, None, "en"),
    (f"reopen {VALID} the pothole is back", O, "the pothole is back", VALID, None, "en"),
    (f"/buka {VALID} masih rusak", O, "masih rusak", VALID, None, "id"),
    ("buka kembali JKT-7K3M-QXP4 belum beres", O, "belum beres", None, "JKT-7K3M-QXP4", "id"),
    ("BUKA KEMBALI laporan saya, belum beres", O, "laporan saya, belum beres", None, None, "id"),
    ("buka", O, "", None, None, "id"),
    ("REOPEN", O, "", None, None, "en"),
    ("buka puasa di jalan bikin macet", R, "buka puasa di jalan bikin macet", None, None, None),
    ("buka lagi toko di depan jam 10", R, "buka lagi toko di depan jam 10", None, None, None),
    (f"buka ulang {VALID} masih bocor", O, "masih bocor", VALID, None, "id"),
    # --- stop / start
    ("STOP", STOP, "", None, None, None),
    ("stop ya", STOP, "", None, None, None),
    ("STOP SMS", STOP, "", None, None, None),
    ("BERHENTI", STOP, "", None, None, "id"),
    ("berhentii", STOP, "", None, None, "id"),
    ("UNSUBSCRIBE", STOP, "", None, None, "en"),
    ("UNREG", STOP, "", None, None, None),
    ("/stop", STOP, "", None, None, None),
    ("stop parkir liar di trotoar", R, "stop parkir liar di trotoar", None, None, None),
    ("START", START, "", None, None, None),
    ("mulai", START, "", None, None, "id"),
    ("Mulai lagi", START, "", None, None, "id"),
    ("/start", START, "", None, None, None),
    ("/start@AduanJktBot", START, "", None, None, None),
    (f"/start {VALID}", START, VALID, VALID, None, None),
    ("smart", R, "smart", None, None, None),
    # --- language
    ("ENGLISH", L, "", None, None, "en"),
    ("english please", L, "", None, None, "en"),
    ("BAHASA INGGRIS", L, "", None, None, "en"),
    ("BAHASA INGGRIS PLS", L, "", None, None, "en"),
    ("BAHASA INDONESIA", L, "", None, None, "id"),
    ("Bahasa Indonesia saja", L, "", None, None, "id"),
    ("Indonesia", L, "", None, None, "id"),
    ("bahasa", L, "", None, None, "id"),
    ("english: the road is broken", R, "english: the road is broken", None, None, None),
    ("bahasa kasar petugas kelurahan", R, "bahasa kasar petugas kelurahan", None, None, None),
]


@pytest.mark.parametrize(("text", "kind", "rest", "tracking_id", "invalid_id", "language"), CASES, ids=[c[0] or "<empty>" for c in CASES])
def test_parse_table(text, kind, rest, tracking_id, invalid_id, language) -> None:
    assert parse_citizen_command(text) == CitizenCommand(
        kind, text=rest, tracking_id=tracking_id, invalid_id=invalid_id, language=language
    )


def test_table_is_large() -> None:
    assert len(CASES) >= 60


def test_other_prefix() -> None:
    cmd = parse_citizen_command("cek bdg-7k3m-qxp2", prefix="BDG")
    assert cmd.tracking_id == "BDG-7K3M-QXP2"


def test_mistyped_prefix_still_finds_the_code() -> None:
    assert parse_citizen_command("cek JKY-7K3M-QXP2").tracking_id == VALID


# --- properties ---------------------------------------------------------------

_CONFUSABLE = "01ILO"


def _check_symbol(body: str) -> str:
    return next(c for c in ALPHABET if is_valid_code(body + c))


codes = st.text(alphabet=ALPHABET, min_size=7, max_size=7).map(lambda body: body + _check_symbol(body))


@st.composite
def typed_ids(draw, code_strategy=codes):
    """A code as a citizen might type it: any case, with or without prefix, dashes or spaces."""
    code = draw(code_strategy)
    with_prefix = draw(st.booleans())
    sep = draw(st.sampled_from(["-", " ", "", ".", "_"]))
    prefix_sep = draw(st.sampled_from(["-", " ", ""]))
    typed = (f"JKT{prefix_sep}" if with_prefix else "") + code[:4] + sep + code[4:]
    flips = draw(st.lists(st.booleans(), min_size=len(typed), max_size=len(typed)))
    return code, "".join(ch.lower() if f else ch for ch, f in zip(typed, flips))


keywords = st.sampled_from(["CEK", "cek", "Cek", "/cek", "CEK:", "cek,", "cek status", "CEK STATUS", "cel", "check"])


@settings(max_examples=300)
@given(keywords, typed_ids())
def test_any_valid_id_is_recognised_after_cek(keyword: str, typed: tuple[str, str]) -> None:
    code, as_typed = typed
    cmd = parse_citizen_command(f"{keyword} {as_typed}")
    assert cmd.kind == "status"
    assert cmd.tracking_id == f"JKT-{code[:4]}-{code[4:]}"
    assert cmd.invalid_id is None


@st.composite
def typo_codes(draw):
    code = draw(codes)
    pos = draw(st.integers(0, len(code) - 1))
    wrong = draw(st.sampled_from(ALPHABET + _CONFUSABLE).filter(lambda c: c != code[pos]))
    return code[:pos] + wrong + code[pos + 1:]


@settings(max_examples=300)
@given(keywords, typed_ids(typo_codes()))
def test_single_symbol_typo_is_invalid_never_another_id(keyword: str, typed: tuple[str, str]) -> None:
    _, as_typed = typed
    cmd = parse_citizen_command(f"{keyword} {as_typed}")
    assert cmd.kind == "status"
    assert cmd.tracking_id is None
    assert cmd.invalid_id == as_typed


@given(st.text(max_size=200))
def test_never_crashes_and_kind_is_known(text: str) -> None:
    cmd = parse_citizen_command(text)
    assert cmd.kind in {"report", "status", "help", "reopen", "stop", "start", "language"}
    assert cmd.language in {None, "id", "en"}
