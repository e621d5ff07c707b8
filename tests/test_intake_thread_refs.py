"""Issue 16, point 4: a group commit resolves its messages' thread references (email Message-IDs)
with one read before it writes, not one read per message, and threads exactly as the lookup of one
message at a time would: onto stored messages (the newest match wins) and onto messages of the
same group. Runs on SQLite and PostgreSQL."""
from __future__ import annotations

from bot.intake_types import PreparedInbound
from bot.models import InboundMessage
from store import repo
from tests.test_intake_batching import _run_counting


def _mail(n: int, sender: str | None = None, refs: tuple[str, ...] = (), text: str | None = None) -> PreparedInbound:
    """A mail as the email adapter hands it over: its own Message-ID first among its references."""
    own = f"m{n}@mail.example"
    return PreparedInbound(InboundMessage(
        channel="memory", external_id=own, sender=sender or f"warga{n}@mail.example", thread_refs=[own, *refs],
        text=text or f"Lampu jalan mati di Jl. Melati nomor {n} Kel. Cikini"))


def _tickets(conn) -> int:
    from sqlalchemy import func, select
    return conn.execute(select(func.count()).select_from(repo.T_TICKET)).scalar_one()


async def _live_lookup(gateway, item: PreparedInbound) -> int | None:
    """The one-message-at-a-time answer, asked after the group committed: the message's own id left out
    (its own row has its outcome's ticket now)."""
    refs = [r for r in item.msg.thread_refs if r != item.msg.external_id]
    return await gateway.db.read(lambda c: repo.ticket_for_thread_refs(c, item.msg.channel, refs))


async def test_a_reply_in_the_same_group_joins_the_mail_it_answers(gateway):
    # Someone in Cc answers the first mail before the group commits: a note on its ticket, not a second ticket.
    items = [_mail(1), _mail(2), _mail(3, refs=("m1@mail.example",), text="Betul, sudah tiga malam gelap"), _mail(4)]
    outcomes, _ = await _run_counting(gateway, items)
    first, second, reply, fourth = outcomes
    assert [first.action, second.action, fourth.action] == ["new_ticket"] * 3
    assert reply.action == "note" and reply.ticket_id == first.ticket_id
    assert await gateway.db.read(_tickets) == 3
    assert await _live_lookup(gateway, items[2]) == reply.ticket_id


async def test_a_reply_to_a_reply_in_the_same_group_follows_the_chain(gateway):
    # m3 answers m2, which answers m1; m3 names only m2: the ticket comes through the group's own outcomes.
    items = [_mail(1), _mail(2, refs=("m1@mail.example",)), _mail(3, refs=("m2@mail.example",))]
    outcomes, _ = await _run_counting(gateway, items)
    assert [o.ticket_id for o in outcomes] == [outcomes[0].ticket_id] * 3
    assert [o.action for o in outcomes] == ["new_ticket", "note", "note"]


async def test_a_reply_to_an_older_tickets_outbound_id_threads_onto_it_in_a_group(gateway, clock):
    (older,) = await gateway.intake.submit([_mail(1).msg])
    (newer,) = await gateway.intake.submit([_mail(2).msg])
    await gateway.dispatcher.run_once()  # the acks get provider ids: memory-1 (older), memory-2 (newer)
    sent = await gateway.db.read(lambda c: {r["ticket_id"]: r["external_id"] for r in c.execute(
        repo.T_MESSAGE.select().where(repo.T_MESSAGE.c.direction == "out")).mappings()})
    clock.advance(days=3)  # past the thread window: only the references can join them
    items = [_mail(10),
             _mail(11, sender="warga1@mail.example", refs=(sent[older.ticket_id],), text="Masih mati"),
             _mail(12),
             # Both tickets named: the newest matching message wins (the newer ticket's ack).
             _mail(13, refs=("m1@mail.example", sent[newer.ticket_id], "nobody@else"), text="Di depan juga"),
             _mail(14, refs=("unknown@mail.example",))]
    outcomes, _ = await _run_counting(gateway, items)
    assert [o.action for o in outcomes] == ["new_ticket", "appended", "new_ticket", "note", "new_ticket"]
    assert outcomes[1].ticket_id == older.ticket_id and outcomes[3].ticket_id == newer.ticket_id
    for item, outcome in zip(items, outcomes):
        live = await _live_lookup(gateway, item)
        assert live == (outcome.ticket_id if outcome.action in ("appended", "note") else None), item.msg.external_id


async def test_statements_per_mail_drop_with_thread_refs_read_ahead(gateway):
    """Every mail names its own Message-ID. Read per mail, each read flushed the write-behind queue:
    3-4 single-row statements per mail (about 250 for these 60 mails). Read once, a group of 60 new
    mails costs a fixed handful of statements."""
    outcomes, statements = await _run_counting(gateway, [_mail(n) for n in range(100, 160)])
    assert [o.action for o in outcomes] == ["new_ticket"] * 60
    assert statements < 30, statements


