"""Ticket lifecycle: the transition table, events and notifications, reopen, citizen commands."""
from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.lifecycle import TransitionError, check_transition
from bot.models import InboundMessage
from bot.tickets import transition
from bot.tracking import ALPHABET
from store import repo

# --- the transition table, written out from the spec (not from bot.lifecycle) ----

STATUSES = ["MENUNGGU", "KOORDINASI", "DISPOSISI", "PROSES", "MENUNGGU_VALIDASI", "SELESAI", "TL_DITOLAK", "DITOLAK"]
SPEC: dict[str, set[str]] = {
    "MENUNGGU": {"KOORDINASI", "DISPOSISI", "PROSES", "DITOLAK"},
    "KOORDINASI": {"KOORDINASI", "DISPOSISI", "PROSES", "DITOLAK"},
    "DISPOSISI": {"DISPOSISI", "KOORDINASI", "PROSES", "DITOLAK"},
    "PROSES": {"MENUNGGU_VALIDASI", "KOORDINASI", "DISPOSISI", "DITOLAK"},
    "MENUNGGU_VALIDASI": {"SELESAI", "TL_DITOLAK"},
    "TL_DITOLAK": {"PROSES", "MENUNGGU_VALIDASI"},
    "SELESAI": set(),  # PROSES only as a citizen's reopen
    "DITOLAK": set(),
}
NEEDS_REASON = {"DITOLAK", "TL_DITOLAK"}


def _legal(src: str, dst: str, reopen: bool) -> bool:
    if reopen:
        return (src, dst) == ("SELESAI", "PROSES")
    return dst in SPEC[src]


@pytest.mark.parametrize("reopen", [False, True], ids=["staff", "reopen"])
@pytest.mark.parametrize("src,dst", list(itertools.product(STATUSES, STATUSES)))
def test_check_transition_matrix(src, dst, reopen):
    if _legal(src, dst, reopen):
        check_transition(src, dst, reason="alasan yang jelas", reopen=reopen)  # does not raise
    else:
        with pytest.raises(TransitionError) as info:
            check_transition(src, dst, reason="alasan yang jelas", reopen=reopen)
        err = info.value
        assert src in str(err) and dst in str(err)
        assert err.from_status == src and err.to_status == dst
        assert err.why and err.why.strip()
        assert err.why in str(err)


def test_spec_counts():
    """Guard the hand-written table itself: 20 staff moves plus the one reopen."""
    staff = [(s, d) for s in STATUSES for d in STATUSES if _legal(s, d, False)]
    reopen = [(s, d) for s in STATUSES for d in STATUSES if _legal(s, d, True)]
    assert len(staff) == 20 and reopen == [("SELESAI", "PROSES")]


@pytest.mark.parametrize("src,dst", [(s, d) for s in STATUSES for d in SPEC[s] if d in NEEDS_REASON])
@pytest.mark.parametrize("reason", [None, "", "   ", "\n\t"])
def test_rejections_need_a_reason(src, dst, reason):
    with pytest.raises(TransitionError) as info:
        check_transition(src, dst, reason=reason)
    assert "reason" in info.value.why
    check_transition(src, dst, reason="bukan kewenangan Pemprov")


@pytest.mark.parametrize("src,dst", [(s, d) for s in STATUSES for d in SPEC[s] if d not in NEEDS_REASON])
def test_other_moves_need_no_reason(src, dst):
    check_transition(src, dst)


def test_selesai_to_proses_without_reopen_explains():
    with pytest.raises(TransitionError) as info:
        check_transition("SELESAI", "PROSES")
    assert "reopen" in info.value.why


@pytest.mark.parametrize("src,dst", [("MENUNGGU", "SELESAIX"), ("NOPE", "PROSES"), ("menunggu", "PROSES")])
def test_unknown_status_is_a_transition_error(src, dst):
    with pytest.raises(TransitionError) as info:
        check_transition(src, dst)
    assert src in str(info.value) and dst in str(info.value)


# --- helpers over the gateway -----------------------------------------------------

REPORT = "Sampah menumpuk di Jl. Kemang Raya Kel. Bangka Kec. Mampang Prapatan"
_seq = itertools.count(1)


async def _say(gateway, sender: str, text: str, **kw: Any):
    msg = InboundMessage(channel="memory", external_id=f"in-{next(_seq)}", sender=sender, text=text, **kw)
    (outcome,) = await gateway.intake.submit([msg])
    assert outcome.action != "failed", outcome.error
    return outcome


