"""Tracking IDs: format, normalisation, and the check symbol's guarantees.

The check symbol must catch EVERY single-symbol typo and EVERY swap of two
neighbouring symbols; these tests verify that exhaustively per ID rather than
trusting the module's arithmetic.
"""
from __future__ import annotations

import random
import re
from collections import Counter

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from adapters.contract.tracking import (
    ALPHABET,
    _check_symbol,
    find_tracking_id,
    is_valid_code,
    new_tracking_id,
    normalize,
)

ID_RE = re.compile(r"^JKT-([%s]{4})-([%s]{4})$" % (ALPHABET, ALPHABET))
bodies = st.text(alphabet=ALPHABET, min_size=7, max_size=7)


def _check_by_search(body: str) -> str:
    """The check symbol found by trying all 31, independently of _check_symbol."""
    found = [c for c in ALPHABET if is_valid_code(body + c)]
    assert len(found) == 1, f"{body}: {len(found)} check symbols pass: {found}"
    return found[0]


def _code_of(tracking_id: str) -> str:
    return tracking_id.split("-", 1)[1].replace("-", "")


def _fmt(code: str) -> str:
    return f"JKT-{code[:4]}-{code[4:]}"


def _substitutions(code: str):
    for pos in range(len(code)):
        for ch in ALPHABET:
            if ch != code[pos]:
                yield code[:pos] + ch + code[pos + 1:]


def _transpositions(code: str):
    for pos in range(len(code) - 1):
        a, b = code[pos], code[pos + 1]
        if a != b:
            yield code[:pos] + b + a + code[pos + 2:]


def _assert_all_typos_rejected(code: str) -> None:
    assert is_valid_code(code)
    subs = list(_substitutions(code))
    assert len(subs) == 8 * 30
    accepted = [s for s in subs if is_valid_code(s)]
    assert accepted == [], f"{code}: substitutions accepted: {accepted}"
    accepted = [t for t in _transpositions(code) if is_valid_code(t)]
    assert accepted == [], f"{code}: transpositions accepted: {accepted}"
    # And the canonical forms refuse them too.
    for s in subs[::17]:
        assert normalize(_fmt(s)) is None


# --- the alphabet and format ---------------------------------------------------

def test_alphabet_is_unambiguous():
    assert len(ALPHABET) == 31 == len(set(ALPHABET))
    assert not set(ALPHABET) & set("0O1IL")
    assert set(ALPHABET) == set("23456789ABCDEFGHJKMNPQRSTUVWXYZ")


def test_new_tracking_id_format():
    for _ in range(1000):
        tid = new_tracking_id()
        assert ID_RE.match(tid), tid
        assert not set(_code_of(tid)) & set("0O1IL")
        assert is_valid_code(_code_of(tid))
        assert normalize(tid) == tid


def test_new_tracking_id_other_prefix():
    tid = new_tracking_id("BKS")
    assert re.fullmatch(r"BKS-[%s]{4}-[%s]{4}" % (ALPHABET, ALPHABET), tid)
    assert normalize(tid, "BKS") == tid


# --- the check symbol -------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(bodies)
def test_check_symbol_agrees_with_exhaustive_search(body):
    assert _check_symbol(body) == _check_by_search(body)


@settings(max_examples=200, deadline=None)
@given(bodies)
def test_every_single_substitution_and_adjacent_transposition_is_rejected(body):
    _assert_all_typos_rejected(body + _check_by_search(body))


def test_typos_rejected_exhaustively_over_200_random_ids():
    rng = random.Random(20260302)
    for _ in range(200):
        body = "".join(rng.choice(ALPHABET) for _ in range(7))
        _assert_all_typos_rejected(body + _check_by_search(body))


def test_typos_rejected_for_generated_ids():
    for _ in range(50):
        _assert_all_typos_rejected(_code_of(new_tracking_id()))


@pytest.mark.parametrize("code", ["2222222", "ZZZZZZZ", "2Z2Z2Z2", "ABCDEFG"])
def test_typos_rejected_for_edge_bodies(code):
    _assert_all_typos_rejected(code + _check_by_search(code))


