"""Mail from machines: RFC 3834 automatic-mail signs, RFC 3464 bounces, RFC 8098 read receipts."""
from __future__ import annotations

import re
from email.message import Message
from email.parser import HeaderParser

from adapters.contract.media import part_bytes
from adapters.contract.messages import DeliveryUpdate
from adapters.email.charset import decode_bytes
from adapters.email.headers import Headers, first_address, msgids, unique
from adapters.email.model import CHANNEL, ParseOutcome, ParserConfig

_SUPPRESS_TOKENS = {"dr", "autoreply", "all"}
_NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|donotreply|noreply-[^@]*)@", re.I)
_OOO_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto(?:matic)?[- ]?reply|autoreply|out of (?:the )?office|"
    r"balasan otomatis|balas otomatis|sedang cuti|di luar kantor|abwesenheitsnotiz|r[ée]ponse automatique)\b",
    re.I,
)


def auto_reasons(
    headers: Headers, subject: str, sender: str, message_id: str | None, null_sender: bool, config: ParserConfig,
    *, author: str | None = None,
) -> list[str]:
    """Why this mail must get no automatic reply (RFC 3834 and our own loops).

    "out-of-office" (vacation and other automatic replies) comes first, so the
    core can keep such mail from opening tickets. ``sender`` is where an answer
    would go (Reply-To or From), ``author`` the From address.
    """
    reasons: list[str] = []
    auto = (headers.get("auto-submitted") or "").strip().lower().split(";")[0].strip()
    if auto.startswith("auto-replied") or headers.has("x-autoreply") or headers.has("x-autorespond"):
        reasons.append("out-of-office")
    if _OOO_SUBJECT.match(subject or ""):
        reasons.append("out-of-office")
    if auto and auto != "no" and not auto.startswith("auto-replied"):
        reasons.append("auto-generated")
    if headers.has("list-id"):
        reasons.append("mailing-list")
    elif headers.has("list-unsubscribe"):
        reasons.append("bulk-mail")  # newsletters and notifications, not a discussion list
    precedence = (headers.get("precedence") or "").strip().lower()
    if precedence in ("bulk", "list", "junk"):
        reasons.append(f"precedence-{precedence}")
    suppress = {t.strip().lower() for t in re.split(r"[,\s]+", headers.get("x-auto-response-suppress") or "")}
    if suppress & _SUPPRESS_TOKENS:
        reasons.append("x-auto-response-suppress")
    if null_sender:
        reasons.append("null-sender")
    if _BOUNCE_FROM.match(sender) or _BOUNCE_FROM.match(author or ""):
        reasons.append("mailer-daemon")
    if _NO_REPLY.match(sender):
        reasons.append("no-reply-sender")  # an answer would bounce or be ignored
    if sender in config.addresses or author in config.addresses:
        reasons.append("own-address")
    if message_id and message_id.rpartition("@")[2].lower() == config.msgid_domain and ".aduan@" in message_id:
        reasons.append("own-message-id")
    if headers.has("x-aduan-loop"):
        reasons.append("aduan-loop")  # another Aduan instance: a machine, not a person
    return unique(reasons)


# A post to a discussion list is a person's report: it opens a ticket, but the
# list gets no automatic reply. Any other reason (out-of-office, bulk, loops) does not.
_TICKET_REASONS = {"mailing-list", "precedence-list"}


def opens_ticket(reasons: list[str]) -> bool:
    return bool(reasons) and set(reasons) <= _TICKET_REASONS


# ------------------------------------------------------------------- bounces

_BOUNCE_FROM = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailer_daemon)@", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (?:status notification|failure|has failed)|returned mail|failure notice|"
    r"mail delivery (?:failed|subsystem)|non-?delivery|gagal terkirim|tidak dapat dikirim",
    re.I,
)
_STATUS_CODE = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


def delivery_report(msg: Message, headers: Headers, config: ParserConfig) -> ParseOutcome | None:
    """RFC 3464 DSNs and RFC 8098 read receipts become delivery updates; None otherwise."""
    try:
        if msg.get_content_type() != "multipart/report":
            return None
        report_type = str(msg.get_param("report-type", "") or "").lower()
        payload = msg.get_payload()
        parts = [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []
    except Exception:  # noqa: BLE001 - a broken report is parsed as ordinary mail
        return None
    if report_type == "delivery-status":
        return _dsn(parts, headers, config)
    if report_type == "disposition-notification":
        return _mdn(parts)
    return None


def _dsn(parts: list[Message], headers: Headers, config: ParserConfig) -> ParseOutcome:
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
            original = next(iter(msgids(str(block.get("original-message-id", "") or ""))), None)
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
                    found = msgids(str(inner.get("message-id", "") or ""))
                    if found:
                        return found[0]
            elif ctype in ("text/rfc822-headers", "message/global-headers"):
                text = decode_bytes(part_bytes(part) or b"", part.get_content_charset())
                found = msgids(str(HeaderParser().parsestr(text).get("message-id", "") or ""))
                if found:
                    return found[0]
        except Exception:  # noqa: BLE001 - keep looking in the other parts
            continue
    return None


def _our_reference(headers: Headers, config: ParserConfig) -> str | None:
    """Some MTAs put the bounced Message-ID in In-Reply-To/References."""
    for name in ("in-reply-to", "references"):
        for ref in msgids(headers.get(name) or ""):
            if ref.rpartition("@")[2].lower() == config.msgid_domain:
                return ref
    return None


def looks_like_bounce(headers: Headers) -> bool:
    sender = first_address(headers.raw("from")) or ""
    return bool(_BOUNCE_FROM.match(sender) or _BOUNCE_SUBJECT.search(headers.get("subject") or ""))


def plain_bounce(raw: bytes, headers: Headers, config: ParserConfig) -> ParseOutcome:
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