async def _report(gateway, sender: str, **kw: Any) -> str:
    outcome = await _say(gateway, sender, REPORT, **kw)
    assert outcome.action == "new_ticket"
    return outcome.tracking_id


async def _move(gateway, clock, tid: str, to: str, actor: str = "staff:test", **kw: Any):
    return await gateway.db.write(
        lambda c: transition(c, gateway.policy, clock.now(), repo.ticket_by_tracking_id(c, tid), to, actor, **kw))


async def _ticket(gateway, tid: str):
    return await gateway.db.read(lambda c: repo.ticket_by_tracking_id(c, tid))


async def _outbound(gateway, **where: Any) -> list[dict[str, Any]]:
    M = repo.T_MESSAGE

    def q(c):
        stmt = select(M).where(M.c.direction == "out")
        for k, v in where.items():
            stmt = stmt.where(M.c[k] == v)
        return [dict(r) for r in c.execute(stmt.order_by(M.c.id)).mappings()]

    return await gateway.db.read(q)


async def _ticket_count(gateway) -> int:
    return await gateway.db.read(lambda c: c.execute(select(func.count()).select_from(repo.T_TICKET)).scalar_one())


async def _to_selesai(gateway, clock, tid: str) -> None:
    for status in ("PROSES", "MENUNGGU_VALIDASI", "SELESAI"):
        clock.advance(hours=1)
        await _move(gateway, clock, tid, status)


# --- transitions through the database -------------------------------------------

@pytest.mark.parametrize("lang,label_proses,label_ditolak", [
    (None, "Proses", "Ditolak"),
    ("en", "In progress", "Rejected"),
])
async def test_transition_records_event_and_notifies_in_reporters_language(
        gateway, clock, config, lang, label_proses, label_ditolak):
    sender = "+6281100000001"
    tid = await _report(gateway, sender, language=lang)
    ticket = await _ticket(gateway, tid)
    before = await _outbound(gateway, ticket_id=ticket["id"])
    assert [m["kind"] for m in before] == ["ack"]

    clock.advance(minutes=42)
    updated = await _move(gateway, clock, tid, "PROSES", actor="staff:lurah-bangka")
    assert updated["status"] == "PROSES"
    assert updated["coordinated_at"] == clock.now()

    events = await gateway.db.read(lambda c: repo.events_for(c, ticket["id"]))
    status_events = [e for e in events if e["kind"] == "status"]
    assert len(status_events) == 1
    ev = status_events[0]
    assert (ev["actor"], ev["from_status"], ev["to_status"], ev["reason"]) == \
        ("staff:lurah-bangka", "MENUNGGU", "PROSES", None)
    assert ev["created_at"] == clock.now()
    assert ev["public"] is True

    after = await _outbound(gateway, ticket_id=ticket["id"])
    new = after[len(before):]
    assert len(new) == 1
    note = new[0]
    assert note["kind"] == "status"
    assert note["channel"] == "memory"  # the ticket's origin channel
    assert note["recipient"] == sender
    assert note["status"] == "queued"
    assert note["created_at"] == clock.now()
    assert tid in note["text"]
    assert label_proses in note["text"]
    other = "In progress" if lang is None else "Proses"
    assert other not in note["text"]
    expected = config.templates[lang or "id"]["status_changed"].format(
        tracking_id=tid, status=label_proses, reason="", url=f"http://aduan.test/t/{tid}")
    assert note["text"] == expected

    # A rejection carries its reason into the event and the notification.
    clock.advance(hours=2)
    await _move(gateway, clock, tid, "DITOLAK", reason="bukan kewenangan Pemprov DKI")
    events = await gateway.db.read(lambda c: repo.events_for(c, ticket["id"]))
    assert events[-1]["reason"] == "bukan kewenangan Pemprov DKI"
    assert (events[-1]["from_status"], events[-1]["to_status"]) == ("PROSES", "DITOLAK")
    last = (await _outbound(gateway, ticket_id=ticket["id"]))[-1]
    assert label_ditolak in last["text"] and "bukan kewenangan Pemprov DKI" in last["text"]
    closed = await _ticket(gateway, tid)
    assert closed["status"] == "DITOLAK" and closed["closed_at"] == clock.now()


