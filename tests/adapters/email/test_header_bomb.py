"""Issue 10, problem 1: a Subject of thousands of folded encoded words took gigabytes.

The exact payloads: 10,000 folded copies of ``=?utf-8?b?c2FtcGFoIA==?=``
(~263 KB) and 20,000 (~527 KB). The parse runs in a fresh subprocess so its
peak memory (ru_maxrss, and tracemalloc's peak for the parse alone) is the
parser's, not the test run's.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.email.bounds import prescan
from adapters.email.headers import HeaderLimits, decode_value
from adapters.email.parse import ParserConfig, parse_email
from tests.adapters.email.harness import OUR_ADDRESS, RecordingSink, gateway_settings, running_gateway, smtp_deliver

WORD = "=?utf-8?b?c2FtcGFoIA==?="  # "sampah "
ROOT = Path(__file__).resolve().parents[3]


def bomb(words: int, header: str = "Subject") -> bytes:
    folded = "\r\n ".join([WORD] * words)
    return (f"From: Warga <warga@example.com>\r\nTo: {OUR_ADDRESS}\r\nMessage-ID: <bomb-{words}@example.com>\r\n"
            f"{header}: {folded}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhalo\r\n").encode()


_CHILD = """
import json, resource, sys, tracemalloc
from adapters.email.parse import ParserConfig, parse_email
raw = sys.stdin.buffer.read()
tracemalloc.start()
outcome = parse_email(raw, ParserConfig(), envelope_from="warga@example.com")
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
print(json.dumps({"kind": outcome.kind, "reply": outcome.smtp_reply, "traced_peak": peak,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def parse_in_child(raw: bytes) -> dict:
    done = subprocess.run([sys.executable, "-c", _CHILD], input=raw, capture_output=True, cwd=ROOT,
                          timeout=300)  # generous: the old parser needed 15 s and 4.8 GB here
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("words", [10_000, 20_000])
def test_subject_bomb_is_refused_within_a_few_mb(words: int) -> None:
    raw = bomb(words)
    assert len(raw) > 250_000
    result = parse_in_child(raw)
    assert result["kind"] == "refused"
    assert result["reply"].startswith("554 ")
    assert result["traced_peak"] < 20 * 1024 * 1024  # the parse itself: a few MB at most
    assert result["maxrss_kb"] < 300 * 1024  # the whole process, interpreter included


@pytest.mark.parametrize("header", ["Subject", "From", "References", "X-Anything"])
def test_encoded_word_bomb_under_the_size_limit_is_refused_too(header: str) -> None:
    raw = bomb(2_000, header)  # ~52 KB: under the 64 KB field limit, over the encoded-word limit
    outcome = parse_email(raw, ParserConfig(), envelope_from="warga@example.com")
    assert outcome.kind == "refused"
    assert outcome.smtp_reply == f"554 5.6.0 Header {header} has more than 100 encoded words (header bomb?)"


def test_a_long_but_normal_subject_still_parses() -> None:
    raw = bomb(100)  # at the limit: a very long, fully encoded subject
    outcome = parse_email(raw, ParserConfig(), envelope_from="warga@example.com")
    assert outcome.kind == "message"
    assert outcome.message is not None
    assert outcome.message.reply_context["subject"].startswith("sampah sampah")


def test_decoding_is_capped_per_header() -> None:
    value = " ".join([WORD] * 1_000)
    decoded = decode_value(value, HeaderLimits(max_encoded_words=10, max_chars=4096))
    assert decoded.count("sampah") == 10
    assert len(decode_value("x" * 100_000, HeaderLimits(max_chars=300))) == 300


def test_prescan_is_linear_and_names_the_header() -> None:
    head = b"Subject: " + b"a" * 70_000 + b"\r\n\r\nbody"
    reply = prescan(head, max_header_bytes=1 << 20, max_field_bytes=65_536, max_encoded_words=100, max_containers=50)
    assert reply == "554 5.6.0 Header Subject has over 65536 bytes (header bomb?)"


async def test_bomb_over_smtp_gets_5xx_and_the_next_mail_is_still_answered() -> None:
    sink = RecordingSink()
    async with running_gateway(gateway_settings(), sink) as (_adapter, port):
        refused = await smtp_deliver(port, bomb(10_000))
        normal = (f"From: Warga <warga@example.com>\r\nTo: {OUR_ADDRESS}\r\nSubject: Jalan rusak\r\n"
                  "Message-ID: <after-bomb@example.com>\r\n\r\nJalan rusak di Jl. Kebon Sirih.\r\n").encode()
        accepted = await smtp_deliver(port, normal)
    assert refused.stage == "data" and refused.code == 554, refused
    assert "header bomb" in refused.text
    assert accepted.code == 250, accepted
    assert [m.external_id for m in sink.submitted] == ["after-bomb@example.com"]


@pytest.mark.parametrize("params", [20_000, 101])
def test_parameter_bomb_in_a_nested_part_is_refused(params: int) -> None:
    """The stdlib splits Content-Type parameters in quadratic time: 20,000 took a second, 1 MB would take hours."""
    part = "Content-Type: text/plain; charset=utf-8" + ";a=b" * params
    raw = (f"From: warga@example.com\r\nTo: {OUR_ADDRESS}\r\nSubject: x\r\nMessage-ID: <p@example.com>\r\n"
           f"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n{part}\r\n\r\nhalo\r\n--XX--\r\n").encode()
    outcome = parse_email(raw, ParserConfig(), envelope_from="warga@example.com")
    assert outcome.kind == "refused"
    assert outcome.smtp_reply == "554 5.6.0 MIME header Content-Type too long or with too many parameters (MIME bomb?)"


def test_field_limits_hold_at_the_edges_of_the_whole_header_shortcut() -> None:
    """Issue 16: a header section within both limits as a whole is passed without splitting it into fields;
    one just over them is still checked field by field: refused only where a single field is over."""
    from adapters.email.bounds import field_limits

    one_field = b"Subject: " + b"a" * 91  # 100 bytes
    assert field_limits(one_field, 100, 2) is None
    assert field_limits(one_field + b"b", 100, 2) == "554 5.6.0 Header Subject has over 100 bytes (header bomb?)"
    two_fields = b"Subject: " + b"a" * 60 + b"\r\nTo: " + b"b" * 60  # 137 bytes, each field under 100
    assert field_limits(two_fields, 100, 2) is None
    words = f"Subject: {WORD} {WORD}\r\nX-Other: {WORD} {WORD}".encode()  # 4 words, 2 per field
    assert field_limits(words, 1000, 2) is None
    assert field_limits(words.replace(b"X-Other:", b"X-Other: " + WORD.encode()), 1000, 2) == \
        "554 5.6.0 Header X-Other has more than 2 encoded words (header bomb?)"


def test_many_parameters_spread_over_parts_of_a_small_mail_still_parse() -> None:
    """A mail under the MIME field limit with more ";" than one field may hold is scanned, not refused whole."""
    parts = "".join(f"--XX\r\nContent-Type: text/plain; charset=utf-8{';a=b' * 60}\r\n\r\nhalo {n}\r\n" for n in (1, 2))
    raw = (f"From: warga@example.com\r\nTo: {OUR_ADDRESS}\r\nSubject: x\r\nMessage-ID: <q@example.com>\r\n"
           f"Content-Type: multipart/mixed; boundary=XX\r\n\r\n{parts}--XX--\r\n").encode()
    assert len(raw) < 8 * 1024 and raw.count(b";") > 100
    outcome = parse_email(raw, ParserConfig(), envelope_from="warga@example.com")
    assert outcome.kind == "message"
