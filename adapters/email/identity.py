"""Who wrote a mail and where the answer goes, from the address part of From, Reply-To and Sender only.

The reporter of a mail is its Reply-To address when there is one (web contact
forms send From ``wordpress@site`` with Reply-To the citizen): the answer goes
there and the mail is threaded by it. A Reply-To naming one of our own
addresses is ignored (an answer to ourselves would loop).
"""
from __future__ import annotations

from dataclasses import dataclass

from adapters.email.headers import Headers, mailboxes


@dataclass(frozen=True)
class Identity:
    """The addresses of one mail, lower-cased, never taken from a display name."""

    reporter: str | None  # Reply-To, else From, else Sender
    name: str | None  # display name belonging to ``reporter``
    author: str | None  # From (else Sender): whose domain authentication results speak for
    reply_to: str | None


def identify(headers: Headers, our_addresses: tuple[str, ...] = ()) -> Identity:
    """Addresses of From, Sender and Reply-To, parsed from the raw headers."""
    limits = headers.limits
    author_boxes = mailboxes(headers.raw("from"), limits) or mailboxes(headers.raw("sender"), limits)
    author_name, author = author_boxes[0] if author_boxes else (None, None)
    replies = [box for box in mailboxes(headers.raw("reply-to"), limits) if box[1] not in our_addresses]
    if replies and replies[0][1] != author:
        reply_name, reply_to = replies[0]
        return Identity(reporter=reply_to, name=reply_name, author=author, reply_to=reply_to)
    return Identity(reporter=author, name=author_name, author=author, reply_to=None)


def domain_of(address: str | None) -> str:
    return (address or "").rpartition("@")[2].lower().rstrip(".")


def aligned(domain: str, other: str) -> bool:
    """Relaxed DMARC-style alignment: the same domain or one a subdomain of the other.

    (An approximation of "same organisational domain" without a public suffix
    list; it never aligns unrelated domains.)
    """
    if not domain or not other:
        return False
    return domain == other or domain.endswith("." + other) or other.endswith("." + domain)
