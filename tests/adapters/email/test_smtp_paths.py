"""Issue 16: the gateway's SMTP reads plain MAIL FROM / RCPT TO paths with one regex; the result is
aiosmtpd's own for every form, plain or not (anything unusual is still parsed by aiosmtpd)."""
from __future__ import annotations

import pytest
from aiosmtpd.smtp import SMTP

from adapters.email.server import Smtp

PATHS = [
    "<a@b.com>", "<a@b.com> SIZE=100 BODY=8BITMIME", " <a.b+c@x-y.co.id>", "<A@B.COM>  SMTPUTF8", "<>",
    '<"q x"@b.com>', "a@b.com", "<@r:a@b.com>", "<a..b@c.com>", "<a@b..com>", "<a@b.com>x", "<ü@b.com>",
    "<a@[1.2.3.4]>", "<a@b.com> (comment) SIZE=1", "<a@b.com>\tSIZE=1 ", "<" + "x" * 70 + "@b.com>", "", "<a@b.com",
    "<a(b)@c.com>",
]


@pytest.mark.parametrize("path", PATHS)
async def test_path_read_as_aiosmtpd_reads_it(path: str) -> None:
    assert Smtp(object())._getaddr(path) == SMTP(object())._getaddr(path)
