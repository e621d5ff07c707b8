"""The citizen's rating page: ``/t/{id}/nilai?token=...`` (the link in the email/SMS ask, bot/ratings.py).

GET only shows the page (five buttons and a comment box); the rating is recorded by the POST those
buttons send. Mail providers and link scanners fetch links in messages with GET before the citizen
clicks (Outlook Safe Links, Gmail's proxy, corporate scanners): were GET to record, every scanned
email would be rated before anyone read it, and a "one link per score" design would even record the
*last* score the scanner followed. So the link only leads to the form, and the POST carries the
signed token, the score and a CSRF token bound to the browser that loaded the page.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bot.ratings import MAX_COMMENT, SCORES, offers_reopen, record, refusal
from bot.tracking import normalize
from bot.web.rating_link import RatingLinks
from bot.web.reopen import ReopenLinks
from bot.web.security import BadToken, clean_text
from bot.web.state import WebState, get_state
from store import repo

router = APIRouter(tags=["public pages"])

HTML: dict[str, Any] = {"content": {"text/html": {"schema": {"type": "string"}}}}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed link or form (HTML page)", **HTML},
    403: {"description": "Forged link or form token (HTML page)", **HTML},
    409: {"description": "The report is no longer finished (HTML page)", **HTML},
    410: {"description": "The link has expired (HTML page)", **HTML}}
# A refusal -> (HTTP status, message key).
_WHY = {"malformed": (400, "rating_bad_link"), "signature": (403, "rating_bad_link"),
        "purpose": (403, "rating_bad_link"), "expired": (410, "rating_expired"),
        "window_passed": (410, "rating_expired"), "changed": (409, "rating_not_done"),
        "not_done": (409, "rating_not_done"), "not_reporter": (403, "rating_bad_link")}


def _error(request: Request, web: WebState, lang: str, tracking_id: str, why: str) -> Response:
    status, key = _WHY.get(why, (400, "rating_bad_link"))
    t = web.t(lang)
    return web.render(request, "message.html", lang, status=status, title=t("rating_title"),
                      heading=t("rating_title"), message=t(key), tracking_id=tracking_id, kind="error")


def _check(web: WebState, tracking_id: str, token: Any) -> tuple[dict[str, Any] | None, str | None]:
    """(token body, refusal) for a rating link: the ID canonical, the token genuine and unexpired."""
    canonical = normalize(tracking_id[:40], web.prefix)
    if canonical is None or canonical != tracking_id:
        return None, "malformed"
    try:
        return RatingLinks(web.config, web.signer).check(token if isinstance(token, str) else None, canonical,
                                                        web.now()), None
    except BadToken as exc:
        return None, exc.why


def _refusal(web: WebState, body: dict[str, Any], ticket: Any) -> str | None:
    if ticket is None:
        return "signature"
    if not RatingLinks(web.config, web.signer).matches(body, ticket):
        return "changed"  # reopened (or finished again) since the link was sent
    return refusal(ticket, ticket["reporter_id"], web.now(), web.config.ratings.reply_window_days)


def _form(request: Request, web: WebState, lang: str, tracking_id: str, token: str, *, status: int = 200,
          error: str | None = None, comment: str = "", current: int | None = None) -> Response:
    t = web.t(lang)
    return web.render(request, "rating.html", lang, status=status, title=t("rating_title"), tracking_id=tracking_id,
                      token=token, csrf=web.csrf_token(request, "rating"), scores=SCORES, max_comment=MAX_COMMENT,
                      error=error, comment=comment, current=current)


@router.get("/t/{tracking_id}/nilai", response_class=HTMLResponse, summary="Rate a finished report (form)",
            description="The link in the reporter's rating request. Shows the form only: a GET never records "
                        "a rating (mail scanners prefetch links).", responses=_RESPONSES)
async def rating_form(tracking_id: str, request: Request, token: str = "") -> Response:
    web = get_state(request)
    lang = web.lang(request)
    body, why = _check(web, tracking_id, token)
    if body is None:
        return _error(request, web, lang, tracking_id[:40], why or "malformed")
    ticket = await web.gateway.db.read(repo.ticket_by_tracking_id, tracking_id)
    why = _refusal(web, body, ticket)
    if why or ticket is None:
        return _error(request, web, lang, tracking_id, why or "signature")
    return _form(request, web, lang, tracking_id, token, current=ticket["rating"])


@router.post("/t/{tracking_id}/nilai", response_class=HTMLResponse, summary="Rate a finished report",
             responses=_RESPONSES,
             openapi_extra={"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
                 "schema": {"type": "object", "required": ["token", "csrf", "score"], "properties": {
                     "token": {"type": "string"}, "csrf": {"type": "string"},
                     "score": {"type": "integer", "minimum": 1, "maximum": 5},
                     "comment": {"type": "string", "maxLength": MAX_COMMENT}}}}}}})
async def rating_submit(tracking_id: str, request: Request) -> Response:
    web = get_state(request)
    lang = web.lang(request)
    t = web.t(lang)
    try:
        form = await request.form(max_files=0, max_fields=10)
    except Exception:  # noqa: BLE001 - any malformed body is a 400
        return _error(request, web, lang, tracking_id[:40], "malformed")
    token, score_text, raw_comment = form.get("token"), form.get("score"), form.get("comment") or ""
    try:
        web.check_csrf(request, form.get("csrf"), "rating")
    except BadToken:
        return _error(request, web, lang, tracking_id[:40], "signature")
    body, why = _check(web, tracking_id, token)
    if body is None:
        return _error(request, web, lang, tracking_id[:40], why or "malformed")
    assert isinstance(token, str)
    comment = clean_text(raw_comment).strip() if isinstance(raw_comment, str) else ""
    if not isinstance(raw_comment, str) or len(comment) > MAX_COMMENT:
        return _form(request, web, lang, tracking_id, token, status=400,
                     error=t("rating_comment_too_long", n=MAX_COMMENT), comment=comment[:MAX_COMMENT])
    if not isinstance(score_text, str) or score_text.strip() not in {str(s) for s in SCORES}:
        return _form(request, web, lang, tracking_id, token, status=400, error=t("rating_choose"), comment=comment)
    score = int(score_text)
    gw = web.gateway

    def rate(conn: Any) -> tuple[str | None, str | None]:
        ticket = repo.ticket_by_tracking_id(conn, tracking_id)
        why = _refusal(web, body, ticket)
        if why or ticket is None:
            return why or "signature", None
        record(conn, gw.clock.now(), ticket, score, comment, "citizen:web", channel="web")
        reopen = ReopenLinks(gw.config, web.signer).link(ticket) if offers_reopen(score, comment, gw.config.ratings) \
            else None
        return None, reopen

    why, reopen_url = await gw.db.write(rate)
    if why:
        return _error(request, web, lang, tracking_id, why)
    return web.render(request, "rating_done.html", lang, title=t("rating_title"), tracking_id=tracking_id,
                      score=score, reopen_url=reopen_url)
