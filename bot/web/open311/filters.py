"""Open311 query parameters: jurisdiction_id, and the GET requests filters (ids,
service_code, status, W3C start/end dates, page/page_size), each checked with
the spec's 400 error."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any

from bot.tracking import normalize
from bot.web.open311.formats import Open311Error
from bot.web.state import WebState

MAX_RESULTS = 1000
DEFAULT_DAYS = 90


def parse_w3(value: str, name: str, web: WebState) -> datetime:
    text = value.strip()
    if not text or len(text) > 40:
        raise Open311Error(400, f"{name} must be a W3C date-time such as 2026-01-31T00:00:00+07:00")
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return datetime.combine(datetime.fromisoformat(text).date(), time(0), tzinfo=web.tz)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error(400, f"{name} is not a valid W3C date-time (e.g. 2026-01-31T00:00:00Z): {text[:40]!r}") from None
    if parsed.tzinfo is None:
        raise Open311Error(400, f"{name} must include a time zone (Z or +07:00)")
    return parsed


def _list_param(value: str | None, name: str, max_items: int = 1000) -> list[str]:
    if value is None or value.strip() == "":
        return []
    items = [v.strip() for v in value.split(",")]
    if any(not v for v in items) or len(items) > max_items:
        raise Open311Error(400, f"{name} must be a comma-separated list of at most {max_items} values")
    return items


def _int_param(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if value is None or value.strip() == "":
        return default
    if not re.fullmatch(r"\d{1,7}", value.strip()):
        raise Open311Error(400, f"{name} must be a whole number between {low} and {high}")
    n = int(value)
    if not low <= n <= high:
        raise Open311Error(400, f"{name} must be between {low} and {high}")
    return n


def check_jurisdiction(web: WebState, params: Any) -> None:
    jid = params.get("jurisdiction_id")
    if jid not in (None, "") and jid != web.config.web.open311_jurisdiction_id:
        raise Open311Error(404, f"jurisdiction_id {str(jid)[:60]!r} was not found; this endpoint serves "
                                f"{web.config.web.open311_jurisdiction_id}")


def request_filters(web: WebState, params: Any) -> dict[str, Any]:
    """The GET requests filters as keyword arguments for ``records.query_requests``."""
    ids_raw = _list_param(params.get("service_request_id"), "service_request_id")
    ids = None
    if ids_raw:
        ids = []
        for raw in ids_raw:
            canonical = normalize(raw[:40], web.prefix)
            if canonical is None:
                raise Open311Error(400, f"service_request_id {raw[:40]!r} is not a valid tracking ID "
                                        f"(e.g. {web.prefix}-7K3M-QXP2; no O, I, L, 0 or 1)")
            ids.append(canonical)
    codes = _list_param(params.get("service_code"), "service_code")
    known = {c.code for c in web.config.categories}
    for code in codes:
        if code not in known:
            raise Open311Error(400, f"unknown service_code {code[:60]!r}")
    statuses = sorted(set(_list_param(params.get("status"), "status")))
    for s in statuses:
        if s not in ("open", "closed"):
            raise Open311Error(400, f"status must be open, closed or both (comma-separated), not {s[:20]!r}")
    if statuses == ["closed", "open"]:
        statuses = []
    now = web.now()
    start_raw, end_raw = params.get("start_date"), params.get("end_date")
    start = parse_w3(start_raw, "start_date", web) if start_raw else None
    end = parse_w3(end_raw, "end_date", web) if end_raw else None
    if start and end:
        if end < start:
            raise Open311Error(400, "end_date is before start_date")
        if end - start > timedelta(days=DEFAULT_DAYS):
            raise Open311Error(400, f"start_date to end_date may not span more than {DEFAULT_DAYS} days")
    elif start:
        end = start + timedelta(days=DEFAULT_DAYS)
    elif end:
        start = end - timedelta(days=DEFAULT_DAYS)
    else:
        end, start = now, now - timedelta(days=DEFAULT_DAYS)
    page = _int_param(params.get("page"), "page", 1, 1, 1_000_000)
    page_size = _int_param(params.get("page_size"), "page_size", MAX_RESULTS, 1, MAX_RESULTS)
    assert start is not None and end is not None
    return {"ids": ids, "codes": codes, "statuses": statuses, "start": start, "end": end, "page": page,
            "page_size": page_size}
