"""Turn one raw RFC 5322 message into an InboundMessage, delivery updates or a refusal.

Pure functions only (no I/O, no clock): the SMTP server calls ``parse_email``
in a worker thread and acts on the ``ParseOutcome``.

Decisions, documented once here:

* Message-IDs are stored **without** angle brackets everywhere
  (``external_id``, ``thread_refs``, ``reply_context``), matching the id that
  ``EmailAdapter.send`` returns for the mail we send.
* Automatic mail (RFC 3834 signs, mailing lists, null sender, out-of-office)
  is still handed to intake with ``auto_reply=False`` and
  ``reply_context["auto_reason"]``: nothing a person sent is dropped. Only
  our own machine mail coming back (``X-Aduan-Loop`` with our token) and
  delivery reports are kept out of intake.
* Truly unusable input is refused with a 5xx and a reason, so the sending
  MTA bounces it to the author (nothing silently lost): a header section over
  the limit, too many MIME containers (a "MIME bomb"), no header section at
  all, or no sender address anywhere.
* Quoted-reply trimming is hand-written: the maintained reply parsers
  (mail-parser-reply, quotequail) know no Indonesian ("Pada ... menulis:").
* HTML is converted with the stdlib ``html.parser``: html2text emits Markdown
  (escaped "1\\.", dropped link targets), not clean text.
"""
from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser, HeaderParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import Any

from bot.media import sniff_image_type
from bot.models import DeliveryUpdate, InboundAttachment, InboundMessage
from bot.tracking import find_tracking_id, normalize

CHANNEL = "email"


@dataclass(frozen=True)
class ParserConfig:
    """What the parser needs to know about us and its limits."""

    addresses: tuple[str, ...] = ("dki@jakarta.go.id",)
    msgid_domain: str = "jakarta.go.id"
    loop_value: str = "jakarta.go.id"
    tracking_prefix: str = "JKT"
    max_header_bytes: int = 1024 * 1024
    max_mime_containers: int = 50
    max_mime_depth: int = 20
    max_mime_parts: int = 200
    max_photos: int = 10
    max_photo_bytes: int = 10 * 1024 * 1024
    min_photo_bytes: int = 1024
    raw_keep_bytes: int = 1024 * 1024

    @classmethod
    def from_settings(cls, settings: Any) -> ParserConfig:
        """Build from ``EmailSettings`` (kept duck-typed to avoid an import cycle)."""
        return cls(
            addresses=tuple(settings.addresses),
            msgid_domain=settings.msgid_domain.lower(),
            loop_value=settings.loop_value,
            tracking_prefix=settings.tracking_prefix,
            max_header_bytes=settings.max_header_bytes,
            max_mime_containers=settings.max_mime_containers,
            max_mime_depth=settings.max_mime_depth,
            max_mime_parts=settings.max_mime_parts,
            max_photos=settings.max_photos,
            max_photo_bytes=settings.max_photo_bytes,
            min_photo_bytes=settings.min_photo_bytes,
            raw_keep_bytes=settings.raw_keep_bytes,
        )


@dataclass
class ParseOutcome:
    """What to do with one mail.

    kind: ``message`` (submit ``message``), ``delivery`` (record ``updates``),
    ``dropped`` (accept, hand nothing on: ``reason`` says why) or ``refused``
    (answer ``smtp_reply``, a 5xx).
    """

    kind: str
    message: InboundMessage | None = None
    updates: list[DeliveryUpdate] = field(default_factory=list)
    reason: str | None = None
    smtp_reply: str | None = None


# ---------------------------------------------------------------- entry point