@pytest.mark.parametrize("bad", ["", "ABC", "7K3MQXP", "7K3MQXP22", "7K3MQXO2", "7K3MQX12", "7k3mqxp2", "7K3M-QXP2"])
def test_is_valid_code_rejects_malformed(bad):
    assert is_valid_code(bad) is False


# --- normalize --------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(bodies, st.sampled_from([
    "{p}-{a}-{b}", "{p}{a}{b}", "{a}{b}", "{a}-{b}", "{p} {a} {b}", "{a} {b}", "  {p}-{a}-{b}  ",
    "{p}.{a}.{b}", "{p}_{a}_{b}", "{p}-{a}{b}", "{p} - {a} - {b}",
]), st.booleans(), st.booleans())
def test_normalize_accepts_typed_variants(body, pattern, lower_code, lower_prefix):
    tid = _fmt(body + _check_symbol(body))
    code = _code_of(tid)
    a, b = code[:4], code[4:]
    if lower_code:
        a, b = a.lower(), b.lower()
    typed = pattern.format(p="jkt" if lower_prefix else "JKT", a=a, b=b)
    assert normalize(typed) == tid, typed


@settings(max_examples=100, deadline=None)
@given(bodies, st.integers(min_value=0, max_value=7), st.sampled_from(ALPHABET))
def test_normalize_rejects_a_mistyped_id(body, pos, ch):
    code = body + _check_symbol(body)
    if code[pos] == ch:
        ch = ALPHABET[(ALPHABET.index(ch) + 1) % len(ALPHABET)]
    typo = code[:pos] + ch + code[pos + 1:]
    assert normalize(_fmt(typo)) is None
    assert normalize(typo.lower()) is None


def test_normalize_rejects_wrong_lengths_and_prefix():
    tid = new_tracking_id()
    code = _code_of(tid)
    assert normalize(code[:-1]) is None
    assert normalize(code + "2") is None
    assert normalize("") is None
    assert normalize("XYZ-" + code[:4] + "-" + code[4:]) is None  # another prefix is not ours
    assert normalize(tid.replace("JKT", "BKS"), "BKS") == tid.replace("JKT", "BKS")


# --- find_tracking_id -------------------------------------------------------

FREE_TEXTS = [
    "{id}",
    "kenapa laporan {id} belum selesai?",
    "tolong cek {id} ya min",
    "Re: {id}",
    "({id})",
    "nomor:{id}.",
    "sudah 3 hari {id}, belum ada tanggapan",
]


STYLES = ["std", "lower", "spaces", "compact", "noprefix", "noprefix_dash", "noprefix_spaces"]


def _written(tid: str, style: str) -> str:
    code = _code_of(tid)
    return {
        "std": tid,
        "lower": tid.lower(),
        "spaces": f"JKT {code[:4]} {code[4:]}",
        "compact": f"JKT{code}",
        "noprefix": code,
        "noprefix_dash": f"{code[:4]}-{code[4:]}",
        "noprefix_spaces": f"{code[:4].lower()} {code[4:].lower()}",
    }[style]


@settings(max_examples=200, deadline=None)
@example("2222222", "kenapa laporan {id} belum selesai?", "noprefix_dash")
@example("AAAAAAC", "{id}", "noprefix")
@given(bodies, st.sampled_from(FREE_TEXTS), st.sampled_from(STYLES))
def test_find_tracking_id_in_free_text(body, template, style):
    tid = _fmt(body + _check_symbol(body))
    found = find_tracking_id(template.format(id=_written(tid, style)))
    if style == "noprefix" and not any(ch.isdigit() for ch in body + _check_symbol(body)):
        # Documented: an unprefixed, unsplit code of 8 letters is indistinguishable
        # from an ordinary word (1 in 31 pass the check), so it is not taken.
        assert found in (None, tid)
    else:
        assert found == tid


