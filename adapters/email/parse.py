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
  the limit, a header bomb (a field over the size or encoded-word limit), too
  many MIME containers (a "MIME bomb"), no header section at all, or no
  sender address anywhere.
* The mail is parsed with ``policy.compat32`` (headers stay raw strings) and
  only the headers we need are decoded, under limits (see headers.py).
* The reporter (``sender``) is the Reply-To address when present, else From;
  ``reply_context["from"]`` keeps the From address when it differs.
* ``reply_context["opens_ticket"]`` marks mail that gets no automatic reply
  but is still a person's report (a mailing-list post);
  ``reply_context["is_reply"]`` and ``["thread_subject"]`` let the core tell
  a new complaint from a follow-up; ``reply_context["auth"]`` is the
  SPF/DKIM/DMARC verdict of a trusted relay (see authresults.py).
"""
from __future__ import annotations

import hashlib
from email import policy
from email.message import Message
from email.parser import BytesParser
from typing import Any

from adapters.contract.messages import InboundMessage
from adapters.contract.tracking import find_tracking_id
from adapters.email.authresults import auth_summary
from adapters.email.bounds import header_end, prescan
from adapters.email.headers import HeaderLimits, Headers, date_of, msgids, strip_brackets, unique
from adapters.email.identity import Identity, identify
from adapters.email.loops import auto_reasons, delivery_report, looks_like_bounce, opens_ticket, plain_bounce
from adapters.email.mime import Parts
from adapters.email.model import CHANNEL, ParseOutcome, ParserConfig
from adapters.email.quotes import trim_reply
from adapters.email.subject import FORWARD_PREFIX, REPLY_PREFIX, clean_subject, compose_text, thread_subject


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
    refusal = prescan(raw, max_header_bytes=config.max_header_bytes, max_field_bytes=config.max_header_field_bytes,
                      max_encoded_words=config.max_encoded_words, max_containers=config.max_mime_containers)
    if refusal:
        return _refuse(refusal)
    try:
        msg = BytesParser(policy=policy.compat32).parsebytes(raw)
    except RecursionError:
        return _refuse("554 5.6.0 MIME structure too deeply nested")
    if not msg.keys():
        return _refuse("554 5.6.0 Message has no header section (not RFC 5322 mail)")

    null_sender = envelope_from is not None and envelope_from.strip() in ("", "<>")
    headers = Headers(msg, HeaderLimits(max_encoded_words=config.max_encoded_words))
    if headers.raw("return-path") is not None and strip_brackets(headers.raw("return-path") or "") == "":
        null_sender = True

    report = delivery_report(msg, headers, config)
    if report is not None:
        return report
    if null_sender and looks_like_bounce(headers):
        return plain_bounce(raw, headers, config)

    who = identify(headers, config.addresses)
    sender = who.reporter
    if not sender and envelope_from and not null_sender:
        sender = strip_brackets(envelope_from).lower()
    if not sender or "@" not in sender:
        return _refuse("550 5.1.7 No usable sender address in From or MAIL FROM")

    loop = headers.get("x-aduan-loop")
    if loop is not None and loop.strip() == config.loop_value:
        return ParseOutcome("dropped", reason="our own message came back (X-Aduan-Loop)")

    return ParseOutcome(
        "message",
        message=_build_message(raw, msg, headers, config, sender, who, null_sender, envelope_from, envelope_to),
    )


def _refuse(reply: str) -> ParseOutcome:
    return ParseOutcome("refused", smtp_reply=reply, reason=reply)


def _build_message(
    raw: bytes,
    msg: Message,
    headers: Headers,
    config: ParserConfig,
    sender: str,
    who: Identity,
    null_sender: bool,
    envelope_from: str | None,
    envelope_to: list[str] | None,
) -> InboundMessage:
    subject = headers.get("subject") or ""
    message_id = next(iter(msgids(headers.raw("message-id") or "")), None)
    in_reply_to = msgids(headers.raw("in-reply-to") or "")
    references = msgids(headers.raw("references") or "")
    thread_refs = unique([*([message_id] if message_id else []), *in_reply_to, *references])

    clean, tag_id = clean_subject(subject, config.tracking_prefix)
    tracking_id = tag_id or find_tracking_id(clean, config.tracking_prefix)
    is_forward = bool(FORWARD_PREFIX.match(subject))
    is_reply = bool(in_reply_to or references or REPLY_PREFIX.match(subject))

    parts, body = _body(msg, config, is_forward=is_forward, is_reply=is_reply)
    text = compose_text(clean, body, tag_id)

    reasons = auto_reasons(headers, subject, sender, message_id, null_sender, config, author=who.author)

    context: dict[str, Any] = {
        "message_id": message_id,
        "in_reply_to": in_reply_to[0] if in_reply_to else None,
        "references": references,
        "subject": subject,
        "tracking_id": tracking_id,
        "auto_reason": reasons[0] if reasons else None,
        "auto_reasons": reasons,
        "is_reply": bool(in_reply_to or references or tag_id),
        "thread_subject": thread_subject(clean),
        "auth": auth_summary(headers.raw_all("authentication-results"), config.trusted_authserv_ids,
                             who.author, sender),
    }
    if reasons and opens_ticket(reasons):
        context["opens_ticket"] = True
    if who.author and who.author != sender:
        context["from"] = who.author
    context.update(_envelope(sender, null_sender, envelope_from, envelope_to))
    date = date_of(headers)
    if date:
        context["date"] = date
    if parts.dropped:
        context["attachments_dropped"] = parts.dropped
    if parts.notes:
        context["parse_notes"] = parts.notes

    external_id = message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    return InboundMessage(
        channel=CHANNEL, external_id=external_id, sender=sender, text=text,
        sender_name=who.name if sender == who.reporter else None, attachments=parts.photos,
        thread_refs=thread_refs, reply_context=context, raw=_raw_text(raw, config.raw_keep_bytes),
        auto_reply=not reasons,
    )


def _body(msg: Message, config: ParserConfig, *, is_forward: bool, is_reply: bool) -> tuple[Parts, str]:
    """The walked MIME tree and the body text, cut at ``max_text_chars`` (noted), quotes trimmed."""
    parts = Parts(config)
    parts.collect(msg, depth=0, want_text=True)
    body = parts.body_text()
    if len(body) > config.max_text_chars:
        body = body[: config.max_text_chars]
        parts.notes.append(f"body text longer than {config.max_text_chars} characters: the rest was cut")
    return parts, trim_reply(body, is_forward=is_forward, is_reply=is_reply)


def _envelope(sender: str, null_sender: bool, envelope_from: str | None, envelope_to: list[str] | None) -> dict[str, Any]:
    """MAIL FROM (when it differs from the reporter) and the RCPTs, for inspection."""
    extra: dict[str, Any] = {}
    if envelope_from and not null_sender and strip_brackets(envelope_from).lower() != sender:
        extra["envelope_from"] = strip_brackets(envelope_from).lower()
    if envelope_to:
        extra["to"] = [a.lower() for a in envelope_to]
    return extra


def _raw_text(raw: bytes, keep: int) -> str:
    """The raw mail as text for inspection; big mails keep only their header."""
    if len(raw) <= keep:
        return raw.decode("utf-8", "replace")
    end = header_end(raw, len(raw))
    head = raw[:end] if end is not None else raw[:keep]
    return head[:keep].decode("utf-8", "replace") + f"\n\n[body omitted: {len(raw)} bytes]\n"