def parse_email(
    raw: bytes,
    config: ParserConfig = ParserConfig(),
    *,
    envelope_from: str | None = None,
    envelope_to: list[str] | None = None,
) -> ParseOutcome:
    """Parse ``raw`` as received over SMTP.

    ``envelope_from`` is the MAIL FROM address (``"<>"`` or ``""`` for the
    null sender, None when unknown); ``envelope_to`` the accepted RCPTs.
    """
    refusal = _prescan(raw, config)
    if refusal:
        return ParseOutcome("refused", smtp_reply=refusal, reason=refusal)
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except RecursionError:
        return _refuse("554 5.6.0 MIME structure too deeply nested")
    if not msg.keys():
        return _refuse("554 5.6.0 Message has no header section (not RFC 5322 mail)")

    null_sender = envelope_from is not None and envelope_from.strip() in ("", "<>")
    headers = _Headers(msg)
    if headers.get("return-path") is not None and _strip_brackets(headers.get("return-path") or "") == "":
        null_sender = True

    report = _delivery_report(msg, headers, config)
    if report is not None:
        return report
    if null_sender and _looks_like_bounce(headers):
        return _plain_bounce(raw, headers, config)

    sender, sender_name = _sender(msg, headers)
    if not sender and envelope_from and not null_sender:
        sender = _strip_brackets(envelope_from).lower()
    if not sender or "@" not in sender:
        return _refuse("550 5.1.7 No usable sender address in From or MAIL FROM")

    loop = headers.get("x-aduan-loop")
    if loop is not None and loop.strip() == config.loop_value:
        return ParseOutcome("dropped", reason="our own message came back (X-Aduan-Loop)")

    return ParseOutcome(
        "message",
        message=_build_message(raw, msg, headers, config, sender, sender_name, null_sender, envelope_from, envelope_to),
    )


def _refuse(reply: str) -> ParseOutcome:
    return ParseOutcome("refused", smtp_reply=reply, reason=reply)


_CONTAINER = re.compile(rb"(?im)^content-type:\s*(?:multipart|message)/")
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def _prescan(raw: bytes, config: ParserConfig) -> str | None:
    """Cheap checks before the stdlib parser spends time on hostile input."""
    end = _HEADER_END.search(raw, 0, config.max_header_bytes + 4)
    if end is None and len(raw) > config.max_header_bytes:
        return "552 5.3.4 Message header section too large"
    # The stdlib parser recurses per nested container and slows down
    # quadratically; legitimate mail (even forwards of forwards) has a handful.
    if len(_CONTAINER.findall(raw)) > config.max_mime_containers:
        return "554 5.6.0 Too many nested MIME parts (MIME bomb?)"
    return None


def _build_message(
    raw: bytes,
    msg: Message,
    headers: _Headers,
    config: ParserConfig,
    sender: str,
    sender_name: str | None,
    null_sender: bool,
    envelope_from: str | None,
    envelope_to: list[str] | None,
) -> InboundMessage:
    subject = headers.get("subject") or ""
    message_id = next(iter(_msgids(headers.get("message-id") or "")), None)
    in_reply_to = _msgids(headers.get("in-reply-to") or "")
    references = _msgids(headers.get("references") or "")
    thread_refs = _unique([*([message_id] if message_id else []), *in_reply_to, *references])

    clean, tag_id = clean_subject(subject, config.tracking_prefix)
    tracking_id = tag_id or find_tracking_id(clean, config.tracking_prefix)
    is_forward = bool(_FORWARD_PREFIX.match(subject))
    is_reply = bool(in_reply_to or references or _REPLY_PREFIX.match(subject))

    parts = _Parts(config)
    parts.collect(msg, depth=0, want_text=True)
    body = trim_reply(parts.body_text(), is_forward=is_forward, is_reply=is_reply)
    text = compose_text(clean, body, tag_id)

    reasons = _auto_reasons(headers, subject, sender, message_id, null_sender, config)

    reply_to = _first_address(headers.get("reply-to"))
    context: dict[str, Any] = {
        "message_id": message_id,
        "in_reply_to": in_reply_to[0] if in_reply_to else None,
        "references": references,
        "subject": subject,
        "tracking_id": tracking_id,
        "auto_reason": reasons[0] if reasons else None,
        "auto_reasons": reasons,
    }
    if reply_to and reply_to != sender:
        context["reply_to"] = reply_to
    if envelope_from and not null_sender and _strip_brackets(envelope_from).lower() != sender:
        context["envelope_from"] = _strip_brackets(envelope_from).lower()
    if envelope_to:
        context["to"] = [a.lower() for a in envelope_to]
    date = _date(msg)
    if date:
        context["date"] = date
    if parts.dropped:
        context["attachments_dropped"] = parts.dropped
    if parts.notes:
        context["parse_notes"] = parts.notes

    external_id = message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    return InboundMessage(
        channel=CHANNEL,
        external_id=external_id,
        sender=sender,
        sender_name=sender_name,
        text=text,
        attachments=parts.photos,
        thread_refs=thread_refs,
        reply_context=context,
        raw=_raw_text(raw, config.raw_keep_bytes),
        auto_reply=not reasons,
    )