@settings(max_examples=150, deadline=None)
@given(bodies, st.integers(min_value=0, max_value=7), st.integers(min_value=1, max_value=30),
       st.sampled_from(FREE_TEXTS), st.booleans())
def test_find_tracking_id_rejects_a_mistyped_id(body, pos, shift, template, lower):
    code = body + _check_symbol(body)
    ch = ALPHABET[(ALPHABET.index(code[pos]) + shift) % len(ALPHABET)]
    typo = _fmt(code[:pos] + ch + code[pos + 1:])
    assert find_tracking_id(template.format(id=typo.lower() if lower else typo)) is None


FIXED_ID = "JKT-7K3M-QXP2"
assert is_valid_code("7K3MQXP2")


@pytest.mark.parametrize("word", ["di", "cek", "saya", "nomor", "nomer:", "laporan", "sekarang", "pengaduan"])
@pytest.mark.parametrize("written", ["JKT-7K3M-QXP2", "jkt 7k3m qxp2", "JKT7K3MQXP2", "7K3MQXP2", "7K3M-QXP2", "7k3m qxp2"])
def test_find_tracking_id_after_any_word(word, written):
    """The word in front of the ID must not hide it, whatever its length."""
    assert find_tracking_id(f"{word} {written} belum beres") == FIXED_ID


def _id_hidden_by(word: str) -> str:
    """A valid ID whose first half, glued to ``word``, also passes the check."""
    for a in ALPHABET:
        for b in ALPHABET:
            half = "7" + a + b + "M"
            if is_valid_code(word.upper() + half):
                return _fmt(half + "QXP" + _check_symbol(half + "QXP"))
    raise AssertionError("no such ID")


def test_find_tracking_id_not_fooled_by_a_word_in_front():
    """A four-letter word before a dashed ID must not be read as the ID's first half.

    (With spaces only, "saya 722e qxpw" is truly ambiguous when both "SAYA722E"
    and "722EQXPW" pass the check; a dash binds the halves and removes the doubt.)
    """
    problems = []
    for word in ("saya", "juga", "Mana", "baru"):
        tid = _id_hidden_by(word)
        for style in ("std", "lower", "noprefix_dash"):
            text = f"laporan {word} {_written(tid, style)} belum beres"
            found = find_tracking_id(text)
            if found != tid:
                problems.append((text, found))
    assert problems == []


def test_find_tracking_id_takes_the_valid_one_after_an_invalid_one():
    good = new_tracking_id()
    code = _code_of(good)
    bad_ch = ALPHABET[(ALPHABET.index(code[0]) + 1) % 31]
    bad = _fmt(bad_ch + code[1:])
    assert find_tracking_id(f"salah ketik {bad}, yang benar {good}") == good


def test_find_tracking_id_nothing_to_find():
    assert find_tracking_id("") is None
    assert find_tracking_id(None) is None  # type: ignore[arg-type]
    assert find_tracking_id("sampah menumpuk di Jl. Kemang Raya") is None


# --- unpredictability -------------------------------------------------------

def test_generated_ids_are_distinct_and_uniform_per_position():
    n = 10_000
    ids = [new_tracking_id() for _ in range(n)]
    assert len(set(ids)) == n
    codes = [_code_of(t) for t in ids]
    for pos in range(8):
        counts = Counter(c[pos] for c in codes)
        # Every symbol shows up at every position (P(miss) ~ e^-328: cannot flake).
        assert set(counts) == set(ALPHABET), f"position {pos}: missing {set(ALPHABET) - set(counts)}"
        # Chi-square with 30 degrees of freedom; 150 is ~p=1e-17, so only a broken generator fails.
        expected = n / len(ALPHABET)
        chi2 = sum((counts[ch] - expected) ** 2 / expected for ch in ALPHABET)
        assert chi2 < 150, f"position {pos}: chi-square {chi2:.1f}"
    # Consecutive IDs share no fixed relation: the body of the next is not a function of the previous.
    same_prefix = sum(1 for a, b in zip(codes, codes[1:]) if a[:4] == b[:4])
    assert same_prefix < 5
