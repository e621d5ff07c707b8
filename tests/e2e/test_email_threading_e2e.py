"""Issue 10, problem 11, end to end over SMTP: email threading, Reply-To, list mail and STOP.

Decision (documented in bot/intake_email.py): within the same-sender window a
mail with no In-Reply-To/References/tag joins the open ticket only when its
subject is the same (a resend) or empty/generic; a new subject opens a new ticket.
"""
from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from sqlalchemy import select

from bot.staff.email_auth import email_auth_line
from store import repo
from tests.adapters.email.harness import OUR_ADDRESS, TRUSTED_RELAY, smtp_deliver
from tests.e2e.flow import drain, ticket_count
from tests.e2e.test_email_e2e import maildir_files, maildir_gateway

CORPUS = Path(__file__).resolve().parents[1] / "adapters" / "email" / "corpus"
TRUST = {"trusted_authserv_ids": [TRUSTED_RELAY]}


def mail(subject: str, msgid: str, body: str = "Jalan berlubang di Jl. Kebon Sirih dekat halte.", *,
         sender: str = "Siti Rahma <siti.rahma@example.com>", auth: str | None = None, **extra: str) -> bytes:
    m = EmailMessage()
    if auth:
        m["Authentication-Results"] = auth
    m["From"] = sender
    m["To"] = OUR_ADDRESS
    m["Subject"] = subject
    m["Message-ID"] = msgid
    m["Date"] = "Sat, 28 Nov 2026 08:00:00 +0700"
    for name, value in extra.items():
        m[name.replace("_", "-")] = value
    m.set_content(body)
    return m.as_bytes()


async def send(port: int, raw: bytes, envelope: str = "siti.rahma@example.com") -> None:
    reply = await smtp_deliver(port, raw, sender=envelope, recipients=[OUR_ADDRESS])
    assert reply.code == 250, reply


def sent_mails(tmp_path: Path) -> list[email.message.EmailMessage]:
    files = sorted(maildir_files(tmp_path), key=lambda p: p.stat().st_mtime_ns)
    return [email.message_from_bytes(p.read_bytes(), policy=default) for p in files]


async def reporter_rows(gw):
    return await gw.db.read(lambda c: c.execute(select(repo.T_REPORTER)).mappings().all())


async def test_new_subject_in_the_window_opens_a_new_ticket_and_a_resend_threads(tmp_path, database_url, clock):
    async with maildir_gateway(tmp_path, database_url, clock) as (gw, port):
        await send(port, mail("Jalan berlubang di Kebon Sirih", "<a-1@example.com>"))
        clock.advance(minutes=10)
        await send(port, mail("Lampu PJU mati di Jl. Bangka", "<b-1@example.com>", "Lampu jalan mati sejak Jumat."))
        assert await ticket_count(gw) == 2  # unrelated problem: its own ticket, not "ditambahkan ke ..."
        clock.advance(minutes=10)
        await send(port, mail("Jalan berlubang di Kebon Sirih", "<a-2@example.com>", "Foto menyusul, lubangnya dalam."))
        await send(port, mail("", "<c-1@example.com>", "Lubangnya makin besar."))
        assert await ticket_count(gw) == 2  # a same-subject resend and a subject-less note still thread


async def test_a_follow_ups_acknowledgement_replies_to_that_follow_up(tmp_path, database_url, clock):
    async with maildir_gateway(tmp_path, database_url, clock) as (gw, port):
        await send(port, mail("Saluran air mampet", "<first@example.com>"))
        await drain(gw)
        ack = sent_mails(tmp_path)[-1]
        clock.advance(minutes=5)
        await send(port, mail("Re: " + ack["Subject"], "<follow-up-1@example.com>", "Tambahan: airnya meluap.",
                              In_Reply_To=ack["Message-ID"], References=f"<first@example.com> {ack['Message-ID']}"))
        await drain(gw)
        answers = sent_mails(tmp_path)
        assert await ticket_count(gw) == 1 and len(answers) == 2
        assert answers[-1]["In-Reply-To"].strip("<>") == "follow-up-1@example.com"
        assert "follow-up-1@example.com" in answers[-1]["References"]


