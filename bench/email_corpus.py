"""A folder of realistic Indonesian complaint mails for bench/email.py (issue 16, point 4).

About 55 % plain text, 25 % multipart/alternative (text + HTML), 20 % with a
small real JPEG (made with Pillow); about one mail in six answers an earlier
one of the same citizen (In-Reply-To, References, "Re:" subject, quoted text);
about a third of the subjects and display names carry non-ASCII characters, so
they travel as RFC 2047 encoded words. Deterministic for a given seed.
"""
from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import compat32
from email.utils import format_datetime, parseaddr
from pathlib import Path

OUR_ADDRESS = "dki@jakarta.go.id"
WIB = timezone(timedelta(hours=7))

PROBLEMS = [
    ("Sampah menumpuk", "Sampah menumpuk di pinggir {street} sudah {days} hari tidak diangkut, baunya sampai ke rumah warga."),
    ("Jalan berlubang", "Jalan berlubang cukup dalam di {street}, sudah ada pengendara motor yang jatuh tadi malam."),
    ("Lampu PJU mati", "Lampu penerangan jalan di {street} mati sejak {days} hari lalu, malam hari gelap sekali dan rawan."),
    ("Saluran air mampet", "Saluran air (got) di {street} mampet, kalau hujan air meluap ke jalan dan masuk ke rumah."),
    ("Pohon tumbang", "Ada pohon tumbang menutup sebagian {street}, mohon segera dipotong karena menghalangi kendaraan."),
    ("Parkir liar", "Parkir liar di trotoar {street} membuat pejalan kaki harus turun ke jalan, setiap hari begini."),
    ("Banjir", "Air setinggi lutut menggenangi {street} setelah hujan tadi sore dan belum surut juga."),
    ("Pedagang kaki lima", "Pedagang kaki lima berjualan di atas trotoar {street} sampai menutup jalan masuk gang."),
    ("Kabel menjuntai", "Kabel listrik/telepon menjuntai rendah di {street}, bisa tersangkut truk atau membahayakan anak-anak."),
    ("Trotoar rusak", "Trotoar di {street} rusak dan ubinnya lepas, sudah dua orang tersandung minggu ini."),
]
ACCENTS = ["\u2013 mohon segera ditindaklanjuti", "\u201cdarurat\u201d", "\U0001F6A7", "(sudah 3\u00d7 lapor)", "\u2014 RT 05/RW 02"]
STREETS = ["Jl. Kemang Raya", "Jl. Tebet Barat Dalam", "Jl. Raya Bogor dekat halte", "Jl. Sabang", "Jl. Cipete Raya",
           "Gg. Kelinci, Pasar Baru", "Jl. Pramuka", "Jl. Daan Mogot km 12", "Jl. Kramat Raya", "Jl. Cempaka Putih Tengah"]
NAMES = ["Siti Rahma", "Budi Santoso", "Dewi Lestari", "Agus Pratama", "Rina Wulandari", "Andi Saputra",
         "Nur Aisyah", "Hendra Gunawan", "Putri Ayu", "Bambang Susilo", "S\u00e9bastien Tanuwidjaja", "Yos\u00e9 Rizal"]
DOMAINS = ["gmail.com", "yahoo.co.id", "outlook.com", "ymail.com", "telkom.net"]
FOLLOW_UPS = ["Sampai hari ini belum ada petugas yang datang. Mohon dicek lagi.",
              "Tambahan: kondisinya makin parah setelah hujan semalam.",
              "Terima kasih, apakah sudah ada jadwal penanganan?"]


@dataclass(frozen=True)
class Mail:
    name: str
    raw: bytes
    sender: str  # the envelope sender (MAIL FROM)
    message_id: str  # without angle brackets
    reply: bool


def _areas(root: Path) -> list[str]:
    lines = (root / "data" / "jakarta_areas.csv").read_text(encoding="utf-8").splitlines()[1:]
    return [f"Kel. {row.split(',')[1]}, Kec. {row.split(',')[3]}" for row in lines if row.startswith("31.7")][:200]