def _raw_text(raw: bytes, keep: int) -> str:
    """The raw mail as text for inspection; big mails keep only their header."""
    if len(raw) <= keep:
        return raw.decode("utf-8", "replace")
    end = _HEADER_END.search(raw)
    head = raw[: end.start()] if end else raw[:keep]
    return head[:keep].decode("utf-8", "replace") + f"\n\n[body omitted: {len(raw)} bytes]\n"


# ------------------------------------------------------------------- headers


class _Headers:
    """Header access that never raises: stdlib header classes reject some junk."""

    def __init__(self, msg: Message) -> None:
        self._msg = msg

    def get(self, name: str) -> str | None:
        try:
            value = self._msg.get(name)
            if value is None:
                return None
            return _clean_str(str(value))
        except Exception:  # noqa: BLE001 - malformed header: fall back to the raw value
            for key, raw_value in self._msg.raw_items():
                if key.lower() == name.lower():
                    return _decode_raw_header(raw_value)
            return None

    def has(self, name: str) -> bool:
        try:
            return name in self._msg
        except Exception:  # noqa: BLE001
            return False


def _decode_raw_header(value: str) -> str:
    try:
        return _clean_str(str(make_header(decode_header(value))))
    except Exception:  # noqa: BLE001 - bogus encoded words: keep the raw text
        return _clean_str(value)


