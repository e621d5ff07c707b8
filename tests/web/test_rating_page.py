"""The one-click rating page for email and SMS: /t/{id}/nilai?token=... (signed, expiring, GET never records)."""
from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from bot.web.rating_link import RatingLinks
from bot.web.reopen import reopen_link
from store import figures, repo
from tests.web.conftest import finish, hidden, report


async def _ticket(gateway, tid):
    return await gateway.db.read(repo.ticket_by_tracking_id, tid)


async def _rated_link(gateway) -> tuple[str, str]:
    tid = await report(gateway)
    await finish(gateway, tid)
    link = RatingLinks(gateway.config).link(await _ticket(gateway, tid))
    assert link and link.startswith(f"http://aduan.test/t/{tid}/nilai?token=")
    parts = urlsplit(link)
    return tid, f"{parts.path}?{parts.query}"


async def _rating_events(gateway, ticket_id):
    return await gateway.db.read(lambda c: list(c.execute(select(repo.T_EVENT).where(
        repo.T_EVENT.c.ticket_id == ticket_id, repo.T_EVENT.c.kind == "rating")).mappings()))


async def test_the_ask_links_the_page_where_links_fit(gateway):
    tid = await report(gateway)
    await finish(gateway, tid)
    asks = await gateway.db.read(lambda c: [r["text"] for r in c.execute(select(repo.T_MESSAGE).where(
        repo.T_MESSAGE.c.kind == "rating_ask")).mappings()])
    assert len(asks) == 1 and f"http://aduan.test/t/{tid}/nilai?token=" in asks[0] and "1-5" in asks[0]


async def test_get_shows_the_form_and_post_records(client, gateway):
    tid, path = await _rated_link(gateway)
    for _ in range(3):  # a mail scanner prefetching the link records nothing
        form = await client.get(path)
        assert form.status_code == 200, form.text
    assert (await _ticket(gateway, tid))["rating"] is None
    assert 'name="score" value="5"' in form.text and "<textarea" in form.text
    data = {"csrf": hidden(form.text, "csrf"), "token": hidden(form.text, "token"), "score": "4",
            "comment": "Cepat <b>sekali</b>"}
    done = await client.post(f"/t/{tid}/nilai", data=data)
    assert done.status_code == 200, done.text
    assert "4/5" in done.text and "&lt;b&gt;" not in done.text  # the comment is not echoed
    ticket = await _ticket(gateway, tid)
    assert (ticket["rating"], ticket["rating_comment"]) == (4, "Cepat <b>sekali</b>")
    (event,) = await _rating_events(gateway, ticket["id"])
    assert event["actor"] == "citizen:web" and not event["public"]
    # the link may be used again: a later rating replaces the earlier one
    again = await client.get(path)
    assert again.status_code == 200 and "Nilai Anda sebelumnya: 4" in again.text
    data.update(csrf=hidden(again.text, "csrf"), score="2", comment="ternyata belum beres")
    done = await client.post(f"/t/{tid}/nilai", data=data)
    assert done.status_code == 200 and "/buka?token=" in done.text  # 1-2 + "belum beres": the reopen path
    assert (await _ticket(gateway, tid))["rating"] == 2
    assert len(await _rating_events(gateway, ticket["id"])) == 2
    assert await gateway.db.read(figures.verify) == []


async def test_bad_score_and_long_comment_are_400(client, gateway):
    tid, path = await _rated_link(gateway)
    form = await client.get(path)
    base = {"csrf": hidden(form.text, "csrf"), "token": hidden(form.text, "token")}
    for extra in ({}, {"score": "6"}, {"score": "0"}, {"score": "x"}, {"score": "4", "comment": "a" * 1001}):
        r = await client.post(f"/t/{tid}/nilai", data={**base, **extra})
        assert r.status_code == 400, extra
    assert (await _ticket(gateway, tid))["rating"] is None


async def test_tampered_forged_and_other_purpose_tokens_are_4xx(client, gateway, tmp_path):
    tid, path = await _rated_link(gateway)
    token = path.split("token=")[1]
    raw, mac = token.split(".")
    other = await report(gateway, external_id="m-2", sender="+6281200000002")
    await finish(gateway, other)
    reopen = urlsplit(reopen_link(await _ticket(gateway, tid), gateway.config)).query.split("token=")[1]
    cases = {
        "missing": f"/t/{tid}/nilai",
        "garbage": f"/t/{tid}/nilai?token=abc",
        "bad-mac": f"/t/{tid}/nilai?token={raw}.{mac[:-2]}AA",
        "other-ticket": f"/t/{other}/nilai?token={token}",
        "reopen-token": f"/t/{tid}/nilai?token={reopen}",
        "bad-id": f"/t/JKT-XXXX/nilai?token={token}",
    }
    for name, url in cases.items():
        r = await client.get(url)
        assert 400 <= r.status_code < 500, (name, r.status_code)
        assert "tidak valid" in r.text, name
    from tests.conftest import make_config

    foreign = RatingLinks(make_config(tmp_path, web={"secret_key": "another-secret-key-0123456789"}))
    forged = foreign.link(await _ticket(gateway, tid))
    assert forged is not None
    r = await client.get(urlsplit(forged).path + "?" + urlsplit(forged).query)
    assert r.status_code == 403
    # a POST with a forged token but a valid CSRF token
    form = await client.get(path)
    r = await client.post(f"/t/{tid}/nilai", data={"csrf": hidden(form.text, "csrf"), "score": "5",
                                                    "token": forged.split("token=")[1]})
    assert r.status_code == 403
    r = await client.post(f"/t/{tid}/nilai", data={"csrf": "forged", "score": "5", "token": token})
    assert r.status_code == 403
    assert (await _ticket(gateway, tid))["rating"] is None


async def test_expired_link_is_410(client, gateway, clock):
    tid, path = await _rated_link(gateway)
    clock.advance(days=gateway.config.ratings.reply_window_days, hours=-1)
    form = await client.get(path)
    assert form.status_code == 200
    clock.advance(hours=1, seconds=1)
    r = await client.get(path)
    assert r.status_code == 410 and "kedaluwarsa" in r.text
    r = await client.post(f"/t/{tid}/nilai", data={"csrf": hidden(form.text, "csrf"),
                                                    "token": hidden(form.text, "token"), "score": "5"})
    assert r.status_code == 410
    assert (await _ticket(gateway, tid))["rating"] is None


async def test_reopened_ticket_cannot_be_rated_with_the_old_link(client, gateway):
    tid, path = await _rated_link(gateway)
    form = await client.get(path)
    from bot.tickets import transition

    await gateway.db.write(lambda c: transition(c, gateway.policy, gateway.clock.now(),
                                                repo.ticket_by_tracking_id(c, tid), "PROSES", "citizen", reopen=True))
    r = await client.post(f"/t/{tid}/nilai", data={"csrf": hidden(form.text, "csrf"),
                                                    "token": hidden(form.text, "token"), "score": "5"})
    assert r.status_code == 409
    assert (await client.get(path)).status_code == 409
