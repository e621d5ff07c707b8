"""The pure renderer: one outbox row -> provider messages, from the channel's text policy alone."""
from __future__ import annotations

from dataclasses import replace

import pytest

from adapters.base import TextPolicy
from adapters.twilio.gsm import fits_sms, gsm_friendly
from bot.render import Part, render

URL = "https://aduan.jakarta.go.id/t/JKT-7K3M-QXP4"
LINK_LINE = f"Foto bukti: {URL}"
TID = "JKT-7K3M-QXP4"

SMS = TextPolicy(prepare=gsm_friendly, fits=lambda t: fits_sms(t, 3), split_long_text=False, links_fit=False,
                 photos=False, photo_caption_max=459)
SMS_1 = replace(SMS, fits=lambda t: fits_sms(t, 1))
CHAT = TextPolicy(prepare=lambda t: t, fits=lambda t: len(t) <= 100, split_long_text=True, links_fit=True,
                  photos=True, photo_caption_max=40)
NO_PHOTO_CHAT = replace(CHAT, photos=False)

SELESAI = f"Laporan {TID} SELESAI ditangani. Lihat foto bukti di {URL} . Belum beres? Balas BUKA {TID}"

CASES = [
    # label, text, policy, has_photo, expected parts
    ("short text fits as is", "Laporan diterima.", CHAT, False, [Part("Laporan diterima.")]),
    ("photo rides on the only part", "Selesai.", CHAT, True, [Part("Selesai.", True)]),
    ("long caption: photo goes last with the ID", "x" * 60, CHAT, True, [Part("x" * 60), Part(TID, True)]),
    ("no photo support: the link line is added", "Selesai.", NO_PHOTO_CHAT, True,
     [Part(f"Selesai.\n{LINK_LINE}")]),
    ("no photo support, text links the page already: nothing added", SELESAI[:95].rsplit(" ", 1)[0] + f" {URL}",
     NO_PHOTO_CHAT, True, None),
    ("SMS SELESAI with the link already in it stays one message with one link", SELESAI, SMS, True, None),
    ("SMS: curly quotes made GSM-7", "Status \u201cProses\u201d", SMS, False, [Part('Status "Proses"')]),
    ("SMS too long: shortened, ends with the link exactly once", "kata " * 200, SMS_1, False, None),
    ("SMS too long with the link inside: the link is not repeated", f"Lihat {URL} " + "kata " * 100, SMS_1, False,
     None),
    ("chat too long: split at words, nothing lost", " ".join(f"kalimat{i}." for i in range(40)), CHAT, False, None),
]


@pytest.mark.parametrize("label,text,policy,has_photo,expected", CASES, ids=[c[0] for c in CASES])
def test_render(label, text, policy, has_photo, expected):
    parts = render(text, policy, tracking_id=TID, tracking_url=URL, has_photo=has_photo, photo_link_line=LINK_LINE)
    if expected is not None:
        assert parts == expected
    assert all(policy.fits(p.text) for p in parts)
    assert sum(p.with_photo for p in parts) == (1 if has_photo and policy.photos else 0)
    whole = " ".join(p.text for p in parts)
    if URL in text or (has_photo and not policy.photos) or not policy.split_long_text and not policy.fits(text):
        assert whole.count(URL) == 1, whole  # the link is there, once
    if policy.split_long_text and not has_photo:
        assert whole.split() == policy.prepare(text).split()  # splitting loses nothing


def test_final_sms_with_the_photo_fallback_is_one_segment_shorter_than_before():
    """The SELESAI SMS carried its link twice (text + fallback line): 2 segments for 1."""
    (part,) = render(SELESAI, SMS, tracking_id=TID, tracking_url=URL, has_photo=True, photo_link_line=LINK_LINE)
    assert part.text == SELESAI and fits_sms(part.text, 1)
    assert not fits_sms(f"{SELESAI}\n{LINK_LINE}", 1)