def _clean_str(value: str) -> str:
    """Undo surrogate escapes (raw 8-bit header bytes) and unfold."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        try:
            value = decode_bytes(value.encode("utf-8", "surrogateescape"), None)
        except UnicodeError:
            value = value.encode("utf-8", "replace").decode("utf-8", "replace")
    return re.sub(r"\s*\r?\n\s*", " ", value).strip()


def _sender(msg: Message, headers: _Headers) -> tuple[str | None, str | None]:
    """Lower-cased bare address and display name of From."""
    try:
        addresses = msg["from"].addresses if msg["from"] is not None else ()
        for addr in addresses:
            spec = _clean_str(addr.addr_spec or "")
            if "@" in spec:
                return spec.lower(), _clean_str(addr.display_name or "") or None
    except Exception:  # noqa: BLE001 - unparseable From: try the lenient parser below
        pass
    raw = headers.get("from")
    if raw:
        name, spec = parseaddr(raw)
        if "@" in spec:
            return spec.strip().lower(), name.strip() or None
    return None, None


def _first_address(value: str | None) -> str | None:
    if not value:
        return None
    for _name, spec in getaddresses([value]):
        if "@" in spec:
            return spec.strip().lower()
    return None


_MSGID = re.compile(r"<\s*([^<>\s]+)\s*>")


def _msgids(value: str) -> list[str]:
    """Message-IDs in a header value, without angle brackets, in order."""
    found = _MSGID.findall(value)
    if not found:
        found = [tok.strip(",;") for tok in value.split() if "@" in tok]
    return _unique(found)[-50:]


def _strip_brackets(value: str) -> str:
    return value.strip().lstrip("<").rstrip(">").strip()


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _date(msg: Message) -> str | None:
    try:
        value = msg["date"]
        dt = getattr(value, "datetime", None)
        return dt.isoformat() if dt else None
    except Exception:  # noqa: BLE001 - a bogus Date header is simply ignored
        return None


# ------------------------------------------------------------------- subject

_PREFIXES = r"(?:re|fw|fwd|aw|wg|tr|sv|vs|rv|antw|balas|bls|trs|terusan|automatic reply|balasan otomatis)"
_PREFIX_RE = re.compile(rf"^\s*(?:{_PREFIXES}\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+", re.I)
_REPLY_PREFIX = re.compile(r"^\s*(?:re|aw|sv|vs|antw|balas|bls)\s*(?:\[\d+\])?\s*[:：]", re.I)
_FORWARD_PREFIX = re.compile(r"^\s*(?:fw|fwd|wg|tr|trs|terusan)\s*[:：]", re.I)
_TAG = re.compile(r"\[\s*([A-Za-z]{2,5}[-\s]?[A-Za-z0-9]{4}[-\s]?[A-Za-z0-9]{4})\s*\]")
_GENERIC_SUBJECTS = {"", "laporan", "aduan", "no subject", "(no subject)", "(tanpa subjek)", "tanpa subjek"}


def clean_subject(subject: str, prefix: str = "JKT") -> tuple[str, str | None]:
    """The subject without Re:/Fwd: prefixes and our ``[JKT-...]`` tag, and that tag."""
    text = subject or ""
    tracking_id = None
    for match in _TAG.finditer(text):
        tracking_id = normalize(match.group(1), prefix)
        if tracking_id:
            text = text[: match.start()] + " " + text[match.end():]
            break
    text = _PREFIX_RE.sub("", text.strip())
    text = _PREFIX_RE.sub("", text)  # "[JKT-..] Re: x" leaves a second prefix
    return re.sub(r"\s{2,}", " ", text).strip(), tracking_id


def compose_text(subject: str, body: str, tag_id: str | None) -> str:
    """Subject and body as one text; a subject tag leads so ``find_tracking_id`` sees it first."""
    meaningful = subject.strip()
    generic = set(_GENERIC_SUBJECTS)
    if tag_id:
        generic |= {f"laporan {tag_id}".lower(), tag_id.lower()}
    if meaningful.lower() in generic:
        meaningful = ""
    if meaningful and _squash(body).startswith(_squash(meaningful)):
        meaningful = ""  # the citizen repeated the subject as the first line
    head = f"[{tag_id}] {meaningful}".strip() if tag_id else meaningful
    return "\n\n".join(p for p in (head, body.strip()) if p)


def _squash(text: str) -> str:
    return re.sub(r"\W+", "", text.lower())[:200]


# --------------------------------------------------------------- loop checks

_SUPPRESS_TOKENS = {"dr", "autoreply", "all"}
_NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|donotreply|noreply-[^@]*)@", re.I)
_OOO_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto(?:matic)?[- ]?reply|autoreply|out of (?:the )?office|"
    r"balasan otomatis|balas otomatis|sedang cuti|di luar kantor|abwesenheitsnotiz|r[ée]ponse automatique)\b",
    re.I,
)


def _auto_reasons(
    headers: _Headers, subject: str, sender: str, message_id: str | None, null_sender: bool, config: ParserConfig
) -> list[str]:
    """Why this mail must get no automatic reply (RFC 3834 and our own loops).

    "out-of-office" (vacation and other automatic replies) comes first, so the
    core can keep such mail from opening tickets.
    """
    reasons: list[str] = []
    auto = (headers.get("auto-submitted") or "").strip().lower().split(";")[0].strip()
    if auto.startswith("auto-replied") or headers.has("x-autoreply") or headers.has("x-autorespond"):
        reasons.append("out-of-office")
    if _OOO_SUBJECT.match(subject or ""):
        reasons.append("out-of-office")
    if auto and auto != "no" and not auto.startswith("auto-replied"):
        reasons.append("auto-generated")
    if headers.has("list-id") or headers.has("list-unsubscribe"):
        reasons.append("mailing-list")
    precedence = (headers.get("precedence") or "").strip().lower()
    if precedence in ("bulk", "list", "junk"):
        reasons.append(f"precedence-{precedence}")
    suppress = {t.strip().lower() for t in re.split(r"[,\s]+", headers.get("x-auto-response-suppress") or "")}
    if suppress & _SUPPRESS_TOKENS:
        reasons.append("x-auto-response-suppress")
    if null_sender:
        reasons.append("null-sender")
    if _BOUNCE_FROM.match(sender):
        reasons.append("mailer-daemon")
    if _NO_REPLY.match(sender):
        reasons.append("no-reply-sender")  # an answer would bounce or be ignored
    if sender in config.addresses:
        reasons.append("own-address")
    if message_id and message_id.rpartition("@")[2].lower() == config.msgid_domain and ".aduan@" in message_id:
        reasons.append("own-message-id")
    if headers.has("x-aduan-loop"):
        reasons.append("aduan-loop")  # another Aduan instance: a machine, not a person
    return _unique(reasons)


# ------------------------------------------------------------------- bounces

_BOUNCE_FROM = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailer_daemon)@", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (?:status notification|failure|has failed)|returned mail|failure notice|"
    r"mail delivery (?:failed|subsystem)|non-?delivery|gagal terkirim|tidak dapat dikirim",
    re.I,
)
_STATUS_CODE = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


def _delivery_report(msg: Message, headers: _Headers, config: ParserConfig) -> ParseOutcome | None:
    """RFC 3464 DSNs and RFC 8098 read receipts become delivery updates; None otherwise."""
    try:
        if msg.get_content_type() != "multipart/report":
            return None
        report_type = str(msg.get_param("report-type", "") or "").lower()
        parts = list(msg.iter_parts())
    except Exception:  # noqa: BLE001 - a broken report is parsed as ordinary mail
        return None
    if report_type == "delivery-status":
        return _dsn(parts, headers, config)
    if report_type == "disposition-notification":
        return _mdn(parts)
    return None


def _dsn(parts: list[Message], headers: _Headers, config: ParserConfig) -> ParseOutcome:
    original = _original_message_id(parts) or _our_reference(headers, config)
    blocks: list[Message] = []
    for part in parts:
        if part.get_content_type() in ("message/delivery-status", "message/global-delivery-status"):
            blocks = _field_blocks(part)
    updates: list[DeliveryUpdate] = []
    for block in blocks:
        action = str(block.get("action", "") or "").strip().lower()
        match = _STATUS_CODE.search(str(block.get("status", "") or ""))
        status = match.group(1) if match else None
        if action == "failed" and original:
            updates.append(
                DeliveryUpdate(
                    channel=CHANNEL,
                    external_id=original,
                    status="failed",
                    error_code=status,
                    recipient_unreachable=_unreachable(status),
                )
            )
        elif action == "delivered" and original:
            updates.append(DeliveryUpdate(channel=CHANNEL, external_id=original, status="delivered"))
    if not original:
        return ParseOutcome("dropped", reason="delivery report without the original Message-ID")
    if not updates:
        return ParseOutcome("dropped", reason="delivery report without a final failure (delayed/relayed)")
    return ParseOutcome("delivery", updates=list(dict.fromkeys(updates)))


def _unreachable(status: str | None) -> bool:
    """Permanent address problems: bad mailbox/domain (5.1.x), disabled (5.2.1), no route (5.4.4)."""
    if not status or not status.startswith("5."):
        return False
    return status.startswith("5.1.") or status in ("5.2.1", "5.4.4")


def _mdn(parts: list[Message]) -> ParseOutcome:
    for part in parts:
        if part.get_content_type() != "message/disposition-notification":
            continue
        for block in _field_blocks(part):
            original = next(iter(_msgids(str(block.get("original-message-id", "") or ""))), None)
            disposition = str(block.get("disposition", "") or "").lower()
            if original and "displayed" in disposition:
                return ParseOutcome("delivery", updates=[DeliveryUpdate(CHANNEL, original, "read")])
    return ParseOutcome("dropped", reason="read receipt without a 'displayed' disposition")


def _field_blocks(part: Message) -> list[Message]:
    """The header-like field blocks of a message/delivery-status style part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    if isinstance(payload, str):
        return [HeaderParser().parsestr(chunk) for chunk in re.split(r"\r?\n\s*\r?\n", payload) if chunk.strip()]
    return []


