"""The redactor's guards (a step runs only where its patterns can match) never change its output: with every
guard forced open, each text of the redaction table and of generated texts full of Unicode digits, case
variants (Kelvin sign, long s, dotted and dotless i), full-width @ and introductions redacts the same."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.contract import redact as redactor
from bot.redact import Identity, redact

CASES = yaml.safe_load((Path(__file__).parent / "data" / "redaction.yaml").read_text(encoding="utf-8"))
IDENTITIES = [Identity(), Identity(("Budi Santoso",), ("+6281211110001",)), Identity(("\u212aevin",), ("kevin@x.id",)),
              Identity(("İwan Şimşek", "ſiti"), ("partner:ſiti",))]
PIECES = ["saya ", "ſaya ", "SAYA ", "Nama: ", "nAmA lengkap ", "my name is ", "I  am ", "i'm ", "aku, ",
          "Budi ", "Santoso ", "\u212aevin ", "KEVIN ", "İwan ", "ıwan ", "ſiti ", "Siti ", "@budi ", "＠handle ",
          "budi@example.id ", "kevin＠x.id ", "0812-1111-0001 ", "+62 812 1111 0001 ", "０８１２１１１１０００１ ",
          "٠٨١٢١١١١٠٠٠١ ", "३१७४०३१००२८७०००१ ", "-6.2614,106.8142 ", "12.345.678.9-012.345 ", "Rp 1.500.000 ",
          "RT 05/RW 03 ", "12/03/2026 08:00 ", "jalan rusak ", "sampah ", "\n", "Terima kasih,\n", "Salam,\nBudi\n"]


def _unguarded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redactor, "_DIGIT", re.compile(""))
    monkeypatch.setattr(redactor, "_may_introduce", lambda _text: True)
    monkeypatch.setattr(redactor, "_AT", "")


def _both(monkeypatch: pytest.MonkeyPatch, text: str, who: Identity) -> tuple[str, str]:
    guarded = redact(text, who)
    with monkeypatch.context() as m:
        _unguarded(m)
        return guarded, redact(text, who)


def test_the_introduction_hint_agrees_with_its_regex_on_ascii():
    """The ASCII path of the hint says what the IGNORECASE regex says."""
    for text in ("Saya", "NAMA:", "my NAME is", "I \t AM here", "I\x1cam", "i'M", "AkU", "sayur", "nam a", "I'am",
                 "iam", "jalan rusak 12", ""):
        assert redactor._may_introduce(text) == (redactor._INTRO_HINT.search(text) is not None), text


def test_the_guards_are_open_when_forced(monkeypatch):
    """The forcing works: unguarded, every step runs (a text without a digit still reaches the phone step)."""
    calls = []
    monkeypatch.setattr(redactor, "_redact_phones", lambda text: calls.append(text) or text)
    redact("tanpa angka")
    assert calls == []
    _unguarded(monkeypatch)
    redact("tanpa angka")
    assert calls == ["tanpa angka"]


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:40] for c in CASES])
def test_table_texts_redact_the_same_with_and_without_guards(case, monkeypatch):
    table_identity = Identity(tuple(case.get("names", [])), (case["address"],) if case.get("address") else ())
    for who in (table_identity, *IDENTITIES):
        guarded, unguarded = _both(monkeypatch, case["text"], who)
        assert guarded == unguarded


@settings(max_examples=400, deadline=None)
@given(parts=st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), max_size=14),
       who=st.sampled_from(IDENTITIES))
def test_generated_texts_redact_the_same_with_and_without_guards(parts, who):
    text = "".join(parts)
    with pytest.MonkeyPatch.context() as monkeypatch:
        guarded, unguarded = _both(monkeypatch, text, who)
    assert guarded == unguarded
