"""The Open311 router: GET handlers, and every method registered in ``.json``
and ``.xml`` with its OpenAPI description; an ``Open311Error`` becomes the
spec's error list."""
from __future__ import annotations

from typing import Any, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from bot.tracking import normalize
from bot.web.open311.filters import MAX_RESULTS, check_jurisdiction, request_filters
from bot.web.open311.formats import Open311Error, XMLResponse, answer, error_answer
from bot.web.open311.intake import MAX_DESCRIPTION, post_request
from bot.web.open311.models import (
    O311Created,
    O311Discovery,
    O311Error,
    O311Request,
    O311Service,
    O311ServiceDefinition,
    O311Token,
)
from bot.web.open311.records import ATTRIBUTES, one_request, query_requests, service_records, w3
from bot.web.state import get_state
from store import repo

router = APIRouter(prefix="/open311/v2", tags=["open311"])

SPEC = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ("json", "xml")


# --- handlers ----------------------------------------------------------------------------------

async def discovery(request: Request, fmt: str) -> Response:
    web = get_state(request)
    changeset = w3(web.started.replace(microsecond=0), web) or ""
    data = {
        "changeset": changeset,
        "contact": web.config.web.open311_contact,
        "key_service": web.config.web.open311_key_service,
        "endpoints": [{"specification": SPEC, "url": f"{web.base_url}/open311/v2", "changeset": changeset,
                       "type": "production", "formats": ["text/xml", "application/json"]}],
    }
    return answer(fmt, "discovery", None, data)


async def services(request: Request, fmt: str) -> Response:
    web = get_state(request)
    check_jurisdiction(web, request.query_params)
    return answer(fmt, "services", "service", service_records(web))


async def service_definition(request: Request, fmt: str) -> Response:
    web = get_state(request)
    check_jurisdiction(web, request.query_params)
    code = request.path_params.get("service_code", "")
    if code not in {c.code for c in web.config.categories}:
        raise Open311Error(404, f"service_code {code[:60]!r} was not found; see services.{fmt}")
    return answer(fmt, "service_definition", None, {"service_code": code, "attributes": ATTRIBUTES})


async def get_requests(request: Request, fmt: str) -> Response:
    web = get_state(request)
    params = request.query_params
    check_jurisdiction(web, params)
    filters = request_filters(web, params)
    rows = await web.gateway.db.read_heavy(lambda c: query_requests(c, web, **filters))
    return answer(fmt, "service_requests", "request", rows)


async def _check_lookup_budget(web: Any, request: Request) -> None:
    wait = await web.lookup_wait(request)
    if wait:
        raise Open311Error(429, web.lookup_refusal(wait), retry_after=wait)


async def get_request(request: Request, fmt: str) -> Response:
    web = get_state(request)
    await _check_lookup_budget(web, request)
    check_jurisdiction(web, request.query_params)
    raw = request.path_params.get("service_request_id", "")
    canonical = normalize(raw[:40], web.prefix)
    rec = await web.gateway.db.read(one_request, web, canonical) if canonical else None
    if rec is None:
        raise Open311Error(404, f"service_request_id {raw[:40]!r} was not found")
    return answer(fmt, "service_requests", "request", [rec])


async def get_token(request: Request, fmt: str) -> Response:
    """Requests are realtime here: a token is the service_request_id itself."""
    web = get_state(request)
    await _check_lookup_budget(web, request)
    check_jurisdiction(web, request.query_params)
    raw = request.path_params.get("token", "")
    canonical = normalize(raw[:40], web.prefix)
    row = await web.gateway.db.read(repo.ticket_by_tracking_id, canonical) if canonical else None
    if row is None:
        raise Open311Error(404, f"token {raw[:40]!r} was not found")
    return answer(fmt, "service_requests", "request", [{"service_request_id": canonical, "token": raw[:40]}])


# --- routes and their OpenAPI description --------------------------------------------------------

def _param(name: str, where: str, desc: str, required: bool = False, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": desc,
            "schema": {"type": "string", **schema}}


_JURISDICTION = _param("jurisdiction_id", "query", "Optional: this endpoint serves one jurisdiction")
_ERRORS = {"400": "Invalid request", "403": "Missing or invalid api_key", "404": "Not found",
           "429": "Too many lookups from this client; Retry-After says when to retry"}
_XML_CONTENT = {"text/xml": {"schema": {"type": "string"}}}