def jpeg(rng: random.Random, width: int = 160, height: int = 120) -> bytes:
    """A small real JPEG (noise over a colour), different per call."""
    from PIL import Image

    base = Image.new("RGB", (width, height), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    noise = Image.effect_noise((width, height), 30 + rng.randrange(30)).convert("RGB")
    out = io.BytesIO()
    Image.blend(base, noise, 0.5).save(out, "JPEG", quality=70)
    return out.getvalue()


def _html(body: str) -> str:
    paragraphs = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in body.split("\n\n"))
    return ("<html><head><style>p{font-family:Arial}</style></head><body><div dir=\"ltr\">"
            f"{paragraphs}</div><div class=\"gmail_signature\">--<br>Dikirim dari ponsel</div></body></html>")


def generate(n: int, root: Path, seed: int = 16) -> list[Mail]:
    rng = random.Random(seed)
    areas = _areas(root)
    start = datetime(2026, 11, 30, 7, 0, tzinfo=WIB)
    originals: list[tuple[str, str, str, str, str, int]] = []  # (name, address, subject, body, msgid, replies)
    mails: list[Mail] = []
    for i in range(n):
        kind = ("plain", "alternative", "jpeg")[0 if i % 20 < 11 else 1 if i % 20 < 16 else 2]
        candidates = [o for o in originals[-200:] if o[5] == 0]
        reply_to = rng.choice(candidates) if i % 6 == 5 and candidates else None
        if reply_to is not None:
            name, address, first_subject, first_body, parent_id, _ = reply_to
            originals[originals.index(reply_to)] = reply_to[:5] + (1,)
            subject = "Re: " + first_subject
            quoted = "\n".join("> " + line for line in first_body.splitlines())
            body = (f"{rng.choice(FOLLOW_UPS)}\n\n{name}\n\nPada Sen, 30 Nov 2026 pukul 08.00, {name} "
                    f"<{address}> menulis:\n{quoted}\n")
        else:
            name = rng.choice(NAMES)
            address = f"{name.split()[0].lower().encode('ascii', 'ignore').decode()}.{i}@{rng.choice(DOMAINS)}"
            title, sentence = rng.choice(PROBLEMS)
            place = f"{rng.choice(STREETS)} {rng.choice(areas)}"
            subject = f"{title} di {place.split(',')[0]}" + (f" {rng.choice(ACCENTS)}" if i % 3 == 0 else "")
            body = (f"Selamat pagi Bapak/Ibu,\n\n{sentence.format(street=place, days=rng.randint(2, 9))}\n\n"
                    f"Mohon bantuannya. Terima kasih.\n\nSalam,\n{name}\n{rng.choice(['0812', '0857', '0813'])}"
                    f"{rng.randint(10_000_000, 99_999_999)}\n")
            parent_id = None
        message_id = f"bench.{i}.{rng.getrandbits(40):x}@mail.{address.rsplit('@', 1)[1]}"
        m = EmailMessage()
        m["From"] = f"{name} <{address}>"
        m["To"] = f"Aduan Jakarta <{OUR_ADDRESS}>"
        m["Subject"] = subject
        m["Date"] = format_datetime(start + timedelta(seconds=37 * i))
        m["Message-ID"] = f"<{message_id}>"
        if parent_id is not None:
            m["In-Reply-To"] = f"<{parent_id}>"
            m["References"] = f"<{parent_id}>"
        m["MIME-Version"] = "1.0"
        m.set_content(body)
        if kind == "alternative":
            m.add_alternative(_html(body), subtype="html")
        elif kind == "jpeg":
            m.add_attachment(jpeg(rng), maintype="image", subtype="jpeg", filename=f"IMG_2026113{i % 10}_{i}.jpg")
        if reply_to is None:
            originals.append((name, address, subject, body, message_id, 0))
        mails.append(Mail(f"{i:06d}.eml", m.as_bytes(), address, message_id, reply_to is not None))
    return mails


def write_dir(mails: list[Mail], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for mail in mails:
        (folder / mail.name).write_bytes(mail.raw)


def read_dir(folder: Path) -> list[Mail]:
    """The ``.eml`` files of a folder, in name order; the envelope sender is the From address."""
    mails = []
    for path in sorted(folder.glob("*.eml")):
        raw = path.read_bytes()
        head = BytesParser(policy=compat32).parsebytes(raw, headersonly=True)
        sender = parseaddr(str(head.get("From", "")))[1].lower()
        message_id = str(head.get("Message-ID", "")).strip().strip("<>")
        mails.append(Mail(path.name, raw, sender, message_id, bool(head.get("In-Reply-To"))))
    return mails
