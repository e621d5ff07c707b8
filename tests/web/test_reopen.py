"""One-time reopen links: /t/{id}/buka?token=... (signed, bound to reopen_count and resolved_at)."""
from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from bot.web import ReopenLinks, reopen_link
from store import repo
from tests.web.conftest import finish, hidden, report


async def _ticket(gateway, tid):
    return await gateway.db.read(repo.ticket_by_tracking_id, tid)


async def _done_ticket(gateway) -> tuple[str, str]:
    tid = await report(gateway)
    await finish(gateway, tid)
    link = reopen_link(await _ticket(gateway, tid), gateway.config)
    assert link and link.startswith(f"http://aduan.test/t/{tid}/buka?token=")
    parts = urlsplit(link)
    return tid, f"{parts.path}?{parts.query}"


async def test_reopen_flow_and_link_is_single_use(client, gateway):
    tid, path = await _done_ticket(gateway)
    form = await client.get(path)
    assert form.status_code == 200, form.text
    assert "Buka kembali laporan" in form.text
    data = {"csrf": hidden(form.text, "csrf"), "token": hidden(form.text, "token"),
            "reason": "Sampah masih ada <b>di sana</b>"}
    done = await client.post(f"/t/{tid}/buka", data=data)
    assert done.status_code == 200, done.text
    assert "dibuka kembali" in done.text
    ticket = await _ticket(gateway, tid)
    assert ticket["status"] == "PROSES" and ticket["reopen_count"] == 1 and ticket["resolved_at"] is None
    events = await gateway.db.read(lambda c: list(c.execute(select(repo.T_EVENT).where(
        repo.T_EVENT.c.ticket_id == ticket["id"], repo.T_EVENT.c.kind == "reopen")).mappings()))
    assert [(e["actor"], e["reason"]) for e in events] == [("citizen:web", "Sampah masih ada <b>di sana</b>")]
    page = await client.get(f"/t/{tid}")
    assert "Dibuka kembali oleh pelapor" in page.text and "&lt;b&gt;di sana&lt;/b&gt;" in page.text
    # the reporter is told on their channel
    out = await gateway.db.read(lambda c: [r["text"] for r in c.execute(select(repo.T_MESSAGE).where(
        repo.T_MESSAGE.c.direction == "out")).mappings()])
    assert any("dibuka kembali" in t for t in out)

    # used: the same link again, by GET or POST
    again = await client.get(path)
    assert again.status_code == 410 and "sudah dipakai" in again.text
    replay = await client.post(f"/t/{tid}/buka", data=data)
    assert replay.status_code == 410
    assert (await _ticket(gateway, tid))["reopen_count"] == 1

    # finished again: the old link still does not work, a new one does
    from tests.web.conftest import move

    await move(gateway, tid, "MENUNGGU_VALIDASI", "SELESAI")
    assert (await client.get(path)).status_code == 410
    fresh = reopen_link(await _ticket(gateway, tid), gateway.config)
    assert fresh != path and (await client.get(urlsplit(fresh).path + "?" + urlsplit(fresh).query)).status_code == 200


async def test_forged_and_tampered_tokens(client, gateway, tmp_path):
    tid, path = await _done_ticket(gateway)
    token = path.split("token=")[1]
    raw, mac = token.split(".")
    other = await report(gateway, external_id="m-2", sender="+6281200000002")
    await finish(gateway, other)
    cases = {
        "missing": f"/t/{tid}/buka",
        "garbage": f"/t/{tid}/buka?token=abc",
        "bad-mac": f"/t/{tid}/buka?token={raw}.{mac[:-2]}AA",
        "other-ticket": f"/t/{other}/buka?token={token}",
        "sql": f"/t/{tid}/buka?token=' OR 1=1 --",
    }
    for name, url in cases.items():
        r = await client.get(url)
        assert 400 <= r.status_code < 500, (name, r.status_code)
        assert "tidak valid" in r.text, name
    # a token signed with another key
    from tests.conftest import make_config

    foreign = ReopenLinks(make_config(tmp_path, web={"secret_key": "another-secret-key-0123456789"}))
    forged = foreign.link(await _ticket(gateway, tid))
    r = await client.get(urlsplit(forged).path + "?" + urlsplit(forged).query)
    assert r.status_code == 403
    assert (await _ticket(gateway, tid))["status"] == "SELESAI"


async def test_post_needs_csrf(client, gateway):
    tid, path = await _done_ticket(gateway)
    form = await client.get(path)
    token = hidden(form.text, "token")
    for csrf in ("", "forged.token", hidden(form.text, "csrf") + "x"):
        r = await client.post(f"/t/{tid}/buka", data={"csrf": csrf, "token": token})
        assert r.status_code == 403
    # a valid CSRF token from another browser (no matching cookie)
    csrf = hidden(form.text, "csrf")
    client.cookies.clear()
    r = await client.post(f"/t/{tid}/buka", data={"csrf": csrf, "token": token})
    assert r.status_code == 403
    assert (await _ticket(gateway, tid))["status"] == "SELESAI"


async def test_expired_after_the_window(client, gateway, clock):
    tid, path = await _done_ticket(gateway)
    clock.advance(days=gateway.config.intake.reopen_window_days, hours=-1)
    form = await client.get(path)
    assert form.status_code == 200
    clock.advance(hours=1, seconds=1)
    r = await client.get(path)
    assert r.status_code == 410 and "kedaluwarsa" in r.text
    r = await client.post(f"/t/{tid}/buka", data={"csrf": hidden(form.text, "csrf"), "token": hidden(form.text, "token")})
    assert r.status_code == 410
    assert (await _ticket(gateway, tid))["status"] == "SELESAI"


async def test_no_link_for_unfinished_ticket(gateway):
    tid = await report(gateway)
    assert reopen_link(await _ticket(gateway, tid), gateway.config) is None


async def test_reason_too_long(client, gateway):
    tid, path = await _done_ticket(gateway)
    form = await client.get(path)
    r = await client.post(f"/t/{tid}/buka", data={"csrf": hidden(form.text, "csrf"), "token": hidden(form.text, "token"),
                                                 "reason": "x" * 1001})
    assert r.status_code == 400
    assert (await _ticket(gateway, tid))["status"] == "SELESAI"


async def test_proof_done_web_template_carries_the_link(gateway):
    tid, path = await _done_ticket(gateway)
    link = ReopenLinks(gateway.config).link(await _ticket(gateway, tid))
    for lang in ("id", "en"):
        text = gateway.templates.render("proof_done_web", lang, tracking_id=tid, reason="", url=f"http://aduan.test/t/{tid}",
                                        reopen_url=link)
        assert link in text and tid in text