async def test_notification_is_delivered_to_the_reporter(gateway, clock, memory):
    sender = "+6281100000002"
    tid = await _report(gateway, sender, language="en")
    await _move(gateway, clock, tid, "KOORDINASI")
    await gateway.dispatcher.run_once()
    texts = memory.texts_to(sender)
    joined = " ".join(texts)
    assert "Coordination" in joined and tid in joined


async def test_illegal_transition_changes_nothing(gateway, clock):
    tid = await _report(gateway, "+6281100000003")
    ticket = await _ticket(gateway, tid)
    before = await _outbound(gateway, ticket_id=ticket["id"])
    with pytest.raises(TransitionError):
        await _move(gateway, clock, tid, "SELESAI")
    assert (await _ticket(gateway, tid))["status"] == "MENUNGGU"
    events = await gateway.db.read(lambda c: repo.events_for(c, ticket["id"]))
    assert [e["kind"] for e in events] == ["created"]
    assert len(await _outbound(gateway, ticket_id=ticket["id"])) == len(before)


# --- reopen by the citizen --------------------------------------------------------

async def test_reopen_within_window(gateway, clock, memory):
    sender = "+6281100000010"
    tid = await _report(gateway, sender)
    await _to_selesai(gateway, clock, tid)
    done = await _ticket(gateway, tid)
    assert done["status"] == "SELESAI" and done["resolved_at"] is not None
    before = await _outbound(gateway, ticket_id=done["id"])

    clock.advance(days=6, hours=23)
    outcome = await _say(gateway, sender, f"BUKA {tid} sampahnya belum diangkut")
    assert outcome.action == "command"
    ticket = await _ticket(gateway, tid)
    assert ticket["status"] == "PROSES"
    assert ticket["reopen_count"] == 1
    assert ticket["resolved_at"] is None and ticket["closed_at"] is None
    events = await gateway.db.read(lambda c: repo.events_for(c, ticket["id"]))
    assert events[-1]["kind"] == "reopen"
    assert (events[-1]["from_status"], events[-1]["to_status"], events[-1]["actor"]) == ("SELESAI", "PROSES", "citizen")
    assert events[-1]["created_at"] == clock.now()
    new = (await _outbound(gateway, ticket_id=ticket["id"]))[len(before):]
    assert len(new) == 1
    assert new[0]["recipient"] == sender
    assert "dibuka kembali" in new[0]["text"] and tid in new[0]["text"]
    assert await _ticket_count(gateway) == 1


async def test_reopen_after_window_is_refused(gateway, clock):
    sender = "+6281100000011"
    tid = await _report(gateway, sender)
    await _to_selesai(gateway, clock, tid)
    clock.advance(days=7, seconds=1)
    await _say(gateway, sender, f"BUKA {tid}")
    ticket = await _ticket(gateway, tid)
    assert ticket["status"] == "SELESAI" and ticket["reopen_count"] == 0
    replies = await _outbound(gateway, recipient=sender, kind="command_reply")
    assert len(replies) == 1
    text = replies[0]["text"]
    assert tid in text and "tidak dapat dibuka kembali" in text and "7 hari" in text
    assert await _ticket_count(gateway) == 1


async def test_reopen_by_another_sender_is_refused(gateway, clock):
    tid = await _report(gateway, "+6281100000012")
    await _to_selesai(gateway, clock, tid)
    clock.advance(days=1)
    other = "+6281100000099"
    await _say(gateway, other, f"BUKA {tid}")
    ticket = await _ticket(gateway, tid)
    assert ticket["status"] == "SELESAI" and ticket["reopen_count"] == 0
    replies = await _outbound(gateway, recipient=other)
    assert len(replies) == 1
    assert "hanya pelapor" in replies[0]["text"]
    assert await _ticket_count(gateway) == 1


async def test_reopen_of_unfinished_ticket_is_refused(gateway, clock):
    for n, status_path in enumerate([[], ["PROSES"], ["PROSES", "MENUNGGU_VALIDASI"], ["DITOLAK"]]):
        sender = f"+62811000001{n}0"
        tid = await _report(gateway, sender)
        for s in status_path:
            await _move(gateway, clock, tid, s, reason="bukan kewenangan" if s == "DITOLAK" else None)
        status = (await _ticket(gateway, tid))["status"]
        clock.advance(minutes=5)
        await _say(gateway, sender, f"REOPEN {tid}")
        ticket = await _ticket(gateway, tid)
        assert ticket["status"] == status and ticket["reopen_count"] == 0, status_path
        replies = await _outbound(gateway, recipient=sender, kind="command_reply")
        assert len(replies) == 1, status_path
        # The reporter chose no language: Indonesian, even for the English keyword.
        assert "belum berstatus Selesai" in replies[0]["text"] and tid in replies[0]["text"]