async def test_a_rating_in_a_group_goes_to_the_ticket_its_mail_answers(gateway, clock):
    """A bare "2" rates the finished ticket whose mail it answers, not the reporter's latest finished one."""
    from bot.tickets import transition

    tickets = []
    for n in (1, 2):
        (t,) = await gateway.intake.submit([_mail(n, sender="warga@mail.example").msg])
        tickets.append(t)

        def finish(c, tracking_id=t.tracking_id):
            row = repo.ticket_by_tracking_id(c, tracking_id)
            for status in ("PROSES", "MENUNGGU_VALIDASI", "SELESAI"):
                row = transition(c, gateway.policy, clock.now(), row, status, "staff:t")

        await gateway.db.write(finish)
        clock.advance(hours=1)
    assert tickets[0].ticket_id != tickets[1].ticket_id
    await gateway.dispatcher.run_once()  # the SELESAI messages get provider ids
    older = tickets[0].ticket_id
    sent_to_older = await gateway.db.read(lambda c: c.execute(
        repo.T_MESSAGE.select().where(repo.T_MESSAGE.c.direction == "out", repo.T_MESSAGE.c.ticket_id == older,
                                      repo.T_MESSAGE.c.external_id.is_not(None))
        .order_by(repo.T_MESSAGE.c.id.desc())).mappings().first())
    items = [_mail(10), _mail(11, sender="warga@mail.example", refs=(sent_to_older["external_id"],), text="2"),
             _mail(12)]
    outcomes, _ = await _run_counting(gateway, items)
    assert outcomes[1].action == "rating" and outcomes[1].ticket_id == older
    rated = await gateway.db.read(lambda c: {r["id"]: r["rating"] for r in c.execute(repo.T_TICKET.select()).mappings()})
    assert rated[older] == 2 and rated[tickets[1].ticket_id] is None


def _count_ticket_reads(monkeypatch) -> list[str]:
    """The live ticket reads (by id, by tracking ID) the intake runs from here on."""
    reads: list[str] = []
    for name in ("ticket_by_id", "ticket_by_tracking_id"):
        real = getattr(repo, name)

        def counted(conn, key, real=real, name=name):
            reads.append(name)
            return real(conn, key)

        monkeypatch.setattr(repo, name, counted)
    return reads


async def test_replies_in_a_group_take_their_tickets_from_the_read_ahead(gateway, monkeypatch):
    """Replies to stored tickets, by a quoted tracking ID or by Message-ID only, read no ticket of their own:
    the group's prefetch read them (a read mid-group flushes the write-behind queue)."""
    stored = [(await gateway.intake.submit([_mail(n).msg]))[0] for n in (1, 2, 3)]
    reads = _count_ticket_reads(monkeypatch)
    items = [_mail(10, sender="warga1@mail.example", text=f"[{stored[0].tracking_id}] Masih mati"),
             _mail(11, sender="warga2@mail.example", refs=("m2@mail.example",), text="Masih gelap"),
             _mail(12),
             _mail(13, sender="tetangga@mail.example", text=f"Re: {stored[2].tracking_id} di depan juga")]
    outcomes, _ = await _run_counting(gateway, items)
    assert [(o.action, o.ticket_id) for o in outcomes] == [
        ("appended", stored[0].ticket_id), ("appended", stored[1].ticket_id), ("new_ticket", outcomes[2].ticket_id),
        ("note", stored[2].ticket_id)]
    assert reads == []


async def test_a_ticket_changed_earlier_in_the_group_is_read_again(gateway, monkeypatch):
    """The second reply to a ticket comes after the first changed it (last_inbound_at): the live row, not the
    read-ahead one; a ticket no earlier message touched still comes from the read-ahead."""
    first, other = [(await gateway.intake.submit([_mail(n).msg]))[0] for n in (1, 2)]
    reads = _count_ticket_reads(monkeypatch)
    items = [_mail(10, sender="warga1@mail.example", text=f"[{first.tracking_id}] Masih mati"),
             _mail(11, sender="warga1@mail.example", refs=("m1@mail.example",), text="Sudah dua hari"),
             _mail(12, sender="warga2@mail.example", text=f"[{other.tracking_id}] Tolong dicek")]
    outcomes, _ = await _run_counting(gateway, items)
    assert [(o.action, o.ticket_id) for o in outcomes] == [
        ("appended", first.ticket_id), ("appended", first.ticket_id), ("appended", other.ticket_id)]
    assert reads == ["ticket_by_id"]


async def test_after_a_command_in_the_group_every_ticket_is_read_live(gateway, monkeypatch):
    """A command may change a ticket its outcome does not name (e.g. a reopen): after one, the read-ahead
    rows no longer stand for the stored ones."""
    from bot import intake_threads
    from bot.intake_types import IntakeOutcome

    (stored,) = await gateway.intake.submit([_mail(1).msg])
    reads = _count_ticket_reads(monkeypatch)

    def lookups(conn):
        intake_threads.prefetch(conn, [_mail(10, text=f"[{stored.tracking_id}] Masih mati").msg], "JKT")
        try:
            ahead = intake_threads.ticket_by_tracking_id(conn, stored.tracking_id)
            conn.info["intake_batch"] = {("memory", "x"): IntakeOutcome("command", 1)}
            live = intake_threads.ticket_by_tracking_id(conn, stored.tracking_id)
            return ahead["id"], live["id"]
        finally:
            intake_threads.forget(conn)
            conn.info.pop("intake_batch", None)

    assert await gateway.db.read(lookups) == (stored.ticket_id, stored.ticket_id)
    assert reads == ["ticket_by_tracking_id"]
