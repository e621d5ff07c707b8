"""The corpus of real-world-shaped mails: parsed directly, then delivered over SMTP.

Each ``corpus/NN-name.eml`` has its expected outcome in ``corpus/expected.yaml``.
"""
from __future__ import annotations

import pytest

from adapters.email.parse import ParserConfig, parse_email
from tests.adapters.email.harness import (
    OUR_ADDRESS,
    CorpusCase,
    RecordingSink,
    check_outcome,
    gateway_settings,
    load_corpus,
    outcome_parts,
    running_gateway,
    smtp_deliver,
)

CASES = load_corpus()
CONFIG = ParserConfig.from_settings(gateway_settings())


def test_corpus_covers_the_required_shapes() -> None:
    assert len(CASES) >= 25
    names = " ".join(c.name for c in CASES)
    for shape in ("gmail", "outlook", "apple", "inline", "forward", "out-of-office", "vacation", "bounce",
                  "mailing-list", "iso-8859-1", "windows-1252", "encoded-word", "long-thread", "broken-in-reply-to",
                  "quoting-our-message", "contact-form-reply-to", "cc-and-reply-to", "new-subject-within-window",
                  "follow-up", "display-name-address"):
        assert shape in names, f"no corpus mail for {shape}"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_parse(case: CorpusCase) -> None:
    outcome = parse_email(case.raw, CONFIG, envelope_from=case.envelope_from, envelope_to=[OUR_ADDRESS])
    check_outcome(case.name, case.expect, *outcome_parts(outcome))


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_over_smtp(case: CorpusCase) -> None:
    """The same mail through a real SMTP conversation with the gateway's server."""
    sink = RecordingSink()
    async with running_gateway(gateway_settings(), sink) as (_adapter, port):
        reply = await smtp_deliver(port, case.raw, sender=case.envelope_from)
    assert reply.code == case.expect.get("smtp", 250), f"{case.name}: {reply}"
    assert len(sink.submitted) <= 1
    message = sink.submitted[0] if sink.submitted else None
    kind = "message" if message else "delivery" if sink.deliveries else "dropped"
    check_outcome(case.name, case.expect, kind, message, sink.deliveries)
    if message is not None:
        assert message.reply_context.get("to") == [OUR_ADDRESS]
        assert message.raw  # kept for inspection