# --- citizen commands on the memory channel ----------------------------------------

async def test_cek_replies_status_and_creates_no_ticket(gateway, clock, memory):
    sender = "+6281100000020"
    tid = await _report(gateway, sender)
    await _move(gateway, clock, tid, "DISPOSISI")
    clock.advance(hours=3)  # past the thread window: a report now would open a new ticket
    asker = "+6281100000021"
    for who in (sender, asker):
        outcome = await _say(gateway, who, f"cek {tid.lower()}")
        assert outcome.action == "command"
        assert outcome.ticket_id is None
    assert await _ticket_count(gateway) == 1
    await gateway.dispatcher.run_once()
    for who in (sender, asker):
        reply = " ".join(t for t in memory.texts_to(who) if "Disposisi" in t)
        assert tid in reply and "Disposisi" in reply and "Sampah" in reply


async def test_cek_with_a_mistyped_id_says_invalid(gateway, clock, memory):
    sender = "+6281100000022"
    tid = await _report(gateway, sender)
    i = len(tid) - 1
    wrong = ALPHABET[(ALPHABET.index(tid[i]) + 1) % len(ALPHABET)]
    typo = tid[:i] + wrong
    outcome = await _say(gateway, sender, f"CEK {typo}")
    assert outcome.action == "command"
    replies = await _outbound(gateway, recipient=sender, kind="command_reply")
    assert len(replies) == 1
    assert "tidak valid" in replies[0]["text"] and typo in replies[0]["text"]
    assert await _ticket_count(gateway) == 1


async def test_cek_unknown_valid_id_says_not_found(gateway, clock):
    from bot.tracking import new_tracking_id

    sender = "+6281100000023"
    unknown = new_tracking_id()
    await _say(gateway, sender, f"CEK {unknown}")
    replies = await _outbound(gateway, recipient=sender, kind="command_reply")
    assert len(replies) == 1 and "tidak ditemukan" in replies[0]["text"] and unknown in replies[0]["text"]
    assert await _ticket_count(gateway) == 0


async def test_bantuan_replies_help(gateway, config, memory):
    sender = "+6281100000024"
    outcome = await _say(gateway, sender, "BANTUAN")
    assert outcome.action == "command"
    assert await _ticket_count(gateway) == 0
    replies = await _outbound(gateway, recipient=sender)
    assert [r["text"] for r in replies] == [config.templates["id"]["help"]]
    await gateway.dispatcher.run_once()
    assert "".join(memory.texts_to(sender)).replace(" ", "") == config.templates["id"]["help"].replace(" ", "")


async def test_stop_opts_out_and_start_opts_back_in(gateway, clock, config):
    sender = "+6281100000025"
    tid = await _report(gateway, sender)
    ticket = await _ticket(gateway, tid)

    await _say(gateway, sender, "STOP")
    reporter = await gateway.db.read(lambda c: repo.get_reporter(c, ticket["reporter_id"]))
    assert reporter["opted_out"] is True
    assert await _ticket_count(gateway) == 1
    count = len(await _outbound(gateway, recipient=sender))
    await _move(gateway, clock, tid, "PROSES")
    assert len(await _outbound(gateway, recipient=sender)) == count  # nothing queued while opted out
    assert (await _ticket(gateway, tid))["status"] == "PROSES"  # but the change itself happened

    await _say(gateway, sender, "START")
    reporter = await gateway.db.read(lambda c: repo.get_reporter(c, ticket["reporter_id"]))
    assert reporter["opted_out"] is False
    replies = (await _outbound(gateway, recipient=sender))[count:]
    assert [r["text"] for r in replies] == [config.templates["id"]["opted_in"]]
    await _move(gateway, clock, tid, "MENUNGGU_VALIDASI")
    latest = (await _outbound(gateway, recipient=sender))[-1]
    assert latest["kind"] == "status" and "Menunggu Validasi" in latest["text"]
    assert await _ticket_count(gateway) == 1
