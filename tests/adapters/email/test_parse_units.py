"""Tables for the small pure helpers: quote trimming, HTML, charsets, subjects, settings."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from adapters.email import EmailSettings, SmtpUser, hash_password
from adapters.email.charset import decode_bytes
from adapters.email.html_text import html_to_text
from adapters.email.mime import unflow
from adapters.email.quotes import trim_reply
from adapters.email.settings import verify_password
from adapters.email.subject import clean_subject, compose_text

TID = "JKT-7K3M-QXP2"

TRIM = [
    ("gmail english attribution",
     "Masih rusak.\n\nOn Mon, Jun 3, 2024 at 10:15 AM Aduan <dki@jakarta.go.id> wrote:\n> Laporan diterima.",
     "Masih rusak."),
    ("gmail attribution wrapped over two lines",
     "Masih rusak.\n\nOn Mon, Jun 3, 2024 at 10:15 AM Pemprov DKI Jakarta - Aduan <\ndki@jakarta.go.id> wrote:\n\n> x",
     "Masih rusak."),
    ("indonesian gmail attribution",
     "Belum beres.\n\nPada tanggal Sen, 3 Jun 2024 pukul 10.15 Aduan <dki@jakarta.go.id> menulis:\n> x",
     "Belum beres."),
    ("apple indonesian attribution", "Oke.\n\nPada 3 Jun 2024, pukul 10.15, Aduan <dki@jakarta.go.id> menulis:\n\n> x",
     "Oke."),
    ("original message separator", "Sudah.\n\n-----Original Message-----\nFrom: Aduan\nSent: Monday\n\nold", "Sudah."),
    ("outlook header block", "Baik.\n\nFrom: Aduan <dki@jakarta.go.id>\nSent: Monday, June 3, 2024 10:15 AM\n"
     "To: Andi\nSubject: [JKT-7K3M-QXP2] Laporan\n\nold text", "Baik."),
    ("outlook block in indonesian with underscores", "Terima kasih.\n\n________________________________\n"
     "Dari: Aduan <dki@jakarta.go.id>\nDikirim: Senin, 03 Juni 2024 10.15\nKepada: Siti\nSubjek: x\n\nold",
     "Terima kasih."),
    ("inline answers keep the citizen's lines", "> Di mana lokasinya?\nDi depan SDN 01.\n> Sejak kapan?\nKemarin.",
     "Di depan SDN 01.\nKemarin."),
    ("dash-dash signature", "Tolong dicek.\n\n-- \nBudi\nRT 05", "Tolong dicek."),
    ("sent from my iphone", "Pohon tumbang.\n\nSent from my iPhone", "Pohon tumbang."),
    ("dikirim dari", "Banjir lagi.\n\nDikirim dari Yahoo Mail di Android", "Banjir lagi."),
    ("get outlook", "Sudah menyala.\n\nGet Outlook for iOS<https://aka.ms/o0ukef>", "Sudah menyala."),
    ("phrase inside the text is not a signature", "Dikirim dari kantor kelurahan tapi belum ada tindakan.\nMohon dicek.",
     "Dikirim dari kantor kelurahan tapi belum ada tindakan.\nMohon dicek."),
    ("gmail forward keeps everything", "FYI\n\n---------- Forwarded message ---------\nFrom: RT 05 <rt@x.id>\n"
     "Date: Sun\nSubject: banjir\nTo: me\n\nSaluran tersumbat.",
     "FYI\n\n---------- Forwarded message ---------\nFrom: RT 05 <rt@x.id>\nDate: Sun\nSubject: banjir\nTo: me\n\n"
     "Saluran tersumbat."),
    ("apple forward keeps everything", "Lihat bawah.\n\nBegin forwarded message:\n\nFrom: A <a@b.c>\n\nIsi keluhan.",
     "Lihat bawah.\n\nBegin forwarded message:\n\nFrom: A <a@b.c>\n\nIsi keluhan."),
    ("placeholders removed", "Fotonya:\n[image: IMG_1.jpg]\n[cid:image001.png@01DA]\nsekian", "Fotonya:\n\nsekian"),
    ("blank lines collapsed", "a\n\n\n\n\nb", "a\n\nb"),
]


@pytest.mark.parametrize(("label", "text", "expected"), TRIM, ids=[t[0] for t in TRIM])
def test_trim_reply(label: str, text: str, expected: str) -> None:
    assert trim_reply(text) == expected


def test_trim_keeps_a_non_reply_that_looks_fully_quoted() -> None:
    text = "From: RT 05\nSent: kemarin\nTo: saya\n\nSaluran tersumbat."
    assert trim_reply(text, is_reply=True) == ""
    assert "Saluran tersumbat." in trim_reply(text, is_reply=False)


def test_trim_forward_flag_keeps_outlook_block() -> None:
    text = "Mohon dicatat.\n\nFrom: Warga\nSent: Senin\nTo: Lurah\nSubject: Parkir liar\n\nParkir liar tiap malam."
    assert "Parkir liar tiap malam." in trim_reply(text, is_forward=True)


HTML = [
    ("blocks and breaks", "<div>satu</div><div><br></div><div>dua<br>tiga</div>", "satu\n\ndua\ntiga"),
    ("entities and nbsp", "<p>A&amp;B&nbsp;C &lt;x&gt;</p>", "A&B C <x>"),
    ("style script head skipped", "<head><title>t</title><style>p{}</style></head><script>x()</script><p>isi</p>",
     "isi"),
    ("links keep their url", '<a href="https://maps.app.goo.gl/x">Lokasi</a>', "Lokasi (https://maps.app.goo.gl/x)"),
    ("bare url link not doubled", '<a href="https://x.id/">https://x.id/</a>', "https://x.id/"),
    ("mailto dropped", '<a href="mailto:a@b.c">a@b.c</a>', "a@b.c"),
    ("blockquote quoted", "<p>baru</p><blockquote>lama<br>lama2</blockquote>", "baru\n\n> lama\n> lama2"),
    ("lists", "<ul><li>satu</li><li>dua</li></ul>", "- satu\n- dua"),
    ("table cells", "<table><tr><td>Nama</td><td>Budi</td></tr></table>", "Nama | Budi"),
    ("word conditional comments", "<!--[if gte mso 9]><xml>junk</xml><![endif]--><p class=MsoNormal>isi<o:p></o:p></p>",
     "isi"),
    ("pre keeps lines", "<pre>a  b\nc</pre>", "a  b\nc"),
    ("unclosed tags", "<div><p>isi <b>tebal", "isi tebal"),
]


@pytest.mark.parametrize(("label", "html", "expected"), HTML, ids=[h[0] for h in HTML])
def test_html_to_text(label: str, html: str, expected: str) -> None:
    assert html_to_text(html) == expected


CHARSETS = [
    ("utf-8", "Jalan rusak — parah".encode("utf-8"), "utf-8", "Jalan rusak — parah"),
    ("iso-8859-1", "café ±".encode("latin-1"), "iso-8859-1", "café ±"),
    ("latin-1 label with cp1252 quotes", "“PKL” – €".encode("cp1252"), "ISO-8859-1", "“PKL” – €"),
    ("windows-1252", "“jukir”".encode("cp1252"), "windows-1252", "“jukir”"),
    ("bogus label, utf-8 bytes", "kopi ☕".encode("utf-8"), "x-bogus", "kopi ☕"),
    ("bogus label, cp1252 bytes", "café".encode("cp1252"), "x-bogus", "café"),
    ("no label, utf-8", "Tebet — Jaksel".encode(), None, "Tebet — Jaksel"),
    ("us-ascii label with utf-8 bytes", "naïve".encode(), "us-ascii", "naïve"),
    ("invalid utf-8 under a utf-8 label", b"ok \xff\xfe", "utf-8", "ok \ufffd\ufffd"),
    ("utf-16", "halo".encode("utf-16"), "utf-16", "halo"),
    ("non-text codec name", b"abc", "base64", "abc"),
    ("gb2312", "你好".encode("gb2312"), "gb2312", "你好"),
]


@pytest.mark.parametrize(("label", "data", "charset", "expected"), CHARSETS, ids=[c[0] for c in CHARSETS])
def test_decode_bytes(label: str, data: bytes, charset: str | None, expected: str) -> None:
    assert decode_bytes(data, charset) == expected


SUBJECTS = [
    ("Re: [JKT-7K3M-QXP2] Laporan JKT-7K3M-QXP2", "Laporan JKT-7K3M-QXP2", TID),
    ("RE: Fwd: AW: Jalan rusak", "Jalan rusak", None),
    ("[JKT-7K3M-QXP2] Re: Sampah", "Sampah", TID),
    ("Balas: [jkt 7k3m qxp2] lampu", "lampu", TID),
    ("Re: [JKT-7K3M-QXP3] typo in the check symbol", "[JKT-7K3M-QXP3] typo in the check symbol", None),
    ("Automatic reply: [JKT-7K3M-QXP2] Laporan", "Laporan", TID),
    ("Re[2]: banjir", "banjir", None),
    ("", "", None),
]


@pytest.mark.parametrize(("subject", "clean", "tag"), SUBJECTS)
def test_clean_subject(subject: str, clean: str, tag: str | None) -> None:
    assert clean_subject(subject) == (clean, tag)


COMPOSE = [
    ("Sampah menumpuk", "Sudah 5 hari.", None, "Sampah menumpuk\n\nSudah 5 hari."),
    ("Laporan JKT-7K3M-QXP2", "Belum beres.", TID, "[JKT-7K3M-QXP2]\n\nBelum beres."),
    ("Lampu mati", "Masih mati.", TID, "[JKT-7K3M-QXP2] Lampu mati\n\nMasih mati."),
    ("(no subject)", "isi", None, "isi"),
    ("Pohon tumbang", "Pohon tumbang di Cipete.", None, "Pohon tumbang di Cipete."),
    ("", "", TID, "[JKT-7K3M-QXP2]"),
]


@pytest.mark.parametrize(("subject", "body", "tag", "text"), COMPOSE)
def test_compose_text(subject: str, body: str, tag: str | None, text: str) -> None:
    assert compose_text(subject, body, tag) == text


def test_unflow() -> None:
    assert unflow("satu \ndua \ntiga\n-- \nsig") == "satu dua tiga\n-- \nsig"
    assert unflow("ab \ncd", delsp=True) == "abcd"
    assert unflow(" >not a quote") == ">not a quote"  # space-stuffed


def test_password_hashes() -> None:
    stored = hash_password("rahasia")
    assert stored.startswith("scrypt$") and "rahasia" not in stored
    assert verify_password(b"rahasia", stored)
    assert not verify_password(b"salah", stored)
    assert not verify_password(b"rahasia", "garbage$1$2")
    assert not verify_password(b"rahasia", "scrypt$x$y$z$w$v")
    # Django-style pbkdf2_sha256, so existing hashes can be reused.
    django = "pbkdf2_sha256$1000$salt$" + __import__("base64").b64encode(
        __import__("hashlib").pbkdf2_hmac("sha256", b"rahasia", b"salt", 1000)).decode()
    assert verify_password(b"rahasia", django)


def test_env_password_user(monkeypatch: pytest.MonkeyPatch) -> None:
    user = SmtpUser(username="fwd", password_env="ADUAN_TEST_PW")
    assert not user.check(b"")  # unset variable: nobody logs in
    monkeypatch.setenv("ADUAN_TEST_PW", "abc")
    assert user.check(b"abc") and not user.check(b"abd")


@pytest.mark.parametrize(
    "values",
    [
        {"tls_cert_file": "cert.pem"},
        {"require_starttls": True},
        {"auth_required": True},
        {"addresses": []},
        {"auth_users": [{"username": "x"}]},
        {"auth_users": [{"username": "x", "password_hash": "h", "password_env": "E"}]},
    ],
)
def test_invalid_settings(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        EmailSettings(**values)


def test_settings_defaults_and_secrets() -> None:
    settings = EmailSettings(addresses=["DKI@Jakarta.go.id", "pengaduan@jakarta.go.id"],
                             relay={"host": "smtp.example.id", "password": "sangat-rahasia"})
    assert settings.listen_host == "127.0.0.1" and settings.listen_port == 2525
    assert settings.max_message_bytes == 25 * 1024 * 1024
    assert settings.from_address == "dki@jakarta.go.id"
    assert settings.msgid_domain == "jakarta.go.id"
    assert "sangat-rahasia" not in repr(settings) and "sangat-rahasia" not in settings.model_dump_json()