def _endpoint(handler: Callable[..., Any], fmt: str) -> Callable[..., Any]:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request, fmt)
        except Open311Error as exc:
            reply = error_answer(fmt, exc.status, (exc.code, exc.description))
            if exc.retry_after:
                reply.headers["retry-after"] = str(exc.retry_after)
            return reply

    return endpoint


def _add(path: str, method: str, handler: Callable[..., Any], model: Any, summary: str,
         params: list[dict[str, Any]], errors: tuple[int, ...], body: dict[str, Any] | None = None,
         ok: tuple[int, ...] = (200,)) -> None:
    for fmt in FORMATS:
        endpoint = _endpoint(handler, fmt)

        responses: dict[int | str, Any] = {}
        for status in ok:
            desc = "Created" if status == 201 else "Repeated Idempotency-Key: the same request" if status == 200 and 201 in ok else "OK"
            responses[status] = ({"model": model, "description": desc} if fmt == "json"
                                 else {"description": desc, "content": _XML_CONTENT})
        for status in errors:
            responses[status] = ({"model": list[O311Error], "description": _ERRORS[str(status)]} if fmt == "json"
                                 else {"description": _ERRORS[str(status)], "content": _XML_CONTENT})
        extra: dict[str, Any] = {"parameters": params}
        if body is not None:
            extra["requestBody"] = body
        endpoint.__name__ = f"open311_{handler.__name__}_{fmt}"
        router.add_api_route(
            f"{path}.{fmt}", endpoint, methods=[method], summary=f"{summary} ({fmt.upper()})",
            operation_id=f"open311_{handler.__name__}_{fmt}", status_code=ok[0],
            response_class=XMLResponse if fmt == "xml" else JSONResponse, responses=responses, openapi_extra=extra)


_add("/discovery", "GET", discovery, O311Discovery, "Open311 service discovery", [], ())
_add("/services", "GET", services, list[O311Service], "Open311 services (complaint categories)", [_JURISDICTION], (404,))
_add("/services/{service_code}", "GET", service_definition, O311ServiceDefinition, "Open311 service definition",
     [_param("service_code", "path", "A service_code from services", True), _JURISDICTION], (404,))
_add("/requests", "POST", post_request, list[O311Created], "Open311 create a service request", [], (400, 403, 404),
     body={"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
         "type": "object", "required": ["api_key", "service_code"], "properties": {
             "api_key": {"type": "string"}, "jurisdiction_id": {"type": "string"},
             "service_code": {"type": "string"}, "lat": {"type": "number", "minimum": -90, "maximum": 90},
             "long": {"type": "number", "minimum": -180, "maximum": 180},
             "address_string": {"type": "string", "maxLength": 500}, "address_id": {"type": "string"},
             "email": {"type": "string"}, "device_id": {"type": "string"}, "account_id": {"type": "string"},
             "first_name": {"type": "string"}, "last_name": {"type": "string"}, "phone": {"type": "string"},
             "description": {"type": "string", "maxLength": MAX_DESCRIPTION},
             "media_url": {"type": "string", "format": "uri"},
             "attribute[patokan]": {"type": "string", "maxLength": 300}}}}}},
     ok=(201, 200))
_add("/requests", "GET", get_requests, list[O311Request], "Open311 service requests",
     [_param("service_request_id", "query", "Comma-separated tracking IDs; overrides the other filters"),
      _param("service_code", "query", "Comma-separated service codes"),
      _param("status", "query", "open, closed, or both comma-separated"),
      _param("start_date", "query", "W3C date-time, e.g. 2026-01-01T00:00:00Z (default: 90 days before end_date)",
             format="date-time"),
      _param("end_date", "query", "W3C date-time (default: now); at most 90 days after start_date", format="date-time"),
      {"name": "page", "in": "query", "required": False, "description": "Extension: page number from 1",
       "schema": {"type": "integer", "minimum": 1}},
      {"name": "page_size", "in": "query", "required": False,
       "description": f"Extension: results per page, at most {MAX_RESULTS}",
       "schema": {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS}},
      _JURISDICTION], (400, 404))
_add("/requests/{service_request_id}", "GET", get_request, list[O311Request], "Open311 one service request",
     [_param("service_request_id", "path", "The tracking ID, e.g. JKT-7K3M-QXP2", True), _JURISDICTION], (404, 429))
_add("/tokens/{token}", "GET", get_token, list[O311Token], "Open311 service_request_id from a token",
     [_param("token", "path", "A token (here: the tracking ID; requests are realtime)", True), _JURISDICTION], (404, 429))
