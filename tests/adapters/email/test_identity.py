"""Issue 10, problems 3 and 11: addresses only from the address part, Reply-To is the reporter,
and SPF/DKIM/DMARC only from a trusted relay's Authentication-Results."""
from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest

from adapters.email.authresults import auth_summary
from adapters.email.headers import Headers, mailboxes
from adapters.email.identity import identify

OURS = ("dki@jakarta.go.id",)

MAILBOXES = [
    # (raw header, [(name, address)])
    ("Budi Santoso <budi@gmail.com>", [("Budi Santoso", "budi@gmail.com")]),
    ('"Gunawan, Hendra" <Hendra@PT.co.id>', [("Gunawan, Hendra", "hendra@pt.co.id")]),
    ("siti@example.com", [(None, "siti@example.com")]),
    ("siti@example.com (Siti Aminah)", [("Siti Aminah", "siti@example.com")]),
    # the payload: the victim lives only inside the encoded display name
    ("=?utf-8?q?x=0D=0Ax:_victim=40example.com?= <attacker@attacker.example>",
     [("x x: victim@example.com", "attacker@attacker.example")]),
    ("=?utf-8?q?victim=40evil.example?= <attacker@attacker.example>",
     [("victim@evil.example", "attacker@attacker.example")]),
    # an unquoted address-like name: only the angle address counts
    ("victim@example.com <attacker@attacker.example>", [("victim@example.com", "attacker@attacker.example")]),
    ('"victim@example.com" <attacker@attacker.example>', [("victim@example.com", "attacker@attacker.example")]),
    # no valid address part at all: nothing, never the name
    ("=?utf-8?q?victim=40evil.example?= <attacker(at)attacker.example>", []),
    ("=?utf-8?q?victim=40evil.example?=", []),
    ("undisclosed-recipients:;", []),
    ("A <a@x.example>, B <b@y.example>", [("A", "a@x.example"), ("B", "b@y.example")]),
]


@pytest.mark.parametrize(("raw", "expected"), MAILBOXES)
def test_mailboxes_take_only_the_address_part(raw: str, expected: list) -> None:
    assert mailboxes(raw) == expected


def headers_of(text: str) -> Headers:
    return Headers(BytesParser(policy=policy.compat32).parsebytes(text.encode() + b"\r\n\r\nx"))


IDENTITIES = [
    # (headers, reporter, author, name)
    ("From: Budi <budi@gmail.com>", "budi@gmail.com", "budi@gmail.com", "Budi"),
    ("From: RT 05 <wordpress@rt05.or.id>\r\nReply-To: Dewi <dewi@gmail.com>", "dewi@gmail.com",
     "wordpress@rt05.or.id", "Dewi"),
    ("From: Hendra <h@pt.co.id>\r\nCc: x@y.example\r\nReply-To: <h.pribadi@gmail.com>", "h.pribadi@gmail.com",
     "h@pt.co.id", None),
    # a Reply-To naming ourselves would make us answer ourselves: ignored
    ("From: Budi <budi@gmail.com>\r\nReply-To: dki@jakarta.go.id", "budi@gmail.com", "budi@gmail.com", "Budi"),
    ("From: =?utf-8?q?victim=40evil.example?= <broken>\r\nSender: Relay <relay@lists.example>",
     "relay@lists.example", "relay@lists.example", "Relay"),
    ("From: =?utf-8?q?x=0D=0Ax:_victim=40example.com?= <attacker@attacker.example>\r\n"
     "Reply-To: =?utf-8?q?victim2=40example.com?= <attacker2@attacker.example>",
     "attacker2@attacker.example", "attacker@attacker.example", "victim2@example.com"),
]


@pytest.mark.parametrize(("text", "reporter", "author", "name"), IDENTITIES)
def test_reporter_is_reply_to_else_from(text: str, reporter: str, author: str, name: str | None) -> None:
    who = identify(headers_of(text), OURS)
    assert (who.reporter, who.author, who.name) == (reporter, author, name)


TRUSTED = ("mx1.jakarta.go.id",)
AUTH = [
    # (Authentication-Results values, From, reporter, expected subset)
    (["mx1.jakarta.go.id; dmarc=pass header.from=gmail.com; dkim=pass header.d=gmail.com; spf=pass "
      "smtp.mailfrom=a@gmail.com"], "a@gmail.com", "a@gmail.com",
     {"checked": True, "dmarc": "pass", "dkim": "pass", "spf": "pass", "aligned": True, "verified": True}),
    # DKIM pass for a subdomain of From: relaxed alignment
    (["mx1.jakarta.go.id; dkim=pass header.d=mail.pemda.go.id; dmarc=none"], "x@pemda.go.id", "x@pemda.go.id",
     {"aligned": True, "verified": True, "dkim_domain": "mail.pemda.go.id"}),
    # DKIM pass for an unrelated domain (a bulk sender's own key): not aligned
    (["mx1.jakarta.go.id; dkim=pass header.d=sendgrid.net; dmarc=fail header.from=bank.example"],
     "x@bank.example", "x@bank.example", {"aligned": False, "verified": False, "dmarc": "fail"}),
    # SPF pass alone never verifies
    (["mx1.jakarta.go.id; spf=pass smtp.mailfrom=a@gmail.com; dkim=none; dmarc=none"], "a@gmail.com",
     "a@gmail.com", {"spf": "pass", "aligned": False, "verified": False}),
    # contact form: the site is authenticated, the citizen in Reply-To is not
    (["mx1.jakarta.go.id; dkim=pass header.d=rt05.or.id; dmarc=pass header.from=rt05.or.id"],
     "wordpress@rt05.or.id", "dewi@gmail.com", {"aligned": True, "verified": False}),
    # a header from a relay we do not trust, and a forged one below ours: only ours counts
    (["evil.example; dmarc=pass header.from=gmail.com"], "a@gmail.com", "a@gmail.com",
     {"checked": False, "dmarc": None, "verified": False}),
    (["mx1.jakarta.go.id; dmarc=fail header.from=gmail.com", "mx1.jakarta.go.id; dmarc=pass header.from=gmail.com"],
     "a@gmail.com", "a@gmail.com", {"dmarc": "fail", "verified": False}),
    (["this is ; not = an ;; A-R header"], "a@gmail.com", "a@gmail.com", {"checked": False}),
]


@pytest.mark.parametrize(("values", "author", "reporter", "expected"), AUTH)
def test_auth_summary(values: list[str], author: str, reporter: str, expected: dict) -> None:
    summary = auth_summary(values, TRUSTED, author, reporter)
    assert {k: summary[k] for k in expected} == expected


def test_empty_trust_list_trusts_nothing() -> None:
    summary = auth_summary(["mx1.jakarta.go.id; dmarc=pass header.from=gmail.com"], (), "a@gmail.com", "a@gmail.com")
    assert summary["checked"] is False and summary["verified"] is False