async def test_list_mail_opens_a_ticket_without_an_automatic_reply(tmp_path, database_url, clock):
    async with maildir_gateway(tmp_path, database_url, clock) as (gw, port):
        raw = (CORPUS / "16-mailing-list.eml").read_bytes()
        await send(port, raw, envelope="wargakemang+bncBC5ZT3ZK4AEBBQ4F4WZAMGQE2KQXA7Y@googlegroups.com")
        await drain(gw)
        assert await ticket_count(gw) == 1
        assert maildir_files(tmp_path) == []  # nothing to the list


async def test_contact_form_reporter_is_the_reply_to_address(tmp_path, database_url, clock):
    async with maildir_gateway(tmp_path, database_url, clock, email=TRUST) as (gw, port):
        raw = (CORPUS / "35-wordpress-contact-form-reply-to.eml").read_bytes()
        await send(port, raw, envelope="wordpress@rt05kemang.or.id")
        second = raw.replace(b"Dewi Lestari <dewi.lestari77@gmail.com>", b"Agus <agus.w@yahoo.co.id>").replace(
            b"Qm4HtZ2pXk0nV8rC1sJ5wL9yB3dF6gA7", b"Zz9HtZ2pXk0nV8rC1sJ5wL9yB3dF6gA8")
        await send(port, second, envelope="wordpress@rt05kemang.or.id")
        cc = (CORPUS / "36-outlook-cc-and-reply-to.eml").read_bytes()
        await send(port, cc, envelope="hendra.gunawan@ptmajujaya.co.id")
        await drain(gw)
        addresses = sorted(r["address"] for r in await reporter_rows(gw))
        assert addresses == ["agus.w@yahoo.co.id", "dewi.lestari77@gmail.com", "hendra.gunawan.pribadi@gmail.com"]
        assert await ticket_count(gw) == 3  # one reporter per citizen, not one per website
        recipients = sorted(str(m["To"]) for m in sent_mails(tmp_path))
        assert recipients == addresses


async def test_stop_by_email_needs_a_verified_sender(tmp_path, database_url, clock):
    async with maildir_gateway(tmp_path, database_url, clock, email=TRUST) as (gw, port):
        await send(port, mail("Sampah menumpuk", "<v-1@example.com>", sender="victim@example.com"),
                   envelope="victim@example.com")
        spoof = (CORPUS / "39-display-name-address-spoof-stop.eml").read_bytes()
        await send(port, spoof, envelope="attacker@attacker.example")
        unverified = mail("STOP", "<s-1@example.com>", "STOP", sender="victim@example.com")
        await send(port, unverified, envelope="victim@example.com")
        rows = {r["address"]: r for r in await reporter_rows(gw)}
        assert not rows["victim@example.com"]["opted_out"]  # neither the spoof nor the unverified STOP
        assert not rows["attacker@attacker.example"]["opted_out"]
        await drain(gw)
        texts = [m.get_body(("plain",)).get_content() for m in sent_mails(tmp_path)]
        assert any("Permintaan STOP tidak kami proses" in t for t in texts)

        verified = mail("STOP", "<s-2@example.com>", "STOP", sender="victim@example.com",
                        auth=f"{TRUSTED_RELAY}; dkim=pass header.d=example.com; dmarc=pass header.from=example.com")
        await send(port, verified, envelope="victim@example.com")
        rows = {r["address"]: r for r in await reporter_rows(gw)}
        assert rows["victim@example.com"]["opted_out"]


async def test_lihat_shows_the_authentication_result(tmp_path, database_url, clock):
    async with maildir_gateway(tmp_path, database_url, clock, email=TRUST) as (gw, port):
        await send(port, (CORPUS / "37-gmail-new-subject-within-window.eml").read_bytes(), "budi.santoso@gmail.com")
        await send(port, mail("Pohon tumbang", "<p-1@example.com>", sender="rina@example.com"), "rina@example.com")

        def lines(conn):
            tickets = conn.execute(select(repo.T_TICKET).order_by(repo.T_TICKET.c.id)).mappings().all()
            return [email_auth_line(conn, t, lambda key, **f: gw.policy.templates.render(key, "id", **f))
                    for t in tickets]

        verified, unchecked = await gw.db.read(lines)
        assert verified == "\nAutentikasi email: SPF pass, DKIM pass (gmail.com), DMARC pass; pengirim terverifikasi"
        assert unchecked == "\nAutentikasi email: tidak diperiksa (tidak ada relay tepercaya)"