def _original_message_id(parts: list[Message]) -> str | None:
    for part in parts:
        ctype = part.get_content_type()
        try:
            if ctype in ("message/rfc822", "message/global"):
                inner = part.get_payload()
                inner = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(inner, Message):
                    found = _msgids(str(inner.get("message-id", "") or ""))
                    if found:
                        return found[0]
            elif ctype in ("text/rfc822-headers", "message/global-headers"):
                text = decode_bytes(part.get_payload(decode=True) or b"", part.get_content_charset())
                found = _msgids(str(HeaderParser().parsestr(text).get("message-id", "") or ""))
                if found:
                    return found[0]
        except Exception:  # noqa: BLE001 - keep looking in the other parts
            continue
    return None


def _our_reference(headers: _Headers, config: ParserConfig) -> str | None:
    """Some MTAs put the bounced Message-ID in In-Reply-To/References."""
    for name in ("in-reply-to", "references"):
        for ref in _msgids(headers.get(name) or ""):
            if ref.rpartition("@")[2].lower() == config.msgid_domain:
                return ref
    return None


def _looks_like_bounce(headers: _Headers) -> bool:
    sender = _first_address(headers.get("from")) or ""
    return bool(_BOUNCE_FROM.match(sender) or _BOUNCE_SUBJECT.search(headers.get("subject") or ""))


def _plain_bounce(raw: bytes, headers: _Headers, config: ParserConfig) -> ParseOutcome:
    """A non-RFC 3464 bounce (qmail, Exim text): find our Message-ID in the text."""
    pattern = re.compile(rb"<([^<>\s]+@" + re.escape(config.msgid_domain.encode()) + rb")>", re.I)
    found = pattern.search(raw) or None
    original = found.group(1).decode("ascii", "replace") if found else _our_reference(headers, config)
    if not original:
        return ParseOutcome("dropped", reason="bounce without a Message-ID of ours")
    code = _STATUS_CODE.search(raw.decode("ascii", "replace"))
    status = code.group(1) if code and code.group(1).startswith("5.") else None
    update = DeliveryUpdate(CHANNEL, original, "failed", error_code=status, recipient_unreachable=_unreachable(status))
    return ParseOutcome("delivery", updates=[update])


