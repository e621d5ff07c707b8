"""Walk the MIME tree within limits: body text (plain preferred over HTML), photos, what was dropped."""
from __future__ import annotations

import base64
import hashlib
import re
from email.message import Message
from typing import Any

from adapters.contract.media import part_bytes, sniff_image_type
from adapters.contract.messages import InboundAttachment
from adapters.email.charset import decode_bytes
from adapters.email.headers import Headers, decode_value
from adapters.email.html_text import html_to_text
from adapters.email.model import ParserConfig

_SKIP_TYPES = {
    "application/pgp-signature",
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
    "message/delivery-status",
    "message/disposition-notification",
    "text/rfc822-headers",
    "text/calendar",
}


# Parser defects worth telling staff about (what was salvaged may be partial).
_DEFECT_NOTES = {
    "CloseBoundaryNotFoundDefect": "truncated MIME: the closing boundary is missing",
    "StartBoundaryNotFoundDefect": "broken MIME: the start boundary is missing",
    "InvalidBase64PaddingDefect": "broken base64 in a part: salvaged what decodes",
    "InvalidBase64CharactersDefect": "broken base64 in a part: salvaged what decodes",
    "InvalidBase64LengthDefect": "broken base64 in a part: salvaged what decodes",
    "MissingHeaderBodySeparatorDefect": "malformed header section",
}


class Parts:
    """Walk the MIME tree once: body text pieces, photos, and what was dropped."""

    def __init__(self, config: ParserConfig) -> None:
        self.config = config
        self.texts: list[str] = []
        self.photos: list[InboundAttachment] = []
        self.dropped: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self._seen = 0
        self._hashes: set[str] = set()

    def body_text(self) -> str:
        return "\n\n".join(t.strip("\n") for t in self.texts if t.strip())

    def _note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def collect(self, part: Message, *, depth: int, want_text: bool) -> None:
        if self._seen >= self.config.max_mime_parts:
            self._note(f"more than {self.config.max_mime_parts} MIME parts: the rest was ignored")
            return
        if depth > self.config.max_mime_depth:
            self._note(f"MIME parts nested deeper than {self.config.max_mime_depth} were ignored")
            return
        self._seen += 1
        try:
            ctype = part.get_content_type()
            if part.is_multipart():
                self._multipart(part, ctype, depth, want_text)
            elif ctype in ("message/rfc822", "message/global"):
                self._attached_message(part, depth, want_text)
            elif ctype in _SKIP_TYPES:
                return
            elif ctype.startswith("text/") and not _is_attachment(part):
                if want_text:
                    self._text(part, ctype)
            elif ctype.startswith("multipart/"):
                # A multipart without a usable boundary arrives as one string: read it as text.
                self._note("broken MIME: a multipart part without a boundary was read as text")
                if want_text:
                    self.texts.append(_part_text(part))
            else:
                self._file(part, ctype)
        except Exception as exc:  # noqa: BLE001 - one broken part must not lose the rest
            self._note(f"a MIME part could not be read ({type(exc).__name__})")
        for defect in getattr(part, "defects", ()):
            note = _DEFECT_NOTES.get(type(defect).__name__)
            if note:
                self._note(note)

    def _multipart(self, part: Message, ctype: str, depth: int, want_text: bool) -> None:
        children = [c for c in part.get_payload() if isinstance(c, Message)] if isinstance(part.get_payload(), list) else []
        if ctype == "multipart/encrypted":
            self._note("encrypted mail cannot be read")
            return
        if ctype == "multipart/alternative" and children:
            chosen = _choose_alternative(children)
            for child in children:
                # Images may live in the branch we do not read the text of (Apple Mail).
                self.collect(child, depth=depth + 1, want_text=want_text and child is chosen)
            return
        for child in children:
            self.collect(child, depth=depth + 1, want_text=want_text)

    def _attached_message(self, part: Message, depth: int, want_text: bool) -> None:
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else payload
        if not isinstance(inner, Message):
            return
        if want_text:
            headers = Headers(inner)
            lines = ["---------- Pesan terusan ----------"]
            for label, name in (("Dari", "from"), ("Tanggal", "date"), ("Subjek", "subject")):
                value = headers.get(name)
                if value:
                    lines.append(f"{label}: {value}")
            self.texts.append("\n".join(lines))
        self.collect(inner, depth=depth + 1, want_text=want_text)

    def _text(self, part: Message, ctype: str) -> None:
        text = _part_text(part)
        if ctype == "text/html":
            # Markup is several times its text; the text is cut at max_text_chars later anyway.
            text = html_to_text(text[: self.config.max_text_chars * 5])
        elif ctype != "text/plain":
            return  # text/enriched, text/x-vcard...: not a body
        elif str(part.get_param("format", "") or "").lower() == "flowed":
            text = unflow(text, delsp=str(part.get_param("delsp", "") or "").lower() == "yes")
        self.texts.append(text)

    def _file(self, part: Message, ctype: str) -> None:
        filename = _filename(part)
        data = _payload_bytes(part)
        if not isinstance(data, bytes) or not data:
            return
        declared_image = ctype.startswith("image/") or bool(
            filename and re.search(r"\.(jpe?g|png|webp|gif|heic|bmp)$", filename, re.I)
        )
        real = sniff_image_type(data)
        entry = {"filename": filename, "declared_type": ctype, "size": len(data)}
        if real is None:
            reason = "not-a-supported-image" if declared_image else "unsupported-type"
            self.dropped.append({**entry, "reason": reason})
            return
        if len(data) < self.config.min_photo_bytes:
            self.dropped.append({**entry, "reason": "too-small"})  # logos, tracking pixels
            return
        if len(data) > self.config.max_photo_bytes:
            self.dropped.append({**entry, "reason": "too-large"})
            return
        digest = hashlib.sha256(data).hexdigest()
        if digest in self._hashes:
            return  # same image in two alternative branches
        if len(self.photos) >= self.config.max_photos:
            self.dropped.append({**entry, "reason": "too-many"})
            return
        self._hashes.add(digest)
        self.photos.append(InboundAttachment(content=data, content_type=real, filename=filename))


