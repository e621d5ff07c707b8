"""End to end on email: a real SMTP conversation in -> ticket -> reply with
the tracking tag -> status update -> proof photo attached; a redelivered mail
makes no second ticket; a relay's temporary failure is retried then delivered."""
from __future__ import annotations

import asyncio
import contextlib
import email
from email.message import EmailMessage
from email.policy import default

from adapters.email import EmailAdapter, EmailSettings, RelaySettings
from tests.adapters.email.harness import OUR_ADDRESS, RelayRecorder, smtp_deliver
from tests.e2e.flow import drain, finish_with_proof, only_ticket, staff_moves, start_gateway, ticket_count


def citizen_mail(msgid: str = "<CAF3x9=abc@mail.gmail.com>") -> bytes:
    m = EmailMessage()
    m["From"] = "Siti Rahma <siti.rahma@example.com>"
    m["To"] = OUR_ADDRESS
    m["Subject"] = "Saluran air mampet"
    m["Message-ID"] = msgid
    m["Date"] = "Sat, 28 Nov 2026 08:00:00 +0700"
    m.set_content("Selamat pagi,\n\nSaluran air di Jl. Tebet Barat Dalam Kel. Tebet Barat mampet dan bau.\n\nSiti")
    return m.as_bytes()


def parsed(envelope) -> email.message.EmailMessage:
    return email.message_from_bytes(envelope.original_content or envelope.content, policy=default)


async def test_email_citizen_flow(tmp_path, database_url, clock, caplog):
    caplog.set_level("INFO")
    async with RelayRecorder(data_reply="451 4.3.0 Temporary failure, try again") as relay:
        settings = EmailSettings(listen_host="127.0.0.1", listen_port=0, addresses=[OUR_ADDRESS],
                                 relay=RelaySettings(host="127.0.0.1", port=relay.port, security="none"),
                                 maildir_path=tmp_path / "mail")
        adapter = EmailAdapter(settings)
        gw = await start_gateway(tmp_path, database_url, clock, adapter, [])
        receiver = asyncio.create_task(adapter.run_receiver(gw.intake))
        try:
            _, port = await asyncio.wait_for(adapter.wait_listening(), 10)
            reply = await smtp_deliver(port, citizen_mail(), sender="siti.rahma@example.com", recipients=[OUR_ADDRESS])
            assert reply.code == 250, reply
            again = await smtp_deliver(port, citizen_mail(), sender="siti.rahma@example.com", recipients=[OUR_ADDRESS])
            assert again.code == 250  # the sender's retry is accepted...
            assert await ticket_count(gw) == 1  # ...and makes no second ticket
            ticket = await only_ticket(gw)
            tid = ticket["tracking_id"]

            await gw.dispatcher.run_once()  # relay says 451: transient, retried later
            assert relay.envelopes == []
            relay.data_reply = None
            clock.advance(seconds=gw.config.outbox.backoff_max_seconds)
            await drain(gw)
            assert len(relay.envelopes) == 1  # one reply, despite the duplicate delivery
            ack = parsed(relay.envelopes[0])
            assert f"[{tid}]" in ack["Subject"]
            assert ack["Auto-Submitted"].startswith("auto-")
            assert ack["In-Reply-To"].strip("<>") == "CAF3x9=abc@mail.gmail.com"
            assert tid in ack.get_body(("plain",)).get_content()

            await staff_moves(gw, tid, "PROSES")
            await drain(gw)
            update = parsed(relay.envelopes[-1])
            assert "Proses" in update.get_body(("plain",)).get_content()

            # The citizen answers our update: threaded by In-Reply-To, no new ticket.
            answer = EmailMessage()
            answer["From"] = "siti.rahma@example.com"
            answer["To"] = OUR_ADDRESS
            answer["Subject"] = "Re: " + update["Subject"]
            answer["Message-ID"] = "<reply-1@mail.gmail.com>"
            answer["In-Reply-To"] = update["Message-ID"]
            answer.set_content("Terima kasih, ditunggu.\n\nOn Sat, Aduan wrote:\n> Laporan ...")
            assert (await smtp_deliver(port, answer.as_bytes(), sender="siti.rahma@example.com",
                                       recipients=[OUR_ADDRESS])).code == 250
            assert await ticket_count(gw) == 1

            await finish_with_proof(gw, tid)
            await drain(gw)
            done, ask = parsed(relay.envelopes[-2]), parsed(relay.envelopes[-1])  # SELESAI, then the rating ask
            assert "/nilai?token=" in ask.get_body(("plain",)).get_content()
            images = [p for p in done.iter_attachments() if p.get_content_type() == "image/jpeg"]
            assert images, "the proof photo is attached"
            assert "siti.rahma@example.com" not in caplog.text  # no reporter address in any log line
        finally:
            receiver.cancel()
            await asyncio.gather(receiver, return_exceptions=True)
            await gw.stop()


