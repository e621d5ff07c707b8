"""Trim quoted history and signatures from a mail body; keep forwarded content whole.

Hand-written: the maintained reply parsers (mail-parser-reply, quotequail)
know no Indonesian ("Pada ... menulis:").
"""
from __future__ import annotations

import re

_ATTRIBUTION_START = re.compile(r"^\s*(?:On|Pada|Am|Le|El|Il)\b", re.I)
_ATTRIBUTION = re.compile(
    r"^\s*(?:On|Pada|Am|Le|El|Il)\b.{0,300}?(?:wrote|menulis|schrieb|a écrit|escribió|ha scritto)\s*:\s*$",
    re.I | re.S,
)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Pesan Asli|Pesan Awal|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}\s*$", re.I
)
_OUTLOOK_FROM = re.compile(r"^\s*\*?(?:From|Dari|Von|De)\s*:\*?\s", re.I)
_OUTLOOK_FIELD = re.compile(r"^\s*\*?(?:Sent|Date|Dikirim|Terkirim|Tanggal|Gesendet|To|Kepada|Subject|Perihal|Subjek)\s*:", re.I)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_FORWARD_MARKER = re.compile(
    r"^\s*(?:-{3,}\s*(?:Forwarded message|Pesan terusan|Pesan yang diteruskan|Weitergeleitete Nachricht)\s*-{3,}"
    r"|Begin forwarded message:|Awal pesan yang diteruskan:)\s*$",
    re.I,
)
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:Sent from|Sent via|Sent with|Dikirim dari|Dikirim melalui|Dikirim via|Terkirim dari|Kirim dari|"
    r"Get Outlook for|Dapatkan Outlook untuk|Download Outlook for)\b.{0,80}$",
    re.I,
)
_PLACEHOLDER = re.compile(r"\[(?:image|gambar|cid):[^\]\n]{0,200}\]", re.I)


def trim_reply(text: str, *, is_forward: bool = False, is_reply: bool = True) -> str:
    """Drop quoted history and signatures; keep forwarded content whole."""
    text = _PLACEHOLDER.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " "))
    text = re.sub(r"[\u200b\u200c\u200d\u2060\ufeff]", "", text)
    lines = [line.rstrip() for line in text.split("\n")]
    cut = _quote_start(lines)
    forward_at = next((i for i, line in enumerate(lines) if _FORWARD_MARKER.match(line)), None)
    if is_forward or (forward_at is not None and (cut is None or forward_at <= cut)):
        # A forward carries the complaint below the marker: trim nothing but
        # trailing phone signatures.
        return _tidy(_drop_trailing_signature(lines))
    kept = lines[:cut] if cut is not None else lines
    kept = [line for line in kept if not line.lstrip().startswith(">")]
    kept = _drop_signature_block(kept)
    result = _tidy(_drop_trailing_signature(kept))
    if not result and not is_reply:
        # Not a reply, yet everything looked quoted: keep the text rather than lose it.
        return _tidy(_drop_trailing_signature(lines))
    return result


def _quote_start(lines: list[str]) -> int | None:
    """Index of the first line of quoted history, if any."""
    for i, line in enumerate(lines):
        if _ORIGINAL_MESSAGE.match(line):
            return i
        if _ATTRIBUTION_START.match(line):
            # Gmail wraps long attributions over two or three lines.
            for span in (1, 2, 3):
                joined = " ".join(lines[i : i + span])
                if _ATTRIBUTION.match(joined):
                    return i
        if _UNDERSCORES.match(line) and any(_OUTLOOK_FROM.match(nxt) for nxt in lines[i + 1 : i + 3]):
            return i
        if _OUTLOOK_FROM.match(line):
            following = lines[i + 1 : i + 6]
            if sum(1 for nxt in following if _OUTLOOK_FIELD.match(nxt)) >= 2:
                return i
    return None


def _drop_signature_block(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if line in ("--", "-- ") and i > 0:
            return lines[:i]
    return lines


def _drop_trailing_signature(lines: list[str]) -> list[str]:
    end = len(lines)
    while end > 0 and (not lines[end - 1].strip() or _MOBILE_SIGNATURE.match(lines[end - 1])):
        end -= 1
    return lines[:end]


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