def _choose_alternative(children: list[Message]) -> Message:
    """Prefer a non-empty text/plain; else the richest (last) other alternative."""
    for child in children:
        if child.get_content_type() == "text/plain" and _part_text(child).strip():
            return child
    for child in reversed(children):
        if child.get_content_type() == "text/html" or child.is_multipart():
            return child
    return children[0]


def _is_attachment(part: Message) -> bool:
    try:
        return (part.get_content_disposition() or "") == "attachment"
    except Exception:  # noqa: BLE001
        return False


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001 - broken RFC 2231 parameters
        name = None
    if not name:
        return None
    # Keep only a base name: the filename is sender-controlled (and may be an RFC 2047 word).
    return decode_value(str(name)).replace("\\", "/").rsplit("/", 1)[-1][:200] or None


def _payload_bytes(part: Message) -> bytes | None:
    """The decoded payload; base64 the stdlib gave up on is decoded leniently."""
    data = part_bytes(part)
    if any(type(d).__name__ == "InvalidBase64LengthDefect" for d in part.defects):
        # The stdlib returns the undecoded text here: keep every whole 4-char group.
        payload = part.get_payload()
        if isinstance(payload, str):
            chars = re.sub(r"[^A-Za-z0-9+/]", "", payload)
            try:
                data = base64.b64decode(chars[: len(chars) // 4 * 4])
            except ValueError:
                pass
    return data


def _part_text(part: Message) -> str:
    """A text part's content in any charset, never raising."""
    try:
        data = _payload_bytes(part)
    except Exception:  # noqa: BLE001 - broken transfer encoding: use the raw payload
        data = None
    if not isinstance(data, bytes):
        payload = part.get_payload()
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    try:
        charset = part.get_content_charset()
    except Exception:  # noqa: BLE001
        charset = None
    return decode_bytes(data, charset)


def unflow(text: str, *, delsp: bool = False) -> str:
    """Undo RFC 3676 format=flowed soft line breaks."""
    out: list[str] = []
    buffer = ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith(" "):
            line = line[1:]  # space-stuffing
        if line.endswith(" ") and line != "-- ":
            buffer += line[:-1] if delsp else line
            continue
        out.append(buffer + line)
        buffer = ""
    if buffer:
        out.append(buffer)
    return "\n".join(out)