# ---------------------------------------------------------------- MIME parts

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


class _Parts:
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
            elif part.get_content_maintype() == "text" and not _is_attachment(part):
                if want_text:
                    self._text(part, ctype)
            elif part.get_content_maintype() == "multipart":
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
            headers = _Headers(inner)
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
            text = html_to_text(text)
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
    # Keep only a base name: the filename is sender-controlled.
    return _clean_str(str(name)).replace("\\", "/").rsplit("/", 1)[-1][:200] or None


def _payload_bytes(part: Message) -> bytes | None:
    """The decoded payload; base64 the stdlib gave up on is decoded leniently."""
    data = part.get_payload(decode=True)
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


_LATIN1_FAMILY = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "windows-1252", "cp1252", "x-cp1252"}
_ASCII_FAMILY = {"us-ascii", "ascii", "ansi_x3.4-1968", "646", "unknown-8bit", "x-unknown", "unknown"}


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode mail text: declared charset if real, else UTF-8, else Windows-1252; never raises."""
    name = (charset or "").strip().strip('"').lower()
    if name in _LATIN1_FAMILY:
        # Like browsers (WHATWG), read Latin-1 labels as Windows-1252: Outlook
        # labels smart quotes and the euro sign "iso-8859-1".
        return data.decode("cp1252", "replace")
    if name and name not in _ASCII_FAMILY:
        try:
            return data.decode(name, "replace")
        except (LookupError, ValueError, TypeError):
            pass  # bogus or non-text label (x-bogus, rot13, idna): guess below
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


# ---------------------------------------------------------------------- text


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


# ---------------------------------------------------------------------- HTML

_BLOCK_TAGS = {
    "p", "div", "section", "article", "header", "footer", "address", "table", "tr", "ul", "ol",
    "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "dl", "dt", "dd", "center", "form", "blockquote",
}
_SKIP_TAGS = {"style", "script", "head", "title", "noscript", "template", "svg", "xml"}


class _HtmlText(HTMLParser):
    """Plain text from mail HTML: blocks become lines, quotes get "> ", links keep their URL."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self._line = ""
        self._quote = 0
        self._skip = 0
        self._pre = 0
        self._href: str | None = None
        self._link_text = ""

    def _newline(self) -> None:
        self.lines.append((self._quote, self._line))
        self._line = ""

    def _block(self) -> None:
        if self._line.strip():
            self._newline()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag == "br":
            self._newline()
        elif tag == "li":
            self._block()
            self._line = "- "
        elif tag in ("td", "th"):
            if self._line.strip():
                self._line += " | "
        elif tag == "a":
            self._href = dict(attrs).get("href")
            self._link_text = ""
        elif tag in _BLOCK_TAGS:
            self._block()
            if tag == "blockquote":
                self._quote += 1
            elif tag == "pre":
                self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._newline()
        elif tag == "hr":
            self._block()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag == "a":
            href, self._href = self._href, None
            text = self._link_text.strip()
            if href and re.match(r"https?://", href) and text and href.rstrip("/") not in text:
                self._line += f" ({href})"
        elif tag in _BLOCK_TAGS or tag == "li":
            self._block()
            if tag == "blockquote":
                self._quote = max(0, self._quote - 1)
            elif tag == "pre":
                self._pre = max(0, self._pre - 1)
            if tag in ("p", "table", "blockquote", "ul", "ol") or tag.startswith("h"):
                self.lines.append((self._quote, ""))

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if not self._pre:
            data = re.sub(r"[ \t\r\n\f\v]+", " ", data)
            if not self._line.strip():
                data = data.lstrip()
        if self._pre and "\n" in data:
            first, *rest = data.split("\n")
            self._line += first
            for piece in rest:
                self._newline()
                self._line += piece
        else:
            self._line += data
        if self._href is not None:
            self._link_text += data

    def text(self) -> str:
        if self._line.strip():
            self._newline()
        out = []
        for depth, line in self.lines:
            line = line.replace("\xa0", " ").rstrip()
            out.append(("> " * depth + line) if depth and line else line)
        return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def html_to_text(html: str) -> str:
    """Clean plain text from an HTML mail body; never raises."""
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; this is belt and braces
        return re.sub(r"<[^>]*>", " ", html)
    return parser.text()