@contextlib.asynccontextmanager
async def maildir_gateway(tmp_path, database_url, clock, email=None, **overrides):
    """A gateway whose email channel listens on a free port and writes replies to a Maildir."""
    settings = EmailSettings(listen_host="127.0.0.1", listen_port=0, addresses=[OUR_ADDRESS],
                             maildir_path=tmp_path / "mail", **(email or {}))
    adapter = EmailAdapter(settings)
    gw = await start_gateway(tmp_path, database_url, clock, adapter, [], **overrides)
    receiver = asyncio.create_task(adapter.run_receiver(gw.intake))
    try:
        _, port = await asyncio.wait_for(adapter.wait_listening(), 10)
        yield gw, port
    finally:
        receiver.cancel()
        await asyncio.gather(receiver, return_exceptions=True)
        await gw.stop()


def maildir_files(tmp_path):
    return [p for p in (tmp_path / "mail").rglob("*") if p.is_file() and p.parent.name in ("new", "cur")]


async def test_out_of_office_opens_no_ticket(tmp_path, database_url, clock):
    async with maildir_gateway(tmp_path, database_url, clock) as (gw, port):
        m = EmailMessage()
        m["From"] = "kantor@example.com"
        m["To"] = OUR_ADDRESS
        m["Subject"] = "Automatic reply: Libur"
        m["Auto-Submitted"] = "auto-replied"
        m["Message-ID"] = "<ooo-1@example.com>"
        m.set_content("Saya sedang cuti sampai 5 Desember.")
        assert (await smtp_deliver(port, m.as_bytes(), sender="kantor@example.com",
                                   recipients=[OUR_ADDRESS])).code == 250
        assert await ticket_count(gw) == 0
        await drain(gw)
        assert maildir_files(tmp_path) == []  # no automatic answer to an automatic message


async def test_auto_replies_to_one_sender_are_capped_per_hour(tmp_path, database_url, clock):
    overrides = {"intake": {"auto_replies_per_hour": 3, "thread_window_minutes": 0}}
    async with maildir_gateway(tmp_path, database_url, clock, **overrides) as (gw, port):
        for i in range(6):  # a flood from one address
            assert (await smtp_deliver(port, citizen_mail(f"<flood-{i}@example.com>"), sender="siti.rahma@example.com",
                                       recipients=[OUR_ADDRESS])).code == 250
            clock.advance(minutes=1)
        await drain(gw)
        sent = maildir_files(tmp_path)
        assert await ticket_count(gw) == 6  # every mail kept as a report...
        assert len(sent) == 3  # ...but only 3 automatic replies within the hour
        clock.advance(hours=1)
        assert (await smtp_deliver(port, citizen_mail("<later@example.com>"), sender="siti.rahma@example.com",
                                   recipients=[OUR_ADDRESS])).code == 250
        await drain(gw)
        assert len(maildir_files(tmp_path)) == 4
